# Augmenting declarations of dialer/engine/switch_waits.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

from dialer.engine.watch cimport DeadlineFloor

cdef class SwitchWaits:
    cdef public object _abandon
    cdef public object _classified
    cdef public object _emit
    cdef public object _end
    cdef public DeadlineFloor _floor
    cdef public list _heap
    cdef public object _latest
    cdef public object _new_id
    cdef public object _put_back
    cdef public dict calls
    cdef public object config
    cdef public object connector
    cdef public dict message_budget
    cdef public object pool

