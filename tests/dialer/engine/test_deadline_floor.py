"""The engine's floor of its deadlines (``DeadlineFloor``, dialer/engine/watch.py).

``handle``, ``tick`` and ``next_wakeup`` look at the five structures of deadlines (the
watch's heap and its line of ``DIAL`` waits, the wrap-up heap, the line of answered calls,
the inbound timers) only once the time reaches the floor, which every push lowers. The
invariant that makes this safe, checked after every entry into the engine: the floor is
no later than any deadline kept, and ``next_wakeup`` answers what a full look at the five
answers (the code before the floor, copied here). A push site that forgets to lower the
floor fails these tests (each site was removed in turn, by hand, to see it fail): the
simulated campaigns reach every site (dials, AMD and bridge waits, safe-harbour messages,
wrap-ups, answered calls waiting, queue timers and callbacks), the stateful machine of
test_engine_invariants.py random agents, switches and consultations.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant
from test_engine_invariants import EngineMachine
from test_engine_wait_aside import _consult_and_back

import simulations.driver as driver
from dialer.engine import Engine
from dialer.engine.calls import CallState
from simulations.scenario import scenario_from_tables

ROOT = Path(__file__).resolve().parents[3]

POPULATION = {
    "callees": {
        "live_answer": 0.3,
        "machine": 0.15,
        "busy": 0.05,
        "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
        "no_answer_timeout": 25,
        "busy_time": 4,
        "patience": {"dist": "exponential", "mean": 5.0},
    },
    "agents": {"talk": {"dist": "lognormal", "mean": 60.0, "sd": 30.0}, "machine_handle_time": 5},
}


def every_deadline(engine: Engine) -> float:
    """The earliest deadline of all five structures, every entry looked at (inf: none)."""
    deadlines = [work.deadline for work in engine.pool.lines.outbound if not work.cancelled]
    deadlines += [entry[0] for entry in engine.pool.wrap_heap]
    deadlines += [entry[0] for entry in engine.inbound.timers]
    deadlines += [entry[0] for entry in engine.watch._heap]
    deadlines += [entry[0] for entry in engine.watch._dials]
    return min(deadlines, default=math.inf)


def full_look(engine: Engine) -> float | None:
    """``next_wakeup`` as it was before the floor: every structure's head read, finished
    waits dropped from the watch's heads."""
    now = engine._now
    if now == -math.inf:
        return None
    wake = engine._next_decision_at if engine._next_decision_at > now else now
    if engine.pool.lines.outbound:
        deadline = engine.pool.lines.next_outbound_deadline()
        if deadline is not None and deadline < wake:
            wake = deadline
    wraps = engine.pool.wrap_heap
    if wraps and wraps[0][0] < wake:
        wake = wraps[0][0]
    timers = engine.inbound.timers
    if timers and timers[0][0] < wake:
        wake = max(timers[0][0], now)
    watch = engine.watch._heap
    if watch and watch[0][0] <= wake:
        engine.waits.drop_finished_waits()
        if watch and watch[0][0] < wake:
            wake = max(watch[0][0], now)
    dials = engine.watch._dials
    if dials and dials[0][0] <= wake:
        while dials:
            call = engine.calls.get(dials[0][3])
            if call is not None and call.state in (CallState.DIALING, CallState.RINGING):
                break
            dials.popleft()
        if dials and dials[0][0] < wake:
            wake = max(dials[0][0], now)
    return wake


def check_floor(engine: Engine) -> None:
    lowest = every_deadline(engine)
    assert engine._floor.at <= lowest, (
        f"the floor {engine._floor.at} is later than a deadline kept, {lowest}"
    )


class FloorChecked(Engine):
    """The engine, checked after every entry (the simulator builds this one)."""

    entries = 0

    def handle(self, event):
        out = super().handle(event)
        check_floor(self)
        FloorChecked.entries += 1
        return out

    def tick(self, now):
        out = super().tick(now)
        check_floor(self)
        FloorChecked.entries += 1
        return out

    def next_wakeup(self):
        wake = super().next_wakeup()
        assert wake == full_look(self), "next_wakeup missed a deadline a full look finds"
        check_floor(self)
        return wake


def _run(tables: dict, policy: str, seed: int, params: dict | None = None) -> int:
    FloorChecked.entries = 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(driver, "Engine", FloorChecked)
        tally = driver.Simulation(
            scenario_from_tables(tables), policy, seed=seed, params=params
        ).run()
    assert FloorChecked.entries > 0
    return tally.dials


@settings(max_examples=25, deadline=None)
@given(
    policy=st.sampled_from(["progressive", "predictive", "power"]),
    amd=st.booleans(),
    inbound=st.booleans(),
    agents=st.integers(1, 6),
    wrap=st.sampled_from([5.0, 45.0]),
    seed=st.integers(0, 2**16),
)
def test_simulated_campaigns_keep_the_floor(
    policy: str, amd: bool, inbound: bool, agents: int, wrap: float, seed: int
) -> None:
    # A wrap-up of 45 s outlasts the engine's 30-s wrap-up timeout: the timeouts fire.
    tables: dict = {
        **POPULATION,
        "agents": {**POPULATION["agents"], "wrap": {"dist": "fixed", "value": wrap}},
        "campaign": {"agents": agents, "shift_hours": 0.1},
    }
    if amd:
        tables["amd"] = {"enabled": True, "false_positive": 0.05, "false_negative": 0.1}
    if inbound:
        tables["inbound"] = {
            "calls_per_hour": 120.0,
            "patience": {"dist": "exponential", "mean": 60.0},
        }
    params = {"lines_per_agent": 3.0} if policy == "power" else None
    assert _run(tables, policy, seed, params) > 0


def test_a_blended_hour_keeps_the_floor() -> None:
    """Queues with announcements, callbacks offered and retried: the inbound timers."""
    tables = tomllib.loads((ROOT / "simulations/scenarios/blended.toml").read_text())
    tables["campaign"] = {**tables["campaign"], "shift_hours": 1, "agents": 6}
    assert _run(tables, "predictive", 3) > 0


@settings(max_examples=30, deadline=None)
@given(consult_at=st.floats(3.0, 3.55), back_after=st.floats(0.0, 0.1))
def test_a_wait_put_back_lowers_the_floor(consult_at: float, back_after: float) -> None:
    """A bridged call's connect-window wait, set aside by ``next_wakeup``, goes back into
    the watch when a consultation brings the call back to ``bridging`` inside the window
    (closing at 3.7): the floor comes down to it."""
    engine, _, _ = _consult_and_back(True, consult_at, back_after, False, [])
    check_floor(engine)
    assert engine.next_wakeup() == full_look(engine) == 3.7


class FloorMachine(EngineMachine):
    """test_engine_invariants.py's random switches and agents, the floor checked too."""

    @invariant()
    def the_floor_is_below_every_deadline(self) -> None:
        if not hasattr(self, "engine"):
            return
        check_floor(self.engine)
        wake = self.engine.next_wakeup()
        assert wake == full_look(self.engine)


TestFloorMachine = FloorMachine.TestCase
TestFloorMachine.settings = settings(max_examples=40, stateful_step_count=50, deadline=None)
