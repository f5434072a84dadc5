# Augmenting declarations of dialer/engine/watch.py for `benchmarks/compile_trial.py --typed`
# (native classes; fields Python objects, a few typed dict or list): docs/engine.md,
# "Typed compiled state".

cdef class Watch:
    cdef public object _dials
    cdef public list _heap
    cdef public object _order
    cdef public object floor

