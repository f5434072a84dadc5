"""Which calls are recorded, when recording starts, and the consent notice.

A component the engine owns (sans-I/O: it appends commands to the engine's output). Per
campaign, and per inbound queue, the mode is one of

- ``none``: nothing is recorded (the agent may not start one either);
- ``all``: every answered call;
- ``percentage``: a share of answered calls, chosen from the call id (the same call is
  always in or out, whoever asks);
- ``on_demand``: only when the agent starts it.

Consent: a callee who may be in a jurisdiction that needs every party's consent (the cited
table ``dnc/data/recording_consent.csv``: California, Florida, Illinois, Maryland,
Massachusetts, Montana, New Hampshire, Pennsylvania, Washington, among others) or any callee
of a UK campaign is recorded only after the recording notice is played, or not at all,
per the campaign's setting. "May be in" is the strict reading: the lead's state, or its area
code's, is such a state, or neither is known. For those calls recording starts when the
agent is connected, right after the notice begins (the notice is on the recording, which
proves it was given); for the others it starts at the answer, so the safe-harbour message
of an abandoned call is on record too.

During a call the agent may pause and resume (card numbers are not kept: FreeSWITCH writes
silence for the paused part, ``uuid_record mask``), and with ``on_demand`` start or stop it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from dialer.commands import (
    Command,
    PauseRecording,
    PlayMessage,
    ResumeRecording,
    StartRecording,
    StopRecording,
)
from dialer.errors import DialerError

if TYPE_CHECKING:
    from dialer.engine.calls import Call

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def _safe(value: str) -> str:
    # Path components come from ids and lead data: keep them to characters that are safe in
    # a file name and in a FreeSWITCH API argument (no spaces, slashes or quotes).
    return _UNSAFE.sub("_", value)


class RecordingMode(StrEnum):
    NONE = "none"
    ALL = "all"
    PERCENTAGE = "percentage"
    ON_DEMAND = "on_demand"


class ConsentPolicy(StrEnum):
    NOTICE = "notice"
    """Play the notice, then record."""
    NO_RECORDING = "no_recording"
    """Do not record callees who may be in an all-party-consent jurisdiction."""


class RecordingAction(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


class RecordingError(DialerError):
    """A recording setting or request the engine refuses."""


DEFAULT_LAYOUT = "{campaign}/{date}/{lead_id}-{attempt}-{call_id}.{format}"
"""Predictable: one directory per campaign and UTC day, a file per attempt (lead, attempt
number, channel id)."""


@dataclass(frozen=True, slots=True)
class RecordingConfig:
    mode: RecordingMode = RecordingMode.NONE
    percentage: float = 100.0
    consent: ConsentPolicy = ConsentPolicy.NOTICE
    notice_message: str = ""
    """The recording notice (file on the switch), played to the callee first."""
    all_party: frozenset[str] = frozenset()
    """Jurisdictions (state codes) whose callees need the notice."""
    notice_everyone: bool = False
    """Every callee gets the notice (the UK profile)."""
    path_template: str = DEFAULT_LAYOUT
    format: str = "wav"
    queue_modes: Mapping[str, RecordingMode] = field(default_factory=dict)
    """Inbound queues' own modes (a queue not listed: the campaign's mode)."""
    check_consent: bool = True
    """False only for drivers that record without a consent policy (simulations)."""

    def __post_init__(self) -> None:
        if not 0 < self.percentage <= 100:
            raise RecordingError("recording percentage must be in (0, 100]")
        if self.format not in ("wav", "mp3", "ogg", "flac"):
            raise RecordingError(f"recording format {self.format!r}: wav, mp3, ogg or flac")
        modes = {self.mode, *self.queue_modes.values()}
        if modes != {RecordingMode.NONE} and self.consent is ConsentPolicy.NOTICE \
                and self.check_consent and not self.notice_message:
            raise RecordingError(
                "recording.notice_message is required to record callees in all-party-consent "
                "states (or set recording.two_party_consent to no_recording)")


@dataclass(slots=True)
class _Recording:
    path: str
    started_at: float
    consent: str
    pauses: list[list[float | None]] = field(default_factory=list)
    stopped: bool = False


class Recorder:
    """Recording decisions for one campaign's calls."""

    def __init__(self, config: RecordingConfig, campaign_id: str) -> None:
        self.config = config
        self.campaign_id = campaign_id
        self._active: dict[str, _Recording] = {}
        self._records_none = config.mode is RecordingMode.NONE and all(
            mode is RecordingMode.NONE for mode in config.queue_modes.values())
        """Recording off everywhere: the per-call hooks return at once."""

    # --- the engine's hooks ------------------------------------------------------------------

    def answered(self, call: Call, at: float, out: list[Command]) -> None:
        """At the answer: record now the calls that need no notice (and are chosen)."""
        if self._records_none:
            return
        if self._chosen(call) and not self._needs_consent(call):
            self._start(call, at, "not_required", out)

    def bridged(self, call: Call, at: float, out: list[Command]) -> None:
        """Connected to an agent: the notice, then the recording, for the others."""
        if self._records_none:
            return
        if call.call_id in self._active or not self._chosen(call):
            return
        if not self._needs_consent(call):
            self._start(call, at, "not_required", out)
        elif self.config.consent is ConsentPolicy.NOTICE:
            out.append(PlayMessage(at, call.call_id, self.config.notice_message, False))
            self._start(call, at, "notice", out)

    def check(self, call: Call, action: RecordingAction) -> None:
        """Raise ``RecordingError`` with the reason if ``action`` cannot be done now."""
        recording = self._active.get(call.call_id)
        if action is RecordingAction.START:
            if self._mode(call) is RecordingMode.NONE:
                raise RecordingError("recording is off for this campaign or queue")
            if recording is not None and not recording.stopped:
                raise RecordingError("the call is already being recorded")
            if call.bridged_at is None:
                raise RecordingError("the call is not connected to an agent")
            if self._needs_consent(call) and \
                    self.config.consent is ConsentPolicy.NO_RECORDING:
                raise RecordingError("the callee may be in an all-party-consent state: "
                                     "this campaign does not record them")
            return
        if recording is None or recording.stopped:
            raise RecordingError("the call is not being recorded")
        paused = bool(recording.pauses) and recording.pauses[-1][1] is None
        if action is RecordingAction.PAUSE and paused:
            raise RecordingError("the recording is paused already")
        if action is RecordingAction.RESUME and not paused:
            raise RecordingError("the recording is not paused")

    def control(self, call: Call, action: RecordingAction, at: float,
                out: list[Command]) -> None:
        """An agent's request; ``RecordingError`` with the reason when refused (nothing
        changed then)."""
        self.check(call, action)
        recording = self._active.get(call.call_id)
        if action is RecordingAction.START:
            if self._needs_consent(call):
                out.append(PlayMessage(at, call.call_id, self.config.notice_message, False))
                self._start(call, at, "notice", out)
            else:
                self._start(call, at, "on_demand", out)
            return
        assert recording is not None
        if action is RecordingAction.PAUSE:
            recording.pauses.append([at, None])
            out.append(PauseRecording(at, call.call_id, recording.path))
        elif action is RecordingAction.RESUME:
            recording.pauses[-1][1] = at
            out.append(ResumeRecording(at, call.call_id, recording.path))
        else:
            if recording.pauses and recording.pauses[-1][1] is None:
                recording.pauses[-1][1] = at
            recording.stopped = True
            out.append(StopRecording(at, call.call_id, recording.path))

    def finished(self, call_id: str, at: float
                 ) -> tuple[float | None, str, tuple[tuple[float, float], ...]]:
        """(started at, consent, pauses) of the call's recording, forgotten now."""
        recording = self._active.pop(call_id, None)
        if recording is None:
            return None, "", ()
        pauses = tuple((start, end if end is not None else at)
                       for start, end in recording.pauses)  # type: ignore[misc]
        return recording.started_at, recording.consent, pauses

    # --- internals ---------------------------------------------------------------------------

    def _mode(self, call: Call) -> RecordingMode:
        if call.queue is not None and call.queue in self.config.queue_modes:
            return self.config.queue_modes[call.queue]
        return self.config.mode

    def _chosen(self, call: Call) -> bool:
        mode = self._mode(call)
        if mode is RecordingMode.ALL:
            return True
        if mode is RecordingMode.PERCENTAGE:
            return zlib.crc32(call.call_id.encode()) % 10_000 < self.config.percentage * 100
        return False

    def _needs_consent(self, call: Call) -> bool:
        config = self.config
        if not config.check_consent:
            return False
        if config.notice_everyone:
            return True
        attributes = call.target.attributes if call.target is not None else {}
        # Every place the called party may be: the lead's state, its ZIP's, its number's
        # (``area_state`` lists its exchange's and its area code's, comma-separated).
        states = {state.strip().upper()
                  for key in ("state", "zip_state", "area_state")
                  for state in attributes.get(key, "").split(",")} - {""}
        return not states or bool(states & config.all_party)

    def _start(self, call: Call, at: float, consent: str, out: list[Command]) -> None:
        path = self.path(call, at)
        call.recording_path = path
        self._active[call.call_id] = _Recording(path, at, consent)
        out.append(StartRecording(at, call.call_id, path))

    def path(self, call: Call, at: float) -> str:
        target = call.target
        date = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d")
        return self.config.path_template.format(
            campaign=_safe(self.campaign_id), call_id=_safe(call.call_id),
            lead_id=_safe(target.lead_id if target else f"inbound-{call.queue or ''}"),
            attempt=target.attempt_number if target else 0,
            date=date, format=self.config.format, queue=_safe(call.queue or ""))
