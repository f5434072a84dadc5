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

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pacing_models import make_policy
from pacing_models.budget import AbandonBudget
from pacing_models.forecast import Forecast
from pacing_models.interface import AttemptResult, PacingState
from pacing_models.predictive import PredictivePolicy
from pacing_models.tail import poisson_sf


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
       spent=st.floats(0.0, 1.2), cap=st.floats(0.05, 1.0), z=st.floats(0.0, 6.0),
       z_share=st.floats(0.0, 1.0))
def test_the_models_share_of_the_aim_stays_within_the_cap_of_what_amd_leaves(
        rate: float, live: int, spent: float, cap: float, z: float, z_share: float) -> None:
    """Beside AMD's abandons (rate f per live answer) the model's aim is at most
    cap × (r − f), nothing in a spent window, the plain setpoint without them, and never
    less than the plain setpoint less f (f's margin is at most the model's)."""
    z_f = z * z_share
    policy = PredictivePolicy(aim_cap=cap, margin_z=z, amd_margin_z=z_f)
    target = 0.03
    abandons = int(spent * target * live)
    aim, setpoint = policy._model_aim(live, abandons, target, rate)
    assert 0.0 <= aim <= cap * max(0.0, target - rate) + 1e-12
    assert setpoint <= target + 1e-12
    plain = policy.budget.setpoint(live, abandons, target)
    if rate == 0.0:
        assert (aim, setpoint) == (plain, plain)
    elif abandons <= cap * target * live:  # the window is not above the plain cap
        assert aim >= plain - rate - 1e-12
    if policy.budget.spent(live, abandons, target):
        assert aim == 0.0 and setpoint == 0.0


@settings(max_examples=300, deadline=None)
@given(slack=st.floats(0.1, 500.0), rate=st.floats(0.0, 0.03), z=st.floats(0.5, 6.0),
       z_share=st.floats(0.0, 1.0), answers=st.floats(1.0, 1e6))
def test_the_aim_beside_amd_keeps_each_margin_after_every_answer(
        slack: float, rate: float, z: float, z_share: float, answers: float) -> None:
    """Following a positive aim p beside f, after any n answers the expected abandons plus z
    standard deviations of the model's and z_f of f's stay within the slack plus r·n."""
    target, z_f = 0.03, z * z_share
    budget = AbandonBudget(z, 200.0, 1.0, 0.0)
    live = 100_000
    abandons = math.floor(target * live - slack)
    slack = budget.slack(live, abandons, target)
    p = budget.aim_beside(live, abandons, target, rate, z_f)
    assume(p > 0.0)  # at 0 the model adds nothing: f's own noise is no pacing's to avoid
    n = answers
    band = (p + rate) * n + math.sqrt((z * z * p + z_f * z_f * rate) * n)
    assert band <= slack + target * n + 1e-9 * (1.0 + target * n)


def test_the_aim_beside_amd_with_equal_margins_is_the_plain_setpoint_less_f() -> None:
    """z_f = z: the split margin is the plain one on the total (p + f = r ÷ (1 + z²/4s))."""
    budget = AbandonBudget(4.0, 200.0, 1.0, 3.0)
    for live, abandons, f in ((2000, 40, 0.02), (5000, 110, 0.018), (800, 15, 0.01)):
        plain = budget.setpoint(live, abandons, 0.03)
        assert math.isclose(budget.aim_beside(live, abandons, 0.03, f, 4.0),
                            max(0.0, plain - f), rel_tol=1e-9, abs_tol=1e-12)
        assert budget.aim_beside(live, abandons, 0.03, f, 2.0) >= plain - f - 1e-12


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
    aim, _ = policy._model_aim(live, amd, 0.03, rate)
    ramp = min(1.0, policy.talk.count / policy.ramp_handles)
    expected = aim * ramp / policy.bias
    assert f"aim {expected:.2%}" in decision.explanation


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2), st.integers(0, 20)),
                      min_size=1, max_size=40))
def test_amds_rate_is_remembered_in_answers_not_in_decisions(steps: list) -> None:
    """f, AMD's abandons per live answer, is the detector's and the people's, not the
    pacing's: two campaigns that see the same answers and AMD abandons agree on it however
    many decisions (quiet seconds, nothing new) fall between them, and with fewer answers
    than its memory it is the plain ratio of the two counts since the start."""
    busy, quiet = _warmed(), _warmed()
    live, amd, now_busy, now_quiet = 5000, 0, 1000.0, 1000.0
    first = (live, amd)
    for policy in (busy, quiet):  # where both start counting
        policy.decide(_state(999.0, live, amd, amd, 2, 5, True))
    for answers, charged, idle_decisions in steps:
        live += answers + charged
        amd += charged
        for policy, now in ((busy, now_busy), (quiet, now_quiet)):
            policy.decide(_state(now, live, amd, amd, 2, 5, True))
        now_busy += 1.0
        now_quiet += 1.0
        for _ in range(idle_decisions):  # decisions with nothing new
            quiet.decide(_state(now_quiet, live, amd, amd, 2, 5, True))
            now_quiet += 1.0
        assert math.isclose(busy._unforecast_rate, quiet._unforecast_rate, rel_tol=1e-9)
    seen = live - first[0]
    if seen:
        assert math.isclose(busy._unforecast_rate, (amd - first[1]) / seen, rel_tol=0.03)


_COLD_STEPS = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 2), st.integers(0, 1),
                                 st.integers(0, 12), st.integers(0, 30)),
                       min_size=1, max_size=40)
"""Per decision of a cold start: new live answers, AMD's abandons, the model's abandons,
agents free, calls ringing."""


@settings(max_examples=60, deadline=None)
@given(steps=_COLD_STEPS)
def test_a_window_at_its_limit_by_amds_abandons_alone_dials_only_for_its_free_agents(
        steps: list) -> None:
    """A cold start whose window AMD's abandons alone have put at or over the limit
    (A + 1 > r·L, every abandon AMD's) dials for the agents free now only: beyond
    progressive, only while P(more answers than free agents) ≤ young_risk (Poisson tail),
    as the free agents' look-ahead does. With one abandon of the model's own, or in a
    window with history this policy has not seen, such a window is progressive."""
    cold, history = _warmed(), _warmed()
    cold.decide(_state(999.0, 0, 0, 0, 3, 0, True))      # an empty window: a cold start
    # A window of 50 answers and one AMD abandon before this policy: history.
    history.decide(_state(999.0, 50, 1, 1, 3, 0, True))
    live, amd, own = 0, 0, 0
    for index, (answers, charged, model, free, ringing) in enumerate(steps):
        live += answers + charged + model
        amd += charged
        own += model
        window = _state(1000.0 + index, live, amd + own, amd, free, ringing, True)
        floor = make_policy("progressive").decide(window).calls_to_launch
        decision = cold.decide(window)
        if (amd + own) + 1 <= 0.03 * live:
            continue  # one more abandon keeps the window legal: the young window's rules
        seen = history.decide(_state(1000.0 + index, live + 50, amd + own + 1, amd + 1,
                                     free, ringing, True))
        if (amd + own + 1) + 1 > 0.03 * (live + 50):
            assert seen.calls_to_launch == floor
        if own or not amd:
            assert decision.calls_to_launch == floor
        elif decision.calls_to_launch > floor:
            assert "free agent(s) only" in decision.explanation
            tables = cold._compact
            demand = Forecast.build(tables, 0, window.answered_waiting,
                                    np.asarray(window.ringing_elapsed, dtype=float),
                                    len(window.ringing_elapsed), 0).gap[-1]
            expected = demand + decision.calls_to_launch * tables.new_call[-1]
            assert poisson_sf(free, expected) <= cold.young_risk * (1 + 1e-9)


def test_a_cold_start_over_its_limit_by_amd_alone_looks_ahead_for_its_free_agents() -> None:
    """4 AMD abandons among 133 answers (3.01 %) in a cold start's 12th minute: answers
    bring the window back, so it dials beyond progressive for its 20 free agents; the same
    window with one of the four the model's own is progressive."""
    cold, own = _warmed(), _warmed()
    for policy in (cold, own):
        policy.decide(_state(999.0, 0, 0, 0, 3, 0, True))
    amd = cold.decide(_state(1000.0, 133, 4, 4, 20, 5, True))
    floor = make_policy("progressive").decide(_state(1000.0, 133, 4, 4, 20, 5, True))
    assert amd.calls_to_launch > floor.calls_to_launch > 0
    assert "limit by AMD's abandons alone" in amd.explanation
    mine = own.decide(_state(1000.0, 133, 4, 3, 20, 5, True))
    assert mine.calls_to_launch == floor.calls_to_launch


def test_a_day_after_its_cold_start_a_window_is_no_longer_taken_as_seen_whole() -> None:
    """The same window at its limit by AMD's abandons a day after the cold start (answers may
    have left a 24-hour window, taking the model's abandons with them): progressive."""
    policy = _warmed()
    policy.decide(_state(999.0, 0, 0, 0, 3, 0, True))
    late = _state(999.0 + 86_400.0, 133, 4, 4, 20, 5, True)
    floor = make_policy("progressive").decide(late)
    assert policy.decide(late).calls_to_launch == floor.calls_to_launch
