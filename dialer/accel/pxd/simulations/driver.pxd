# Augmenting declarations of simulations/driver.py for the compiled engine (`dialer accel build`):
# native classes, their fields Python objects (a few typed dict or list); docs/engine.md,
# "Typed compiled state" and "Eleventh step".

cimport cython

from dialer.commands cimport AttemptFinished, Bridge, Originate
from simulations.streams cimport LeadFates

# A simulated call (one per attempt): native, built by ``SimCall.__new__`` in
# ``_originate`` and its fields stored directly. Its fields in the order of the declaration
# (Cython makes its dataclass from this order: tests/dialer/engine/test_native_records.py).
@cython.freelist(64)
cdef class SimCall:
    cdef public object kind
    cdef public object talk
    cdef public object patience
    cdef public object wrap
    cdef public object amd_error
    cdef public object inbound
    cdef public object answered_at
    cdef public object bridged
    cdef public object ended
    cdef public object classed_machine

cdef class Simulation:
    # Instance attributes besides the fields: a benchmark wraps methods on the instance
    # (benchmarks/pacing_idle.py sets simulation._finish and _answer).
    cdef dict __dict__
    cdef public dict _actions
    cdef public list _entries
    cdef public object _answer_action
    cdef public object _busy_action
    cdef public object _closing
    cdef public object _dispose_action
    cdef public object _hour
    cdef public object _hour_at
    cdef public object _patience_from
    cdef public object _ring_out_action
    cdef public object _ring_out_at
    cdef public list _ring_out_calls
    cdef public object _ring_out_sequence
    cdef public object _pending
    cdef public object _refreeze
    cdef public object _schedule
    cdef public object _schedule_aside
    cdef public object _sequence
    cdef public object _shift
    cdef public object _staffed
    cdef public object _start_hour
    cdef public object _talk_end_action
    cdef public object _tick_action
    cdef public object _tick_at
    cdef public list agents
    cdef public object callers
    cdef public dict calls
    cdef public object engine
    cdef public LeadFates fates
    cdef public object inbound
    cdef public object kernel
    cdef public object leads
    cdef public object on_shift
    cdef public object scenario
    cdef public object tally

    # The hot loop's methods (docs/engine.md, "Sixteenth step"): typed, so that the records'
    # and the SimCall's fields are read and stored directly, not by generic attribute
    # look-ups; called positionally. Python subclasses and instances may still replace them
    # (tests/simulations/test_ring_out_entries.py, benchmarks/pacing_idle.py).
    cpdef _feed(self, event, then=*)

    @cython.locals(call=SimCall)
    cpdef _originate(self, Originate command)

    @cython.locals(call=SimCall)
    cpdef _busy(self, at, call_id)

    @cython.locals(call=SimCall)
    cpdef _ring_out(self, at, list call_ids)

    @cython.locals(call=SimCall)
    cpdef _answer(self, at, call_id)

    @cython.locals(call=SimCall)
    cpdef _bridge(self, Bridge command)

    @cython.locals(call=SimCall)
    cpdef _talk_end(self, at, call_id)

    cpdef _forget(self, AttemptFinished command)
