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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from dialer.errors import DialerError

# An entry is [answered_at, live (0/1), abandoned (0/1)], mutable so corrections are O(1).
Entry = list[float]


class LedgerCountsError(DialerError, ValueError):
    """Shared ledger counts that cannot describe a real window of calls."""


class AbandonLedger:
    """Rolling counts of live answers and abandons (this process's plus the shared ones).

    ``live_answers`` and ``abandons`` are plain attributes holding the campaign totals, so
    the engine's hot path reads them without a call; the shared part is folded in by delta.
    """

    __slots__ = (
        "_entries", "abandons", "live_answers", "shared_abandons", "shared_live_answers",
        "window",
    )

    def __init__(self, window: float, seed: Iterable[tuple[float, bool]] = ()) -> None:
        self.window = window
        self._entries: deque[Entry] = deque()
        self.live_answers = 0
        self.abandons = 0
        self.shared_live_answers = 0
        """Live answers in the window recorded by other processes (last refresh)."""
        self.shared_abandons = 0
        """Abandons in the window recorded by other processes (last refresh)."""
        for answered_at, abandoned in sorted(seed):
            self.record_live(answered_at)[2] = 0.0
            if abandoned:
                self.mark_abandoned(self._entries[-1])

    def set_shared_counts(self, live_answers: int, abandons: int) -> None:
        """Replace the other processes' counts in the current window (not cumulative).

        ``live_answers`` and ``abandons`` are what the other dialer processes of this
        campaign recorded in the window, excluding this process's own attempts (the runner
        counts those here already); each call replaces the previous shared counts.
        """
        for name, value in (("live_answers", live_answers), ("abandons", abandons)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise LedgerCountsError(
                    f"set_shared_counts: {name} must be an int count, got {value!r}"
                )
            if value < 0:
                raise LedgerCountsError(
                    f"set_shared_counts: {name} must be >= 0, got {value}"
                )
        if abandons > live_answers:
            raise LedgerCountsError(
                f"set_shared_counts: abandons ({abandons}) cannot exceed live answers "
                f"({live_answers}): an abandon is a live answer nobody was connected to; "
                "count both over the same window and the same processes"
            )
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
        entries = self._entries
        if entries and at < entries[-1][0]:
            at = entries[-1][0]
        entry = [at, 1.0, 0.0]
        entries.append(entry)
        self.live_answers += 1
        return entry

    def mark_abandoned(self, entry: Entry) -> None:
        if entry[1] and not entry[2]:
            entry[2] = 1.0
            if self._in_window(entry):
                self.abandons += 1

    def uncount(self, entry: Entry) -> None:
        """The answer was not a person after all: it counts neither as live nor abandoned."""
        if self._in_window(entry):
            self.live_answers -= int(entry[1])
            self.abandons -= int(entry[2])
        entry[1] = 0.0
        entry[2] = 0.0

    def _in_window(self, entry: Entry) -> bool:
        return bool(self._entries) and entry[0] >= self._entries[0][0]

    def prune(self, now: float) -> None:
        horizon = now - self.window
        entries = self._entries
        while entries and entries[0][0] < horizon:
            old = entries.popleft()
            self.live_answers -= int(old[1])
            self.abandons -= int(old[2])

    def rate(self) -> float:
        return self.abandons / self.live_answers if self.live_answers else 0.0
