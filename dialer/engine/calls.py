"""A call's life as a state machine written as a table (after h11's ``_state.py``).

Outbound: dialing → ringing → answered → (waiting for an agent → bridging → bridged |
abandoned with the safe-harbour message | machine handling) → ended; unanswered calls go
from dialing or ringing straight to ended. With AMD on, ``answered`` waits for the
classification; with it off the engine moves on at once. Inbound calls start in the menu
(``ivr``) or ``queued``, and leave the line bridged, to voicemail, or after a farewell
message (closed, opted out); see dialer/engine/inbound.py.
Every change goes through ``transition``; a change the table does not list raises.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from dialer.commands import Direction
from dialer.errors import IllegalTransitionError
from dialer.events import AnswerKind
from dialer.hangup import HangupCause
from dialer.ports import DialTarget

if TYPE_CHECKING:
    from dialer.engine.inbound import InboundState


class RoutedVerdict(StrEnum):
    """A machine verdict the engine sent to a free agent (``machine_to_free_agent``) and
    what the agent or the ground truth has said of it since."""

    UNCONFIRMED = "unconfirmed"
    """Not yet confirmed either way: counted neither as a live answer nor as an abandon."""
    MACHINE = "machine"
    """A machine after all (reported to the policy as a machine routed to an agent)."""
    PERSON = "person"
    """A person AMD got wrong: a live answer, abandoned only if never connected."""


class CallState(StrEnum):
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    """Media is up; waiting for answering-machine detection to classify the answer."""
    WAITING_AGENT = "waiting_agent"
    """A person (or an unclassified answer) waits for an agent; the connect window runs."""
    IVR = "ivr"
    """An inbound caller is in the queue's menus (key presses choose the way on)."""
    QUEUED = "queued"
    """An inbound caller waits in a queue (no connect window; patience applies)."""
    VOICEMAIL = "voicemail"
    """An inbound caller hears the voicemail greeting, then is recorded."""
    FAREWELL = "farewell"
    """An inbound caller hears a last message (closed, opted out); the switch hangs up."""
    BRIDGING = "bridging"
    """An agent is reserved; the bridge is sent once both legs are parked, and confirmed by
    CHANNEL_BRIDGE. Its deadline is the connect window's: unconfirmed by then, the call gets
    the safe-harbour message (``abandoned``)."""
    BRIDGED = "bridged"
    ABANDONED = "abandoned"
    """No agent in time: the safe-harbour message plays, then the call is hung up."""
    MACHINE = "machine"
    """Answered by a machine: hung up or a voicemail message plays."""
    PARKED = "parked"
    """Bridged before; now waits parked while its agent consults someone (attended
    transfer): it goes back to that agent or on to the consulted party."""
    TRANSFERRED = "transferred"
    """Handed on to an outside number: no agent of ours has it any more."""
    ENDED = "ended"


S = CallState
_ENDED = CallState.ENDED
CALL_TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    S.DIALING: frozenset({S.RINGING, S.ANSWERED, S.ENDED}),
    S.RINGING: frozenset({S.ANSWERED, S.ENDED}),
    S.ANSWERED: frozenset({S.WAITING_AGENT, S.BRIDGING, S.MACHINE, S.ENDED}),
    S.WAITING_AGENT: frozenset({S.BRIDGING, S.ABANDONED, S.ENDED}),
    S.IVR: frozenset({S.QUEUED, S.VOICEMAIL, S.FAREWELL, S.ENDED}),
    S.QUEUED: frozenset({S.BRIDGING, S.VOICEMAIL, S.FAREWELL, S.ENDED}),
    S.VOICEMAIL: frozenset({S.ENDED}),
    S.FAREWELL: frozenset({S.ENDED}),
    S.BRIDGING: frozenset({S.BRIDGED, S.WAITING_AGENT, S.QUEUED, S.ABANDONED, S.ENDED}),
    S.BRIDGED: frozenset({S.ENDED, S.QUEUED, S.PARKED, S.TRANSFERRED}),
    S.PARKED: frozenset({S.BRIDGING, S.TRANSFERRED, S.QUEUED, S.ENDED}),
    S.TRANSFERRED: frozenset({S.ENDED}),
    S.ABANDONED: frozenset({S.ENDED}),
    S.MACHINE: frozenset({S.ENDED}),
    S.ENDED: frozenset(),
}
"""Allowed next states for each state. Anything else is a bug in the event source."""

LIVE_STATES = frozenset({S.DIALING, S.RINGING})
"""States in which a call occupies a line before answer (pacing's ``ringing_elapsed``)."""


class Failover:
    """An attempt retried on another gateway: where it started, what it tried, and whether
    any leg before reached the network (``reached``: false while every refusal came from
    the switch before any channel, ``dialer.hangup.SWITCH_REFUSALS``)."""

    __slots__ = ("first_dialed_at", "previous_call_id", "reached", "tried")

    def __init__(self, first_dialed_at: float, previous_call_id: str,
                 tried: tuple[str, ...], reached: bool) -> None:
        self.first_dialed_at = first_dialed_at
        self.previous_call_id = previous_call_id
        self.tried = tried
        self.reached = reached


class Call:
    """One customer leg and everything the attempt record needs about it."""

    __slots__ = (
        "abandoned",
        "agent_first",
        "agent_id",
        "answered_at",
        "bridged_at",
        "call_id",
        "callback_id",
        "caller_id",
        "caller_number",
        "classified_at",
        "counted_live",
        "customer_key",
        "deadline",
        "dialed_at",
        "direction",
        "failover",
        "gateway",
        "held_since",
        "hold_seconds",
        "inbound",
        "kind",
        "ledger_entry",
        "lost_bridge",
        "message",
        "message_left",
        "message_started_at",
        "opted_out",
        "queue",
        "recording_path",
        "ringing_at",
        "routed",
        "state",
        "switch_id",
        "target",
        "transferred_to",
        "unplaced",
        "wait_aside",
    )

    def __init__(
        self,
        call_id: str,
        direction: Direction,
        state: CallState,
        at: float,
        target: DialTarget | None = None,
        switch_id: str = "default",
    ) -> None:
        self.call_id = call_id
        self.direction = direction
        self.state = state
        self.dialed_at = at
        self.target = target
        self.switch_id = switch_id
        self.answered_at: float | None = None
        self.ringing_at: float | None = None
        """When the switch first reported the far end ringing (``CallRinging``: SIP 180 or
        183, CHANNEL_PROGRESS(_MEDIA)); None until then. The law's minimum ring time runs
        from it when a ringing call is shed (dialing.py, ``_hang_up_ringing``)."""
        self.classified_at: float | None = None
        """When the answer went to the agents' queue or was hung up as a machine: the
        answer itself, or AMD's verdict (pacing's ring time runs to it)."""
        self.bridged_at: float | None = None
        self.deadline: float | None = None
        self.kind: AnswerKind | None = None
        self.agent_id: str | None = None
        self.recording_path: str | None = None
        self.abandoned = False
        self.opted_out = False
        self.message_left = False
        self.counted_live = False
        self.ledger_entry: list[float] | None = None
        self.callback_id: str | None = None
        self.queue: str | None = None
        self.customer_key: str | None = None
        self.caller_number = ""
        self.caller_id = ""
        """The caller ID this call shows (outbound and callbacks)."""
        self.gateway: str | None = None
        """The gateway it went out through (None: the driver's default route)."""
        self.failover: Failover | None = None
        """Set on a leg that retries an attempt a gateway refused (failover)."""
        self.unplaced = False
        """The switch refused this gateway leg before any channel (``OriginateFailed`` with
        a cause of ``dialer.hangup.SWITCH_REFUSALS``: the gateway down or unknown): it
        reached nobody. An attempt none of whose legs reached the network is no attempt
        for pacing (call_flow.py, ``end``)."""
        self.inbound: InboundState | None = None
        """Inbound calls: their menu, queue and timer state (dialer/engine/inbound.py)."""
        self.message: str | None = None
        """The safe-harbour message: None, ``sent``, ``played`` (started: heard),
        ``completed`` (played to its end), ``cut_off`` (the person hung up during it) or
        ``failed``."""
        self.message_started_at: float | None = None
        """When the switch reported the message playing (PLAYBACK_START)."""
        self.agent_first = False
        """An agent was reserved before the dial (callback, preview): bridge on answer."""
        self.held_since: float | None = None
        self.hold_seconds = 0.0
        self.transferred_to: str | None = None
        """Where a transfer sent the call (``queue:NAME``, ``agent:ID``, ``number:+1...``)."""
        self.lost_bridge: str | None = None
        """The agent whose leg went down while a bridge to it was under way: a late
        confirmation of that bridge is expected and ignored (ESL events arrive out of order)."""
        self.routed: RoutedVerdict | None = None
        """Set when a machine verdict went to a free agent (``machine_to_free_agent``): such
        a call never waits in a queue, and is counted live only when a person is confirmed."""
        self.wait_aside: Callable[[], None] | None = None
        """Puts back the connect-window wait the engine set aside while the call is bridged
        (switch_waits.py, ``drop_finished_waits``); ``transition`` calls it when the call
        leaves ``bridged`` for a state other than ``ended``."""

    @property
    def number_e164(self) -> str:
        return self.target.number_e164 if self.target is not None else self.caller_number

    def __repr__(self) -> str:
        return f"Call({self.call_id!r}, {self.direction.value}, {self.state.value})"


def transition(call: Call, new_state: CallState, why: object = "") -> None:
    """Move ``call`` to ``new_state`` or raise ``IllegalTransitionError``.

    ``why`` only goes into the error message; a hang-up cause is named there (callers pass
    the enum itself: reading ``.name`` on every hang-up would cost more than the check).
    """
    if new_state not in CALL_TRANSITIONS[call.state]:
        if isinstance(why, HangupCause):
            why = why.name
        raise IllegalTransitionError(
            f"call {call.call_id}: {call.state.value} -> {new_state.value} is not allowed"
            + (f" (on {why})" if why else "")
        )
    aside = call.wait_aside
    if aside is not None:
        # Leaving ``bridged``: a transfer or a consultation may bring the call back to
        # ``bridging`` while its connect window still runs, so its wait goes back.
        call.wait_aside = None
        if new_state is not _ENDED:
            aside()
    call.state = new_state


def call_in_progress(calls: dict[str, Call], call_id: str) -> Call | None:
    """The call ``call_id`` of ``calls`` unless it is unknown or has ended (events about
    such calls are ignored: FreeSWITCH reports some things twice)."""
    call = calls.get(call_id)
    return call if call is not None and call.state is not _ENDED else None


def unanswered_cause_is_busy(cause: HangupCause) -> bool:
    return cause in (HangupCause.USER_BUSY, HangupCause.BUSY_EVERYWHERE)
