"""Agent-desktop requests in the engine: hold, blind and attended transfers, preview
dialing, a supervisor's pause and eavesdrop."""

from __future__ import annotations

import pytest
from engine_kit import make_engine, of_type

from dialer.commands import (
    AgentNotice,
    AgentState,
    AttemptFinished,
    Bridge,
    BridgeLegs,
    CallOutcome,
    Eavesdrop,
    Hangup,
    HoldCall,
    Originate,
    OriginateAgentLeg,
    OriginateConsult,
    ParkCall,
    PreviewLead,
    ReleaseLead,
    TransferOut,
)
from dialer.engine.calls import CALL_TRANSITIONS, CallState
from dialer.engine.desk import CONSULT_TRANSITIONS, ConsultState
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallAnswered,
    CallBridged,
    CallHungUp,
    CallParked,
    ConsultFinished,
    ConsultRequested,
    DialingPaused,
    EavesdropRequested,
    HoldRequested,
    PreviewDecided,
    TransferRequested,
)


def _login(engine, agent: str, at: float) -> str:
    out = engine.handle(AgentLoggedIn(at, agent, f"user/{agent}"))
    leg = of_type(out, OriginateAgentLeg)[0].agent_leg_id
    engine.handle(AgentLegUp(at, agent))
    return leg


def connected(n_agents: int = 1, **config):
    """An engine with agents a0..aN-1 and a customer bridged to a0 at t=3."""
    engine, leads, _policy, _gate = make_engine(wrap_up_timeout=30.0, **config)
    legs = {f"a{i}": _login(engine, f"a{i}", 0.0) for i in range(n_agents)}
    out = engine.tick(1.0)
    call_id = of_type(out, Originate)[0].call_id
    for other in of_type(out, Originate)[1:]:
        engine.handle(CallHungUp(1.5, other.call_id))
    out = engine.handle(CallAnswered(2.0, call_id))
    bridge = of_type(out, Bridge)[0]
    engine.handle(CallBridged(3.0, call_id, bridge.agent_id))
    assert engine.pool.agents[bridge.agent_id].state is AgentState.ON_CALL
    return engine, leads, call_id, bridge.agent_id, legs


def test_hold_and_unhold_keep_the_bridge_and_count_hold_time() -> None:
    engine, _, call_id, agent, _ = connected()
    out = engine.handle(HoldRequested(10.0, agent, True))
    assert of_type(out, HoldCall) == [HoldCall(10.0, call_id, True)]
    assert engine.handle(HoldRequested(11.0, agent, True)) == []  # already held
    out = engine.handle(HoldRequested(15.0, agent, False))
    assert of_type(out, HoldCall) == [HoldCall(15.0, call_id, False)]
    call = engine.calls[call_id]
    assert call.state is CallState.BRIDGED and call.hold_seconds == 5.0


def test_a_request_without_a_connected_call_is_refused_with_a_notice() -> None:
    engine, *_ = make_engine()
    _login(engine, "a0", 0.0)
    out = engine.handle(HoldRequested(1.0, "a0", True))
    assert of_type(out, AgentNotice) and not of_type(out, HoldCall)


def test_blind_transfer_to_a_number_hands_the_call_on_and_wraps_the_agent_up() -> None:
    engine, _, call_id, agent, _ = connected()
    out = engine.handle(TransferRequested(10.0, agent, "number", "+12015550199"))
    assert of_type(out, TransferOut) == [TransferOut(10.0, call_id, "+12015550199")]
    assert engine.pool.agents[agent].state is AgentState.WRAP_UP
    assert engine.calls[call_id].state is CallState.TRANSFERRED
    out = engine.handle(CallHungUp(60.0, call_id))
    finished = of_type(out, AttemptFinished)[0]
    assert finished.outcome is CallOutcome.CONNECTED and not finished.abandoned
    assert engine.ledger.abandons == 0


def test_a_bad_number_is_not_transferred() -> None:
    engine, _, call_id, agent, _ = connected()
    out = engine.handle(TransferRequested(10.0, agent, "number", "555-0199"))
    assert of_type(out, AgentNotice) and not of_type(out, TransferOut)
    assert engine.calls[call_id].state is CallState.BRIDGED


def test_blind_transfer_to_a_ready_agent_parks_then_bridges_to_them() -> None:
    engine, _, call_id, agent, legs = connected(n_agents=2)
    other = next(a for a in legs if a != agent)
    out = engine.handle(TransferRequested(10.0, agent, "agent", other))
    assert of_type(out, ParkCall) == [ParkCall(10.0, call_id)]
    # The bridge waits for the customer's leg to be parked again (connector.py).
    assert not of_type(out, Bridge)
    out = engine.handle(CallParked(10.2, call_id))
    assert of_type(out, Bridge) == [Bridge(10.2, call_id, other, legs[other])]
    assert engine.pool.agents[agent].state is AgentState.WRAP_UP
    engine.handle(CallBridged(10.5, call_id, other))
    assert engine.pool.agents[other].state is AgentState.ON_CALL
    assert engine.calls[call_id].bridged_at == 3.0  # the first connection's time is kept


def test_blind_transfer_to_a_queue_waits_for_the_next_agent() -> None:
    engine, _, call_id, agent, legs = connected(n_agents=1)
    out = engine.handle(TransferRequested(10.0, agent, "queue", "retention"))
    assert of_type(out, ParkCall) and not of_type(out, Bridge)
    call = engine.calls[call_id]
    assert call.state is CallState.QUEUED and call.queue == "retention"
    # The agent's wrap-up ends and the queue gives the call back to them; past the old
    # connect window, it is still no abandon. Then the customer hangs up: connected.
    engine.handle(AgentLegUp(10.5, agent, legs[agent]))
    engine.handle(CallParked(10.6, call_id))
    out = engine.tick(41.0)
    assert of_type(out, Bridge) and engine.calls[call_id].state is CallState.BRIDGING
    out = engine.handle(CallHungUp(45.0, call_id))
    assert of_type(out, AttemptFinished)[0].outcome is CallOutcome.CONNECTED
    assert engine.ledger.abandons == 0


def _with_queues(*configs: dict):
    """``connected(3)`` with the campaign serving configured queues."""
    from dialer.engine.prompts import PromptSet
    from dialer.engine.queue_config import QueueConfig
    from dialer.engine.queues import QueueSet

    queues = QueueSet([QueueConfig.model_validate(c) for c in configs],
                      PromptSet.standard(seconds=1.0))
    engine, _, _, _ = make_engine(wrap_up_timeout=30.0)
    engine = type(engine)(engine.config, engine.policy, engine.leads, engine.gate,
                          assume_switches_up=True, queues=queues)
    legs = {f"a{i}": _login(engine, f"a{i}", 0.0) for i in range(3)}
    out = engine.tick(1.0)
    call_id = of_type(out, Originate)[0].call_id
    for other in of_type(out, Originate)[1:]:
        engine.handle(CallHungUp(1.5, other.call_id))
    bridge = of_type(engine.handle(CallAnswered(2.0, call_id)), Bridge)[0]
    engine.handle(CallBridged(3.0, call_id, bridge.agent_id))
    return engine, call_id, bridge.agent_id, legs


def test_a_transfer_to_a_queue_joins_it_with_the_queues_configuration() -> None:
    """The customer waits in the queue's own line, with its members and its priority
    rules: an agent who is not a member never gets it, however ready."""
    engine, call_id, agent, legs = _with_queues(
        {"name": "retention", "agents": ["a2"], "priority": {"aging_per_minute": 6.0}})
    assert agent != "a2"  # the longest idle of a0..a2 took the first call
    engine.handle(DialingPaused(4.0, True))
    engine.handle(AgentPaused(4.0, "a2", "break"))
    out = engine.handle(TransferRequested(10.0, agent, "queue", "retention"))
    assert of_type(out, ParkCall) and not of_type(out, Bridge)
    engine.handle(CallParked(10.2, call_id))
    line = engine.pool.lines.inbound.lines["retention"]
    (work,) = list(line)
    assert work.work_id == call_id and work.members == frozenset({"a2"})
    assert work.aging == 0.1  # the queue's 6 a minute, per second
    # The other ready agent (not a member) is passed over while the member is paused.
    others = [a for a in legs if a not in (agent, "a2")]
    assert all(engine.pool.agents[a].state is AgentState.READY for a in others)
    assert not of_type(engine.tick(12.0), Bridge)
    out = engine.handle(AgentReady(20.0, "a2"))
    assert [b.agent_id for b in of_type(out, Bridge)] == ["a2"]


def test_a_queue_the_campaign_does_not_serve_is_refused() -> None:
    engine, call_id, agent, _ = _with_queues({"name": "sales"})
    out = engine.handle(TransferRequested(10.0, agent, "queue", "retention"))
    (notice,) = of_type(out, AgentNotice)
    assert notice.text == ("queue 'retention' is not served by this campaign "
                           "(served: sales)")
    assert not of_type(out, ParkCall)
    assert engine.calls[call_id].state is CallState.BRIDGED


def test_consult_an_agent_then_complete() -> None:
    engine, _, call_id, agent, legs = connected(n_agents=2)
    other = next(a for a in legs if a != agent)
    out = engine.handle(ConsultRequested(10.0, agent, "agent", other))
    assert of_type(out, ParkCall) == [ParkCall(10.0, call_id)]
    assert of_type(out, BridgeLegs) == [BridgeLegs(10.0, legs[agent], legs[other])]
    assert engine.pool.agents[other].state is AgentState.RESERVED
    assert engine.calls[call_id].state is CallState.PARKED
    out = engine.handle(ConsultFinished(20.0, agent, True))
    assert of_type(out, Bridge) == [Bridge(20.0, call_id, other, legs[other])]
    assert engine.pool.agents[agent].state is AgentState.WRAP_UP
    engine.handle(CallBridged(20.2, call_id, other))
    assert engine.pool.agents[other].state is AgentState.ON_CALL
    assert not engine.consults.by_agent


def test_consult_an_agent_then_cancel_gives_the_customer_back() -> None:
    engine, _, call_id, agent, legs = connected(n_agents=2)
    other = next(a for a in legs if a != agent)
    engine.handle(ConsultRequested(10.0, agent, "agent", other))
    out = engine.handle(ConsultFinished(20.0, agent, False))
    assert of_type(out, Bridge) == [Bridge(20.0, call_id, agent, legs[agent])]
    assert engine.pool.agents[other].state is AgentState.READY
    engine.handle(CallBridged(20.1, call_id, agent))
    assert engine.pool.agents[agent].state is AgentState.ON_CALL
    assert engine.calls[call_id].state is CallState.BRIDGED


def test_consult_a_number_bridges_it_on_answer_and_completes_out() -> None:
    engine, _, call_id, agent, legs = connected()
    out = engine.handle(ConsultRequested(10.0, agent, "number", "+12015550199"))
    dial = of_type(out, OriginateConsult)[0]
    assert dial.number_e164 == "+12015550199" and engine.owns_leg(dial.leg_id)
    refused = engine.handle(ConsultFinished(11.0, agent, True))  # not answered yet
    assert of_type(refused, AgentNotice)
    out = engine.handle(CallAnswered(14.0, dial.leg_id))
    assert of_type(out, Bridge) == [Bridge(14.0, dial.leg_id, agent, legs[agent])]
    engine.handle(CallBridged(14.1, dial.leg_id, agent))
    assert engine.consults.by_agent[agent].state is ConsultState.TALKING
    out = engine.handle(ConsultFinished(30.0, agent, True))
    assert of_type(out, BridgeLegs) == [BridgeLegs(30.0, call_id, dial.leg_id)]
    assert engine.calls[call_id].state is CallState.TRANSFERRED
    assert engine.pool.agents[agent].state is AgentState.WRAP_UP


def test_the_consulted_party_hanging_up_gives_the_customer_back() -> None:
    engine, _, call_id, agent, legs = connected()
    dial = of_type(engine.handle(ConsultRequested(10.0, agent, "number", "+12015550199")),
                   OriginateConsult)[0]
    out = engine.handle(CallHungUp(25.0, dial.leg_id))
    assert of_type(out, AgentNotice)
    assert of_type(out, Bridge) == [Bridge(25.0, call_id, agent, legs[agent])]
    assert not engine.consults.by_agent and not engine.consults.by_leg


def test_the_customer_leaving_during_a_consultation_ends_it_cleanly() -> None:
    engine, _, call_id, agent, legs = connected(n_agents=2)
    other = next(a for a in legs if a != agent)
    engine.handle(ConsultRequested(10.0, agent, "agent", other))
    out = engine.handle(CallHungUp(12.0, call_id))
    assert of_type(out, AttemptFinished)[0].outcome is CallOutcome.CONNECTED
    assert engine.pool.agents[agent].state is AgentState.WRAP_UP
    assert engine.pool.agents[other].state is AgentState.READY
    assert engine.ledger.abandons == 0 and not engine.consults.by_agent


def test_consult_with_an_outside_party_ended_by_the_customer_hangs_it_up() -> None:
    engine, _, call_id, agent, _ = connected()
    dial = of_type(engine.handle(ConsultRequested(10.0, agent, "number", "+12015550199")),
                   OriginateConsult)[0]
    out = engine.handle(CallHungUp(12.0, call_id))
    assert Hangup(12.0, dial.leg_id) in of_type(out, Hangup)


def test_preview_shows_a_lead_and_dials_it_for_that_agent() -> None:
    engine, _leads, *_ = make_engine(agent_preview=True)
    leg = _login(engine, "a0", 0.0)
    out = engine.tick(1.0)
    preview = of_type(out, PreviewLead)[0]
    assert preview.agent_id == "a0" and not of_type(out, Originate)
    assert engine.pool.agents["a0"].state is AgentState.RESERVED
    out = engine.handle(PreviewDecided(5.0, "a0", True))
    dial = of_type(out, Originate)[0]
    assert dial.number_e164 == preview.number_e164
    out = engine.handle(CallAnswered(9.0, dial.call_id))
    assert of_type(out, Bridge) == [Bridge(9.0, dial.call_id, "a0", leg)]


def test_preview_skip_gives_the_lead_back_and_shows_the_next() -> None:
    engine, _leads, *_ = make_engine(agent_preview=True)
    _login(engine, "a0", 0.0)
    first = of_type(engine.tick(1.0), PreviewLead)[0]
    out = engine.handle(PreviewDecided(3.0, "a0", False))
    assert of_type(out, ReleaseLead)[0].lead_id == first.lead_id
    assert engine.pool.agents["a0"].state is AgentState.READY
    second = of_type(engine.tick(4.0), PreviewLead)[0]
    assert second.lead_id != first.lead_id


def test_logging_out_with_a_preview_on_screen_releases_it() -> None:
    engine, *_ = make_engine(agent_preview=True)
    _login(engine, "a0", 0.0)
    lead = of_type(engine.tick(1.0), PreviewLead)[0].lead_id
    out = engine.handle(AgentLoggedOut(2.0, "a0"))
    assert of_type(out, ReleaseLead)[0].lead_id == lead
    assert engine.pool.agents["a0"].state is AgentState.LOGGED_OUT and not engine.previews


def test_a_paused_campaign_dials_nothing_until_resumed() -> None:
    engine, *_ = make_engine()
    _login(engine, "a0", 0.0)
    engine.handle(DialingPaused(0.5, True))
    assert not of_type(engine.tick(1.0), Originate)
    assert "paused" in engine.last_decision.explanation
    engine.handle(DialingPaused(1.5, False))
    assert of_type(engine.tick(2.0), Originate)


def test_eavesdrop_calls_the_supervisor_onto_the_agent_leg() -> None:
    engine, _, _, agent, legs = connected()
    out = engine.handle(EavesdropRequested(5.0, agent, "sam", "user/2001", "whisper"))
    listen = of_type(out, Eavesdrop)[0]
    assert (listen.target_leg_id, listen.endpoint, listen.mode) == (legs[agent], "user/2001",
                                                                    "whisper")


@pytest.mark.parametrize("table", [CALL_TRANSITIONS, CONSULT_TRANSITIONS])
def test_state_tables_are_closed(table) -> None:
    """Every target state of a table is a state of that table (no dangling transition)."""
    for targets in table.values():
        assert set(targets) <= set(table)
