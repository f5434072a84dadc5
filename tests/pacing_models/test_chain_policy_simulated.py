"""The chain's policy on the simulator's campaigns (the quality suite's laws, two-hour days):
with its rails (budget, young window, batch guard) no window passes the 3 % limit, whether
it is given the cell's rates or learns them."""

from __future__ import annotations

import pytest

import pacing_models
from pacing_models.chain_policy import ChainPolicy, ChainRates
from simulations.driver import Simulation
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables

LIMIT = 0.03


def _scenario(agents: int, live: float, talk: float):
    """benchmarks/pacing_quality.py's cell, two hours of one day."""
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 2.0, "days": 1,
                     "abandon_limit": LIMIT, "connect_window": 2.0},
        "callees": {"live_answer": live, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": talk, "sd": talk / 2},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5.0},
    })


@pytest.mark.parametrize(("agents", "live", "talk", "oracle", "replication"), [
    (5, 0.35, 90.0, True, 0),
    (10, 0.35, 90.0, True, 1),
    (10, 0.10, 180.0, False, 0),
    (10, 0.20, 90.0, False, 2),
])
def test_no_window_passes_the_limit(monkeypatch, agents, live, talk, oracle,
                                    replication) -> None:
    made: list[ChainPolicy] = []

    def make(name: str, **params: object) -> ChainPolicy:
        policy = ChainPolicy(ChainRates.of_suite_cell(live, talk) if oracle else None,
                             agents=agents)
        made.append(policy)
        return policy

    monkeypatch.setattr(pacing_models, "make_policy", make)
    scenario = _scenario(agents, live, talk)
    tally = Simulation(scenario, "predictive", seed=1, replication=replication).run()
    metrics = run_metrics(scenario, tally)
    assert made and made[0].solves >= 1  # the chain's tables dialled, not only progressive
    assert metrics["live_answers"] > 100
    assert metrics["max_window_abandon_rate"] <= LIMIT
