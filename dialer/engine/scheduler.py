"""The agent-pool scheduler: the one place that assigns agents to work.

Work waits in three lines, served in this order when an agent frees up:
1. answered outbound calls, earliest connect-window deadline first (the law's two seconds
   leave no room to serve anything before them);
2. personal callbacks for that agent, then queued inbound calls by priority (higher first),
   then by wait (longest first);
3. due callbacks, earliest due first (agent-first: the agent is reserved, then the engine
   dials).
When work arrives and agents are ready, the routing strategy picks one. Every agent state
change is appended to ``changes`` as an ``AgentStateChanged`` command for the engine to emit.
Cost: O(1) per event on the common path (no skills); scans happen only when skills exclude
the agent at the head of a line.

Several switches: FreeSWITCH's ``uuid_bridge`` joins two channels of one node only, so each
agent belongs to the switch of its nailed-up leg and each call to the switch it is on. The
pool then keeps one ``Lane`` per switch (its ready agents, its answered outbound calls, its
inbound queue); work is matched only within its lane, so no routing strategy, built-in or
plugged in, can ever see an agent of another switch. Callbacks wait switch-less and go to
any agent (agent-first: the engine then dials on the agent's switch). With one switch the
single lane *is* the pool's own ready dict and lines, so that path costs nothing extra.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence

from dialer.commands import AgentState, AgentStateChanged
from dialer.engine.agents import AGENT_TRANSITIONS, Agent, split_levels, transition_agent
from dialer.engine.routing import LongestIdle, RoutingStrategy, Work, WorkKind
from dialer.engine.watch import DeadlineFloor
from dialer.engine.work_lines import Lane, WorkLines
from dialer.errors import DialerError
from pacing_models.records import builder

# Enum members are module constants here: every agent change passes through this module,
# and in CPython 3.11 reading ``Enum.MEMBER`` passes through EnumType.__getattr__'s slow
# attribute hook, some 860 instructions against about 20 for a global (docs/engine.md,
# "Fourth step").
_CONNECTING, _READY, _RESERVED, _ON_CALL, _WRAP_UP, _PAUSED, _LOGGED_OUT = (
    AgentState.CONNECTING, AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL,
    AgentState.WRAP_UP, AgentState.PAUSED, AgentState.LOGGED_OUT)
_CALLBACK_WORK = WorkKind.CALLBACK
_WORK_REASON = {kind: kind.value for kind in WorkKind}
"""The reason an agent reserved for work records: its kind's value (``.value`` is a Python
property call on an enum member, once per connected call)."""
_agent_state_changed = builder(AgentStateChanged)
"""Several per connected call: built from all its fields (pacing_models/records.py)."""


class UnknownAgentError(DialerError):
    """An agent event names an agent that never logged in."""


class UnknownSwitchError(DialerError):
    """An event names a switch the campaign does not use (not in ``switch_ids``)."""


class AgentPool:
    """Agent states and the ready pool, with the lines of waiting work as a part
    (``lines``, work_lines.py): the pool routes arriving work to the agent the lines
    match, and a freed agent to the work they hand out."""

    def __init__(
        self, strategy: RoutingStrategy | None = None,
        switch_ids: Sequence[str] = ("default",), floor: DeadlineFloor | None = None,
    ) -> None:
        if not switch_ids:
            raise DialerError("AgentPool: at least one switch is needed")
        strategy = strategy or LongestIdle()
        self.agents: dict[str, Agent] = {}
        self.ready: dict[str, Agent] = {}
        """Ready agents in the order they became ready (longest idle first)."""
        self.on_call: dict[str, float] = {}
        """Agent → when the current call was connected."""
        self.wrapping: dict[str, float] = {}
        """Agent → when wrap-up began."""
        self.guarantee = False
        """The campaign guarantees every call an agent (``CampaignConfig.agent_guaranteed``):
        a ready agent promised to a dial in flight pauses or logs out only once one is
        spare."""
        self.departures_held: dict[str, None] = {}
        """Ready agents whose pause or log-out waits for a spare agent, in the order asked
        (``apply_held``)."""
        self.wrap_left: Callable[[str, float], None] | None = None
        """Told (agent, instant) of every agent that leaves wrap-up, however it leaves: the
        one place a part that lives as long as a wrap-up ends (agent_work.py's routed
        verdicts), since every agent change passes through ``_set``."""
        self.logged_in = 0
        self.changes: list[AgentStateChanged] = []
        self._wrap_heap: list[tuple[float, int, str]] = []
        self.wrap_heap = self._wrap_heap
        """Read-only view for the engine's per-event check: (deadline, seq, agent) heap."""
        self._wrap_seq = 0
        self.floor = floor if floor is not None else DeadlineFloor()
        """The engine's lower bound of its deadlines (watch.py), lowered by each push of a
        wrap-up deadline here and of an answered call's in the lines."""
        self.ring_all = bool(getattr(strategy, "offer_to_all", False))
        self.newly_ready: list[str] = []
        """Ring-all only: agents who became ready and must be offered the waiting work."""
        self.left_service: Callable[[Agent, float], None] | None = None
        """Told (agent, instant) of every agent who logs out or pauses, once its change is
        recorded: queues whose callers leave when nobody can answer (inbound.py)."""
        self.multi_switch = len(switch_ids) > 1
        outbound: deque[Work] = deque()
        if self.multi_switch:
            self.lanes = {s: Lane(s, {}, deque()) for s in switch_ids}
        else:
            # One switch: the lane shares the pool's own structures (no extra upkeep).
            self.lanes = {switch_ids[0]: Lane(switch_ids[0], self.ready, outbound)}
        self._first_lane = next(iter(self.lanes.values()))
        self.lines = WorkLines(strategy, self.agents, self.ready, self.lane, self.lanes,
                               outbound, self.floor)
        """The waiting work (work_lines.py): answered outbound calls, inbound queues,
        callbacks; its own state, matched against this pool's ready agents."""

    def lane(self, switch_id: str | None) -> Lane:
        """The lane of ``switch_id`` (with one switch, always the only lane)."""
        if not self.multi_switch or switch_id is None:
            return self._first_lane
        try:
            return self.lanes[switch_id]
        except KeyError:
            raise UnknownSwitchError(
                f"switch {switch_id!r} is not one of the campaign's switches "
                f"({', '.join(self.lanes)}): add it to switch_ids or fix the event source"
            ) from None

    def hold_switches(self, switch_ids: frozenset[str]) -> None:
        """The switches held for refusing calls (``SwitchRefusing``; all of them, each
        time): their agents take no callback, queue's or campaign's, which would be dialed
        on their switch and refused there (``InboundLines.held``). A callback goes to an
        agent of a switch that takes calls, or waits: a personal one for its agent's switch
        to take calls again."""
        self.lines.inbound.held = switch_ids

    # --- arriving work: the lines match, the pool reserves ------------------------------

    def submit(self, work: Work, at: float) -> Agent | None:
        """Assign ``work`` to a ready agent now, or queue it. Returns the reserved agent."""
        agent = self.lines.match(work)
        if agent is None:
            self.lines.queue(work)
            return None
        self._reserve(agent, work, at)
        return agent

    def take_free(self, work: Work, at: float) -> Agent | None:
        """Assign ``work`` to an agent ready now, or to none: never queued. For work that
        may use an idle agent but must not wait for one (a machine verdict sent to a free
        agent). Ring-all pools offer work rather than assign it: none is taken there."""
        if self.ring_all:
            return None
        agent = self.lines.match(work)
        if agent is not None:
            self._reserve(agent, work, at)
        return agent

    def accept(self, agent_id: str, work_id: str, at: float) -> tuple[Agent, Work] | None:
        """Ring-all: the agent takes offered work, if both are still free. Else None."""
        agent = self.agent(agent_id)
        if agent.state is not _READY:
            return None
        work = self.lines.claim(agent, work_id)
        if work is None:
            return None
        self._reserve(agent, work, at)
        return agent, work

    # --- state changes (the only writer of agent.state) ---------------------------------

    def _set(self, agent: Agent, state: AgentState, at: float, reason: str = "") -> None:
        previous = agent.state
        if previous is state:
            return
        if state not in AGENT_TRANSITIONS[previous]:
            transition_agent(agent, state, at, reason)  # raises, naming the transition
        # ``transition_agent``'s two stores, written out: every agent change passes here.
        agent.state = state
        agent.since = at
        agent_id = agent.agent_id
        if previous is _READY:
            del self.ready[agent_id]
            if self.multi_switch:
                del agent.lane.ready[agent_id]  # type: ignore[attr-defined]
        elif previous is _ON_CALL:
            self.on_call.pop(agent_id, None)
        elif previous is _WRAP_UP:
            self.wrapping.pop(agent_id, None)
            wrap_left = self.wrap_left  # read, then called (LOAD_METHOD of an instance
            if wrap_left is not None:  # attribute is left unspecialised by CPython 3.11)
                wrap_left(agent_id, at)
        if state is _READY:
            self.ready[agent_id] = agent
            if self.multi_switch:
                agent.lane.ready[agent_id] = agent  # type: ignore[attr-defined]
        elif state is _ON_CALL:
            self.on_call[agent_id] = at
        elif state is _WRAP_UP:
            self.wrapping[agent_id] = at
        if previous is _LOGGED_OUT:
            self.logged_in += 1
            agent.lane.logged_in += 1  # type: ignore[attr-defined]
        elif state is _LOGGED_OUT:
            self.logged_in -= 1
            agent.lane.logged_in -= 1  # type: ignore[attr-defined]
            agent.reason = reason
            self.changes.append(
                _agent_state_changed(at, agent_id, state, previous, reason, agent.call_id)
            )
            if self.left_service is not None:
                self.left_service(agent, at)
            return
        agent.reason = reason
        self.changes.append(
            _agent_state_changed(at, agent_id, state, previous, reason, agent.call_id)
        )

    def agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise UnknownAgentError(f"agent {agent_id!r} is not logged in") from None

    def login(
        self, agent_id: str, endpoint: str, skills: frozenset[str], at: float,
        switch_id: str | None = None,
    ) -> Agent:
        """Log the agent in on ``switch_id`` (its leg's switch; None: the first switch).

        Without an endpoint (a simulated agent) it is ready at once. An agent already logged
        in keeps its state and its switch.
        """
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = Agent(agent_id, endpoint, skills, at)
        elif agent.state is not _LOGGED_OUT:
            return agent
        lane = self.lane(switch_id)
        agent.lane, agent.switch_id = lane, lane.switch_id
        agent.endpoint = endpoint
        agent.skills, agent.levels = split_levels(skills)
        agent.logout_pending, agent.pause_pending = False, None
        self._set(agent, _CONNECTING if endpoint else _READY, at, "login")
        return agent

    def leg_up(self, agent_id: str, at: float) -> tuple[Agent, Work] | None:
        agent = self.agent(agent_id)
        if agent.state is not _CONNECTING:
            return None
        return self._free(agent, at, "phone connected")

    def leg_down(self, agent_id: str, at: float, reason: str) -> str | None:
        """The agent's phone leg ended: the agent is logged out. Returns the call it held."""
        agent = self.agent(agent_id)
        call_id = agent.call_id
        if agent.state is not _LOGGED_OUT:
            self._set(agent, _LOGGED_OUT, at, reason)
        agent.call_id, agent.leg_id = None, None
        return call_id

    def set_ready(self, agent_id: str, at: float) -> tuple[Agent, Work] | None:
        agent = self.agent(agent_id)
        agent.pause_pending = None
        if agent_id in self.departures_held:
            del self.departures_held[agent_id]
            if agent.state is _READY:
                # A log-out held for a promise is taken back; one asked during a call the
                # agent has taken since applies when they are free, as any such log-out.
                agent.logout_pending = False
        if agent.state in (_PAUSED, _WRAP_UP):
            if agent.state is _WRAP_UP:
                self._end_wrap(agent, at)
            return self._free(agent, at, "ready")
        return None

    def pause(self, agent_id: str, reason: str, at: float) -> None:
        agent = self.agent(agent_id)
        if agent.state is _READY and self.guarantee and self._promised(agent):
            # Every ready agent of this switch is promised to a dial in flight: pausing
            # now would leave a guaranteed call nobody (held; ``apply_held``).
            agent.pause_pending = reason
            self.departures_held[agent_id] = None
            return
        if agent.state in (_READY, _WRAP_UP, _PAUSED):
            if agent.state is _WRAP_UP:
                self._end_wrap(agent, at)
            if agent.state is _PAUSED:
                agent.reason = reason
                return
            self._set(agent, _PAUSED, at, reason)
            if self.left_service is not None:
                self.left_service(agent, at)
        elif agent.state in (_RESERVED, _ON_CALL, _CONNECTING):
            # Held until the call ends or, while the phone still connects, until its leg
            # is up (leg_up frees the agent through _free, which applies it).
            agent.pause_pending = reason

    def logout(self, agent_id: str, at: float) -> bool:
        """Log out now, or after the current call (or, ``agent_guaranteed``, once a ready
        agent of the switch is spare). True when the agent is now logged out."""
        agent = self.agent(agent_id)
        if agent.state in (_RESERVED, _ON_CALL):
            agent.logout_pending = True
            return False
        if agent.state is _READY and self.guarantee and self._promised(agent):
            # As a pause: logging out now would leave a guaranteed call nobody.
            agent.logout_pending = True
            self.departures_held[agent_id] = None
            return False
        if agent.state is not _LOGGED_OUT:
            if agent.state is _WRAP_UP:
                self._end_wrap(agent, at)
            self._set(agent, _LOGGED_OUT, at, "logout")
        return True

    def start_call(self, agent_id: str, call_id: str, at: float) -> None:
        agent = self.agents.get(agent_id) or self.agent(agent_id)  # (raises when unknown)
        agent.call_id = call_id
        agent.talk_started = at
        self._set(agent, _ON_CALL, at, "connected")

    def end_call(self, agent_id: str, call_id: str, at: float, wrap_up_timeout: float) -> float:
        """The agent's call ended: wrap-up starts. Returns the talk time.

        Nothing changes when the agent is no longer on that call (the phone leg dropped and
        the agent may already be on another call after logging in again).
        """
        agent = self.agents.get(agent_id) or self.agent(agent_id)  # (raises when unknown)
        if agent.state is not _ON_CALL or agent.call_id != call_id:
            return 0.0
        talk = at - (agent.talk_started if agent.talk_started is not None else at)
        agent.talk_started = None
        agent.wrap_started = at
        agent.wrap_deadline = at + wrap_up_timeout
        self._set(agent, _WRAP_UP, at, "call ended")
        self._wrap_seq += 1
        deadline = agent.wrap_deadline
        heapq.heappush(self._wrap_heap, (deadline, self._wrap_seq, agent_id))
        floor = self.floor
        if deadline < floor.at:
            floor.at = deadline
        return talk

    def finish_wrap(
        self, agent_id: str, at: float, reason: str
    ) -> tuple[float, tuple[Agent, Work] | None]:
        """Wrap-up ends (disposition or timeout). Returns the wrap time and any new work."""
        agent = self.agents.get(agent_id) or self.agent(agent_id)  # (raises when unknown)
        if agent.state is not _WRAP_UP:
            return 0.0, None
        wrap = self._end_wrap(agent, at)
        return wrap, self._free(agent, at, reason)

    def _end_wrap(self, agent: Agent, at: float) -> float:
        wrap = at - (agent.wrap_started if agent.wrap_started is not None else at)
        agent.wrap_started = agent.wrap_deadline = None
        agent.call_id = None
        return wrap

    def due_wraps(self, now: float) -> list[str]:
        """Agents whose wrap-up timeout has passed at ``now``."""
        due: list[str] = []
        heap = self._wrap_heap
        while heap and heap[0][0] <= now:
            deadline, _, agent_id = heapq.heappop(heap)
            agent = self.agents[agent_id]
            if agent.state is _WRAP_UP and agent.wrap_deadline == deadline:
                due.append(agent_id)
        return due

    def next_wrap_deadline(self) -> float | None:
        return self._wrap_heap[0][0] if self._wrap_heap else None

    def unreserve(self, agent_id: str, at: float, reason: str) -> tuple[Agent, Work] | None:
        """The work an agent was reserved for vanished (caller hung up): free the agent."""
        agent = self.agent(agent_id)
        agent.call_id = None
        if agent.state is not _RESERVED:
            return None
        return self._free(agent, at, reason)

    def _free(self, agent: Agent, at: float, reason: str) -> tuple[Agent, Work] | None:
        """The agent has nothing to do: apply a pending logout/pause, else serve the lines."""
        if agent.logout_pending:
            agent.logout_pending = False
            self._set(agent, _LOGGED_OUT, at, "logout")
            return None
        if agent.pause_pending is not None:
            pause_reason, agent.pause_pending = agent.pause_pending, None
            self._set(agent, _PAUSED, at, pause_reason)
            if self.left_service is not None:
                self.left_service(agent, at)
            return None
        work = (self.lines.personal_for(agent) if self.ring_all
                else self.lines.next_for(agent, at))
        if work is None:
            self._set(agent, _READY, at, reason)
            if self.ring_all or self.lines.inbound.has_offers_for(agent):
                self.newly_ready.append(agent.agent_id)
            return None
        self._reserve(agent, work, at)
        return agent, work

    def offer(self, agent_id: str, at: float) -> tuple[Agent, Work] | None:
        """A ready agent looks for waiting work (after a login without a phone leg)."""
        agent = self.agent(agent_id)
        if agent.state is not _READY:
            return None
        if self.ring_all:
            work = self.lines.personal_for(agent)
            if work is None:
                self.newly_ready.append(agent_id)
        else:
            work = self.lines.next_for(agent, at)
            if work is None and self.lines.inbound.has_offers_for(agent):
                self.newly_ready.append(agent_id)
        if work is None:
            return None
        self._reserve(agent, work, at)
        return agent, work

    def apply_held(self, at: float) -> bool:
        """Apply the pauses and log-outs held while their agents were promised
        (``agent_guaranteed``), wherever a ready agent is now spare; asked before each
        pacing decision, so pacing does not dial for an agent about to leave. An agent who
        took a call meanwhile keeps it pending: it applies when they are free (``_free``).
        True when a log-out applied (its phone leg is then closed by the caller)."""
        logged_out = False
        for agent_id in list(self.departures_held):
            agent = self.agents[agent_id]
            if agent.state is not _READY or (agent.pause_pending is None
                                             and not agent.logout_pending):
                del self.departures_held[agent_id]
            elif not self._promised(agent):
                del self.departures_held[agent_id]
                if agent.logout_pending:
                    agent.logout_pending, agent.pause_pending = False, None
                    self._set(agent, _LOGGED_OUT, at, "logout")
                    logged_out = True
                else:
                    reason, agent.pause_pending = agent.pause_pending or "", None
                    self._set(agent, _PAUSED, at, reason)
        return logged_out

    def _promised(self, agent: Agent) -> bool:
        """Is every ready agent of ``agent``'s switch promised to an outbound dial in
        flight (promises.py), so that this one leaving would leave a call nobody?"""
        return not self.lines.spare_ready(self.lane(agent.switch_id))

    def serve_unpromised(self, at: float) -> list[tuple[Agent, Work]]:
        """Queue work and campaign callbacks waiting while every ready agent was promised
        to an outbound dial in flight take the ready agents no longer promised (a dial
        ended without needing its agent), in the order of service; the pairs for the
        engine to act on. Asked before each pacing decision, so pacing never dials again
        for such an agent."""
        lines = self.lines
        if self.ring_all or not lines.spare_for_queues():
            return []
        served: list[tuple[Agent, Work]] = []
        for work in lines.held_by_promises(at):
            agent = lines.match(work)
            if agent is None:
                if not lines.spare_for_queues():
                    break
                continue
            self._reserve(agent, lines.take(work), at)
            served.append((agent, work))
        return served

    def _reserve(self, agent: Agent, work: Work, at: float) -> None:
        agent.call_id = work.work_id if work.kind is not _CALLBACK_WORK else None
        if work.queue is not None:
            self.lines.inbound.assigned(work, agent)
        self._set(agent, _RESERVED, at, _WORK_REASON[work.kind])
