# Augmenting declarations of dialer/engine/routing.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class Work:
    cdef public object aging
    cdef public object arrived_at
    cdef public object cancelled
    cdef public object customer_key
    cdef public object deadline
    cdef public object kind
    cdef public object levels
    cdef public object members
    cdef public object payload
    cdef public object previous_agent_id
    cdef public object priority
    cdef public object queue
    cdef public object required_agent_id
    cdef public object ring_all
    cdef public object seq
    cdef public object skills
    cdef public object switch_id
    cdef public object work_id

