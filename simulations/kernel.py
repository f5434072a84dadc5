"""The simulator's tiny core: a virtual clock and an event heap (after SimPy's core).

Entries are ``(time, sequence, action, payload)``; the sequence keeps ties in scheduling
order, so a run is a pure function of its inputs. Cancellation is lazy: an action checks
whether its payload still matters when it fires (cheaper than deleting from a heap).

One entry may wait *aside*, outside the heap (``schedule_aside``): the latest one scheduled
so, for an entry re-planned after nearly every event (the driver's next engine tick). It
fires exactly where it would from the heap (the order of ``(time, sequence)``); when
another is scheduled aside, the one waiting there goes into the heap as an ordinary entry.
So the entries pending are always those that ``schedule`` alone would have pending.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

Action = Callable[[float, Any], None]


class Kernel:
    """Virtual time and the pending future."""

    __slots__ = ("_aside", "_heap", "_sequence", "aside_at", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Action, Any]] = []
        self._sequence = itertools.count()
        self.aside_at = math.inf
        """When the entry waiting aside is due (infinity: none waits)."""
        self._aside: tuple[float, int, Action, Any] | None = None

    def schedule(self, at: float, action: Action, payload: Any = None,
                 _push: Callable[..., None] = heapq.heappush) -> None:
        """Run ``action(at, payload)`` at virtual time ``at`` (never in the past)."""
        now = self.now
        _push(self._heap, (at if at > now else now, next(self._sequence), action, payload))

    def schedule_aside(self, at: float, action: Action, payload: Any = None) -> None:
        """``schedule(at, action, payload)``, the entry kept aside until it fires or
        another is scheduled aside (this one then goes into the heap).

        For an entry scheduled again and again whose earlier copies mostly fire first (the
        driver's next tick, about one per dial attempt): an entry pushed into the heap and
        popped costs some twenty tuple comparisons, one aside two float comparisons per
        entry fired."""
        now = self.now
        entry = (at if at > now else now, next(self._sequence), action, payload)
        if self._aside is not None:
            heapq.heappush(self._heap, self._aside)
        self._aside = entry
        self.aside_at = entry[0]

    def entries(self) -> tuple[list[tuple[float, int, Action, Any]], Iterator[int]]:
        """The heap and the sequence, for a driver whose hot loop writes ``schedule`` out
        (a Python call less per entry): it must push ``(at if at > now else now,
        next(sequence), action, payload)``, exactly what ``schedule`` pushes."""
        return self._heap, self._sequence

    def peek(self) -> float | None:
        """When the next entry is due (None when nothing is pending)."""
        entry = self._next()
        return None if entry is None else entry[0]

    def __len__(self) -> int:
        return len(self._heap) + (self._aside is not None)

    def _next(self) -> tuple[float, int, Action, Any] | None:
        """The next entry to fire, left where it is (None when nothing is pending)."""
        aside, heap = self._aside, self._heap
        if aside is None:
            return heap[0] if heap else None
        return heap[0] if heap and heap[0] < aside else aside

    def _pop(self) -> tuple[float, int, Action, Any]:
        """Take the next entry out (some entry is pending)."""
        heap, aside = self._heap, self._aside
        if aside is not None and (not heap or aside < heap[0]):
            self._aside = None
            self.aside_at = math.inf
            return aside
        return heapq.heappop(heap)

    def run_until(self, end: float) -> None:
        """Fire every entry due at or before ``end``, in time order; the clock ends at ``end``."""
        while True:
            entry = self._next()
            if entry is None or entry[0] > end:
                break
            at, _, action, payload = self._pop()
            self.now = at
            action(at, payload)
        if end > self.now:
            self.now = end

    def run(self) -> None:
        """Fire entries in time order until none is pending (actions may add more)."""
        heap, pop = self._heap, heapq.heappop
        while True:
            # The next entry (``_pop``, written out: once per entry). Entries never tie
            # (sequences differ), so comparing the aside entry's time, then its sequence
            # only on a tie, orders it as a tuple comparison would.
            aside_at = self.aside_at
            if heap:
                head = heap[0]
                if aside_at < head[0] or (aside_at == head[0] and self._aside < head):  # type: ignore[operator]
                    at, _, action, payload = self._aside  # type: ignore[misc]
                    self._aside = None
                    self.aside_at = math.inf
                else:
                    at, _, action, payload = pop(heap)
            elif self._aside is not None:
                at, _, action, payload = self._aside
                self._aside = None
                self.aside_at = math.inf
            else:
                return
            self.now = at
            action(at, payload)

    def step(self) -> bool:
        """Fire the next entry; False when none is pending."""
        if self._next() is None:
            return False
        at, _, action, payload = self._pop()
        self.now = at
        action(at, payload)
        return True
