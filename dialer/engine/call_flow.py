"""The engine's customer-call side: answer, classification, bridge, abandon, and the end.

A part the engine (dialer/engine/engine.py) owns, kept apart so that each module has one
job: this one follows a customer call from its answer to its ``AttemptFinished``, keeping the
abandonment ledger to the legal count on the way. Its own state is what that count needs
beyond the ledger: the abandons charged to AMD (``amd_abandons``, which pacing reads) and the
AMD false-positive estimate not yet charged as a whole abandon. It reads the collaborators it
is given (the calls and the lines in flight, the pool, the ledger, the watch, the connector,
the recorder, the inbound router, the desk, the switch waits, the agent side, the placement,
gateways and gate) and writes its commands to ``out``, the engine's command list (the engine
hands it each new one); the policy is the engine's, set here whenever it changes. Dialing
lives in dialing.py, agents in agent_work.py, the entry points and timers in engine.py.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from dialer.commands import (
    AgentState,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Command,
    Direction,
    Hangup,
    Incident,
    IncidentKind,
    LiveAnswerConfirmed,
    PlayMessage,
    RecordOptOut,
)
from dialer.engine.agent_work import AgentWork
from dialer.engine.agents import Agent
from dialer.engine.calls import Call, CallState, RoutedVerdict, transition
from dialer.engine.config import CampaignConfig, MachineAction
from dialer.engine.connector import Connector
from dialer.engine.desk import AgentDesk
from dialer.engine.gateways import GatewayRouter
from dialer.engine.inbound import InboundRouter
from dialer.engine.ledger import AbandonLedger
from dialer.engine.placement import SwitchPlacement
from dialer.engine.recordings import Recorder
from dialer.engine.routing import Work, outbound_work
from dialer.engine.scheduler import AgentPool
from dialer.engine.switch_waits import SwitchWaits
from dialer.engine.watch import Wait, Watch
from dialer.events import (
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    CallParked,
    CallRinging,
    DtmfReceived,
    OriginateFailed,
    PlaybackFinished,
)
from dialer.hangup import SWITCH_REFUSALS, DialOutcome, HangupCause, HangupSide, dial_outcome
from dialer.ports import ComplianceGate, GateVerdict
from pacing_models.interface import AttemptResult, PacingPolicy
from pacing_models.records import builder, is_native

# Enum members read on the per-attempt path are module constants: in CPython 3.11 reading
# ``Enum.MEMBER`` passes through EnumType.__getattr__'s slow attribute hook, some 860
# instructions against about 20 for a global (docs/engine.md, "Fourth step").
_DIALING, _RINGING, _ANSWERED, _WAITING_AGENT = (
    CallState.DIALING, CallState.RINGING, CallState.ANSWERED, CallState.WAITING_AGENT)
_BRIDGING, _BRIDGED, _ABANDONED, _MACHINE, _ENDED = (
    CallState.BRIDGING, CallState.BRIDGED, CallState.ABANDONED, CallState.MACHINE,
    CallState.ENDED)
_HUMAN_KIND, _MACHINE_KIND, _UNKNOWN_KIND = AnswerKind.HUMAN, AnswerKind.MACHINE, \
    AnswerKind.UNKNOWN
_OUTBOUND, _INBOUND, _CALLBACK = Direction.OUTBOUND, Direction.INBOUND, Direction.CALLBACK
_LIVE_RESULT, _MACHINE_RESULT, _BUSY_RESULT, _NO_ANSWER_RESULT, _FAILED_RESULT = (
    AttemptResult.LIVE, AttemptResult.MACHINE, AttemptResult.BUSY, AttemptResult.NO_ANSWER,
    AttemptResult.FAILED)
_CONNECTED_OUTCOME, _ABANDONED_OUTCOME, _HUNG_UP_ANSWERED_OUTCOME = (
    CallOutcome.CONNECTED, CallOutcome.ABANDONED, CallOutcome.HUNG_UP_ANSWERED)
_MACHINE_OUTCOME, _MACHINE_MESSAGE_OUTCOME, _OPTED_OUT_OUTCOME = (
    CallOutcome.MACHINE, CallOutcome.MACHINE_MESSAGE, CallOutcome.OPTED_OUT)
_BUSY_OUTCOME, _NO_ANSWER_OUTCOME, _FAILED_OUTCOME = (
    CallOutcome.BUSY, CallOutcome.NO_ANSWER, CallOutcome.FAILED)
_BRIDGE_WAIT, _CLASSIFY_WAIT = Wait.BRIDGE, Wait.CLASSIFY
_RESERVED_AGENT = AgentState.RESERVED
_NORMAL_CLEARING, _LEAVE_MESSAGE = HangupCause.NORMAL_CLEARING, MachineAction.LEAVE_MESSAGE
_UNCONFIRMED = RoutedVerdict.UNCONFIRMED
_UNKNOWN_SIDE = HangupSide.UNKNOWN
MESSAGE_START_WAIT = 3.0
"""Seconds for the switch to report the safe-harbour message playing (or failing)."""
MESSAGE_END_WAIT = 180.0
"""Seconds after which a call hearing a message (abandoned, or a machine's voicemail drop)
is hung up: no recorded message is longer, and nothing else would end a silent one."""
LEG_PARK_WAIT = 5.0
"""Seconds for an agent's leg to return to park after its call (FreeSWITCH takes ~20 ms)."""
_NOT_ANSWERED_OUTCOME = {
    DialOutcome.BUSY: (_BUSY_OUTCOME, _BUSY_RESULT),
    DialOutcome.NO_ANSWER: (_NO_ANSWER_OUTCOME, _NO_ANSWER_RESULT),
}
_FAILED = (_FAILED_OUTCOME, _FAILED_RESULT)
_UNANSWERED = {cause: _NOT_ANSWERED_OUTCOME.get(dial_outcome(cause), _FAILED)
               for cause in HangupCause}
"""(record outcome, pacing result) of a call that ended before any answer, by cause."""
_NOT_INBOUND = {"queued_at": None, "estimated_wait": None, "overflowed_from": None,
                "ivr_keys": "", "failed_over_to": None}
_outbound_finished = builder(AttemptFinished, **_NOT_INBOUND)
"""One per attempt that was not inbound: built from its other fields in their order
(pacing_models/records.py), the inbound ones and ``failed_over_to`` empty. (With all 32
fields a call is compiled to ``f(*args)``, at a second evaluation loop's price.)"""
_unanswered_finished = builder(
    AttemptFinished, **_NOT_INBOUND, answered_at=None, bridged_at=None, agent_id=None,
    gateway=None, recording_started_at=None, recording_consent="", recording_pauses=())
"""``_end_unanswered``'s: no answer, no agent, the default route, no recording started."""


def _outbound_record(at, call_id, campaign, direction, outcome, cause, lead_id,  # type: ignore[no-untyped-def]
                     number_e164, attempt_number, dialed_at, answered_at, bridged_at,
                     ended_at, answer_kind, abandoned, agent_id, recording_path, opted_out,
                     callback_id, queue, message, caller_id, gateway, recording_started_at,
                     recording_consent, recording_pauses, message_started_at, hangup_side):
    """``_outbound_finished`` of the compiled engine: the same record, built by a compiled
    call of the native class (its builder of fixed fields is Python a native class's
    compiled ``__init__`` is called from: an interpreted frame per attempt)."""
    return AttemptFinished(
        at, call_id, campaign, direction, outcome, cause, lead_id, number_e164,
        attempt_number, dialed_at, answered_at, bridged_at, ended_at, answer_kind, abandoned,
        agent_id, recording_path, opted_out, callback_id, queue, None, None, None, "",
        message, caller_id, gateway, None, recording_started_at, recording_consent,
        recording_pauses, message_started_at, hangup_side)


def _unanswered_record(at, call_id, campaign, direction, outcome, cause, lead_id,  # type: ignore[no-untyped-def]
                       number_e164, attempt_number, dialed_at, ended_at, answer_kind,
                       abandoned, recording_path, opted_out, callback_id, queue, message,
                       caller_id, message_started_at, hangup_side):
    """``_unanswered_finished`` of the compiled engine (see ``_outbound_record``)."""
    return AttemptFinished(
        at, call_id, campaign, direction, outcome, cause, lead_id, number_e164,
        attempt_number, dialed_at, None, None, ended_at, answer_kind, abandoned, None,
        recording_path, opted_out, callback_id, queue, None, None, None, "", message,
        caller_id, None, None, None, "", (), message_started_at, hangup_side)


if is_native(AttemptFinished):
    _outbound_finished, _unanswered_finished = _outbound_record, _unanswered_record
_bridge_command, _hangup_command = builder(Bridge), builder(Hangup)
"""One per connected call, one per machine answer hung up: built the same way."""
_MESSAGE_RECORD = {"sent": "unconfirmed", "played": "started", "completed": "played",
                   "cut_off": "cut_off", "failed": "failed"}
"""The engine's message states as the attempt records them (``AttemptFinished.message``)."""


@dataclass(frozen=True, slots=True)
class CallFlowServices:
    """What the call flow may ask of the parts the engine owns (and nothing more)."""

    fail_over: Callable[[Call, float, HangupCause], bool]
    """A carrier's refusal on a gateway: the attempt goes on through another one, within
    the ring budget (``Dialing.fail_over``)."""
    after_assignment: Callable[[tuple[Agent, Work] | None, float], None]
    """An agent freed (a reservation called off): what the pool assigned them next
    (``AgentWork.after_assignment``)."""
    offer: Callable[[Work, float], None]
    """Ring-all: a call waiting is offered to every ready agent (``AgentWork.offer``)."""
    shed: Collection[str] = ()
    """Ringing calls a pacing decision has hung up whose end has not come yet
    (``Dialing.ring_hung_up``): one answered meanwhile gets no agent."""
    unplaced: Callable[[Call, float], None] | None = None
    """An attempt every gateway leg of which the switch refused before any channel (a
    gateway down) reached nobody: its dial and its caller ID's daily use are given back
    (``Engine._give_back``), as for a dial never sent."""


class CallFlow:
    """Customer calls from the answer to the attempt record.

    ``calls``, ``dialing`` and ``verdicts`` are the engine's, shared with the dialing side,
    which adds each call it dials; this side takes them out at the answer, the verdict and
    the end. ``last_agent`` (customer key → the agent who last spoke with them) is the
    engine's too: this side writes it at each bridge, the inbound router's sticky routing
    reads it. ``config`` and ``policy`` are the engine's current ones (it sets them again at
    a retune, and ``policy`` when a driver replaces it). ``out`` is the command list of the
    event or tick in progress (the engine gives a new one after each).
    """

    def __init__(
        self, config: CampaignConfig, policy: PacingPolicy, pool: AgentPool,
        ledger: AbandonLedger, calls: dict[str, Call], dialing: dict[str, float],
        verdicts: dict[str, float], watch: Watch, connector: Connector, recorder: Recorder,
        gate: ComplianceGate, inbound: InboundRouter, desk: AgentDesk, waits: SwitchWaits,
        agent_work: AgentWork, placement: SwitchPlacement | None,
        gateways: GatewayRouter | None, last_agent: dict[str, str], out: list[Command],
        services: CallFlowServices,
    ) -> None:
        self.config = config
        self.policy = policy
        self.pool = pool
        self.ledger = ledger
        self.calls = calls
        self.dialing = dialing
        self.verdicts = verdicts
        self.watch = watch
        self.connector = connector
        self.recorder = recorder
        self.gate = gate
        self.inbound = inbound
        self.desk = desk
        self.waits = waits
        self.agent_work = agent_work
        self._placement = placement
        self.gateways = gateways
        self._last_agent = last_agent
        self.out = out
        """The commands of the event or tick in progress (the engine's list)."""
        self._fail_over = services.fail_over
        self._after_assignment = services.after_assignment
        self._offer = services.offer
        self._shed = services.shed
        self._unplaced = services.unplaced
        self._observe_verdict = getattr(policy, "observe_verdict", None)
        """The policy's ``VerdictObserver.observe_verdict``, if it has one."""
        self._false_positive_credit = 0.0
        """The campaign's AMD false-positive estimate not yet charged as a whole abandon."""
        self.amd_abandons = 0
        """Abandons charged to AMD machine verdicts so far (PacingState.amd_abandons)."""
        self._wrap_live: dict[str, tuple[str, list[float], float]] = {}
        """Agent → the last live answer they talked to (call, its ledger entry, seconds
        from dial to the answer's verdict), kept after the call ended for the agent's word
        in wrap-up: their disposition saying a machine answered (``CallClassified`` after
        the end) takes the answer out of the ledger and tells pacing, as a correction while
        the call is up does. One per agent: the next call they end replaces it."""

    def policy_changed(self, policy: PacingPolicy) -> None:
        """A new policy is in place (``Engine.policy``'s setter: a retune or a driver's
        assignment): it learns from every attempt, and the AMD verdicts' delays if it
        learns them."""
        self.policy = policy
        self._observe_verdict = getattr(policy, "observe_verdict", None)

    def live_call(self, call_id: str) -> Call | None:
        """The call, unless it is unknown or has ended."""
        call = self.calls.get(call_id)
        return call if call is not None and call.state is not _ENDED else None

    def on_ringing(self, event: CallRinging) -> None:
        call = self.live_call(event.call_id)
        if call is not None and call.state is _DIALING:
            transition(call, _RINGING, event)
            call.ringing_at = event.at
            if call.gateway is not None:
                self.gateways.progress(call.call_id, event.at)  # type: ignore[union-attr]

    def on_answered(self, event: CallAnswered) -> None:
        call = self.calls.get(event.call_id)  # ``live_call``, written out: once per answer
        if call is None or call.state is _ENDED or call.answered_at is not None:
            return  # duplicate answer (e.g. a late CHANNEL_ANSWER after a bridge)
        at = event.at
        transition(call, _ANSWERED, event)
        call.answered_at = at
        if not self.config.amd_enabled:
            self.dialing.pop(call.call_id, None)
        if event.bridgeable:
            self.connector.call_ready(call.call_id)
        if call.gateway is not None:
            self.gateways.answered(call.call_id, at)  # type: ignore[union-attr]
        config = self.config
        self.recorder.answered(call, at, self.out)
        if not config.amd_enabled:
            self.classified(call, _UNKNOWN_KIND, at)
        else:
            self.watch.add(at + config.amd_timeout, _CLASSIFY_WAIT, call.call_id)
            if call.call_id in self.dialing:
                # Answered: no longer ringing to pacing, but still a line in flight, which
                # needs an agent at the verdict unless AMD calls it a machine.
                self.verdicts[call.call_id] = at

    def on_parked(self, event: CallParked) -> None:
        """The customer's leg runs park: a bridge to it is safe now (connector.py)."""
        call = self.live_call(event.call_id)
        if call is None or call.answered_at is None:
            return
        if self.connector.call_ready(call.call_id) and call.state is _BRIDGING:
            self.send_bridge(call, event.at)

    def on_classified(self, event: CallClassified) -> None:
        call = self.live_call(event.call_id)
        if call is None:
            if event.kind is _MACHINE_KIND and self._wrap_live:
                self._machine_after_the_call(event.call_id, event.at)
            if self.config.machine_to_free_agent and event.kind is not _UNKNOWN_KIND:
                self._word_after_the_call(event.call_id, event.kind, event.at)
            return
        if call.state is _ANSWERED:
            self.classified(call, event.kind, event.at)
            return
        routed = call.routed
        if routed is not None and event.kind is not _UNKNOWN_KIND:
            if routed is _UNCONFIRMED:
                self._routed_verdict_confirmed(call, event.kind, event.at)
            else:
                self.agent_work.routed.ignore()  # said once: the first word stands
            return
        if event.kind is _MACHINE_KIND and call.kind is not _MACHINE_KIND \
                and call.state is not _MACHINE and call.direction is not _INBOUND \
                and call.answered_at is not None:
            # The policy was told this answer was live, and it went to the agents' queue: a
            # machine an agent takes (no AMD, or AMD missed it). interface.MachineObserver.
            routed = getattr(self.policy, "observe_machine_routed", None)
            if routed is not None:
                routed((call.classified_at or call.answered_at) - call.dialed_at, event.at)
        if event.kind is _MACHINE_KIND and call.counted_live:
            # A correction after the fact (agent or ground truth): not a person, so the
            # call counts neither as a live answer nor as an abandon.
            call.kind = _MACHINE_KIND
            call.counted_live = False
            call.abandoned = False
            if call.ledger_entry is not None:
                self.ledger.uncount(call.ledger_entry)
        elif event.kind is _HUMAN_KIND and call.state is _MACHINE and not call.counted_live:
            # A person was treated as a machine (an AMD false positive) and hung up on or
            # played a voicemail message: that is an abandoned call (Ofcom 2016 statement
            # on persistent misuse, A1.6: AMD false positives count as abandoned calls).
            call.kind = _HUMAN_KIND
            call.counted_live = True
            call.abandoned = True
            call.ledger_entry = self.ledger.record_live(call.answered_at or event.at)
            self.ledger.mark_abandoned(call.ledger_entry)
            self.amd_abandons += 1
        elif event.kind is not _UNKNOWN_KIND and call.kind is _UNKNOWN_KIND:
            call.kind = event.kind

    def _machine_after_the_call(self, call_id: str, at: float) -> None:
        """The agent's word (their disposition) that the live answer they talked to was a
        machine, after its call ended: not a person, so neither a live answer nor an
        abandon in the ledger (47 CFR 64.1200(a)(7) counts calls answered by a person), and
        pacing learns the ring time was a machine's (``observe_machine_routed``), as for
        the same word while the call is up. Uncounting a live answer raises the abandonment
        rate: the safe side."""
        for agent_id, (live_call_id, entry, delay) in self._wrap_live.items():
            if live_call_id == call_id:
                del self._wrap_live[agent_id]
                self.ledger.uncount(entry)
                routed = getattr(self.policy, "observe_machine_routed", None)
                if routed is not None:
                    routed(delay, at)
                return

    def _routed_verdict_confirmed(self, call: Call, kind: AnswerKind, at: float) -> None:
        """The agent or the ground truth says what a machine verdict sent to a free agent
        was (``machine_to_free_agent``).

        A machine: nothing changes (the policy was told a machine at the verdict; the agent's
        handle is reported as a machine's, ``observe_machine_handle``, when the agent is
        done). A person: a live answer from the answer on, abandoned only if the connect
        window closed on them (the safe-harbour message played instead of the agent: Ofcom
        2016, A1.6).
        """
        if kind is _MACHINE_KIND:
            call.routed = RoutedVerdict.MACHINE
            return
        call.routed = RoutedVerdict.PERSON
        call.kind = _HUMAN_KIND
        call.counted_live = True
        call.ledger_entry = self.ledger.record_live(call.answered_at or at)
        if call.state is _ABANDONED:
            call.abandoned = True
            self.ledger.mark_abandoned(call.ledger_entry)
            self.amd_abandons += 1

    def _word_after_the_call(self, call_id: str, kind: AnswerKind, at: float) -> None:
        """The agent's word (their disposition, through the driver) on a machine verdict
        sent to them whose call has ended: kept for it until their wrap-up ends
        (routed_verdicts.py). A person is then a live answer from the answer on, connected
        (the agent talked to them inside the connect window), so not an abandon; the driver
        corrects the attempt's record (``LiveAnswerConfirmed``). A machine, or a word with no
        record (unknown call, already confirmed, wrap-up over): nothing changes, the safe
        side."""
        person = kind is _HUMAN_KIND
        record = self.agent_work.word(call_id, person, at)
        if record is None or not person:
            return
        self.ledger.record_live(record.answered_at)
        self.out.append(LiveAnswerConfirmed(at, call_id, self.config.campaign_id,
                                             record.agent_id, record.answered_at))

    def classified(self, call: Call, kind: AnswerKind, at: float) -> None:
        config = self.config
        call.kind = kind
        live = kind is _HUMAN_KIND or (
            kind is _UNKNOWN_KIND and config.count_unknown_as_live
        )
        # With AMD a call needs an agent from the verdict, not the answer: pacing sees it
        # as ringing until then (``ringing_elapsed``), and its ring time runs to it.
        self.dialing.pop(call.call_id, None)
        call.classified_at = at if config.amd_enabled or call.answered_at is None \
            else call.answered_at
        shed = self._shed
        # Shed while ringing (``PacingDecision.hang_up_ringing_after``) and answered before
        # the hang-up landed: the switch is killing it, so no agent is reserved for it.
        shed = bool(shed) and call.call_id in shed
        routed = self._machine_to_free_agent(call, at) \
            if kind is _MACHINE_KIND and config.machine_to_free_agent and not shed else None
        if call.direction is not _INBOUND:
            verdicts = self.verdicts  # empty without AMD: one test per attempt
            if verdicts and verdicts.pop(call.call_id, None) is not None \
                    and self._observe_verdict is not None:
                self._observe_verdict(at - call.answered_at, at)  # type: ignore[operator]
            ring = call.classified_at - call.dialed_at
            # A machine verdict stays a machine to the policy even when a free agent takes
            # it: such a call never waits for an agent, so it is no demand the forecast must
            # serve (docs/pacing.md, "Machine verdicts to free agents": told as an answer
            # that reached the agents, the forecast queued it beside the people and left
            # 2.2-2.6 points of the 3 % unspent).
            result = _MACHINE_RESULT if kind is _MACHINE_KIND else _LIVE_RESULT
            self.policy.observe_attempt(result, ring, at)
            if self._placement is not None:
                self._placement.observe_attempt(live, ring)
        if routed is not None:
            transition(call, _WAITING_AGENT, "machine verdict to a free agent")
            self.bridge(call, routed, at)
            return
        if kind is _MACHINE_KIND:
            transition(call, _MACHINE, "machine")
            self._count_estimated_false_positive(at)
            self._release_callback_agent(call, at)
            decision = self._message_decision(call, at) \
                if config.machine_action is _LEAVE_MESSAGE else None
            if decision is not None and decision.allowed:
                call.message_left = True
                self.out.append(PlayMessage(at, call.call_id, config.machine_message, True,
                                             None, decision.decision_id))
            else:
                self.out.append(_hangup_command(at, call.call_id,
                                                 _NORMAL_CLEARING))
            return
        if live:
            call.counted_live = True
            call.ledger_entry = self.ledger.record_live(call.answered_at or at)
        call.deadline = self._connect_deadline(call, at)  # the connect window's end
        if call.deadline <= at and live:
            transition(call, _WAITING_AGENT, "classified after the connect window")
            self.abandon(call, at)
            return
        if shed:
            # Its hang-up crossed the answer: abandoned (a person is in the ledger as one),
            # never bridged; the message is tried as for any abandon.
            transition(call, _WAITING_AGENT, "answered after it was hung up")
            self.abandon(call, at)
            return
        agent = self._callback_agent(call)
        if agent is not None:
            self.bridge(call, agent, at)
            return
        call.agent_id = None
        work = _answered_work(call, at, call.deadline)
        transition(call, _WAITING_AGENT, "classified")
        agent = self.pool.submit(work, at)
        if agent is not None:
            self.bridge(call, agent, at)
        elif self.pool.ring_all:
            self._offer(work, at)

    def _machine_to_free_agent(self, call: Call, at: float) -> Agent | None:
        """The agent free at this instant to hear a machine verdict's call, reserved for it,
        or None: the campaign's machine action applies (``machine_to_free_agent``).

        Only a plain outbound call, only an agent ready now, and only inside the connect
        window that a live answer would have (an AMD false positive is a person waiting):
        such a call never waits in a queue, so it never delays a person's connection.
        """
        if call.direction is not _OUTBOUND or call.callback_id is not None \
                or call.agent_first:
            return None
        deadline = self._connect_deadline(call, at)
        if deadline <= at:
            return None
        agent = self.pool.take_free(_answered_work(call, at, deadline), at)
        if agent is not None:
            call.deadline = deadline
            call.routed = _UNCONFIRMED
        return agent

    def _connect_deadline(self, call: Call, at: float) -> float:
        """When the message must be sent for a call classified at ``at``: the connect window
        runs from the answer without AMD; with AMD, from the end of the greeting, which is
        when AMD decides (47 CFR 64.1200(a)(7)(i): "within two seconds after the called
        person's completed greeting"), unless the campaign runs it from the answer (Ofcom:
        from the start of the greeting, AMD's listening included). The message must be
        *heard* within it: it is sent the switch's broadcast latency before the window
        closes (``waits.budget``, inline)."""
        config = self.config
        start = call.answered_at if config.connect_window_from_answer and \
            call.answered_at is not None else at
        return start + config.connect_window - self.waits.message_budget.get(
            call.switch_id, config.message_latency_budget)

    def _message_decision(self, call: Call, at: float) -> GateVerdict | None:
        """The compliance port's decision on leaving the recorded message on this machine
        (the prerecorded rules at this instant); a gate that cannot decide it refuses."""
        check = getattr(self.gate, "check_message", None)
        if call.target is None or not callable(check):
            return None
        return check(call.target, call.dialed_at, at)

    def _count_estimated_false_positive(self, at: float) -> None:
        """Charge the ledger with the campaign's estimate of AMD false positives.

        The switch cannot tell a person wrongly classed as a machine; regulators expect the
        abandonment rate to include a reasoned estimate of them (Ofcom 2016, A1.6). Each
        machine classification adds ``amd_false_positive_estimate`` of an abandoned live
        answer; whole ones are written to the ledger as they accumulate.
        """
        rate = self.config.amd_false_positive_estimate
        if rate <= 0.0:
            return
        self._false_positive_credit += rate
        while self._false_positive_credit >= 1.0:
            self._false_positive_credit -= 1.0
            self.ledger.mark_abandoned(self.ledger.record_live(at))
            self.amd_abandons += 1

    def _callback_agent(self, call: Call) -> Agent | None:
        """The agent still reserved for this callback call, if any."""
        if (call.callback_id is None and not call.agent_first) or call.agent_id is None:
            return None  # agent-first calls: callbacks, queue callbacks, previews
        agent = self.pool.agents.get(call.agent_id)
        if agent is None or agent.state is not _RESERVED_AGENT or agent.call_id != call.call_id:
            return None
        return agent

    def _release_callback_agent(self, call: Call, at: float) -> None:
        agent = self._callback_agent(call)
        call.agent_id = None
        if agent is not None:
            self._after_assignment(
                self.pool.unreserve(agent.agent_id, at, "callback not answered by a person"), at
            )

    def bridge(self, call: Call, agent: Agent, at: float) -> None:
        """The agent is reserved for the call; the bridge goes once both legs are parked."""
        transition(call, _BRIDGING, "agent reserved")
        call.agent_id = agent.agent_id
        agent.call_id = call.call_id
        if call.deadline is not None:
            self.watch.add(call.deadline, _BRIDGE_WAIT, call.call_id)
        if self.connector.want(call.call_id, agent.agent_id):
            self.send_bridge(call, at)

    def send_bridge(self, call: Call, at: float) -> None:
        agent_id = call.agent_id or ""
        self.connector.sent(call.call_id, at)
        agent = self.pool.agents.get(agent_id)
        leg = self.connector.leg_ids.get(agent_id) or (agent.leg_id if agent else None) or ""
        self.out.append(_bridge_command(at, call.call_id, agent_id, leg))

    def abandon(self, call: Call, at: float) -> None:
        """No agent connected within the connect window: safe-harbour message, opt-out, hang
        up. A bridge still waiting for its legs is called off (its agent is free again); one
        in flight leaves the agent's leg busy until FreeSWITCH parks it again."""
        config = self.config
        state = call.state
        transition(call, _ABANDONED, "connect window closed")
        if state is _BRIDGING:
            self._call_off_bridge(call, at)
        if call.counted_live:
            call.abandoned = True
            if call.ledger_entry is not None:
                self.ledger.mark_abandoned(call.ledger_entry)
            if config.agent_guaranteed:
                self.out.append(Incident(
                    at, IncidentKind.GUARANTEE_BROKEN, "answered call abandoned although the "
                    "campaign guarantees an agent (compliance.agent_guaranteed): no agent of "
                    "its switch was left to take it", call.call_id))
        elif call.routed is _UNCONFIRMED:
            # A machine verdict the free agent could not take in time: as uncertain as one
            # hung up on, so charged like one (``amd_false_positive_estimate``).
            self._count_estimated_false_positive(at)
        call.message = "sent"
        self.out.append(
            PlayMessage(at, call.call_id, config.safe_harbor_message, True, config.optout_digit)
        )
        self.watch.add(at + MESSAGE_START_WAIT, Wait.MESSAGE_START, call.call_id)
        self.watch.add(at + MESSAGE_END_WAIT, Wait.MESSAGE_END, call.call_id)

    def _call_off_bridge(self, call: Call, at: float) -> None:
        bridge = self.connector.drop(call.call_id)
        agent_id, call.agent_id = call.agent_id, None
        if bridge is not None and bridge.sent_at is not None:
            self.out.append(Incident(
                at, IncidentKind.BRIDGE_NOT_CONFIRMED,
                f"bridge to {bridge.agent_id} sent {at - bridge.sent_at:.3f} s before the "
                "connect window closed and not confirmed: safe-harbour message instead",
                call.call_id, bridge.agent_id))
            self.watch_leg(bridge.agent_id, at)
        elif bridge is not None:
            waiting_for = ("the customer's leg to park" if call.call_id not in
                           self.connector.ready_calls else "the agent's leg to park")
            self.out.append(Incident(
                at, IncidentKind.SWITCH_SILENT,
                f"connect window closed waiting for {waiting_for}", call.call_id,
                bridge.agent_id))
        if agent_id is not None:
            self._after_assignment(
                self.pool.unreserve(agent_id, at, "connect window closed"), at)

    def watch_leg(self, agent_id: str, at: float) -> None:
        """The agent's leg must come back to park (AgentLegUp) soon."""
        leg = self.connector.leg_ids.get(agent_id)
        if leg is not None:
            self.watch.add(at + LEG_PARK_WAIT, Wait.LEG_PARK, agent_id, leg)

    def on_bridged(self, event: CallBridged) -> None:
        call = self.calls.get(event.call_id)  # ``live_call``, written out: once per connect
        if call is None or call.state is _ENDED or call.state is _BRIDGED:
            return  # already bridged (FreeSWITCH reports CHANNEL_BRIDGE on both legs)
        agent_id = self.connector.confirmed(call.call_id) or call.agent_id or event.agent_id
        if call.state is _ABANDONED:
            # The bridge landed after the window closed and the message was sent: the
            # agent's leg is busy with this call until it parks again.
            call.bridged_at = call.bridged_at or event.at
            call.agent_id = agent_id
            self.out.append(Incident(
                event.at, IncidentKind.BRIDGE_NOT_CONFIRMED,
                f"bridge to {agent_id} confirmed after the connect window closed "
                f"({call.state.value})", call.call_id, agent_id))
            return
        if call.state is not _BRIDGING and call.lost_bridge == event.agent_id:
            # A confirmation of a bridge the engine already gave up on: the agent's leg went
            # down after the bridge was sent (ESL events need not arrive in order) and the
            # caller was put back in line. The switch cannot keep a bridge to a leg that is
            # gone; the caller stays where the engine put them, and the operator hears of it.
            self.out.append(Incident(
                event.at, IncidentKind.BRIDGE_NOT_CONFIRMED,
                f"bridge to {event.agent_id} confirmed after that agent's leg was lost "
                f"(call {call.state.value}): ignored", call.call_id, event.agent_id))
            return
        transition(call, _BRIDGED, event)
        if call.bridged_at is None:
            call.bridged_at = event.at  # a transfer's second bridge keeps the first one's time
            self.recorder.bridged(call, event.at, self.out)
        self.pool.start_call(agent_id, call.call_id, event.at)
        if call.inbound is not None:
            self.inbound.bridged(call, agent_id, event.at)
        if call.customer_key is not None:
            self._last_agent[call.customer_key] = agent_id

    def on_dtmf(self, event: DtmfReceived) -> None:
        call = self.live_call(event.call_id)
        if call is not None and call.inbound is not None:
            self.inbound.dtmf(call, event)  # menus, the queue callback key
            return
        digit = self.config.optout_digit
        if (
            call is None or digit is None or event.digit != digit
            or call.state is not _ABANDONED or call.opted_out
        ):
            return
        # The automated opt-out records the number and disconnects at once
        # (47 CFR 64.1200(a)(7)(i)(B)).
        call.opted_out = True
        self.out.append(
            RecordOptOut(
                event.at, call.number_e164, call.call_id, self.config.campaign_id,
                "automated opt-out key during the safe-harbour message",
            )
        )
        self.out.append(Hangup(event.at, call.call_id, _NORMAL_CLEARING))

    def on_playback_finished(self, event: PlaybackFinished) -> None:
        """How the safe-harbour message ended, for the record (``PlayMessage(hangup_after=
        True)`` makes the switch hang up: nothing to command)."""
        call = self.live_call(event.call_id)
        if call is not None and call.state is _ABANDONED and call.message == "played":
            call.message = "cut_off" if event.cut_off else "completed"

    def on_call_ended(self, event: CallHungUp | OriginateFailed) -> None:
        """The customer leg ended (a hang-up) or never came up (the originate's ``-ERR``):
        both end the call with the event's cause and side (who ended it: the record's)."""
        call = self.calls.get(event.call_id)  # ``live_call``, written out: once per attempt
        if call is not None:
            state = call.state
            if (state is _DIALING or state is _RINGING) and call.gateway is None \
                    and call.agent_id is None and call.direction is _OUTBOUND:
                # ``_end``'s first test
                self._end_unanswered(call, event.at, event.cause, event.side)
            elif state is not _ENDED:
                if call.gateway is not None and type(event) is OriginateFailed \
                        and event.cause in SWITCH_REFUSALS:
                    call.unplaced = True  # the gateway down or unknown: reached nobody
                self.end(call, event.at, event.cause, event.side)

    def _end_unanswered(self, call: Call, at: float, cause: HangupCause,
                        side: HangupSide, sent: bool = True) -> None:
        """``end`` of an outbound call that was never answered, on the default route and
        with no agent reserved for it: two attempts in three under simulation.

        The general path, written out for this case: such a call has no bridge (the
        connector only learns of a call at its answer), no recording (started at the
        answer), no agent leg to watch, no inbound state; its record is ``end``'s with those
        fields empty. Any change to what ``end`` does for it must be made here too (the
        command-stream digests cover both).
        """
        # ``transition`` to ended, written out: legal from dialing and ringing, and such a
        # call has no wait set aside (only a bridged call has).
        call.state = _ENDED
        call_id = call.call_id
        del self.calls[call_id]
        self.dialing.pop(call_id, None)
        outcome, result = _UNANSWERED.get(cause, _FAILED)
        dialed_at = call.dialed_at
        if sent:  # a dial never sent (``DialNotSent``) is no attempt for pacing
            self.policy.observe_attempt(result, at - dialed_at, at)
            if self._placement is not None:
                self._placement.observe_attempt(False, None)
        target = call.target
        self.out.append(_unanswered_finished(
            at, call_id, self.config.campaign_id, call.direction, outcome, cause,
            target.lead_id if target is not None else None,
            target.number_e164 if target is not None else call.caller_number,
            target.attempt_number if target is not None else 0,
            dialed_at, at, call.kind, call.abandoned, call.recording_path,
            call.opted_out, call.callback_id, call.queue,
            _MESSAGE_RECORD.get(call.message) if call.message else None,
            call.caller_id, call.message_started_at, side,
        ))

    def end(self, call: Call, at: float, cause: HangupCause,
            side: HangupSide = _UNKNOWN_SIDE, sent: bool = True) -> None:
        """End the call and emit its record. ``side``: who ended it, as the switch said
        (unknown when the engine ends a call without the switch's hang-up). ``sent``
        false: its originate never reached the switch (``DialNotSent``): nothing for
        pacing, no failover."""
        state = call.state
        if (state is _DIALING or state is _RINGING) and call.gateway is None \
                and call.agent_id is None and call.direction is _OUTBOUND:
            self._end_unanswered(call, at, cause, side, sent)
            return
        if call.gateway is not None:
            if sent and state in (_DIALING, _RINGING) and self._fail_over(call, at, cause):
                return  # the attempt goes on through another gateway
            self.gateways.ended(call.call_id, at, cause)  # type: ignore[union-attr]
        transition(call, _ENDED, cause)
        del self.calls[call.call_id]
        self.dialing.pop(call.call_id, None)
        if self.verdicts:
            self.verdicts.pop(call.call_id, None)
        bridge = self.connector.drop(call.call_id)
        if bridge is not None and bridge.sent_at is not None:
            self.watch_leg(bridge.agent_id, at)  # in flight: the leg parks again, or not
        elif call.agent_id is not None and (state is _BRIDGED or call.bridged_at is not None):
            self.watch_leg(call.agent_id, at)
        pool = self.pool
        outcome: CallOutcome
        if call.bridged_at is not None and state is not _BRIDGED:
            # Talked to an agent, then parked, queued or sent on by a transfer: connected.
            outcome = _CONNECTED_OUTCOME
            self.desk.end_handed_on(call, state, at)
        elif state is _DIALING or state is _RINGING:
            outcome, result = _UNANSWERED.get(cause, _FAILED)
            if sent and (not call.unplaced
                         or (call.failover is not None and call.failover.reached)):
                # An attempt every leg of which the switch refused before any channel (a
                # gateway down) reached nobody: counted, it would lower the answer rate
                # pacing learns, and dial more once the gateway is back.
                self.policy.observe_attempt(result, at - call.dialed_at, at)
                if self._placement is not None:
                    self._placement.observe_attempt(False, None)
            elif sent and self._unplaced is not None:
                self._unplaced(call, at)  # nor a dial, nor a use of its caller ID
            if call.agent_id is not None:  # else no agent can be reserved for it
                self._release_callback_agent(call, at)
        elif state is _BRIDGED:
            outcome = _CONNECTED_OUTCOME
            if call.agent_id is not None:
                self.agent_work.call_ended(call.agent_id, call.call_id, at,
                                           call.kind is _MACHINE_KIND)
                if call.counted_live and call.ledger_entry is not None \
                        and call.answered_at is not None:
                    self._wrap_live[call.agent_id] = (
                        call.call_id, call.ledger_entry,
                        (call.classified_at or call.answered_at) - call.dialed_at)
                else:
                    self._wrap_live.pop(call.agent_id, None)
                if call.routed is _UNCONFIRMED:
                    self.agent_work.await_word(call, at)  # the agent's word may come
        elif state is _ABANDONED:
            outcome = _ABANDONED_OUTCOME
        elif state is _MACHINE:
            outcome = _MACHINE_MESSAGE_OUTCOME if call.message_left else _MACHINE_OUTCOME
        elif call.inbound is not None and state is not _BRIDGING:
            outcome = self.inbound.ended(call, state, at)  # type: ignore[assignment]
        else:  # answered, waiting for an agent, or bridging: the customer left first
            outcome = _HUNG_UP_ANSWERED_OUTCOME
            pool.lines.cancel(call.call_id)
            if call.counted_live and not call.abandoned:
                # A person answered and was never connected to an agent: abandoned in law
                # even when they hung up inside the connect window (47 CFR 64.1200(a)(7)(i),
                # 16 CFR 310.4(b)(1)(iv): "not connected ... within two seconds of the
                # completed greeting"). Without this a third of abandons (patience < 2 s)
                # would be missing from the ledger the pacing and the law rely on.
                call.abandoned = True
                if call.ledger_entry is not None:
                    self.ledger.mark_abandoned(call.ledger_entry)
            elif call.routed is _UNCONFIRMED:
                # A machine verdict sent to a free agent, gone before the bridge: charged
                # like one hung up on (``amd_false_positive_estimate``).
                self._count_estimated_false_positive(at)
            if call.inbound is not None:
                self.inbound.ended(call, state, at)
            if state is _BRIDGING and call.agent_id is not None:
                self._after_assignment(pool.unreserve(call.agent_id, at, "caller left"), at)
            elif state is _ANSWERED and call.direction is not _INBOUND:
                # Hung up while AMD was still listening. The campaign's rule for unknown
                # answers decides: counted live, and then abandoned, since nobody was
                # connected (the report counts it live too; the ledger must agree).
                self._release_callback_agent(call, at)
                unknown_is_live = self.config.count_unknown_as_live
                if unknown_is_live and not call.counted_live:
                    call.counted_live = call.abandoned = True
                    call.ledger_entry = self.ledger.record_live(call.answered_at or at)
                    self.ledger.mark_abandoned(call.ledger_entry)
                    self.amd_abandons += 1
                result = _LIVE_RESULT if unknown_is_live else _MACHINE_RESULT
                left = at if self.config.amd_enabled else (call.answered_at or at)
                self.policy.observe_attempt(result, left - call.dialed_at, at)
        target = call.target
        inbound = call.inbound
        recorded, consent, pauses = self.recorder.finished(call.call_id, at)
        # Positional, in the field order of AttemptFinished (half the cost of keywords;
        # one of these per attempt): lead_id, number_e164, attempt_number, dialed_at,
        # answered_at, bridged_at, ended_at, answer_kind, abandoned, agent_id,
        # recording_path, opted_out, callback_id, queue, then the inbound fields.
        self.out.append(
            _outbound_finished(
                at, call.call_id, self.config.campaign_id, call.direction, outcome, cause,
                target.lead_id if target is not None else None,
                target.number_e164 if target is not None else call.caller_number,
                target.attempt_number if target is not None else 0,
                call.dialed_at, call.answered_at, call.bridged_at, at, call.kind,
                call.abandoned,
                call.agent_id if call.bridged_at is not None else None,
                call.recording_path, call.opted_out, call.callback_id, call.queue,
                _MESSAGE_RECORD.get(call.message) if call.message else None,
                call.caller_id, call.gateway, recorded, consent, pauses,
                call.message_started_at, side,
            ) if inbound is None else AttemptFinished(
                at, call.call_id, self.config.campaign_id, call.direction, outcome, cause,
                None, call.caller_number, 0, call.dialed_at, call.answered_at,
                call.bridged_at, at, call.kind, False,
                call.agent_id if call.bridged_at is not None else None,
                call.recording_path, outcome is _OPTED_OUT_OUTCOME, None, call.queue,
                inbound.queued_at, inbound.estimated_wait, inbound.overflowed_from,
                inbound.session.keys if inbound.session is not None else "", None, "", None,
                None, recorded, consent, pauses, hangup_side=side,
            )
        )
        if call.direction is _CALLBACK and call.callback_id is not None:
            self.inbound.callback_call_ended(call, outcome, at)


def _answered_work(call: Call, at: float, deadline: float) -> Work:
    """The scheduler's work for an answered outbound call, to be connected by ``deadline``
    (a classified person, or a machine verdict offered to a free agent)."""
    target = call.target
    return outbound_work(
        call.call_id, at, deadline, target.customer_key if target else None,
        target.previous_agent_id if target else None, call.switch_id)
