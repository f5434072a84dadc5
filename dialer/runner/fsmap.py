"""Engine commands to FreeSWITCH API command lines; FreeSWITCH events to engine events.

Command lines come from the FreeSWITCH adapter (``dialer.freeswitch``); the event side here
is the runner's own because it must know which channels this runner owns (its engine's
calls, the legs it opened, calls adopted after a restart) and drop everyone else's.
Syntax from FreeSWITCH's mod_commands (see ../shared/reference/freeswitch-esl.md):
- ``originate {vars}sofia/gateway/GW/NUMBER &park()``: ``origination_uuid`` makes the
  channel's Unique-ID the engine's call id, so every later event maps back without a lookup
  table; ``ignore_early_media`` keeps 183 from counting as an answer; ``hangup_after_bridge``
  ends the customer leg when the agent leaves; agents' legs use ``park_after_bridge`` so they
  stay nailed up between calls.
- ``uuid_bridge A B``, ``uuid_broadcast UUID playback!CAUSE::FILE aleg`` (hang up after the
  message), ``uuid_kill UUID CAUSE``, ``uuid_record UUID start PATH``.
Events used: CHANNEL_PROGRESS(_MEDIA), CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_HANGUP_COMPLETE
(``Hangup-Cause``), DTMF, PLAYBACK_STOP and CHANNEL_EXECUTE_COMPLETE of ``amd`` (``amd_result``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from dialer.commands import Command
from dialer.esl.event import Event as EslEvent
from dialer.events import Event
from dialer.freeswitch import DialPlan, render, to_engine_events
from dialer.hangup import HangupCause

SUBSCRIBED_EVENTS = (
    "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP_COMPLETE", "DTMF", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE",
)


@functools.lru_cache(maxsize=16)
def _plan(gateway: str) -> DialPlan:
    return DialPlan(customer_dial_string=f"sofia/gateway/{gateway}/{{number}}")


def api_line(command: Command, gateway: str, campaign: str) -> str | None:
    """The API command line for a switch-bound command; None for storage-bound ones.

    Rendering (and the escaping of channel-variable values for FreeSWITCH's three parsing
    passes) is the FreeSWITCH adapter's (``dialer.freeswitch.render``); it raises
    ``AdapterError`` for a value no originate line can carry safely.
    """
    call = render(command, _plan(gateway))
    return None if call is None else call.command


def _at(event: EslEvent, fallback: float) -> float:
    micros = event.get("Event-Date-Timestamp")
    if micros and micros.isdigit():
        return int(micros) / 1_000_000
    return fallback


class EventTranslator:
    """Maps one switch's events to engine events for the channels this runner owns.

    ``is_call(uuid)`` says whether a customer call is the engine's; agent legs are
    registered with ``add_agent_leg`` when their originate is sent. ``clock`` stamps events
    with the runner's clock (the switch's own timestamp is used only if ``trust_switch_time``).
    """

    def __init__(self, is_call: Callable[[str], bool], clock: Callable[[], float],
                 trust_switch_time: bool = False) -> None:
        self.is_call = is_call
        self.clock = clock
        self.trust_switch_time = trust_switch_time
        self.agent_legs: dict[str, str] = {}

    def add_agent_leg(self, leg_id: str, agent_id: str) -> None:
        self.agent_legs[leg_id] = agent_id

    def translate(self, event: EslEvent) -> list[Event]:
        """This runner's share of one switch event: ownership is decided here, the meaning
        of the event by the FreeSWITCH adapter (``dialer.freeswitch.to_engine_events``)."""
        name = event.name
        if name not in SUBSCRIBED_EVENTS:
            return []
        uuid = event.get("Unique-ID") or ""
        if uuid in self.agent_legs:
            if name not in ("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"):
                return []
        elif name == "CHANNEL_BRIDGE":
            a_leg = event.get("Bridge-A-Unique-ID") or uuid
            b_leg = event.get("Bridge-B-Unique-ID") or event.get("Other-Leg-Unique-ID") or ""
            if not ((self.is_call(a_leg) and b_leg in self.agent_legs)
                    or (self.is_call(b_leg) and a_leg in self.agent_legs)):
                return []
        elif not self.is_call(uuid):
            return []
        now = self.clock()
        at = _at(event, now) if self.trust_switch_time else now
        events = to_engine_events(event, at=at, agent_legs=self.agent_legs)
        if name == "CHANNEL_HANGUP_COMPLETE":
            self.agent_legs.pop(uuid, None)
        return events


def job_failure_cause(output: str) -> HangupCause | None:
    """The cause in a failed originate's BACKGROUND_JOB body (``-ERR USER_BUSY``), or None."""
    text = output.strip()
    if not text.startswith("-ERR"):
        return None
    return HangupCause.from_name(text[4:].strip().split()[0] if text[4:].strip() else "")
