"""The hindsight anchor: the best fixed dial level, by search and by brute force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from pacing_models import make_policy
from pacing_models.interface import PacingState
from simulations.best_static import LevelGrid, exhaustive, search
from simulations.errors import SimulationError
from simulations.metrics import replicate
from simulations.scenario import scenario_from_tables

LIMIT = 0.03

SMALL = {
    "campaign": {"agents": 6, "shift_hours": 0.75, "abandon_limit": LIMIT},
    "callees": {"live_answer": 0.15, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 8.0, "sd": 3.0},
                "no_answer_timeout": 20, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 4.0}},
    "agents": {"talk": {"dist": "exponential", "mean": 60.0},
               "wrap": {"dist": "fixed", "value": 5.0}},
}

SMALL_TOML = """
[campaign]
agents = 6
shift_hours = 0.75
abandon_limit = 0.03

[callees]
live_answer = 0.15
busy = 0.05
time_to_answer = { dist = "lognormal", mean = 8.0, sd = 3.0 }
no_answer_timeout = 20
busy_time = 4
patience = { dist = "exponential", mean = 4.0 }

[agents]
talk = { dist = "exponential", mean = 60.0 }
wrap = { dist = "fixed", value = 5.0 }
"""


def test_the_toml_and_the_tables_are_one_scenario(tmp_path: Path) -> None:
    from simulations.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text(SMALL_TOML)
    assert dataclass_values(load_scenario(path)) == dataclass_values(scenario_from_tables(SMALL))


def dataclass_values(scenario) -> tuple:
    return (scenario.campaign, scenario.population.live_answer, scenario.amd, scenario.wrap)


def _fake(worst: list[float]):
    """An evaluation whose worst window rate at level index i is ``worst[i]``; counts calls."""
    calls: list[float] = []
    grid = LevelGrid(step=0.5, top=1.0 + 0.5 * (len(worst) - 1))

    def evaluate(level: float) -> list[dict]:
        calls.append(level)
        index = round((level - 1.0) / 0.5)
        return [{"max_window_abandon_rate": worst[index] / 2},
                {"max_window_abandon_rate": worst[index]}]

    return grid, evaluate, calls


@given(st.lists(st.floats(0.0, 0.1), min_size=1, max_size=60).map(sorted))
@settings(max_examples=200)
def test_search_agrees_with_brute_force_when_abandonment_grows_with_the_level(
        worst: list[float]) -> None:
    grid, evaluate, calls = _fake(worst)
    found = search(evaluate, LIMIT, grid)
    grid2, evaluate2, _ = _fake(worst)
    truth = exhaustive(evaluate2, LIMIT, grid2)
    assert found.level == truth.level
    feasible = [i for i, w in enumerate(worst) if w <= LIMIT]
    assert found.level == (grid.level(feasible[-1]) if feasible else None)
    assert len(calls) == len(set(calls))  # no level is simulated twice
    if len(worst) >= 16:
        assert len(calls) <= 2 * len(worst).bit_length() + 1


def test_the_result_holds_the_runs_and_what_was_searched() -> None:
    grid, evaluate, _ = _fake([0.0, 0.01, 0.02, 0.05, 0.08])
    found = search(evaluate, LIMIT, grid)
    assert found.level == 2.0 and not found.at_top
    assert [r["max_window_abandon_rate"] for r in found.runs] == [0.01, 0.02]
    assert found.worst_by_level[2.0] == 0.02 and found.worst_by_level[2.5] == 0.05
    grid, evaluate, _ = _fake([0.0, 0.01])
    assert search(evaluate, LIMIT, grid).at_top
    grid, evaluate, _ = _fake([0.04, 0.05])
    nothing = search(evaluate, LIMIT, grid)
    assert nothing.level is None and nothing.runs == []


def test_the_search_finds_what_brute_force_finds_on_a_simulated_grid() -> None:
    scenario = scenario_from_tables(SMALL)
    cache: dict[float, list[dict]] = {}

    def evaluate(level: float) -> list[dict]:
        if level not in cache:
            cache[level] = replicate(scenario, "ratio", 3, 5, {"dial_level": level})
        return cache[level]

    grid = LevelGrid(step=0.1, top=2.0)
    truth = exhaustive(evaluate, LIMIT, grid)
    evaluated = len(cache)
    cache_before = dict(cache)
    found = search(lambda level: cache_before[level], LIMIT, grid)
    assert found.level == truth.level
    # The grid is informative: level 1 (progressive) is within the limit, the top is not.
    assert truth.level is not None and 1.0 < truth.level < 2.0, truth.worst_by_level
    assert max(r["max_window_abandon_rate"] for r in found.runs) <= LIMIT
    assert truth.worst_by_level[round(truth.level + 0.1, 9)] > LIMIT
    assert len(found.worst_by_level) < evaluated


states = st.builds(
    PacingState, now=st.just(0.0), agents_free=st.integers(0, 30),
    busy_elapsed=st.lists(st.floats(0, 600), max_size=40).map(tuple),
    ringing_elapsed=st.lists(st.floats(0, 30), max_size=80).map(tuple),
    answered_waiting=st.integers(0, 4))


@given(states, st.floats(1.0, 6.0), st.floats(1.0, 6.0))
def test_the_ratio_policy_dials_more_at_a_higher_level_and_progressive_at_one(
        state: PacingState, a: float, b: float) -> None:
    low, high = sorted((a, b))
    n_low = make_policy("ratio", dial_level=low).decide(state).calls_to_launch
    n_high = make_policy("ratio", dial_level=high).decide(state).calls_to_launch
    assert 0 <= n_low <= n_high
    assert make_policy("ratio", dial_level=1.0).decide(state).calls_to_launch == \
        make_policy("progressive").decide(state).calls_to_launch


def test_the_ratio_policy_counts_active_agents_and_existing_calls() -> None:
    state = PacingState(now=0.0, agents_free=2, busy_elapsed=(5.0,) * 8,
                        ringing_elapsed=(1.0,) * 3, answered_waiting=1, lines_per_agent=2.0)
    # round(1.5 × (2 + 8)) = 15 lines, minus 3 ringing, 1 waiting and 8 connected.
    assert make_policy("ratio", dial_level=1.5).decide(state).calls_to_launch == 3
    assert make_policy("ratio").decide(state).calls_to_launch == 8  # the campaign's level 2


def test_bad_grids_are_refused() -> None:
    with pytest.raises(SimulationError, match="--static-step must be in"):
        LevelGrid(step=0.0)
    with pytest.raises(SimulationError, match="--static-top must be in"):
        LevelGrid(top=80.0)


def test_simulate_best_static_reports_the_level_beside_the_policies(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SMALL_TOML)
    result = CliRunner().invoke(cli.app, [
        "simulate", str(path), "--policy", "progressive", "--best-static",
        "--static-step", "0.1", "--static-top", "2", "--replications", "3", "--seed", "5",
        "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    from simulations.metrics import practical_talk_limit

    practical = practical_talk_limit(scenario_from_tables(SMALL))
    assert document["practical_talk_limit"] == pytest.approx(practical)
    anchor = document["best_static"]
    level = anchor["dial_level"]
    assert 1.0 < level < 2.0 and anchor["limit"] == LIMIT and not anchor["at_top"]
    column = document["policies"][anchor["policy"]]
    assert column["max_window_abandon_rate"]["mean"] <= LIMIT
    assert column["talk_fraction"]["mean"] > document["policies"]["progressive"][
        "talk_fraction"]["mean"]
    worst = {float(k): v for k, v in anchor["worst_window_abandon_by_level"].items()}
    assert worst[level] <= LIMIT < worst[round(level + 0.1, 9)]
    text = CliRunner().invoke(cli.app, [
        "simulate", str(path), "--best-static", "--static-step", "0.1", "--static-top", "2",
        "--replications", "3", "--seed", "5", "--workers", "1"])
    assert text.exit_code == 0, text.output
    assert f"best static: dial level {level:g} lines per active agent" in text.stdout
    assert "progressive: talk fraction" in text.stdout and "against best static" in text.stdout
    progressive = document["policies"]["progressive"]["talk_fraction"]["mean"]
    assert (f"practical talk limit {practical:.4g} (agent time on machine answers counted, "
            f"docs/pacing.md); share of it: progressive {progressive / practical:.3f}"
            ) in " ".join(text.stdout.split())


def test_the_practical_limit_counts_agent_time_on_machines() -> None:
    from simulations.metrics import practical_talk_limit

    tables = {"callees": {"live_answer": 0.1, "machine": 0.2},
              "agents": {"talk": {"dist": "fixed", "value": 100.0}, "wrap": 10.0,
                         "machine_handle_time": 5.0}}
    # Without AMD: two machines per live contact, 5 s each: 100 ÷ (100 + 10 + 10).
    assert practical_talk_limit(scenario_from_tables(tables)) == pytest.approx(100 / 120)
    # AMD passes a quarter of the machines and hangs up on a fifth of the people.
    amd = {**tables, "amd": {"enabled": True, "false_negative": 0.25, "false_positive": 0.2}}
    assert practical_talk_limit(scenario_from_tables(amd)) == pytest.approx(
        100 / (110 + 5 * 0.2 * 0.25 / (0.1 * 0.8)))
    no_machines = {**tables, "callees": {"live_answer": 0.1}}
    assert practical_talk_limit(scenario_from_tables(no_machines)) == pytest.approx(100 / 110)
