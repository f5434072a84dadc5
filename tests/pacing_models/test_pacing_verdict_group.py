"""Calls answered and awaiting AMD's verdict are read with their own odds (issue 16).

With AMD an answered call needs an agent at the verdict, seconds after its answer, with
P(person or missed machine | answered); read with the ringing calls' odds (a few per cent
in the next seconds) these calls under-stated the imminent demand. The forecast now has a
group for them (``PacingState.verdict_elapsed``, ``tables.build_verdict_table``).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.estimators import RING_GRID_STEP, VerdictDelays
from pacing_models.forecast import CompactTables, Forecast, plan
from pacing_models.interface import AttemptResult, PacingState
from pacing_models.predictive import PredictivePolicy
from pacing_models.tables import build_verdict_table

_K = 10

_rising = st.lists(st.floats(0.0, 1.0), min_size=_K, max_size=_K).map(
    lambda xs: np.maximum.accumulate(np.asarray(xs)))
"""A cumulative probability at each instant (non-decreasing)."""


def _row(p: np.ndarray) -> np.ndarray:
    return np.concatenate([-p, p * (1.0 - p)])[None, :]


@settings(max_examples=200, deadline=None)
@given(ring=_rising, extra=st.lists(st.floats(0.0, 1.0), min_size=_K, max_size=_K),
       others=st.lists(st.floats(0.0, 30.0), max_size=6), free=st.integers(0, 5),
       waiting=st.integers(0, 3))
def test_a_call_awaiting_the_verdict_never_lowers_the_demand_where_its_odds_are_higher(
        ring: np.ndarray, extra: list[float], others: list[float], free: int,
        waiting: int) -> None:
    """The same call listed as awaiting the verdict, whose P(needs an agent by t_k) is at
    least its ringing row's at every instant, gives at least the same expected demand
    against supply at every instant (the other items unchanged)."""
    verdict = np.minimum(1.0, ring + np.asarray(extra) * (1.0 - ring))
    # Ring table: row 0 the call's ringing odds, row 1 the other ringing calls' (a few %).
    other = np.linspace(0.01, 0.05, _K)
    ring_rows = np.vstack([_row(ring), _row(other)])
    busy = np.vstack([_row(np.linspace(0.0, 0.3, _K)) * np.array([-1.0] * _K + [1.0] * _K)])
    profile = np.linspace(0.0, 0.2, _K)
    tables = CompactTables(ring_rows, busy, busy, profile, profile * (1.0 - profile), 0.2,
                           1.0, 1.0, verdict=_row(verdict))
    rest = [1.0] * len(others)  # the other ringing calls read row 1
    as_ringing = np.array([0.0, *rest, *others])
    as_verdict = np.array([*rest, 0.0, *others])
    before = Forecast.build(tables, free, waiting, as_ringing, 1 + len(rest), len(others))
    after = Forecast.build(tables, free, waiting, as_verdict, len(rest), len(others), 1)
    assert np.all(after.gap >= before.gap - 1e-12)
    if np.all(verdict <= 0.5):  # its variance then grows with its odds too
        assert after.expected_abandons(tables, 0) >= before.expected_abandons(tables, 0) - 1e-12
    # The fused decision reads the same groups.
    fused = plan(tables, free, waiting, as_verdict, len(rest), len(others), 0.01, 50, 1)
    assert math.isclose(fused[2], after.expected_abandons(tables, 0), rel_tol=1e-9,
                        abs_tol=1e-12)


def test_the_verdict_table_puts_the_answer_at_the_verdict() -> None:
    """Verdicts 3 s after the answer: a call answered 1 s ago needs an agent, with
    P(person or missed machine | answered), 2 s from now and not before; one answered
    longer ago than any verdict is overdue and reads nothing."""
    delays = VerdictDelays()
    for i in range(500):
        delays.observe(3.0, float(i))
    slots = 20
    table = build_verdict_table(delays.cdf(), 0.4, 0.05, slots).table
    row = round(1.0 / RING_GRID_STEP)
    before_verdict, after_verdict = table[row, 1], table[row, 4]  # by 1 s, by 2.5 s
    assert before_verdict < 0.01
    assert math.isclose(after_verdict, 0.45, abs_tol=0.01)
    assert np.all(table[-1] == 0.0)


def test_the_policy_learns_the_verdict_delay_and_reads_the_group() -> None:
    """A warmed policy told 3-s verdicts sees more expected abandons with six calls
    answered a second ago and awaiting the verdict than with the same calls listed as
    ringing since their dial (as the engine listed them before)."""
    policy = PredictivePolicy()
    rng = np.random.default_rng(5)
    at = 0.0
    for i in range(600):
        at += 1.0
        result = (AttemptResult.LIVE, AttemptResult.MACHINE, AttemptResult.NO_ANSWER)[i % 3]
        if result is not AttemptResult.NO_ANSWER:
            policy.observe_verdict(3.0, at)
        # Ring times to the verdict spread over 6–20 s.
        policy.observe_attempt(result, float(rng.uniform(6.0, 20.0))
                               if result is not AttemptResult.NO_ANSWER else 25.0, at)
    for _ in range(100):
        policy.observe_handle(180.0, 15.0, at)
    assert policy.verdict_delays.observed == 400

    def state(ringing: tuple[float, ...], verdict: tuple[float, ...]) -> PacingState:
        return PacingState(now=at + 1.0, agents_free=0,
                           busy_elapsed=tuple(float(5 * i) for i in range(10)),
                           ringing_elapsed=ringing, verdict_elapsed=verdict,
                           live_answers_in_window=5000, abandons_in_window=50,
                           agents_logged_in=10)

    ringing = policy.decide(state((11.0,) * 6, ())).explanation  # answered at 10 s
    awaiting = policy.decide(state((), (1.0,) * 6)).explanation
    assert "awaiting AMD 6" in awaiting

    def base(text: str) -> float:
        return float(text.split("E[abandons] ")[1].split(" ")[0])

    assert base(awaiting) > base(ringing)
