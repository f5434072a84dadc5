"""The simulator's tiny core: a virtual clock and an event heap (after SimPy's core).

Entries are ``(time, sequence, action, payload)``; the sequence keeps ties in scheduling
order, so a run is a pure function of its inputs. Cancellation is lazy: an action checks
whether its payload still matters when it fires (cheaper than deleting from a heap).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import Any

Action = Callable[[float, Any], None]


class Kernel:
    """Virtual time and the pending future."""

    __slots__ = ("_heap", "_sequence", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Action, Any]] = []
        self._sequence = itertools.count()

    def schedule(self, at: float, action: Action, payload: Any = None,
                 _push: Callable[..., None] = heapq.heappush) -> None:
        """Run ``action(at, payload)`` at virtual time ``at`` (never in the past)."""
        now = self.now
        _push(self._heap, (at if at > now else now, next(self._sequence), action, payload))

    def entries(self) -> tuple[list[tuple[float, int, Action, Any]], Iterator[int]]:
        """The heap and the sequence, for a driver whose hot loop writes ``schedule`` out
        (a Python call less per entry): it must push ``(at if at > now else now,
        next(sequence), action, payload)``, exactly what ``schedule`` pushes."""
        return self._heap, self._sequence

    def peek(self) -> float | None:
        """When the next entry is due (None when nothing is pending)."""
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)

    def run_until(self, end: float) -> None:
        """Fire every entry due at or before ``end``, in time order; the clock ends at ``end``."""
        heap = self._heap
        while heap and heap[0][0] <= end:
            at, _, action, payload = heapq.heappop(heap)
            self.now = at
            action(at, payload)
        if end > self.now:
            self.now = end

    def run(self) -> None:
        """Fire entries in time order until none is pending (actions may add more)."""
        heap, pop = self._heap, heapq.heappop
        while heap:
            at, _, action, payload = pop(heap)
            self.now = at
            action(at, payload)

    def step(self) -> bool:
        """Fire the next entry; False when none is pending."""
        if not self._heap:
            return False
        at, _, action, payload = heapq.heappop(self._heap)
        self.now = at
        action(at, payload)
        return True
