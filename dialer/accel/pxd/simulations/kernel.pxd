# Augmenting declarations of simulations/kernel.py for `benchmarks/compile_trial.py --typed`
# (native classes; fields Python objects, a few typed dict or list): docs/engine.md,
# "Typed compiled state".

cdef class Kernel:
    cdef public object _aside
    cdef public list _heap
    cdef public object _sequence
    cdef public object aside_at
    cdef public object now

