"""The estimators' per-attempt ``observe``, written out, keeps their state bit for bit.

``OutcomeMix.observe`` and ``RingTimes.observe`` run once per attempt with ``_advance``,
``_decay``, ``_outcome_index`` and ``_bin`` written out in them (four Python calls less per
attempt). The helpers stay for the other observations; here a twin fed through them, as
``observe`` was, must end with the very same doubles after any sequence: equal times,
times going back, gaps long enough to fold the scale in, an infinite half-life, ring times
below 0 and past the histogram's end.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pacing_models.estimators import OutcomeMix, RingTimes, _outcome_index
from pacing_models.interface import AttemptResult

_RESULTS = (
    AttemptResult.LIVE,
    AttemptResult.MACHINE,
    AttemptResult.NO_ANSWER,
    AttemptResult.BUSY,
    AttemptResult.FAILED,
)


def _mix_observe_through_helpers(mix: OutcomeMix, result: AttemptResult, at: float) -> None:
    mix._advance(at)
    mix._stored[_outcome_index(result)] += 1.0 / mix._scale
    mix.observed += 1
    mix.live_observed += result is AttemptResult.LIVE


def _ring_observe_through_helpers(
    ring: RingTimes, result: AttemptResult, ring_seconds: float, at: float
) -> None:
    if result is AttemptResult.NO_ANSWER:
        ring._observe_timeout(float(ring_seconds))
        return
    ring._advance(at)
    row = {AttemptResult.LIVE: 0, AttemptResult.MACHINE: 1}.get(result, 2)
    ring._stored[row, ring._bin(ring_seconds)] += 1.0 / ring._scale


def _hex(values: object) -> list[str]:
    return [float(v).hex() for v in np.asarray(values, dtype=float).ravel()]


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(_RESULTS),
        st.one_of(st.floats(-5.0, 130.0), st.sampled_from([0.0, -0.0, 119.99, 120.0])),
        # time steps: none, backwards, small, and long enough to fold the scale in
        st.one_of(
            st.just(0.0),
            st.floats(-50.0, 0.0),
            st.floats(0.0, 30.0),
            st.floats(100.0, 700.0),
            st.floats(1500.0, 3000.0),
        ),
        st.booleans(),  # then a machine routed to an agent (the other users of _advance)
    ),
    min_size=1,
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(_STEPS, st.sampled_from([1.0, 7.5, 3600.0, math.inf]))
# Attempts 300 s apart at a half-life of 7.5 s: the scale folds into the counts at the 17th.
@example(
    [
        (AttemptResult.LIVE, 8.0, 300.0, True),
        (AttemptResult.MACHINE, 4.5, 300.0, False),
        (AttemptResult.BUSY, -1.0, 300.0, False),
    ]
    * 8,
    7.5,
)
def test_written_out_observe_keeps_the_helpers_doubles(steps: list, half_life: float) -> None:
    mix, mix_twin = OutcomeMix(half_life=half_life), OutcomeMix(half_life=half_life)
    ring, ring_twin = RingTimes(half_life=half_life), RingTimes(half_life=half_life)
    at = 1000.0
    for result, ring_seconds, step, routed in steps:
        at += step
        mix.observe(result, at)
        _mix_observe_through_helpers(mix_twin, result, at)
        ring.observe(result, ring_seconds, at)
        _ring_observe_through_helpers(ring_twin, result, ring_seconds, at)
        if routed and result is AttemptResult.LIVE:
            for estimators in ((mix, ring), (mix_twin, ring_twin)):
                estimators[0].observe_machine_routed(at)
                estimators[1].move_to_machine(ring_seconds, at)
    assert _hex(mix._stored) == _hex(mix_twin._stored)
    assert (mix._scale, mix._last, mix._routed) == (
        mix_twin._scale,
        mix_twin._last,
        mix_twin._routed,
    )
    assert (mix.observed, mix.live_observed) == (mix_twin.observed, mix_twin.live_observed)
    assert _hex(ring._stored) == _hex(ring_twin._stored)
    assert (ring._scale, ring._last) == (ring_twin._scale, ring_twin._last)
    assert ring._timeouts == ring_twin._timeouts
    assert _hex(ring.cdfs()) == _hex(ring_twin.cdfs())
    assert _hex(mix.probabilities()) == _hex(mix_twin.probabilities())
