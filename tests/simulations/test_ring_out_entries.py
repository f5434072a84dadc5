"""The simulator ends a decision's unanswered calls from one kernel entry (``_ring_out``,
docs/engine.md "Ninth step"): the engine must see exactly what one entry per call gave it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Originate
from simulations.driver import Simulation
from simulations.scenario import scenario_from_tables

_TABLES = {
    "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                "no_answer_timeout": 25, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
               "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
}


class _OneEntryPerCall(Simulation):
    """The driver before the grouping: every unanswered call its own kernel entry."""

    def _originate(self, command: Originate) -> None:
        self._ring_out_sequence = -2  # nothing to join
        super()._originate(command)


def _stream(kind: type[Simulation], policy: str, agents: int, seed: int
            ) -> tuple[list[str], int]:
    """Every command the engine returned, by ``repr``, in order; and the largest number of
    calls one ring-out entry ended."""
    tables = {**_TABLES, "campaign": {"agents": agents, "shift_hours": 0.25}}
    simulation = kind(scenario_from_tables(tables), policy, seed=seed)
    engine = simulation.engine
    stream: list[str] = []
    handle, tick = engine.handle, engine.tick

    def recorded_handle(event: Any) -> list[Any]:
        out = handle(event)
        stream.extend(map(repr, out))
        return out

    def recorded_tick(now: float) -> list[Any]:
        out = tick(now)
        stream.extend(map(repr, out))
        return out

    engine.handle, engine.tick = recorded_handle, recorded_tick  # type: ignore[method-assign]
    largest = 0
    ring_out = simulation._ring_out

    def counted(at: float, call_ids: list[str]) -> None:
        nonlocal largest
        largest = max(largest, len(call_ids))
        ring_out(at, call_ids)

    simulation._ring_out_action = counted  # type: ignore[method-assign]
    simulation.run()
    return stream, largest


@pytest.mark.parametrize("policy", ["progressive", "power", "predictive"])
@settings(max_examples=3, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([5, 20]))
def test_unanswered_calls_of_one_entry_end_as_with_one_entry_each(
        policy: str, seed: int, agents: int) -> None:
    assert (_stream(Simulation, policy, agents, seed)[0]
            == _stream(_OneEntryPerCall, policy, agents, seed)[0])


def test_a_decisions_unanswered_calls_share_an_entry() -> None:
    """The grouping the test above compares does happen (20 agents, progressive: some
    decisions place several calls that all ring out)."""
    assert _stream(Simulation, "progressive", 20, 1)[1] > 1
