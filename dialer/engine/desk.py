"""The engine's agent-desktop requests: hold, transfers, consultations, preview, eavesdrop.

A part the engine (dialer/engine/engine.py) owns and routes these events to, with its own
state (the consultations and the leads on preview) and a narrow interface to the rest
(``DeskServices``); the consultations of attended transfers are their own object
(``Consults``) with their own state machine written as a table. Requests arrive as events
from the runner's control socket (``dialer web``); the runner checks them first and answers
the user, so a request the engine still cannot honour here (the call ended in between) is
dropped with an ``AgentNotice``, never half-done.

Switch primitives (FreeSWITCH, checked against the real capture 11-show-and-uuid-commands):
hold is ``uuid_hold`` on the customer leg (the bridge stays up); a transfer to a queue or an
agent parks the customer (``uuid_park``; the agent's leg parks by itself, it has
``park_after_bridge``) and the scheduler bridges it to the next agent as usual (a queue
transfer joins that queue through the inbound router, ``InboundRouter.transfer``, with the
queue's configuration); a transfer to
a number is ``uuid_transfer ... bridge:... inline``; a consultation parks the customer,
bridges the agent's leg to the consulted party, and completing it bridges the customer to
that party (``uuid_bridge``), cancelling it bridges the customer back to the agent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dialer.commands import (
    AgentNotice,
    AgentState,
    Bridge,
    BridgeLegs,
    Command,
    Direction,
    Eavesdrop,
    Hangup,
    HoldCall,
    OriginateConsult,
    ParkCall,
    PreviewLead,
    ReleaseLead,
    TransferOut,
)
from dialer.engine.agents import Agent
from dialer.engine.calls import Call, CallState, call_in_progress, transition
from dialer.engine.config import SETUP_ALLOWANCE, CampaignConfig, switch_ring_timeout
from dialer.engine.connector import Connector
from dialer.engine.inbound import InboundRouter
from dialer.engine.queues import QueueSet
from dialer.engine.routing import Work, WorkKind
from dialer.engine.scheduler import AgentPool
from dialer.errors import IllegalTransitionError
from dialer.events import (
    CallAnswered,
    CallBridged,
    CallHungUp,
    CallParked,
    CallRinging,
    ConsultFinished,
    ConsultRequested,
    EavesdropRequested,
    HoldRequested,
    OriginateFailed,
    PreviewDecided,
    TransferRequested,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget, LeadSource

S = CallState
E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")
TRANSFER_KINDS = ("queue", "agent", "number")
CONSULT_KINDS = ("agent", "number")
EAVESDROP_MODES = ("listen", "whisper", "barge")
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")


def queue_problem(queues: QueueSet, name: str, at: float) -> str | None:
    """Why a call cannot be sent to queue ``name`` now (None: it can). A queue the campaign
    does not serve is refused, never made up: its members, strategy and hours are the
    queue's configuration, and a caller parked in a line nobody is configured for waits
    for ever."""
    if not _QUEUE_NAME.match(name):
        return f"{name!r} is not a queue name"
    if name not in queues:
        served = ", ".join(q.name for q in queues) or "none"
        return f"queue {name!r} is not served by this campaign (served: {served})"
    if not queues.get(name).is_open(at):
        return f"queue {name!r} is closed now"
    return None


class ConsultState(StrEnum):
    DIALING = "dialing"
    """The outside party is being called; the customer waits parked."""
    TALKING = "talking"
    """The agent talks with the consulted party."""
    DONE = "done"


C = ConsultState
CONSULT_TRANSITIONS: dict[ConsultState, frozenset[ConsultState]] = {
    C.DIALING: frozenset({C.TALKING, C.DONE}),
    C.TALKING: frozenset({C.DONE}),
    C.DONE: frozenset(),
}


class Consult:
    """One attended transfer in progress."""

    __slots__ = ("agent_id", "call_id", "dialed_at", "kind", "leg_id", "ring_timeout",
                 "ringing_at", "state", "target", "target_agent")

    def __init__(self, agent_id: str, call_id: str, kind: str, target: str) -> None:
        self.agent_id = agent_id
        self.call_id = call_id
        self.kind = kind
        self.target = target
        self.state = C.DIALING
        self.leg_id: str | None = None
        """The outside party's channel (kind ``number``)."""
        self.target_agent: str | None = None
        """The consulted agent (kind ``agent``), reserved for the consultation."""
        self.dialed_at: float | None = None
        """When the outside party's leg was dialed (kind ``number``)."""
        self.ringing_at: float | None = None
        """When its switch first reported it ringing (``CallRinging``)."""
        self.ring_timeout = 0.0
        """The ring time it was dialed with (a retune meanwhile does not change it: its
        switch's backstop was set from it)."""

    def move(self, state: ConsultState) -> None:
        if state not in CONSULT_TRANSITIONS[self.state]:
            raise IllegalTransitionError(
                f"consultation of {self.agent_id}: {self.state.value} -> {state.value}")
        self.state = state


class Consults:
    """The attended transfers in progress, by consulting agent and by outside leg."""

    def __init__(self) -> None:
        self.by_agent: dict[str, Consult] = {}
        self.by_leg: dict[str, Consult] = {}

    def start(self, consult: Consult) -> None:
        self.by_agent[consult.agent_id] = consult
        if consult.leg_id is not None:
            self.by_leg[consult.leg_id] = consult

    def finish(self, consult: Consult) -> None:
        if consult.state is not C.DONE:
            consult.move(C.DONE)
        self.by_agent.pop(consult.agent_id, None)
        if consult.leg_id is not None:
            self.by_leg.pop(consult.leg_id, None)

    def of_call(self, call_id: str) -> Consult | None:
        for consult in self.by_agent.values():
            if consult.call_id == call_id:
                return consult
        return None


@dataclass(frozen=True, slots=True)
class DeskServices:
    """What the desk may ask of the engine that owns it (and nothing more)."""

    emit: Callable[[Command], None]
    bridge: Callable[[Call, Agent, float], None]
    """Reserve ``agent``'s bridge to ``call`` (the call goes to ``bridging``)."""
    offer: Callable[[Work, float], None]
    after_assignment: Callable[[tuple[Agent, Work] | None, float], None]
    hand_off: Callable[[Agent, Call, float], None]
    """The agent's part of the call is over: their wrap-up starts, their leg must park."""
    dial: Callable[[DialTarget, float, Direction, str | None, str | None], Call | None]
    """(target, at, direction, callback_id, switch_id) → the call dialed, or None."""
    new_id: Callable[[], str]


class AgentDesk:
    """The agent-desktop requests of one campaign: hold, transfers, consultations, preview
    and eavesdrop, with the consultations and the previewed leads as its own state.

    Owned by the engine like ``AgentPool`` and ``InboundRouter``: it reads the pool, the
    calls, the connector and the inbound router it is given, and acts on the engine only
    through ``DeskServices``. ``config`` is the campaign's current configuration (the
    engine sets it again when a supervisor retunes the campaign).
    """

    def __init__(self, config: CampaignConfig, pool: AgentPool, calls: dict[str, Call],
                 connector: Connector, inbound: InboundRouter, leads: LeadSource,
                 services: DeskServices) -> None:
        self.config = config
        self.pool = pool
        self.calls = calls
        self.connector = connector
        self.inbound = inbound
        self.leads = leads
        self.consults = Consults()
        """Attended transfers in progress."""
        self.previews: dict[str, DialTarget] = {}
        """Preview dialing: agent → the lead on their screen, waiting for dial or skip."""
        self._emit = services.emit
        self._bridge = services.bridge
        self._offer = services.offer
        self._after_assignment = services.after_assignment
        self._hand_off = services.hand_off
        self._dial = services.dial
        self._new_id = services.new_id

    # --- helpers ------------------------------------------------------------------------------

    def _notice(self, agent_id: str, at: float, text: str) -> None:
        self._emit(AgentNotice(at, agent_id, text))

    def _connected_call(self, agent_id: str, at: float) -> tuple[Agent, Call] | None:
        """The agent and the customer they are talking to, or a notice why not."""
        agent = self.pool.agents.get(agent_id)
        call = call_in_progress(self.calls, agent.call_id) if agent and agent.call_id else None
        if agent is None or agent.state is not AgentState.ON_CALL or call is None \
                or call.state is not S.BRIDGED:
            self._notice(agent_id, at, "no connected call to act on")
            return None
        if agent_id in self.consults.by_agent:
            self._notice(agent_id, at, "finish the consultation first")
            return None
        return agent, call

    def _take_off_hold(self, call: Call, at: float) -> None:
        if call.held_since is not None:
            call.hold_seconds += at - call.held_since
            call.held_since = None

    def _park(self, call: Call, at: float) -> None:
        """Take the customer out of their bridge; a new bridge waits for their leg to be
        parked again (CallParked), like any bridge (connector.py)."""
        self.connector.forget_call(call.call_id)
        self._emit(ParkCall(at, call.call_id))

    # --- hold -----------------------------------------------------------------------------------

    def on_hold(self, event: HoldRequested) -> None:
        found = self._connected_call(event.agent_id, event.at)
        if found is None:
            return
        _, call = found
        if (call.held_since is not None) == event.held:
            return
        if event.held:
            call.held_since = event.at
        else:
            self._take_off_hold(call, event.at)
        self._emit(HoldCall(event.at, call.call_id, event.held))

    # --- blind transfer ----------------------------------------------------------------------

    def on_transfer(self, event: TransferRequested) -> None:
        at = event.at
        found = self._connected_call(event.agent_id, at)
        if found is None:
            return
        agent, call = found
        kind, target = event.kind, event.target
        problem = self._transfer_problem(agent, kind, target, TRANSFER_KINDS, at)
        if problem:
            self._notice(agent.agent_id, at, problem)
            return
        self._take_off_hold(call, at)
        call.transferred_to = f"{kind}:{target}"
        if kind == "number":
            transition(call, S.TRANSFERRED, "blind transfer")
            self._hand_off(agent, call, at)
            call.agent_id = None  # no agent of ours has it any more
            self._emit(TransferOut(at, call.call_id, target))
            return
        self._park(call, at)
        self._hand_off(agent, call, at)
        if kind == "queue":
            # The queue's own configuration decides (strategy, members, skill levels,
            # priority rules, aging; announcements for a caller), as for a menu's choice.
            self.inbound.transfer(call, target, at)
            return
        self.queue_again(call, at, queue=call.queue, agent_id=target)

    def _transfer_problem(self, agent: Agent, kind: str, target: str,
                          kinds: tuple[str, ...], at: float) -> str | None:
        if kind not in kinds:
            return f"cannot transfer to a {kind!r} (choose {', '.join(kinds)})"
        if kind == "number" and not E164.match(target):
            return f"{target!r} is not an E.164 number like +12015550123"
        if kind == "queue":
            return queue_problem(self.inbound.queues, target, at)
        if kind == "agent":
            other = self.pool.agents.get(target)
            if target == agent.agent_id:
                return "that is you"
            if other is None or other.state is AgentState.LOGGED_OUT:
                return f"agent {target!r} is not logged in"
            if other.switch_id != agent.switch_id:
                return f"agent {target!r} is on another switch"
        return None

    def queue_again(self, call: Call, at: float, *, queue: str | None,
                     agent_id: str | None) -> None:
        """The parked customer waits for the next agent (or for ``agent_id``)."""
        transition(call, S.QUEUED, "transfer")
        call.queue = queue
        call.agent_id = None
        call.deadline = None  # connected before: no connect window, never an abandon
        work = Work(WorkKind.INBOUND, call.call_id, at, customer_key=call.customer_key,
                    required_agent_id=agent_id, switch_id=call.switch_id)
        agent = self.pool.submit(work, at)
        if agent is not None:
            self._bridge(call, agent, at)
        elif self.pool.ring_all and agent_id is None:
            self._offer(work, at)

    # --- attended transfer ---------------------------------------------------------------------

    def on_consult(self, event: ConsultRequested) -> None:
        at = event.at
        found = self._connected_call(event.agent_id, at)
        if found is None:
            return
        agent, call = found
        kind, target = event.kind, event.target
        problem = self._transfer_problem(agent, kind, target, CONSULT_KINDS, at)
        if problem is None and kind == "agent" \
                and self.pool.agents[target].state is not AgentState.READY:
            problem = f"agent {target!r} is not ready"
        if problem:
            self._notice(agent.agent_id, at, problem)
            return
        consult = Consult(agent.agent_id, call.call_id, kind, target)
        self._take_off_hold(call, at)
        self._park(call, at)
        transition(call, S.PARKED, "consultation")
        call.held_since = at
        if kind == "agent":
            work = Work(WorkKind.CONSULT, f"consult:{agent.agent_id}", at,
                        required_agent_id=target, switch_id=call.switch_id)
            other = self.pool.submit(work, at)
            assert other is not None  # checked ready above
            consult.target_agent = target
            consult.move(C.TALKING)
            self.connector.busy_legs.add(target)  # bridged to the consulting agent's leg
            self._emit(BridgeLegs(at, self._leg_of(agent), self._leg_of(other)))
        else:
            consult.leg_id = self._new_id()
            config = self.config
            consult.dialed_at, consult.ring_timeout = at, config.ring_timeout
            # The switch's originate_timeout runs from the originate, set-up included: it
            # gets the campaign calls' backstop, and ``end_rung_consults`` ends the leg
            # after the ring time (docs/compliance.md, "Ring time").
            self._emit(OriginateConsult(
                at, consult.leg_id, agent.agent_id, target, config.caller_id_number,
                config.caller_id_name,
                switch_ring_timeout(config.ring_timeout, config.rings_from_dial,
                                    config.decision_interval), call.switch_id))
        self.consults.start(consult)

    def on_consult_finished(self, event: ConsultFinished) -> None:
        consult = self.consults.by_agent.get(event.agent_id)
        if consult is None:
            self._notice(event.agent_id, event.at, "no consultation in progress")
            return
        if event.complete and consult.state is not C.TALKING:
            self._notice(event.agent_id, event.at, "the consulted party has not answered yet")
            return
        if event.complete:
            self._complete(consult, event.at)
        else:
            self.cancel(consult, event.at)

    def _complete(self, consult: Consult, at: float) -> None:
        call = self.calls[consult.call_id]
        agent = self.pool.agents[consult.agent_id]
        self._take_off_hold(call, at)
        self.consults.finish(consult)
        self._hand_off(agent, call, at)
        call.transferred_to = f"{consult.kind}:{consult.target}"
        if consult.kind == "number":
            transition(call, S.TRANSFERRED, "attended transfer")
            call.agent_id = None
            self._emit(BridgeLegs(at, call.call_id, consult.leg_id or ""))
            return
        other = self.pool.agents[consult.target_agent or ""]
        transition(call, S.BRIDGING, "attended transfer")
        call.agent_id = other.agent_id
        other.call_id = call.call_id
        # Straight to the consulted agent's leg, which is bridged (not parked): the switch
        # moves it (uuid_bridge), and the consulting agent's leg goes back to park.
        self._emit(Bridge(at, call.call_id, other.agent_id, self._leg_of(other)))

    def cancel(self, consult: Consult, at: float, why: str = "consultation cancelled") -> None:
        """The customer goes back to the consulting agent; the consulted party is let go."""
        call = self.calls.get(consult.call_id)
        self.consults.finish(consult)
        self._release_consulted(consult, at, why)
        agent = self.pool.agents.get(consult.agent_id)
        if call is None or call.state is not S.PARKED:
            return
        self._take_off_hold(call, at)
        if agent is None or agent.state is not AgentState.ON_CALL or agent.leg_id is None:
            self.queue_again(call, at, queue=call.queue, agent_id=None)
            return
        transition(call, S.BRIDGING, why)
        self._emit(Bridge(at, call.call_id, agent.agent_id, self._leg_of(agent)))

    def _leg_of(self, agent: Agent) -> str:
        return self.connector.leg_ids.get(agent.agent_id) or agent.leg_id or ""

    def _release_consulted(self, consult: Consult, at: float, why: str,
                           customer_gone: bool = False) -> None:
        if consult.leg_id is not None:
            self._emit(Hangup(at, consult.leg_id, HangupCause.NORMAL_CLEARING))
        if consult.target_agent is not None and customer_gone:
            # The two agents' legs are bridged to each other: park one, both go back to
            # park (the other by its park_after_bridge).
            agent = self.pool.agents.get(consult.agent_id)
            if agent is not None and self._leg_of(agent):
                self._emit(ParkCall(at, self._leg_of(agent)))
        if consult.target_agent is not None:
            other = self.pool.agents.get(consult.target_agent)
            if other is not None and other.state is AgentState.RESERVED:
                self._after_assignment(self.pool.unreserve(other.agent_id, at, why), at)

    def on_consult_leg(self, event: object) -> None:
        """Events of an outside party's leg (``Consults.by_leg``)."""
        leg_id: str = event.call_id  # type: ignore[attr-defined]
        consult = self.consults.by_leg[leg_id]
        at: float = event.at  # type: ignore[attr-defined]
        if isinstance(event, CallAnswered | CallParked):
            consult.dialed_at = None  # answered: its ring time is over, nothing to end
        if consult.state is C.DIALING and (
                isinstance(event, CallParked)
                or (isinstance(event, CallAnswered) and event.bridgeable)):
            # Answered and parked: the originate has returned, a bridge is safe now.
            agent = self.pool.agents.get(consult.agent_id)
            if agent is not None and self._leg_of(agent):
                self._emit(Bridge(at, leg_id, agent.agent_id, self._leg_of(agent)))
        elif isinstance(event, CallBridged) and consult.state is C.DIALING:
            consult.move(C.TALKING)
        elif isinstance(event, CallRinging) and consult.ringing_at is None:
            consult.ringing_at = at
        elif isinstance(event, CallHungUp | OriginateFailed):
            consult.leg_id = None  # gone: nothing to hang up
            self.consults.by_leg.pop(leg_id, None)
            if consult.state is not C.DONE:
                self._notice(consult.agent_id, at, "the consulted party hung up")
                self.cancel(consult, at, "consulted party hung up")

    def end_rung_consults(self, now: float) -> None:
        """End the outside parties' legs unanswered after the ring time, at a decision, as
        ``Dialing.end_rung_calls`` ends campaign calls: ``ring_timeout`` after the ringing
        the switch reported, or ``ring_timeout + SETUP_ALLOWANCE`` after the dial while
        none is reported; the agent is told and takes the customer back. The switch's
        ``originate_timeout`` (run from the originate, set-up included: capture 04a) is
        only the backstop. Before 2026-12-07 it was the ring time itself, so a slow
        set-up left the consulted phone ringing less than the ring time the campaign set.
        Not for a driver whose calls ring from the dial: its switch's timeout is exact."""
        if self.config.rings_from_dial:
            return
        for consult in list(self.consults.by_leg.values()):
            dialed = consult.dialed_at
            if dialed is None or consult.state is not C.DIALING:
                continue
            ring, rang = consult.ring_timeout, consult.ringing_at
            if (now - dialed < ring + SETUP_ALLOWANCE) if rang is None else (now - rang < ring):
                continue
            self._notice(consult.agent_id, now,
                         f"{consult.target} did not answer in {ring:g} s of ringing")
            self.cancel(consult, now, "consulted party did not answer")

    def end_handed_on(self, call: Call, state: CallState, at: float) -> None:
        """A customer who had an agent left while parked, queued or being bridged again."""
        consult = self.consults.of_call(call.call_id)
        if consult is not None:
            self.consults.finish(consult)
            self._release_consulted(consult, at, "customer hung up", customer_gone=True)
        if state is S.PARKED and call.agent_id is not None:
            agent = self.pool.agents.get(call.agent_id)
            if agent is not None and agent.state is AgentState.ON_CALL \
                    and agent.call_id == call.call_id:
                self._hand_off(agent, call, at)
        elif state is S.QUEUED:
            self.pool.lines.cancel(call.call_id)
        elif state is S.BRIDGING and call.agent_id is not None:
            agent = self.pool.agents.get(call.agent_id)
            if agent is not None and agent.state is AgentState.ON_CALL \
                    and agent.call_id == call.call_id:
                self._hand_off(agent, call, at)  # taking the customer back after a consult
            else:
                self._after_assignment(self.pool.unreserve(call.agent_id, at, "caller left"),
                                       at)

    # --- preview dialing -------------------------------------------------------------------------

    def offer_previews(self, now: float) -> None:
        """Preview dialing: every ready agent without a lead on screen is shown one."""
        pool = self.pool
        for agent_id in list(pool.ready):
            targets = self.leads.next_leads(1, now)
            if not targets:
                return
            target = targets[0]
            work = Work(WorkKind.PREVIEW, f"preview:{target.lead_id}", now,
                        required_agent_id=agent_id, payload=target,
                        switch_id=pool.agents[agent_id].switch_id)
            pool.submit(work, now)
            self.previews[agent_id] = target
            self._emit(PreviewLead(now, agent_id, work.work_id, target.lead_id,
                                         target.number_e164))

    def on_preview_decided(self, event: PreviewDecided) -> None:
        at = event.at
        target = self.previews.pop(event.agent_id, None)
        agent = self.pool.agents.get(event.agent_id)
        if target is None or agent is None or agent.state is not AgentState.RESERVED:
            self._notice(event.agent_id, at, "no lead to preview")
            return
        if not event.dial:
            self._skip_preview(agent, target, at, "skipped by agent")
            return
        call = self._dial(target, at, Direction.OUTBOUND, None, agent.switch_id)
        if call is None:
            self._notice(agent.agent_id, at, "this lead may not be dialed now")
            self._after_assignment(self.pool.unreserve(agent.agent_id, at, "preview refused"),
                                   at)
            return
        call.agent_id = agent.agent_id
        call.agent_first = True
        agent.call_id = call.call_id

    def _skip_preview(self, agent: Agent, target: DialTarget, at: float, why: str) -> None:
        self.leads.release(target.lead_id)
        self._emit(ReleaseLead(at, target.lead_id, "preview skipped"))
        self._after_assignment(self.pool.unreserve(agent.agent_id, at, why), at)

    def drop_preview(self, agent_id: str, at: float) -> None:
        """The agent logs out or loses their phone with a lead on screen: it goes back."""
        target = self.previews.pop(agent_id, None)
        agent = self.pool.agents.get(agent_id)
        if target is not None and agent is not None:
            self._skip_preview(agent, target, at, "preview abandoned")

    # --- supervisor -------------------------------------------------------------------------------

    def on_eavesdrop(self, event: EavesdropRequested) -> None:
        agent = self.pool.agents.get(event.agent_id)
        if agent is None or agent.leg_id is None or agent.state is AgentState.LOGGED_OUT \
                or event.mode not in EAVESDROP_MODES:
            return
        self._emit(Eavesdrop(event.at, self._new_id(), event.supervisor, event.endpoint,
                                   agent.leg_id, event.mode, agent.switch_id))

