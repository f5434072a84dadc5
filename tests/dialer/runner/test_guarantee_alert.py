"""The runner's alerts tell the supervisor when a campaign that guarantees every call an agent
(``compliance.agent_guaranteed``) abandons an answered call: an agent's phone dropped while a
call placed for them rang (a pause or a log-out is held for the call; a dropped phone cannot
be). The engine counts the abandon and flags it (``Incident(guarantee_broken)``); the alert
rests on the engine's own abandonment ledger."""

from __future__ import annotations

from types import SimpleNamespace

from dialer.commands import Originate, OriginateAgentLeg
from dialer.engine import CampaignConfig, Engine
from dialer.events import AgentLegDown, AgentLegUp, AgentLoggedIn, CallAnswered, CallHungUp
from dialer.hangup import HangupCause
from dialer.ports import AllowAllGate, DialTarget, ListLeadSource
from dialer.runner.alerting import RunnerAlerts
from pacing_models.policies import ProgressivePolicy


def _alerts(guaranteed: bool) -> tuple[RunnerAlerts, Engine]:
    config = CampaignConfig("spring", "+441134960000", agent_guaranteed=guaranteed,
                            ledger_window=86400.0, abandon_target=0.03)
    engine = Engine(config, ProgressivePolicy(),
                    ListLeadSource([DialTarget("L1", "+441134960001", "spring")]),
                    AllowAllGate(), assume_switches_up=True)
    alerts = RunnerAlerts(
        SimpleNamespace(name="spring"), None, config=config,  # type: ignore[arg-type]
        switches=SimpleNamespace(clients={}), hopper=[1],  # type: ignore[arg-type]
        phase=SimpleNamespace(inbound_only=False, stopping=False),  # type: ignore[arg-type]
        queue_readings=lambda engine, now: [], sinks=[], clock=lambda: 0.0)
    alerts.attach(engine)
    return alerts, engine


def _phone_drops_while_the_call_rings(engine: Engine) -> None:
    (leg,) = [c for c in engine.handle(AgentLoggedIn(0.0, "ann", "user/1001"))
              if isinstance(c, OriginateAgentLeg)]
    engine.handle(AgentLegUp(0.5, "ann", leg.agent_leg_id))
    (originate,) = [c for c in engine.tick(1.0) if isinstance(c, Originate)]
    engine.handle(AgentLegDown(2.0, "ann", HangupCause.NORMAL_CLEARING, leg.agent_leg_id))
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.tick(8.0)
    engine.handle(CallHungUp(20.0, originate.call_id))


def test_a_guaranteed_campaigns_abandon_raises_an_alert() -> None:
    alerts, engine = _alerts(guaranteed=True)
    assert [e for e in alerts.look(1.0) if e.key.endswith("guarantee_broken")] == []
    _phone_drops_while_the_call_rings(engine)
    (raised,) = [e for e in alerts.look(21.0) if e.key.endswith("guarantee_broken")]
    assert raised.state == "raised" and raised.value == 1.0
    assert "although the campaign guarantees an agent" in raised.message


def test_a_campaign_without_the_guarantee_has_no_such_alert() -> None:
    alerts, engine = _alerts(guaranteed=False)
    _phone_drops_while_the_call_rings(engine)
    assert not [e for e in alerts.look(21.0) if e.key.endswith("guarantee_broken")]
    assert engine.snapshot(21.0).abandons_in_window == 1  # abandoned all the same
