"""``CampaignConfig.agent_guaranteed``: every call the campaign places is promised a live
agent (Ofcom's "agent guaranteed", which lifts the repeat-call rules), so a ready agent's
pause (and log-out: test_engine_guaranteed_logout.py) waits while every ready agent of their
switch is promised to a dial in flight (promises.py): the call placed for them never finds
nobody. Without the setting the pause is immediate, as before, and such a call can be
abandoned (the control case)."""

from __future__ import annotations

import itertools

from engine_kit import dial_one, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import AgentState, AttemptFinished, Bridge, CallOutcome, Originate
from dialer.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAnswered,
    CallBridged,
    CallHungUp,
)


def test_without_the_guarantee_a_pause_during_the_ring_abandons_the_call() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentPaused(2.0, "ann", "break"))
    assert engine.pool.agents["ann"].state is AgentState.PAUSED
    engine.handle(CallAnswered(5.0, call_id))
    (finished,) = of_type(engine.handle(CallHungUp(6.0, call_id)), AttemptFinished)
    assert finished.abandoned


def test_a_guaranteed_agents_pause_waits_for_the_call_placed_for_them() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True, wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentPaused(2.0, "ann", "break"))
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.READY and agent.pause_pending == "break"
    assert not of_type(engine.tick(3.0), Originate)  # no second dial for her meanwhile
    out = engine.handle(CallAnswered(5.0, call_id))
    assert [b.agent_id for b in of_type(out, Bridge)] == ["ann"]
    engine.handle(CallBridged(5.0, call_id, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(60.0, call_id)), AttemptFinished)
    assert finished.outcome is CallOutcome.CONNECTED and not finished.abandoned
    assert agent.state is AgentState.PAUSED and agent.reason == "break"


def test_a_held_pause_applies_at_the_first_decision_after_the_dial_ends_unneeded() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentPaused(2.0, "ann", "break"))
    engine.handle(CallHungUp(26.0, call_id))  # nobody answered
    agent = engine.pool.agents["ann"]
    out = engine.tick(26.5)
    assert agent.state is AgentState.PAUSED and agent.reason == "break"
    assert not of_type(out, Originate)  # paused before pacing decided: nothing dialed


def test_ready_again_cancels_a_held_pause() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentPaused(2.0, "ann", "break"))
    engine.handle(AgentReady(3.0, "ann"))
    engine.handle(CallHungUp(26.0, call_id))
    engine.tick(26.5)
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.READY and agent.pause_pending is None


def test_a_spare_ready_agent_pauses_at_once() -> None:
    """Two ready agents and one dial in flight (one line): one of them is spare."""
    engine, _, _, _ = make_engine(agent_guaranteed=True, max_lines=1)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    dial_one(engine)
    engine.handle(AgentPaused(2.0, "bob", "break"))
    assert engine.pool.agents["bob"].state is AgentState.PAUSED


@settings(max_examples=60, deadline=None)
@given(agents=st.integers(1, 4),
       leaving=st.lists(st.tuples(st.floats(0.5, 80.0), st.integers(0, 3), st.booleans()),
                        max_size=6),
       answers=st.lists(st.tuples(st.floats(1.0, 20.0), st.booleans()), min_size=1,
                        max_size=12))
def test_no_guaranteed_call_is_abandoned_whoever_pauses_or_logs_out_when(
        agents, leaving, answers) -> None:
    """Progressive pacing, agents pausing or logging out at random moments (and coming back
    5 s later: Ready, or a new login), calls answered or not after random rings: with the
    guarantee, no answered call is ever abandoned."""
    engine, _, _, _ = make_engine(agent_guaranteed=True, wrap_up_timeout=2.0)
    names = [f"a{i}" for i in range(agents)]
    for name in names:
        engine.handle(AgentLoggedIn(0.0, name))
    events: list[tuple[float, int, object]] = []
    seq = 0
    for at, who, logs_out in leaving:
        name = names[who % agents]
        events += [(at, seq, AgentLoggedOut(at, name)),
                   (at + 5.0, seq + 1, AgentLoggedIn(at + 5.0, name))] if logs_out else [
                   (at, seq, AgentPaused(at, name, "break")),
                   (at + 5.0, seq + 1, AgentReady(at + 5.0, name))]
        seq += 2
    fates = itertools.cycle(answers)
    finished: list[AttemptFinished] = []
    now = 0.0
    while now < 120.0:
        now = round(now + 0.5, 3)
        due = sorted(e for e in events if e[0] <= now)
        events = [e for e in events if e[0] > now]
        out: list = []
        for _, _, event in due:
            out += engine.handle(event)
        out += engine.tick(now)
        while out:
            command = out.pop(0)
            if isinstance(command, AttemptFinished):
                finished.append(command)
            elif isinstance(command, Originate):
                ring, answered = next(fates)
                at = now + ring
                kind = CallAnswered if answered else CallHungUp
                events.append((at, seq, kind(at, command.call_id)))
                if answered:
                    events.append((at + 10.0, seq + 1, CallHungUp(at + 10.0, command.call_id)))
                seq += 2
            elif isinstance(command, Bridge):
                out += engine.handle(CallBridged(now, command.call_id, command.agent_id))
    assert not [f for f in finished if f.abandoned], finished
