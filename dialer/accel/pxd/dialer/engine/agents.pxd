# Augmenting declarations of dialer/engine/agents.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class Agent:
    cdef public object agent_id
    cdef public object call_id
    cdef public object endpoint
    cdef public object lane
    cdef public object leg_id
    cdef public object levels
    cdef public object logout_pending
    cdef public object pause_pending
    cdef public object reason
    cdef public object since
    cdef public object skills
    cdef public object state
    cdef public object switch_id
    cdef public object talk_started
    cdef public object wrap_deadline
    cdef public object wrap_started

cpdef transition_agent(Agent agent, object new_state, object at, object why=*)
