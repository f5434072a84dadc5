"""``live_answer_by_hour`` and ``shift_start_hour``: dials placed at hour h are live with the
hour's share; machine and busy keep their flat shares; errors name the key and the index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.driver import Simulation
from simulations.errors import ScenarioError
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables
from simulations.streams import BUSY, LIVE, MACHINE, LeadFates


def _tables(by_hour: list[float], start: float = 9.0, hours: float = 1.0,
            machine: float = 0.1, busy: float = 0.05) -> dict:
    return {
        "campaign": {"agents": 10, "shift_hours": hours, "shift_start_hour": start},
        "callees": {"live_answer": 0.2, "machine": machine, "busy": busy,
                    "live_answer_by_hour": by_hour,
                    "time_to_answer": {"dist": "fixed", "value": 5.0}},
        "agents": {"talk": {"dist": "fixed", "value": 30.0}, "wrap": 0.0},
    }


def _hours(default: float, **overrides: float) -> list[float]:
    shares = [default] * 24
    for hour, value in overrides.items():
        shares[int(hour.lstrip("h"))] = value
    return shares


@pytest.mark.parametrize(("by_hour", "message"), [
    ([0.2] * 23, r"live_answer_by_hour: expected 24 fractions .*got 23"),
    (_hours(0.2, h13=1.5), r"live_answer_by_hour\[13\]: expected a fraction in \[0, 1\]"),
    (_hours(0.2, h4=-0.1), r"live_answer_by_hour\[4\]: expected a fraction"),
    (_hours(0.2, h22=0.9), r"live_answer_by_hour\[22\]: 0.9 \+ machine 0.1 \+ busy 0.05 "
                           r"exceeds 1"),
    ("0.2", r"live_answer_by_hour: expected a list"),
])
def test_bad_hourly_shares_name_the_key_and_index(by_hour: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_tables(_tables(by_hour))  # type: ignore[arg-type]


def test_shift_start_hour_is_validated() -> None:
    with pytest.raises(ScenarioError, match=r"\[campaign\]\.shift_start_hour"):
        scenario_from_tables(_tables(_hours(0.2), start=24))


def test_default_shift_start_is_nine() -> None:
    scenario = scenario_from_tables({"campaign": {"agents": 1}})
    assert scenario.campaign.shift_start_hour == 9.0


def _live_share(tables: dict) -> tuple[float, dict]:
    scenario = scenario_from_tables(tables)
    metrics = run_metrics(scenario, Simulation(scenario, "progressive", 5).run())
    return metrics["live_answers"] / metrics["dials"], metrics


def test_dials_follow_the_hour_they_are_placed_in() -> None:
    # A 1-hour shift from 09:00 sees only hour 9's share; from 10:00 only hour 10's.
    by_hour = _hours(0.2, h9=0.6, h10=0.0)
    share, metrics = _live_share(_tables(by_hour, start=9.0))
    assert metrics["dials"] > 1000
    assert share == pytest.approx(0.6, abs=0.04)
    share, metrics = _live_share(_tables(by_hour, start=10.0))
    assert metrics["dials"] > 1000 and metrics["live_answers"] == 0


def test_a_shift_across_hours_mixes_them() -> None:
    # 09:30 for one hour: half the time in hour 9 (share 0.5), half in hour 10 (share 0.1).
    # Progressive dials faster in the poor hour, so weigh by the dials of each half.
    scenario = scenario_from_tables(_tables(_hours(0.2, h9=0.5, h10=0.1), start=9.5))
    simulation = Simulation(scenario, "progressive", 5)
    tally = simulation.run()
    share = sum(tally.live_by_day) / tally.dials
    assert 0.1 < share < 0.5


def test_the_switch_simulator_api_still_takes_an_hour() -> None:
    population = scenario_from_tables(_tables(_hours(0.0, h14=0.5))).population
    rng = np.random.default_rng(3)
    kinds = population.draw_arrays(rng, 20000, at_hour=14.7)["kind"]
    assert np.mean(kinds == LIVE) == pytest.approx(0.5, abs=0.015)
    assert np.all(population.draw_arrays(rng, 2000, at_hour=3)["kind"] != LIVE)
    assert population.draw(rng, at_hour=3).kind != "live"
    flat = population.draw_arrays(rng, 20000)["kind"]  # no hour: the flat live_answer
    assert np.mean(flat == LIVE) == pytest.approx(0.2, abs=0.015)


@settings(max_examples=40, deadline=None)
@given(low=st.floats(0.0, 0.8), high=st.floats(0.0, 0.8), lead=st.integers(0, 20000),
       seed=st.integers(0, 2**32 - 1))
def test_hourly_coupling_is_monotone_and_keeps_machine_and_busy(
        low: float, high: float, lead: int, seed: int) -> None:
    low, high = min(low, high), max(low, high)
    scenario = scenario_from_tables(_tables(_hours(0.0, h9=low, h10=high), machine=0.1,
                                            busy=0.1))
    fates = LeadFates(scenario, seed, 0)
    at_low, at_high = fates.fate(lead, 9), fates.fate(lead, 10)
    # Common random numbers across hours: a person who answers at the lower live share
    # also answers at the higher one, with the same talk and patience draws.
    if at_low[0] == LIVE:
        assert at_high[0] == LIVE and at_high[2:] == at_low[2:]
    # The same lead in the same hour is the same fate (under every policy).
    assert LeadFates(scenario, seed, 0).fate(lead, 9) == at_low


def test_machine_and_busy_shares_do_not_move_with_the_hour() -> None:
    scenario = scenario_from_tables(_tables(_hours(0.0, h9=0.7, h10=0.05), machine=0.1,
                                            busy=0.1))
    fates = LeadFates(scenario, 2, 0)
    for hour in (9, 10):
        kinds = np.array([fates.fate(lead, hour)[0] for lead in range(20000)])
        assert np.mean(kinds == MACHINE) == pytest.approx(0.1, abs=0.01)
        assert np.mean(kinds == BUSY) == pytest.approx(0.1, abs=0.01)
