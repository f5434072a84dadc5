# Augmenting declarations of dialer/engine/watch.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class DeadlineFloor:
    cdef public object at

cdef class Watch:
    cdef public object _dials
    cdef public list _heap
    cdef public object _order
    cdef public DeadlineFloor floor

