"""FreeSWITCH events (decoded ESL header maps) as engine events. Sans-I/O.

Correlation (../shared/reference/freeswitch-esl.md §2.1-2.3): the engine chooses every
customer leg's ``origination_uuid``, so ``Unique-ID`` is the engine's ``call_id`` from the
first event on; agent legs carry ``variable_dialer_agent_id`` on every event that has channel
variables (ANSWER, BRIDGE, EXECUTE_COMPLETE, HANGUP_COMPLETE). Events about channels the
engine does not know are still mapped; the engine ignores unknown ids.

Time: ``Event-Date-Timestamp`` (microseconds since the epoch) unless the caller passes ``at``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

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
    OriginateFailed,
    PlaybackFinished,
)
from dialer.hangup import HangupCause


class Headers(Protocol):
    """A decoded header map: a ``dict`` or ``dialer.esl.event.Event`` both qualify."""

    def get(self, name: str, default: str | None = None, /) -> str | None: ...


_AMD_RESULTS = {
    "HUMAN": AnswerKind.HUMAN,
    "PERSON": AnswerKind.HUMAN,
    "MACHINE": AnswerKind.MACHINE,
    "NOTSURE": AnswerKind.UNKNOWN,
    "NOT_SURE": AnswerKind.UNKNOWN,
}
_AMD_APPLICATIONS = frozenset({"amd", "mod_amd", "voice_amd"})
_ORIGINATION_UUID = re.compile(r"origination_uuid=([^,}\s]+)")


def event_time(headers: Headers) -> float:
    stamp = headers.get("Event-Date-Timestamp")
    if stamp is None or not stamp.isdigit():
        raise ValueError("event has no Event-Date-Timestamp: pass at= explicitly")
    return int(stamp) / 1_000_000


def _agent(headers: Headers) -> str | None:
    return headers.get("variable_dialer_agent_id")


def _cause(headers: Headers) -> HangupCause:
    name = headers.get("Hangup-Cause") or headers.get("variable_hangup_cause") or ""
    return HangupCause.from_name(name) if name else HangupCause.NORMAL_CLEARING


def _job_call_id(headers: Headers, job_calls: Mapping[str, str] | None) -> str | None:
    job = headers.get("Job-UUID")
    if job_calls is not None and job is not None and job in job_calls:
        return job_calls[job]
    argument = headers.get("Job-Command-Arg") or ""
    found = _ORIGINATION_UUID.search(argument)
    return found.group(1) if found else None


def _amd_kind(headers: Headers) -> AnswerKind | None:
    result = headers.get("variable_amd_result") or headers.get("AMD-Result")
    if result is None:
        return None
    return _AMD_RESULTS.get(result.strip().upper(), AnswerKind.UNKNOWN)


def to_engine_events(
    headers: Headers,
    body: str | None = None,
    *,
    at: float | None = None,
    job_calls: Mapping[str, str] | None = None,
    agent_legs: Mapping[str, str] | None = None,
) -> list[Event]:
    """The engine events one FreeSWITCH event means (often none).

    ``job_calls``: Job-UUID → call id of originates sent with ``bgapi`` (optional: the
    ``origination_uuid`` in ``Job-Command-Arg`` is used otherwise). ``agent_legs``: agent leg
    id → agent id, for events without channel variables (DTMF) or the bridge's other leg.
    """
    name = headers.get("Event-Name")
    if name is None:
        return []
    when = event_time(headers) if at is None else at
    unique_id = headers.get("Unique-ID") or ""
    legs = agent_legs or {}
    agent_id = _agent(headers) or legs.get(unique_id)

    if name in ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
        return [] if agent_id else [CallRinging(when, unique_id)]
    if name == "CHANNEL_ANSWER":
        return [AgentLegUp(when, agent_id)] if agent_id else [CallAnswered(when, unique_id)]
    if name == "CHANNEL_HANGUP_COMPLETE":
        if agent_id:
            return [AgentLegDown(when, agent_id, _cause(headers))]
        return [CallHungUp(when, unique_id, _cause(headers))]
    if name == "CHANNEL_BRIDGE":
        return _bridge(headers, when, legs)
    if name == "DTMF":
        digit = headers.get("DTMF-Digit")
        return [DtmfReceived(when, unique_id, digit)] if digit and not agent_id else []
    if name == "PLAYBACK_STOP":
        return [] if agent_id else [PlaybackFinished(when, unique_id)]
    if name == "CHANNEL_EXECUTE_COMPLETE":
        if (headers.get("Application") or "") in _AMD_APPLICATIONS:
            # A detector that finished without a verdict still ends the wait: the engine
            # must decide (as unknown) rather than hold the answered call forever.
            kind = _amd_kind(headers) or AnswerKind.UNKNOWN
            return [CallClassified(when, unique_id, kind)]
        return []
    if name == "BACKGROUND_JOB":
        return _background_job(headers, body, when, job_calls, legs)
    if name == "CUSTOM":
        return _custom(headers, when)
    return []


def _bridge(headers: Headers, when: float, legs: Mapping[str, str]) -> list[Event]:
    a_leg = headers.get("Bridge-A-Unique-ID") or headers.get("Unique-ID") or ""
    b_leg = headers.get("Bridge-B-Unique-ID") or headers.get("Other-Leg-Unique-ID") or ""
    if a_leg in legs and b_leg not in legs:
        a_leg, b_leg = b_leg, a_leg
    if _agent(headers) and a_leg == headers.get("Unique-ID"):
        # The event's own channel is the agent's leg: the customer is the other one.
        a_leg, b_leg = b_leg, a_leg
    agent_id = legs.get(b_leg) or headers.get("Other-Leg-variable_dialer_agent_id") or ""
    return [CallBridged(when, a_leg, agent_id)]


def _background_job(
    headers: Headers,
    body: str | None,
    when: float,
    job_calls: Mapping[str, str] | None,
    legs: Mapping[str, str],
) -> list[Event]:
    if body is None:
        body = getattr(headers, "body", None)
    text = (body or "").strip()
    if not text.startswith("-ERR"):
        return []
    call_id = _job_call_id(headers, job_calls)
    if call_id is None:
        return []
    cause_name = text[4:].strip().split()[0] if text[4:].strip() else ""
    cause = HangupCause.from_name(cause_name) if cause_name else HangupCause.UNKNOWN
    agent_id = legs.get(call_id)
    if agent_id is not None:
        return [AgentLegDown(when, agent_id, cause)]
    return [OriginateFailed(when, call_id, cause)]


def _custom(headers: Headers, when: float) -> list[Event]:
    subclass = headers.get("Event-Subclass") or ""
    unique_id = headers.get("Unique-ID") or ""
    if subclass == "avmd::beep" and (headers.get("Beep-Status") or "").upper() == "DETECTED":
        # A voicemail beep: whoever answered is a machine.
        return [CallClassified(when, unique_id, AnswerKind.MACHINE)]
    if subclass in ("amd::info", "mod_amd::info", "amd"):
        kind = _amd_kind(headers)
        if kind is not None:
            return [CallClassified(when, unique_id, kind)]
    return []
