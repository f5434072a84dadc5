"""The agent pool's lines of waiting work: match, queue, take, offer, cancel, expire.

A part of ``AgentPool`` (dialer/engine/scheduler.py) with its own state: the three lines
(answered outbound calls by deadline, inbound by priority and wait, callbacks by due time)
and the personal callbacks, always within one switch's lane. It reads the pool's ready
agents, never writes an agent: it says which agent work should go to (``match``) and which
work a freed agent should take (``next_for``); the pool reserves the agent, since agent
states have one writer (``AgentPool._set``).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

from dialer.engine.agents import Agent
from dialer.engine.inbound_lines import InboundLines, effective_priority
from dialer.engine.routing import RoutingStrategy, Work, WorkKind, qualifies
from dialer.engine.watch import DeadlineFloor
from dialer.errors import DialerError

_OUTBOUND_WORK, _INBOUND_WORK, _CALLBACK_WORK = (
    WorkKind.OUTBOUND, WorkKind.INBOUND, WorkKind.CALLBACK)


def campaign_callback(work: Work) -> bool:
    """A campaign's own callback (scheduled or personal, agent-first), not a queue's."""
    return work.kind is _CALLBACK_WORK and work.queue is None


def _line_up(line: deque[Work], work: Work) -> None:
    """Put an answered call in ``line`` where its deadline puts it, earliest first (after
    those with the same deadline), as ``expired_outbound`` and ``next_outbound_deadline``
    read only the head. Almost always at the end: calls line up as they are answered. Not a
    call back in line after the agent reserved for it was lost (its leg dropped): it keeps
    its own connect window, which closes before those of the calls answered since; nor one
    on a switch whose measured message latency is higher (its message goes earlier). Put at
    the end, such a call's window closed unseen behind a later head, and the person waited
    past the two seconds without the safe-harbour message (the stateful engine test's
    find, 2026-12-07)."""
    deadline = work.deadline
    if not line or line[-1].deadline <= deadline:  # type: ignore[operator]
        line.append(work)
        return
    i = len(line) - 1
    while i > 0 and line[i - 1].deadline > deadline:  # type: ignore[operator]
        i -= 1
    line.insert(i, work)


class Lane:
    """One switch's share of the pool: ready agents and the answered calls on that switch.

    Its ready agents are the pool's to write (``AgentPool._set``), its answered calls the
    lines' (``WorkLines.queue``). Inbound calls wait in their queue's line
    (``InboundLines``), kept per switch there.
    """

    __slots__ = ("logged_in", "outbound", "ready", "switch_id")

    def __init__(self, switch_id: str, ready: dict[str, Agent], outbound: deque[Work]) -> None:
        self.switch_id = switch_id
        self.ready = ready
        """Ready agents on this switch, longest idle first."""
        self.outbound = outbound
        """Answered outbound calls on this switch, earliest deadline first (lazy deletion)."""
        self.logged_in = 0

    def __repr__(self) -> str:
        return f"Lane({self.switch_id!r}, ready={len(self.ready)})"


class WorkLines:
    """Waiting work and its matching with the pool's ready agents."""

    __slots__ = ("_callbacks", "_floor", "_lane", "_personal", "_seq", "_waiting", "agents",
                 "callbacks_waiting", "inbound", "lanes", "multi_switch", "outbound",
                 "promised", "ready", "ring_all", "strategy")

    def __init__(
        self, strategy: RoutingStrategy, agents: dict[str, Agent], ready: dict[str, Agent],
        lane: Callable[[str | None], Lane], lanes: dict[str, Lane], outbound: deque[Work],
        floor: DeadlineFloor | None = None,
    ) -> None:
        """``agents``, ``ready``, ``lane`` and ``lanes`` are the pool's, read only here;
        ``outbound`` is the line of answered outbound calls, which the pool's single lane
        shares when there is one switch; ``floor``, the engine's lower bound of its deadlines
        (watch.py), which each answered call lined up lowers to its deadline."""
        self.strategy = strategy
        self.agents = agents
        self.ready = ready
        self._lane = lane
        self.lanes = lanes
        self.multi_switch = len(lanes) > 1
        self.ring_all = bool(getattr(strategy, "offer_to_all", False))
        self._floor = floor if floor is not None else DeadlineFloor()
        self.outbound = outbound
        """Answered outbound calls, earliest deadline first (lazy deletion): empty means none
        is waiting (the engine's per-event check reads it)."""
        self.inbound = InboundLines()
        """Each queue's waiting callers and queue callbacks (inbound_lines.py)."""
        self._callbacks: list[tuple[float, int, Work]] = []
        self._personal: dict[str, deque[Work]] = {}
        self._waiting: dict[str, Work] = {}
        self._seq = 0
        self.promised: Callable[[Lane], int] | None = None
        """Ready agents of a lane that queue work and campaign callbacks must leave to
        outbound dials in flight (promises.py); None: no such promise (an engine without
        that part)."""
        self.callbacks_waiting = 0
        """Campaign callbacks waiting in the lines (the engine's decision asks whether a
        promise that ended frees an agent for one: ``AgentPool.serve_unpromised``)."""

    # --- arriving work -------------------------------------------------------------------

    def match(self, work: Work) -> Agent | None:
        """The ready agent ``work``'s rule picks on its switch (its required agent, else its
        queue's strategy or the pool's), not yet reserved; None for ring-all work, which is
        offered instead, or when nobody fits."""
        if work.required_agent_id is not None:
            agent = self.ready.get(work.required_agent_id)
            if agent is not None and work.kind is _CALLBACK_WORK:
                # A personal callback: its agent, unless promised to a dial (promises.py)
                # or on a switch held for refusing calls (it waits for the switch).
                if (agent.switch_id in self.inbound.held
                        or not self._unpromised(agent.lane)):  # type: ignore[arg-type]
                    return None
                self._took_ready()
            return agent
        if work.ring_all:
            return None  # offered to every qualified ready agent; the first to accept
        if work.queue is not None:
            return self._match_queue_work(work)
        if work.kind is _CALLBACK_WORK:
            return self._match_campaign_callback(work)
        ready = (self.ready if not self.multi_switch or work.switch_id is None
                 else self._lane(work.switch_id).ready)
        return self.strategy.choose(work, ready) if ready else None

    def _match_campaign_callback(self, work: Work) -> Agent | None:
        """A campaign callback (agent-first, switch-less): the pool's strategy picks among
        the ready agents of the lanes with one no outbound dial in flight is promised to,
        as for queue work (an answered call finding its agent taken is abandoned)."""
        ready = self._unpromised_ready()
        held = self.inbound.held
        if held and ready:
            # Dialed on its agent's switch: none held for refusing calls (it waits).
            ready = {agent_id: agent for agent_id, agent in ready.items()
                     if agent.switch_id not in held}
        if not ready:
            return None
        agent = self.strategy.choose(work, ready)
        if agent is not None:
            self._took_ready()
        return agent

    def _unpromised_ready(self) -> dict[str, Agent]:
        """The ready agents of every lane with a ready agent free of any promise."""
        ready = self.ready
        if self.promised is None or not ready:
            return ready
        if not self.multi_switch:
            return ready if self._unpromised(self._lane(None)) else {}
        spare = {lane.switch_id for lane in self.lanes.values()
                 if lane.ready and self._unpromised(lane)}
        return {agent_id: agent for agent_id, agent in ready.items()
                if agent.switch_id in spare}

    def _match_queue_work(self, work: Work) -> Agent | None:
        """A queue's caller or callback: its queue's strategy picks among the ready agents,
        if more are ready than are promised to outbound dials in flight (promises.py)."""
        if self.multi_switch and work.switch_id is None:
            # A queue callback waits switch-less: any lane's unpromised agents.
            ready = self._unpromised_ready()
        else:
            lane = self._lane(work.switch_id)
            ready = lane.ready
            if ready and not self._unpromised(lane):
                return None
        held = self.inbound.held
        if held and work.kind is _CALLBACK_WORK and ready:
            # A queue callback is dialed on its agent's switch: none held for refusing.
            ready = {agent_id: agent for agent_id, agent in ready.items()
                     if agent.switch_id not in held}
        if not ready:
            return None
        strategy = self.inbound.strategy(work) or self.strategy
        agent = strategy.choose(work, ready)
        if agent is not None:
            self._took_ready()
        return agent

    def _took_ready(self) -> None:
        """Queue work or a campaign callback took a ready agent: the reserve's first
        (promises.py)."""
        inbound = self.inbound
        if inbound.kept > 0:
            inbound.kept -= 1

    def spare_ready(self, lane: Lane) -> bool:
        """Is a ready agent of ``lane`` free of any promise to an outbound dial?"""
        return self._unpromised(lane)

    def _unpromised(self, lane: Lane) -> bool:
        """Is a ready agent of ``lane`` free of any promise to an outbound dial?"""
        promised = self.promised
        return promised is None or len(lane.ready) > promised(lane)

    def queue(self, work: Work) -> None:
        """Line ``work`` up until an agent takes it (no agent matched it now)."""
        self._seq += 1
        work.seq = self._seq
        self._waiting[work.work_id] = work
        if work.kind is _CALLBACK_WORK and work.queue is None:
            self.callbacks_waiting += 1
        if work.kind is _OUTBOUND_WORK:
            _line_up(self.outbound, work)
            floor = self._floor
            if work.deadline < floor.at:  # type: ignore[operator]
                floor.at = work.deadline  # type: ignore[assignment]
            if self.multi_switch:
                _line_up(self._switch_lane(work).outbound, work)
        elif work.required_agent_id is not None:
            self._personal.setdefault(work.required_agent_id, deque()).append(work)
        elif work.kind is _INBOUND_WORK or work.queue is not None:
            if work.kind is _INBOUND_WORK:
                self._switch_lane(work)  # with several switches, a live call names its own
            self.inbound.push(work)
        else:
            heapq.heappush(self._callbacks, (work.arrived_at, work.seq, work))

    def _switch_lane(self, work: Work) -> Lane:
        if self.multi_switch and work.switch_id is None:
            raise DialerError(
                f"{work!r} has no switch_id: with several switches, customer calls must say "
                "which switch they are on"
            )
        return self._lane(work.switch_id)

    def _same_switch(self, agent: Agent, work: Work) -> bool:
        return not self.multi_switch or work.switch_id in (None, agent.switch_id)

    # --- ring-all offers -----------------------------------------------------------------

    def claim(self, agent: Agent, work_id: str) -> Work | None:
        """Ring-all: the ready ``agent`` takes offered work, if it still waits and the agent
        may take it (skills, switch, a required agent). Taken off the lines, or None."""
        work = self._waiting.get(work_id)
        if work is None or not qualifies(agent, work) or not self._same_switch(agent, work):
            return None
        if work.required_agent_id not in (None, agent.agent_id):
            return None
        if work.kind is _CALLBACK_WORK and agent.switch_id in self.inbound.held:
            return None  # a callback is dialed on its agent's switch, held for refusing
        if work.queue is not None or work.kind is _CALLBACK_WORK:
            if not self._unpromised(agent.lane):  # type: ignore[arg-type]
                return None
            self._took_ready()
        return self._take(work)

    def offers_for(self, agent_id: str) -> list[Work]:
        """Ring-all: the waiting work a newly ready agent is offered (O(waiting)); with a
        ring-all queue only (not the pool's strategy), that queue's calls."""
        agent = self.agents[agent_id]
        every = self.ring_all
        held = self.inbound.held
        return [
            work for work in self._waiting.values()
            if (every or work.ring_all) and work.required_agent_id is None
            and qualifies(agent, work) and self._same_switch(agent, work)
            and (work.kind is not _CALLBACK_WORK or agent.switch_id not in held)
        ]

    def offer_targets(self, work: Work) -> tuple[str, ...]:
        ready = self.ready if work.switch_id is None else self._lane(work.switch_id).ready
        held = self.inbound.held if work.kind is _CALLBACK_WORK else ()
        return tuple(a for a, agent in ready.items()
                     if qualifies(agent, work) and agent.switch_id not in held)

    # --- withdrawn and expired work ------------------------------------------------------

    def cancel(self, work_id: str) -> bool:
        """Withdraw waiting work (caller hung up, deadline passed). True if it was waiting."""
        work = self._waiting.pop(work_id, None)
        if work is None:
            return False
        work.cancelled = True
        if work.queue is not None or work.kind is _INBOUND_WORK:
            self.inbound.discard(work)
        elif work.kind is _CALLBACK_WORK:
            self.callbacks_waiting -= 1
        return True

    def is_waiting(self, work_id: str) -> bool:
        return work_id in self._waiting

    def expired_outbound(self, now: float) -> list[Work]:
        """Answered outbound calls whose connect window has closed at ``now``; withdrawn."""
        expired: list[Work] = []
        line = self.outbound
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
        line = self.outbound
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
        line = self.outbound
        if not line:
            return 0  # the common case at a decision: no answered call waiting
        return sum(1 for work in line if not work.cancelled)

    # --- work for a freed agent ----------------------------------------------------------

    def _take(self, work: Work) -> Work:
        del self._waiting[work.work_id]
        work.cancelled = True
        if work.queue is not None or work.kind is _INBOUND_WORK:
            self.inbound.discard(work)
        elif work.kind is _CALLBACK_WORK:
            self.callbacks_waiting -= 1
        return work

    def take(self, work: Work) -> Work:
        """Take waiting ``work`` off the lines (the pool reserves its agent)."""
        return self._take(work)

    def queue_work_waiting(self, at: float) -> list[Work]:
        """Every queue's waiting callers and callbacks not offered to all (ring-all), in
        the order of service: effective priority at ``at``, then arrival."""
        waiting = [work for line in self.inbound.lines.values() if line.waiting
                   and not line.ring_all for work in line if not work.cancelled]
        waiting.sort(key=lambda work: (-effective_priority(work, at), work.arrived_at,
                                       work.seq))
        return waiting

    def held_by_promises(self, at: float) -> list[Work]:
        """The work a ready agent's promise may have kept waiting, in the order of
        service: each ready agent's own oldest campaign callback, every queue's waiting
        work (``queue_work_waiting``), then the campaign's callbacks, earliest due first."""
        held: list[Work] = []
        if self.callbacks_waiting:
            for agent_id, personal in self._personal.items():
                if agent_id in self.ready:
                    work = next((w for w in personal if not w.cancelled), None)
                    if work is not None and campaign_callback(work):
                        held.append(work)
            held.sort(key=lambda work: (work.arrived_at, work.seq))
        if self.inbound.total:
            held += self.queue_work_waiting(at)
        if self.callbacks_waiting:
            held += [entry[-1] for entry in sorted(self._callbacks)
                     if not entry[-1].cancelled]
        return held

    def spare_for_queues(self) -> bool:
        """Has any lane a ready agent no outbound dial in flight is promised to?"""
        return any(lane.ready and self._unpromised(lane) for lane in self.lanes.values())

    def personal_for(self, agent: Agent) -> Work | None:
        """The agent's own oldest waiting callback, taken off the lines, or None (all a
        ring-all agent takes unasked: everything else is offered)."""
        if agent.switch_id in self.inbound.held:
            return None  # its callbacks wait for its switch to take calls again
        personal = self._personal.get(agent.agent_id)
        while personal:
            work = personal.popleft()
            if not work.cancelled:
                return self._take(work)
        return None

    def next_for(self, agent: Agent, at: float) -> Work | None:
        """The work a freed ``agent`` takes, in the lines' order (scheduler.py's docstring),
        taken off the lines; None when nothing waiting fits it."""
        lane: Lane = agent.lane  # type: ignore[assignment]
        line = lane.outbound
        while line and line[0].cancelled:
            line.popleft()
        for work in line:
            if not work.cancelled and qualifies(agent, work):
                if work is line[0]:
                    line.popleft()
                return self._take(work)
        if agent.switch_id in self.inbound.held:
            # A campaign callback is dialed on its agent's switch, held for refusing calls:
            # the callbacks wait (for another agent, or for the switch to take calls).
            work = self.inbound.best_for(agent, at)
            return self._take(work) if work is not None else None
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
