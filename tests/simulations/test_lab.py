"""The simulation lab: scenario loading, determinism.

The closed-form checks live in test_progressive_renewal.py and test_inbound_erlang.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialer.commands import Originate
from simulations.driver import Simulation
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


def _fixed_scenario(patience: float = 1.0) -> object:
    return scenario_from_tables({
        "campaign": {"agents": 4, "shift_hours": 0.5},
        "callees": {"live_answer": 0.4, "busy": 0.1,
                    "time_to_answer": {"dist": "fixed", "value": 6.0},
                    "patience": {"dist": "fixed", "value": patience}},
        "agents": {"talk": {"dist": "fixed", "value": 30.0},
                   "wrap": {"dist": "fixed", "value": 7.0}},
    })


def test_a_bridged_person_talks_for_the_whole_talk_time() -> None:
    # Patience ends only a wait in silence: the engine must see every connected call last its
    # talk time (the pacing models learn handle times from it), however short the patience.
    simulation = Simulation(_fixed_scenario(patience=1.0), "progressive", 3)
    handles: list[tuple[float, float]] = []
    policy = simulation.engine.policy
    observe = policy.observe_handle

    def spy(talk: float, wrap: float, at: float) -> None:
        handles.append((talk, wrap))
        observe(talk, wrap, at)

    policy.observe_handle = spy  # type: ignore[method-assign]
    tally = simulation.run()
    assert tally.connects > 50 and len(handles) >= tally.connects - 4
    assert all(t == pytest.approx(30.0) and w == pytest.approx(7.0) for t, w in handles)


def test_closing_time_no_dial_after_the_shift_and_no_abandon_artefact() -> None:
    scenario = _fixed_scenario(patience=1.0)
    simulation = Simulation(scenario, "progressive", 4)
    originated: list[float] = []
    originate = simulation._originate

    def spy(command: Originate) -> None:
        originated.append(command.at)
        originate(command)

    simulation._actions[Originate] = spy
    tally = simulation.run()
    assert max(originated) < scenario.campaign.shift_hours * 3600.0
    # Lines still ringing at closing reach an agent: progressive never abandons.
    assert sum(tally.abandoned_by_day) == 0 and sum(tally.live_by_day) > 50
    # Agent time counts inside the shift only.
    assert tally.talk + tally.wrap <= 4 * scenario.campaign.shift_hours * 3600.0


def test_simulate_gives_the_same_figures_in_one_process_or_several(tmp_path: Path) -> None:
    # Replication r uses stream (seed, r) wherever it runs: --workers changes the wall time,
    # never the JSON (and policies keep their order and their own replications).
    import json

    from typer.testing import CliRunner

    import cli

    scenario = tmp_path / "s.toml"
    scenario.write_text(
        "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
        "busy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n\n[agents]\n"
        "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")
    outputs = []
    for workers in ("1", "2"):
        result = CliRunner().invoke(cli.app, [
            "simulate", str(scenario), "--policy", "progressive", "--policy", "predictive",
            "--replications", "3", "--seed", "7", "--json", "--workers", workers])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    policies = outputs[0]["policies"]
    assert list(policies) == ["progressive", "predictive"]
    assert policies["progressive"]["abandoned"]["mean"] == 0  # its own runs, not predictive's
    assert policies["predictive"]["replications"] == 3
