"""How long each switch takes to start a message, and the budget the engine plans with.

The safe-harbour message must be *heard* within the connect window (47 CFR 64.1200(a)(7)(i);
Ofcom's two seconds), not merely sent: a real FreeSWITCH 1.11 started it 0.12-0.16 s after
``uuid_broadcast``, so a message sent as the window closed was heard after it. The runner
measures the command-to-PLAYBACK_START time of every message it sends, per switch; the
budget is the 95th percentile of the recent measurements plus a margin, never below the
campaign's floor, and the engine is told (``MessageLatency``) whenever it grows.
"""

from __future__ import annotations

from collections import deque

MARGIN = 0.05
"""Seconds added to the measured percentile (scheduling jitter of the runner itself)."""
MIN_SAMPLES = 5
WINDOW = 200


class LatencyBudget:
    """Per switch: recent command-to-playback times and the budget derived from them."""

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self._samples: dict[str, deque[float]] = {}
        self.budgets: dict[str, float] = {}

    def observe(self, switch_id: str, seconds: float) -> float | None:
        """Record one measurement; returns the new budget when it grew (else None)."""
        samples = self._samples.setdefault(switch_id, deque(maxlen=WINDOW))
        samples.append(seconds)
        if len(samples) < MIN_SAMPLES:
            return None
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        budget = max(self.floor, p95 + MARGIN)
        if budget > self.budgets.get(switch_id, self.floor) + 0.005:
            self.budgets[switch_id] = budget
            return budget
        return None
