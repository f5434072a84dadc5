"""Inverse problems: fewest agents for a target, most traffic for n agents."""

from __future__ import annotations

import json

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pacing_models import cli as pacing_cli
from pacing_models.errors import InvalidParameterError
from pacing_models.staffing import (
    Goal,
    Model,
    StaffingQuestion,
    achieved,
    agents_needed,
    max_traffic,
)

SL_80_20 = StaffingQuestion(Model.C, Goal.SERVICE_LEVEL, 0.8, aht=180.0, within=20.0)


def test_call_centre_helper_example_needs_14_agents() -> None:
    # Call Centre Helper worked example: 10 E, AHT 180 s, 80 % in 20 s → 14 agents
    # (13 give ≈ 79.6 %, 14 give ≈ 88.8 %).
    assert agents_needed(SL_80_20, 10.0) == 14


@given(st.floats(0.1, 2000.0), st.sampled_from([0.5, 0.8, 0.9, 0.95]))
@settings(max_examples=40)
def test_fewest_agents_is_minimal(traffic: float, target: float) -> None:
    q = StaffingQuestion(Model.C, Goal.SERVICE_LEVEL, target, aht=180.0, within=20.0)
    n = agents_needed(q, traffic)
    assert achieved(q, n, traffic) >= target
    assert n == 0 or achieved(q, n - 1, traffic) < target


@given(st.floats(0.5, 800.0), st.sampled_from([0.01, 0.03, 0.1]))
@settings(max_examples=30)
def test_abandon_target_with_erlang_a(traffic: float, target: float) -> None:
    q = StaffingQuestion(Model.A, Goal.ABANDON, target, aht=180.0, patience=45.0)
    n = agents_needed(q, traffic)
    assert achieved(q, n, traffic) <= target
    assert n == 0 or achieved(q, n - 1, traffic) > target


def test_blocking_target_with_erlang_b_table() -> None:
    # Erlang B table: 10 E at 1 % blocking needs 18 trunks (17 block 1.29 %).
    assert agents_needed(StaffingQuestion(Model.B, Goal.BLOCKING, 0.01), 10.0) == 18


@given(st.integers(1, 1500), st.sampled_from([0.7, 0.8, 0.95]))
@settings(max_examples=30)
def test_max_traffic_sits_on_the_target(agents: int, target: float) -> None:
    q = StaffingQuestion(Model.C, Goal.SERVICE_LEVEL, target, aht=180.0, within=20.0)
    traffic = max_traffic(q, agents)
    assert 0 < traffic < agents
    assert achieved(q, agents, traffic) >= target
    assert achieved(q, agents, traffic * (1 + 1e-6)) < target
    # the two inverse problems agree
    assert agents_needed(q, traffic) <= agents


def test_impossible_and_bad_targets() -> None:
    with pytest.raises(InvalidParameterError):
        agents_needed(StaffingQuestion(Model.C, Goal.SERVICE_LEVEL, 80.0), 5.0)
    with pytest.raises(InvalidParameterError):
        achieved(StaffingQuestion(Model.A, Goal.ABANDON, 0.03), 3, 2.0)  # no patience


runner = CliRunner()
# Our commands mounted alone (as the root cli.py mounts them), so these tests do not depend on
# other packages' command modules.
app = typer.Typer()
pacing_cli.register(app)


def test_cli_erlang_c_issue_example_json() -> None:
    result = runner.invoke(
        app,
        ["erlang", "c", "--agents", "10", "--calls-per-hour", "100", "--aht", "180",
         "--within", "20", "--json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["traffic_erlangs"] == pytest.approx(5.0)
    assert doc["p_wait"] == pytest.approx(0.0361053591583, rel=1e-9)
    assert doc["service_level"] == pytest.approx(0.97928442667, rel=1e-9)


def test_cli_erlang_a_b_and_staff_json() -> None:
    a = json.loads(runner.invoke(
        app, ["erlang", "a", "-n", "10", "--erlangs", "9", "--patience", "60", "--json"]
    ).stdout)
    assert 0 < a["p_abandon"] < a["p_wait"] < 1
    b = json.loads(
        runner.invoke(app, ["erlang", "b", "-n", "15", "--erlangs", "10", "--json"]).stdout
    )
    assert b["blocking"] == pytest.approx(0.0365, abs=5e-5)
    staff = json.loads(runner.invoke(
        app, ["staff", "--erlangs", "10", "--service-level", "0.8", "--json"]
    ).stdout)
    assert staff["agents"] == 14
    carry = json.loads(runner.invoke(
        app, ["staff", "--agents", "14", "--service-level", "0.8", "--json"]
    ).stdout)
    assert 10.0 < carry["max_traffic_erlangs"] < 11.0


def test_cli_rejects_ambiguous_load() -> None:
    result = runner.invoke(
        app, ["erlang", "c", "-n", "10", "--erlangs", "5", "--calls-per-hour", "100"]
    )
    assert result.exit_code != 0


@pytest.mark.parametrize("value", ["1e300", "inf", "nan", "0", "-5", "80001"])
def test_staff_refuses_a_load_out_of_range_in_one_line(value: str) -> None:
    """`staff --calls-per-hour 1e300` was a ZeroDivisionError traceback; 0 answered 0 agents."""
    from cli import app as root_app

    result = CliRunner().invoke(
        root_app, ["staff", "--service-level", "0.8", "--calls-per-hour", value]
    )
    assert result.exit_code == 1
    assert not isinstance(result.exception, ZeroDivisionError)
    assert "error: --calls-per-hour" in result.stderr
    assert "at most 80,000 with --aht 180" in result.stderr


def test_staff_refuses_erlangs_beyond_what_it_sizes() -> None:
    from cli import app as root_app

    result = CliRunner().invoke(root_app, ["staff", "--service-level", "0.8", "--erlangs", "1e300"])
    assert result.exit_code == 1
    assert "error: --erlangs 1e+300 is outside its range" in result.stderr
