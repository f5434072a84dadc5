"""The lines of inbound work: each queue's waiting callers and queue callbacks, in order.

Owned by the agent pool (dialer/engine/scheduler.py), which stays the only place agents are
assigned: the pool asks this object for the best waiting work an agent may take, and tells
it what was taken or withdrawn.

Order within a queue: effective priority first (higher first), then arrival, then the order
of submission. A call's effective priority at time ``t`` is ``priority + aging · (t −
arrived)``: with one aging rate per queue the order of its waiting calls never changes as
time passes, so each line is a sorted list keyed by ``priority − aging · arrived`` (a
caller who arrived earlier has the larger key for the same priority). Across queues (an
agent serving several) the heads are compared at the current time.

A queue callback waits in the line of its queue with the key of the call it came from, so it
keeps its place: it is served exactly when the caller would have been, never before a caller
who was ahead of it. Lines are kept per switch for live calls (``uuid_bridge`` joins channels
of one FreeSWITCH) and switch-less for callbacks (dialed on the reserved agent's switch).
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedList

from dialer.engine.agents import Agent
from dialer.engine.routing import RoutingStrategy, Work, WorkKind, qualifies

_Entry = tuple[float, float, int, Work]


def _entry(work: Work) -> _Entry:
    return (-(work.priority - work.aging * work.arrived_at), work.arrived_at, work.seq, work)


def effective_priority(work: Work, at: float) -> float:
    """The priority ``work`` has at ``at`` after aging."""
    return work.priority + work.aging * (at - work.arrived_at)


class QueueLine:
    """One queue's waiting work (per switch for live calls, switch-less for callbacks)."""

    __slots__ = ("levels", "members", "name", "ring_all", "strategy", "sublines", "waiting")

    def __init__(self, name: str | None, strategy: RoutingStrategy | None = None,
                 members: frozenset[str] | None = None,
                 levels: tuple[tuple[str, int], ...] = (), ring_all: bool = False) -> None:
        self.name = name
        self.strategy = strategy
        """The queue's own strategy (None: the pool's)."""
        self.members = members
        self.levels = levels
        self.ring_all = ring_all
        self.sublines: dict[str | None, SortedList] = {}
        self.waiting = 0

    def serves(self, agent: Agent) -> bool:
        """May ``agent`` take this queue's calls at all (membership and skill levels)."""
        if self.members is not None and agent.agent_id not in self.members:
            return False
        levels = agent.levels
        return all(levels.get(skill, 0) >= level for skill, level in self.levels)

    def add(self, work: Work) -> None:
        subline = self.sublines.get(work.switch_id)
        if subline is None:
            subline = self.sublines[work.switch_id] = SortedList()
        subline.add(_entry(work))
        self.waiting += 1

    def remove(self, work: Work) -> bool:
        subline = self.sublines.get(work.switch_id)
        if subline is None:
            return False
        entry = _entry(work)
        index = subline.bisect_left(entry)
        if index < len(subline) and subline[index][3] is work:
            del subline[index]
            self.waiting -= 1
            return True
        return False

    def position(self, work: Work) -> int:
        """1 for the head of the line: callers and callbacks ahead of ``work``, plus one."""
        entry = _entry(work)[:3]
        ahead = 0
        for switch_id, subline in self.sublines.items():
            if switch_id is None or switch_id == work.switch_id or work.switch_id is None:
                ahead += subline.bisect_left(entry)
        return ahead + 1

    def first_for(self, agent: Agent, callbacks: bool = True) -> Work | None:
        """The first waiting work ``agent`` may take on its switch, or None; no queue
        callback unless ``callbacks`` (the agent's switch is held: ``InboundLines.held``)."""
        best: Work | None = None
        best_entry: tuple[float, float, int] | None = None
        for switch_id in (agent.switch_id, None):
            subline = self.sublines.get(switch_id)
            if not subline:
                continue
            for entry in subline:
                work = entry[3]
                if qualifies(agent, work) and (callbacks or work.kind is not WorkKind.CALLBACK):
                    if best_entry is None or entry[:3] < best_entry:
                        best, best_entry = work, entry[:3]
                    break
        return best

    def __iter__(self) -> Iterator[Work]:
        for subline in self.sublines.values():
            for entry in subline:
                yield entry[3]


class InboundLines:
    """Every queue's line; what the pool consults when an agent frees up."""

    def __init__(self) -> None:
        self.lines: dict[str | None, QueueLine] = {}
        self.total = 0
        self.held: frozenset[str] = frozenset()
        """Switches held for refusing calls (``SwitchRefusing``): their agents take no
        callback (a queue's, or the campaign's: ``WorkLines`` reads it too), which would
        be dialed on their switch and refused there; the callback goes to an agent of a
        switch that takes calls or keeps its place."""
        self.kept = 0
        """Agents of the blending reserve still free since the last pacing decision (set
        by the inbound router at each decision, one less for each agent queue work takes
        from the ready ones): pacing did not count them, no dial is promised them
        (promises.py)."""

    def configure(self, name: str, strategy: RoutingStrategy | None,
                  members: frozenset[str] | None, levels: tuple[tuple[str, int], ...],
                  ring_all: bool) -> QueueLine:
        line = self.lines.get(name)
        if line is None:
            line = self.lines[name] = QueueLine(name, strategy, members, levels, ring_all)
        else:
            line.strategy, line.members, line.levels, line.ring_all = (
                strategy, members, levels, ring_all)
        return line

    def line(self, name: str | None) -> QueueLine:
        line = self.lines.get(name)
        if line is None:
            line = self.lines[name] = QueueLine(name)
        return line

    def push(self, work: Work) -> None:
        self.line(work.queue).add(work)
        self.total += 1

    def discard(self, work: Work) -> None:
        line = self.lines.get(work.queue)
        if line is not None and line.remove(work):
            self.total -= 1

    def strategy(self, work: Work) -> RoutingStrategy | None:
        line = self.lines.get(work.queue)
        return None if line is None else line.strategy

    def assigned(self, work: Work, agent: Agent) -> None:
        """Tell the queue's strategy who took its call (round robin, fewest calls)."""
        line = self.lines.get(work.queue)
        if line is not None and line.strategy is not None:
            note = getattr(line.strategy, "assigned", None)
            if note is not None:
                note(work, agent)

    def best_for(self, agent: Agent, at: float) -> Work | None:
        """The waiting work ``agent`` should take now: the highest effective priority at
        ``at`` among the heads of the lines it serves (ring-all lines are offered, not
        assigned); ties go to the earliest arrival. None when there is nothing."""
        if not self.total:
            return None
        best: Work | None = None
        best_rank: tuple[float, float, int] | None = None
        for line in self.lines.values():
            if not line.waiting or line.ring_all or not line.serves(agent):
                continue
            work = line.first_for(agent, agent.switch_id not in self.held)
            if work is None:
                continue
            rank = (-effective_priority(work, at), work.arrived_at, work.seq)
            if best_rank is None or rank < best_rank:
                best, best_rank = work, rank
        return best

    def has_offers_for(self, agent: Agent) -> bool:
        """Is ring-all work waiting that ``agent`` could accept?"""
        if not self.lines:
            return False  # no queue (an outbound campaign): every agent freed asks this
        callbacks = agent.switch_id not in self.held
        return any(line.waiting and line.ring_all and line.serves(agent)
                   and line.first_for(agent, callbacks) is not None
                   for line in self.lines.values())

    def waiting(self, queue: str | None) -> int:
        line = self.lines.get(queue)
        return 0 if line is None else line.waiting

    def position(self, work: Work) -> int:
        return self.line(work.queue).position(work)
