# Augmenting declarations of dialer/engine/scheduler.py for `benchmarks/compile_trial.py --typed`
# (native classes; fields Python objects, a few typed dict or list): docs/engine.md,
# "Typed compiled state".

cdef class Lane:
    cdef public object logged_in
    cdef public object outbound
    cdef public object ready
    cdef public object switch_id

