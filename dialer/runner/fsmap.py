"""Engine commands to FreeSWITCH API command lines; FreeSWITCH events to engine events.

Command lines come from the FreeSWITCH adapter (``dialer.freeswitch.render``); the meaning of
events too (``dialer.freeswitch.SwitchCalls``: one story per call, job results read with the
channel events). What is the runner's own here is ownership: the legs it tracks are the
customer calls it sent originates for (or adopted after a restart) and the agent legs it
opened, on every switch it drives; everyone else's channels map to nothing. Syntax from
FreeSWITCH's mod_commands (see ../shared/reference/freeswitch-esl.md):
- ``originate {vars}sofia/gateway/GW/NUMBER &park()``: ``origination_uuid`` makes the
  channel's Unique-ID the engine's call id; ``ignore_early_media`` keeps 183 from counting as
  an answer; ``hangup_after_bridge`` ends the customer leg when the agent leaves; agents'
  legs use ``park_after_bridge`` so they stay nailed up between calls.
- ``uuid_bridge A B``, ``uuid_broadcast UUID playback!CAUSE::FILE aleg`` (hang up after the
  message), ``uuid_kill UUID CAUSE``, ``uuid_record UUID start PATH``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from dialer.commands import Command
from dialer.esl.event import Event as EslEvent
from dialer.events import Event
from dialer.freeswitch import (
    SUBSCRIPTION,
    DialPlan,
    MachineDetector,
    SwitchCalls,
    job_failure_cause,
    render,
)

log = logging.getLogger("dialer.runner")
SUBSCRIBED_EVENTS = SUBSCRIPTION

__all__ = ["SUBSCRIBED_EVENTS", "EventTranslator", "api_line", "job_failure_cause", "plan_for"]


@functools.lru_cache(maxsize=64)
def plan_for(gateway: str, detector: MachineDetector = MachineDetector.AMD,
             owner: str = "") -> DialPlan:
    return DialPlan(customer_dial_string=f"sofia/gateway/{gateway}/{{number}}",
                    detector=detector, owner=owner)


def api_line(command: Command, gateway: str, campaign: str,
             detector: MachineDetector = MachineDetector.AMD, owner: str = "") -> str | None:
    """The API command line for a switch-bound command; None for storage-bound ones.

    Rendering (and the escaping of channel-variable values for FreeSWITCH's three parsing
    passes) is the FreeSWITCH adapter's (``dialer.freeswitch.render``); it raises
    ``AdapterError`` for a value no originate line can carry safely.
    """
    call = render(command, plan_for(gateway, detector, owner))
    return None if call is None else call.command


def _at(event: EslEvent, fallback: float) -> float:
    micros = event.get("Event-Date-Timestamp")
    if micros and micros.isdigit():
        return int(micros) / 1_000_000
    return fallback


class EventTranslator:
    """The runner's legs on its switches, and what their events mean for its engine.

    ``clock`` stamps events with the runner's clock (the switch's own timestamp is used only
    if ``trust_switch_time``). What the switch said that the operator must hear (an originate
    refused, a job failure of a call that is up) is logged at WARNING.
    """

    def __init__(self, clock: Callable[[], float], trust_switch_time: bool = False) -> None:
        self.clock = clock
        self.trust_switch_time = trust_switch_time
        self.legs = SwitchCalls()

    @property
    def agent_legs(self) -> dict[str, str]:
        return {leg_id: leg.agent_id for leg_id, leg in self.legs.agent_legs.items()}

    def add_call(self, call_id: str, job_uuid: str | None = None) -> None:
        self.legs.track_call(call_id, job_uuid)

    def add_agent_leg(self, leg_id: str, agent_id: str, job_uuid: str | None = None) -> None:
        self.legs.track_agent_leg(leg_id, agent_id, job_uuid)

    def add_job(self, job_uuid: str, uuid: str) -> None:
        self.legs.jobs[job_uuid] = uuid

    def add_bridge(self, job_uuid: str, call_id: str, agent_id: str, leg_id: str) -> None:
        self.legs.track_bridge(job_uuid, call_id, agent_id, leg_id)

    def forget(self, uuid: str) -> None:
        self.legs.forget(uuid)

    def owns(self, uuid: str) -> bool:
        return self.legs.owns(uuid)

    def translate(self, event: EslEvent, switch_id: str | None = None) -> list[Event]:
        now = self.clock()
        at = _at(event, now) if self.trust_switch_time else now
        events = self.legs.events(event, event.body, at, switch_id)
        if self.legs.notes:
            for note in self.legs.notes:
                log.warning("switch: %s", note)
            self.legs.notes = []
        return events
