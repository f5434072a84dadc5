# Augmenting declarations of dialer/ports.py for the compiled engine (`dialer accel build`): a
# lead's DialTarget and the gate's GateVerdict, one of each per attempt, as native classes
# (docs/engine.md, "Fifteenth step"). Cython makes a dataclass of each from the module's own
# ``@dataclass(frozen=True)`` with the fields declared here, in this order, which must be
# the declaration's (tests/dialer/engine/test_native_records.py checks it). The fields stay
# Python objects (``readonly``: the dataclass is frozen); a free list keeps freed instances
# for the next.

cimport cython

@cython.freelist(16)
cdef class DialTarget:
    cdef readonly object lead_id
    cdef readonly object number_e164
    cdef readonly object campaign
    cdef readonly object attempt_number
    cdef readonly object customer_key
    cdef readonly object previous_agent_id
    cdef readonly object variables
    cdef readonly object attributes

@cython.freelist(16)
cdef class GateVerdict:
    cdef readonly object allowed
    cdef readonly object reasons
    cdef readonly object registry_versions
    cdef readonly object decision_id

# A DialTarget from every field, stored directly (docs/engine.md, "Sixteenth step"): the
# native dataclass's __init__ imports ``dataclasses`` per default factory at every call.
@cython.locals(target=DialTarget)
cpdef _native_dial_target(lead_id, number_e164, campaign, attempt_number, customer_key, previous_agent_id, variables, attributes)
