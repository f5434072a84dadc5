# Augmenting declarations of dialer/commands.py for the compiled engine (`dialer accel build`): the
# records of every attempt as native classes (docs/engine.md, "Fifteenth step"). Cython makes
# a dataclass of each from the module's own ``@dataclass(frozen=True)`` with the fields
# declared here, in this order, which must be the declaration's (the order of the fields is
# the order of ``__init__``'s arguments: tests/dialer/engine/test_native_records.py checks
# it). The fields stay Python objects (``readonly``: the dataclass is frozen); a free list
# keeps freed instances for the next (one to a few are alive per attempt).

cimport cython

@cython.freelist(16)
cdef class JournalAttempt:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object lead_id
    cdef readonly object campaign
    cdef readonly object number_e164
    cdef readonly object attempt_number
    cdef readonly object verdict
    cdef readonly object switch_id
    cdef readonly object direction
    cdef readonly object callback_id
    cdef readonly object caller_id
    cdef readonly object gateway
    cdef readonly object failover_of

@cython.freelist(16)
cdef class AgentStateChanged:
    cdef readonly object at
    cdef readonly object agent_id
    cdef readonly object state
    cdef readonly object previous
    cdef readonly object reason
    cdef readonly object call_id

@cython.freelist(16)
cdef class Originate:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object number_e164
    cdef readonly object caller_id_number
    cdef readonly object caller_id_name
    cdef readonly object ring_timeout
    cdef readonly object variables
    cdef readonly object detect_machine
    cdef readonly object switch_id
    cdef readonly object gateway
    cdef readonly object dial_string

@cython.freelist(16)
cdef class Bridge:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object agent_id
    cdef readonly object agent_leg_id

@cython.freelist(16)
cdef class Hangup:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object cause
