"""The campaign's abandonment ledger: live answers and abandons in the measurement window.

The legal rate is abandoned calls ÷ calls answered by a person, over a rolling window
(US: 30 days per campaign, 47 CFR 64.1200(a)(7)(i); UK Ofcom: 24 hours per campaign).
Counts are kept incrementally so pacing reads them in O(1); old entries are pruned from
the left as time moves on. An answer later found to be a machine is uncounted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

# An entry is [answered_at, live (0/1), abandoned (0/1)], mutable so corrections are O(1).
Entry = list[float]


class AbandonLedger:
    """Rolling counts of live answers and abandons."""

    __slots__ = ("_entries", "abandons", "live_answers", "window")

    def __init__(self, window: float, seed: Iterable[tuple[float, bool]] = ()) -> None:
        self.window = window
        self._entries: deque[Entry] = deque()
        self.live_answers = 0
        self.abandons = 0
        for answered_at, abandoned in sorted(seed):
            self.record_live(answered_at)[2] = 0.0
            if abandoned:
                self.mark_abandoned(self._entries[-1])

    def record_live(self, at: float) -> Entry:
        entry = [at, 1.0, 0.0]
        self._entries.append(entry)
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
