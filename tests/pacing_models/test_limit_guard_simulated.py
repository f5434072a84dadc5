"""The abandonment-limit guard on the simulator's campaigns (the quality suite's cells,
on a two-hour day): where raw ``power`` at 3 lines per agent and raw ``adaptive`` break the
3 % limit, the same policies behind the guard keep every window within it."""

from __future__ import annotations

import pytest

from pacing_models.limit_guard import LimitGuard
from simulations.driver import Simulation
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables

LIMIT = 0.03


def _scenario(agents: int, live: float):
    """benchmarks/pacing_quality.py's cell (talk 180 s, wrap-up 15 s, patience mean 5 s),
    two hours of one day."""
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 2.0, "days": 1,
                     "abandon_limit": LIMIT, "connect_window": 2.0},
        "callees": {"live_answer": live, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5.0},
    })


def _worst_window(agents: int, live: float, policy: str, params: dict, guard: bool
                  ) -> tuple[float, int]:
    scenario = _scenario(agents, live)
    simulation = Simulation(scenario, policy, seed=1, replication=0, params=params)
    if guard:
        simulation.engine.policy = LimitGuard(simulation.engine.policy)
    tally = simulation.run()
    clamped = simulation.engine.policy.clamped if guard else 0
    return run_metrics(scenario, tally)["max_window_abandon_rate"], clamped


@pytest.mark.parametrize(("agents", "live", "policy", "params"), [
    (5, 0.35, "power", {"lines_per_agent": 3.0}),
    (10, 0.35, "power", {"lines_per_agent": 3.0}),
    (5, 0.10, "adaptive", {}),
    (10, 0.10, "adaptive", {}),
])
def test_the_guard_keeps_every_window_within_the_limit_where_the_raw_policy_breaks_it(
        agents: int, live: float, policy: str, params: dict) -> None:
    raw, _ = _worst_window(agents, live, policy, params, guard=False)
    assert raw > LIMIT, f"raw {policy} kept the limit ({raw:.2%}): the cell tests nothing"
    held, clamped = _worst_window(agents, live, policy, params, guard=True)
    assert held <= LIMIT, f"guarded {policy} abandoned {held:.2%} of live answers"
    assert clamped > 0
