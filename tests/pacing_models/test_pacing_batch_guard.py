"""The predictive policy's batch guard: one decision's calls in flight never carry more
expected abandons (inflated by the model's bias and z Poisson deviations) than the window's
answers pay for, whatever the parameters or a state table do to the threshold, and never
fewer lines than progressive's (docs/pacing.md, "The batch guard")."""

from __future__ import annotations

import copy
import math

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pacing_models import make_policy
from pacing_models.budget import batch_room, guarded_abandons
from pacing_models.forecast import Forecast
from pacing_models.interface import PacingState
from pacing_models.state_thresholds import LOG_BOUND, StateThresholds
from tests.pacing_models.test_pacing_policies import state, trained_predictive

GUARD_Z = 2.0
"""The guard's z as docs/pacing.md states it (``predictive._BATCH_GUARD_Z``)."""

LOOSE = {"threshold_rate": 1.0, "margin_z": 0.0, "amd_margin_z": 0.0, "aim_cap": 1.0,
         "reserve_abandons": 0.0, "prior_bias": 1.0, "bias_pseudo_abandons": 0.01,
         "young_threshold": 0.01, "young_risk": 0.01, "max_lines_per_agent": 100.0}
"""Every margin at its loosest end: far outside the live envelope (the 8.16 % set)."""


def _policy(table: StateThresholds | None, log_threshold: float, **params):
    """A trained policy whose loop is stopped (every example sees the same λ and bias)."""
    policy = trained_predictive(**params)
    policy._log_threshold = log_threshold
    policy.state_thresholds = table
    # One decision at the examples' instant: the bias's per-decision decay is spent, and
    # later decisions at the same instant read the same bias.
    policy.decide(state(free=1, live=1000, abandons=0))
    policy._tuned_at = math.inf
    return policy


POLICIES = {
    "defaults": _policy(None, math.log(0.01)),
    "scaled table": _policy(StateThresholds((LOG_BOUND,) * 5, 0.0), math.log(0.9)),
    "loosest": _policy(StateThresholds((LOG_BOUND,) * 5, 0.0), math.log(0.9), **LOOSE),
    "loosest, no table": _policy(None, math.log(0.9), **LOOSE),
}


def _with(s: PacingState, **changes) -> PacingState:
    fields = {name: getattr(s, name) for name in PacingState.__slots__}
    return PacingState(**{**fields, **changes})


def _progressive(s: PacingState) -> int:
    return make_policy("progressive").decide(s).calls_to_launch


def _expected_abandons(policy, s: PacingState, calls: int) -> float:
    """E[abandons] of the calls in flight and ``calls`` new ones, by the policy's model."""
    tables = policy._tables(s)
    elapsed = np.array(s.ringing_elapsed + s.busy_elapsed + s.wrap_elapsed, dtype=float)
    forecast = Forecast.build(tables, s.agents_free, s.answered_waiting, elapsed,
                              len(s.ringing_elapsed), len(s.busy_elapsed))
    return forecast.expected_abandons(tables, calls)


ring = st.floats(0.0, 40.0, allow_nan=False)
near_the_limit = st.builds(
    lambda free, busy, ringing, waiting, live, room: state(
        free=free, busy=tuple(busy), ringing=tuple(ringing), waiting=waiting, live=live,
        abandons=max(0, math.floor(0.03 * live - room))),
    free=st.integers(0, 12),
    busy=st.lists(st.floats(0.0, 900.0, allow_nan=False), max_size=30),
    ringing=st.lists(ring, max_size=40),
    waiting=st.integers(0, 3),
    live=st.integers(100, 4000),
    # The window's slack r·L − A: from a fraction of one abandon to a few.
    room=st.floats(0.0, 6.0, allow_nan=False),
)


@given(near_the_limit, st.sampled_from(sorted(POLICIES)))
@settings(max_examples=150, deadline=None)
def test_a_decision_never_carries_more_expected_abandons_than_the_slack(
    s: PacingState, name: str
) -> None:
    policy = copy.deepcopy(POLICIES[name])
    bias = policy.bias
    decision = policy.decide(s)
    n = decision.calls_to_launch
    floor = _progressive(s)
    assert n >= floor
    event(f"{name}: " + ("cut" if "batch guard" in decision.explanation
                         else "above progressive" if n > floor else "progressive"))
    if n > floor:
        slack = s.abandon_target * s.live_answers_in_window - s.abandons_in_window
        guarded = guarded_abandons(_expected_abandons(policy, s, n), bias,
                                   getattr(policy, "batch_guard_z", GUARD_Z))
        assert guarded <= slack + 1e-9, (n, floor, guarded, slack, decision.explanation)


def _big_batch_policy():
    # A state table at its bound over the loop's ceiling: the threshold is above one person
    # per call, so the model takes every call up to the line cap (docs/pacing.md, "Policy
    # search over per-state thresholds": 240–300 calls in one decision, windows to 6.4 %).
    return _policy(StateThresholds((LOG_BOUND,) * 5, 0.0), math.log(0.9))


EIGHT_ON_A_CALL = state(free=0, busy=(30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 210.0, 240.0),
                        live=1000, abandons=25)
"""Eight agents on a call, none free, nothing ringing; a window of 25 abandons in 1,000
answers: 5 abandons of slack (3 beyond the reserve of two, so the budget has an aim)."""


def test_a_240_call_batch_is_cut_to_the_slack() -> None:
    raw = _big_batch_policy()
    raw.batch_guard_z = None
    assert raw.decide(EIGHT_ON_A_CALL).calls_to_launch == 240  # 30 lines × 8 agents

    policy = _big_batch_policy()
    decision = policy.decide(EIGHT_ON_A_CALL)
    n = decision.calls_to_launch
    assert 0 < n < 240
    expected = _expected_abandons(policy, EIGHT_ON_A_CALL, n)
    assert guarded_abandons(expected, policy.bias, 2.0) <= 5.0 + 1e-9
    # The largest such batch: one call more would be over the slack.
    more = _expected_abandons(policy, EIGHT_ON_A_CALL, n + 1)
    assert guarded_abandons(more, policy.bias, 2.0) > 5.0
    text = decision.explanation
    assert f"predictive: {n} call(s) (model 240, progressive 0)" in text
    assert f"batch guard: cut 240 → {n}, E[abandons] {expected:.3f}" in text
    assert "within slack 5.000" in text


def test_an_uncut_decision_does_not_mention_the_guard() -> None:
    policy = _policy(None, math.log(0.01))
    decision = policy.decide(EIGHT_ON_A_CALL)
    assert "batch guard" not in decision.explanation
    raw = _policy(None, math.log(0.01))
    raw.batch_guard_z = None
    assert raw.decide(EIGHT_ON_A_CALL).calls_to_launch == decision.calls_to_launch


def test_the_guard_keeps_progressive_calls_when_the_calls_in_flight_fill_the_slack() -> None:
    # Three agents free, a window at its limit to the last abandon but one: progressive's
    # three calls (each has an agent waiting) are kept, the model's extra ones are not.
    busy = tuple(float(30 * k) for k in range(1, 8))
    s = state(free=3, busy=busy, ringing=(1.0,) * 30, live=1000, abandons=29)
    decision = _big_batch_policy().decide(s)
    assert decision.calls_to_launch >= _progressive(s)


@given(st.floats(0.0, 1000.0, allow_nan=False), st.floats(1.0, 20.0),
       st.floats(0.0, 10.0, allow_nan=False))
def test_the_room_is_the_largest_expectation_within_the_slack(
    slack: float, bias: float, z: float
) -> None:
    room = batch_room(slack, bias, z)
    assert room >= 0.0
    assert guarded_abandons(room, bias, z) <= slack + 1e-9 * (1.0 + slack)
    if slack > 0.0:
        assert guarded_abandons(room * 1.001 + 1e-12, bias, z) > slack * (1.0 - 1e-9)
    assert batch_room(-slack - 1e-9, bias, z) == 0.0
