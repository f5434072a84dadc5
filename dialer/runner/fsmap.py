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
from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    CallRinging,
    DtmfReceived,
    Event,
    PlaybackFinished,
)
from dialer.freeswitch import DialPlan, render
from dialer.hangup import HangupCause

SUBSCRIBED_EVENTS = (
    "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP_COMPLETE", "DTMF", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE",
)
_AMD = {"HUMAN": AnswerKind.HUMAN, "PERSON": AnswerKind.HUMAN, "MACHINE": AnswerKind.MACHINE}


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
        uuid = event.get("Unique-ID") or ""
        name = event.name
        now = self.clock()
        at = _at(event, now) if self.trust_switch_time else now
        agent_id = self.agent_legs.get(uuid)
        if agent_id is not None:
            if name == "CHANNEL_ANSWER":
                return [AgentLegUp(at, agent_id)]
            if name == "CHANNEL_HANGUP_COMPLETE":
                del self.agent_legs[uuid]
                return [AgentLegDown(at, agent_id, _cause(event))]
            return []
        if name == "CHANNEL_BRIDGE":
            a_leg = event.get("Bridge-A-Unique-ID") or uuid
            b_leg = event.get("Bridge-B-Unique-ID") or event.get("Other-Leg-Unique-ID") or ""
            if self.is_call(a_leg) and b_leg in self.agent_legs:
                return [CallBridged(at, a_leg, self.agent_legs[b_leg])]
            if self.is_call(b_leg) and a_leg in self.agent_legs:
                return [CallBridged(at, b_leg, self.agent_legs[a_leg])]
            return []
        if not self.is_call(uuid):
            return []
        if name in ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
            return [CallRinging(at, uuid)]
        if name == "CHANNEL_ANSWER":
            return [CallAnswered(at, uuid)]
        if name == "CHANNEL_HANGUP_COMPLETE":
            return [CallHungUp(at, uuid, _cause(event))]
        if name == "DTMF":
            digit = event.get("DTMF-Digit") or ""
            return [DtmfReceived(at, uuid, digit)] if digit else []
        if name == "PLAYBACK_STOP":
            return [PlaybackFinished(at, uuid)]
        if name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") in ("amd", "mod_amd"):
            result = (event.variable("amd_result") or "").upper()
            return [CallClassified(at, uuid, _AMD.get(result, AnswerKind.UNKNOWN))]
        return []


def _cause(event: EslEvent) -> HangupCause:
    name = event.get("Hangup-Cause") or event.variable("hangup_cause") or "NORMAL_CLEARING"
    return HangupCause.from_name(name)


def job_failure_cause(output: str) -> HangupCause | None:
    """The cause in a failed originate's BACKGROUND_JOB body (``-ERR USER_BUSY``), or None."""
    text = output.strip()
    if not text.startswith("-ERR"):
        return None
    return HangupCause.from_name(text[4:].strip().split()[0] if text[4:].strip() else "")
