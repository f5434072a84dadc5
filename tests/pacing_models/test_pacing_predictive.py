"""The predictive policy: invariants in the domain's words, hand-built cases, a short simulation."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models import make_policy
from pacing_models.budget import AbandonBudget
from pacing_models.errors import InvalidParameterError
from pacing_models.forecast import Forecast
from pacing_models.interface import MIN_RING_SECONDS, PacingState
from pacing_models.predictive import PredictivePolicy, effective_window
from pacing_models.tail import poisson_sf
from tests.pacing_models.test_pacing_policies import state, states, trained_predictive


def frozen(policy: PredictivePolicy) -> PredictivePolicy:
    """Its online loops stopped, so every example sees the same threshold and bias."""
    policy._tuned_at = math.inf
    return policy


PREDICTIVE = frozen(trained_predictive())
UNTRUSTED = frozen(trained_predictive(ramp_handles=300))  # it has seen 200 calls
LOW, HIGH = frozen(trained_predictive(0.1)), frozen(trained_predictive(0.35))


def _fields(s: PacingState) -> dict:
    return {name: getattr(s, name) for name in PacingState.__slots__}


def _with(s: PacingState, **changes) -> PacingState:
    return PacingState(**{**_fields(s), **changes})


def _progressive(s: PacingState) -> int:
    return make_policy("progressive").decide(s).calls_to_launch


# --- invariants ------------------------------------------------------------------------------


@given(states, st.integers(0, 5000))
@settings(max_examples=60, deadline=None)
def test_never_launches_beyond_progressive_when_the_abandonment_budget_is_spent(
    s: PacingState, live: int
) -> None:
    # At or over the limit, only calls that each have a free agent waiting may be placed.
    spent = _with(s, live_answers_in_window=live, abandons_in_window=max(1, -(-3 * live // 100)))
    assert PREDICTIVE.decide(spent).calls_to_launch == _progressive(spent)


@given(states, st.integers(1, 40), st.floats(1.0, 5.0))
@settings(max_examples=60, deadline=None)
def test_never_more_lines_than_the_caps(
    s: PacingState, per_decision: int, per_agent: float
) -> None:
    policy = copy.deepcopy(PREDICTIVE)
    policy.max_calls_per_decision = per_decision
    policy.max_lines_per_agent = per_agent
    n = policy.decide(s).calls_to_launch
    assert n <= per_decision
    agents = s.agents_free + len(s.busy_elapsed) + len(s.wrap_elapsed)
    in_flight = len(s.ringing_elapsed) + s.answered_waiting
    assert n <= max(_progressive(s), int(per_agent * agents) - in_flight)


@given(states, st.integers(0, 200), st.integers(1, 100))
@settings(max_examples=60, deadline=None)
def test_launches_never_rise_as_the_window_abandon_rate_rises(
    s: PacingState, abandons: int, more: int
) -> None:
    live = max(s.live_answers_in_window, 1)
    fewer = _with(s, live_answers_in_window=live, abandons_in_window=abandons)
    worse = _with(fewer, abandons_in_window=abandons + more)
    # Decisions on one snapshot time do not learn, so both see the same policy.
    assert PREDICTIVE.decide(worse).calls_to_launch <= PREDICTIVE.decide(fewer).calls_to_launch


@given(states)
@settings(max_examples=40, deadline=None)
def test_with_no_agent_logged_in_it_dials_nothing(s: PacingState) -> None:
    nobody = _with(s, agents_free=0, busy_elapsed=(), wrap_elapsed=(), agents_logged_in=0)
    assert PREDICTIVE.decide(nobody).calls_to_launch == 0


@given(states)
@settings(max_examples=60, deadline=None)
def test_never_dials_below_progressive(s: PacingState) -> None:
    assert PREDICTIVE.decide(s).calls_to_launch >= _progressive(s)


@given(states, st.integers(1, 20))
@settings(max_examples=60, deadline=None)
def test_more_free_agents_never_mean_fewer_dials(s: PacingState, extra: int) -> None:
    more = _with(s, agents_free=s.agents_free + extra)
    assert PREDICTIVE.decide(more).calls_to_launch >= PREDICTIVE.decide(s).calls_to_launch


@given(states)
@settings(max_examples=50, deadline=None)
def test_a_higher_live_answer_rate_never_means_more_dials(s: PacingState) -> None:
    # Without a caller already waiting: one who waits with no agent in reach is abandoned
    # whatever is dialed (the deadline queue's reflection), and the agent freed after that
    # window can make a few more dials right for a high rate and not for a low one.
    s = _with(s, answered_waiting=0)
    assert HIGH.decide(s).calls_to_launch <= LOW.decide(s).calls_to_launch


@given(st.integers(0, 20_000), st.integers(0, 800), st.floats(0.001, 0.2))
@settings(max_examples=200)
def test_the_setpoint_stays_under_the_cap_and_is_zero_once_spent(
    live: int, abandons: int, target: float
) -> None:
    budget = AbandonBudget()
    r = budget.setpoint(live, abandons, target)
    assert 0.0 <= r <= budget.aim_cap * target
    # Spent (progressive) from ``reserve`` abandons before the limit: the calls in flight
    # when it is reached still abandon a few.
    if abandons > 0 and abandons + budget.reserve >= target * live:
        assert r == 0.0 and budget.spent(live, abandons, target)


def test_the_reserve_stops_the_model_a_few_abandons_before_the_limit() -> None:
    # 10,000 live answers at 3 %: 300 abandons allowed. At 297 the budget is spent with the
    # budget's reserve of 3, not without one; the model, whose reserve is 2 by default,
    # from 298 on, and it then dials progressive only.
    assert AbandonBudget().spent(10_000, 297, 0.03)
    assert not AbandonBudget(reserve=0.0).spent(10_000, 297, 0.03)
    assert not AbandonBudget().spent(10_000, 296, 0.03)
    assert PREDICTIVE.budget.reserve == 2.0
    assert not PREDICTIVE.budget.spent(10_000, 297, 0.03)
    assert "budget spent" not in PREDICTIVE.decide(
        state(free=10, busy=(60.0,) * 40, live=10_000, abandons=297)).explanation
    s = state(free=10, busy=(60.0,) * 40, live=10_000, abandons=298)
    decision = PREDICTIVE.decide(s)
    assert decision.calls_to_launch == _progressive(s)
    assert "budget spent" in decision.explanation
    with pytest.raises(InvalidParameterError, match="reserve"):
        AbandonBudget(reserve=-1.0)


@given(states, st.integers(34, 66))
@settings(max_examples=60, deadline=None)
def test_a_young_window_dials_ahead_only_on_calls_almost_sure_to_find_an_agent(
    s: PacingState, live: int
) -> None:
    # No abandon yet, and the answers pay for none beyond the reserve (r·L ≤ 2): every call
    # beyond progressive is one whose marginal abandonment probability is ≤ young_threshold,
    # so the decision's expected abandons stay ≤ that × p(live) × calls.
    young = _with(s, live_answers_in_window=live, abandons_in_window=0)
    decision = PREDICTIVE.decide(young)
    assert decision.calls_to_launch >= _progressive(young)
    p_live = PREDICTIVE._compact.live_answer if PREDICTIVE._compact else 1.0
    assert decision.expected_abandons <= (
        PREDICTIVE.young_threshold * p_live * decision.calls_to_launch + 1e-9)


@given(states, st.integers(0, 99), st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_a_young_window_where_one_more_abandon_would_break_the_limit_is_progressive(
    s: PacingState, live: int, abandons: int
) -> None:
    # A window whose answers pay for no abandon, where one more would put it over the limit
    # (r·L < A + 1): only progressive calls, look-ahead or not.
    tight = _with(s, live_answers_in_window=min(live, math.ceil(abandons / 0.03) - 1),
                  abandons_in_window=abandons)
    assert PREDICTIVE.decide(tight).calls_to_launch == _progressive(tight)
    tiny = _with(s, live_answers_in_window=live % 34, abandons_in_window=0)
    assert PREDICTIVE.decide(tiny).calls_to_launch == _progressive(tiny)

@given(states, st.integers(150, 400), st.integers(1, 12), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_a_young_window_whose_abandons_are_amds_looks_ahead_as_one_without_abandons(
    s: PacingState, live: int, abandons: int, own: int
) -> None:
    # With AMD a young window has abandons from its first minutes whatever the pacing
    # (false positives, people gone while it listens). While none is the model's own and
    # one more keeps the window legal (A + 1 ≤ r·L), it looks ahead like a window without
    # abandons: only calls almost sure to find an agent. One abandon of the model's own:
    # only the free agents' look-ahead (Poisson tail). A window that one more would take
    # over the limit: progressive.
    policy = frozen(trained_predictive())
    window = _with(s, live_answers_in_window=live, abandons_in_window=abandons,
                   amd_abandons=abandons - own)
    decision = policy.decide(window)
    if own == 0 and abandons + 1 <= 0.03 * live and "young window" in decision.explanation:
        p_live = policy._compact.live_answer if policy._compact else 1.0
        assert decision.expected_abandons <= (
            policy.young_threshold * p_live * decision.calls_to_launch + 1e-9)
    elif abandons + 1 > 0.03 * live:
        assert "young window" not in decision.explanation
    elif own > 0 and "young window" in decision.explanation:
        assert "free agent(s) only" in decision.explanation


def test_amd_abandons_alone_do_not_stop_the_young_look_ahead() -> None:
    # 200 answers, 5 abandons, all AMD's: the answers pay for no abandon beyond the reserve
    # (6 − 5 < 3), and one more keeps the window legal (6 ≤ 6): the young window looks
    # ahead. With one of them the model's own, only for the free agents, and never more;
    # with a sixth abandon it is progressive.
    s = state(free=20, busy=(30.0,) * 30, ringing=(3.0,) * 5, live=200, abandons=5)
    amd = frozen(trained_predictive()).decide(_with(s, amd_abandons=5))
    assert amd.calls_to_launch > _progressive(s) > 0
    assert "young window" in amd.explanation
    own = frozen(trained_predictive()).decide(_with(s, amd_abandons=4))
    assert _progressive(s) <= own.calls_to_launch <= amd.calls_to_launch
    assert "free agent(s) only" in own.explanation
    sixth = _with(s, abandons_in_window=6, amd_abandons=6)
    assert frozen(trained_predictive()).decide(sixth).calls_to_launch == _progressive(sixth)

@given(states, st.integers(34, 133), st.integers(0, 3))
@settings(max_examples=80, deadline=None)
def test_a_young_window_with_an_abandon_dials_only_what_the_free_agents_can_take(
    s: PacingState, live: int, abandons: int
) -> None:
    # After an abandon (or before the handle-time fit is trusted) a young window still
    # dials ahead, but only while the chance that the answers of every call ringing and
    # dialed now outnumber the agents free now stays ≤ young_risk (Poisson tail): agents on
    # a call or in wrap-up count for nothing.
    young = _with(s, live_answers_in_window=live, abandons_in_window=abandons)
    if not abandons + 1 <= 0.03 * live <= abandons + PREDICTIVE.budget.reserve:
        return  # one more abandon breaks the limit (above), or the answers pay for some
    policy = PREDICTIVE if abandons else UNTRUSTED
    decision = policy.decide(young)
    floor = _progressive(young)
    assert decision.calls_to_launch >= floor
    if decision.calls_to_launch > floor:
        tables = policy._compact
        demand = Forecast.build(tables, 0, young.answered_waiting,
                                np.asarray(young.ringing_elapsed, dtype=float),
                                len(young.ringing_elapsed), 0).gap[-1]
        expected = demand + decision.calls_to_launch * tables.new_call[-1]
        assert poisson_sf(young.agents_free, expected) <= policy.young_risk * (1 + 1e-9)
        assert "free agent(s) only" in decision.explanation


# --- hand-built cases ------------------------------------------------------------------------


def test_a_young_window_aims_low_and_the_margin_shrinks_as_it_fills() -> None:
    budget = AbandonBudget()
    assert budget.setpoint(0, 0, 0.03) == 0.0  # nothing learnt: progressive
    at = [budget.setpoint(live, round(0.02 * live), 0.03) for live in (500, 2000, 20_000)]
    assert at[0] < at[1] < at[2] <= budget.aim_cap * 0.03
    # Budget saved earlier is spent (up to the cap), budget overspent is held back.
    assert budget.setpoint(5000, 50, 0.03) > budget.setpoint(5000, 140, 0.03)


def test_a_young_window_looks_ahead_for_idle_agents_and_can_be_switched_off() -> None:
    # 20 idle agents, 5 calls ringing, 60 answers in the window and no abandon: the answers
    # pay for no abandon yet (r·L = 1.8 < 3 reserve), but dialing a few calls per idle agent
    # risks almost nothing, so the young window does; with young_threshold=0 it waits.
    s = state(free=20, busy=(30.0,) * 30, ringing=(3.0,) * 5, live=60, abandons=0)
    decision = PREDICTIVE.decide(s)
    assert decision.calls_to_launch > _progressive(s) > 0
    assert "young window" in decision.explanation
    waiting = frozen(trained_predictive(young_threshold=0.0))
    plain = waiting.decide(s)
    assert plain.calls_to_launch == _progressive(s)
    assert "pay for no abandon" in plain.explanation
    # Before the handle-time fit is trusted (ramp_handles calls): only for the free
    # agents (a Poisson tail, agents on a call count for nothing).
    untrusted = UNTRUSTED.decide(s)
    assert untrusted.calls_to_launch > _progressive(s)
    assert "free agent(s) only" in untrusted.explanation
    assert frozen(trained_predictive(ramp_handles=300, young_risk=0.0)).decide(
        s).calls_to_launch == _progressive(s)
    # Fewer answers than one abandon's worth (r·L < 1): progressive, look-ahead or not.
    assert PREDICTIVE.decide(state(free=20, busy=(30.0,) * 30, live=33,
                                   abandons=0)).calls_to_launch == 20
    with pytest.raises(InvalidParameterError):
        PredictivePolicy(young_threshold=0.02)
    with pytest.raises(InvalidParameterError, match="young_risk"):
        PredictivePolicy(young_risk=0.5)

def test_cold_start_is_progressive() -> None:
    cold = PredictivePolicy()
    decision = cold.decide(state(free=10, busy=(30.0,) * 40))
    assert decision.calls_to_launch == 10
    assert "warming up" in decision.explanation


def test_idle_agents_and_low_answer_rate_overdial() -> None:
    # 10 idle agents, nothing ringing, 20 % live answers: dial beyond one per agent, but not
    # so far that every call answers into an empty room (10 agents / 0.2 = 50 expected).
    n = PREDICTIVE.decide(state(free=10, busy=(60.0,) * 40)).calls_to_launch
    assert 15 <= n <= 60


def test_over_the_limit_falls_back_to_progressive() -> None:
    s = state(free=10, busy=(60.0,) * 40, live=1000, abandons=40)  # 4 % > 3 %
    decision = PREDICTIVE.decide(s)
    assert decision.calls_to_launch == 10
    assert "budget spent" in decision.explanation


def test_enough_calls_ringing_means_no_new_dials() -> None:
    # 3 free agents, 200 calls ringing for 2 s: ~40 live answers coming, nobody to take them.
    s = state(free=3, busy=(10.0,) * 47, ringing=(2.0,) * 200)
    assert PREDICTIVE.decide(s).calls_to_launch == 0
    tables = PREDICTIVE._tables(s)
    elapsed = _array(s.ringing_elapsed + s.busy_elapsed)
    forecast = Forecast.build(tables, 3, 0, elapsed, len(s.ringing_elapsed), len(s.busy_elapsed))
    assert forecast.expected_abandons(tables, 0) > 1.0


def test_agents_about_to_finish_justify_dials() -> None:
    # No agent free now, but 10 agents are 13 s into a 15 s wrap-up: free long before a call
    # dialed now is answered, so predictive dials for them; progressive cannot.
    finishing = state(free=0, busy=(5.0,) * 40, wrap=(13.0,) * 10)
    starting = state(free=0, busy=(5.0,) * 40, wrap=(0.0,) * 10)
    assert PREDICTIVE.decide(finishing).calls_to_launch > 0
    assert PREDICTIVE.decide(finishing).calls_to_launch >= PREDICTIVE.decide(
        starting).calls_to_launch
    assert _progressive(finishing) == 0


def test_agents_just_into_a_long_call_plus_wrap_justify_nothing() -> None:
    # Everyone needs at least the 15 s wrap-up after the call: nobody can be free within the
    # ~9 s a fresh dial takes to answer, so nothing is dialed.
    assert PREDICTIVE.decide(state(free=0, busy=(600.0,) * 50)).calls_to_launch == 0


def test_threshold_rises_while_the_model_expects_fewer_abandons_than_the_aim() -> None:
    policy = trained_predictive()
    start = policy.threshold
    for step in range(30):
        policy.decide(_with(state(free=2, busy=(60.0,) * 48, live=5000, abandons=50),
                            now=10_000.0 + step))
    assert policy.threshold > start


def test_model_bias_learns_from_realised_abandons() -> None:
    def bias_after(abandons_per_step: int) -> float:
        policy = trained_predictive()
        live = abandons = 0
        for step in range(50):
            live += 20
            abandons += abandons_per_step if step % 5 == 0 else 0
            s = state(free=5, busy=(60.0,) * 45, live=live, abandons=abandons)
            policy.decide(_with(s, now=10_000.0 + step))
        return policy.bias

    assert bias_after(3) > bias_after(0) >= 1.0


def test_patience_shortens_the_connect_window() -> None:
    assert effective_window(2.0, None) == 2.0
    assert effective_window(2.0, 5.0) == pytest.approx(5.0 * (1 - 2.718281828 ** -0.4))
    with pytest.raises(InvalidParameterError):
        PredictivePolicy(patience_mean=0.0)


def _array(values):
    import numpy as np

    return np.array(values, dtype=float)


# --- the compiled forecast and search --------------------------------------------------------


@given(states, st.floats(1e-4, 0.5), st.integers(0, 400))
@settings(max_examples=80, deadline=None)
def test_the_search_returns_the_largest_count_whose_marginals_stay_under_the_threshold(
    s: PacingState, threshold: float, cap: int
) -> None:
    # Brute force over every n ≤ cap against the compiled scan-gallop-bisect search. The
    # marginals E(n) − E(n − 1) rise with n (convexity); where floating point breaks a tie
    # the search may stop one short of the brute force, never beyond the threshold.
    from pacing_models.forecast import plan

    tables = PREDICTIVE._tables(s)
    elapsed = _array(s.ringing_elapsed + s.busy_elapsed + s.wrap_elapsed)
    ringing, busy = len(s.ringing_elapsed), len(s.busy_elapsed)
    forecast = Forecast.build(tables, s.agents_free, s.answered_waiting, elapsed, ringing, busy)
    n, chosen, base = forecast.largest_within(tables, threshold, cap)
    values = [forecast.expected_abandons(tables, calls) for calls in range(min(cap, 600) + 2)]
    assert 0 <= n <= cap
    assert base == pytest.approx(values[0])
    assert chosen == pytest.approx(values[n])
    assert all(values[i] - values[i - 1] <= threshold + 1e-12 for i in range(1, n + 1))
    if n < cap:
        assert values[n + 1] - values[n] > threshold - 1e-9
    # The fused call the policy makes gives the same answer.
    fused = plan(tables, s.agents_free, s.answered_waiting, elapsed, ringing, busy,
                 threshold, cap)
    assert fused == (n, chosen, base)


def test_the_forecast_sums_each_group_on_its_own_table() -> None:
    # One ringing call 2 s in, one agent 30 s into a call, one 3 s into wrap-up: the
    # compiled sums read row ⌊elapsed ÷ step⌋ of each group's table (clamped at the end).
    s = state(free=1, busy=(30.0,), wrap=(3.0,), ringing=(2.0,))
    tables = PREDICTIVE._tables(s)
    k = tables.instants
    forecast = Forecast.build(tables, 1, 0, _array((2.0, 30.0, 3.0)), 1, 1)
    ring_row = tables.ring[int(2.0 / tables.ring_step)]
    busy_row = tables.busy[int(30.0 / tables.agent_step)]
    wrap_row = tables.wrap[min(int(3.0 / tables.agent_step), tables.wrap.shape[0] - 1)]
    total = ring_row + busy_row + wrap_row
    assert forecast.gap == pytest.approx(-1.0 - total[:k])
    assert forecast.variance == pytest.approx(total[k:] + 1e-9)
    # An elapsed time beyond the table's last row reads the last row.
    old = Forecast.build(tables, 0, 0, _array((1e6,)), 0, 1)
    assert old.gap == pytest.approx(-tables.busy[-1][:k])


# --- a short simulation (the real engine under virtual time) ---------------------------------


def test_a_short_campaign_beats_progressive_within_the_limit() -> None:
    from simulations.driver import Simulation
    from simulations.metrics import run_metrics
    from simulations.scenario import scenario_from_tables

    scenario = scenario_from_tables({
        "campaign": {"agents": 20, "shift_hours": 1.5, "abandon_limit": 0.03},
        "callees": {"live_answer": 0.2, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 120.0, "sd": 60.0},
                   "wrap": {"dist": "fixed", "value": 15.0}},
    })
    results = {name: run_metrics(scenario, Simulation(scenario, name, seed=3).run())
               for name in ("progressive", "predictive")}
    predictive, progressive = results["predictive"], results["progressive"]
    assert predictive["talk_fraction"] > progressive["talk_fraction"] + 0.05
    assert predictive["max_window_abandon_rate"] <= 0.03


def test_building_the_policy_loads_the_compiled_forecast() -> None:
    # A live shift must not stall at its first model decision, minutes in with calls in
    # flight, while numba compiles or loads the kernels: building the policy does it.
    from pacing_models import forecast

    PredictivePolicy()
    for kernel in (forecast._plan, forecast.count_above, forecast._plan_since):  # decide()'s
        assert kernel.signatures, f"{kernel.__name__} not compiled when the policy is built"


# --- shedding late calls ---------------------------------------------------------------------


@given(states)
@settings(max_examples=80, deadline=None)
def test_a_decision_that_launches_nothing_sheds_the_calls_past_the_legal_ring(
    s: PacingState,
) -> None:
    """``hang_up_after`` (15 s, the law's minimum, by default): a decision that launches
    no call asks the engine to hang up the calls still ringing after that many seconds; one
    that launches calls asks nothing; never below the law's minimum (docs/pacing.md,
    "Shedding late calls")."""
    for policy, after in ((PREDICTIVE, MIN_RING_SECONDS), (LOW, MIN_RING_SECONDS)):
        decision = policy.decide(s)
        expected = after if decision.calls_to_launch == 0 else None
        assert decision.hang_up_ringing_after == expected
        assert expected is None or expected >= MIN_RING_SECONDS
    off = frozen(trained_predictive(hang_up_after=None))
    assert off.decide(s).hang_up_ringing_after is None


def test_the_shedding_delay_is_never_below_the_legal_ring() -> None:
    assert PredictivePolicy().hang_up_after == MIN_RING_SECONDS == 15.0
    assert PredictivePolicy(hang_up_after=20.0).hang_up_after == 20.0
    for bad in (14.9, 0.0, 601.0, math.nan):
        with pytest.raises(InvalidParameterError, match="hang_up_after"):
            make_policy("predictive", hang_up_after=bad)


def test_a_cold_policy_with_every_agent_covered_sheds_late_calls() -> None:
    s = state(free=1, ringing=(2.0, 16.0, 20.0))
    decision = PredictivePolicy().decide(s)
    assert decision.calls_to_launch == 0
    assert decision.hang_up_ringing_after == MIN_RING_SECONDS
