"""One story per call: a switch's events and job results, read together, as engine events.

Sans-I/O. A real FreeSWITCH tells one call's story in several voices that arrive in no fixed
order (tests/fixtures/esl/real-fs, README "Surprises"): the channel's events, the originate's
BACKGROUND_JOB (from another thread; before or after the channel's last events), duplicated
CUSTOM events. ``SwitchCalls`` keeps, per leg this dialer owns, what the switch said so far,
and turns each event into what it means for the engine:

* a customer leg: CHANNEL_PROGRESS(_MEDIA) → ``CallRinging``; CHANNEL_ANSWER →
  ``CallAnswered(bridgeable=False)``; CHANNEL_PARK once answered → ``CallParked`` (only then
  is a bridge safe: the originate has returned and its park runs); CHANNEL_BRIDGE →
  ``CallBridged``; PLAYBACK_START/STOP → ``PlaybackStarted``/``Finished``; a playback
  CHANNEL_EXECUTE_COMPLETE whose ``Application-Response`` is an error (``FILE NOT FOUND``)
  with no PLAYBACK_START → ``PlaybackFailed``; detectors (mod_amd's ``amd``,
  ``wait_for_silence``'s greeting length, avmd's beep) → ``CallClassified``;
  CHANNEL_HANGUP_COMPLETE → ``CallHungUp`` with its cause and who ended it
  (``variable_sip_hangup_disposition``: ``recv_bye`` the far end, ``send_bye`` this switch;
  none on a loopback channel: unknown).
* the originate's job: ``+OK`` says nothing new. ``-ERR CAUSE`` is not the end of a call the
  switch has shown: the channel's own CHANNEL_HANGUP_COMPLETE is (and ``-ERR
  ORIGINATOR_CANCEL`` comes for calls that are up and bridged). Only a job for a channel that
  never appeared is an ``OriginateFailed``.
* an agent's leg: each CHANNEL_PARK → ``AgentLegUp`` (parked: free for a bridge, the first
  time and after each call); CHANNEL_HANGUP_COMPLETE → ``AgentLegDown``.
* CUSTOM events are delivered twice by mod_avmd under one Event-Sequence: the second is
  dropped.

Events of legs the dialer does not own (other campaigns, a loopback pair's b-leg, SIP legs of
the far end) map to nothing. ``notes`` collects what the operator should hear (an originate
refused, a job failure for a call that is up); the driver logs and clears it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    CallParked,
    CallRinging,
    DtmfReceived,
    Event,
    OriginateFailed,
    PlaybackFailed,
    PlaybackFinished,
    PlaybackStarted,
)
from dialer.freeswitch.inbound import ParkedInbound, parked_inbound
from dialer.hangup import HangupCause, HangupSide


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
_PLAYBACK_OK = frozenset({"FILE PLAYED", "PLAYBACK ERROR", "_none_", ""})
"""Playback results that are not a failure of the file (``PLAYBACK ERROR``: interrupted)."""
_SEEN_CUSTOM = 4096


@dataclass(slots=True)
class CallStory:
    call_id: str
    seen: bool = False
    answered: bool = False
    parked: bool = False
    playing: bool = False
    ended: bool = False


@dataclass(slots=True)
class AgentLeg:
    leg_id: str
    agent_id: str
    seen: bool = False


def _cause(headers: Headers) -> HangupCause:
    name = headers.get("Hangup-Cause") or headers.get("variable_hangup_cause") or ""
    return HangupCause.from_name(name) if name else HangupCause.NORMAL_CLEARING


def _side(headers: Headers) -> HangupSide:
    """Who ended the leg: ``variable_sip_hangup_disposition`` of CHANNEL_HANGUP_COMPLETE
    (SIP channels only: a loopback channel has none, and is UNKNOWN)."""
    return HangupSide.from_disposition(headers.get("variable_sip_hangup_disposition"))


def _amd_kind(headers: Headers) -> AnswerKind | None:
    result = headers.get("variable_amd_result") or headers.get("AMD-Result")
    if result is None:
        return None
    return _AMD_RESULTS.get(result.strip().upper(), AnswerKind.UNKNOWN)


def job_failure_cause(output: str) -> HangupCause | None:
    """The cause in a failed originate's BACKGROUND_JOB body (``-ERR USER_BUSY``), or None."""
    text = output.strip()
    if not text.startswith("-ERR"):
        return None
    words = text[4:].split()
    return HangupCause.from_name(words[0]) if words else HangupCause.UNKNOWN


class SwitchCalls:
    """The legs this dialer owns on its switches, and what each one's events mean."""

    def __init__(self) -> None:
        self.calls: dict[str, CallStory] = {}
        self.agent_legs: dict[str, AgentLeg] = {}
        self.jobs: dict[str, str] = {}
        """Job-UUID → the leg its originate creates."""
        self.bridge_jobs: dict[str, tuple[str, str, str]] = {}
        """Job-UUID of a ``uuid_bridge`` → (call, agent, agent leg)."""
        self._seen_custom: set[tuple[str, str, str]] = set()
        self._seen_order: deque[tuple[str, str, str]] = deque()
        self.notes: list[str] = []
        self.take_inbound = True
        """Report channels parked with ``dialer_queue`` (inbound calls) as they park."""
        self.inbound: dict[str, ParkedInbound] = {}
        """Inbound calls followed, with what their channel said (until they end)."""

    # --- ownership ---------------------------------------------------------------------------

    def track_call(self, call_id: str, job_uuid: str | None = None) -> None:
        self.calls.setdefault(call_id, CallStory(call_id))
        if job_uuid:
            self.jobs[job_uuid] = call_id

    def adopt_call(self, call_id: str, *, answered: bool, parked: bool) -> None:
        """A call found live on the switch after a restart (recovery)."""
        story = self.calls.setdefault(call_id, CallStory(call_id))
        story.seen, story.answered, story.parked = True, answered, parked

    def track_bridge(self, job_uuid: str, call_id: str, agent_id: str, leg_id: str) -> None:
        """A ``uuid_bridge`` sent with ``bgapi``: its refusal leaves the agent's leg parked."""
        self.bridge_jobs[job_uuid] = (call_id, agent_id, leg_id)

    def track_agent_leg(self, leg_id: str, agent_id: str, job_uuid: str | None = None) -> None:
        self.agent_legs[leg_id] = AgentLeg(leg_id, agent_id)
        if job_uuid:
            self.jobs[job_uuid] = leg_id

    def forget(self, uuid: str) -> None:
        self.calls.pop(uuid, None)
        self.agent_legs.pop(uuid, None)
        self.inbound.pop(uuid, None)

    def owns(self, uuid: str) -> bool:
        return uuid in self.calls or uuid in self.agent_legs

    # --- events ------------------------------------------------------------------------------

    def events(self, headers: Headers, body: str | None, at: float,
               switch_id: str | None = None) -> list[Event]:
        """The engine events one FreeSWITCH event means (often none). ``switch_id``: the
        switch it came from (named in an inbound call's arrival)."""
        name = headers.get("Event-Name") or ""
        if name == "BACKGROUND_JOB":
            return self._job(headers, body, at)
        if name == "CUSTOM":
            return self._custom(headers, at)
        uuid = headers.get("Unique-ID") or ""
        story = self.calls.get(uuid)
        if story is not None:
            return self._call_event(story, name, headers, at)
        leg = self.agent_legs.get(uuid)
        if leg is not None:
            return self._agent_event(leg, name, headers, at)
        if name == "CHANNEL_PARK" and self.take_inbound:
            return self._inbound(headers, at, switch_id)
        return []

    def _inbound(self, headers: Headers, at: float, switch_id: str | None) -> list[Event]:
        """A channel parked by the dialplan with ``dialer_queue`` (inbound.py): followed from
        now on (its keys, playbacks, bridge and hang-up), reported as ``InboundCallArrived``.
        The driver ``forget``s it if it does not serve the queue."""
        parked = parked_inbound(headers)
        if parked is None:
            return []
        self.adopt_call(parked.uuid, answered=True, parked=True)
        self.inbound[parked.uuid] = parked
        if parked.problems:
            self.notes.append(f"inbound call {parked.uuid}: " + "; ".join(parked.problems))
        return [parked.arrival(at, switch_id)]

    def _call_event(self, story: CallStory, name: str, headers: Headers,
                    at: float) -> list[Event]:
        story.seen = True
        call_id = story.call_id
        if name in ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
            return [] if story.answered else [CallRinging(at, call_id)]
        if name == "CHANNEL_ANSWER":
            if story.answered:
                return []
            story.answered = True
            out: list[Event] = [CallAnswered(at, call_id, False)]
            if story.parked:  # parked in early media (ignore_early_media unset), flow 17
                out.append(CallParked(at, call_id))
            return out
        if name == "CHANNEL_PARK":
            story.parked = True
            return [CallParked(at, call_id)] if story.answered else []
        if name == "CHANNEL_BRIDGE":
            return self._bridge(headers, at)
        if name == "CHANNEL_UNBRIDGE":
            story.parked = False
            return []
        if name == "CHANNEL_HANGUP_COMPLETE":
            story.ended = True
            self.calls.pop(call_id, None)
            self.inbound.pop(call_id, None)
            return [CallHungUp(at, call_id, _cause(headers), _side(headers))]
        if name == "DTMF":
            digit = headers.get("DTMF-Digit")
            return [DtmfReceived(at, call_id, digit)] if digit else []
        if name == "PLAYBACK_START":
            story.playing = True
            return [PlaybackStarted(at, call_id)]
        if name == "PLAYBACK_STOP":
            story.playing = False
            hanging_up = (headers.get("Answer-State") == "hangup"
                          or bool(headers.get("Hangup-Cause")))
            return [PlaybackFinished(at, call_id, hanging_up)]
        if name == "CHANNEL_EXECUTE_COMPLETE":
            return self._completed(story, headers, at)
        return []

    def _completed(self, story: CallStory, headers: Headers, at: float) -> list[Event]:
        application = headers.get("Application") or ""
        call_id = story.call_id
        if application == "playback":
            response = (headers.get("Application-Response") or "").strip()
            if response not in _PLAYBACK_OK and not story.playing:
                return [PlaybackFailed(at, call_id, response)]
            story.playing = False
            return []
        if application in _AMD_APPLICATIONS:
            # A detector that finished without a verdict still ends the wait: the engine
            # must decide (as unknown) rather than hold the answered call for ever.
            return [CallClassified(at, call_id, _amd_kind(headers) or AnswerKind.UNKNOWN)]
        if application == "wait_for_silence":
            # The greeting-length heuristic: no silence before the timeout means a greeting
            # longer than a person's "Hello?" (a machine, most likely).
            timed_out = (headers.get("variable_wait_for_silence_timeout") or "").lower()
            if timed_out in ("true", "false"):
                kind = AnswerKind.MACHINE if timed_out == "true" else AnswerKind.HUMAN
                return [CallClassified(at, call_id, kind)]
            return [CallClassified(at, call_id, AnswerKind.UNKNOWN)]
        return []

    def _bridge(self, headers: Headers, at: float) -> list[Event]:
        a_leg = headers.get("Bridge-A-Unique-ID") or headers.get("Unique-ID") or ""
        b_leg = headers.get("Bridge-B-Unique-ID") or headers.get("Other-Leg-Unique-ID") or ""
        if a_leg in self.agent_legs and b_leg in self.calls:
            a_leg, b_leg = b_leg, a_leg
        agent = self.agent_legs.get(b_leg)
        if a_leg not in self.calls or agent is None:
            return []
        return [CallBridged(at, a_leg, agent.agent_id)]

    def _agent_event(self, leg: AgentLeg, name: str, headers: Headers, at: float) -> list[Event]:
        leg.seen = True
        if name == "CHANNEL_PARK":
            return [AgentLegUp(at, leg.agent_id, leg.leg_id)]
        if name == "CHANNEL_HANGUP_COMPLETE":
            self.agent_legs.pop(leg.leg_id, None)
            return [AgentLegDown(at, leg.agent_id, _cause(headers), leg.leg_id)]
        if name == "CHANNEL_BRIDGE":
            return self._bridge(headers, at)
        return []

    # --- job results -------------------------------------------------------------------------

    def _job(self, headers: Headers, body: str | None, at: float) -> list[Event]:
        job = headers.get("Job-UUID") or ""
        if body is None:
            body = getattr(headers, "body", None)
        bridge = self.bridge_jobs.pop(job, None)
        if bridge is not None:
            return self._bridge_result(bridge, body or "", at)
        uuid = self.jobs.pop(job, None)
        if uuid is None:
            return []
        cause = job_failure_cause(body or "")
        if cause is None:
            return []
        story = self.calls.get(uuid)
        if story is not None:
            if story.seen:
                # The channel exists: its own CHANNEL_HANGUP_COMPLETE ends it. A call that is
                # up gets ORIGINATOR_CANCEL when bridged during its originate (issue 17).
                if story.answered:
                    self.notes.append(f"originate of {uuid} answered -ERR {cause.name} while "
                                      "the call is up: not a failure, the call goes on")
                return []
            self.calls.pop(uuid, None)
            self.notes.append(f"originate of {uuid} refused by the switch: -ERR {cause.name}")
            return [OriginateFailed(at, uuid, cause)]
        leg = self.agent_legs.get(uuid)
        if leg is not None and not leg.seen:
            self.agent_legs.pop(uuid, None)
            self.notes.append(f"agent leg {uuid} of {leg.agent_id} refused: -ERR {cause.name}")
            return [AgentLegDown(at, leg.agent_id, cause, uuid)]
        return []

    def _bridge_result(self, bridge: tuple[str, str, str], output: str, at: float
                       ) -> list[Event]:
        text = output.strip()
        if not text.startswith("-"):
            return []
        call_id, agent_id, leg_id = bridge
        self.notes.append(f"uuid_bridge {call_id} {leg_id} refused: {text.splitlines()[0]}")
        if leg_id in self.agent_legs:
            # Refused at once (the customer's leg is gone, say): the agent's leg never left
            # park, and no CHANNEL_PARK will say so.
            return [AgentLegUp(at, agent_id, leg_id)]
        return []

    # --- CUSTOM ------------------------------------------------------------------------------

    def _custom(self, headers: Headers, at: float) -> list[Event]:
        subclass = headers.get("Event-Subclass") or ""
        key = (headers.get("Core-UUID") or "", headers.get("Event-Sequence") or "", subclass)
        if key[1]:
            if key in self._seen_custom:
                return []  # mod_avmd's second copy of the same event
            self._seen_custom.add(key)
            self._seen_order.append(key)
            if len(self._seen_order) > _SEEN_CUSTOM:
                self._seen_custom.discard(self._seen_order.popleft())
        uuid = headers.get("Unique-ID") or ""
        if uuid not in self.calls:
            return []
        if subclass == "avmd::beep" and (headers.get("Beep-Status") or "").upper() == "DETECTED":
            # A voicemail beep: whoever answered is a machine.
            return [CallClassified(at, uuid, AnswerKind.MACHINE)]
        if subclass in ("amd::info", "mod_amd::info", "amd"):
            kind = _amd_kind(headers)
            if kind is not None:
                return [CallClassified(at, uuid, kind)]
        return []
