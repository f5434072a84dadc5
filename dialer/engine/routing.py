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


class Work:
    """A piece of work waiting for an agent.

    ``switch_id`` names the FreeSWITCH node the customer leg is on: ``uuid_bridge`` joins two
    channels of one node only, so with several switches the scheduler offers the work only to
    agents whose nailed-up leg is on that node (strategies never see the others).
    """

    __slots__ = (
        "arrived_at",
        "cancelled",
        "customer_key",
        "deadline",
        "kind",
        "payload",
        "previous_agent_id",
        "priority",
        "required_agent_id",
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
        skills: frozenset[str] = frozenset(),
        customer_key: str | None = None,
        previous_agent_id: str | None = None,
        required_agent_id: str | None = None,
        payload: object = None,
        switch_id: str | None = None,
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
        self.cancelled = False
        self.seq = 0

    def __repr__(self) -> str:
        return f"Work({self.kind.value}, {self.work_id!r})"


def qualifies(agent: Agent, work: Work) -> bool:
    return not work.skills or work.skills <= agent.skills


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
        if not work.skills:
            for agent in ready.values():
                return agent
            return None
        for agent in ready.values():
            if work.skills <= agent.skills:
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
