"""The agent-pool scheduler: routing order, strategies, inbound and callback work."""

from __future__ import annotations

import pytest
from engine_kit import make_engine, of_type
from hypothesis import given
from hypothesis import strategies as st

from dialer.commands import (
    AgentState,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Direction,
    JournalAttempt,
    Originate,
    ReleaseLead,
)
from dialer.engine import AgentPool, FewestSkills, LongestIdle, Sticky, make_strategy
from dialer.engine.agents import AGENT_TRANSITIONS, Agent, transition_agent
from dialer.engine.calls import CALL_TRANSITIONS, Call, CallState, transition
from dialer.engine.routing import Work, WorkKind
from dialer.errors import DialerError, IllegalTransitionError
from dialer.events import (
    AgentLoggedIn,
    AgentReady,
    CallAnswered,
    CallbackDue,
    CallBridged,
    CallDisposed,
    CallHungUp,
    InboundCallArrived,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget


@given(st.sampled_from(list(CallState)), st.sampled_from(list(CallState)))
def test_call_table_is_the_only_judge(old: CallState, new: CallState) -> None:
    call = Call("c", Direction.OUTBOUND, old, 0.0)
    if new in CALL_TRANSITIONS[old]:
        transition(call, new)
        assert call.state is new
    else:
        with pytest.raises(IllegalTransitionError):
            transition(call, new)
        assert call.state is old


@given(st.sampled_from(list(AgentState)), st.sampled_from(list(AgentState)))
def test_agent_table_is_the_only_judge(old: AgentState, new: AgentState) -> None:
    agent = Agent("a", "", frozenset(), 0.0)
    agent.state = old
    if new in AGENT_TRANSITIONS[old]:
        transition_agent(agent, new, 1.0)
        assert agent.state is new and agent.since == 1.0
    else:
        with pytest.raises(IllegalTransitionError):
            transition_agent(agent, new, 1.0)


def test_ended_is_final() -> None:
    assert CALL_TRANSITIONS[CallState.ENDED] == frozenset()


def _pool(*agents: tuple[str, frozenset[str]], strategy=None) -> AgentPool:
    pool = AgentPool(strategy)
    for t, (agent_id, skills) in enumerate(agents):
        pool.login(agent_id, "", skills, float(t))
    return pool


def test_longest_idle_gets_the_work() -> None:
    pool = _pool(("a", frozenset()), ("b", frozenset()), ("c", frozenset()))
    agent = pool.submit(Work(WorkKind.INBOUND, "w1", 10.0), 10.0)
    assert agent.agent_id == "a"
    assert list(pool.ready) == ["b", "c"]


def test_skills_routing_prefers_the_least_versatile_qualified_agent() -> None:
    pool = _pool(
        ("all", frozenset({"en", "es", "fr"})), ("es", frozenset({"es"})),
        ("en", frozenset({"en"})), strategy=FewestSkills(),
    )
    def needs(work_id: str, skill: str) -> Work:
        return Work(WorkKind.INBOUND, work_id, 5.0, skills=frozenset({skill}))

    assert pool.submit(needs("w", "es"), 5.0).agent_id == "es"
    assert pool.submit(needs("x", "fr"), 5.0).agent_id == "all"
    assert pool.submit(needs("y", "es"), 5.0) is None


def test_sticky_prefers_the_previous_agent_when_ready() -> None:
    pool = _pool(("a", frozenset()), ("b", frozenset()), strategy=Sticky())
    assert pool.submit(Work(WorkKind.INBOUND, "w", 5.0, previous_agent_id="b"), 5.0).agent_id == "b"
    assert pool.submit(Work(WorkKind.INBOUND, "x", 5.0, previous_agent_id="b"), 5.0).agent_id == "a"


def test_unknown_strategy_is_a_user_error() -> None:
    assert isinstance(make_strategy("longest_idle"), LongestIdle)
    with pytest.raises(DialerError, match="ring_some"):
        make_strategy("ring_some")


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.floats(0, 1000, allow_nan=False)), min_size=1, max_size=30
    )
)
def test_inbound_served_by_priority_then_wait(calls: list[tuple[int, float]]) -> None:
    pool = AgentPool()
    pool.login("a", "", frozenset(), 0.0)
    pool.submit(Work(WorkKind.INBOUND, "busy", 0.0), 0.0)  # the only agent is reserved
    for i, (priority, arrived) in enumerate(calls):
        work = Work(WorkKind.INBOUND, f"w{i}", arrived, priority=priority)
        assert pool.submit(work, arrived) is None
    served = []
    pool.unreserve("a", 2000.0, "test")
    while True:
        agent = pool.agents["a"]
        if agent.state is not AgentState.RESERVED:
            break
        served.append(agent.call_id)
        assignment = pool.unreserve("a", 2000.0, "next")
        if assignment is None:
            break
    expected = [
        f"w{i}" for i, _ in sorted(enumerate(calls), key=lambda e: (-e[1][0], e[1][1], e[0]))
    ]
    assert served == expected


def test_outbound_answers_go_before_inbound_and_callbacks() -> None:
    pool = AgentPool()
    pool.login("a", "", frozenset(), 0.0)
    pool.submit(Work(WorkKind.INBOUND, "first", 0.0), 0.0)
    pool.submit(Work(WorkKind.CALLBACK, "cb", 1.0), 1.0)
    pool.submit(Work(WorkKind.INBOUND, "in", 2.0, priority=9), 2.0)
    pool.submit(Work(WorkKind.OUTBOUND, "out", 3.0, deadline=5.0), 3.0)
    order = []
    assignment = pool.unreserve("a", 4.0, "done")
    while assignment is not None:
        order.append(assignment[1].work_id)
        assignment = pool.unreserve("a", 4.0, "done")
    assert order == ["out", "in", "cb"]


def test_cancelled_work_is_never_handed_out() -> None:
    pool = AgentPool()
    pool.submit(Work(WorkKind.INBOUND, "gone", 0.0), 0.0)
    pool.submit(Work(WorkKind.INBOUND, "stays", 1.0), 1.0)
    assert pool.lines.cancel("gone") and not pool.lines.cancel("gone")
    pool.login("a", "", frozenset(), 2.0)
    assert pool.offer("a", 2.0)[1].work_id == "stays"


# --- through the engine -----------------------------------------------------------------


def test_inbound_call_is_bridged_and_caller_patience_ends_a_queued_call() -> None:
    engine, _, policy, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (bridge,) = of_type(engine.handle(InboundCallArrived(1.0, "in-1", caller_number="+1")), Bridge)
    assert bridge.agent_id == "ann"
    engine.handle(CallBridged(1.1, "in-1", "ann"))
    assert of_type(engine.handle(InboundCallArrived(2.0, "in-2")), Bridge) == []
    (finished,) = of_type(engine.handle(CallHungUp(9.0, "in-2")), AttemptFinished)
    assert finished.outcome is CallOutcome.QUEUE_ABANDONED
    assert finished.direction is Direction.INBOUND and not finished.abandoned
    # Inbound calls never feed the outbound answer-rate estimators.
    assert policy.attempts == []


def test_inbound_goes_to_the_customer_previous_agent() -> None:
    engine, _, _, _ = make_engine(wrap_up_timeout=0.0)
    engine.pool.lines.strategy = Sticky()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    out = engine.handle(InboundCallArrived(1.0, "in-1", customer_key="K"))
    engine.handle(CallBridged(1.0, "in-1", "ann"))
    engine.handle(CallHungUp(2.0, "in-1"))
    # ann is now the most recently ready: longest idle would pick bob, sticky picks ann.
    (bridge,) = of_type(engine.handle(InboundCallArrived(3.0, "in-2", customer_key="K")), Bridge)
    assert of_type(out, Bridge)[0].agent_id == bridge.agent_id == "ann"


def test_callback_reserves_the_agent_first_then_dials() -> None:
    engine, _, _, _ = make_engine(n_leads=0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    target = DialTarget("L9", "+12015559999", "c1", attempt_number=2)
    out = engine.handle(CallbackDue(10.0, "cb1", target))
    assert [type(c).__name__ for c in out] == ["AgentStateChanged", "JournalAttempt", "Originate"]
    journal = of_type(out, JournalAttempt)[0]
    assert journal.direction is Direction.CALLBACK and journal.callback_id == "cb1"
    assert engine.pool.agents["ann"].state is AgentState.RESERVED
    # The pacing policy sees no free agent while the callback rings.
    assert engine.pacing_state(11.0).agents_free == 0
    call_id = of_type(out, Originate)[0].call_id
    (bridge,) = of_type(engine.handle(CallAnswered(15.0, call_id)), Bridge)
    assert bridge.agent_id == "ann"


def test_unanswered_callback_frees_the_agent() -> None:
    engine, _, _, _ = make_engine(n_leads=0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    out = engine.handle(CallbackDue(10.0, "cb1", DialTarget("L9", "+12015559999", "c1")))
    call_id = of_type(out, Originate)[0].call_id
    engine.handle(CallHungUp(35.0, call_id, HangupCause.NO_ANSWER))
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_personal_callback_waits_for_its_agent() -> None:
    engine, _, _, _ = make_engine(n_leads=0, wrap_up_timeout=60.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    engine.handle(InboundCallArrived(1.0, "in-1"))  # ann takes it
    engine.handle(CallBridged(1.0, "in-1", "ann"))
    out = engine.handle(CallbackDue(2.0, "cb1", DialTarget("L9", "+1201", "c1"), agent_id="ann"))
    assert of_type(out, Originate) == []  # bob is free, but it is ann's callback
    engine.handle(CallHungUp(5.0, "in-1"))
    out = engine.handle(CallDisposed(6.0, "ann", "in-1", "done"))
    assert of_type(out, Originate)[0].number_e164 == "+1201"


def test_refused_callback_releases_the_lead_and_the_agent() -> None:
    from engine_kit import RecordingGate

    engine, _, _, _ = make_engine(n_leads=0, gate=RecordingGate(refused={"+1201"}))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    out = engine.handle(CallbackDue(2.0, "cb1", DialTarget("L9", "+1201", "c1")))
    assert of_type(out, Originate) == [] and of_type(out, ReleaseLead)[0].lead_id == "L9"
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_ready_event_from_pause_takes_waiting_work() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    from dialer.events import AgentPaused

    engine.handle(AgentPaused(0.5, "ann", "coaching"))
    engine.handle(InboundCallArrived(1.0, "in-1"))
    (bridge,) = of_type(engine.handle(AgentReady(3.0, "ann")), Bridge)
    assert bridge.call_id == "in-1"


# --- ring-all -------------------------------------------------------------------------------


def _ring_all_engine():
    from engine_kit import Progressive, RecordingGate

    from dialer.engine import CampaignConfig, Engine, RingAll
    from dialer.ports import ListLeadSource

    engine = Engine(
        CampaignConfig("c1", "+12015550000", wrap_up_timeout=0.0), Progressive(),
        ListLeadSource([]), RecordingGate(), routing=RingAll(), assume_switches_up=True,
    )
    return engine


def test_ring_all_offers_to_every_ready_agent_and_the_first_to_accept_wins() -> None:
    from dialer.commands import OfferWork
    from dialer.events import AgentAccepted

    engine = _ring_all_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob", skills=frozenset({"es"})))
    (offer,) = of_type(engine.handle(InboundCallArrived(1.0, "in-1")), OfferWork)
    assert set(offer.agent_ids) == {"ann", "bob"} and offer.kind == "inbound"
    (bridge,) = of_type(engine.handle(AgentAccepted(2.0, "bob", "in-1")), Bridge)
    assert bridge.agent_id == "bob" and bridge.call_id == "in-1"
    assert engine.handle(AgentAccepted(2.1, "ann", "in-1")) == []  # too late: ignored
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_ring_all_offers_waiting_work_to_an_agent_who_becomes_ready() -> None:
    from dialer.commands import OfferWork
    from dialer.events import AgentAccepted

    engine = _ring_all_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(InboundCallArrived(1.0, "in-1"))
    engine.handle(AgentAccepted(1.5, "ann", "in-1"))
    engine.handle(CallBridged(1.5, "in-1", "ann"))
    assert of_type(engine.handle(InboundCallArrived(2.0, "in-2", skills=frozenset({"fr"}))),
                   OfferWork) == []  # nobody ready
    engine.handle(InboundCallArrived(3.0, "in-3"))
    out = engine.handle(CallHungUp(10.0, "in-1"))  # ann is ready again (no wrap-up)
    offers = of_type(out, OfferWork)
    assert [o.work_id for o in offers] == ["in-3"] and offers[0].agent_ids == ("ann",)
    # An accept for work the agent lacks the skills for is refused.
    assert of_type(engine.handle(AgentAccepted(11.0, "ann", "in-2")), Bridge) == []
    assert of_type(engine.handle(AgentAccepted(11.0, "ann", "in-3")), Bridge)[0].call_id == "in-3"


def test_callback_while_no_switch_is_up_releases_the_lead_and_the_agent() -> None:
    from dialer.events import SwitchDown

    engine, _, _, _ = make_engine(n_leads=0)
    engine.handle(SwitchDown(0.0, "default"))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    out = engine.handle(CallbackDue(1.0, "cb1", DialTarget("L9", "+1201", "c1")))
    assert of_type(out, Originate) == []
    (release,) = of_type(out, ReleaseLead)
    assert release.lead_id == "L9" and release.reason == "no switch connected"
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_snapshot_for_the_dashboard() -> None:
    engine, _, _, _ = make_engine(wrap_up_timeout=30.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    first, _second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(3.0, first))
    snapshot = engine.snapshot(4.0)
    assert snapshot.calls_by_state == {"bridging": 1, "dialing": 1}
    assert snapshot.agents_by_state == {"reserved": 1, "ready": 1}
    assert snapshot.dials == 2 and snapshot.live_answers_in_window == 1
    assert snapshot.last_decision is not None and snapshot.switches_up == ("default",)


def test_a_pause_asked_while_the_phone_connects_holds_once_the_leg_is_up() -> None:
    """A pause (or log-out) asked while the agent's phone is still ringing is kept, not
    dropped: the web answered "done" and the agent's leg then came up ready, so the dialer
    sent calls to someone who had asked for a break."""
    from dialer.events import AgentLegUp, AgentPaused

    engine, _, _, _ = make_engine()
    out = engine.handle(AgentLoggedIn(0.0, "ann", "user/1001"))
    assert engine.pool.agents["ann"].state is AgentState.CONNECTING
    engine.handle(AgentPaused(0.5, "ann", "coaching"))
    engine.handle(InboundCallArrived(1.0, "in-1"))
    out = engine.handle(AgentLegUp(2.0, "ann"))
    assert of_type(out, Bridge) == []
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.PAUSED and agent.reason == "coaching"
    # Ready again: the waiting call is hers.
    (bridge,) = of_type(engine.handle(AgentReady(3.0, "ann")), Bridge)
    assert bridge.call_id == "in-1"
