"""``dialer simulate --limit-guard`` and ``dialer sweep --limit-guard``: an analyst sees what a
live campaign will run. A live campaign runs ``power``, ``ratio`` and ``adaptive`` behind the
abandonment-limit guard (docs/pacing.md); without the flag the lab runs them raw (the
baselines, every digest unchanged) and says so in one note line.

The cell is the limit-guard suite's (5 agents, 35 % live answers, patience mean 5 s) on a one
hour day: raw power at 3 lines per agent abandons far past 3 %, guarded it does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

LIMIT = 0.03
SCENARIO = f"""[campaign]
agents = 5
shift_hours = 1.0
days = 1
leads = 0
abandon_limit = {LIMIT}
connect_window = 2.0

[callees]
live_answer = 0.35
machine = 0.0
busy = 0.05
time_to_answer = {{ dist = "lognormal", mean = 9.0, sd = 4.0 }}
no_answer_timeout = 25
busy_time = 4
patience = {{ dist = "exponential", mean = 5.0 }}

[agents]
talk = {{ dist = "lognormal", mean = 180.0, sd = 90.0 }}
wrap = {{ dist = "fixed", value = 15.0 }}
machine_handle_time = 5
"""
POWER = "power:lines_per_agent=3"
NOTE = "add --limit-guard to see what it will run"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "cell.toml"
    path.write_text(SCENARIO)
    return path


def _dialer(*args: object) -> str:
    result = CliRunner().invoke(cli.app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _simulate(scenario: Path, *args: str) -> str:
    return _dialer("simulate", scenario, "--replications", "1", "--workers", "1", "--seed",
                   "1", "--no-accel", *args)


def _worst_window(scenario: Path, *args: str) -> float:
    document = json.loads(_simulate(scenario, "--policy", POWER, "--json", *args))
    # One replication: the mean of its worst window is that window.
    return document["policies"][POWER]["max_window_abandon_rate"]["mean"]


def test_limit_guard_keeps_every_window_within_the_target_where_raw_power_breaks_it(
        scenario: Path) -> None:
    raw = _worst_window(scenario)
    assert raw > LIMIT, f"raw power kept the limit ({raw:.2%}): the cell tests nothing"
    held = _worst_window(scenario, "--limit-guard")
    assert held <= LIMIT, f"power behind the guard abandoned {held:.2%} of live answers"


def test_the_note_appears_without_the_flag_and_not_with_it(scenario: Path) -> None:
    raw = _simulate(scenario, "--policy", POWER)
    assert NOTE in raw
    assert "a live campaign runs power behind the abandonment-limit guard" in raw
    held = _simulate(scenario, "--policy", POWER, "--limit-guard")
    assert NOTE not in held
    assert "power ran behind the abandonment-limit guard" in held
    # The JSON document has no notes field: it stays as it was.
    assert NOTE not in _simulate(scenario, "--policy", POWER, "--json")


def test_limit_guard_changes_nothing_for_predictive(scenario: Path) -> None:
    for args in (("--json",), ()):
        plain = _simulate(scenario, "--policy", "predictive", *args)
        assert _simulate(scenario, "--policy", "predictive", "--limit-guard", *args) == plain
        assert NOTE not in plain and "limit guard" not in plain


def test_sweep_runs_the_guarded_policy_behind_the_guard(scenario: Path) -> None:
    def worst(*args: str) -> float:
        out = _dialer("sweep", scenario, "--vary", "agents=5", "--policy", POWER,
                      "--replications", "1", "--workers", "1", "--no-accel", "--json", *args)
        (row,) = json.loads(out)["rows"]
        return row["max_window_abandon_rate"]

    assert worst() > LIMIT
    assert worst("--limit-guard") <= LIMIT


def test_recording_a_guarded_run_is_refused(scenario: Path, tmp_path: Path) -> None:
    """The recorder runs the raw policy: recording it beside guarded figures is refused."""
    result = CliRunner().invoke(cli.app, [
        "simulate", str(scenario), "--policy", POWER, "--limit-guard", "--record",
        "--db", f"sqlite:///{tmp_path / 'd.db'}"])
    assert result.exit_code == 1, result.output
    assert "--limit-guard" in result.output
