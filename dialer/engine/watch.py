"""Deadlines of everything the engine waits on the switch for.

A real switch can fall silent about one call (an event lost with a link, a bridge the park
pre-empted, a detector that never reports, an agent leg that never returns to park); the
engine must not wait for ever in any state. Each wait registers a deadline here; when it
passes and the wait is still on (the call or agent is still in the state it was registered
for), the engine acts: the safe-harbour message for a live answer, an unknown classification
for a silent detector, a hang-up for a call that never ended, a new leg for a stuck agent.

Entries are never removed early: a due entry whose wait is over is simply skipped (lazy
deletion, like the scheduler's lines), so registering costs one heap push.

``DIAL`` waits, one per attempt, go to a first-in-first-out line instead: every dial adds
the same ring timeout and margin to the engine's time, so their deadlines come in the order
they are added, and a deque appends and pops them in O(1) where the heap took two
O(log n) sifts (a deadline earlier than the line's last, e.g. a failover leg's shorter
ring, goes to the heap). ``due`` merges the two by (deadline, order of registration): the
same sequence as one heap.

``DeadlineFloor``: one lower bound of every deadline the engine keeps (this watch's heap
and line, the wrap-up heap, the line of answered calls, the inbound timers), lowered at
every push; the engine looks at the five only once the time reaches it.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
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


Entry = tuple[float, int, Wait, str, object]
"""(deadline, order of registration, wait, key, token)."""

_INF = float("inf")


class DeadlineFloor:
    """No later than any deadline the engine keeps: the watch's heap and its line of
    ``DIAL`` waits, the pool's wrap-up heap, the lines' answered outbound calls and the
    inbound router's timers.

    Each of those structures' pushes lowers ``at`` to the new deadline when it is earlier
    (``if deadline < floor.at: floor.at = deadline``, written out at each push site); pops
    only raise their structure's lowest deadline, so they leave ``at`` a lower bound; only
    the engine raises it, to the exact lowest deadline, once it has looked at all five
    (``Engine._lowest_deadline``). An event, tick or wake-up before ``at`` has nothing due
    and nothing to drop, and the engine reads none of the five: about four reads of them
    per attempt were that (tests/dialer/engine/test_deadline_floor.py: a push site that
    forgets fails it).
    """

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = _INF


class Watch:
    """A heap of (deadline, order, wait, key, token), and the line of ``DIAL`` waits."""

    __slots__ = ("_dials", "_heap", "_order", "floor")

    def __init__(self, floor: DeadlineFloor | None = None) -> None:
        self.floor = floor if floor is not None else DeadlineFloor()
        """Lowered at every push (``DeadlineFloor``); the engine's, shared with the other
        structures of deadlines."""
        self._heap: list[Entry] = []
        self._dials: deque[Entry] = deque()
        """``DIAL`` waits in deadline order (``add_dial``)."""
        self._order = itertools.count(1)

    def add(self, at: float, wait: Wait, key: str, token: object = None,
            _push: Callable[..., None] = heapq.heappush) -> None:
        _push(self._heap, (at, next(self._order), wait, key, token))
        floor = self.floor
        if at < floor.at:
            floor.at = at

    def add_dial(self, at: float, key: str, _push: Callable[..., None] = heapq.heappush,
                 _dial: Wait = Wait.DIAL) -> None:
        """A ``DIAL`` wait: at the end of the line when no earlier than its last deadline
        (every plain dial), else in the heap."""
        dials = self._dials
        if not dials or dials[-1][0] <= at:
            dials.append((at, next(self._order), _dial, key, None))
        else:
            _push(self._heap, (at, next(self._order), _dial, key, None))
        floor = self.floor
        if at < floor.at:
            floor.at = at

    def next_time(self) -> float | None:
        heap, dials = self._heap, self._dials
        if heap and dials:
            return min(heap[0][0], dials[0][0])
        return heap[0][0] if heap else dials[0][0] if dials else None

    def due(self, now: float) -> list[tuple[float, Wait, str, object]]:
        """Every entry due at ``now``, removed, in (deadline, order) order."""
        heap, dials = self._heap, self._dials
        out = []
        while True:
            head = heap[0] if heap and heap[0][0] <= now else None
            dial = dials[0] if dials and dials[0][0] <= now else None
            if dial is not None and (head is None or dial < head):  # orders never tie
                at, _, wait, key, token = dials.popleft()
            elif head is not None:
                at, _, wait, key, token = heapq.heappop(heap)
            else:
                return out
            out.append((at, wait, key, token))

    def __len__(self) -> int:
        return len(self._heap) + len(self._dials)
