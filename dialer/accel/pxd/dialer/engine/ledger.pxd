# Augmenting declarations of dialer/engine/ledger.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cdef class AbandonLedger:
    cdef public object _entries
    cdef public object abandons
    cdef public object live_answers
    cdef public object shared_abandons
    cdef public object shared_live_answers
    cdef public object window

    cdef public object period_origin
    cdef public object period_start
    cdef public object period_end
    cdef public object period_live_answers
    cdef public object period_abandons
    cdef public object shared_period_live_answers
    cdef public object shared_period_abandons
    cdef public object _shared_period
    cdef public object live_answers_seen
    cdef public object abandons_seen
    cdef public object slack_claim
    cdef public object claim_base
    cdef public object claim_until
