# Augmenting declarations of dialer/engine/work_lines.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

from dialer.engine.watch cimport DeadlineFloor
cdef class Lane:
    cdef public object logged_in
    cdef public object outbound
    cdef public object ready
    cdef public object switch_id

cdef class WorkLines:
    cdef public object _callbacks
    cdef public DeadlineFloor _floor
    cdef public object _lane
    cdef public dict _personal
    cdef public object _seq
    cdef public dict _waiting
    cdef public dict agents
    cdef public object callbacks_waiting
    cdef public object inbound
    cdef public object lanes
    cdef public object multi_switch
    cdef public object outbound
    cdef public object promised
    cdef public dict ready
    cdef public object ring_all
    cdef public object strategy
