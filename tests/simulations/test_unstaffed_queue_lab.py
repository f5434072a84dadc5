"""The simulator's path of a queue nobody can answer (``leave_when_unstaffed``): a scenario
whose floor empties (``agents_by_hour``: two agents in the first hour, none in the second,
the simulator pausing them "off shift") sends the queue's callers to voicemail at once, where
without the setting they wait on music until they give up."""

from __future__ import annotations

from typing import Any

import pytest

from simulations.driver import Simulation
from simulations.metrics import run_metrics
from simulations.scenario import ScenarioError, scenario_from_tables


def _tables(**queue: Any) -> dict[str, Any]:
    hours = [0] * 24
    hours[9] = 2
    return {
        "campaign": {"agents": 2, "agents_by_hour": hours, "shift_start_hour": 9,
                     "shift_hours": 2, "days": 1, "leads": 0},
        "agents": {"talk": {"dist": "exponential", "mean": 60.0}, "wrap": 5.0},
        "inbound": {"calls_per_hour": 40.0, "voicemail_message": 20.0,
                    "patience": {"dist": "exponential", "mean": 300.0}},
        "queues": [{"name": "q", "callback": {"enabled": False}, **queue}],
    }


def _run(**queue: Any) -> dict[str, Any]:
    scenario = scenario_from_tables(_tables(**queue))
    return run_metrics(scenario, Simulation(scenario, "progressive", 3, 0).run())["queues"][
        "queues"]["q"]


def test_callers_of_an_empty_floor_go_to_voicemail_at_once() -> None:
    left = _run(leave_when_unstaffed="paused")
    waited = _run()
    assert waited["voicemails"] == 0 and waited["abandoned"] >= 10
    assert left["voicemails"] >= 10 and left["abandoned"] < waited["abandoned"] / 3
    assert left["answered"] == waited["answered"]  # the first hour is the same


def test_a_scenario_with_an_unknown_value_is_refused() -> None:
    with pytest.raises(ScenarioError, match="leave_when_unstaffed"):
        scenario_from_tables(_tables(leave_when_unstaffed="sometimes"))
