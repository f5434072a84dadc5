"""Planning the campaign's current period against its end (47 CFR 64.1200(a)(7)(i): each
successive period measured whole while the campaign runs on; Ofcom's 24 hours make periods
days).

A new period has no answers of its own. Planned only against the answers it has seen, a
trusted model dialed each period's start as a cold start; planned against the answers the
previous period had over the stretch left, it spends the period's budget by its end, the
window's every-instant aim beside it.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacing_models.budget import AbandonBudget
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import PERIOD_PLAN_AIM, PacingState, period_plan_set_aim
from pacing_models.predictive import PredictivePolicy
from tests.pacing_models.test_pacing_policies import trained_predictive

R = 0.03
OFF = {"period_answers_share": 0.0}
"""No period plan: a period binds as a young window does."""
GUARD = {"period_answers_share": 0.5, "period_reserve_abandons": None}
"""The plan spending against the period's end from its 34th answer (r·L_p ≥ A_p + 1)."""


@given(st.integers(0, 20_000), st.floats(0.0, 1.0), st.floats(0.0, 50_000.0),
       st.floats(0.0, 0.03), st.sampled_from([0.0, 2.0, 4.0]), st.floats(0.0, 10.0))
def test_the_period_plan_ends_the_period_within_the_limit_z_deviations_ahead(
        live: int, share: float, answers_left: float, measured: float, z: float,
        reserve: float) -> None:
    """Whatever the period's counts, answers to come and AMD's rate: following the plan,
    the period's end is within the limit less the reserve with z Poisson deviations to
    spare, and the aim is within the cap."""
    abandons = int(share * R * live * 1.5)
    budget = AbandonBudget(z=z, reserve=reserve, aim_cap=0.8)
    p = budget.period_aim(live, abandons, R, answers_left, measured)
    assert 0.0 <= p <= 0.8 * (R - min(measured, R)) + 1e-12
    if p > 0.0:
        q = (p + measured) * answers_left
        slack = R * live - abandons - reserve
        assert q + z * math.sqrt(q) <= slack + R * answers_left + 1e-6 * (1 + q)


def test_a_new_period_with_answers_to_come_has_an_aim() -> None:
    budget = AbandonBudget(z=4.0, reserve=3.0, aim_cap=0.8)
    assert budget.setpoint(0, 0, R) == 0.0  # planned on its own answers: nothing
    assert budget.period_aim(0, 0, R, 1500.0) == pytest.approx(0.0152, abs=5e-4)
    assert budget.period_aim(0, 0, R, 0.0) == 0.0
    # An early run of abandons in the period is brought back at once (the cap on its rate).
    assert budget.period_aim(20, 2, R, 1500.0) < 0.1 * budget.period_aim(20, 0, R, 1500.0)


def _start_of_a_period(before: int, *, live: int = 40, abandons: int = 0) -> PacingState:
    """A decision near a period's start: the window holds the previous period's ``before``
    answers (at 2 %) and the period's own ``live`` and ``abandons`` (40 and none: they pay
    for one abandon, the plan's guard)."""
    window_abandons = int(0.02 * before) + abandons
    return PacingState(
        now=100.0, agents_free=3, busy_elapsed=(30.0,) * 7, ringing_elapsed=(2.0,) * 4,
        live_answers_in_window=live, abandons_in_window=abandons,
        window_live_answers=before + live, window_abandons=window_abandons,
        period_live_answers=live, period_abandons=abandons, agents_logged_in=10)


def _aim(policy: PredictivePolicy, s: PacingState) -> float:
    policy.decide(s)
    return policy._aim[0]


def test_a_trusted_model_plans_a_new_period_against_its_end() -> None:
    s = _start_of_a_period(before=1500)
    planned = _aim(trained_predictive(**GUARD), s)
    assert planned > 0.3 * R
    # Without the plan: a young window's aim (none).
    assert _aim(trained_predictive(**OFF), s) == 0.0
    # The more the previous period answered over the stretch left, the bolder the plan.
    assert _aim(trained_predictive(**GUARD), _start_of_a_period(before=300)) < planned
    # The default plan, held to the young margin on the period's own answers (two
    # abandons of reserve): nothing at 40 answers, a start once 80 pay for them.
    assert _aim(trained_predictive(), s) == 0.0
    later = _start_of_a_period(before=1500, live=80)
    assert 0.0 < _aim(trained_predictive(), later) < _aim(trained_predictive(**GUARD), later)


def test_the_plan_waits_until_one_more_abandon_keeps_the_portion_within_the_limit() -> None:
    """A campaign stopped for good right after an unlucky abandon is measured on the
    period's portion so far: the plan waits for the answers that pay for one (34 at 3 %)."""
    policy = trained_predictive(**GUARD)
    assert _aim(policy, _start_of_a_period(before=1500, live=0)) == 0.0
    assert _aim(policy, _start_of_a_period(before=1500, live=33)) == 0.0
    assert _aim(policy, _start_of_a_period(before=1500, live=34)) > 0.0
    assert _aim(policy, _start_of_a_period(before=1500, live=60, abandons=1)) == 0.0
    assert _aim(policy, _start_of_a_period(before=1500, live=67, abandons=1)) > 0.0


def test_a_young_model_and_a_first_period_stay_cautious() -> None:
    # A model whose handle-time fit is not yet trusted (a campaign's own cold start).
    for plan in (GUARD, {}):
        young = trained_predictive(ramp_handles=1000, **plan)
        assert _aim(young, _start_of_a_period(before=1500)) == 0.0
        # The campaign's first period: the window holds nothing before it.
        assert _aim(trained_predictive(**plan), _start_of_a_period(before=0)) == 0.0


def test_the_plan_never_aims_above_the_window_every_instant() -> None:
    """A window near its limit binds the plan whatever the period's answers to come."""
    s = _start_of_a_period(before=1500)
    tight = PacingState(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                           "window_abandons": 43})  # 1,540 answers, 43 abandons: 2.8 %
    budget = trained_predictive().budget
    window_aim = budget.setpoint(1540, 43, R)
    assert 0.0 < _aim(trained_predictive(**GUARD), tight) <= window_aim
    assert window_aim < 0.7 * _aim(trained_predictive(**GUARD), s)
    assert _aim(trained_predictive(), tight) <= window_aim


def test_the_share_is_checked() -> None:
    with pytest.raises(InvalidParameterError, match="period_answers_share"):
        PredictivePolicy(period_answers_share=1.5)


def test_an_explanation_says_when_the_period_plan_set_the_aim() -> None:
    """A supervisor sees why the aim is above the window's: the decision says the period
    plan set it, with the period's counts and the answers counted on to its end."""
    s = _start_of_a_period(before=1500)
    for plan in (GUARD, {"period_reserve_abandons": 1.0}):
        planned = trained_predictive(**plan).decide(s).explanation
        assert period_plan_set_aim(planned)
        assert f"{PERIOD_PLAN_AIM}: period 0/40, 750 more answers counted on" in planned
    # The default early aim (two abandons of reserve) once the period's answers pay for
    # them, beside a window with three. With the window's default reserve (two as well) the
    # early aim is the binding counts' own aim at a period's start, so the plan never lifts
    # it: the aim is that, and nothing says a plan set it.
    planned = trained_predictive(reserve_abandons=3.0).decide(
        _start_of_a_period(before=1500, live=80)).explanation
    assert f"{PERIOD_PLAN_AIM}: period 0/80, 750 more answers counted on" in planned
    default = trained_predictive().decide(_start_of_a_period(before=1500, live=80))
    assert not period_plan_set_aim(default.explanation)
    assert "aim 0.00%" not in default.explanation
    # Without the plan, or before it may spend (the period's answers pay for no abandon),
    # the aim is the window's and the explanation says nothing of a plan.
    assert not period_plan_set_aim(trained_predictive(**OFF).decide(s).explanation)
    early = _start_of_a_period(before=1500, live=20)
    assert not period_plan_set_aim(trained_predictive().decide(early).explanation)
    # A driver that counts no period: nothing to plan.
    unperiodic = PacingState(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                                "period_live_answers": None, "period_abandons": None})
    assert not period_plan_set_aim(trained_predictive().decide(unperiodic).explanation)


def test_the_early_aim_keeps_the_young_margin_on_the_period_answers() -> None:
    """With ``period_reserve_abandons`` the plan's aim is also held to the young window's
    every-instant aim on the period's own answers, k abandons of reserve: low among the
    period's first answers, never above the plan's, and nothing while k more abandons
    would take the portion so far over the limit (k = 1 here, to show the rule)."""
    guarded = trained_predictive(**GUARD)
    young = trained_predictive(period_reserve_abandons=1.0)
    one = AbandonBudget(z=4.0, reserve=1.0, aim_cap=0.8)
    for live, abandons in ((40, 0), (100, 0), (300, 2), (90, 1)):
        s = _start_of_a_period(before=1500, live=live, abandons=abandons)
        aim = _aim(young, s)
        assert 0.0 < aim <= min(_aim(guarded, s), one.setpoint(live, abandons, R)) + 1e-12
    assert _aim(young, _start_of_a_period(before=1500, live=40)) < 0.2 * _aim(
        guarded, _start_of_a_period(before=1500, live=40))
    for live, abandons in ((33, 0), (60, 1), (66, 1)):
        assert _aim(young, _start_of_a_period(before=1500, live=live, abandons=abandons)) == 0.0


def test_the_default_early_aim_holds_two_abandons_of_reserve() -> None:
    """The default plan (share 0.5, two abandons of reserve: a reserve of one left a
    period's running portion above the limit after a burst of three abandons,
    docs/pacing.md "Periods") spends nothing until the period's own answers pay for an
    abandon beyond its own and the two held back (r·L_p > A_p + 2: 67 answers at 3 %)."""
    guarded = trained_predictive(**GUARD)
    young = trained_predictive()
    assert (young.period_answers_share, young.period_reserve_abandons) == (0.5, 2.0)
    two = AbandonBudget(z=4.0, reserve=2.0, aim_cap=0.8)
    for live, abandons in ((70, 0), (150, 1), (300, 2)):
        s = _start_of_a_period(before=1500, live=live, abandons=abandons)
        aim = _aim(young, s)
        assert 0.0 < aim <= min(_aim(guarded, s), two.setpoint(live, abandons, R)) + 1e-12
        assert aim <= _aim(trained_predictive(period_reserve_abandons=1.0), s) + 1e-12
    for live, abandons in ((40, 0), (66, 0), (100, 1)):
        assert _aim(young, _start_of_a_period(before=1500, live=live, abandons=abandons)) == 0.0


def test_the_period_reserve_is_checked() -> None:
    with pytest.raises(InvalidParameterError, match="period_reserve_abandons"):
        PredictivePolicy(period_reserve_abandons=-1.0)
