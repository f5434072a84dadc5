"""Events the engine consumes: what happened on the switch, to an agent, or in a queue.

This module is a contract between the engine and its drivers (the asyncio runner and the
simulator). Every event is a frozen, slotted dataclass whose first field ``at`` is the time
it happened, in the driver's clock (POSIX seconds live, virtual seconds simulated). The
engine never reads a clock: ``at`` is its only notion of time. Fields may be added with
defaults; existing fields keep their meaning.

Identifiers: ``call_id`` is the customer leg's id. For outbound calls the engine chooses it
and the FreeSWITCH adapter passes it as ``origination_uuid``, so it is also the channel's
``Unique-ID``. For inbound calls the driver supplies it (the channel's ``Unique-ID``).
``agent_id`` is the campaign's name for an agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.hangup import HangupCause, HangupSide
from dialer.ports import DialTarget, GateVerdict, fast_init
from pacing_models.records import native_or_slotted

_NO_SIDE = HangupSide.UNKNOWN
"""A module constant: reading an Enum member costs an attribute hook (docs/engine.md)."""


class AnswerKind(StrEnum):
    """Who answered, as answering-machine detection (AMD) decided."""

    HUMAN = "human"
    MACHINE = "machine"
    UNKNOWN = "unknown"
    """AMD could not decide (mod_amd ``NOTSURE``), or AMD was off."""


# --- switch -------------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class SwitchUp:
    """A switch (one ESL connection) is connected and authenticated: dialing may use it."""

    at: float
    switch_id: str = "default"


@fast_init
@dataclass(frozen=True, slots=True)
class SwitchDown:
    """A switch's connection is lost: no new dial goes to it until ``SwitchUp``."""

    at: float
    switch_id: str = "default"


@fast_init
@dataclass(frozen=True, slots=True)
class SwitchRefusing:
    """The switch refuses the originates sent to it (``refusing``: the runner's send hold,
    e.g. its gateway down) or may be sent them again (its probe, or it takes calls): while
    it refuses no new dial is placed there, and the calls its agents would have been dialed
    are not placed elsewhere (an answer on another switch cannot reach them). Its calls in
    progress, agents and inbound calls go on."""

    at: float
    switch_id: str
    refusing: bool


# --- customer calls -----------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class CallRinging:
    """The far end is ringing (CHANNEL_PROGRESS or CHANNEL_PROGRESS_MEDIA)."""

    at: float
    call_id: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class CallAnswered:
    """The customer leg is answered and media is up (CHANNEL_ANSWER).

    ``bridgeable``: the leg can be bridged to an agent now. A real FreeSWITCH leg cannot: its
    originate is still returning, and a ``uuid_bridge`` then races it (the job ends
    ``-ERR ORIGINATOR_CANCEL`` although the call is bridged, or the originate's park wins and
    the bridge is lost). The FreeSWITCH adapter says False and sends ``CallParked`` when the
    leg runs ``park``; drivers without that race (the discrete simulator) keep True.
    """

    at: float
    call_id: str
    bridgeable: bool = True


@fast_init
@dataclass(frozen=True, slots=True)
class CallParked:
    """The answered customer leg is parked (CHANNEL_PARK): a bridge to it is safe now."""

    at: float
    call_id: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class CallClassified:
    """Who answered an answered call: AMD's result, or a later correction.

    With AMD on this normally arrives while the call is ``answered``. It is also accepted
    while the call is bridged or abandoned (an agent or the simulator's ground truth says
    it was a machine): the abandonment ledger then stops counting it as a live answer,
    because only calls answered by a person count (47 CFR 64.1200(a)(7); Ofcom 2016
    persistent misuse statement, A1.6).
    """

    at: float
    call_id: str
    kind: AnswerKind


@fast_init
@dataclass(frozen=True, slots=True)
class OriginateFailed:
    """The originate itself failed (a BACKGROUND_JOB body ``-ERR CAUSE``) before any hangup.

    FreeSWITCH reports e.g. ``-ERR NO_ANSWER`` or ``-ERR USER_BUSY`` this way when the
    channel never reached a state that produces CHANNEL_HANGUP_COMPLETE to our filter.
    The engine accepts either this or ``CallHungUp`` (or both) for the same call.
    """

    at: float
    call_id: str
    cause: HangupCause

    @property
    def side(self) -> HangupSide:
        """No channel was made: nobody hung up, the switch names no side."""
        return _NO_SIDE


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class CallHungUp:
    """The customer leg ended, in whatever state it was (CHANNEL_HANGUP_COMPLETE).

    ``side``: who ended it, as the switch said (``variable_sip_hangup_disposition``;
    ``dialer.hangup.HangupSide``); ``UNKNOWN`` where it did not say (a loopback channel)."""

    at: float
    call_id: str
    cause: HangupCause = HangupCause.NORMAL_CLEARING
    side: HangupSide = HangupSide.UNKNOWN


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class CallBridged:
    """The customer leg is bridged to the agent's leg (CHANNEL_BRIDGE)."""

    at: float
    call_id: str
    agent_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """The customer pressed a key (DTMF event on the customer leg)."""

    at: float
    call_id: str
    digit: str


@fast_init
@dataclass(frozen=True, slots=True)
class PlaybackStarted:
    """A message started playing to the customer (PLAYBACK_START): the person hears it."""

    at: float
    call_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class PlaybackFinished:
    """A message played to the customer ended (PLAYBACK_STOP).

    The engine times its prompts from their known lengths (``PromptSet``), so a stop that
    is missed or arrives for a prompt broken off by the next one changes nothing. For the
    safe-harbour message it is the proof of how it ended (journaled on the attempt)."""

    at: float
    call_id: str
    cut_off: bool = False
    """The channel was already hanging up when the playback stopped (the person hung up
    during it): FreeSWITCH still says ``Playback-Status: done`` then, with ``Answer-State:
    hangup`` and a ``Hangup-Cause`` (capture 02's callee legs)."""


@fast_init
@dataclass(frozen=True, slots=True)
class PlaybackFailed:
    """A message could not be played (CHANNEL_EXECUTE_COMPLETE of ``playback`` with
    ``Application-Response: FILE NOT FOUND`` or another error, and no PLAYBACK_START):
    ``uuid_broadcast`` said ``+OK Message sent`` all the same."""

    at: float
    call_id: str
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class MessageLatency:
    """How long a switch takes from ``uuid_broadcast`` to the message playing (measured by
    the driver): the engine starts the safe-harbour message this much before the connect
    window closes, so that it is heard within the window, not after it."""

    at: float
    switch_id: str
    seconds: float


@fast_init
@dataclass(frozen=True, slots=True)
class InboundCallArrived:
    """A customer called in and waits in ``queue`` for an agent.

    ``customer_key`` identifies the customer across calls (for sticky routing to the agent
    who spoke with them last); ``skills`` are what an agent must have to take the call.
    A ``CallHungUp`` for a queued call means the caller ran out of patience. The driver
    has answered (or parked) the inbound channel; the engine bridges it to an agent.
    """

    at: float
    call_id: str
    queue: str = "default"
    caller_number: str = ""
    priority: int = 0
    """Larger is more urgent; equal priorities are served in order of arrival."""
    customer_key: str | None = None
    skills: frozenset[str] = field(default_factory=frozenset)
    switch_id: str | None = None
    """The switch the inbound channel is on (None: the campaign's first switch); only
    agents on that switch can take it (``uuid_bridge`` works within one FreeSWITCH)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Caller data: the ``dialer_*`` channel variables the dialplan set, or the lead/contact
    fields the driver looked up (a queue's priority rule may read one)."""
    waiting_since: float | None = None
    """When the caller started waiting, if before ``at`` (a call adopted after a restart
    keeps its place: its wait and its priority aging count from then)."""


@fast_init
@dataclass(frozen=True, slots=True)
class QueueCallbackPending:
    """A queue callback the engine must keep (restored after a restart, or created from a
    voicemail): the caller waits virtually in ``queue`` with the place ``place_at`` and
    ``priority`` give, and is called back (agent first) when that place reaches the front.
    """

    at: float
    callback_id: str
    queue: str
    number_e164: str
    place_at: float
    """When the place was taken (the caller's time in line counts from it)."""
    priority: int = 0
    attempts: int = 0
    """Attempts already made."""
    customer_key: str | None = None
    inquiry_at: float | None = None
    """When the caller phoned us (the call they kept their place in, or left the voicemail
    in): their inquiry, which the compliance gate may rely on as an established business
    relationship for three months (47 CFR 64.1200(f)(5)); None: unknown, none relied on."""
    next_attempt_at: float | None = None
    """When its wait after an unanswered attempt ends (stored as the row's
    ``next_attempt_at``): it is not dialed before then; None or a past instant: due now."""


@fast_init
@dataclass(frozen=True, slots=True)
class CallbackDialRefused:
    """A queue callback's dial refused where it is journaled, before its originate was sent.

    The gate allowed the dial on its view of the attempt history; the journal's recount,
    over every process's calls (``campaigns.attempt_recount``), refused it (another process
    reached a per-number limit meanwhile, say). No call was made, so it is not an attempt:
    the engine ends the call as never sent, frees the agent and holds the callback on
    ``verdict`` as it holds a refusal at the gate (``callback_verdicts``: until the instant
    it names, cancelled when final, else retried a bounded number of times). ``verdict``
    is the recount's: its failing rules, ``earliest-allowed:`` the instant they allow, and
    its audit id (``journal:<run>:<n>``). Sent instead of ``OriginateFailed`` for that
    call; for any other call it ends the call like ``OriginateFailed``."""

    at: float
    call_id: str
    verdict: GateVerdict


@fast_init
@dataclass(frozen=True, slots=True)
class DialNotSent:
    """A dial the engine decided whose originate never reached the switch: its journal or
    the audit entry of its gate decision could not be written (a store failure), the
    journal refused it (its lead or queue callback no longer this process's to dial, or a
    lead the recount refused), the switch's link was down when it was to be sent, its
    turn came past the send allowance, or the switch refused it before any channel (a
    gateway down: the runner's send hold; a call on a carrier's gateway keeps
    ``OriginateFailed`` for its failover).

    No call was made, so it is no attempt: the engine ends the call (its record says
    ``failed``, cause ``ORIGINATOR_CANCEL``, as before) without telling pacing anything
    (no attempt, no no-answer, nothing for the answer-rate estimators or the placement
    rates) and takes it off its dial count. A queue callback's dial gives its attempt back
    and the callback returns to its place at ``retry_at`` (None: its queue's
    ``retry_after`` later), not counted as a refusal toward ``max_attempts``; with
    ``not_ours`` (the journal found it finished, or held by another live process) it
    leaves this engine unwritten. ``reason`` is shown with the callback. A call the switch
    has already reported on was sent: the event is ignored for it."""

    at: float
    call_id: str
    reason: str
    retry_at: float | None = None
    not_ours: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class CallbackDue:
    """A scheduled callback is due: reserve an agent first, then dial ``target``.

    ``agent_id`` set means a personal callback (only that agent may take it). The target is
    checked by the compliance gate at the moment it is dialed, like any other call.
    """

    at: float
    callback_id: str
    target: DialTarget
    agent_id: str | None = None


# --- agents -------------------------------------------------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    """An agent logged in; the engine asks the driver to open the agent's nailed-up leg."""

    at: float
    agent_id: str
    endpoint: str = ""
    """FreeSWITCH dial string of the agent's phone, e.g. ``user/1001`` or ``sofia/...``."""
    skills: frozenset[str] = field(default_factory=frozenset)
    switch_id: str | None = None
    """The switch the agent's phone registers to, when known: the nailed-up leg is opened
    there and the agent takes only calls on that switch. None: the engine picks the up
    switch with the fewest logged-in agents."""


@fast_init
@dataclass(frozen=True, slots=True)
class AgentLegUp:
    """The agent's nailed-up leg is answered and parked: a bridge to it is safe now.

    Sent again every time the leg returns to park after a bridge (``park_after_bridge``):
    only then is the agent's leg free for the next customer, whatever the customer's own
    events said. ``leg_id``: which leg (a report about an older leg of the agent is ignored).
    """

    at: float
    agent_id: str
    leg_id: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class AgentLegDown:
    """The agent's nailed-up leg ended; the agent cannot take calls until it is back up.

    ``leg_id``: which leg (a report about an older leg of the agent is ignored)."""

    at: float
    agent_id: str
    cause: HangupCause = HangupCause.NORMAL_CLEARING
    leg_id: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class AgentReady:
    """The agent is ready for work (from paused, or ending wrap-up early)."""

    at: float
    agent_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class AgentPaused:
    """The agent takes a break; ``reason`` is recorded (e.g. "lunch", "coaching")."""

    at: float
    agent_id: str
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    """The agent logged out (a call in progress finishes first)."""

    at: float
    agent_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class AgentAccepted:
    """Ring-all routing: the agent accepts offered work (``OfferWork.work_id``).

    Too late (another agent took it, the caller left, the window closed) is not an error:
    the engine ignores it.
    """

    at: float
    agent_id: str
    work_id: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class CallDisposed:
    """The agent set the call's disposition, which ends wrap-up (agent becomes ready)."""

    at: float
    agent_id: str
    call_id: str
    disposition: str


@fast_init
@dataclass(frozen=True, slots=True)
class RecordingRequested:
    """An agent (or supervisor) asks to start, pause, resume or stop the call's recording
    (``action``: start, pause, resume, stop); refused requests change nothing."""

    at: float
    call_id: str
    action: str


# --- agent desktop and supervisor console (dialer web) ------------------------------------


@fast_init
@dataclass(frozen=True, slots=True)
class HoldRequested:
    """The agent puts their connected customer on hold (``held``) or takes them off it."""

    at: float
    agent_id: str
    held: bool = True


@fast_init
@dataclass(frozen=True, slots=True)
class TransferRequested:
    """Blind transfer of the agent's connected customer.

    ``kind``: ``queue`` (the call waits in queue ``target`` for the next agent), ``agent``
    (it waits for agent ``target``; at once when that agent is ready) or ``number`` (it
    leaves the dialer for the E.164 number ``target``). The agent goes to wrap-up.
    """

    at: float
    agent_id: str
    kind: str
    target: str


@fast_init
@dataclass(frozen=True, slots=True)
class ConsultRequested:
    """Attended transfer, first step: the customer waits parked while the agent talks to
    ``target`` (``kind`` ``agent``: a ready agent; ``number``: an E.164 number dialed now)."""

    at: float
    agent_id: str
    kind: str
    target: str


@fast_init
@dataclass(frozen=True, slots=True)
class ConsultFinished:
    """Attended transfer, second step: ``complete`` hands the customer to the consulted
    party (the agent goes to wrap-up); otherwise the agent takes the customer back."""

    at: float
    agent_id: str
    complete: bool


@fast_init
@dataclass(frozen=True, slots=True)
class PreviewDecided:
    """Preview dialing: the agent read the lead offered to them and dials it or skips it."""

    at: float
    agent_id: str
    dial: bool


@fast_init
@dataclass(frozen=True, slots=True)
class DialingPaused:
    """A supervisor pauses (``paused``) or resumes the campaign's dialing. Calls in progress
    go on; no new call is dialed while paused."""

    at: float
    paused: bool
    reason: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class QueuesClosing:
    """The driver stops serving its queues (a runner asked to stop): callers waiting in
    them, and those still in a menu, leave now, each kept as a queue callback when
    the queue offers callbacks and their number is known, else by the queue's closed path,
    rather than be hung up at the end of the stop grace."""

    at: float


@fast_init
@dataclass(frozen=True, slots=True)
class EavesdropRequested:
    """A supervisor listens to (``mode`` ``listen``), whispers to (``whisper``: only the agent
    hears) or barges in on (``barge``: both hear) an agent's calls from ``endpoint``."""

    at: float
    agent_id: str
    supervisor: str
    endpoint: str
    mode: str = "listen"


# The records of every attempt, native classes in the compiled engine (their fields in
# dialer/accel/pxd/dialer/events.pxd); slotted and with fast_init in pure Python.
native_or_slotted(globals(), CallAnswered, CallClassified, CallHungUp, CallBridged,
                  CallDisposed)


Event = (
    SwitchUp
    | SwitchDown
    | SwitchRefusing
    | CallRinging
    | CallAnswered
    | CallParked
    | CallClassified
    | OriginateFailed
    | CallHungUp
    | CallBridged
    | DtmfReceived
    | PlaybackStarted
    | PlaybackFinished
    | PlaybackFailed
    | MessageLatency
    | InboundCallArrived
    | QueueCallbackPending
    | CallbackDialRefused
    | DialNotSent
    | CallbackDue
    | AgentLoggedIn
    | AgentLegUp
    | AgentLegDown
    | AgentReady
    | AgentPaused
    | AgentLoggedOut
    | AgentAccepted
    | CallDisposed
    | RecordingRequested
    | HoldRequested
    | TransferRequested
    | ConsultRequested
    | ConsultFinished
    | PreviewDecided
    | DialingPaused
    | QueuesClosing
    | EavesdropRequested
)
"""Every event the engine accepts."""
