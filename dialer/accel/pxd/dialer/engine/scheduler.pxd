# Augmenting declarations of dialer/engine/scheduler.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

from dialer.engine.watch cimport DeadlineFloor
from dialer.engine.work_lines cimport WorkLines

cdef class AgentPool:
    cdef public object _first_lane
    cdef public object _wrap_heap
    cdef public object _wrap_seq
    cdef public dict agents
    cdef public object left_service
    cdef public object changes
    cdef public DeadlineFloor floor
    cdef public object guarantee
    cdef public object lanes
    cdef public WorkLines lines
    cdef public object logged_in
    cdef public object multi_switch
    cdef public object newly_ready
    cdef public dict departures_held
    cdef public dict on_call
    cdef public dict ready
    cdef public object ring_all
    cdef public object wrap_heap
    cdef public object wrap_left
    cdef public dict wrapping
