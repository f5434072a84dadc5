# Augmenting declarations of dialer/engine/engine.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

from dialer.engine.watch cimport DeadlineFloor
from dialer.engine.scheduler cimport AgentPool
from dialer.engine.call_flow cimport CallFlow
# The types of the call flow's typed handlers, which ``_handlers`` holds as Python callables.
from dialer.events cimport CallAnswered, CallBridged

cdef class Engine:
    # Instance attributes besides the fields: tests wrap engine.handle on an instance
    # (test_engine_decision_reuse.py, test_ring_out_entries.py).
    cdef dict __dict__
    cdef public object _answered_line
    cdef public object _callback_gate
    cdef public object _consult_legs
    cdef public object _dial_waits
    cdef public DeadlineFloor _floor
    cdef public dict _handlers
    cdef public object _inbound_timers
    cdef public object _last_agent
    cdef public object _next_decision_at
    cdef public object _now
    cdef public object _opted_out
    cdef public list _out
    cdef public object _placement
    cdef public object _policy
    cdef public object _queue_lines
    cdef public object _watch_heap
    cdef public object agent_work
    cdef public CallFlow call_flow
    cdef public object caller_ids
    cdef public dict calls
    cdef public object config
    cdef public object connector
    cdef public object desk
    cdef public object dialer
    cdef public dict dialing
    cdef public object gate
    cdef public object gateways
    cdef public object inbound
    cdef public object leads
    cdef public object ledger
    cdef public object new_id
    cdef public AgentPool pool
    cdef public object recorder
    cdef public dict verdicts
    cdef public object waits
    cdef public object watch
