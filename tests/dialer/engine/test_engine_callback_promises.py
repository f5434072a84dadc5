"""A campaign's due callbacks (scheduled and personal, agent-first) respect the promise of
ready agents to outbound dials in flight (dialer/engine/promises.py), as queue work does: a
callback due while a progressive call rings for the only ready agent used to take that
agent, and the call, answered, was abandoned. Now the callback waits: for the next agent
that frees up, or for the promised agent as soon as its dial ends without needing it (at the
next decision, before pacing dials for it again)."""

from __future__ import annotations

from engine_kit import dial_one, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import AgentState, AttemptFinished, Bridge, CallOutcome, Direction, Originate
from dialer.events import (
    AgentLoggedIn,
    CallAnswered,
    CallbackDue,
    CallBridged,
    CallDisposed,
    CallHungUp,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget

TARGET = DialTarget("L9", "+12015559999", "c1")


def _answer_and_connect(engine, call_id: str, at: float) -> list:
    out = engine.handle(CallAnswered(at, call_id))
    for bridge in of_type(out, Bridge):
        engine.handle(CallBridged(at, call_id, bridge.agent_id))
    return out


def test_a_due_callback_leaves_the_agent_a_dial_rings_for() -> None:
    engine, _, _, _ = make_engine(wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    out = engine.handle(CallbackDue(2.0, "cb1", TARGET))
    assert not of_type(out, Originate)  # not dialed: ann is promised to the call ringing
    assert engine.pool.agents["ann"].state is AgentState.READY
    out = _answer_and_connect(engine, call_id, 5.0)
    assert [b.agent_id for b in of_type(out, Bridge)] == ["ann"]
    # The callback is served by ann when that call ends, before pacing dials for her.
    out = engine.handle(CallHungUp(60.0, call_id))
    out += engine.handle(CallDisposed(60.5, "ann", call_id, "done"))
    out += engine.tick(61.0)
    (callback,) = of_type(out, Originate)
    assert callback.number_e164 == TARGET.number_e164
    (finished,) = [c for c in of_type(engine.handle(CallHungUp(62.0, callback.call_id)),
                                      AttemptFinished)]
    assert finished.direction is Direction.CALLBACK


def test_a_personal_callback_leaves_its_agent_to_the_dial_ringing_for_her() -> None:
    engine, _, _, _ = make_engine(wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    out = engine.handle(CallbackDue(2.0, "cb1", TARGET, agent_id="ann"))
    assert not of_type(out, Originate)
    out = _answer_and_connect(engine, call_id, 5.0)
    assert [b.agent_id for b in of_type(out, Bridge)] == ["ann"]


def test_the_callback_takes_the_agent_when_the_dial_ends_unanswered() -> None:
    """Nobody answers: at the dial's end the promise is gone, and at the next decision the
    waiting callback takes ann before pacing dials for her again."""
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallbackDue(2.0, "cb1", TARGET))
    engine.handle(CallHungUp(26.0, call_id, HangupCause.NO_ANSWER))
    out = engine.tick(26.5)
    (originate,) = of_type(out, Originate)
    assert originate.number_e164 == TARGET.number_e164  # the callback, no new lead
    assert engine.pool.agents["ann"].state is AgentState.RESERVED


def test_a_personal_callback_takes_its_agent_when_her_dial_ends_unanswered() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallbackDue(2.0, "cb1", TARGET, agent_id="ann"))
    engine.handle(CallHungUp(26.0, call_id, HangupCause.NO_ANSWER))
    (originate,) = of_type(engine.tick(26.5), Originate)
    assert originate.number_e164 == TARGET.number_e164


def test_a_spare_agent_takes_the_callback_at_once() -> None:
    """Two ready agents and one line (``max_lines``): one is spare, the callback takes it."""
    engine, _, _, _ = make_engine(max_lines=1)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    call_id = dial_one(engine)
    out = engine.handle(CallbackDue(2.0, "cb1", TARGET))
    (callback,) = of_type(out, Originate)
    assert callback.number_e164 == TARGET.number_e164
    out = _answer_and_connect(engine, call_id, 5.0)
    assert len(of_type(out, Bridge)) == 1


def test_without_the_promise_the_callback_takes_the_agent_and_the_call_is_abandoned() -> None:
    """The control: the first test's world on the engine before (no promise)."""
    engine, _, _, _ = make_engine(wrap_up_timeout=0.0)
    engine.pool.lines.promised = None
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    assert of_type(engine.handle(CallbackDue(2.0, "cb1", TARGET)), Originate)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.tick(7.5)
    out += engine.handle(CallHungUp(20.0, call_id))
    (finished,) = [c for c in of_type(out, AttemptFinished) if c.call_id == call_id]
    assert finished.outcome is CallOutcome.ABANDONED


# --- the property over random worlds ---------------------------------------------------------

def _check_promises_kept(w) -> None:
    """Between any two steps, each switch has at least as many ready agents as outbound
    dials in flight there with no agent attached (each placed by progressive pacing for a
    ready agent): nothing took an agent promised to one. Only an answered call (which takes
    one agent for one dial) lowers both counts together."""
    engine = w.engine
    in_flight: dict[str, int] = {}
    for call_id in engine.dialing:
        call = engine.calls.get(call_id)
        if call is not None and call.agent_id is None and call.direction is Direction.OUTBOUND:
            in_flight[call.switch_id] = in_flight.get(call.switch_id, 0) + 1
    for switch_id, lane in engine.pool.lanes.items():
        dials = in_flight.get(switch_id, 0) if engine.pool.multi_switch else sum(
            in_flight.values())
        assert len(lane.ready) >= dials, (
            f"t={w.now}: {len(lane.ready)} ready on {switch_id} for {dials} dials in flight")


callbacks_due = st.lists(
    st.tuples(st.floats(0, 300), st.none() | st.integers(0, 2)),  # due, personal to agent
    max_size=8,
)
callers_arriving = st.lists(
    st.tuples(st.floats(0, 300), st.floats(1, 200) | st.just(1e9), st.floats(5, 90)),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(due=callbacks_due, arriving=callers_arriving, agents=st.integers(1, 3),
       leads=st.integers(1, 8), answer=st.sampled_from([1.0, 0.6, 0.2]),
       max_wait=st.none() | st.just(60))
def test_due_callbacks_and_callers_never_take_an_agent_promised_to_a_dial(
        due, arriving, agents, leads, answer, max_wait) -> None:
    """Random due callbacks (scheduled and personal), inbound callers and outbound answers,
    progressive pacing, no agent pausing or logging out. Invariant: no queue work and no
    campaign callback takes a ready agent while every ready agent of its switch is promised
    to an outbound dial in flight; so no answered outbound call is ever abandoned for want
    of an agent. And every due callback is dialed once, in the end."""
    from inbound_kit import Caller, queue, world

    from dialer.commands import JournalAttempt

    settings_ = {} if max_wait is None else {"max_wait": max_wait, "overflow": "voicemail"}
    w = world(queue(**settings_), agents=agents, n_leads=leads)
    w.outbound_answer = answer
    w.after_step.append(_check_promises_kept)
    for i, (at, patience, talk) in enumerate(arriving):
        w.add(Caller(f"c{i}", at, "sales", f"+1202555{i:04d}", patience=patience, talk=talk))
    for i, (at, personal) in enumerate(due):
        agent_id = None if personal is None else f"a{personal % agents}"
        w.at(at, CallbackDue(at, f"cb{i}", DialTarget(f"CB{i}", f"+1201666{i:04d}", "c1"),
                             agent_id=agent_id))
    w.run(until=5000.0)  # everything ends within minutes; a callback never served fails
    abandoned = [c for c in w.of_type(AttemptFinished) if c.direction is Direction.OUTBOUND
                 and c.outcome is CallOutcome.ABANDONED]
    assert not abandoned, abandoned
    dialed = [j.callback_id for j in w.of_type(JournalAttempt)
              if j.direction is Direction.CALLBACK and j.callback_id is not None]
    assert sorted(dialed) == sorted(f"cb{i}" for i in range(len(due)))
