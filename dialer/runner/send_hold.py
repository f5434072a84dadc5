"""Dialing held while the switch refuses every originate (a gateway down, no route, a sofia
profile not running, the event socket refusing the command).

Before (2026-12-07), each such refusal ended one attempt and the runner took the next lead,
and the next: with a gateway down every lead of the hopper churned through a refusal and its
retry rule, and nobody was told. Now ``SendHold`` (pure: refusals and acceptances in, what
dialing may do out, time passed in) holds dialing after ``limit`` refusals in a row, as the
store outage does (calls in progress go on), and probes: ``probe_first`` seconds later one
originate is let through (the others the engine decides meanwhile are not sent, and not
charged); the switch taking it ends the hold, a refusal holds again for twice as long (up to
``probe_longest``). ``SendGuard`` is the runner's side: it tells the state follower, so the
pause, ``dialer status``, the alert (``campaign/NAME/switch_sends``) and the metrics say it
(docs/operations.md, "When the switch refuses every call").

What is the switch's and what is the number's is read from what a real FreeSWITCH sends
(the captures in /work/shared/esl-captures/real-fs, README "Surprises" 13): a call the
switch placed gets a channel (CHANNEL_CREATE, then its hangup with the callee's cause:
USER_BUSY, NO_ANSWER, UNALLOCATED_NUMBER, CALL_REJECTED, NORMAL_CIRCUIT_CONGESTION), even
when the BACKGROUND_JOB says ``-ERR CAUSE``. A refusal before any channel
(``OriginateFailed``: the job's ``-ERR`` with no channel seen, dialer/freeswitch/stories.py)
whose cause is one of ``SWITCH_REFUSALS`` is the switch's own: mod_sofia refuses a gateway
that is down (GATEWAY_DOWN) or unknown (INVALID_GATEWAY), a profile it does not run
(INVALID_PROFILE), the core an endpoint it has no module for (CHAN_NOT_IMPLEMENTED), a dial
string it cannot parse (INVALID_URL), a destination it has no route for before any leg
(NO_ROUTE_DESTINATION: from a far end it comes after a channel, and is the number's). An
originate the event socket refuses (``-ERR`` on the bgapi reply) or cannot write, and one
no API line can carry for a setting's fault, are the switch side's too.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dialer.events import (
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    CallParked,
    CallRinging,
    Event,
    OriginateFailed,
)
from dialer.hangup import HangupCause

log = logging.getLogger("dialer.runner")
H = HangupCause

SWITCH_REFUSALS: frozenset[HangupCause] = frozenset({
    H.GATEWAY_DOWN, H.INVALID_GATEWAY, H.INVALID_PROFILE, H.INVALID_URL,
    H.CHAN_NOT_IMPLEMENTED, H.NO_ROUTE_DESTINATION,
})
"""Causes of an originate refused before any channel that are the switch's, not the
number's (the module docstring says why each)."""

LIMIT = 5
"""Refusals in a row that hold dialing (``--switch-refusal-limit``): one gateway blip is
not an outage; five leads in a row refused by the switch is not bad luck."""
PROBE_FIRST = 15.0
"""Seconds from the hold to its first probe (one originate let through)."""
PROBE_LONGEST = 300.0
"""The probes' bound: a switch refusing for long is tried every five minutes."""
TRACKED = 10_000
"""Originates followed for their verdict at most (the oldest forgotten first)."""


class SendState(StrEnum):
    SENDING = "sending"
    HELD = "held"
    """No originate is sent; the probe is due at ``next_probe``."""
    PROBING = "probing"
    """One originate may go (``may_send``), and its verdict decides."""


_TRANSITIONS: dict[SendState, frozenset[SendState]] = {
    SendState.SENDING: frozenset({SendState.HELD}),
    SendState.HELD: frozenset({SendState.PROBING}),
    SendState.PROBING: frozenset({SendState.HELD, SendState.SENDING}),
}


class IllegalSendTransition(RuntimeError):
    """A move the table does not allow (a bug, never a switch's doing)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    at: float
    words: str
    """What the switch said (``-ERR GATEWAY_DOWN``) and where (its switch, the gateway)."""


def verdict(event: Event) -> tuple[bool, str] | None:
    """What an event says of its call's originate, as the first one heard of it: (True,
    "") the switch took it (a channel, or the number's own cause), (False, words) the
    switch refused it, None: says nothing of it."""
    if isinstance(event, OriginateFailed):
        if event.cause in SWITCH_REFUSALS:
            return False, f"-ERR {event.cause.name} before any channel"
        return True, ""
    if isinstance(event, CallRinging | CallAnswered | CallParked | CallHungUp
                  | CallClassified | CallBridged):
        return True, ""
    return None


class SendHold:
    """Whether originates may be sent (pure: no clock, no I/O)."""

    def __init__(self, limit: int = LIMIT, probe_first: float = PROBE_FIRST,
                 probe_longest: float = PROBE_LONGEST) -> None:
        if limit < 1:
            raise ValueError("the switch refusal limit must be at least 1")
        self.limit = limit
        self.probe_first = probe_first
        self.probe_longest = probe_longest
        self.state = SendState.SENDING
        self.in_a_row: list[Refusal] = []
        """The refusals since the last originate the switch took (the first and last say
        when it began and what it says now)."""
        self.since: float | None = None
        """When the hold began (its first refusal in the row)."""
        self.probes = 0
        """Probes refused in this hold (the backoff doubles with each)."""
        self.next_probe: float | None = None
        self.probe_call: str | None = None
        """The originate let through as the probe, until its verdict."""
        self.sent: OrderedDict[str, float] = OrderedDict()
        """Originates sent, waiting for their first verdict (call → when sent)."""

    def _move(self, state: SendState) -> None:
        if state not in _TRANSITIONS[self.state]:
            raise IllegalSendTransition(f"{self.state} -> {state}")
        self.state = state

    # --- inputs -------------------------------------------------------------------------

    def may_send(self, now: float, call_id: str) -> bool:
        """Whether the originate of ``call_id`` may be written now; the probe's is taken."""
        if self.state is SendState.SENDING:
            return True
        if self.state is SendState.PROBING and self.probe_call is None:
            self.probe_call = call_id
            return True
        return False

    def sent_one(self, now: float, call_id: str) -> None:
        """The originate was written: its first event is its verdict."""
        self.sent[call_id] = now
        while len(self.sent) > TRACKED:
            self.sent.popitem(last=False)

    def heard(self, now: float, call_id: str, event: Event) -> bool:
        """An event of a call: its first one that says anything is the verdict of a call
        sent (others, and later events, change nothing). Returns whether the state moved."""
        if call_id not in self.sent:
            return False
        said = verdict(event)
        if said is None:
            return False
        del self.sent[call_id]
        took, words = said
        return self.accepted(now, call_id) if took else self.refused(now, words, call_id)

    def refused(self, now: float, words: str, call_id: str | None = None) -> bool:
        """The switch refused an originate (or it could not be written to it)."""
        if call_id is not None:
            self.sent.pop(call_id, None)
        if self.state is SendState.SENDING:
            self.in_a_row.append(Refusal(now, words))
            del self.in_a_row[:-self.limit]
            if len(self.in_a_row) < self.limit:
                return False
            self.since = self.in_a_row[0].at
            self.probes = 0
            self._hold(now)
            return True
        if self.state is SendState.PROBING and call_id is not None \
                and call_id == self.probe_call:
            self.in_a_row.append(Refusal(now, words))
            del self.in_a_row[:-self.limit]
            self.probes += 1
            self._hold(now)
            return True
        return False  # an originate sent before the hold: it says nothing new

    def accepted(self, now: float, call_id: str) -> bool:
        """The switch took an originate (a channel, or the callee's own cause)."""
        if self.state is SendState.SENDING:
            self.in_a_row.clear()
            return False
        if self.state is SendState.PROBING and call_id == self.probe_call:
            self._move(SendState.SENDING)
            self.in_a_row.clear()
            self.probe_call = self.next_probe = None
            return True
        return False  # sent before the hold: the probe decides

    def tick(self, now: float) -> bool:
        """Time passes: a hold whose probe is due lets one originate through."""
        if self.state is SendState.HELD and self.next_probe is not None \
                and now >= self.next_probe:
            self._move(SendState.PROBING)
            self.probe_call = None
            return True
        return False

    def _hold(self, now: float) -> None:
        self._move(SendState.HELD)
        self.probe_call = None
        self.next_probe = now + self.backoff()

    def backoff(self) -> float:
        """Seconds from a hold (or a refused probe) to the next probe."""
        return min(self.probe_first * 2.0 ** min(self.probes, 16), self.probe_longest)

    # --- output -------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """No new dial: the engine's dialing is paused. While probing it is not until the
        probe is taken (``may_send``), then again until its verdict: a probe a carrier
        takes seconds to answer must not let the engine decide dial after dial that is
        not sent."""
        return self.state is SendState.HELD or (
            self.state is SendState.PROBING and self.probe_call is not None)

    def seconds(self, now: float) -> float:
        """How long the switch has refused (0 while it takes originates)."""
        if self.state is SendState.SENDING or self.since is None:
            return 0.0
        return max(0.0, now - self.since)

    def reason(self, hhmm: Callable[[float], str]) -> str:
        """The one line the status, the pause and the alert say while held."""
        last = self.in_a_row[-1].words if self.in_a_row else "refused"
        probe = ("" if self.next_probe is None else
                 f"; one call is tried at {hhmm(self.next_probe)} and dialing resumes when "
                 "the switch takes it")
        return (f"the switch refuses every call since {hhmm(self.since or 0.0)} "
                f"({self.limit} in a row, the last: {last}): no new dial, calls in progress "
                f"go on{probe}")


class SendGuard:
    """The runner's side of ``SendHold``: the clock, the log, and the state follower told
    when dialing is held or may go again (``on_change(reason or None)``)."""

    def __init__(self, hold: SendHold, clock: Callable[[], float],
                 hhmm: Callable[[float], str],
                 on_change: Callable[[str | None], None]) -> None:
        self.hold = hold
        self.clock = clock
        self.hhmm = hhmm
        self.on_change = on_change
        self.words: str | None = None
        """The hold's reason while dialing is held (None: not held, or probing)."""
        self.refused_calls: OrderedDict[str, None] = OrderedDict()
        """Calls the switch refused before any channel: no call reached the network, so
        their attempt is closed as never sent (the lead not charged, never a bad number;
        ``CommandExecution``), unless the attempt goes on as a failover leg."""

    def may_send(self, call_id: str) -> bool:
        hold = self.hold
        probing = hold.state is SendState.PROBING and hold.probe_call is None
        allowed = hold.may_send(self.clock(), call_id)
        if probing and allowed:
            self.on_change(hold.reason(self.hhmm))  # held again while the probe is out
        return allowed

    def sent(self, call_id: str) -> None:
        self.hold.sent_one(self.clock(), call_id)

    def refused(self, words: str, call_id: str | None = None) -> None:
        self._moved(self.hold.refused(self.clock(), words, call_id))

    def heard(self, call_id: str, event: Event) -> None:
        if call_id in self.hold.sent:
            said = verdict(event)
            if said is not None and not said[0]:
                self.refused_calls[call_id] = None
                while len(self.refused_calls) > TRACKED:
                    self.refused_calls.popitem(last=False)
            self._moved(self.hold.heard(self.clock(), call_id, event))

    def refused_before_placing(self, call_id: str) -> bool:
        """Whether the switch refused this call before any channel (asked once, at its
        end)."""
        if call_id in self.refused_calls:
            del self.refused_calls[call_id]
            return True
        return False

    def tick(self) -> None:
        self._moved(self.hold.tick(self.clock()))

    def _moved(self, moved: bool) -> None:
        if not moved:
            return
        hold = self.hold
        if hold.state is SendState.HELD:
            self.words = hold.reason(self.hhmm)
            if hold.probes == 0:
                log.error("%s", self.words)
            else:
                log.warning("the probe call was refused too (%s): dialing stays held; the "
                            "next try at %s", hold.in_a_row[-1].words,
                            self.hhmm(hold.next_probe or 0.0))
            self.on_change(self.words)
        elif hold.state is SendState.PROBING:
            log.info("the switch has refused calls for %.0f s: one call is let through to "
                     "see whether it takes calls again", hold.seconds(self.clock()))
            self.on_change(None)
        else:
            log.warning("the switch takes calls again: dialing resumes")
            self.words = None
            self.on_change(None)

    def reason(self) -> str | None:
        """Why the switch holds dialing, while it does or probes (status, alert)."""
        hold = self.hold
        return None if hold.state is SendState.SENDING else hold.reason(self.hhmm)
