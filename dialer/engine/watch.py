"""Deadlines of everything the engine waits on the switch for.

A real switch can fall silent about one call (an event lost with a link, a bridge the park
pre-empted, a detector that never reports, an agent leg that never returns to park); the
engine must not wait for ever in any state. Each wait registers a deadline here; when it
passes and the wait is still on (the call or agent is still in the state it was registered
for), the engine acts: the safe-harbour message for a live answer, an unknown classification
for a silent detector, a hang-up for a call that never ended, a new leg for a stuck agent.

Entries are never removed early: a due entry whose wait is over is simply skipped (lazy
deletion, like the scheduler's lines), so registering costs one heap push.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from enum import StrEnum


class Wait(StrEnum):
    DIAL = "dial"
    """Dialing or ringing: the switch ends it by originate_timeout; a margin past that."""
    CLASSIFY = "classify"
    """Answered, waiting for the answering-machine detector's decision."""
    BRIDGE = "bridge"
    """An agent is reserved: the bridge must be confirmed within the connect window."""
    MESSAGE_START = "message_start"
    """The safe-harbour message was sent: it must be reported playing or failed."""
    MESSAGE_END = "message_end"
    """A message plays (abandoned or machine call): the call must end after it."""
    LEG_PARK = "leg_park"
    """A call ended: the agent's leg must return to park."""


class Watch:
    """A heap of (deadline, order, wait, key, token)."""

    __slots__ = ("_heap", "_order")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Wait, str, object]] = []
        self._order = itertools.count(1)

    def add(self, at: float, wait: Wait, key: str, token: object = None,
            _push: Callable[..., None] = heapq.heappush) -> None:
        _push(self._heap, (at, next(self._order), wait, key, token))

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due(self, now: float) -> list[tuple[float, Wait, str, object]]:
        heap = self._heap
        out = []
        while heap and heap[0][0] <= now:
            at, _, wait, key, token = heapq.heappop(heap)
            out.append((at, wait, key, token))
        return out

    def __len__(self) -> int:
        return len(self._heap)
