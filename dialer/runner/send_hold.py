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

The hold is each switch's (``SwitchHolds``, 2026-12-07): with several switches one that
refuses (its gateway down) gets no dial, the engine told (``SwitchRefusing``: placement
leaves it out, its agents' share is not dialed elsewhere), while the others dial; its own
probe resumes it; only with every switch held is the campaign's dialing held.

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
from dialer.hangup import SWITCH_REFUSALS, HangupCause

log = logging.getLogger("dialer.runner")
H = HangupCause

LIMIT = 5
"""Refusals in a row that hold dialing (``--switch-refusal-limit``): one gateway blip is
not an outage; five leads in a row refused by the switch is not bad luck."""
PROBE_FIRST = 15.0
"""Seconds from the hold to its first probe (one originate let through)."""
PROBE_LONGEST = 300.0
"""The probes' bound: a switch refusing for long is tried every five minutes."""
PROBE_VERDICT_WAIT = 120.0
"""Seconds a probe may go without a word on it (a ring timeout and then some) before it is
given up and tried again later: a probe whose verdict never comes must not hold its switch
for ever."""
GATEWAY_REFUSALS = frozenset({H.GATEWAY_DOWN, H.INVALID_GATEWAY})
"""Refusals that name one gateway, not the switch: with another gateway of the switch
taking calls (or with calls out on one), the router's quarantine and failover
(dialer/engine/gateways.py) are the remedy, not holding the switch."""
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
        self.probe_at = 0.0
        """When the probe was let through."""
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
            self.probe_at = now
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
        """Time passes: a hold whose probe is due lets one originate through; a probe with
        no word for ``PROBE_VERDICT_WAIT`` is given up (held again, the backoff not
        doubled: the switch did not refuse it)."""
        if self.state is SendState.HELD and self.next_probe is not None \
                and now >= self.next_probe:
            self._move(SendState.PROBING)
            self.probe_call = None
            return True
        if self.state is SendState.PROBING and self.probe_call is not None \
                and now - self.probe_at >= PROBE_VERDICT_WAIT:
            self.sent.pop(self.probe_call, None)
            self._hold(now)
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

    def lost(self, now: float) -> bool:
        """The switch's link was lost: the verdicts of its calls sent will never come. A
        probe out is given up, and the hold tried again after its backoff (not doubled: the
        switch did not refuse it). Returns whether the state moved."""
        self.sent.clear()
        if self.state is SendState.PROBING and self.probe_call is not None:
            self._hold(now)
            return True
        return False

    def reason(self, hhmm: Callable[[float], str], who: str = "the switch",
               meanwhile: str = "no new dial, calls in progress go on",
               resumes: str = "dialing resumes") -> str:
        """The one line the status, the pause and the alert say while held (``who``: the
        switch named; ``meanwhile``: what dialing does; ``resumes``: what its taking the
        probe does)."""
        last = self.in_a_row[-1].words if self.in_a_row else "refused"
        probe = ("" if self.next_probe is None else
                 f"; one call is tried at {hhmm(self.next_probe)} and {resumes} when "
                 f"{'the switch' if who == 'the switch' else 'it'} takes it")
        return (f"{who} refuses every call since {hhmm(self.since or 0.0)} "
                f"({self.limit} in a row, the last: {last}): {meanwhile}{probe}")


class SwitchHolds:
    """One ``SendHold`` per switch of the campaign (pure: no clock, no I/O).

    A switch whose gateway is down refuses its calls while another takes them: the hold is
    the switch's, so the refusing switch gets no dial (the engine is told: its share of
    each decision is not placed, ``SwitchRefusing``) and its own probe resumes it; only
    when every switch is held is the campaign's dialing held. Before (2026-12-07), the
    campaign's one hold counted refusals of every switch in a row, so a refusing switch's
    run was reset by the other's calls and it went on getting about half the dials."""

    def __init__(self, switch_ids: tuple[str, ...], limit: int = LIMIT,
                 probe_first: float = PROBE_FIRST,
                 probe_longest: float = PROBE_LONGEST) -> None:
        if not switch_ids:
            raise ValueError("a campaign has at least one switch")
        self.limit = limit
        self.probe_first = probe_first
        self.probe_longest = probe_longest
        self.holds: dict[str, SendHold] = {
            switch_id: SendHold(limit, probe_first, probe_longest) for switch_id in switch_ids}
        self.call_switch: OrderedDict[str, str] = OrderedDict()
        """Calls sent and waiting for their verdict → their switch."""
        self.call_gateway: dict[str, str] = {}
        """Calls sent through a named gateway (a carrier route) and waiting for their
        verdict → that gateway."""
        self.gateway_took: dict[tuple[str, str], bool] = {}
        """(switch, gateway) → whether the gateway's last verdict was a call it took."""

    def hold(self, switch_id: str) -> SendHold:
        """The switch's hold (one is made for a switch not configured: fail closed, the
        same rules)."""
        hold = self.holds.get(switch_id)
        if hold is None:
            hold = self.holds[switch_id] = SendHold(self.limit, self.probe_first,
                                                    self.probe_longest)
        return hold

    def tune(self, probe_first: float, probe_longest: float) -> None:
        """Probe times for every switch (tests shorten them)."""
        self.probe_first, self.probe_longest = probe_first, probe_longest
        for hold in self.holds.values():
            hold.probe_first, hold.probe_longest = probe_first, probe_longest

    # --- inputs -------------------------------------------------------------------------

    def may_send(self, now: float, call_id: str, switch_id: str) -> bool:
        return self.hold(switch_id).may_send(now, call_id)

    def sent_one(self, now: float, call_id: str, switch_id: str,
                 gateway: str | None = None) -> None:
        self.hold(switch_id).sent_one(now, call_id)
        self.call_switch[call_id] = switch_id
        if gateway is not None:
            self.call_gateway[call_id] = gateway
        while len(self.call_switch) > TRACKED:
            forgotten, _ = self.call_switch.popitem(last=False)
            self.call_gateway.pop(forgotten, None)

    def heard(self, now: float, call_id: str, event: Event) -> str | None:
        """An event of a call: the verdict of a call sent, for its switch's hold. Returns
        the switch whose state moved (None: none did)."""
        switch_id = self.call_switch.get(call_id)
        if switch_id is None:
            return None
        hold = self.hold(switch_id)
        if call_id not in hold.sent:
            del self.call_switch[call_id]
            self.call_gateway.pop(call_id, None)
            return None
        said = verdict(event)
        if said is None:
            return None
        del self.call_switch[call_id]
        gateway = self.call_gateway.pop(call_id, None)
        if gateway is not None:
            self.gateway_took[(switch_id, gateway)] = said[0]
            if (not said[0] and hold.state is SendState.SENDING
                    and isinstance(event, OriginateFailed)
                    and event.cause in GATEWAY_REFUSALS
                    and self._another_gateway_serves(switch_id, gateway)):
                # The gateway's refusal, not the switch's: before (2026-12-08) a gateway
                # down beside a healthy one held the whole switch when five of its
                # instant refusals came before the healthy gateway's first verdict.
                del hold.sent[call_id]
                return None
        return switch_id if hold.heard(now, call_id, event) else None

    def _another_gateway_serves(self, switch_id: str, gateway: str) -> bool:
        """Whether another gateway of the switch took its last call, or has calls out
        whose verdict is still to come (they may yet be taken)."""
        for (switch, other), took in self.gateway_took.items():
            if switch == switch_id and other != gateway and took:
                return True
        call_switch = self.call_switch
        return any(other != gateway and call_switch.get(call_id) == switch_id
                   for call_id, other in self.call_gateway.items())

    def refused(self, now: float, words: str, call_id: str | None, switch_id: str) -> bool:
        if call_id is not None:
            self.call_switch.pop(call_id, None)
            self.call_gateway.pop(call_id, None)
        return self.hold(switch_id).refused(now, words, call_id)

    def lost(self, now: float, switch_id: str) -> bool:
        """The switch's link was lost (``SendHold.lost``)."""
        for call_id in self.hold(switch_id).sent:
            self.call_switch.pop(call_id, None)
            self.call_gateway.pop(call_id, None)
        return self.hold(switch_id).lost(now)

    def tick(self, now: float) -> list[str]:
        """Time passes: the switches whose probe came due (now probing)."""
        return [switch_id for switch_id, hold in self.holds.items() if hold.tick(now)]

    # --- output -------------------------------------------------------------------------

    def refusing(self, switch_id: str) -> bool:
        """No dial may be placed on the switch now (held, or its probe is out)."""
        hold = self.holds.get(switch_id)
        return hold is not None and hold.held

    def all_held(self) -> bool:
        """Every switch refuses: the campaign's dialing is held."""
        return all(hold.held for hold in self.holds.values())

    def seconds(self, now: float) -> dict[str, float]:
        """Switch → how long it has refused (0 while it takes calls)."""
        return {switch_id: hold.seconds(now) for switch_id, hold in self.holds.items()}

    def reason(self, switch_id: str, hhmm: Callable[[float], str]) -> str | None:
        """Why the switch gets no dial, while its hold lasts (None: it takes calls)."""
        hold = self.holds.get(switch_id)
        if hold is None or hold.state is SendState.SENDING:
            return None
        if len(self.holds) == 1:
            return hold.reason(hhmm)
        others = [s for s, h in self.holds.items() if s != switch_id]
        takers = [s for s, h in self.holds.items() if h.state is not SendState.HELD
                  and s != switch_id]
        meanwhile = (f"no dial goes there, the calls its agents would get are not placed "
                     f"elsewhere, calls in progress go on; {', '.join(takers)} dial"
                     if takers else "no dial goes there, calls in progress go on; "
                     f"{', '.join(others)} refuse too")
        return hold.reason(hhmm, f"switch {switch_id}", meanwhile, "its dials resume")

    def campaign_reason(self, hhmm: Callable[[float], str]) -> str | None:
        """While no switch takes calls (each held or probing): the one line of the
        campaign's alert, and of its pause while every switch is held (``all_held``)."""
        if any(hold.state is SendState.SENDING for hold in self.holds.values()):
            return None
        if len(self.holds) == 1:
            (hold,) = self.holds.values()
            return hold.reason(hhmm)
        return "every switch refuses every call: no new dial, calls in progress go on (" + \
            "; ".join(self.reason(s, hhmm) or s for s in self.holds) + ")"


class SendGuard:
    """The runner's side of ``SwitchHolds``: the clock, the log, the engine told which
    switch refuses (``on_switch(switch, refusing)``: ``SwitchRefusing``), and the state
    follower told when every switch is held or one may go again (``on_change(reason or
    None)``)."""

    def __init__(self, holds: SwitchHolds, clock: Callable[[], float],
                 hhmm: Callable[[float], str],
                 on_change: Callable[[str | None], None],
                 on_switch: Callable[[str, bool], None] | None = None) -> None:
        self.holds = holds
        self.clock = clock
        self.hhmm = hhmm
        self.on_change = on_change
        self.on_switch = on_switch
        self.words: str | None = None
        """The campaign's hold reason while every switch is held (None: some may dial)."""
        self.told: dict[str, bool] = {}
        """Switch → whether the engine was last told it refuses."""
        self.refused_calls: OrderedDict[str, None] = OrderedDict()
        """Calls the switch refused before any channel: no call reached the network, so
        their attempt is closed as never sent (the lead not charged, never a bad number;
        ``CommandExecution``), unless the attempt goes on as a failover leg."""

    @property
    def hold(self) -> SendHold:
        """The first switch's hold (a one-switch campaign's only one)."""
        return next(iter(self.holds.holds.values()))

    def waiting(self) -> bool:
        """Whether any call sent waits for its verdict (the runner asks before ``heard``)."""
        return bool(self.holds.call_switch)

    def may_send(self, call_id: str, switch_id: str) -> bool:
        hold = self.holds.hold(switch_id)
        probing = hold.state is SendState.PROBING and hold.probe_call is None
        allowed = hold.may_send(self.clock(), call_id)
        if probing and allowed:
            self._told(switch_id)  # held again while the probe is out
        return allowed

    def sent(self, call_id: str, switch_id: str, gateway: str | None = None) -> None:
        self.holds.sent_one(self.clock(), call_id, switch_id, gateway)

    def refused(self, words: str, call_id: str | None, switch_id: str) -> None:
        if self.holds.refused(self.clock(), words, call_id, switch_id):
            self._moved(switch_id)

    def heard(self, call_id: str, event: Event) -> None:
        switch_id = self.holds.call_switch.get(call_id)
        if switch_id is None:
            return
        said = verdict(event)
        if said is not None and not said[0] and call_id in self.holds.hold(switch_id).sent:
            self.refused_calls[call_id] = None
            while len(self.refused_calls) > TRACKED:
                self.refused_calls.popitem(last=False)
        moved = self.holds.heard(self.clock(), call_id, event)
        if moved is not None:
            self._moved(moved)

    def lost(self, switch_id: str) -> None:
        """The switch's link was lost: a probe out there is given up."""
        if self.holds.lost(self.clock(), switch_id):
            self._moved(switch_id)

    def refused_before_placing(self, call_id: str) -> bool:
        """Whether the switch refused this call before any channel (asked once, at its
        end)."""
        if call_id in self.refused_calls:
            del self.refused_calls[call_id]
            return True
        return False

    def tick(self) -> None:
        for switch_id in self.holds.tick(self.clock()):
            self._moved(switch_id)

    def _told(self, switch_id: str) -> None:
        """Tell the engine whether the switch refuses, and the follower whether every one
        does, when either changed."""
        refusing = self.holds.refusing(switch_id)
        if self.told.get(switch_id, False) != refusing:
            self.told[switch_id] = refusing
            if self.on_switch is not None:
                self.on_switch(switch_id, refusing)
        words = self.holds.campaign_reason(self.hhmm) if self.holds.all_held() else None
        if words != self.words:
            self.words = words
            self.on_change(words)

    def _moved(self, switch_id: str) -> None:
        hold = self.holds.hold(switch_id)
        name = "the switch" if len(self.holds.holds) == 1 else f"switch {switch_id}"
        if hold.state is SendState.HELD:
            if hold.probes == 0:
                log.error("%s", self.holds.reason(switch_id, self.hhmm))
            else:
                log.warning("the probe call of %s was refused too (%s): its dials stay held; "
                            "the next try at %s", name, hold.in_a_row[-1].words,
                            self.hhmm(hold.next_probe or 0.0))
        elif hold.state is SendState.PROBING:
            log.info("%s has refused calls for %.0f s: one call is let through to see "
                     "whether it takes calls again", name, hold.seconds(self.clock()))
        else:
            log.warning("%s takes calls again: its dials resume", name)
        self._told(switch_id)

    def reason(self) -> str | None:
        """Why no switch takes calls, while none does (the campaign's alert, standing for
        its pause and for each switch's own)."""
        return self.holds.campaign_reason(self.hhmm)

    def refusing(self) -> dict[str, str]:
        """Switch → why it gets no dial, for each switch whose hold lasts (status, the
        switch's alert)."""
        reasons = {s: self.holds.reason(s, self.hhmm) for s in self.holds.holds}
        return {s: r for s, r in reasons.items() if r is not None}
