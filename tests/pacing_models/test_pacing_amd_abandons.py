"""Abandons charged to AMD's machine verdicts: the budget pays for them, the bias loop does
not learn from them (issue 16).

People AMD classes as machines are hung up on, and people who hang up while AMD listens
never reach the agents' queue: the law counts both as abandoned, so they are in the window
the budget reads, but no forecast of people waiting for an agent places them. Read as the
model's own under-estimate they inflated its bias and cut the dial rate far below what the
budget allowed (docs/pacing.md, "With AMD").
"""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.budget import AbandonBudget
from pacing_models.interface import AttemptResult, PacingState
from pacing_models.predictive import PredictivePolicy


def _warmed(seed: int = 3) -> PredictivePolicy:
    rng = random.Random(seed)
    policy = PredictivePolicy()
    at = 0.0
    for i in range(600):
        at += 1.0
        ring = rng.lognormvariate(2.1, 0.4)
        result = AttemptResult.LIVE if i % 5 == 0 else (
            AttemptResult.MACHINE if i % 5 == 1 else AttemptResult.NO_ANSWER)
        policy.observe_attempt(result, ring if result is not AttemptResult.NO_ANSWER
                               else 25.0, at)
    for _ in range(100):
        policy.observe_handle(rng.lognormvariate(5.0, 0.5), 15.0, at)
    return policy


_STEPS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 2), st.integers(0, 2),
                            st.integers(0, 10), st.integers(0, 10)),
                  min_size=1, max_size=60)
"""Per decision: new live answers, the model's abandons, AMD's abandons, agents free,
calls ringing."""


def _state(now: float, live: int, abandons: int, amd: int, free: int, ringing: int,
           report_amd: bool) -> PacingState:
    return PacingState(
        now=now, agents_free=free, busy_elapsed=tuple(float(10 + 7 * i) for i in range(20)),
        ringing_elapsed=tuple(float(i % 20) for i in range(ringing)),
        live_answers_in_window=live, abandons_in_window=abandons, abandon_target=0.03,
        agents_logged_in=20 + free, amd_abandons=amd if report_amd else 0)


@settings(max_examples=40, deadline=None)
@given(steps=_STEPS, start=st.integers(400, 5000))
def test_amd_abandons_never_raise_the_bias(steps: list, start: int) -> None:
    """Two campaigns see the same model abandons; one also has AMD's abandons in its
    window, reported as such. Their bias estimates agree at every decision, and a campaign
    whose AMD abandons are not reported (the old ledger) never has a lower bias."""
    plain, amd_aware, unreported = _warmed(), _warmed(), _warmed()
    live, own, amd = start, int(start * 0.01), 0
    for index, (answers, model, charged, free, ringing) in enumerate(steps):
        live += answers + charged
        own += model
        amd += charged
        now = 1000.0 + index
        plain.decide(_state(now, live - amd, own, 0, free, ringing, True))
        amd_aware.decide(_state(now, live, own + amd, amd, free, ringing, True))
        unreported.decide(_state(now, live, own + amd, amd, free, ringing, False))
        assert math.isclose(amd_aware._realised, plain._realised, abs_tol=1e-9)
        assert amd_aware.bias <= unreported.bias + 1e-12


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(0.0, 0.05), live=st.integers(0, 20_000),
       spent=st.floats(0.0, 1.2), cap=st.floats(0.05, 1.0), z=st.floats(0.0, 6.0))
def test_the_models_share_of_the_aim_stays_within_the_cap_of_what_amd_leaves(
        rate: float, live: int, spent: float, cap: float, z: float) -> None:
    """The aim the budget gives with AMD's abandons (rate f per live answer) leaves the
    model at most cap × (r − f), and never more than the plain budget would minus f's
    claim when f is zero."""
    policy = PredictivePolicy(aim_cap=cap, margin_z=z)
    target = 0.03
    abandons = int(spent * target * live)
    budget = policy._budget_for(rate, target)
    setpoint = budget.setpoint(live, abandons, target)
    assert setpoint <= target + 1e-12
    assert setpoint - rate <= cap * max(0.0, target - rate) + 1e-12 or setpoint <= rate
    if rate == 0.0:
        assert setpoint == policy.budget.setpoint(live, abandons, target)
    # The window's own slack still binds: a spent window allows nothing.
    if AbandonBudget(z, 200.0, cap, 3.0).spent(live, abandons, target):
        assert setpoint == 0.0


def test_amd_abandons_take_their_share_of_the_aim_first() -> None:
    """A window whose abandons are all AMD's, at about its recent rate: the model aims at
    the setpoint less that rate (its explanation says so), and at nothing once AMD's rate
    reaches the setpoint."""
    policy = _warmed()
    live, amd = 4000, 0
    for second in range(400):
        live += 1
        if second % 50 == 0:
            amd += 1
        decision = policy.decide(_state(2000.0 + second, live, amd, amd, 2, 10, True))
    rate = policy._unforecast_rate
    assert 0.015 < rate < 0.025
    assert "aim" in decision.explanation
    setpoint = policy._budget_for(rate, 0.03).setpoint(live, amd, 0.03)
    ramp = min(1.0, policy.talk.count / policy.ramp_handles)
    expected = max(0.0, setpoint - rate) * ramp / policy.bias
    assert f"aim {expected:.2%}" in decision.explanation
