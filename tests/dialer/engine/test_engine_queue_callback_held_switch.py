"""A queue callback is never given to an agent whose switch is held for refusing calls
(``SwitchRefusing``: the runner's per-switch send hold, docs/operations.md). Before, the
pool reserved any ready agent for it, the callback was dialed on that agent's switch
(``uuid_bridge`` joins channels of one node) and the held switch refused it: the caller's
callback was an attempt lost while an agent of a healthy switch sat ready. Now it goes to
an agent of a switch that takes calls, or keeps its place in line until one does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from inbound_kit import queue, world

from dialer.commands import Originate
from dialer.events import AgentLegUp, AgentLoggedIn, QueueCallbackPending, SwitchRefusing

SWITCHES = ("fs1", "fs2")
PENDING = QueueCallbackPending(10.0, "cb-1", "sales", "+12025550101", place_at=5.0)


def _world(*agents: tuple[str, str]):
    w = world(queue(), agents=0, switch_ids=SWITCHES)
    for at, (agent, switch) in enumerate(agents):
        w.feed(AgentLoggedIn(float(at), agent, switch_id=switch))
        w.feed(AgentLegUp(float(at), agent, f"leg-{agent}"))
    return w


def _callback_dials(w) -> list[tuple[str, str]]:
    return [(o.switch_id, o.variables.get("dialer_agent", "")) for o in w.of_type(Originate)
            if o.variables.get("dialer_queue_callback")]


def test_the_callback_goes_to_an_agent_of_a_switch_that_takes_calls() -> None:
    # fs2's agent has been idle longest: the pool's strategy would pick it.
    w = _world(("b", "fs2"), ("a", "fs1"))
    w.feed(SwitchRefusing(5.0, "fs2", True))
    w.at(10.0, PENDING)
    w.run(until=12.0)
    assert [switch for switch, _ in _callback_dials(w)] == ["fs1"]
    (dial,) = [o for o in w.of_type(Originate)]
    assert w.engine.calls[dial.call_id].agent_id == "a"


def test_with_only_a_held_switchs_agent_ready_the_callback_keeps_its_place() -> None:
    w = _world(("b", "fs2"))
    w.feed(SwitchRefusing(5.0, "fs2", True))
    w.at(10.0, PENDING)
    w.run(until=30.0)
    assert _callback_dials(w) == []
    assert w.engine.pool.lines.inbound.total == 1  # still in line, not an attempt
    w.feed(SwitchRefusing(30.0, "fs2", False))  # its probe: calls may go there again
    w.run(until=40.0)
    assert [switch for switch, _ in _callback_dials(w)] == ["fs2"]


def test_an_agent_of_a_held_switch_freed_does_not_take_a_waiting_callback() -> None:
    w = _world(("b", "fs2"))
    w.feed(SwitchRefusing(5.0, "fs2", True))
    w.at(10.0, PENDING)
    w.run(until=20.0)
    w.feed(AgentLoggedIn(20.0, "a", switch_id="fs1"))
    w.feed(AgentLegUp(20.0, "a", "leg-a"))
    w.run(until=25.0)
    assert [switch for switch, _ in _callback_dials(w)] == ["fs1"]


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(("refuse", "resume", "callback")),
                                st.sampled_from(SWITCHES)), min_size=1, max_size=12))
def test_no_queue_callback_is_dialed_on_a_held_switch(steps) -> None:
    """Any order of holds, resumptions and callbacks joining the line: every callback
    dialed goes out on a switch not held at that moment."""
    w = _world(("a", "fs1"), ("b", "fs2"))
    held: set[str] = set()
    dialed_on: list[tuple[str, frozenset[str]]] = []

    def noted(command) -> None:
        if isinstance(command, Originate) and command.variables.get("dialer_queue_callback"):
            dialed_on.append((command.switch_id, frozenset(held)))

    w.observers.append(noted)
    t = 5.0
    for n, (kind, switch) in enumerate(steps):
        t += 7.0
        if kind == "callback":
            w.feed(QueueCallbackPending(t, f"cb-{n}", "sales", f"+1202555{n:04d}",
                                        place_at=t - 1.0))
        else:
            refusing = kind == "refuse"
            (held.add if refusing else held.discard)(switch)
            w.feed(SwitchRefusing(t, switch, refusing))
        w.run(until=t + 3.0)
    assert all(switch not in held_then for switch, held_then in dialed_on)
