# Augmenting declarations of simulations/leads.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class PoolLeads:
    cdef public object _campaign
    cdef public object _next
    cdef public list _returned
    cdef public object _size
    cdef public object open

