# Augmenting declarations of dialer/engine/call_flow.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cimport cython
from dialer.engine.calls cimport Call
from dialer.engine.scheduler cimport AgentPool
from dialer.events cimport CallAnswered, CallBridged
from dialer.ports cimport DialTarget

cdef class CallFlow:
    # Instance attributes besides the fields: a test wraps a method on the instance
    # (tests/simulations/test_amd_pacing_state.py sets call_flow.classified).
    cdef dict __dict__
    cdef public object _after_assignment
    cdef public object _fail_over
    cdef public object _false_positive_credit
    cdef public object _last_agent
    cdef public object _observe_verdict
    cdef public object _offer
    cdef public object _placement
    cdef public object _shed
    cdef public object _unplaced
    cdef public dict _wrap_live
    cdef public object agent_work
    cdef public object amd_abandons
    cdef public dict calls
    cdef public object config
    cdef public object connector
    cdef public object desk
    cdef public dict dialing
    cdef public object gate
    cdef public object gateways
    cdef public object inbound
    cdef public object ledger
    cdef public list out
    cdef public object policy
    cdef public AgentPool pool
    cdef public object recorder
    cdef public dict verdicts
    cdef public object waits
    cdef public object watch

    # Typed events (docs/engine.md, "Sixteenth step"): the engine hands each handler the
    # records of its own type (``Engine._handlers``), whose fields are then read directly.
    @cython.locals(call=Call)
    cpdef on_answered(self, CallAnswered event)

    @cython.locals(call=Call)
    cpdef on_bridged(self, CallBridged event)

    @cython.locals(call=Call)
    cpdef on_call_ended(self, event)

    @cython.locals(target=DialTarget)
    cpdef _end_unanswered(self, Call call, at, cause, side, sent=*)

    @cython.locals(target=DialTarget)
    cpdef end(self, Call call, at, cause, side=*, sent=*)
