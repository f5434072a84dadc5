# Augmenting declarations of dialer/engine/agent_work.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class AgentWork:
    cdef public object _abandon
    cdef public object _bridge
    cdef public object _dial
    cdef public object _emit
    cdef public object _known_switch
    cdef public object _machine_talk
    cdef public object _new_id
    cdef public object _placement
    cdef public object _policy
    cdef public object _send_bridge
    cdef public object _switch_up
    cdef public dict _talk
    cdef public object _watch_leg
    cdef public dict calls
    cdef public object config
    cdef public object connector
    cdef public object desk
    cdef public object inbound
    cdef public object pool
    cdef public object routed

