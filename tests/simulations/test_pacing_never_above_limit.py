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
