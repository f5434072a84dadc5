# Augmenting declarations of simulations/streams.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cimport cython

cdef class LeadFates:
    cdef public object _block_number
    cdef public dict _blocks
    cdef public object _busy_time
    cdef public object _columns
    cdef public list _edges
    cdef public object _greeting
    cdef public object _replication
    cdef public object _scenario
    cdef public object _seed

    # Once per attempt: the block's columns are lists (``_block``), indexed as lists.
    @cython.locals(u=list, ring=list, talk=list, patience=list, wrap=list, amd=list)
    cpdef fate(self, lead, hour=*)

cdef class InboundStream:
    cdef public object _callers
    cdef public object _gaps
    cdef public object _rng
    cdef public object _scenario

