"""The switch simulator places a scenario's inbound callers: Poisson arrivals by the hour,
the queue split, menu keys and callback acceptance from ``[inbound]``, each caller a parked
inbound leg with ``dialer_queue`` (what a runner's ESL connection sees)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulations.scenario import scenario_from_tables
from simulations.switch.arrivals import InboundArrivals
from simulations.switch.fates import default_fate_source
from simulations.switch.switch import Switch, SwitchSettings
from simulations.switch.timers import VirtualTimers

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp()  # a Monday, 09:00 UTC


def _scenario(inbound: dict):
    return scenario_from_tables({
        "campaign": {"agents": 2, "leads": 0},
        "agents": {"talk": {"dist": "fixed", "value": 30.0}},
        "inbound": inbound,
        "queues": [{"name": "sales"}, {"name": "support"}]})


def _run(inbound: dict, seconds: float, seed: int = 1) -> tuple[Switch, InboundArrivals, list]:
    timers = VirtualTimers(START)
    switch = Switch(SwitchSettings(), default_fate_source(), random.Random(seed), timers=timers)
    parks: list = []
    fire = switch.bus.fire

    def spy(name, calling, headers, body=None, **kw):
        if name == "CHANNEL_PARK":
            parks.append(dict(headers() if callable(headers) else headers))
        return fire(name, calling, headers, body, **kw)

    switch.bus.fire = spy  # type: ignore[method-assign]
    arrivals = InboundArrivals(switch, _scenario(inbound), seed=seed, until=START + seconds)
    arrivals.start()
    timers.run_until(START + seconds)
    return switch, arrivals, parks


def test_callers_arrive_at_the_scenarios_rate_and_split_among_its_queues():
    _, arrivals, parks = _run({"calls_per_hour": 3600, "queues": {"sales": 3, "support": 1},
                               "keys": {"1": 0.5, "2": 0.5}, "callback_acceptance": 0.25,
                               "patience": {"dist": "fixed", "value": 45.0}}, 1800.0)
    n = arrivals.counts.placed
    assert 1800 - 4 * 1800 ** 0.5 < n < 1800 + 4 * 1800 ** 0.5  # Poisson, one per second
    assert len(parks) == n
    queues = [p["variable_dialer_queue"] for p in parks]
    assert queues.count("sales") / n == pytest.approx(0.75, abs=0.04)
    scripts = arrivals.scripts
    assert all(len(s.keys) == 4 and set(s.keys) <= {"1", "2"} for s in scripts)
    assert sum(s.callback for s in scripts) / n == pytest.approx(0.25, abs=0.04)
    assert {s.patience for s in scripts} == {45.0} and {s.talk for s in scripts} == {30.0}


def test_arrivals_follow_the_hour_of_the_day():
    by_hour = [0.0] * 24
    by_hour[9] = 7200.0  # only 09:00-10:00 UTC
    _, arrivals, _ = _run({"calls_per_hour_by_hour": by_hour}, 2 * 3600.0)
    parked_hours = {datetime.fromtimestamp(s.parked_at, UTC).hour for s in arrivals.scripts}
    assert parked_hours == {9}
    assert 7200 - 4 * 7200 ** 0.5 < arrivals.counts.placed < 7200 + 4 * 7200 ** 0.5


def test_the_same_seed_places_the_same_callers():
    inbound = {"calls_per_hour": 600, "keys": {"1": 1, "3": 1}, "callback_acceptance": 0.5}
    first = [(s.queue, s.keys, s.callback) for s in _run(inbound, 600.0, seed=4)[1].scripts]
    again = [(s.queue, s.keys, s.callback) for s in _run(inbound, 600.0, seed=4)[1].scripts]
    assert first == again and first


def test_switch_sim_places_callers_only_from_a_scenario_with_inbound_calls(tmp_path):
    from simulations.errors import SimulationError
    from simulations.switch.cli import _inbound_scenario

    with pytest.raises(SimulationError, match="--inbound needs --scenario"):
        _inbound_scenario(None, True)
    outbound = tmp_path / "outbound.toml"
    outbound.write_text("[campaign]\nagents = 2\n\n[agents]\ntalk = 60\nwrap = 0\n")
    assert _inbound_scenario(outbound, None) is None
    with pytest.raises(SimulationError, match="no \\[inbound\\] calls_per_hour"):
        _inbound_scenario(outbound, True)
    blended = _inbound_scenario(
        Path(__file__).resolve().parents[3] / "simulations/scenarios/blended.toml", None)
    assert blended is not None and [q.name for q in blended.queues] == ["sales", "support"]
