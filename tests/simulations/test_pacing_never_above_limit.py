"""Predictive pacing never leaves more people without an agent than the law allows.

Ground truth (the simulator's count of people who answered and found no agent within the
connect window), over random campaigns: few or many agents, few or many answers, machines
that take an agent's time (no AMD: its false positives are abandons that even progressive
dialing cannot avoid, so they are left out here). The runs are short, so this holds the
young-window safety (the budget's small-sample margin and its reserve); the quality suite
(benchmarks/pacing_quality.py) holds the long windows.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations.driver import Simulation
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables


@st.composite
def campaigns(draw: st.DrawFn) -> dict:
    live = draw(st.floats(0.05, 0.4))
    machine = draw(st.floats(0.0, 0.3))
    talk = draw(st.floats(30.0, 240.0))
    return {
        "campaign": {"agents": draw(st.integers(3, 30)),
                     "shift_hours": draw(st.sampled_from([0.5, 1.0, 1.5])),
                     "abandon_limit": draw(st.sampled_from([0.03, 0.05])),
                     "connect_window": 2.0},
        "callees": {"live_answer": live, "machine": machine, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": draw(st.floats(4, 15)),
                                       "sd": 4.0},
                    "no_answer_timeout": 25,
                    "patience": {"dist": "exponential", "mean": draw(st.floats(1.0, 20.0))}},
        "agents": {"talk": {"dist": "lognormal", "mean": talk, "sd": talk / 2},
                   "wrap": {"dist": "fixed", "value": draw(st.floats(0.0, 30.0))},
                   "machine_handle_time": draw(st.floats(2.0, 10.0))},
    }


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(campaigns(), st.integers(0, 1000))
def test_predictive_is_never_above_the_limit(tables: dict, seed: int) -> None:
    scenario = scenario_from_tables(tables)
    m = run_metrics(scenario, Simulation(scenario, "predictive", seed).run())
    assert m["max_window_abandon_rate"] <= scenario.campaign.abandon_limit, (
        m["abandoned"], m["live_answers"])


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(5, 12), st.floats(0.1, 0.3), st.sampled_from([1.0, 2.0]),
       st.sampled_from([{}, {"period_answers_share": 0.0},
                        {"period_answers_share": 0.5, "period_reserve_abandons": None}]),
       st.integers(0, 1000))
def test_predictive_is_never_above_the_limit_in_any_period_or_window(
        agents: int, live: float, window_days: float, plan: dict, seed: int) -> None:
    """Over several periods (Ofcom's 24 hours, or a shortened 30-day one: periods of the
    window's length from the first attempt), by default (the period plan held to the young
    margin on the period's own answers), without the period plan and with it spending from
    the period's 34th answer: by ground truth, every period and every rolling window, at
    every instant, within the limit."""
    from simulations.driver import DAY
    from simulations.period_truth import TimedSimulation, period_rates, worst_window

    periods = 3 if window_days == 1.0 else 2
    days = int(periods * window_days)
    scenario = scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 2.0, "days": days,
                     "abandon_limit": 0.03, "connect_window": 2.0,
                     "window_days": window_days},
        "callees": {"live_answer": live, "machine": 0.1, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 120.0, "sd": 60.0},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5.0},
    })
    sim = TimedSimulation(scenario, "predictive", seed, 0, dict(plan))
    sim.run()
    truth = sim.truth
    rates = period_rates(truth, window_days * DAY, periods)
    assert max(rates) <= 0.03, rates
    assert worst_window(truth, window_days * DAY) <= 0.03
    assert len(truth.answers) == sum(sim.tally.live_by_day)
    assert len(truth.abandons) == sum(sim.tally.abandoned_by_day)
