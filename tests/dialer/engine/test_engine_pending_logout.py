"""A log-out asked during a call closes the agent's phone leg when it takes effect.

Found in the browser (docs/web.md, "Browser pass, inbound"): an agent who pressed Log out
during a call was logged out once the call was disposed, but the dialer kept their phone's
nailed-up leg (the phone stayed connected to the dialer), and logging in again stayed in
"connecting" for ever: the login saw a leg still known and called nobody.
"""

from __future__ import annotations

import pytest

from dialer.commands import Bridge, CloseAgentLeg, OriginateAgentLeg
from dialer.engine import CampaignConfig, Engine
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    CallBridged,
    CallDisposed,
    CallHungUp,
    InboundCallArrived,
)
from dialer.ports import AllowAllGate, ListLeadSource
from pacing_models.policies import ProgressivePolicy


def _engine_with_ann_on_a_call() -> tuple[Engine, str]:
    queues = QueueSet([QueueConfig.model_validate({"name": "sales",
                                                   "announcements": {"every": None}})],
                      PromptSet.standard(seconds=1.0))
    engine = Engine(CampaignConfig("spring", "+12015550000", wrap_up_timeout=60.0),
                    ProgressivePolicy(), ListLeadSource([]), AllowAllGate(),
                    assume_switches_up=True, queues=queues, new_id=iter(
                        f"id-{n}" for n in range(100)).__next__)
    (leg,) = [c for c in engine.handle(AgentLoggedIn(0.0, "ann", "user/1001"))
              if isinstance(c, OriginateAgentLeg)]
    engine.handle(AgentLegUp(0.5, "ann", leg.agent_leg_id))
    out = engine.handle(InboundCallArrived(10.0, "in-1", "sales", "+12025550123"))
    assert [c for c in out if isinstance(c, Bridge)]
    engine.handle(CallBridged(10.5, "in-1", "ann"))
    return engine, leg.agent_leg_id


@pytest.mark.parametrize("ending", ["disposition", "ready"])
def test_a_log_out_asked_during_a_call_closes_the_leg_and_a_new_login_calls_the_phone(
        ending: str) -> None:
    engine, leg = _engine_with_ann_on_a_call()
    assert not [c for c in engine.handle(AgentLoggedOut(20.0, "ann"))
                if isinstance(c, CloseAgentLeg)]  # pending: the call goes on
    engine.handle(CallHungUp(30.0, "in-1"))
    engine.handle(AgentLegUp(30.2, "ann", leg))  # back in park after the bridge
    if ending == "disposition":
        out = engine.handle(CallDisposed(40.0, "ann", "in-1", "SALE"))
    else:
        out = engine.handle(AgentReady(40.0, "ann"))
    assert engine.pool.agents["ann"].state.value == "logged_out"
    assert [(c.agent_id, c.agent_leg_id) for c in out if isinstance(c, CloseAgentLeg)] == \
        [("ann", leg)]
    again = engine.handle(AgentLoggedIn(50.0, "ann", "user/1001"))
    assert [c.endpoint for c in again if isinstance(c, OriginateAgentLeg)] == ["user/1001"]


def test_a_log_out_asked_during_wrap_up_by_timeout_closes_the_leg() -> None:
    engine, leg = _engine_with_ann_on_a_call()
    engine.handle(AgentLoggedOut(20.0, "ann"))
    engine.handle(CallHungUp(30.0, "in-1"))
    engine.handle(AgentLegUp(30.2, "ann", leg))
    out = engine.tick(100.0)  # the wrap-up timed out
    assert engine.pool.agents["ann"].state.value == "logged_out"
    assert [c.agent_leg_id for c in out if isinstance(c, CloseAgentLeg)] == [leg]
