# Augmenting declarations of dialer/events.py for the compiled engine (`dialer accel build`): the
# records of every attempt as native classes (docs/engine.md, "Fifteenth step"). Cython makes
# a dataclass of each from the module's own ``@dataclass(frozen=True)`` with the fields
# declared here, in this order, which must be the declaration's (the order of the fields is
# the order of ``__init__``'s arguments: tests/dialer/engine/test_native_records.py checks
# it). The fields stay Python objects (``readonly``: the dataclass is frozen); a free list
# keeps freed instances for the next (one to a few are alive per attempt).

cimport cython

@cython.freelist(16)
cdef class CallAnswered:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object bridgeable

@cython.freelist(16)
cdef class CallClassified:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object kind

@cython.freelist(16)
cdef class CallHungUp:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object cause
    cdef readonly object side

@cython.freelist(16)
cdef class CallBridged:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object agent_id

@cython.freelist(16)
cdef class CallDisposed:
    cdef readonly object at
    cdef readonly object agent_id
    cdef readonly object call_id
    cdef readonly object disposition
