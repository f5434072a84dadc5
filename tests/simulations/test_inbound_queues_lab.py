"""The lab with configured queues (docs/inbound.md): an inbound-only queue still reproduces
Erlang A through the engine's menus-and-announcements path, the wait announced at entry is
calibrated (no bias), and a blended day keeps outbound abandonment under its limit in every
window while each queue meets its service-level target, with the outbound talk fraction
reported."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from simulations.metrics import replicate, summarise
from simulations.scenario import load_scenario, scenario_from_tables
from tests.simulations.test_inbound_erlang import (
    AGENTS,
    CALLS_PER_HOUR,
    HOURS,
    LAM,
    PATIENCE,
    TALK,
    THETA,
    _inbound,
    finite_shift,
)

ROOT = Path(__file__).resolve().parents[2]


def _queued(patience: bool, **queue: object) -> dict:
    tables = _inbound(patience)
    tables["queues"] = [{"name": "q", "callback": {"enabled": False},
                         "handle_time": TALK, **queue}]
    return tables


def test_a_configured_queue_is_still_erlang_a() -> None:
    runs = replicate(scenario_from_tables(_queued(True, announcements={"every": None})),
                     "progressive", 12, 21)
    offered = LAM * HOURS * 3600.0
    share = summarise([{**r, "dials": r["inbound_abandoned"] / offered} for r in runs])["dials"]
    expected = finite_shift(THETA, HOURS * 3600.0)[1]
    assert 0 < share["ci95"] < 0.01
    assert abs(share["mean"] - expected) <= share["ci95"]
    # The engine's own records agree with the driver's ground truth.
    assert all(r["queues"]["queues"]["q"]["offered"] == r["inbound_offered"] for r in runs)


def test_the_wait_announced_at_entry_is_calibrated() -> None:
    """Patient callers (Erlang C), announcements every 45 s: over every answered caller who
    was told a wait, the mean wait is the mean announced (within 20 % or 3 s), and each bin of
    the calibration table is within 35 %."""
    scenario = scenario_from_tables(_queued(False))
    runs = replicate(scenario, "progressive", 4, 5)
    table = summarise(runs)["inbound"]["wait_calibration"]
    calls = sum(row["calls"] for row in table)
    estimate = sum(row["mean_estimate"] * row["calls"] for row in table) / calls
    actual = sum(row["mean_actual"] * row["calls"] for row in table) / calls
    assert calls > 1000
    assert abs(actual - estimate) <= max(3.0, 0.2 * estimate), table
    for row in table:
        if row["calls"] >= 100:
            assert abs(row["mean_error"]) <= max(5.0, 0.35 * row["mean_estimate"]), row


def test_a_blended_day_keeps_both_limits() -> None:
    base = load_scenario(ROOT / "simulations" / "scenarios" / "blended.toml")
    scenario = dataclasses.replace(base, campaign=dataclasses.replace(
        base.campaign, shift_hours=4.0))  # 09:00-13:00, the morning peak
    runs = replicate(scenario, "predictive", 2, 3)
    for run in runs:
        assert run["max_window_abandon_rate"] <= 0.03, run["max_window_abandon_rate"]
        for name, figures in run["queues"]["queues"].items():
            assert figures["service_level"] >= figures["target"], (name, figures)
        assert 0.5 < run["outbound_talk_fraction"] < run["talk_fraction"]


def test_scenario_queues_are_validated(tmp_path) -> None:
    import pytest

    from simulations.errors import ScenarioError

    bad = _queued(False, strategy="random")
    with pytest.raises(ScenarioError, match=r"\[\[queues\]\] #1 strategy"):
        scenario_from_tables(bad)
    tables = _inbound(False)
    tables["inbound"]["queues"] = {"nope": 1.0}
    tables["queues"] = [{"name": "q"}]
    with pytest.raises(ScenarioError, match="'nope' is not in"):
        scenario_from_tables(tables)
    tables = _inbound(False)
    tables["inbound"]["calls_per_hour_by_hour"] = [1.0] * 23
    with pytest.raises(ScenarioError, match="24 rates"):
        scenario_from_tables(tables)
    assert CALLS_PER_HOUR and AGENTS and PATIENCE  # the shared scenario's constants
