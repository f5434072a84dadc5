# Augmenting declarations of dialer/engine/calls.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class Failover:
    cdef public object first_dialed_at
    cdef public object previous_call_id
    cdef public object reached
    cdef public object tried

cdef class Call:
    cdef public object abandoned
    cdef public object agent_first
    cdef public object agent_id
    cdef public object answered_at
    cdef public object bridged_at
    cdef public object call_id
    cdef public object callback_id
    cdef public object caller_id
    cdef public object caller_number
    cdef public object classified_at
    cdef public object counted_live
    cdef public object customer_key
    cdef public object deadline
    cdef public object dialed_at
    cdef public object direction
    cdef public object failover
    cdef public object gateway
    cdef public object held_since
    cdef public object hold_seconds
    cdef public object inbound
    cdef public object kind
    cdef public object ledger_entry
    cdef public object lost_bridge
    cdef public object message
    cdef public object message_left
    cdef public object message_started_at
    cdef public object opted_out
    cdef public object queue
    cdef public object recording_path
    cdef public object ringing_at
    cdef public object routed
    cdef public object state
    cdef public object switch_id
    cdef public object target
    cdef public object transferred_to
    cdef public object unplaced
    cdef public object wait_aside

cpdef transition(Call call, object new_state, object why=*)
