"""The scenario format's history-built parts: shares and agents by hour, empirical laws as
quantiles, and the TOML writer whose output ``load_scenario`` reads back identically."""

from __future__ import annotations

import dataclasses
import glob
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Bridge
from simulations.distributions import EmpiricalQuantiles, parse_distribution
from simulations.errors import ScenarioError
from simulations.scenario import load_scenario, scenario_from_tables
from simulations.scenario_writer import scenario_tables, scenario_toml, write_scenario

ROOT = Path(__file__).resolve().parents[2]


def _hours(default: float, **overrides: float) -> list[float]:
    values = [default] * 24
    for hour, value in overrides.items():
        values[int(hour.lstrip("h"))] = value
    return values


def _tables(campaign: dict | None = None, callees: dict | None = None) -> dict:
    return {"campaign": {"shift_hours": 3, **(campaign or {})},
            "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05, **(callees or {})},
            "agents": {"talk": {"dist": "fixed", "value": 30.0}, "wrap": 0.0}}


# --- refusals: one line naming the file, the key and what is valid ---------------------------


@pytest.mark.parametrize(("campaign", "message"), [
    ({"agents_by_hour": [1] * 23}, r"s\.toml: \[campaign\]\.agents_by_hour: expected 24 whole "
                                   r"numbers >= 0"),
    ({"agents_by_hour": _hours(1, h10=2.5)}, r"agents_by_hour\[10\]: expected a whole number "
                                             r">= 0, got 2\.5"),
    ({"agents_by_hour": _hours(1, h3=-1)}, r"agents_by_hour\[3\]: expected a whole number"),
    ({"agents_by_hour": _hours(1, h3=True)}, r"agents_by_hour\[3\]: expected a whole number"),
    ({"agents_by_hour": _hours(2), "agents": 5}, r"\[campaign\]\.agents: 5 but agents_by_hour's "
                                                 r"largest count is 2"),
    ({"agents_by_hour": _hours(0, h2=4)}, r"agents_by_hour: no agent in any hour of the shift"),
])
def test_bad_agents_by_hour_is_refused_naming_the_hour(campaign: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_tables(_tables(campaign), Path("s.toml"))


@pytest.mark.parametrize(("callees", "message"), [
    ({"machine_by_hour": [0.1] * 5}, r"\[callees\]\.machine_by_hour: expected 24 fractions "
                                     r"\(hours 0–23\), got 5"),
    ({"busy_by_hour": _hours(0.05, h7=1.2)}, r"busy_by_hour\[7\]: expected a fraction in "
                                             r"\[0, 1\], got 1\.2"),
    ({"machine_by_hour": "0.1"}, r"machine_by_hour: expected a list of 24 fractions"),
    ({"machine_by_hour": _hours(0.1, h9=0.8)},
     r"machine_by_hour\[9\]: 0\.8 \+ live_answer 0\.2 \+ busy 0\.05 exceeds 1"),
    ({"live_answer_by_hour": _hours(0.2), "busy_by_hour": _hours(0.05, h14=0.75)},
     r"live_answer_by_hour\[14\]: 0\.2 \+ machine 0\.1 \+ busy_by_hour 0\.75 exceeds 1"),
])
def test_bad_hourly_shares_are_refused_naming_the_hour(callees: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_tables(_tables(callees=callees), Path("s.toml"))


@pytest.mark.parametrize(("spec", "message"), [
    ({"dist": "empirical", "quantiles": [5, 3, 9]}, r"talk\.quantiles: must not decrease"),
    ({"dist": "empirical", "quantiles": [5]}, r"talk\.quantiles: expected a list of at least "
                                              r"2 numbers"),
    ({"dist": "empirical", "quantiles": [1, -2]}, r"talk\.quantiles\.v: must be >= 0"),
    ({"dist": "empirical", "quantiles": [1, 2], "values": [3]},
     r"talk: empirical needs exactly one of 'values', 'quantiles' or 'csv', got values and "
     r"quantiles"),
    ({"dist": "empirical"}, r"talk: empirical needs exactly one of"),
    ({"dist": "empirical", "values": [1], "mean": 3}, r"talk\.mean: unknown key of an "
                                                       r"empirical law"),
])
def test_bad_empirical_laws_are_refused(spec: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_distribution(spec, "s.toml: [agents].talk")


def test_vary_is_refused_for_a_share_set_by_hour() -> None:
    scenario = scenario_from_tables(_tables({"agents_by_hour": _hours(0, h9=2, h10=3)},
                                            {"machine_by_hour": _hours(0.1)}))
    with pytest.raises(ScenarioError, match="--vary machine: the scenario sets "
                                            "machine_by_hour"):
        scenario.varied("machine", 0.2)
    with pytest.raises(ScenarioError, match="--vary agents: the scenario sets agents_by_hour"):
        scenario.varied("agents", 5)


# --- meaning --------------------------------------------------------------------------------


def test_hourly_shares_set_each_hours_edges() -> None:
    population = scenario_from_tables(_tables(callees={
        "live_answer_by_hour": _hours(0.2, h10=0.4), "machine_by_hour": _hours(0.1, h10=0.3),
        "busy_by_hour": _hours(0.05, h10=0.1)})).population
    assert population.kind_edges(10) == pytest.approx((0.4, 0.7, 0.8))
    assert population.kind_edges(11) == pytest.approx((0.2, 0.3, 0.35))
    assert population.kind_edges(None) == pytest.approx((0.2, 0.3, 0.35))


def test_quantile_law_draws_between_its_quantiles_with_its_mean() -> None:
    law = parse_distribution({"dist": "empirical", "quantiles": [10, 20, 60]}, "t")
    assert isinstance(law, EmpiricalQuantiles)
    assert law.mean == pytest.approx((15 + 40) / 2)
    draws = law.sample(np.random.default_rng(3), 200_000)
    assert draws.min() >= 10 and draws.max() <= 60
    assert np.mean(draws) == pytest.approx(law.mean, rel=0.01)
    assert np.mean(draws < 20) == pytest.approx(0.5, abs=0.01)


def test_agents_by_hour_changes_the_floor_hour_by_hour() -> None:
    """With nobody logged in from 10:00 to 11:00, no call is bridged in that hour, and the
    logged-in time the talk fraction divides by counts the staffed hours only."""
    from simulations.driver import Simulation
    from simulations.metrics import run_metrics

    scenario = scenario_from_tables({
        "campaign": {"agents_by_hour": _hours(0, h9=3, h11=2), "shift_start_hour": 9,
                     "shift_hours": 3},
        "callees": {"live_answer": 0.3, "time_to_answer": 5.0},
        "agents": {"talk": {"dist": "exponential", "mean": 60.0}, "wrap": 5.0}})
    assert scenario.campaign.staffing() == [(0.0, 3), (3600.0, 0), (7200.0, 2)]
    simulation = Simulation(scenario, "progressive", seed=4)
    bridges: list[float] = []
    original = simulation._actions[Bridge]

    def spy(command):
        bridges.append(command.at)
        original(command)

    simulation._actions[Bridge] = spy
    tally = simulation.run()
    assert any(t < 3600 for t in bridges) and any(t >= 7200 for t in bridges)
    assert not [t for t in bridges if 3600 <= t < 7200]
    metrics = run_metrics(scenario, tally)
    assert metrics["talk_fraction"] == pytest.approx(tally.talk / (5 * 3600.0))


@pytest.mark.parametrize(("text", "message"), [
    ("[campaign]\nagents = 3\n",
     r"s\.toml: \[agents\]: missing; a scenario file must state its agents' laws, e\.g\. "
     r"\[agents\] talk = "),
    ("[campaign]\nagents = 3\n[agents]\nwrap = 5\n",
     r"s\.toml:3: \[agents\]\.talk: missing; a scenario file must state it, e\.g\. talk = "),
    ("[agents]\ntalk = 60\n",
     r"s\.toml:1: \[agents\]\.wrap: missing; .*\(or wrap = 0 for none\)"),
    ("agents = 3\n", r"s\.toml: agents: unknown top-level key|\[agents\] must be a table"),
])
def test_a_scenario_file_must_state_its_agents_laws(text: str, message: str,
                                                    tmp_path: Path) -> None:
    """A file without them ran on a default talk law and no wrap-up, and analysts trusted
    figures from laws they never wrote; code-built scenarios keep the defaults."""
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(path)
    assert "\n" not in str(caught.value)
    path.write_text("[campaign]\nagents = 3\n[agents]\ntalk = 60\nwrap = 0\n")
    assert load_scenario(path).population.talk.mean == 60.0
    built = scenario_from_tables({"campaign": {"agents": 3}})  # code: the defaults hold
    assert built.population.talk.mean == 180.0 and built.wrap.mean == 0.0


# --- the writer -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(glob.glob(str(ROOT / "simulations/scenarios/*.toml"))))
def test_shipped_scenarios_write_back_identically(path: str, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    written = tmp_path / "again.toml"
    write_scenario(scenario, written, ["a comment"])
    again = load_scenario(written)
    assert dataclasses.replace(again, path=scenario.path) == scenario
    assert scenario_tables(again) == scenario_tables(scenario)


_share = st.floats(0.0, 0.3, allow_nan=False)
# Times within the scenario's bounds (an hour at most for a law's mean: scenario_bounds).
_seconds = st.floats(0.0, 3600.0, allow_nan=False, allow_subnormal=False)
_law = st.one_of(
    _seconds,
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.01, 3600.0)),
    st.builds(lambda m, s: {"dist": "lognormal", "mean": m, "sd": s}, st.floats(0.01, 1e3),
              st.floats(0.0, 1e3)),
    st.builds(lambda v: {"dist": "empirical", "values": v}, st.lists(_seconds, min_size=1,
                                                                     max_size=30)),
    st.builds(lambda v: {"dist": "empirical", "quantiles": sorted(v)},
              st.lists(_seconds, min_size=2, max_size=30)),
)


@settings(max_examples=60)
@given(live=st.lists(_share, min_size=24, max_size=24),
       machine=st.lists(_share, min_size=24, max_size=24),
       agents=st.lists(st.integers(0, 40), min_size=24, max_size=24).filter(
           lambda a: any(a[9:17])),
       talk=_law, wrap=_law, ring=_law, busy=_share, abandon=st.floats(0.0, 0.99))
def test_any_scenario_writes_back_identically(live, machine, agents, talk, wrap, ring, busy,
                                              abandon) -> None:
    """Whatever the values (floats written with their shortest exact repr), the file reads
    back as the same scenario, and writing it again gives the same text."""
    scenario = scenario_from_tables({
        "campaign": {"agents_by_hour": agents, "abandon_limit": abandon},
        "callees": {"live_answer_by_hour": live, "machine_by_hour": machine, "busy": busy,
                    "time_to_answer": ring},
        "agents": {"talk": talk, "wrap": wrap}})
    text = scenario_toml(scenario)
    again = scenario_from_tables(tomllib.loads(text), scenario.path)
    assert again == scenario
    assert scenario_toml(again) == text
