# Augmenting declarations of dialer/engine/dialing.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cimport cython
from dialer.engine.calls cimport Call
from dialer.ports cimport DialTarget, GateVerdict

cdef class Dialing:
    cdef public object _amd_abandons
    cdef public object _decisions
    cdef public object _decisions_config
    cdef public object _dial_waits
    cdef public object _emit
    cdef public object _fixed_caller_id
    cdef public object _new_id
    cdef public object _placement
    cdef public object _policy
    cdef public object _ring_config
    cdef public object _ring_times
    cdef public object _state_builds
    cdef public object _switch_turn
    cdef public object _up_order
    cdef public object caller_ids
    cdef public dict calls
    cdef public object config
    cdef public object desk
    cdef public dict dialing
    cdef public object dials
    cdef public object gate
    cdef public object gateways
    cdef public object inbound
    cdef public object last_decision
    cdef public object leads
    cdef public object ledger
    cdef public object paused
    cdef public object pool
    cdef public object refusing
    cdef public object ring_hung_up
    cdef public dict switches_up
    cdef public dict verdicts
    cdef public object watch

    # The lead's target and the gate's verdict typed (docs/engine.md, "Sixteenth step"):
    # their fields read directly, not by generic look-ups (some seven per attempt).
    @cython.locals(call=Call, target=DialTarget, verdict=GateVerdict)
    cpdef _dial_plain(self, targets, now, out)
