"""A campaign callback (scheduled or personal, agent-first) is never given to an agent whose
switch is held for refusing calls (``SwitchRefusing``: the runner's per-switch send hold,
docs/operations.md). Before, the pool reserved any ready agent for it, the callback was
dialed on that agent's switch and refused there: the engine released the lead ("switch fs2
refuses calls") while an agent of a healthy switch sat ready, and the runner offered it
again at its next claim, to be released again while the hold lasted. Now it goes to an
agent of a switch that takes calls, or waits in line (a personal one for its agent's
switch) and is dialed when the switch takes calls again. Queue callbacks had this already
(test_engine_queue_callback_held_switch.py)."""

from __future__ import annotations

from engine_kit import Fixed, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Originate, ReleaseLead
from dialer.events import AgentLegUp, AgentLoggedIn, CallbackDue, CallHungUp, SwitchRefusing
from dialer.hangup import HangupCause
from dialer.ports import DialTarget

SWITCHES = ("fs1", "fs2")


def _engine(*agents: tuple[str, str]):
    engine, _, _, _ = make_engine(policy=Fixed(n=0), switch_ids=SWITCHES)
    for at, (agent, switch) in enumerate(agents):
        engine.handle(AgentLoggedIn(float(at) / 10, agent, switch_id=switch))
        engine.handle(AgentLegUp(float(at) / 10, agent, f"leg-{agent}"))
    return engine


def _due(at: float, n: int = 1, agent: str | None = None) -> CallbackDue:
    return CallbackDue(at, f"cb{n}", DialTarget(f"L{n}", f"+1301555{n:04d}", f"c{n}"),
                       agent_id=agent)


def _callback_dials(out: list) -> list[tuple[str, str]]:
    """(switch, call id) of every callback originated (callback numbers "+1301555NNNN")."""
    return [(o.switch_id, o.call_id) for o in of_type(out, Originate)
            if o.number_e164.startswith("+1301555")]


def _released(out: list) -> list[str]:
    return [r.reason for r in of_type(out, ReleaseLead)]


def test_the_callback_goes_to_an_agent_of_a_switch_that_takes_calls() -> None:
    # fs2's agent has been idle longest: the pool's strategy would pick it.
    engine = _engine(("b", "fs2"), ("a", "fs1"))
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    out = engine.handle(_due(1.0))
    assert _released(out) == []
    ((switch, call_id),) = _callback_dials(out)
    assert switch == "fs1"
    assert engine.calls[call_id].agent_id == "a"


def test_with_only_a_held_switchs_agent_ready_the_callback_waits_then_is_dialed() -> None:
    engine = _engine(("b", "fs2"))
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    out = engine.handle(_due(1.0))
    out += engine.tick(2.0) + engine.tick(3.0)
    assert _callback_dials(out) == [] and _released(out) == []
    assert engine.pool.lines.callbacks_waiting == 1  # in line, not an attempt
    engine.handle(SwitchRefusing(3.5, "fs2", False))  # its probe: calls may go there again
    out = engine.tick(4.0)
    assert [switch for switch, _ in _callback_dials(out)] == ["fs2"]


def test_a_personal_callback_waits_for_its_agents_switch() -> None:
    engine = _engine(("b", "fs2"), ("a", "fs1"))
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    out = engine.handle(_due(1.0, agent="b"))
    out += engine.tick(2.0)
    # Not dialed on fs2 (refused), not given to a (it is b's), not released.
    assert _callback_dials(out) == [] and _released(out) == []
    engine.handle(SwitchRefusing(2.5, "fs2", False))
    out = engine.tick(3.0)
    ((switch, call_id),) = _callback_dials(out)
    assert switch == "fs2" and engine.calls[call_id].agent_id == "b"


def test_an_agent_of_a_held_switch_freed_does_not_take_a_waiting_callback() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1), switch_ids=SWITCHES)
    engine.handle(AgentLoggedIn(0.0, "b", switch_id="fs2"))
    engine.handle(AgentLegUp(0.0, "b", "leg-b"))
    (dial,) = of_type(engine.tick(1.0), Originate)  # a call rings for b
    engine.policy.n = 0
    engine.handle(SwitchRefusing(1.5, "fs2", True))
    out = engine.handle(_due(2.0))  # b is promised to the ringing dial: the callback waits
    out += engine.handle(CallHungUp(3.0, dial.call_id, HangupCause.NO_ANSWER))
    out += engine.tick(4.0)
    assert _callback_dials(out) == [] and _released(out) == []
    assert engine.pool.lines.callbacks_waiting == 1


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(
    st.sampled_from(["refuse", "take", "due", "personal", "tick", "end"]),
    st.sampled_from(SWITCHES)), max_size=30))
def test_no_callback_is_dialed_on_a_held_switch_nor_released_for_it(steps) -> None:
    """Any order of holds, resumptions, callbacks due (scheduled and personal) and
    decisions: no callback is originated on a switch held at that instant, none is
    released because a switch refuses calls, and once no switch is held every callback
    due has been dialed (two agents on each switch, idle, so each can be served)."""
    engine = _engine(("fs2-a", "fs2"), ("fs1-a", "fs1"), ("fs2-b", "fs2"), ("fs1-b", "fs1"))
    held: set[str] = set()
    due = 0
    dialed: set[str] = set()
    now = 1.0
    for action, switch in steps:
        now += 0.5
        if action == "refuse":
            out = engine.handle(SwitchRefusing(now, switch, True))
            held.add(switch)
        elif action == "take":
            out = engine.handle(SwitchRefusing(now, switch, False))
            held.discard(switch)
        elif action in ("due", "personal"):
            due += 1
            out = engine.handle(_due(now, due, f"{switch}-a" if action == "personal" else None))
        elif action == "end":
            out = []
            for call_id in list(engine.calls)[:1]:
                out += engine.handle(CallHungUp(now, call_id, HangupCause.NO_ANSWER))
        else:
            out = engine.tick(now)
        for switch_id, call_id in _callback_dials(out):
            assert switch_id not in held
            dialed.add(engine.calls[call_id].callback_id or call_id)
        assert not [r for r in _released(out) if "refuses calls" in r]
    for switch in SWITCHES:
        engine.handle(SwitchRefusing(now + 1, switch, False))
    out = engine.tick(now + 2)
    for _, call_id in _callback_dials(out):
        dialed.add(engine.calls[call_id].callback_id or call_id)
    # Every due callback was dialed, unless its agent was still on a call (then it waits).
    waiting = engine.pool.lines.callbacks_waiting
    assert len(dialed) + waiting == due
