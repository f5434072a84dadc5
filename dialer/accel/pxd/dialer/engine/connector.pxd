# Augmenting declarations of dialer/engine/connector.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class Connector:
    cdef public dict _by_agent
    cdef public dict bridges
    cdef public object busy_legs
    cdef public dict leg_ids
    cdef public object ready_calls

