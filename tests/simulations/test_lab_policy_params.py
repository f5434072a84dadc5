"""``--policy name:k=v`` on dialer simulate and dialer sweep, ``--vary policy.k=...`` on sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from pacing_models.errors import InvalidParameterError
from pacing_models.params import parse_policy_specs
from simulations.driver import Simulation
from simulations.errors import SimulationError
from simulations.scenario import scenario_from_tables
from simulations.sweep import parse_vary, plan

SCENARIO = (
    "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
    "busy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n\n[agents]\n"
    "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    return path


def test_the_parameters_reach_the_engine_policy() -> None:
    from simulations.scenario import load_scenario  # noqa: F401 (the loader's import cost)

    world = scenario_from_tables({"campaign": {"agents": 2, "shift_hours": 0.1}})
    simulation = Simulation(world, "predictive", 1, 0, {"margin_z": 2.5, "aim_cap": 0.5})
    budget = simulation.engine.policy.budget  # type: ignore[attr-defined]
    assert (budget.z, budget.aim_cap) == (2.5, 0.5)


def test_simulate_labels_each_policy_entry_by_its_parameters(scenario: Path) -> None:
    result = CliRunner().invoke(cli.app, [
        "simulate", str(scenario), "--policy", "power:lines_per_agent=1",
        "--policy", "power:lines_per_agent=3", "--replications", "2", "--json",
        "--workers", "1"])
    assert result.exit_code == 0, result.output
    policies = json.loads(result.stdout)["policies"]
    assert list(policies) == ["power:lines_per_agent=1", "power:lines_per_agent=3"]
    # Three lines per free agent dial more and abandon; one line per agent never does.
    low, high = policies["power:lines_per_agent=1"], policies["power:lines_per_agent=3"]
    assert high["dials"]["mean"] > low["dials"]["mean"]
    assert low["abandoned"]["mean"] == 0 < high["abandoned"]["mean"]


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_a_bad_parameter_is_one_line_and_exit_1(scenario: Path, command: str) -> None:
    args = [command, str(scenario), "--policy", "predictive:aim_cap=1.5"]
    if command == "sweep":
        args += ["--vary", "agents=2,3"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: policy predictive: parameter aim_cap must be a number in "
                     "(0, 1], got 1.5"]


def test_sweep_varies_a_policy_parameter_beside_an_unvaried_policy(scenario: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    result = CliRunner().invoke(cli.app, [
        "sweep", str(scenario), "--vary", "power.lines_per_agent=1,3", "--policy", "power",
        "--policy", "progressive", "--replications", "1", "--workers", "1", "--json",
        "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [(r["policy"], r["power.lines_per_agent"]) for r in rows] == [
        ("power", 1.0), ("power", 3.0), ("progressive", None)]
    assert rows[1]["dials"] > rows[0]["dials"]
    assert rows[0]["abandoned"] == rows[2]["abandoned"] == 0  # one line per agent: none
    assert out.read_text().splitlines()[3].startswith(",progressive,")


def test_plan_multiplies_only_the_varied_policy() -> None:
    axes = parse_vary(["agents=2,4", "predictive.margin_z=2,3"])
    specs = parse_policy_specs(["predictive:aim_cap=0.6", "adaptive"])
    jobs = plan("s.toml", axes, specs, 1, 1)
    assert [(j.scenario_point["agents"], j.label, j.spec.params.get("margin_z"))
            for j in jobs] == [
        (2.0, "predictive:aim_cap=0.6", 2.0), (2.0, "predictive:aim_cap=0.6", 3.0),
        (2.0, "adaptive", None), (4.0, "predictive:aim_cap=0.6", 2.0),
        (4.0, "predictive:aim_cap=0.6", 3.0), (4.0, "adaptive", None)]
    assert jobs[1].spec.params == {"aim_cap": 0.6, "margin_z": 3.0}
    assert jobs[2].policy_point == {"predictive.margin_z": None}


@pytest.mark.parametrize(("vary", "policies", "error", "expected"), [
    (["predictive.margin_z=2,-1"], ["predictive"], InvalidParameterError,
     "parameter margin_z must be a number in [0, 10], got -1.0"),
    (["predictive.margn_z=2"], ["predictive"], InvalidParameterError,
     "'margn_z' is not a parameter; valid: "),
    (["predictive.margin_z=2,3"], ["adaptive"], SimulationError,
     "--vary predictive.margin_z: no --policy predictive to vary"),
    (["predictive.margin_z=2,3"], ["predictive:margin_z=4"], SimulationError,
     "--policy predictive:margin_z=4 already sets margin_z"),
    (["agents=2", "agents=3"], ["progressive"], SimulationError, "--vary agents: given twice"),
    (["agents=two"], ["progressive"], SimulationError, "scenario values must be numbers"),
])
def test_ambiguous_or_bad_axes_are_refused(vary: list[str], policies: list[str],
                                           error: type[Exception], expected: str) -> None:
    with pytest.raises(error) as caught:
        plan("s.toml", parse_vary(vary), parse_policy_specs(policies), 1, 1)
    assert expected in str(caught.value)
