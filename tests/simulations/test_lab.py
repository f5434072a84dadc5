"""The simulation lab: scenario loading, determinism.

The closed-form checks live in test_progressive_renewal.py and test_inbound_erlang.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulations.errors import ScenarioError
from simulations.metrics import replicate
from simulations.scenario import load_scenario, scenario_from_tables


def _tables(agents: int = 3, live: float = 0.3, talk: float = 60.0, wrap: float = 10.0,
            hours: float = 1.0) -> dict:
    return {
        "campaign": {"agents": agents, "shift_hours": hours, "connect_window": 2.0},
        "callees": {"live_answer": live, "busy": 0.1,
                    "time_to_answer": {"dist": "fixed", "value": 8.0},
                    "no_answer_timeout": 20, "busy_time": 4,
                    "patience": {"dist": "fixed", "value": 1000.0}},
        "agents": {"talk": {"dist": "exponential", "mean": talk},
                   "wrap": {"dist": "fixed", "value": wrap}},
    }


def test_documented_example_loads() -> None:
    scenario = load_scenario(Path("simulations/scenarios/outbound.toml"))
    assert scenario.campaign.agents == 20
    assert scenario.machine_handle_time == 5.0
    assert scenario.population.talk.mean == pytest.approx(180.0)


def test_bad_key_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[callees]\nlive_answr = 0.2\n")
    with pytest.raises(ScenarioError, match=r"bad.toml.*\[callees\]\.live_answr"):
        load_scenario(path)


def test_same_seed_same_results() -> None:
    scenario = scenario_from_tables(_tables())
    assert replicate(scenario, "progressive", 1, 7) == replicate(scenario, "progressive", 1, 7)


def test_population_proportions() -> None:
    population = scenario_from_tables(_tables(live=0.3)).population
    kinds = population.draw_arrays(np.random.default_rng(1), 20000)["kind"]
    assert np.mean(kinds == 0) == pytest.approx(0.3, abs=0.015)
    assert np.mean(kinds == 2) == pytest.approx(0.1, abs=0.01)
