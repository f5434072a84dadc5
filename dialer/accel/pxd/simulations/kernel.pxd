# Augmenting declarations of simulations/kernel.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class Kernel:
    cdef public object _aside
    cdef public list _heap
    cdef public object _sequence
    cdef public object aside_at
    cdef public object now

