"""``CampaignConfig.agent_guaranteed`` keeps its promise on log-out too: a ready agent's
log-out waits while every ready agent of their switch is promised to an outbound dial in
flight (as their pause does: test_engine_agent_guaranteed.py), applies after the call they
take or at the first decision with a spare agent, and Ready takes it back. A phone leg that
drops cannot be held: the answered call is then abandoned, counted as such, and flagged
(``Incident(guarantee_broken)``). Without the setting the log-out is immediate, as before,
and such a call is abandoned (the control case)."""

from __future__ import annotations

from engine_kit import dial_one, make_engine, of_type

from dialer.commands import (
    AgentState,
    AttemptFinished,
    Bridge,
    CallOutcome,
    CloseAgentLeg,
    Incident,
    IncidentKind,
    Originate,
    OriginateAgentLeg,
    PlayMessage,
)
from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    CallAnswered,
    CallBridged,
    CallHungUp,
)
from dialer.hangup import HangupCause


def test_without_the_guarantee_a_log_out_during_the_ring_abandons_the_call() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentLoggedOut(2.0, "ann"))
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallHungUp(6.0, call_id))
    (finished,) = of_type(out, AttemptFinished)
    assert finished.abandoned
    assert not of_type(out, Incident)  # no promise was made, none broken


def test_a_guaranteed_agents_log_out_waits_for_the_call_placed_for_them() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True, wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentLoggedOut(2.0, "ann"))
    agent = engine.pool.agents["ann"]
    # Held: still ready, and the desk shows "log out after this call" (logout_pending).
    assert agent.state is AgentState.READY and agent.logout_pending
    assert not of_type(engine.tick(3.0), Originate)  # no second dial for her meanwhile
    out = engine.handle(CallAnswered(5.0, call_id))
    assert [b.agent_id for b in of_type(out, Bridge)] == ["ann"]
    engine.handle(CallBridged(5.0, call_id, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(60.0, call_id)), AttemptFinished)
    assert finished.outcome is CallOutcome.CONNECTED and not finished.abandoned
    assert agent.state is AgentState.LOGGED_OUT and not agent.logout_pending
    assert not of_type(engine.tick(61.0), Originate)  # nothing dialed for her after


def test_a_held_log_out_applies_at_the_first_decision_after_the_dial_ends_unneeded() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentLoggedOut(2.0, "ann"))
    engine.handle(CallHungUp(26.0, call_id))  # nobody answered
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.READY
    out = engine.tick(26.5)
    assert agent.state is AgentState.LOGGED_OUT and agent.reason == "logout"
    assert not of_type(out, Originate)  # logged out before pacing decided: nothing dialed


def test_a_held_log_out_closes_the_phone_leg_when_it_applies() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    (leg,) = of_type(engine.handle(AgentLoggedIn(0.0, "ann", "user/1001")), OriginateAgentLeg)
    engine.handle(AgentLegUp(0.5, "ann", leg.agent_leg_id))
    call_id = dial_one(engine)
    assert not of_type(engine.handle(AgentLoggedOut(2.0, "ann")), CloseAgentLeg)  # held
    engine.handle(CallHungUp(26.0, call_id))
    (close,) = of_type(engine.tick(26.5), CloseAgentLeg)
    assert close.agent_id == "ann" and close.agent_leg_id == leg.agent_leg_id
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT


def test_ready_again_takes_back_a_held_log_out() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentLoggedOut(2.0, "ann"))
    engine.handle(AgentReady(3.0, "ann"))
    engine.handle(CallHungUp(26.0, call_id))
    engine.tick(26.5)
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.READY and not agent.logout_pending


def test_a_spare_ready_agent_logs_out_at_once() -> None:
    """Two ready agents and one dial in flight (one line): one of them is spare."""
    engine, _, _, _ = make_engine(agent_guaranteed=True, max_lines=1)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    dial_one(engine)
    engine.handle(AgentLoggedOut(2.0, "bob"))
    assert engine.pool.agents["bob"].state is AgentState.LOGGED_OUT


def test_a_dropped_phone_cannot_be_held_the_call_is_abandoned_counted_and_flagged() -> None:
    engine, _, _, _ = make_engine(agent_guaranteed=True)
    (leg,) = of_type(engine.handle(AgentLoggedIn(0.0, "ann", "user/1001")), OriginateAgentLeg)
    engine.handle(AgentLegUp(0.5, "ann", leg.agent_leg_id))
    call_id = dial_one(engine)
    engine.handle(AgentLegDown(2.0, "ann", HangupCause.NORMAL_CLEARING, leg.agent_leg_id))
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.tick(6.7)  # the connect window has closed: nobody to take it
    assert of_type(out, PlayMessage)
    (incident,) = of_type(out, Incident)
    assert incident.kind is IncidentKind.GUARANTEE_BROKEN and incident.call_id == call_id
    (finished,) = of_type(engine.handle(CallHungUp(20.0, call_id)), AttemptFinished)
    assert finished.abandoned
    assert engine.snapshot(20.0).abandons_in_window == 1
