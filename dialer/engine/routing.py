"""Routing strategies: which ready agent takes a piece of work.

A strategy sees the work and the ready agents in the order they became ready (longest idle
first, an insertion-ordered dict the scheduler keeps in O(1)), and returns one of them or
None. Strategies never change state: the scheduler does that, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from dialer.engine.agents import Agent
from dialer.errors import DialerError


class WorkKind(StrEnum):
    OUTBOUND = "outbound"
    """An answered outbound call; its deadline is the end of the connect window."""
    INBOUND = "inbound"
    CALLBACK = "callback"
    CONSULT = "consult"
    """An agent asked for by another agent's attended transfer (reserved at once or not
    at all)."""
    PREVIEW = "preview"
    """A lead shown to one ready agent (preview dialing)."""


_NO_SKILLS: frozenset[str] = frozenset()


class Work:
    """A piece of work waiting for an agent.

    ``switch_id`` names the FreeSWITCH node the customer leg is on: ``uuid_bridge`` joins two
    channels of one node only, so with several switches the scheduler offers the work only to
    agents whose nailed-up leg is on that node (strategies never see the others).
    """

    __slots__ = (
        "aging",
        "arrived_at",
        "cancelled",
        "customer_key",
        "deadline",
        "kind",
        "levels",
        "members",
        "payload",
        "previous_agent_id",
        "priority",
        "queue",
        "required_agent_id",
        "ring_all",
        "seq",
        "skills",
        "switch_id",
        "work_id",
    )

    def __init__(
        self,
        kind: WorkKind,
        work_id: str,
        arrived_at: float,
        *,
        deadline: float | None = None,
        priority: int = 0,
        skills: frozenset[str] = _NO_SKILLS,
        customer_key: str | None = None,
        previous_agent_id: str | None = None,
        required_agent_id: str | None = None,
        payload: object = None,
        switch_id: str | None = None,
        queue: str | None = None,
        aging: float = 0.0,
        members: frozenset[str] | None = None,
        levels: tuple[tuple[str, int], ...] = (),
        ring_all: bool = False,
    ) -> None:
        self.kind = kind
        self.work_id = work_id
        self.arrived_at = arrived_at
        self.deadline = deadline
        self.priority = priority
        self.skills = skills
        self.customer_key = customer_key
        self.previous_agent_id = previous_agent_id
        self.required_agent_id = required_agent_id
        self.payload = payload
        self.switch_id = switch_id
        """The switch the customer leg is on (None: any, e.g. a callback not dialed yet)."""
        self.queue = queue
        """The inbound queue whose line the work waits in (live callers and queue callbacks)."""
        self.aging = aging
        """Priority gained per second of waiting (the queue's aging, so nobody starves)."""
        self.members = members
        """Agents allowed to take it (the queue's members); None: any qualified agent."""
        self.levels = levels
        """(skill, lowest level) pairs an agent needs (skills with levels)."""
        self.ring_all = ring_all
        """Offered to every qualified ready agent instead of assigned (ring-all queues)."""
        self.cancelled = False
        self.seq = 0

    def __repr__(self) -> str:
        return f"Work({self.kind.value}, {self.work_id!r})"


_new_work = Work.__new__
"""``object.__new__`` for the Python class; the native class's own allocation when compiled
(dialer/accel: a native class refuses ``object.__new__``)."""


def outbound_work(work_id: str, arrived_at: float, deadline: float,
                  customer_key: str | None, previous_agent_id: str | None,
                  switch_id: str | None) -> Work:
    """``Work(WorkKind.OUTBOUND, work_id, arrived_at, deadline=..., customer_key=...,
    previous_agent_id=..., switch_id=...)``, the other fields at their defaults.

    Once per answered outbound call: calling the class with keywords costs CPython 3.11 a
    second evaluation loop and the keywords' matching, about three times these stores.
    Every field of ``Work.__init__`` must be set here too
    (tests/dialer/engine/test_routing_outbound_work.py compares the two field by field).
    """
    work = _new_work(Work)
    work.kind = _OUTBOUND
    work.work_id = work_id
    work.arrived_at = arrived_at
    work.deadline = deadline
    work.priority = 0
    work.skills = _NO_SKILLS
    work.customer_key = customer_key
    work.previous_agent_id = previous_agent_id
    work.required_agent_id = None
    work.payload = None
    work.switch_id = switch_id
    work.queue = None
    work.aging = 0.0
    work.members = None
    work.levels = ()
    work.ring_all = False
    work.cancelled = False
    work.seq = 0
    return work


_OUTBOUND = WorkKind.OUTBOUND


def qualifies(agent: Agent, work: Work) -> bool:
    """May ``agent`` take ``work``: its skills, its queue's membership and skill levels."""
    if work.skills and not work.skills <= agent.skills:
        return False
    members = work.members
    if members is not None and agent.agent_id not in members:
        return False
    if work.levels:
        levels = agent.levels
        for skill, level in work.levels:
            if levels.get(skill, 0) < level:
                return False
    return True


def _plain(work: Work) -> bool:
    """Any agent may take it (the common outbound case: no scan needed)."""
    return not work.skills and work.members is None and not work.levels


class RoutingStrategy(Protocol):
    name: str

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        """Pick one agent from ``ready`` (longest idle first) for ``work``, or None."""
        ...


@dataclass(frozen=True, slots=True)
class LongestIdle:
    """The qualified agent who has been ready the longest (fair share of calls)."""

    name: str = "longest_idle"

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        if _plain(work):
            for agent in ready.values():
                return agent
            return None
        for agent in ready.values():
            if qualifies(agent, work):
                return agent
        return None


@dataclass(frozen=True, slots=True)
class FewestSkills:
    """Skills-based: the qualified agent with the fewest skills, then longest idle.

    Sending work to the least versatile qualified agent keeps multi-skilled agents free for
    work only they can take.
    """

    name: str = "skills"

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        best: Agent | None = None
        for agent in ready.values():
            if qualifies(agent, work) and (best is None or len(agent.skills) < len(best.skills)):
                best = agent
        return best


@dataclass(frozen=True, slots=True)
class Sticky:
    """The customer's previous agent when that agent is ready, else the fallback strategy."""

    fallback: RoutingStrategy = field(default_factory=LongestIdle)
    name: str = "sticky"

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        previous = work.previous_agent_id
        if previous is not None:
            agent = ready.get(previous)
            if agent is not None and qualifies(agent, work):
                return agent
        return self.fallback.choose(work, ready)


@dataclass(frozen=True, slots=True)
class RingAll:
    """Offer the work to every qualified ready agent at once; the first to accept takes it.

    The scheduler reserves nobody: the engine emits ``OfferWork`` to the ready agents (and to
    agents who become ready while the work waits), and ``AgentAccepted`` assigns it. Suited
    to inbound queues; an answered outbound call still abandons when its window closes.
    """

    name: str = "ring_all"
    offer_to_all: bool = True

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        return None

    def offered_to(self, work: Work, ready: Mapping[str, Agent]) -> tuple[str, ...]:
        return tuple(agent_id for agent_id, agent in ready.items() if qualifies(agent, work))


class RoundRobin:
    """Queue strategy: the next qualified ready agent after the one who took the last call.

    Agents are ordered by name, so the turn is the same whatever order they became ready
    in; it wraps around. One object per queue (it remembers whose turn it was).
    """

    name = "round_robin"

    def __init__(self) -> None:
        self.last: str | None = None

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        last = self.last
        after: Agent | None = None
        first: Agent | None = None
        for agent_id, agent in ready.items():
            if not qualifies(agent, work):
                continue
            if first is None or agent_id < first.agent_id:
                first = agent
            if last is not None and agent_id > last and (after is None
                                                         or agent_id < after.agent_id):
                after = agent
        return after or first

    def assigned(self, work: Work, agent: Agent) -> None:
        self.last = agent.agent_id


class FewestCalls:
    """Queue strategy: the qualified ready agent who has taken the fewest of its calls,
    then the longest idle. One object per queue (it counts the calls each agent took)."""

    name = "fewest_calls"

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        calls = self.calls
        best: Agent | None = None
        best_count = 0
        for agent_id, agent in ready.items():
            count = calls.get(agent_id, 0)
            if (best is None or count < best_count) and qualifies(agent, work):
                best, best_count = agent, count
        return best

    def assigned(self, work: Work, agent: Agent) -> None:
        self.calls[agent.agent_id] = self.calls.get(agent.agent_id, 0) + 1


@dataclass(frozen=True, slots=True)
class SkillLevels:
    """Queue strategy: the qualified ready agent with the highest levels in the queue's
    skills (the sum over them), then the longest idle."""

    skills: tuple[str, ...] = ()
    name: str = "skills"

    def choose(self, work: Work, ready: Mapping[str, Agent]) -> Agent | None:
        best: Agent | None = None
        best_score = -1
        for agent in ready.values():
            if not qualifies(agent, work):
                continue
            score = sum(agent.levels.get(skill, 0) for skill in self.skills)
            if score > best_score:
                best, best_score = agent, score
        return best


STRATEGIES = {
    "longest_idle": LongestIdle,
    "skills": FewestSkills,
    "sticky": Sticky,
    "ring_all": RingAll,
}


def make_strategy(name: str) -> RoutingStrategy:
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise DialerError(
            f"routing strategy {name!r} is unknown; choose one of {', '.join(STRATEGIES)}"
        ) from None
