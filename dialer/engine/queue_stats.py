"""One queue's live figures: what the monitor, the alerts and the wait estimate read.

Counters since the engine started and a sliding window of recent outcomes for the service
level. Service level here is the share of callers answered within the queue's threshold
among those answered or abandoned after the first ``SHORT_ABANDON`` seconds (a caller who
hangs up within 5 s of joining the line had no real chance to be served; callers who went
to voicemail or asked for a callback chose another service and are not counted either).
The same definition is used by the queue reports (campaigns/queue_reports.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

SHORT_ABANDON = 5.0
"""Seconds: a caller who gives up sooner is a short abandon (not held against the SL)."""
SL_WINDOW = 900.0
"""Seconds of recent calls the live service level is measured over (15 minutes)."""


@dataclass(slots=True)
class QueueCounts:
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    ivr_abandoned: int = 0
    voicemails: int = 0
    callbacks_requested: int = 0
    callbacks_completed: int = 0
    callbacks_failed: int = 0
    overflowed: int = 0
    full: int = 0
    closed: int = 0
    opted_out: int = 0


class QueueStats:
    """Counts and the recent-outcome window of one queue."""

    __slots__ = ("counts", "recent", "within")

    def __init__(self, within: float) -> None:
        self.within = within
        self.counts = QueueCounts()
        self.recent: deque[tuple[float, bool, bool]] = deque()
        """(when, answered, answered within the threshold) of calls that count for the SL."""

    def answered(self, at: float, wait: float) -> None:
        counts = self.counts
        counts.answered += 1
        within = wait <= self.within
        counts.answered_within += within
        self._keep(at, True, within)

    def abandoned(self, at: float, wait: float) -> None:
        counts = self.counts
        counts.abandoned += 1
        if wait < SHORT_ABANDON:
            counts.short_abandoned += 1
        else:
            self._keep(at, False, False)

    def _keep(self, at: float, answered: bool, within: bool) -> None:
        recent = self.recent
        recent.append((at, answered, within))
        while recent[0][0] < at - SL_WINDOW:
            recent.popleft()

    def service_level(self, now: float) -> float | None:
        """Share answered within the threshold over the last 15 minutes (None with no call
        counted)."""
        recent = self.recent
        while recent and recent[0][0] < now - SL_WINDOW:
            recent.popleft()
        if not recent:
            return None
        return sum(1 for _, _, within in recent if within) / len(recent)
