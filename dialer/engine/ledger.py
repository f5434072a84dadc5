"""The campaign's abandonment ledger: live answers and abandons in the measurement window.

The legal rate is abandoned calls ÷ calls answered by a person, over a rolling window
(US: 30 days per campaign, 47 CFR 64.1200(a)(7)(i); UK Ofcom: 24 hours per campaign).
Counts are kept incrementally so pacing reads them in O(1); old entries are pruned from
the left as time moves on. An answer later found to be a machine is uncounted.

The limit is per campaign, not per dialer process: when several processes dial one
campaign, the runner reads the other processes' counts in the window from the shared
database every few seconds and hands them over with ``set_shared_counts``. They are part of
``live_answers``, ``abandons`` and ``rate()`` (so pacing and the dashboard see the campaign's
rate), but they are not this process's entries: pruning and corrections touch only ours,
and the runner's next refresh replaces the shared part whole.

The slack r·L − A is the campaign's too, and the safety rails spend it (the limit guard's
excess lines, predictive's batch guard): with several processes each may spend only its
claim on it, granted by the runner under a lock on the campaign
(pacing_models/slack_share.py) and handed over with ``set_slack_claim``. The ledger then
raises the abandons ``binding_counts`` hands pacing just enough that r·L − A is no more than
the claim left (each of this process's abandons since the grant spends one); the counts
themselves, the rate and the dashboard are untouched. A driver that never sets a claim (one
process, the simulator) sees no change.

The rule measures "over a 30-day period for a single calling campaign" and, when the campaign
runs longer, "separately for each successive 30-day period or portion thereof". The rolling
window bounds every full period (the window ending at a period's end is that period) but not
the last period's portion on its own: days 31–40 of a 40-day campaign may exceed the limit
while days 11–40 do not. So the ledger also counts the current period: periods of the
window's length from the campaign's start (``period_origin``, the first attempt's time the
runner reads from the store; None: the period starts at the first instant the ledger is told
about, a prune or an answer). The current period always lies inside the window (it began
less than a window ago), so its counts are a suffix of the window's entries, recounted when
a new period begins. ``binding_counts`` hands pacing the counts of whichever of the two has
less slack r·L − A (the engine hands both as well, for a policy that plans against each).

Beside the counts of the measurements the ledger keeps running totals of this process's own
live answers and abandons since it started (``live_answers_seen``, ``abandons_seen``): never
reset when an answer leaves the window or a period begins, so their differences between two
decisions are the answers and abandons that really happened between them, whichever
measurement binds (pacing's model-bias loop reads them).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from dialer.errors import DialerError

# An entry is [answered_at, live (0/1), abandoned (0/1)], mutable so corrections are O(1).
Entry = list[float]


class LedgerCountsError(DialerError, ValueError):
    """Shared ledger counts that cannot describe a real window of calls."""


def _check_counts(name: str, live_answers: int, abandons: int) -> None:
    for field, value in (("live_answers", live_answers), ("abandons", abandons)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise LedgerCountsError(f"{name}: {field} must be an int count, got {value!r}")
        if value < 0:
            raise LedgerCountsError(f"{name}: {field} must be >= 0, got {value}")
    if abandons > live_answers:
        raise LedgerCountsError(
            f"{name}: abandons ({abandons}) cannot exceed live answers "
            f"({live_answers}): an abandon is a live answer nobody was connected to; "
            "count both over the same window and the same processes"
        )


class AbandonLedger:
    """Rolling counts of live answers and abandons (this process's plus the shared ones),
    and the same counts for the campaign's current period.

    ``live_answers`` and ``abandons`` are plain attributes holding the campaign totals, so
    the engine's hot path reads them without a call; the shared part is folded in by delta.
    """

    __slots__ = (
        "_entries", "_shared_period", "abandons", "abandons_seen", "claim_base",
        "claim_until", "live_answers", "live_answers_seen", "period_abandons",
        "period_end", "period_live_answers", "period_origin", "period_start",
        "shared_abandons", "shared_live_answers", "shared_period_abandons",
        "shared_period_live_answers", "slack_claim", "window",
    )

    def __init__(self, window: float, seed: Iterable[tuple[float, bool]] = (),
                 period_origin: float | None = None) -> None:
        self.window = window
        self._entries: deque[Entry] = deque()
        self.live_answers = 0
        self.abandons = 0
        self.shared_live_answers = 0
        """Live answers in the window recorded by other processes (last refresh)."""
        self.shared_abandons = 0
        """Abandons in the window recorded by other processes (last refresh)."""
        self.period_origin = period_origin
        """The campaign's start: periods of ``window`` seconds run from it (None until the
        first instant when the driver did not say)."""
        self.period_start = -math.inf
        """Start of the current period (-inf until the first prune)."""
        self.period_end = -math.inf
        """End of the current period: the first prune at or after it begins the next."""
        self.period_live_answers = 0
        """Live answers in the current period (this process's plus the shared ones)."""
        self.period_abandons = 0
        """Abandons in the current period (this process's plus the shared ones)."""
        self.shared_period_live_answers = 0
        """Other processes' live answers in the current period (last refresh for it)."""
        self.shared_period_abandons = 0
        """Other processes' abandons in the current period (last refresh for it)."""
        self._shared_period: tuple[float, int, int] = (-math.inf, 0, 0)
        """The last shared period counts: (the period's start, live answers, abandons)."""
        self.slack_claim: int | None = None
        """Abandons of the campaign's slack this process may spend, granted when several
        processes dial the campaign (``set_slack_claim``); None: the whole slack."""
        self.claim_base = 0
        """``abandons_seen`` when the claim was counted: each abandon since spends one."""
        self.claim_until = math.inf
        """The instant the claim lapses (to 0) unless granted again."""
        self.live_answers_seen = self.abandons_seen = 0
        for answered_at, abandoned in sorted(seed):
            self._append(answered_at)[2] = 0.0
            if abandoned:
                self.mark_abandoned(self._entries[-1])
        self.live_answers_seen = 0
        """Live answers this ledger has recorded since it was made (the seed's are not),
        less those uncounted: a running total, never pruned nor reset by a period."""
        self.abandons_seen = 0
        """Abandons this ledger has recorded since it was made, less those uncounted: a
        running total, never pruned nor reset by a period."""

    def period_at(self, now: float) -> float | None:
        """Start of the period ``now`` falls in (None: no origin known yet).

        Periods run from ``period_origin`` in steps of the window, backwards too, so an
        origin after ``now`` (a clock ahead elsewhere) still gives a period holding ``now``
        that began at most a window ago."""
        origin = self.period_origin
        if origin is None:
            return None
        return origin + self._period_index(origin, now) * self.window

    def _period_index(self, origin: float, now: float) -> int:
        """k such that origin + k·window ≤ now < origin + (k + 1)·window, computed as those
        very expressions (so one period always has one start, whatever the rounding)."""
        window = self.window
        k = math.floor((now - origin) / window)
        if origin + k * window > now:
            k -= 1
        elif origin + (k + 1) * window <= now:
            k += 1
        return k

    def binding_counts(self, target: float) -> tuple[int, int]:
        """(live answers, abandons) of the rolling window or of the current period,
        whichever has the smaller slack ``target`` × L − A: the one that binds.

        Both must stay within the limit (47 CFR 64.1200(a)(7)(i): each successive period
        "or portion thereof"). The period is the window's latest part, so it binds when the
        window's answers before the period have slack of their own (they spent less than
        their share): a new period, with none of its own, binds at once. With a slack
        claim (``set_slack_claim``) the abandons are raised to keep the slack within it."""
        live, abandons = self.live_answers, self.abandons
        period_live, period_abandons = self.period_live_answers, self.period_abandons
        if target * period_live - period_abandons < target * live - abandons:
            live, abandons = period_live, period_abandons
        if self.slack_claim is not None:
            return live, self._claimed_abandons(target, live, abandons)
        return live, abandons

    def _claimed_abandons(self, target: float, live: int, abandons: int) -> int:
        """``abandons`` raised so that target·L − A is no more than the claim left: the
        counts the pacing policy sees then carry this process's share of the slack, and
        both safety rails (the limit guard, predictive's batch guard) spend only that."""
        assert self.slack_claim is not None
        left = self.slack_claim - (self.abandons_seen - self.claim_base)
        over = target * live - abandons - left
        if over > 0.0:
            # Never past L: the slack is then r·L − L ≤ 0, which no rail spends.
            return min(abandons + math.ceil(over), max(live, abandons))
        return abandons

    def set_slack_claim(self, claim: int | None, abandons_base: int, until: float) -> None:
        """This process's share of the campaign's slack when several processes dial it
        (pacing_models/slack_share.py): ``claim`` abandons, each abandon this ledger counts
        after ``abandons_base`` (an ``abandons_seen`` value) spending one, until ``until``
        (then 0: the claim lapses unless granted again). None: the whole slack until
        ``until`` (no other process holds any). The runner grants it; no driver that
        never calls this sees any change."""
        if claim is not None and (isinstance(claim, bool) or not isinstance(claim, int)):
            raise LedgerCountsError(f"set_slack_claim: claim must be an int, got {claim!r}")
        self.slack_claim = claim
        self.claim_base = abandons_base
        self.claim_until = until

    def slack_claim_left(self) -> float:
        """The claim not yet spent by abandons (∞: the whole slack)."""
        if self.slack_claim is None:
            return math.inf
        return float(self.slack_claim - (self.abandons_seen - self.claim_base))

    def set_shared_period_counts(self, since: float, live_answers: int, abandons: int
                                 ) -> None:
        """Replace the other processes' counts in the period that began at ``since``
        (excluding this process's attempts, as ``set_shared_counts``).

        They count while that period is the current one: a refresh that raced the start of
        a new period is left out of the new one until the next refresh (seconds), when the
        new period's own counts are a handful of answers that pay for no abandon yet."""
        _check_counts("set_shared_period_counts", live_answers, abandons)
        self._shared_period = (since, live_answers, abandons)
        self._fold_shared_period()

    def _fold_shared_period(self) -> None:
        since, live, abandons = self._shared_period
        if since != self.period_start:
            live = abandons = 0
        self.period_live_answers += live - self.shared_period_live_answers
        self.period_abandons += abandons - self.shared_period_abandons
        self.shared_period_live_answers = live
        self.shared_period_abandons = abandons

    def set_shared_counts(self, live_answers: int, abandons: int) -> None:
        """Replace the other processes' counts in the current window (not cumulative).

        ``live_answers`` and ``abandons`` are what the other dialer processes of this
        campaign recorded in the window, excluding this process's own attempts (the runner
        counts those here already); each call replaces the previous shared counts.
        """
        _check_counts("set_shared_counts", live_answers, abandons)
        self.live_answers += live_answers - self.shared_live_answers
        self.abandons += abandons - self.shared_abandons
        self.shared_live_answers = live_answers
        self.shared_abandons = abandons

    @property
    def own_live_answers(self) -> int:
        """Live answers in the window recorded by this process."""
        return self.live_answers - self.shared_live_answers

    @property
    def own_abandons(self) -> int:
        """Abandons in the window recorded by this process."""
        return self.abandons - self.shared_abandons

    def record_live(self, at: float) -> Entry:
        """Count a live answer made at ``at``.

        Entries stay in time order (pruning and the in-window test rely on it): an answer
        recorded late, when its call ends (a hang-up while AMD listened, an AMD false
        positive), is dated no earlier than the newest entry, seconds off in a 30-day window.
        """
        if self.period_origin is None:
            self.period_origin = at
        self.live_answers_seen += 1
        return self._append(at)

    def _append(self, at: float) -> Entry:
        entries = self._entries
        if entries and at < entries[-1][0]:
            at = entries[-1][0]
        entry = [at, 1.0, 0.0]
        entries.append(entry)
        self.live_answers += 1
        if at >= self.period_start:
            self.period_live_answers += 1
        return entry

    def mark_abandoned(self, entry: Entry) -> None:
        if entry[1] and not entry[2]:
            entry[2] = 1.0
            self.abandons_seen += 1
            if self._in_window(entry):
                self.abandons += 1
                if entry[0] >= self.period_start:
                    self.period_abandons += 1

    def uncount(self, entry: Entry) -> None:
        """The answer was not a person after all: it counts neither as live nor abandoned."""
        if self._in_window(entry):
            self.live_answers -= int(entry[1])
            self.abandons -= int(entry[2])
            if entry[0] >= self.period_start:
                self.period_live_answers -= int(entry[1])
                self.period_abandons -= int(entry[2])
        self.live_answers_seen -= int(entry[1])
        self.abandons_seen -= int(entry[2])
        entry[1] = 0.0
        entry[2] = 0.0

    def _in_window(self, entry: Entry) -> bool:
        return bool(self._entries) and entry[0] >= self._entries[0][0]

    def prune(self, now: float) -> None:
        if now >= self.claim_until:
            self.slack_claim, self.claim_base = 0, self.abandons_seen
            self.claim_until = math.inf
        horizon = now - self.window
        entries = self._entries
        while entries and entries[0][0] < horizon:
            old = entries.popleft()
            self.live_answers -= int(old[1])
            self.abandons -= int(old[2])
        if now >= self.period_end:
            self._begin_period(now)

    def _begin_period(self, now: float) -> None:
        """Recount the period ``now`` falls in from the window's entries (its suffix): once
        per period, and at the first prune."""
        origin = self.period_origin
        if origin is None:
            origin = self.period_origin = now
        k = self._period_index(origin, now)
        self.period_start = start = origin + k * self.window
        self.period_end = origin + (k + 1) * self.window
        live = abandons = 0
        for entry in reversed(self._entries):
            if entry[0] < start:
                break
            live += int(entry[1])
            abandons += int(entry[2])
        self.period_live_answers = live
        self.period_abandons = abandons
        self.shared_period_live_answers = self.shared_period_abandons = 0
        self._fold_shared_period()

    def own_counts_since(self, since: float) -> tuple[int, int]:
        """(live answers, abandons) this process recorded at or after ``since``, among the
        entries still held (those of the last window, until the next prune): what the runner
        adds to the other processes' counts for Ofcom's calendar-day rate."""
        live = abandons = 0
        for entry in reversed(self._entries):
            if entry[0] < since:
                break
            live += int(entry[1])
            abandons += int(entry[2])
        return live, abandons

    def rate(self) -> float:
        return self.abandons / self.live_answers if self.live_answers else 0.0
