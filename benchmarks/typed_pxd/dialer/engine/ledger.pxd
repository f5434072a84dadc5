# Augmenting declarations of dialer/engine/ledger.py for `benchmarks/compile_trial.py --typed`
# (native classes; fields Python objects, a few typed dict or list): docs/engine.md,
# "Typed compiled state".

cdef class AbandonLedger:
    cdef public object _entries
    cdef public object abandons
    cdef public object live_answers
    cdef public object shared_abandons
    cdef public object shared_live_answers
    cdef public object window

