"""Commands the engine emits: what its driver must do on the switch and in storage.

A contract between the engine and its drivers. Every command is a frozen, slotted
dataclass whose first field ``at`` is the engine time at which it was decided. Drivers
execute them in the order given: in particular a ``JournalAttempt`` always precedes the
``Originate`` of the same ``call_id`` and must be persisted before that originate is sent,
so a crash can never lose an attempt or dial a lead twice.

Switch-bound commands (``Originate``, ``OriginateAgentLeg``, ``Bridge``, ``PlayMessage``,
``Hangup``, ``StartRecording``, ``CloseAgentLeg``, and the agent desktop's ``HoldCall``,
``ParkCall``, ``TransferOut``, ``OriginateConsult``, ``BridgeLegs``, ``Eavesdrop``) are turned
into FreeSWITCH API strings by ``dialer.freeswitch``. Desktop-bound ones (``OfferWork``,
``PreviewLead``, ``AgentNotice``) go to the agents' screens. Storage-bound ones
(``JournalAttempt``, ``AttemptFinished``, ``LiveAnswerConfirmed``, ``RecordOptOut``,
``AgentStateChanged``, ``ReleaseLead``) are for the campaign store;
the simulator may count them or ignore them. Fields may be added with defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.events import AnswerKind
from dialer.hangup import HangupCause, HangupSide
from dialer.ports import GateVerdict, fast_init
from pacing_models.records import builder, is_native, native_or_slotted


class AgentState(StrEnum):
    """An agent's state in the agent-pool scheduler."""

    LOGGED_OUT = "logged_out"
    CONNECTING = "connecting"
    """Logged in; the nailed-up leg to the agent's phone is being set up."""
    READY = "ready"
    RESERVED = "reserved"
    """Chosen for a piece of work; the bridge (or the callback dial) is under way."""
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class Direction(StrEnum):
    """Which way a call goes and why it was made."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"
    CALLBACK = "callback"


class CallOutcome(StrEnum):
    """How a call ended, for the attempt record and reports."""

    CONNECTED = "connected"          # bridged to an agent
    ABANDONED = "abandoned"          # live answer, no agent within the connect window
    MACHINE = "machine"              # answered by a machine and handled per the campaign
    MACHINE_MESSAGE = "machine_message"  # a voicemail message was left
    HUNG_UP_ANSWERED = "hung_up_answered"  # answered, the customer left before any agent
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"                # rejected, bad number, network or internal failure
    QUEUE_ABANDONED = "queue_abandoned"  # inbound caller hung up while waiting
    IVR_ABANDONED = "ivr_abandoned"  # inbound caller hung up in the menu
    VOICEMAIL = "voicemail"          # inbound caller reached voicemail (message or not)
    CALLBACK_REQUESTED = "callback_requested"  # inbound caller kept their place and left
    OPTED_OUT = "opted_out"          # inbound caller asked not to be called (internal DNC)
    CLOSED = "closed"                # inbound call outside opening hours, no voicemail


class InboundEnd(StrEnum):
    """Where an inbound call ended, the four ways a caller leaves a queue (and opt-out)."""

    BRIDGED = "bridged"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    ABANDONED = "abandoned"
    """The caller hung up first (in the menu, in the queue, as the agent came)."""
    DIALER_ENDED = "dialer_ended"
    """The dialer ended it after a message: opted out, or closed without voicemail."""


INBOUND_END = {
    CallOutcome.CONNECTED: InboundEnd.BRIDGED,
    CallOutcome.VOICEMAIL: InboundEnd.VOICEMAIL,
    CallOutcome.CALLBACK_REQUESTED: InboundEnd.CALLBACK,
    CallOutcome.QUEUE_ABANDONED: InboundEnd.ABANDONED,
    CallOutcome.IVR_ABANDONED: InboundEnd.ABANDONED,
    CallOutcome.HUNG_UP_ANSWERED: InboundEnd.ABANDONED,
    CallOutcome.OPTED_OUT: InboundEnd.DIALER_ENDED,
    CallOutcome.CLOSED: InboundEnd.DIALER_ENDED,
}
"""The end category of each outcome an inbound call can have."""


# --- storage-bound ------------------------------------------------------------------------


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class JournalAttempt:
    """Persist this attempt before dialing it (it precedes its ``Originate``)."""

    at: float
    call_id: str
    lead_id: str
    campaign: str
    number_e164: str
    attempt_number: int
    verdict: GateVerdict
    switch_id: str = "default"
    direction: Direction = Direction.OUTBOUND
    callback_id: str | None = None
    caller_id: str = ""
    """The caller ID the call shows (chosen from the campaign's pool)."""
    gateway: str | None = None
    """The gateway it goes out through (None: the driver's default route)."""
    failover_of: str | None = None
    """The call id of the leg a gateway refused, when this leg retries the same attempt on
    another gateway (each leg is its own journal row and counts as a call)."""


@fast_init
@dataclass(frozen=True, slots=True)
class ReleaseLead:
    """A claimed lead was not dialed (compliance refused, no switch, engine stopping, no
    gateway or caller ID free).

    ``reason`` is ``compliance``, ``no route`` (no gateway serves the number: offered again
    later, not at once) or a sentence."""

    at: float
    lead_id: str
    reason: str
    verdict: GateVerdict | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class RecordOptOut:
    """Add the number to the internal do-not-call list now (47 CFR 64.1200(b)(3))."""

    at: float
    number_e164: str
    call_id: str
    campaign: str
    reason: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class AttemptFinished:
    """The outcome record of one call, emitted once when its customer leg has ended."""

    at: float
    call_id: str
    campaign: str
    direction: Direction
    outcome: CallOutcome
    cause: HangupCause
    lead_id: str | None = None
    number_e164: str = ""
    attempt_number: int = 0
    dialed_at: float | None = None
    """Originate sent (outbound/callback) or call arrived (inbound)."""
    answered_at: float | None = None
    bridged_at: float | None = None
    ended_at: float = 0.0
    answer_kind: AnswerKind | None = None
    """Who answered (None when unanswered)."""
    abandoned: bool = False
    """Counted as abandoned in the campaign's ledger (live answer, no agent in time)."""
    agent_id: str | None = None
    recording_path: str | None = None
    opted_out: bool = False
    callback_id: str | None = None
    queue: str | None = None
    queued_at: float | None = None
    """Inbound: when the caller entered the queue where they ended (after any menu)."""
    estimated_wait: float | None = None
    """Inbound: the wait estimated when the caller entered that queue (calibration)."""
    overflowed_from: str | None = None
    """Inbound: the queue the caller overflowed from (max wait or full)."""
    ivr_keys: str = ""
    """Inbound: the keys pressed in the menu, in order."""
    message: str | None = None
    """The safe-harbour message of an abandoned call: ``played`` (in full), ``cut_off`` (the
    person hung up during it), ``started`` (it started; its end was not reported),
    ``failed`` (the switch could not play it: an incident, not a legal abandon) or
    ``unconfirmed`` (no report before the call ended); None when none was sent."""

    caller_id: str = ""
    gateway: str | None = None
    failed_over_to: str | None = None
    """A gateway refused this leg with a carrier cause and the attempt goes on as the call
    ``failed_over_to``: the lead stays in its call, this leg's record is closed."""
    recording_started_at: float | None = None
    recording_consent: str = ""
    """How the recording's consent was met: ``not_required`` (one-party state), ``notice``
    (played first) or ``on_demand`` (started by the agent); empty when not recorded."""
    recording_pauses: tuple[tuple[float, float], ...] = ()
    message_started_at: float | None = None
    """When the safe-harbour message started playing (the 2-second rule's proof)."""
    hangup_side: HangupSide = HangupSide.UNKNOWN
    """Who ended the call, as the switch said in its hang-up (``CallHungUp.side``):
    ``callee`` (the far end), ``dialer`` (this switch: the message's end, an agent, the
    dialer's own hang-up, a ring timeout) or ``unknown`` (a loopback channel, an originate
    that made no channel, a call the engine closed without the switch's word). Read by
    NRS 597.814(2)(b) (``dnc.rules.adad``), where unknown is the strict case."""


@fast_init
@dataclass(frozen=True, slots=True)
class LiveAnswerConfirmed:
    """A machine verdict sent to a free agent (``machine_to_free_agent``) was a person: the
    agent said so after the call ended, in wrap-up. Its ``AttemptFinished`` recorded the
    machine verdict; the attempt is now a live answer, connected to ``agent_id`` and not
    abandoned (the engine's ledger counts it from ``answered_at``)."""

    at: float
    call_id: str
    campaign: str
    agent_id: str
    answered_at: float


class IncidentKind(StrEnum):
    """Something on the switch went wrong in a way the operator must hear about."""

    MESSAGE_FAILED = "message_failed"
    """The safe-harbour (or voicemail) message could not be played."""
    MESSAGE_LATE = "message_late"
    """The message started after the connect window (the latency budget was too small)."""
    BRIDGE_NOT_CONFIRMED = "bridge_not_confirmed"
    """A bridge was sent and FreeSWITCH did not report it within the connect window."""
    SWITCH_SILENT = "switch_silent"
    """A call the engine waited on got no news from the switch before its deadline."""
    AGENT_LEG_STUCK = "agent_leg_stuck"
    """An agent's leg did not return to park after a call: it is replaced."""
    ORIGINATE_FAILED = "originate_failed"
    """The switch refused an originate outright (no channel was ever created)."""
    GUARANTEE_BROKEN = "guarantee_broken"
    """A campaign that guarantees every call an agent (``agent_guaranteed``: Ofcom's
    repeat-call rules lifted on that promise) abandoned an answered call: an agent's phone
    dropped while a call placed for them rang (a pause or log-out is held, a drop cannot)."""


@fast_init
@dataclass(frozen=True, slots=True)
class QueueCallbackRequested:
    """A caller kept their place in ``queue`` and will be called back: persist it (callbacks
    survive a restart through ``QueueCallbackPending``)."""

    at: float
    callback_id: str
    queue: str
    number_e164: str
    place_at: float
    priority: int
    call_id: str | None = None
    """The inbound call it came from (None: from a voicemail or restored)."""
    customer_key: str | None = None


class CallbackResult(StrEnum):
    COMPLETED = "completed"        # the caller was reached and connected to an agent
    FAILED = "failed"              # every attempt went unanswered
    OPTED_OUT = "opted_out"        # the number is on the internal do-not-call list now
    CANCELLED = "cancelled"


@fast_init
@dataclass(frozen=True, slots=True)
class QueueCallbackFinished:
    """A queue callback is done (never to be dialed again)."""

    at: float
    callback_id: str
    queue: str
    result: CallbackResult
    attempts: int
    call_id: str | None = None
    """The callback call that completed it (COMPLETED)."""
    reason: str | None = None
    """Why it ended without a call, when the compliance gate (or the internal list) decided
    it: the refusal's reasons and the audit id of the decision (``compliance dial:...``)."""


@fast_init
@dataclass(frozen=True, slots=True)
class QueueCallbackAttempted:
    """A queue callback attempt ended without reaching the caller; retried at ``retry_at``."""

    at: float
    callback_id: str
    attempts: int
    retry_at: float


@fast_init
@dataclass(frozen=True, slots=True)
class VoicemailRecorded:
    """A caller left a message (recorded by the switch at ``path``)."""

    at: float
    call_id: str
    queue: str
    caller_number: str
    path: str
    started_at: float
    ended_at: float


@fast_init
@dataclass(frozen=True, slots=True)
class Incident:
    """An incident to log at WARNING and count (and alert): not a switch command."""

    at: float
    kind: IncidentKind
    detail: str
    call_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class AgentStateChanged:
    """An agent changed state (the history the reports and the dashboard use)."""

    at: float
    agent_id: str
    state: AgentState
    previous: AgentState
    reason: str = ""
    call_id: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class OfferWork:
    """Ring-all routing: offer waiting work to agents; the first ``AgentAccepted`` takes it.

    For agent desktops (the runner's control socket), not for the switch. ``kind`` is
    ``outbound``, ``inbound`` or ``callback``; ``deadline`` is when an answered outbound call
    stops waiting (None for other work).
    """

    at: float
    work_id: str
    kind: str
    agent_ids: tuple[str, ...]
    deadline: float | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class PreviewLead:
    """Preview dialing: show lead ``lead_id`` to the agent, who dials or skips it
    (``PreviewDecided``). For agent desktops (the runner's control socket)."""

    at: float
    agent_id: str
    work_id: str
    lead_id: str
    number_e164: str


@fast_init
@dataclass(frozen=True, slots=True)
class AgentNotice:
    """Tell the agent's desktop why a request of theirs could not be carried out."""

    at: float
    agent_id: str
    text: str


# --- switch-bound -------------------------------------------------------------------------


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class Originate:
    """Dial a customer; the new channel's id (``origination_uuid``) is ``call_id``."""

    at: float
    call_id: str
    number_e164: str
    caller_id_number: str
    caller_id_name: str
    ring_timeout: float
    variables: Mapping[str, str] = field(default_factory=dict)
    """Channel variables tying the channel to campaign, lead and attempt."""
    detect_machine: bool = False
    switch_id: str = "default"
    gateway: str | None = None
    """The gateway chosen by the engine's router (None: the driver's default route)."""
    dial_string: str | None = None
    """The endpoint to originate to through that gateway (``sofia/gateway/NAME/+1...``)."""


@fast_init
@dataclass(frozen=True, slots=True)
class OriginateAgentLeg:
    """Call the agent's phone and park the answered leg (the nailed-up leg)."""

    at: float
    agent_id: str
    agent_leg_id: str
    endpoint: str
    switch_id: str = "default"


@fast_init
@dataclass(frozen=True, slots=True)
class CloseAgentLeg:
    """Hang up the agent's nailed-up leg (logout)."""

    at: float
    agent_id: str
    agent_leg_id: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class Bridge:
    """Connect the customer leg to the agent's nailed-up leg."""

    at: float
    call_id: str
    agent_id: str
    agent_leg_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class PlayMessage:
    """Play a recorded message to the customer (safe-harbour message, voicemail drop).

    ``hangup_after``: hang the call up when the message ends. ``optout_digit``: a key
    that, pressed during the message, records an opt-out (47 CFR 64.1200(a)(7)(i)(B)).
    """

    at: float
    call_id: str
    message: str
    hangup_after: bool = True
    optout_digit: str | None = None
    decision_id: str | None = None
    """For a recorded (prerecorded) message: the compliance decision that allowed it; the
    driver writes it to the audit log before the message plays."""


@fast_init
@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Play prompt files to a waiting caller (IVR menus, announcements), then ``music``
    (looped, e.g. ``local_stream://moh``) if given. Any prompt still playing is stopped
    first by a ``StopPlayback`` the engine emits before it. ``hangup_after``: the switch
    hangs up when the prompts end (a farewell)."""

    at: float
    call_id: str
    files: tuple[str, ...]
    music: str | None = None
    hangup_after: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop whatever plays to the caller (before a new prompt, a bridge or a recording)."""

    at: float
    call_id: str


@dataclass(frozen=True)  # slots in pure Python: native_or_slotted below
class Hangup:
    """Hang up the customer leg."""

    at: float
    call_id: str
    cause: HangupCause = HangupCause.NORMAL_CLEARING


@fast_init
@dataclass(frozen=True, slots=True)
class StartRecording:
    """Record the call to ``path`` (set per attempt from the campaign's template)."""

    at: float
    call_id: str
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class PauseRecording:
    """Keep recording but write silence (``uuid_record mask``): a card number is spoken."""

    at: float
    call_id: str
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class ResumeRecording:
    """Record the call's sound again (``uuid_record unmask``)."""

    at: float
    call_id: str
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class StopRecording:
    """Stop recording the call (the agent's on-demand stop)."""

    at: float
    call_id: str
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class HoldCall:
    """Put the customer leg on hold (music; the bridge stays up) or take it off hold."""

    at: float
    call_id: str
    held: bool = True


@fast_init
@dataclass(frozen=True, slots=True)
class ParkCall:
    """Take the customer leg out of its bridge and park it (the agent's nailed-up leg parks
    too): a transfer to a queue or an agent, or a consultation, follows."""

    at: float
    call_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class TransferOut:
    """Blind transfer of the customer leg to an outside number (it leaves the dialer)."""

    at: float
    call_id: str
    number_e164: str


@fast_init
@dataclass(frozen=True, slots=True)
class OriginateConsult:
    """Dial the outside party of an attended transfer; its channel id is ``leg_id`` and it is
    parked on answer (then bridged to the consulting agent's leg with ``Bridge``)."""

    at: float
    leg_id: str
    agent_id: str
    number_e164: str
    caller_id_number: str
    caller_id_name: str
    ring_timeout: float
    switch_id: str = "default"


@fast_init
@dataclass(frozen=True, slots=True)
class BridgeLegs:
    """Bridge two legs that are not a customer and its agent (an agent's leg with a
    consulted agent's leg, or the parked customer with the consulted outside party)."""

    at: float
    leg_a: str
    leg_b: str


@fast_init
@dataclass(frozen=True, slots=True)
class Eavesdrop:
    """Call a supervisor's phone and attach it to the agent's nailed-up leg: ``listen``,
    ``whisper`` (the agent hears the supervisor) or ``barge`` (agent and customer hear)."""

    at: float
    leg_id: str
    supervisor: str
    endpoint: str
    target_leg_id: str
    mode: str = "listen"
    switch_id: str = "default"


# The records of every attempt, native classes in the compiled engine (their fields in
# dialer/accel/pxd/dialer/commands.pxd); slotted and with fast_init in pure Python.
native_or_slotted(globals(), JournalAttempt, AgentStateChanged, Originate, Bridge, Hangup,
                  AttemptFinished)


def _native_originate(at, call_id, number_e164, caller_id_number, caller_id_name,  # type: ignore[no-untyped-def]
                      ring_timeout, variables, detect_machine, switch_id, gateway,
                      dial_string):
    """``Originate(...)`` from every field, for the compiled engine only (see
    ``dialer.ports._native_dial_target``: Cython's ``__init__`` imports ``dataclasses`` for
    the default factory of ``variables`` at every call)."""
    command = Originate.__new__(Originate)
    command.at = at
    command.call_id = call_id
    command.number_e164 = number_e164
    command.caller_id_number = caller_id_number
    command.caller_id_name = caller_id_name
    command.ring_timeout = ring_timeout
    command.variables = variables
    command.detect_machine = detect_machine
    command.switch_id = switch_id
    command.gateway = gateway
    command.dial_string = dial_string
    return command


originate = _native_originate if is_native(Originate) else builder(Originate)
"""An ``Originate`` from all its fields in their order (the engine's plain dial, once per
attempt): the same record as the class called with them."""


Command = (
    JournalAttempt
    | ReleaseLead
    | RecordOptOut
    | AttemptFinished
    | LiveAnswerConfirmed
    | QueueCallbackRequested
    | QueueCallbackAttempted
    | QueueCallbackFinished
    | VoicemailRecorded
    | AgentStateChanged
    | OfferWork
    | Incident
    | Originate
    | OriginateAgentLeg
    | CloseAgentLeg
    | Bridge
    | PlayMessage
    | PlayPrompt
    | StopPlayback
    | Hangup
    | StartRecording
    | PauseRecording
    | ResumeRecording
    | StopRecording
    | PreviewLead
    | AgentNotice
    | HoldCall
    | ParkCall
    | TransferOut
    | OriginateConsult
    | BridgeLegs
    | Eavesdrop
)
"""Every command the engine emits."""
