"""The abandonment budget: abandons planned now are paid for by answers already observed."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.budget import AbandonBudget

LIMIT = 0.03


def _worst_gap(budget: AbandonBudget, live: int, abandons: int, target: float, aim: float,
               answers_left: float) -> float:
    """Lowest (line − band) over the answers to come: r·(L + n) − reserve − (A + p·n +
    z√(p·n)), on a geometric grid of n, the band's closest point n* and the period's end."""
    horizon = max(answers_left, budget.planning_answers)
    ns = [float(n) for n in np.geomspace(1.0, 1e9, 400)]
    if aim < target:
        ns.append(budget.z ** 2 * aim / (4.0 * (target - aim) ** 2))
    if math.isfinite(horizon):
        ns.append(horizon)
    ns = [n for n in ns if n <= horizon] + [0.0]
    line = target * live - budget.reserve - abandons
    # (r − p)·n, not r·n − p·n: with p within a hair of r and n ~ 1e14 the two products
    # cancel to a few hundredths. What is left is the aim's own rounding (an ulp or two of p,
    # times n), forgiven here: the band is kept up to the float the aim is.
    return min(line + (target - aim) * n - budget.z * math.sqrt(aim * n)
               + 4 * sys.float_info.epsilon * target * n for n in ns)


budgets = st.builds(
    AbandonBudget,
    z=st.floats(0.0, 6.0), planning_answers=st.floats(1.0, 2000.0),
    aim_cap=st.floats(0.05, 1.0), reserve=st.floats(0.0, 10.0),
)


@given(budgets, st.integers(0, 2_000_000), st.floats(0.0, 1.0), st.floats(0.001, 0.2),
       st.one_of(st.just(math.inf), st.floats(0.0, 1e7)))
@settings(max_examples=400, deadline=None)
def test_the_setpoint_never_plans_above_the_limit(
    budget: AbandonBudget, live: int, share: float, target: float, answers_left: float
) -> None:
    # Any window (L live answers, A ≤ L abandons) and any estimate of the answers left in
    # the period: the aim is only ever paid for by the window's own slack, and after every
    # answer to come the abandons planned, plus z Poisson standard deviations, stay within
    # the line (the limit less the reserve) that answer draws.
    abandons = round(share * live)
    aim = budget.setpoint(live, abandons, target, answers_left)
    assert 0.0 <= aim <= budget.aim_cap * target
    if aim > 0.0:
        assert abandons + budget.reserve < target * live
        assert _worst_gap(budget, live, abandons, target, aim, answers_left) >= -1e-6 * (
            1.0 + target * live)


def test_the_endless_aim_touches_the_band_at_its_closest_answer() -> None:
    budget = AbandonBudget(z=4.0)
    # s = 4 abandons of slack, z = 4: p = r ÷ (1 + 16 ÷ 16) = r ÷ 2, closest at n* = 800 ÷ 3.
    assert budget.covered_aim(4.0, LIMIT) == pytest.approx(LIMIT / 2)
    p = LIMIT / 2
    n_star = 16 * p / (4 * (LIMIT - p) ** 2)
    assert n_star == pytest.approx(800 / 3)
    assert 4.0 + LIMIT * n_star - p * n_star - 4.0 * math.sqrt(p * n_star) == pytest.approx(0.0)
    # The aim is the highest such: a little more and the band crosses the line there.
    q = p * 1.01
    assert 4.0 + (LIMIT - q) * n_star - 4.0 * math.sqrt(q * n_star) < 0.0
    # No slack, no aim; z = 0 aims at the limit itself.
    assert budget.covered_aim(0.0, LIMIT) == 0.0
    assert AbandonBudget(z=0.0).covered_aim(4.0, LIMIT) == pytest.approx(LIMIT)


def test_a_period_that_ends_soon_spends_its_savings() -> None:
    budget = AbandonBudget(z=4.0, planning_answers=200.0)
    endless = budget.covered_aim(20.0, LIMIT)
    # 200 answers left: the period's last answer binds, p·H + z√(p·H) = s + r·H.
    short = budget.covered_aim(20.0, LIMIT, answers_left=200.0)
    assert short > endless
    assert short * 200 + 4 * math.sqrt(short * 200) == pytest.approx(20.0 + LIMIT * 200)
    # Never spent over fewer answers than planning_answers, however close the end.
    assert budget.covered_aim(20.0, LIMIT, answers_left=5.0) == pytest.approx(short)
    # A far end changes nothing: the band's closest answer comes first.
    assert budget.covered_aim(20.0, LIMIT, answers_left=1e6) == pytest.approx(endless)


def test_a_long_window_lets_a_small_campaign_aim_higher_than_a_young_one() -> None:
    # The same 2 % so far: a young window (an hour of five agents, 400 answers) has 8
    # abandons, 1 within the limit less the reserve; 30 days of history (12,000 answers)
    # has 240, 117 within it. The slack decides the aim, not the window's age.
    budget = AbandonBudget(aim_cap=0.8)
    young = budget.setpoint(400, 8, LIMIT)
    long = budget.setpoint(12_000, 240, LIMIT)
    assert 0.0 < young < 0.4 * LIMIT
    assert long == pytest.approx(0.8 * LIMIT)
    # A young window's answers pay for no abandon beyond the reserve: progressive.
    assert budget.setpoint(100, 0, LIMIT) == 0.0
    assert not budget.spent(100, 0, LIMIT)


def test_a_window_that_spent_more_aims_lower() -> None:
    budget = AbandonBudget(aim_cap=1.0)
    aims = [budget.setpoint(5000, a, LIMIT) for a in (50, 100, 130, 140, 146)]
    assert aims == sorted(aims, reverse=True) and aims[-1] > 0.0
    assert budget.setpoint(5000, 147, LIMIT) == 0.0  # within the reserve: spent


def test_abandons_drawn_at_the_aim_never_take_a_day_over_the_limit() -> None:
    # The ideal walk: each live answer abandons with probability = the aim (a model without
    # error), 200 cold-start days of 1,450 answers (ten agents, live 0.20, 8 h). The window
    # stays within the limit after every answer (a campaign may stop at any moment), and
    # the budget is used, not hoarded.
    budget = AbandonBudget(aim_cap=0.8)
    rng = np.random.default_rng(16)
    spent = []
    for _ in range(200):
        live = abandons = 0
        for u in rng.random(1450):
            aim = budget.setpoint(live, abandons, LIMIT)
            live += 1
            abandons += bool(u < aim)
            assert abandons <= LIMIT * live
        spent.append(abandons / (LIMIT * live))
    assert 0.5 < float(np.mean(spent)) < 0.8


def test_a_small_campaign_with_history_dials_more_than_a_young_one_at_the_same_rate() -> None:
    # Five agents, two free, the rest on calls; the window at 2 %: 400 answers (a young
    # window) or 12,000 (30 days of history). The threshold loop aims at the setpoint, so
    # after a few minutes of decisions the campaign with history risks more per call.
    from dataclasses import replace

    from tests.pacing_models.test_pacing_policies import state, trained_predictive

    calls = {}
    for live, abandons in ((400, 8), (12_000, 240)):
        policy = trained_predictive()
        s = state(free=2, busy=(40.0, 90.0, 150.0), live=live, abandons=abandons)
        decisions = [policy.decide(replace(s, now=s.now + i)) for i in range(300)]
        calls[live] = decisions[-1].calls_to_launch
        assert f"window 2.00% of {live}" in decisions[-1].explanation
    assert calls[12_000] > calls[400]


@given(budgets, st.integers(0, 200_000), st.integers(0, 5_000), st.integers(1, 5_000),
       st.floats(0.001, 0.2), st.one_of(st.just(math.inf), st.floats(0.0, 1e6)))
@settings(max_examples=400, deadline=None)
def test_more_answers_never_lower_the_aim_and_more_abandons_never_raise_it(
    budget: AbandonBudget, live: int, abandons: int, more: int, target: float,
    answers_left: float,
) -> None:
    # The aim is a function of what the window has paid for: one more live answer adds r
    # to the slack and lowers the window's rate (the cap's bring-back), one more abandon
    # takes 1 from it. A rule that dialed more after an abandon, or less after answers,
    # would let noise in the ledger push the campaign towards the limit.
    abandons = min(abandons, live)
    aim = budget.setpoint(live, abandons, target, answers_left)
    tolerance = 1e-12 * target
    assert budget.setpoint(live + more, abandons, target, answers_left) >= aim - tolerance
    if abandons + more <= live:
        assert budget.setpoint(live, abandons + more, target, answers_left) <= aim + tolerance
    # The spent window is exactly where the slack is gone (after a first abandon).
    if budget.spent(live, abandons, target):
        assert aim == 0.0


@given(budgets, st.floats(0.0, 500.0), st.floats(0.0, 500.0), st.floats(0.001, 0.2),
       st.one_of(st.just(math.inf), st.floats(0.0, 1e6)))
@settings(max_examples=400, deadline=None)
def test_the_covered_aim_rises_with_the_slack_and_stays_below_the_limit_with_a_margin(
    budget: AbandonBudget, slack: float, extra: float, target: float, answers_left: float
) -> None:
    low = budget.covered_aim(slack, target, answers_left)
    high = budget.covered_aim(slack + extra, target, answers_left)
    assert 0.0 <= low <= high + 1e-12 * target
    if math.isinf(answers_left):
        # A rolling window never aims above the limit (a period's end may spend savings
        # faster; the setpoint's cap clips that), and with a margin stays below it,
        # whatever the slack: the band needs room to approach the line.
        assert high <= target
        if budget.z >= 0.1:
            assert high < target
