"""The agent-pool scheduler's lines of waiting work: submit, take, offer, cancel, expire.

A mixin of ``AgentPool`` (dialer/engine/scheduler.py), kept apart so that each module has
one job: this one matches work with agents and keeps the three lines (answered outbound
calls by deadline, inbound by priority and wait, callbacks by due time), always within one
switch's lane; the agent states and their only writer stay in scheduler.py.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import TYPE_CHECKING

from dialer.commands import AgentState
from dialer.engine.agents import Agent
from dialer.engine.routing import Work, WorkKind, qualifies
from dialer.errors import DialerError

if TYPE_CHECKING:
    from dialer.engine.scheduler import AgentPool, Lane

    _Base = AgentPool
else:
    _Base = object

A = AgentState


class WorkLines(_Base):
    """Waiting work and its matching with ready agents (a mixin of ``AgentPool``)."""

    # --- work ----------------------------------------------------------------------------

    def submit(self, work: Work, at: float) -> Agent | None:
        """Assign ``work`` to a ready agent now, or queue it. Returns the reserved agent."""
        agent = self._assign_now(work, at)
        if agent is not None:
            return agent
        self._seq += 1
        work.seq = self._seq
        self._waiting[work.work_id] = work
        if work.kind is WorkKind.OUTBOUND:
            self._outbound.append(work)
            if self.multi_switch:
                self._switch_lane(work).outbound.append(work)
        elif work.required_agent_id is not None:
            self._personal.setdefault(work.required_agent_id, deque()).append(work)
        elif work.kind is WorkKind.INBOUND or work.queue is not None:
            if work.kind is WorkKind.INBOUND:
                self._switch_lane(work)  # with several switches, a live call names its own
            self.inbound.push(work)
        else:
            heapq.heappush(self._callbacks, (work.arrived_at, work.seq, work))
        return None

    def take_free(self, work: Work, at: float) -> Agent | None:
        """Assign ``work`` to an agent ready now, or to none: never queued. For work that
        may use an idle agent but must not wait for one (a machine verdict sent to a free
        agent). Ring-all pools offer work rather than assign it: none is taken there."""
        return None if self.ring_all else self._assign_now(work, at)

    def _assign_now(self, work: Work, at: float) -> Agent | None:
        """The one "assign now or none" step of ``submit`` and ``take_free``: the agent the
        work's rule picks among those ready on its switch (its required agent, else its
        queue's strategy or the pool's), reserved for it; None for ring-all work, which is
        offered instead, or when nobody fits."""
        if work.required_agent_id is not None:
            agent = self.ready.get(work.required_agent_id)
        elif work.ring_all:
            return None  # offered to every qualified ready agent; the first to accept
        else:
            strategy = (self.inbound.strategy(work) if work.queue is not None else None
                        ) or self.strategy
            ready = (self.ready if not self.multi_switch or work.switch_id is None
                     else self.lane(work.switch_id).ready)
            agent = strategy.choose(work, ready) if ready else None
        if agent is not None:
            self._reserve(agent, work, at)
        return agent

    def _switch_lane(self, work: Work) -> Lane:
        if self.multi_switch and work.switch_id is None:
            raise DialerError(
                f"{work!r} has no switch_id: with several switches, customer calls must say "
                "which switch they are on"
            )
        return self.lane(work.switch_id)

    def _same_switch(self, agent: Agent, work: Work) -> bool:
        return not self.multi_switch or work.switch_id in (None, agent.switch_id)

    def accept(self, agent_id: str, work_id: str, at: float) -> tuple[Agent, Work] | None:
        """Ring-all: the agent takes offered work, if both are still free. Else None."""
        agent = self.agent(agent_id)
        work = self._waiting.get(work_id)
        if agent.state is not A.READY or work is None or not qualifies(agent, work):
            return None
        if not self._same_switch(agent, work):
            return None
        if work.required_agent_id not in (None, agent_id):
            return None
        self._take(work)
        self._reserve(agent, work, at)
        return agent, work

    def offers_for(self, agent_id: str) -> list[Work]:
        """Ring-all: the waiting work a newly ready agent is offered (O(waiting)); with a
        ring-all queue only (not the pool's strategy), that queue's calls."""
        agent = self.agents[agent_id]
        every = self.ring_all
        return [
            work for work in self._waiting.values()
            if (every or work.ring_all) and work.required_agent_id is None
            and qualifies(agent, work) and self._same_switch(agent, work)
        ]

    def offer_targets(self, work: Work) -> tuple[str, ...]:
        ready = self.ready if work.switch_id is None else self.lane(work.switch_id).ready
        return tuple(a for a, agent in ready.items() if qualifies(agent, work))

    def cancel(self, work_id: str) -> bool:
        """Withdraw waiting work (caller hung up, deadline passed). True if it was waiting."""
        work = self._waiting.pop(work_id, None)
        if work is None:
            return False
        work.cancelled = True
        if work.queue is not None or work.kind is WorkKind.INBOUND:
            self.inbound.discard(work)
        return True

    def is_waiting(self, work_id: str) -> bool:
        return work_id in self._waiting

    def expired_outbound(self, now: float) -> list[Work]:
        """Answered outbound calls whose connect window has closed at ``now``; withdrawn."""
        expired: list[Work] = []
        line = self._outbound
        while line and (line[0].cancelled or line[0].deadline <= now):  # type: ignore[operator]
            work = line.popleft()
            if not work.cancelled:
                self.cancel(work.work_id)
                expired.append(work)
        if self.multi_switch:
            # Each lane drops its withdrawn heads too, so a lane whose agents never free up
            # does not keep every expired call of the campaign.
            for lane in self.lanes.values():
                lane_line = lane.outbound
                while lane_line and lane_line[0].cancelled:
                    lane_line.popleft()
        return expired

    def next_outbound_deadline(self) -> float | None:
        line = self._outbound
        while line and line[0].cancelled:
            line.popleft()
        return line[0].deadline if line else None

    def waiting_counts(self) -> dict[WorkKind, int]:
        counts = dict.fromkeys(WorkKind, 0)
        for work in self._waiting.values():
            counts[work.kind] += 1
        return counts

    @property
    def outbound_waiting(self) -> int:
        line = self._outbound
        if not line:
            return 0  # the common case at a decision: no answered call waiting
        return sum(1 for work in line if not work.cancelled)

    def _take(self, work: Work) -> Work:
        del self._waiting[work.work_id]
        work.cancelled = True
        if work.queue is not None or work.kind is WorkKind.INBOUND:
            self.inbound.discard(work)
        return work

    def _personal_work_for(self, agent: Agent) -> Work | None:
        personal = self._personal.get(agent.agent_id)
        while personal:
            work = personal.popleft()
            if not work.cancelled:
                return self._take(work)
        return None

    def _next_work_for(self, agent: Agent, at: float) -> Work | None:
        lane: Lane = agent.lane  # type: ignore[assignment]
        line = lane.outbound
        while line and line[0].cancelled:
            line.popleft()
        for work in line:
            if not work.cancelled and qualifies(agent, work):
                if work is line[0]:
                    line.popleft()
                return self._take(work)
        personal = self._personal.get(agent.agent_id)
        while personal:
            work = personal.popleft()
            if not work.cancelled:
                return self._take(work)
        work = self.inbound.best_for(agent, at)
        if work is not None:
            return self._take(work)
        heap = self._callbacks
        while heap and heap[0][-1].cancelled:
            heapq.heappop(heap)
        if not heap:
            return None
        if qualifies(agent, heap[0][-1]):
            return self._take(heapq.heappop(heap)[-1])
        for entry in sorted(heap):
            if not entry[-1].cancelled and qualifies(agent, entry[-1]):
                return self._take(entry[-1])
        return None
