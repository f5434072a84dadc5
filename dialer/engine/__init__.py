"""The sans-I/O dialer engine: events in, commands out, time only from the events.

Drivers use it like this (see docs/engine.md)::

    engine = Engine(config, policy, leads, gate, new_id=...)
    commands = engine.handle(event)      # each event carries its own ``at``
    commands = engine.tick(now)          # pacing decisions and deadlines
    wake = engine.next_wakeup()          # when tick must run next (None: only on events)
"""

from dialer.engine.config import CampaignConfig, CampaignConfigError, MachineAction

__all__ = ["CampaignConfig", "CampaignConfigError", "MachineAction"]
