"""The engine's agent side: agent events, callbacks and ring-all offers.

A part the engine (dialer/engine/engine.py) owns, kept apart so that each module has one
job: this one turns agent events into scheduler calls and acts on the assignments the
scheduler returns, and keeps each wrapping agent's talk time for the pacing policy's
handle-time estimate. Its own state is that talk time; it reads the pool, the calls, the
connector, the inbound router and the desk it is given, and asks the rest of the engine only
through ``AgentServices``. Customer calls live in call_flow.py, inbound queues in
inbound.py, desktop requests in desk.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dialer.commands import (
    AgentState,
    CloseAgentLeg,
    Command,
    Direction,
    OfferWork,
    OriginateAgentLeg,
)
from dialer.engine.agents import Agent
from dialer.engine.calls import Call, CallState, call_in_progress, transition
from dialer.engine.config import CampaignConfig
from dialer.engine.connector import Connector
from dialer.engine.desk import AgentDesk
from dialer.engine.inbound import InboundRouter
from dialer.engine.placement import SwitchPlacement
from dialer.engine.routed_verdicts import AwaitingWord, RoutedVerdicts
from dialer.engine.routing import Work, WorkKind
from dialer.engine.scheduler import AgentPool
from dialer.events import (
    AgentAccepted,
    AgentLegDown,
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallbackDue,
    CallDisposed,
)
from dialer.ports import DialTarget
from pacing_models.interface import PacingPolicy

S = CallState
_WRAP_UP = AgentState.WRAP_UP
"""Read once per connected call (``finish_wrap``): a module constant (see scheduler.py)."""


@dataclass(frozen=True, slots=True)
class AgentServices:
    """What the agent side may ask of the engine that owns it (and nothing more)."""

    emit: Callable[[Command], None]
    bridge: Callable[[Call, Agent, float], None]
    """Reserve ``agent``'s bridge to ``call`` (the call goes to ``bridging``; call_flow.py)."""
    send_bridge: Callable[[Call, float], None]
    """Send the bridge of a call in ``bridging`` whose legs are both parked now."""
    abandon: Callable[[Call, float], None]
    """No agent for the call now and it may not wait for one: the safe-harbour message."""
    dial: Callable[[DialTarget, float, Direction, str | None, str | None], Call | None]
    """(target, at, direction, callback_id, switch_id) → the call dialed, or None."""
    watch_leg: Callable[[str, float], None]
    """The agent's leg must come back to park soon (a deadline; call_flow.py)."""
    known_switch: Callable[[str], str]
    """The switch id, checked against the campaign's (``UnknownSwitchError``)."""
    switch_up: Callable[[str], bool]
    policy: Callable[[], PacingPolicy]
    """The campaign's pacing policy now (``Engine.policy``, which a retune or a driver may
    replace): it learns each handle time."""
    new_id: Callable[[], str]


class AgentWork:
    """Agent, callback and ring-all handling of one campaign.

    ``config`` is the campaign's current one (the engine sets it again when a supervisor
    retunes the campaign); the pacing policy is asked of the engine at each wrap-up's end
    (``AgentServices.policy``: a retune or a driver may replace the engine's); ``placement``
    (several switches) learns the handle times too.
    """

    def __init__(self, config: CampaignConfig, pool: AgentPool,
                 calls: dict[str, Call], connector: Connector, inbound: InboundRouter,
                 desk: AgentDesk, placement: SwitchPlacement | None,
                 services: AgentServices) -> None:
        self.config = config
        self.pool = pool
        self.calls = calls
        self.connector = connector
        self.inbound = inbound
        self.desk = desk
        self._placement = placement
        self._talk: dict[str, float] = {}
        """Agent → talk time of the call whose wrap-up is running (for observe_handle)."""
        self._machine_talk: set[str] = set()
        """Agents among ``_talk`` whose call was an answering machine (a policy with
        ``observe_machine_handle`` learns it apart from people's talk)."""
        self.routed = routed = RoutedVerdicts()
        """Routed machine verdicts whose call ended unconfirmed, kept while their agent
        wraps up for the agent's word (routed_verdicts.py): the pool tells it of every
        agent leaving wrap-up, whatever the path (``AgentPool.wrap_left``)."""
        pool.wrap_left = routed.wrap_over
        self._emit = services.emit
        self._bridge = services.bridge
        self._send_bridge = services.send_bridge
        self._abandon = services.abandon
        self._dial = services.dial
        self._watch_leg = services.watch_leg
        self._known_switch = services.known_switch
        self._switch_up = services.switch_up
        self._policy = services.policy
        self._new_id = services.new_id

    # --- inbound and callbacks --------------------------------------------------------------

    def on_callback_due(self, event: CallbackDue) -> None:
        target = event.target
        work = Work(
            WorkKind.CALLBACK, event.callback_id, event.at,
            customer_key=target.customer_key,
            previous_agent_id=target.previous_agent_id,
            required_agent_id=event.agent_id, payload=target,
        )
        agent = self.pool.submit(work, event.at)
        if agent is not None:
            self._start_callback(agent, work, event.at)
        elif self.pool.ring_all and work.required_agent_id is None:
            self.offer(work, event.at)

    def _start_callback(self, agent: Agent, work: Work, at: float) -> None:
        """Agent-first: the agent is reserved; now dial the customer for them."""
        if work.queue is not None:
            self.inbound.start_callback(agent, work, at)  # a queue callback
            return
        target = work.payload
        assert isinstance(target, DialTarget)
        call = self._dial(target, at, Direction.CALLBACK, work.work_id, agent.switch_id)
        if call is None:
            self.after_assignment(self.pool.unreserve(agent.agent_id, at, "callback refused"), at)
            return
        call.agent_id = agent.agent_id
        call.agent_first = True
        agent.call_id = call.call_id

    def after_assignment(self, assignment: tuple[Agent, Work] | None, at: float) -> None:
        """An agent freed up and the scheduler handed it waiting work: act on it."""
        if assignment is None:
            if self.pool.changes:
                self._close_legs_logged_out(at)  # a pending log-out may have applied
            return
        agent, work = assignment
        if work.kind is WorkKind.CALLBACK:
            self._start_callback(agent, work, at)
            return
        call = self.calls[work.work_id]
        if call.inbound is not None:
            self.inbound.before_bridge(call, at)
        self._bridge(call, agent, at)

    # --- ring-all offers ---------------------------------------------------------------------

    def offer(self, work: Work, at: float) -> None:
        agents = self.pool.lines.offer_targets(work)
        if agents:
            self._emit(OfferWork(at, work.work_id, work.kind.value, agents, work.deadline))

    def offer_to_newly_ready(self, at: float) -> None:
        pool = self.pool
        newly_ready, pool.newly_ready = pool.newly_ready, []
        for agent_id in newly_ready:
            if pool.agents[agent_id].state is not AgentState.READY:
                continue
            for work in pool.lines.offers_for(agent_id):
                self._emit(
                    OfferWork(at, work.work_id, work.kind.value, (agent_id,), work.deadline)
                )

    def on_agent_accepted(self, event: AgentAccepted) -> None:
        self.after_assignment(
            self.pool.accept(event.agent_id, event.work_id, event.at), event.at
        )

    # --- agents -----------------------------------------------------------------------------

    def on_agent_logged_in(self, event: AgentLoggedIn) -> None:
        agent = self.pool.login(
            event.agent_id, event.endpoint, event.skills, event.at, self._agent_switch(event)
        )
        if event.endpoint and agent.state is AgentState.CONNECTING and agent.leg_id is None:
            agent.leg_id = self._new_id()
            self.connector.leg_opened(agent.agent_id, agent.leg_id)
            self._emit(
                OriginateAgentLeg(
                    event.at, agent.agent_id, agent.leg_id, event.endpoint, agent.switch_id
                )
            )
        elif not event.endpoint:
            self.after_assignment(self.pool.offer(agent.agent_id, event.at), event.at)

    def _agent_switch(self, event: AgentLoggedIn) -> str:
        """Where the agent's leg goes: the phone's own switch, else the least staffed one.

        A real phone registers to one node, and the driver says which (``switch_id``);
        otherwise the up switch with the fewest logged-in agents (the first configured one
        on a tie, or when none is up) keeps the pools even.
        """
        if event.switch_id is not None:
            return self._known_switch(event.switch_id)
        switch_ids = self.config.switch_ids
        if len(switch_ids) == 1:
            return switch_ids[0]
        lanes = self.pool.lanes
        switch_up = self._switch_up
        candidates = [s for s in switch_ids if switch_up(s)] or list(switch_ids)
        return min(candidates, key=lambda s: lanes[s].logged_in)

    def on_agent_leg_up(self, event: AgentLegUp) -> None:
        """The agent's leg is parked (its first park, or back in park after a call)."""
        agent_id = event.agent_id
        if not self.connector.is_current_leg(agent_id, event.leg_id):
            return  # a report about a leg the agent no longer has
        call_id = self.connector.leg_parked(agent_id)
        if call_id is not None:
            call = call_in_progress(self.calls, call_id)
            if call is not None and call.state is S.BRIDGING:
                self._send_bridge(call, event.at)
        self.after_assignment(self.pool.leg_up(agent_id, event.at), event.at)

    def on_agent_leg_down(self, event: AgentLegDown) -> None:
        if not self.connector.is_current_leg(event.agent_id, event.leg_id):
            return  # an older leg of the agent (replaced after it got stuck) ended
        self.connector.leg_closed(event.agent_id)
        desk = self.desk
        if event.agent_id in desk.previews:
            desk.drop_preview(event.agent_id, event.at)
        consult = desk.consults.by_agent.get(event.agent_id)
        if consult is not None:
            desk.cancel(consult, event.at, "agent's phone hung up")
        call_id = self.pool.leg_down(event.agent_id, event.at, f"phone hung up: {event.cause.name}")
        call = call_in_progress(self.calls, call_id) if call_id else None
        if call is None or call.state is S.BRIDGED:
            return  # the customer leg ends too (hangup_after_bridge); the record keeps the agent
        call.agent_id = None
        if call.state is S.BRIDGING:
            # The bridge cannot complete: put the caller back in line, deadline unchanged.
            call.lost_bridge = event.agent_id
            self.connector.drop(call.call_id, keep_ready=True)
            self._requeue(call, event.at)

    def call_ended(self, agent_id: str, call_id: str, at: float, machine: bool) -> None:
        """The agent's connected call ended (``machine``: it was an answering machine):
        their wrap-up starts, its talk time kept for the policy at its end."""
        self._talk[agent_id] = self.pool.end_call(
            agent_id, call_id, at, self.config.wrap_up_timeout
        )
        if machine:
            self._machine_talk.add(agent_id)
        else:
            self._machine_talk.discard(agent_id)
        if self.config.wrap_up_timeout <= 0:
            self.finish_wrap(agent_id, at, "no wrap-up")

    def await_word(self, call: Call, at: float) -> None:
        """A routed machine verdict's call ended unconfirmed (``machine_to_free_agent``):
        its agent may still say it was a person, until their wrap-up ends."""
        agent = self.pool.agents.get(call.agent_id or "")
        if agent is not None and agent.state is _WRAP_UP and agent.call_id == call.call_id \
                and agent.wrap_deadline is not None and call.answered_at is not None:
            self.routed.keep(call.call_id, agent.agent_id, call.answered_at, at,
                             agent.wrap_deadline)

    def word(self, call_id: str, person: bool, at: float) -> AwaitingWord | None:
        """The agent's word on a routed verdict whose call has ended: the record it applies
        to, or None (ignored and counted). A person's wrap-up then ends as a person's
        handle, not a machine's (the policy learns the two apart)."""
        record = self.routed.confirm(call_id, person, at)
        if record is not None and person:
            agent = self.pool.agents.get(record.agent_id)
            if agent is not None and agent.state is _WRAP_UP and agent.call_id == call_id:
                # (A word at the instant the wrap-up ran out finds it already reported as
                # a machine's handle: one handle, the safe side; routed_verdicts.py.)
                self._machine_talk.discard(record.agent_id)
        return record

    def hand_off(self, agent: Agent, call: Call, at: float) -> None:
        """The agent's part of the call is over (transfer): wrap-up starts, and their leg
        must come back to park (its park_after_bridge) before it takes another call."""
        self._talk[agent.agent_id] = self.pool.end_call(
            agent.agent_id, call.call_id, at, self.config.wrap_up_timeout)
        self._watch_leg(agent.agent_id, at)
        if self.config.wrap_up_timeout <= 0:
            self.finish_wrap(agent.agent_id, at, "no wrap-up")

    def _requeue(self, call: Call, at: float) -> None:
        if call.bridged_at is not None and call.direction is not Direction.INBOUND:
            # A transferred customer who already talked to an agent: no connect window
            # applies, they wait for the next agent in line (desk.py).
            self.desk.queue_again(call, at, queue=call.queue, agent_id=None)
            return
        if call.inbound is not None:
            self.inbound.requeue(call, at)  # back to the caller's place in the line
            return
        if call.routed is not None:
            # A machine verdict sent to a free agent never waits in a queue
            # (``machine_to_free_agent``): the safe-harbour message, as at its deadline.
            self._abandon(call, at)
            return
        transition(call, S.WAITING_AGENT, "agent lost")
        work = Work(
            WorkKind.OUTBOUND, call.call_id, at, deadline=call.deadline,
            switch_id=call.switch_id,
        )
        agent = self.pool.submit(work, at)
        if agent is not None:
            self._bridge(call, agent, at)

    def on_agent_ready(self, event: AgentReady) -> None:
        self.after_assignment(self.pool.set_ready(event.agent_id, event.at), event.at)

    def apply_held(self, at: float) -> None:
        """The pauses and log-outs held for a promise (``agent_guaranteed``) whose agent is
        now spare apply (``AgentPool.apply_held``); a log-out closes the phone leg."""
        if self.pool.apply_held(at):
            self._close_legs_logged_out(at)

    def _close_legs_logged_out(self, at: float) -> None:
        """Close the phone leg of an agent a pending log-out (asked during a call) has just
        logged out, as a log-out at once does: else the dialer keeps the agent's phone
        connected, and their next login, seeing a leg, calls nobody (stays connecting)."""
        for change in self.pool.changes:
            if change.state is AgentState.LOGGED_OUT:
                agent = self.pool.agents[change.agent_id]
                if agent.state is AgentState.LOGGED_OUT and agent.leg_id:
                    leg_id, agent.leg_id = agent.leg_id, None
                    self.connector.leg_closed(agent.agent_id)
                    self._emit(CloseAgentLeg(at, agent.agent_id, leg_id))

    def on_agent_paused(self, event: AgentPaused) -> None:
        self.pool.pause(event.agent_id, event.reason, event.at)

    def on_agent_logged_out(self, event: AgentLoggedOut) -> None:
        if event.agent_id in self.desk.previews:
            # The lead goes back undialed, and the agent is not handed other work first.
            self.pool.agent(event.agent_id).logout_pending = True
            self.desk.drop_preview(event.agent_id, event.at)
        agent = self.pool.agent(event.agent_id)
        leg_id = agent.leg_id
        logged_out = self.pool.logout(event.agent_id, event.at)
        if logged_out and leg_id:
            agent.leg_id = None
            self.connector.leg_closed(agent.agent_id)
            self._emit(CloseAgentLeg(event.at, agent.agent_id, leg_id))

    def on_call_disposed(self, event: CallDisposed) -> None:
        self.finish_wrap(event.agent_id, event.at, f"disposition: {event.disposition}")

    def finish_wrap(self, agent_id: str, at: float, reason: str) -> None:
        agent = self.pool.agents.get(agent_id)
        if agent is None:
            return
        in_wrap_up = agent.state is _WRAP_UP
        wrap, assignment = self.pool.finish_wrap(agent_id, at, reason)
        if in_wrap_up:
            talk = self._talk.pop(agent_id, 0.0)
            self.inbound.observe_handle(agent_id, talk + wrap)
            policy = self._policy  # read, then called (not an unspecialised LOAD_METHOD)
            policy = policy()
            machine = getattr(policy, "observe_machine_handle", None) \
                if agent_id in self._machine_talk else None
            if machine is not None:
                machine(talk, wrap, at)  # interface.MachineObserver
            else:
                policy.observe_handle(talk, wrap, at)
            if self._placement is not None:
                self._placement.observe_handle(talk + wrap)
        self._machine_talk.discard(agent_id)
        self.after_assignment(assignment, at)
