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

# One per attempt, built with some fields fixed (dialer/engine/call_flow.py's builders).
@cython.freelist(16)
cdef class AttemptFinished:
    cdef readonly object at
    cdef readonly object call_id
    cdef readonly object campaign
    cdef readonly object direction
    cdef readonly object outcome
    cdef readonly object cause
    cdef readonly object lead_id
    cdef readonly object number_e164
    cdef readonly object attempt_number
    cdef readonly object dialed_at
    cdef readonly object answered_at
    cdef readonly object bridged_at
    cdef readonly object ended_at
    cdef readonly object answer_kind
    cdef readonly object abandoned
    cdef readonly object agent_id
    cdef readonly object recording_path
    cdef readonly object opted_out
    cdef readonly object callback_id
    cdef readonly object queue
    cdef readonly object queued_at
    cdef readonly object estimated_wait
    cdef readonly object overflowed_from
    cdef readonly object ivr_keys
    cdef readonly object message
    cdef readonly object caller_id
    cdef readonly object gateway
    cdef readonly object failed_over_to
    cdef readonly object recording_started_at
    cdef readonly object recording_consent
    cdef readonly object recording_pauses
    cdef readonly object message_started_at
    cdef readonly object hangup_side

# An Originate from every field, stored directly (dialer/accel/pxd/dialer/ports.pxd's
# _native_dial_target says why).
@cython.locals(command=Originate)
cpdef _native_originate(at, call_id, number_e164, caller_id_number, caller_id_name, ring_timeout, variables, detect_machine, switch_id, gateway, dial_string)
