"""An analyst's first sweeps: values no scenario file may hold, given with ``--vary``, and a
negative seed, are refused in one line before any process starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

SCENARIO = (
    "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
    "busy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n\n[agents]\n"
    "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    return path


@pytest.mark.parametrize(("vary", "said"), [
    ("agents=3,-5", "--vary agents=-5: s.toml: [campaign].agents: must be >= 0"),
    ("agents=2.5", "--vary agents=2.5: expected a whole number"),
    ("callees.live_answer=0.95", "--vary callees.live_answer=0.95: s.toml: [callees]: "
     "live_answer + machine + busy exceeds 1"),
    ("amd.false_positive=2", "--vary amd.false_positive=2: s.toml: [amd]: error rates are "
     "fractions in [0, 1]"),
    ("agents=nan", "--vary 'agents=nan': scenario values must be finite numbers"),
    ("shift_hours=1e9", "--vary shift_hours=1e+09: s.toml: [campaign].shift_hours: at most "
     "24 hours a day, got 1e+09"),
])
def test_a_swept_value_no_scenario_file_may_hold_is_refused(scenario, vary, said):
    result = CliRunner().invoke(cli.app, ["sweep", str(scenario), "--vary", vary,
                                          "--policy", "progressive", "--workers", "1",
                                          "--replications", "1"])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [f"error: {said.replace('s.toml', str(scenario))}"]


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_a_negative_seed_is_refused_not_a_traceback(scenario, command):
    args = [command, str(scenario), "--seed", "-1", "--workers", "1"]
    if command == "sweep":
        args += ["--vary", "agents=2,3"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1, result.output  # a refused value: one line, as every other
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for '--seed': ") and "0" in line, line


@pytest.mark.parametrize(("args", "said"), [
    (["--days", "5"], "--days 5: the days of a campaign's history to read"),
    (["--tz", "Europe/London"], "--tz Europe/London: the zone of a campaign's history"),
])
def test_history_options_with_a_scenario_file_are_refused_not_ignored(scenario, args, said):
    """``simulate s.toml --days 5`` ran the file's own days and printed them as asked."""
    result = CliRunner().invoke(cli.app, ["simulate", str(scenario), *args, "--workers", "1",
                                          "--replications", "1"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {said}"), line


@pytest.mark.parametrize(("args", "said"), [
    (["--static-step", "0.5"], "--static-step sets the dial levels --best-static searches: "
     "add --best-static"),
    (["--static-top", "5", "--static-step", "1"], "--static-step and --static-top set the"),
    (["--plot", "/nonexistent-dir/p.png"], "--plot /nonexistent-dir/p.png: no directory "
     "/nonexistent-dir (create it first)"),
    (["--write-scenario", "/nonexistent-dir/s.toml"], "--write-scenario /nonexistent-dir/"),
])
def test_simulate_options_that_would_be_ignored_or_fail_late_are_refused_first(
        scenario, args, said, monkeypatch):
    """``--static-step`` without ``--best-static`` was ignored; a plot into a missing
    directory failed after the whole simulation had run."""
    import simulations.metrics

    def never(*_: object) -> None:
        raise AssertionError("the simulation ran before the refusal")

    monkeypatch.setattr(simulations.metrics, "run_replication", never)
    result = CliRunner().invoke(cli.app, ["simulate", str(scenario), *args, "--workers", "1",
                                          "--replications", "1"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {said}"), line


def test_sweep_outputs_are_checked_before_the_grid_runs(scenario, tmp_path):
    result = CliRunner().invoke(cli.app, ["sweep", str(scenario), "--vary", "agents=2,3",
                                          "--workers", "1", "--replications", "1",
                                          "--output", str(tmp_path / "nope" / "x.csv")])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: --output {tmp_path / 'nope' / 'x.csv'}: no "
                                    "directory")
