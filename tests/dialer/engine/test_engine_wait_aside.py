"""``next_wakeup`` only observes: asking it (which sets aside the connect-window wait of a
bridged call, switch_waits.py) never changes what the engine decides, even when a
consultation brings the call back to ``bridging`` before that window closes."""

from __future__ import annotations

from engine_kit import make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Bridge, Originate, PlayMessage
from dialer.engine.calls import CallState
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    CallHungUp,
    ConsultFinished,
    ConsultRequested,
)


def _connected(ask_wakeup: bool):
    """Agents a0, a1 with legs; one customer answered at 2.0 and bridged at 3.0 (its
    connect window closes at 3.7: 2 s less the 0.3 s message budget). With
    ``ask_wakeup``, ``next_wakeup`` is asked after every step, as a driver does."""
    engine, _, _, _ = make_engine(wrap_up_timeout=30.0)
    outputs = []

    def step(out):
        outputs.append(out)
        if ask_wakeup:
            engine.next_wakeup()
        return out

    for agent in ("a0", "a1"):
        step(engine.handle(AgentLoggedIn(0.0, agent, f"user/{agent}")))
        step(engine.handle(AgentLegUp(0.0, agent)))
    originates = of_type(step(engine.tick(1.0)), Originate)
    call_id = originates[0].call_id
    for other in originates[1:]:
        step(engine.handle(CallHungUp(1.5, other.call_id)))
    bridge = of_type(step(engine.handle(CallAnswered(2.0, call_id))), Bridge)[0]
    step(engine.handle(CallBridged(3.0, call_id, bridge.agent_id)))
    step(engine.tick(3.0))  # a decision: the next is at 4.0, after the window closes
    return engine, step, outputs, call_id, bridge.agent_id


def _consult_and_back(ask_wakeup: bool, consult_at: float, back_after: float,
                      complete: bool, ticks: list[float]):
    engine, step, outputs, call_id, agent = _connected(ask_wakeup)
    other = "a1" if agent == "a0" else "a0"
    step(engine.handle(ConsultRequested(consult_at, agent, "agent", other)))
    back_at = consult_at + back_after
    step(engine.handle(ConsultFinished(back_at, agent, complete)))
    for at in sorted(ticks):
        step(engine.tick(back_at + at))
    return engine, outputs, call_id


def test_a_consultation_inside_the_window_still_meets_its_deadline() -> None:
    """Back to ``bridging`` at 3.3, before the window closes at 3.7: the set-aside wait
    was put back, and fires as it would have (the engine gives the call its message)."""
    engine, asked, call_id = _consult_and_back(True, 3.2, 0.1, False, [0.4])
    _, never_asked, _ = _consult_and_back(False, 3.2, 0.1, False, [0.4])
    assert asked == never_asked
    assert of_type(asked[-1], PlayMessage)[0].call_id == call_id
    assert engine.calls[call_id].state is CallState.ABANDONED


def test_a_bridged_call_sets_its_wait_aside() -> None:
    engine, _, _, call_id, _ = _connected(True)
    assert engine.calls[call_id].wait_aside is not None
    assert engine.next_wakeup() > 3.7  # no empty tick at the window's close


@settings(max_examples=60, deadline=None)
@given(consult_at=st.floats(3.0, 5.0), back_after=st.floats(0.0, 1.5),
       complete=st.booleans(),
       ticks=st.lists(st.floats(0.0, 3.0), min_size=0, max_size=4))
def test_asking_next_wakeup_changes_no_decision(consult_at, back_after, complete,
                                                 ticks) -> None:
    _, asked, _ = _consult_and_back(True, consult_at, back_after, complete, ticks)
    _, never_asked, _ = _consult_and_back(False, consult_at, back_after, complete, ticks)
    assert asked == never_asked
