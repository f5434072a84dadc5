"""The simulated switch's clock: the asyncio loop (sped up or not), or virtual time.

The switch only ever asks two things of time: ``now()`` (simulated epoch seconds) and
``call_later(delay, action)`` (simulated seconds). ``LoopTimers`` maps them onto a running
asyncio loop (``speed`` simulated seconds per real second) for the TCP server; ``VirtualTimers``
is a SimPy-style heap that jumps from one due action to the next, so a 30-second call flow
runs in milliseconds and the same seed gives the same run, event for event (the fidelity and
hostile-timing tests drive the switch in-process with it).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Handle(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    def now(self) -> float: ...

    def call_later(self, delay: float, action: Callable[[], None]) -> Handle: ...


class LoopTimers:
    """Simulated time on a running asyncio loop, ``speed`` times faster than real time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, speed: float = 1.0) -> None:
        self.loop = loop
        self.speed = speed
        self._epoch0 = time.time()
        self._loop0 = loop.time()

    def now(self) -> float:
        return self._epoch0 + (self.loop.time() - self._loop0) * self.speed

    def uptime(self) -> float:
        return (self.loop.time() - self._loop0) * self.speed

    def call_later(self, delay: float, action: Callable[[], None]) -> Handle:
        return self.loop.call_later(max(0.0, delay) / self.speed, action)


class _VirtualHandle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualTimers:
    """Virtual time: actions run in time order (FIFO among equal times) when ``run_*`` is
    called; ``now()`` is the time of the action running (or the last one run)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._start = start
        self._now = start
        self._heap: list[tuple[float, int, _VirtualHandle, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def uptime(self) -> float:
        return self._now - self._start

    def call_later(self, delay: float, action: Callable[[], None]) -> Handle:
        handle = _VirtualHandle()
        heapq.heappush(self._heap, (self._now + max(0.0, delay), next(self._order), handle,
                                    action))
        return handle

    def next_time(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_until(self, until: float) -> None:
        """Run every action due up to ``until`` (actions may schedule more), then set the
        clock to ``until``."""
        while (due := self.next_time()) is not None and due <= until:
            at, _, handle, action = heapq.heappop(self._heap)
            self._now = at
            if not handle.cancelled:
                action()
        self._now = max(self._now, until)

    def run_for(self, seconds: float) -> None:
        self.run_until(self._now + seconds)
