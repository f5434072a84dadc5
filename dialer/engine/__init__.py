"""The sans-I/O dialer engine: events in, commands out, time only from the events.

Drivers use it like this (see docs/engine.md)::

    engine = Engine(config, policy, leads, gate, new_id=...)
    commands = engine.handle(event)      # each event carries its own ``at``
    commands = engine.tick(now)          # pacing decisions and deadlines
    wake = engine.next_wakeup()          # when tick must run next
"""

from dialer.engine.calls import CALL_TRANSITIONS, CallState
from dialer.engine.config import CampaignConfig, CampaignConfigError, MachineAction
from dialer.engine.engine import Engine
from dialer.engine.routing import (
    FewestSkills,
    LongestIdle,
    RingAll,
    RoutingStrategy,
    Sticky,
    make_strategy,
)
from dialer.engine.scheduler import AgentPool, UnknownAgentError
from dialer.engine.snapshot import EngineSnapshot, policy_for

__all__ = [
    "CALL_TRANSITIONS",
    "AgentPool",
    "CallState",
    "CampaignConfig",
    "CampaignConfigError",
    "Engine",
    "EngineSnapshot",
    "FewestSkills",
    "LongestIdle",
    "MachineAction",
    "RingAll",
    "RoutingStrategy",
    "Sticky",
    "UnknownAgentError",
    "make_strategy",
    "policy_for",
]
