"""An agent's state machine, as a table, and the record the scheduler keeps per agent."""

from __future__ import annotations

from dialer.commands import AgentState
from dialer.errors import IllegalTransitionError

A = AgentState
AGENT_TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    A.LOGGED_OUT: frozenset({A.CONNECTING, A.READY}),
    A.CONNECTING: frozenset({A.READY, A.RESERVED, A.PAUSED, A.LOGGED_OUT}),
    A.READY: frozenset({A.RESERVED, A.PAUSED, A.LOGGED_OUT}),
    A.RESERVED: frozenset({A.ON_CALL, A.READY, A.PAUSED, A.LOGGED_OUT}),
    A.ON_CALL: frozenset({A.WRAP_UP, A.LOGGED_OUT}),
    A.WRAP_UP: frozenset({A.READY, A.RESERVED, A.PAUSED, A.LOGGED_OUT}),
    A.PAUSED: frozenset({A.READY, A.RESERVED, A.LOGGED_OUT}),
}
"""Allowed next states. ``LOGGED_OUT → READY`` is for agents without a phone leg
(simulated agents); ``RESERVED → PAUSED`` only when the work it was reserved for vanished
and a pause was requested meanwhile; ``CONNECTING → PAUSED`` when a pause was asked while
the phone was still being rung (it holds from the moment the leg is up). An agent becoming
free while work waits goes straight to ``RESERVED`` (from connecting, wrap-up or paused)
without passing through ``READY``."""


def split_levels(skills: frozenset[str]) -> tuple[frozenset[str], dict[str, int]]:
    """Agent skills as names and levels: ``spanish:7`` is skill ``spanish`` at level 7, a
    skill without a level is level 1. A malformed level raises ``ValueError``."""
    from dialer.engine.queue_config import parse_skill

    levels: dict[str, int] = {}
    for text in skills:
        name, level = parse_skill(text)
        levels[name] = max(level, levels.get(name, 0))
    return frozenset(levels), levels


class Agent:
    """What the scheduler knows about one agent."""

    __slots__ = (
        "agent_id",
        "call_id",
        "endpoint",
        "lane",
        "leg_id",
        "levels",
        "logout_pending",
        "pause_pending",
        "reason",
        "since",
        "skills",
        "state",
        "switch_id",
        "talk_started",
        "wrap_deadline",
        "wrap_started",
    )

    def __init__(
        self, agent_id: str, endpoint: str, skills: frozenset[str], at: float,
        switch_id: str = "default",
    ) -> None:
        self.agent_id = agent_id
        self.endpoint = endpoint
        self.skills, self.levels = split_levels(skills)
        self.state = AgentState.LOGGED_OUT
        self.since = at
        self.leg_id: str | None = None
        self.call_id: str | None = None
        self.reason = ""
        self.pause_pending: str | None = None
        self.logout_pending = False
        self.talk_started: float | None = None
        self.wrap_started: float | None = None
        self.wrap_deadline: float | None = None
        self.switch_id = switch_id
        """The switch the agent's nailed-up leg is on; set at each login."""
        self.lane: object = None
        """The scheduler's per-switch line this agent belongs to (``scheduler.Lane``)."""

    def __repr__(self) -> str:
        return f"Agent({self.agent_id!r}, {self.state.value})"


def transition_agent(agent: Agent, new_state: AgentState, at: float, why: object = "") -> None:
    """Move ``agent`` to ``new_state`` or raise ``IllegalTransitionError``."""
    if new_state not in AGENT_TRANSITIONS[agent.state]:
        raise IllegalTransitionError(
            f"agent {agent.agent_id}: {agent.state.value} -> {new_state.value} is not allowed"
            + (f" (on {why})" if why else "")
        )
    agent.state = new_state
    agent.since = at
