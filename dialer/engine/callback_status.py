"""Where each queue callback stands, and the last gate verdict it stands on: the engine's answer
to a supervisor's "why has this caller not been called back?".

A read of the inbound router's state (the line, the callback calls, the retry timers, the
verdicts kept by ``CallbackVerdicts``); nothing here decides. The explanation is the campaign
gate's own verdict (its reasons, the instant it named, its audit id), never a second reading
of the calling-hours law: a state's stricter window or holiday, Regulation F, an attempt
limit or a registry show here exactly as the gate gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from dialer.engine.callback_verdicts import ActedVerdict, VerdictKind
from dialer.engine.calls import CallState

if TYPE_CHECKING:
    from dialer.engine.calls import Call
    from dialer.engine.inbound import InboundRouter


class CallbackState(Enum):
    IN_LINE = "in line"          # waits at its place for an agent of its queue
    DIALING = "dialing"          # an agent is reserved and the number is being called
    CONNECTED = "connected"      # the caller is with the agent
    HELD = "held"                # off the line until ``next_try_at``
    CANCELLED = "cancelled"      # ended by a final refusal of the gate
    FAILED = "failed"            # ended: refusals naming no time, tries used up
    OPTED_OUT = "opted_out"      # ended: the number is on the internal do-not-call list


class HeldBy(Enum):
    """Why a held callback is off the line (``CallbackState.HELD`` only)."""

    GATE = "gate"                # the gate refused; it is asked again at ``next_try_at``
    NOT_PLACED = "not_placed"    # allowed, but no switch/gateway/caller ID could take it
    UNANSWERED = "unanswered"    # its last call went unanswered; tried again later


_ENDED = {"cancelled": CallbackState.CANCELLED, "failed": CallbackState.FAILED,
          "opted_out": CallbackState.OPTED_OUT}


@dataclass(frozen=True, slots=True)
class CallbackStatus:
    """One queue callback as the engine sees it now."""

    callback_id: str
    queue: str
    number: str
    place_at: float
    attempts: int
    state: CallbackState
    verdict: ActedVerdict | None
    """The last gate verdict acted on (None: not asked yet by this engine)."""
    next_try_at: float | None = None
    """A held callback: when it returns to the line."""
    held_by: HeldBy | None = None
    queue_staffed: bool = True
    """A callback in line: someone serving its queue is logged in and not paused."""
    ended_at: float | None = None


def callback_statuses(router: InboundRouter, calls: dict[str, Call], limit: int,
                      ended_since: float | None = None) -> tuple[CallbackStatus, ...]:
    """The first ``limit`` callbacks not finished, first placed first, then the callbacks
    the gate ended at or after ``ended_since`` (most recent first; None: none). O(callbacks
    log callbacks + timers)."""
    rows: list[CallbackStatus] = []
    if router.callbacks:
        dialing = router.dialing_callbacks()
        retries = router.callback_retries()
        lines = router.pool.lines
        staffed: dict[str, bool] = {}
        for callback in sorted(router.callbacks.values(), key=lambda c: c.place_at)[:limit]:
            key = callback.callback_id
            verdict = router.verdicts.last(key)
            common = (key, callback.queue, callback.number, callback.place_at,
                      callback.attempts)
            call = calls.get(dialing[key]) if key in dialing else None
            if call is not None:
                state = CallbackState.CONNECTED if call.state is CallState.BRIDGED \
                    else CallbackState.DIALING
                rows.append(CallbackStatus(*common, state, verdict))
            elif lines.is_waiting(key):
                if callback.queue not in staffed:
                    staffed[callback.queue] = router.staffing(
                        router.queues.get(callback.queue))[0] > 0
                rows.append(CallbackStatus(*common, CallbackState.IN_LINE, verdict,
                                           queue_staffed=staffed[callback.queue]))
            else:
                rows.append(CallbackStatus(*common, CallbackState.HELD, verdict,
                                           retries.get(key), _held_by(verdict)))
    if ended_since is not None:
        for ended in reversed(router.verdicts.ended):
            if ended.ended_at < ended_since:
                break
            rows.append(CallbackStatus(
                ended.callback_id, ended.queue, ended.number, ended.place_at, ended.attempts,
                _ENDED.get(ended.result, CallbackState.CANCELLED), ended.verdict,
                ended_at=ended.ended_at))
    return tuple(rows)


def _held_by(verdict: ActedVerdict | None) -> HeldBy | None:
    """Each turn replaces the verdict, so a held callback's last one says what holds it: a
    refusal (the gate), an allowance not dialed on, else an allowance whose call went
    unanswered."""
    if verdict is None:
        return None
    if verdict.kind is not VerdictKind.ALLOWED:
        return HeldBy.GATE
    return HeldBy.NOT_PLACED if verdict.not_placed is not None else HeldBy.UNANSWERED

__all__ = ["CallbackState", "CallbackStatus", "HeldBy", "callback_statuses"]
