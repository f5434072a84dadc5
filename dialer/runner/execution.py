"""The runner's command side: what the engine's commands do to the switches and the store.

A part the ``Runner`` (dialer/runner/runner.py) holds, so each module has one job: this one
executes commands (journal before originate, through the dial sender; outcomes, agent
history, dispositions, releases and opt-outs into the campaign store's journal; switch
commands to ESL), the runner module owns the loop, start and stop. It owns the state only
the command side keeps (the dial queue, the calls never journaled, the wrap-ups waiting for
a disposition, the agent legs waiting for their switch, each switch's machine detector) and
is handed, at construction, what it writes to and reads from, in a few typed groups: the
campaign's terms (``ExecutionTerms``), the switches and their legs (``wiring.SwitchSide``),
the store's side (``JournalSide``: journal, gate, hopper, internal DNC), the counters
(``Counters``), the inbound parts (``InboundSide``) and the desk (``DeskSide``: screens,
eavesdrops, the agent-change hook). ``JournalStep`` is the database thread's side (one
batch of journal operations).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from campaigns.journal_batch import BatchResult, BeginOp, CallbackDialOp, FinishOp, JournalOp
from campaigns.store import CampaignStore
from dialer.commands import (
    AgentState,
    AgentStateChanged,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Command,
    Direction,
    Eavesdrop,
    Hangup,
    Incident,
    JournalAttempt,
    LiveAnswerConfirmed,
    Originate,
    OriginateAgentLeg,
    OriginateConsult,
    PlayMessage,
    RecordOptOut,
    ReleaseLead,
)
from dialer.engine import Engine
from dialer.esl.errors import EslCommandError, EslError
from dialer.events import (
    AnswerKind,
    CallbackDialRefused,
    CallClassified,
    CallDisposed,
    DialNotSent,
    Event,
    OriginateFailed,
)
from dialer.freeswitch import AdapterError, MachineDetector
from dialer.hangup import HangupCause
from dialer.ports import DialTarget
from dialer.runner.callback_gate import recount_verdict
from dialer.runner.campaign_link import CampaignLink, store_outcome, utc
from dialer.runner.compliance import GatePort
from dialer.runner.dbworker import DbWorker
from dialer.runner.dispose_checks import (
    ClosedBy,
    ClosedWrap,
    WrapBook,
    callback_refusal,
    state_hours_refusal,
)
from dialer.runner.errors import RunnerError
from dialer.runner.fsmap import api_line, plan_for
from dialer.runner.gateway_watch import GatewayWatch
from dialer.runner.hopper import Hopper
from dialer.runner.inbound import QUEUE_CALLBACK, InboundLink, QueueStoreOp
from dialer.runner.inbound_calls import InboundCalls
from dialer.runner.send_hold import SendGuard
from dialer.runner.stats import RunnerStats
from dialer.runner.telemetry import Telemetry
from dialer.runner.unwritten_dials import UnwrittenDials
from dialer.runner.watch import DESK_BOUND, DESK_SWITCH
from dialer.runner.wiring import SwitchSide
from dnc.errors import ComplianceError
from dnc.internal import InternalDnc
from dnc.rules.adad import called_party_may_have_ended
from dnc.rules.base import SEND_ALLOWANCE
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import US_REGIONS, place

if TYPE_CHECKING:
    from dnc.rules.zones import Placement

log = logging.getLogger("dialer.runner")
COMPLIANCE_RETRY = 900.0
"""Seconds before a lead refused by compliance (e.g. outside calling hours) is offered again."""
NEVER_SENT = HangupCause.ORIGINATOR_CANCEL
"""The cause a dial whose originate never reached the switch ends with (the engine ends it
so on ``DialNotSent``, and the attempt's record says it): its journal was refused or not
written, or the switch's ESL link was down when it was to be sent. The dialer's own cancel,
which says nothing of the trunk (no gateway health verdict) and is no carrier refusal (no
failover to the next gateway: after a refused journal its leg would be refused at
journaling in its turn, ``failover of unknown attempt``; with the link down the gateway did
nothing wrong, and a carrier cause would charge it a failure and quarantine a healthy trunk
for our outage). Since 2026-12-07 the engine is told ``DialNotSent``, not
``OriginateFailed``: no attempt for pacing (docs/engine.md). A journaled attempt is
recorded ``cancelled`` and its lead retried by its rule. An originate written before the
link dropped is another case: the switch may have placed the call, so it stays open until
the reconnect's reconciliation asks the switch (``Recovery.reconcile_switch``,
``LOST_WITH_LINK``); docs/esl.md, "The link down"."""
SEND_SECONDS = SEND_ALLOWANCE.total_seconds()
"""``dnc.rules.base.SEND_ALLOWANCE`` in seconds: an originate whose journal committed (and
whose turn came) later than this after its decision is not sent (``send_dials``); the
engine hears ``DialNotSent`` and the lead is retried by its rule, decided again then."""
PREVIEW_SKIP_RETRY = 3600.0
"""Seconds before a lead an agent skipped in preview is offered again (to anyone)."""


class Screens(Protocol):
    """Agents' desktops and wallboards as the command side feeds them (watch.py's
    ``ScreenFeed``): false while nobody watches."""

    def __bool__(self) -> bool: ...

    def feed(self, command: Command) -> None: ...

    def bridged(self, call_id: str, agent_id: str, at: float) -> None: ...

    def agents_changed(self, agent_ids: Iterable[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class ExecutionTerms:
    """What the campaign and the run's settings decide about sending commands."""

    campaign: str
    owner: str
    """This process's owner id (``dialer_owner`` on every leg it places)."""
    gateway: str | None
    """The settings' default gateway for originates (``RunnerSettings.gateway``)."""
    default_switch: str
    """Where a command for a leg of unknown switch goes (the campaign's first)."""
    machine_to_free_agent: bool


@dataclass(frozen=True, slots=True)
class JournalSide:
    """The store's side of a command: the journal (the campaign's link, the database
    worker), the dial-time gate, the hopper's released leads, the internal DNC opt-outs go
    to, and the upkeep told when a callback lead leaves this process's hands."""

    link: CampaignLink
    db: DbWorker
    gate: GatePort
    hopper: Hopper
    internal_dnc: InternalDnc
    callback_settled: Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Counters:
    """Where what happened is counted: the run's statistics, the metrics when served."""

    stats: RunnerStats
    telemetry: Telemetry | None


@dataclass(frozen=True, slots=True)
class InboundSide:
    """The inbound parts: queue store writes (``InboundLink``), parked callers
    (``InboundCalls``: which calls have no attempt row, whose claims to release)."""

    link: InboundLink
    calls: InboundCalls


@dataclass(frozen=True, slots=True)
class DeskSide:
    """The agents' and supervisors' side: their screens, who listens on which leg, and the
    runner's agent-change hook (a simulated desk, the demo)."""

    screens: Screens
    eavesdrops: dict[str, str]
    """Supervisor → the leg their phone listens on (shared with the control API)."""
    on_agent_change: Callable[[AgentStateChanged], None]


class JournalStep:
    """One database step (database thread), the ``DbWorker``'s writer: the dial-time
    decisions a batch's dials rest on go to the audit log before its journal is committed;
    if the audit cannot be written, the batch's other writes land but none of its dials
    (refused)."""

    def __init__(self, store: CampaignStore, owner: str, gate: GatePort,
                 queue_writes: Callable[[list[QueueStoreOp], bool], None]) -> None:
        self.store = store
        self.owner = owner
        self.gate = gate
        self.queue_writes = queue_writes
        """Writes to the queue store (the inbound link's), applied first, in order."""

    def __call__(self, ops: Sequence[JournalOp], again: bool = False,
                 owner: str | None = None) -> BatchResult:
        """``again``: the batch begins with writes a failed batch held (the store's outage,
        dbworker.py); the journal skips what it finds written already. ``owner``: the
        process the writes were kept for, when not this one (a spill file of another
        owner's run, journal_spill.py). A queue store write that fails raises, as the
        journal's do: the batch is held, never dropped."""
        inbound = [op for op in ops if isinstance(op, QueueStoreOp)]
        if inbound:
            self.queue_writes(inbound, again)
            ops = [op for op in ops if not isinstance(op, QueueStoreOp)]
        if again:
            # Never a dial: the writer holds none (their dials were not sent).
            return self.store.journal_batch(
                [op for op in ops if not isinstance(op, BeginOp | CallbackDialOp)],
                owner=owner or self.owner, again=True)
        return self._journal(ops)

    def _journal(self, ops: Sequence[JournalOp]) -> BatchResult:
        # A queue callback's dial is journaled like a campaign dial (``CallbackDialOp``):
        # its decision on disk first, re-counted over every process's journal.
        begins = [op for op in ops if isinstance(op, BeginOp | CallbackDialOp)]
        if begins:
            try:
                self.gate.flush_audit()
            except Exception as error:
                # Fail closed: no dial without its decision on disk. Logged once per outage
                # by the dial sender (``UnwrittenDials``), not once per batch.
                log.debug("audit log write failed, not dialing %d calls: %s", len(begins),
                          error)
                result = self.store.journal_batch(
                    [op for op in ops if not isinstance(op, BeginOp | CallbackDialOp)],
                    owner=self.owner)
                unwritten = f"audit log not written: {error}"
                return BatchResult(result.begun, {op.call_uuid: unwritten for op in begins},
                                   result.problems, unwritten=unwritten)
        if not begins:
            return self.store.journal_batch(ops, owner=self.owner)
        # Per-person and per-number limits counted again over every process's journal in
        # the transaction that journals the dials (campaigns/attempt_recount.py); a dial
        # refused there is audited like a refusal at the gate, on disk before the next
        # batch's originates (a crash may lose it only with a dial that was never made).
        recount = self.gate if callable(getattr(self.gate, "recount", None)) else None
        result = self.store.journal_batch(ops, owner=self.owner, recount=recount)
        if result.refused and recount is not None:
            try:
                self.gate.flush_audit()
            except Exception as error:
                log.error("audit log write failed after refusals at journaling (kept for "
                          "the next write): %s", error)
        return result


def _never_sent(at: float, call_id: str, why: str, journals: Sequence[JournalAttempt],
                result: BatchResult | None, retry_at: float | None) -> Event:
    """What the engine hears of a dial whose journal was refused or not written (no call:
    neither pacing nor a queue callback counts it an attempt): a queue callback's dial the
    recount refused is held on the recount's verdict (``CallbackDialRefused``); any other is
    ``DialNotSent``, with ``retry_at`` when a store write failed (``result.unwritten``, or no
    result: the journal's transaction failed), and ``not_ours`` when the journal found its
    lead or callback no longer this process's."""
    unwritten = result is None or result.unwritten is not None
    refusal = result.recounted.get(call_id) if result is not None else None
    if refusal is not None and any(j.call_id == call_id and j.lead_id.startswith(QUEUE_CALLBACK)
                                   for j in journals):
        return CallbackDialRefused(at, call_id, recount_verdict(refusal))
    return DialNotSent(at, call_id, why, retry_at if unwritten else None,
                       not_ours=not unwritten and refusal is None)


class CommandExecution:
    """Command execution, dispositions and the dial sender of the runner.

    The runner calls ``execute`` with the engine's commands, runs ``send_dials`` as a task,
    routes an agent's ``dispose`` here, and ``send_pending_agent_legs`` when a switch is
    back; other parts send a switch command with ``send``."""

    def __init__(self, terms: ExecutionTerms, switches: SwitchSide, journal: JournalSide,
                 counters: Counters, inbound: InboundSide, desk: DeskSide, *,
                 clock: Callable[[], float], post: Callable[[Event], None]) -> None:
        self.campaign = terms.campaign
        self.owner = terms.owner
        self.gateway = terms.gateway
        """The settings' default gateway for originates (``RunnerSettings.gateway``)."""
        self.default_switch = terms.default_switch
        """Where a command for a leg of unknown switch goes (the campaign's first)."""
        self.machine_to_free_agent = terms.machine_to_free_agent
        self.switches = switches.pool
        self.translator = switches.translator
        self.call_switch = switches.call_switch
        """Leg → the switch carrying it (the runner's registry, shared with recovery and
        the inbound side: this part records the legs it sends)."""
        self.link = journal.link
        self.db = journal.db
        self.gate = journal.gate
        self.hopper = journal.hopper
        self.internal_dnc = journal.internal_dnc
        self.callback_settled = journal.callback_settled
        self.stats = counters.stats
        self.telemetry = counters.telemetry
        self.inbound = inbound.link
        self.inbound_calls = inbound.calls
        self.screens = desk.screens
        self.eavesdrops = desk.eavesdrops
        """Supervisor → the leg their phone listens on (the runner's, with the desk)."""
        self.on_agent_change = desk.on_agent_change
        self.clock = clock
        self.post = post
        self.engine: Engine | None = None
        self.gateway_watch: GatewayWatch | None = None
        self.detectors: dict[str, MachineDetector] = {}
        """Switch → its answering-machine detector, found when the switch was checked."""
        self.default_detector = MachineDetector.AMD
        self.disposition_pending: set[str] = set()
        """Connected calls whose agent is in (or finished) wrap-up: a disposition comes."""
        self.pending_agent_legs: dict[str, list[OriginateAgentLeg]] = {}
        """Switch → agent legs that could not reach it (not up yet, or the link dropped
        before it took them): sent when the switch is connected again."""
        self.dial_queue: asyncio.Queue[tuple[asyncio.Future[BatchResult],
                                             list[JournalAttempt], list[Originate]]] = (
            asyncio.Queue())
        """Originates waiting for their journal's commit (sent by ``send_dials``)."""
        self.unjournaled: set[str] = set()
        """Calls whose journal was refused or failed: never dialed, nothing to close."""
        self.unsent: set[str] = set()
        """Journaled calls whose originate never reached the switch (its link down, past
        the send allowance): closed without charging the lead (``FinishOp.never_sent``)."""
        self.reached_before: set[str] = set()
        """Gateway legs (a failover's next leg) of attempts an earlier leg of which reached
        the network: refused before any channel, such a leg still ends a real attempt."""
        self.unwritable_commands: set[str] = set()
        """The causes of originates no API line could carry, logged once each."""
        self.sends: SendGuard | None = None
        """Whether the switch takes originates (send_hold.py: after refusals in a row,
        none is sent but a probe; set by the runner)."""
        self.unwritten = UnwrittenDials()
        """An outage of the dial records (journal, audit log) as the dial sender met it:
        held dials' backoff, the alert's words (``RunnerAlerts``)."""
        self.to_dispose: dict[str, str] = {}
        """Agent → the connected call whose wrap-up runs and has no disposition yet."""
        self.wraps = WrapBook()
        """Each agent's last closed wrap-up: a second disposition is told how the call was
        recorded; one the fallback closed is corrected (``dispose_checks``)."""
        self.wrap_targets: dict[str, DialTarget] = {}
        """Call → the lead it dialed, while a disposition of it may come (in wrap-up, or
        an agent's last closed wrap-up): its callback is checked against the lead's places
        and the internal DNC."""
        self.awaiting_word: set[str] = set()
        """Of those calls, machine verdicts an agent took (``machine_to_free_agent``): the
        disposition tells the engine whether a person or a machine was heard."""

    def attach(self, engine: Engine, gateway_watch: GatewayWatch | None) -> None:
        """The engine and the carriers' watcher, once the runner's start has built them."""
        self.engine = engine
        self.gateway_watch = gateway_watch

    def use_detector(self, switch_id: str, detector: MachineDetector) -> None:
        """The switch's answering-machine detector, as its check found it."""
        self.detectors[switch_id] = detector

    # --- dispositions ------------------------------------------------------------------------

    def dispose(self, agent_id: str, call_id: str, disposition: str,
                callback_at: datetime | None = None, *, note: str | None = None,
                callback_agent: str | bool | None = True) -> str:
        """The agent's disposition of the call in wrap-up: journaled, and ends the wrap-up.

        Returns the call it applied to; raises ``RunnerError`` for a disposition the campaign
        does not allow, a callback without a time, or an agent not in wrap-up. A callback is
        the disposing agent's own unless ``callback_agent`` names another agent or is None
        (anyone may take it); ``note`` is kept with the attempt (and the callback)."""
        code = self.link.disposition_code(disposition)
        if self.link.dispositions[code].callback and callback_at is None:
            raise RunnerError(f"disposition {code} needs a callback time (--callback-at)")
        pending = self.to_dispose.get(agent_id)
        now = self.clock()
        if pending is None or (call_id and call_id != pending):
            corrected = self.wraps.correctable(agent_id, call_id, now)
            if corrected is None:
                raise RunnerError(self.wraps.refusal(agent_id, call_id, now) or
                                  f"agent {agent_id!r} has no call {call_id or ''} in wrap-up")
            return self._correct(agent_id, corrected, code, callback_at, note, callback_agent)
        inbound = pending in self.inbound_calls.without_attempt
        if callback_at is not None and not inbound:
            self._check_callback(pending, callback_at)
        if inbound and callback_at is not None:
            # A callback at a time is kept on a lead's attempt; an inbound call (or a queue
            # callback's dial) has none, so it would be dropped while the agent is told done.
            raise RunnerError(f"disposition {code}: a callback at a chosen time is kept on a "
                              "lead, and a call in has none: choose another disposition (and "
                              "write the time in the notes)")
        del self.to_dispose[agent_id]
        self.wraps.closed(agent_id, ClosedWrap(pending, code, ClosedBy.AGENT, now, inbound))
        owner = agent_id if callback_agent is True else callback_agent or None
        if inbound:
            # No attempt row: the inbound call's own record keeps the disposition.
            self.inbound_calls.without_attempt.discard(pending)
            self.db.write(self.inbound.disposed(pending, code, note))  # type: ignore[arg-type]
        else:
            self.db.write([self.link.disposition_op(pending, code, now, callback_at, owner,
                                                    note=note)])
        if pending in self.awaiting_word:
            self.awaiting_word.discard(pending)
            heard = self.link.heard(code)
            if heard is not None:
                # The agent's word on the machine verdict they took, before the disposition
                # ends their wrap-up (the engine keeps the verdict until then): a person is
                # then a live, connected answer (``LiveAnswerConfirmed``); a code that says
                # neither leaves the machine verdict (the safe side).
                self.post(CallClassified(now, pending, heard))
        elif not inbound:
            self._machine_word(pending, code, now)
        self.post(CallDisposed(now, agent_id, pending, code))
        return pending

    def _machine_word(self, call_id: str, code: str, now: float) -> None:
        """The agent's disposition says a machine answered a call connected to them as a
        person (AMD said live, missed it, or was off): the engine takes the answer out of
        its abandonment ledger and tells pacing (``CallClassified`` after the end), and
        the attempt is recorded as a machine's, out of the store's ledger (the live
        answers of the 24-hour and 30-day rates), as the other direction (a machine
        verdict the agent said was a person: ``LiveAnswerConfirmed``) is recorded. Fewer
        live answers is the higher abandonment rate: the safe side."""
        if self.link.heard(code) is AnswerKind.MACHINE:
            self.post(CallClassified(now, call_id, AnswerKind.MACHINE))
            self.db.write([self.link.machine_answer_op(call_id)])

    def _correct(self, agent_id: str, wrap: ClosedWrap, code: str,
                 callback_at: datetime | None, note: str | None,
                 callback_agent: str | bool | None) -> str:
        """The agent's disposition of a call whose wrap-up the fallback closed a moment ago
        (its timeout while they typed): it replaces the fallback on the same attempt (one
        attempt, one disposition: the store's ``set_disposition`` overwrites), once."""
        if wrap.inbound and callback_at is not None:
            raise RunnerError(f"disposition {code}: a callback at a chosen time is kept on a "
                              "lead, and a call in has none: choose another disposition")
        if callback_at is not None:
            self._check_callback(wrap.call_id, callback_at)
        now = self.clock()
        owner = agent_id if callback_agent is True else callback_agent or None
        if wrap.inbound:
            self.db.write(self.inbound.disposed(wrap.call_id, code, note))  # type: ignore[arg-type]
        else:
            self.db.write([self.link.disposition_op(wrap.call_id, code, now, callback_at,
                                                    owner, note=note)])
            self._machine_word(wrap.call_id, code, now)  # the correction says a machine
        self.wraps.closed(agent_id, ClosedWrap(wrap.call_id, code, ClosedBy.AGENT, now,
                                               wrap.inbound))
        if self.screens:
            self.screens.agents_changed((agent_id,))
        return wrap.call_id

    def _check_callback(self, call_id: str, callback_at: datetime) -> None:
        """Refuse a callback the dialer could never keep (``dispose_checks``)."""
        target = self.wrap_targets.get(call_id)
        if target is None:
            return  # not an outbound lead's call: refused above, or the gate decides
        from campaigns.compliance import campaign_rules

        lead = _lead_facts(target)
        placed = _placement(lead)
        zones = placed.zone_infos() if placed is not None else ()
        us = placed is not None and (placed.region in US_REGIONS or bool(placed.states))
        settings = self.link.settings
        refusal = callback_refusal(
            callback_at, zones, settings.schedule, us=us,
            on_dnc=self.internal_dnc.is_listed(target.number_e164)) or (
                state_hours_refusal(callback_at, lead, campaign_rules(self.link.name, settings),
                                    _tables(), placement=placed) if us else None)
        if refusal is not None:
            raise RunnerError(refusal)

    def _agent_changed(self, change: AgentStateChanged) -> None:
        if change.state is AgentState.ON_CALL and change.call_id:
            self.screens.bridged(change.call_id, change.agent_id, change.at)
            call = self.engine.calls.get(change.call_id) if self.engine is not None else None
            if call is not None and call.target is not None:
                # Kept for the callback check of its disposition (the gate forgets the lead
                # when the call ends, before the agent disposes): one per agent.
                keep = {change.call_id, *self.to_dispose.values(),
                        *(wrap.call_id for wrap in self.wraps.last.values())}
                for gone in [c for c in self.wrap_targets if c not in keep]:
                    del self.wrap_targets[gone]
                self.wrap_targets[change.call_id] = call.target
        op = self.link.agent_state_op(change)
        if op is not None:
            self.db.write([op])
        if change.state is AgentState.WRAP_UP and change.call_id:
            self.inbound.wrap_started(change.agent_id, change.call_id)
        elif change.previous is AgentState.WRAP_UP:
            self.db.write(self.inbound.wrap_ended(change.agent_id, change.at))  # type: ignore[arg-type]
        if change.state is AgentState.WRAP_UP and change.call_id:
            self.to_dispose[change.agent_id] = change.call_id
            self.disposition_pending.add(change.call_id)
        elif change.previous is AgentState.WRAP_UP:
            undisposed = self.to_dispose.pop(change.agent_id, None)
            self.awaiting_word.discard(undisposed)  # type: ignore[arg-type]
            if undisposed is not None:
                self.wraps.closed(change.agent_id, ClosedWrap(
                    undisposed, self.link.settings.wrap_up_timeout_disposition,
                    ClosedBy.FALLBACK, change.at,
                    undisposed in self.inbound_calls.without_attempt))
            if undisposed in self.inbound_calls.without_attempt:
                self.inbound_calls.without_attempt.discard(undisposed)
                # As for an outbound call: the campaign's fallback is the recorded one.
                self.db.write(self.inbound.disposed(  # type: ignore[arg-type]
                    undisposed, self.link.settings.wrap_up_timeout_disposition, None))
            elif undisposed is not None:
                # Wrap-up ended without a disposition (timeout, logout): the campaign's
                # fallback decides the lead's future, so it never waits in a call for ever.
                self.db.write([self.link.disposition_op(
                    undisposed, self.link.settings.wrap_up_timeout_disposition, change.at)])
        self.on_agent_change(change)
        if self.screens:
            self.screens.agents_changed((change.agent_id,))

    # --- commands --------------------------------------------------------------------------

    async def execute(self, commands: list[Command]) -> None:
        """The engine's commands, in order: journals (their dials wait for the commit, in
        ``send_dials``), store writes, agents' screens, switch commands; then the gate
        verdicts the engine acted on, to the queue callbacks' rows (kept_verdicts.py)."""
        if not commands:
            self._keep_verdicts()
            return
        journals = [c for c in commands if isinstance(c, JournalAttempt)]
        dials: list[Originate] = []
        if journals:
            for journal in journals:
                self.callback_settled(journal.lead_id)
            # The journal is committed in the database thread while this loop goes on with
            # other calls' events; the dial sender sends these originates once it is.
            for journal in journals:
                if journal.lead_id.startswith(QUEUE_CALLBACK):
                    self.inbound_calls.without_attempt.add(journal.call_id)
            committed = self.db.submit([
                self.inbound.begin_op(j) if j.lead_id.startswith(QUEUE_CALLBACK)
                else self.link.begin_op(j) for j in journals])
            dials = [c for c in commands if isinstance(c, Originate)]
            self.dial_queue.put_nowait((committed, journals, dials))
        gate = self.gate
        screens = self.screens
        for command in commands:
            self.stats.commands_executed += 1
            inbound_ops = self.inbound.ops_for(command)
            if inbound_ops is not None:
                if isinstance(command, AttemptFinished) and command.call_id in self.unjournaled:
                    # A callback dial refused at journaling: no attempt row to close.
                    inbound_ops = [op for op in inbound_ops if isinstance(op, QueueStoreOp)]
                elif isinstance(command, AttemptFinished) and command.call_id in self.unsent:
                    # Journaled, certainly never sent: closed so, no call for any limit.
                    inbound_ops = [replace(op, never_sent=True) if isinstance(op, FinishOp)
                                   else op for op in inbound_ops]
                self.db.write(inbound_ops)  # type: ignore[arg-type]
                if isinstance(command, AttemptFinished):
                    self._finished_inbound(command)
                continue
            if isinstance(command, AttemptFinished):
                self._finished(command)
            elif isinstance(command, AgentStateChanged):
                self._agent_changed(command)
            elif type(command) in DESK_BOUND:
                if screens:
                    screens.feed(command)
                continue
            elif isinstance(command, ReleaseLead):
                self.callback_settled(command.lead_id)
                self.hopper.settled(command.lead_id)
                gate.forget(command.lead_id)
                compliance = command.reason == "compliance"
                reason = "; ".join(command.verdict.reasons) if command.verdict else None
                if command.reason == "no route":
                    # No gateway serves the number: offered again later, not at every tick.
                    self.db.write([self.link.release_op(
                        command.lead_id, command.at + COMPLIANCE_RETRY,
                        "no gateway serves this number")])
                    continue
                retry_at = (command.at + COMPLIANCE_RETRY if compliance
                            else command.at + PREVIEW_SKIP_RETRY
                            if command.reason == "preview skipped" else None)
                self.db.write([self.link.release_op(
                    command.lead_id, retry_at,
                    f"dial time: {reason}" if compliance and reason else None)])
            elif isinstance(command, LiveAnswerConfirmed):
                self._live_answer_confirmed(command)
            elif isinstance(command, Incident):
                self.stats.incident(command.kind.value)
                log.warning("incident %s%s%s: %s", command.kind.value,
                            f" call {command.call_id}" if command.call_id else "",
                            f" agent {command.agent_id}" if command.agent_id else "",
                            command.detail)
            elif isinstance(command, RecordOptOut):
                # Honoured at once: the gate reads the shared list at the next dial.
                self.stats.opt_outs += 1
                self.internal_dnc.add(
                    command.number_e164, utc(command.at),
                    command.reason or "opt-out during call", f"campaign:{command.campaign}",
                    source=f"call:{command.call_id}")
            elif isinstance(command, JournalAttempt) or (dials and isinstance(command, Originate)):
                continue
            else:
                if isinstance(command, PlayMessage) and command.decision_id is not None:
                    # A recorded message rests on a compliance decision: on disk before it
                    # plays, like a dial's (if the audit cannot be written, no message).
                    try:
                        await self.db.call(gate.flush_audit)
                    except Exception as error:
                        log.error("audit log write failed, leaving no message: %s", error)
                        await self.send(Hangup(command.at, command.call_id))
                        continue
                await self.send(command)
                if screens and type(command) in DESK_SWITCH:
                    screens.feed(command)
        self.hopper.released.clear()
        self._keep_verdicts()

    def _keep_verdicts(self) -> None:
        """After the commands' own writes (a callback's row is written before its first
        verdict): each callback's last verdict to the store."""
        inbound = self.inbound
        if inbound is not None:
            ops = inbound.verdict_ops()
            if ops:
                self.db.write(ops)  # type: ignore[arg-type]

    async def send_dials(self) -> None:
        """The dial sender: in journal order, each batch's originates once its journal is
        committed (never before); a journal refused or failed is not dialed."""
        while True:
            committed, journals, dials = await self.dial_queue.get()
            result: BatchResult | None = None
            try:
                result = await committed
                refused = result.refused
                unwritten = result.unwritten
            except Exception as error:
                # The database's first line (a driver's text goes on with the statement).
                unwritten = "journal not written: " + (str(error).splitlines() or [""])[0]
                refused = {j.call_id: unwritten for j in journals}
            retry_at: float | None = None
            if unwritten is not None:
                # The store's failure: held, not charged; named once per outage.
                retry_at = self.unwritten.failed(unwritten, len(journals), self.clock())
            elif journals:
                self.unwritten.written(self.clock())
            for call_id, why in refused.items():
                if why and unwritten is None:
                    log.warning("not dialing %s: %s", call_id, why)
                self.unjournaled.add(call_id)
            hopper = self.hopper
            for journal in journals:
                if journal.call_id not in refused:
                    self.gate.record_dial(journal.number_e164, journal.at, self.campaign,
                                          journal.lead_id)
                if hopper is None or journal.lead_id.startswith(QUEUE_CALLBACK):
                    continue
                if retry_at is not None and journal.call_id in refused:
                    # Its own backoff (the store's: 5 s doubling to 60 s), claimed and kept
                    # here, decided again then; not the claim's lapse.
                    hopper.hold(journal.lead_id, retry_at)
                else:
                    hopper.settled(journal.lead_id)
            engine = self.engine
            for originate in dials:
                if engine is not None and originate.call_id not in engine.calls:
                    continue  # ended before it could be dialed (shutdown): never dialed
                if originate.call_id in refused:
                    self.post(_never_sent(self.clock(), originate.call_id,
                                          refused[originate.call_id], journals, result,
                                          retry_at))
                else:
                    if self.gateway_watch is not None:
                        await self.gateway_watch.wire.turn(originate.switch_id,
                                                           originate.gateway)
                    now = self.clock()
                    if now - originate.at > SEND_SECONDS:
                        # The calling-hours rules proved the window open only until the
                        # allowance after the decision: later, the dial may ring outside it.
                        log.warning("not dialing %s: sent %.3f s after its decision, over "
                                    "the %g s send allowance (dnc.rules.base.SEND_ALLOWANCE)",
                                    originate.call_id, now - originate.at, SEND_SECONDS)
                        if self.stats is not None:
                            self.stats.late_sends += 1
                        if self.telemetry is not None:
                            self.telemetry.late_send()
                        self.unsent.add(originate.call_id)
                        self.post(DialNotSent(now, originate.call_id,
                                              "past the send allowance after its decision"))
                        continue
                    await self.send(originate)

    def _finished_inbound(self, command: AttemptFinished) -> None:
        """An inbound call or a queue callback's dial ended (recorded by the inbound link)."""
        switch_id = self.call_switch.pop(command.call_id, None)
        if command.direction is Direction.INBOUND:
            self.inbound_calls.released(command.call_id, switch_id)
        if command.bridged_at is None:
            self.inbound_calls.without_attempt.discard(command.call_id)  # no wrap-up comes
        live = command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE
        call_id = command.call_id
        if call_id in self.unjournaled or call_id in self.unsent:
            # A callback's dial never sent: no call for the gate's outcomes and limits, the
            # run's counts or the metrics (its journal row, if any, is closed by ``ops_for``).
            if call_id in self.unsent and command.dialed_at is not None:
                self.gate.unrecord_dial(command.number_e164, command.dialed_at,
                                        command.lead_id)
            self.unjournaled.discard(call_id)
            self.unsent.discard(call_id)
            return
        if command.direction is not Direction.INBOUND and command.dialed_at is not None:
            self.gate.record_outcome(command.number_e164, command.dialed_at, answered_live=live,
                                     conversation=command.bridged_at is not None,
                                     abandoned=command.abandoned)
        self.stats.ended(command.call_id, command.outcome.value, command.abandoned, live)
        if self.telemetry is not None:
            self.telemetry.finished(command)

    def _finished(self, command: AttemptFinished) -> None:
        self.call_switch.pop(command.call_id, None)
        self.stats.forget_message(command.call_id)
        if command.message == "failed":
            log.warning("call %s: abandoned and the safe-harbour message could not be played: "
                        "not a legal abandon (check the message file on the switch)",
                        command.call_id)
        live = command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE
        never_dialed = command.call_id in self.unjournaled
        unsent = bool(self.unsent) and command.call_id in self.unsent
        refused = self.sends is not None and not never_dialed \
            and self.sends.refused_before_placing(command.call_id)
        went_before = bool(self.reached_before) and command.call_id in self.reached_before
        if went_before:
            self.reached_before.discard(command.call_id)
        if command.failed_over_to is not None and (went_before or not refused):
            self.reached_before.add(command.failed_over_to)
        if refused and command.failed_over_to is not None:
            # A gateway leg the switch refused before any channel (the gateway down or
            # unknown), the attempt gone on through the next gateway: its INVITE never
            # left the switch, so it is no call of the person's for any limit (its row
            # closed ``NOT_SENT``), and the lead, charged once for the attempt, keeps it.
            self.stats.failovers += 1
            if command.dialed_at is not None:
                self.gate.unrecord_dial(command.number_e164, command.dialed_at,
                                        command.lead_id)
            self.db.write([replace(self.link.finish_op(command), never_sent=True)])
            return
        if refused and not went_before:
            # The switch refused it before any channel (a gateway down, no route there):
            # nothing reached the network, so it is no call of the number's (never a bad
            # number, nor charged), as a dial never sent (send_hold.py).
            self.unsent.add(command.call_id)
            unsent = True
        if unsent:
            # Journaled, certainly never sent: its row is closed (``NOT_SENT_CAUSE``) and
            # the lead not charged it; no call for the run's counts and metrics, nor for the
            # gate's limits any more (counted from the journal until now: the safe side).
            self.unsent.discard(command.call_id)
            if command.dialed_at is not None:
                self.gate.unrecord_dial(command.number_e164, command.dialed_at,
                                        command.lead_id)
            if command.lead_id is not None:
                self.gate.forget(command.lead_id)
            self.db.write([replace(self.link.finish_op(command), never_sent=True)])
            return
        if self.telemetry is not None and not never_dialed:
            self.telemetry.finished(command)
        if not never_dialed and command.dialed_at is not None:
            # Attempt limits, Reg F's conversation rule, Ofcom's 72 h rule see it at once.
            self.gate.record_outcome(command.number_e164, command.dialed_at, answered_live=live,
                                     conversation=command.bridged_at is not None,
                                     abandoned=command.abandoned,
                                     machine=command.answer_kind is AnswerKind.MACHINE,
                                     called_party_ended=called_party_may_have_ended(
                                         ended=True, answered=command.answered_at is not None,
                                         message=command.message, cause=command.cause.name,
                                         side=command.hangup_side.value))
        if command.failed_over_to is not None:
            # The attempt goes on as another leg: the lead's facts stay with the gate.
            self.stats.failovers += 1
            if not never_dialed:
                self.db.write([self.link.finish_op(command)])
            else:
                self.unjournaled.discard(command.call_id)
            return
        held = command.lead_id is not None and self.hopper is not None \
            and self.hopper.holds(command.lead_id)
        if command.lead_id is not None and not held:
            self.gate.forget(command.lead_id)  # a held lead keeps its facts for its retry
        if never_dialed:
            self.unjournaled.discard(command.call_id)
            return  # nothing was journaled, the lead is not ours to reschedule
        # Counted in the store's words (the report's and the retry rules'), not the engine's.
        self.stats.ended(command.call_id, store_outcome(command).value, command.abandoned,
                         live)
        ops = [self.link.finish_op(command)]
        pending = command.call_id in self.disposition_pending
        self.disposition_pending.discard(command.call_id)
        if command.answer_kind is AnswerKind.MACHINE and command.agent_id is not None \
                and self.to_dispose.get(command.agent_id) == command.call_id \
                and self.machine_to_free_agent:
            self.awaiting_word.add(command.call_id)  # a machine verdict an agent took
        if command.outcome is CallOutcome.CONNECTED and not pending:
            # The agent left before the call ended (their leg dropped, e.g. with a switch
            # restart): no wrap-up will ever set a disposition, so the fallback does now, or
            # the lead would stay in a call for ever.
            log.warning("call %s ended after its agent %s was gone: disposition %s",
                        command.call_id, command.agent_id,
                        self.link.settings.wrap_up_timeout_disposition)
            ops.append(self.link.disposition_op(
                command.call_id, self.link.settings.wrap_up_timeout_disposition, command.at))
        self.db.write(ops)

    def _live_answer_confirmed(self, command: LiveAnswerConfirmed) -> None:
        """A machine verdict the agent took was a person (their disposition said so): the
        attempt, recorded as a machine, is now a live answer, connected and not abandoned,
        for the store's ledger and reports; its lead follows the disposition as any
        connected call's."""
        self.stats.live_answers += 1
        if self.telemetry is not None:
            self.telemetry.live_answer_confirmed(command.at)
        log.info("call %s: agent %s's disposition says a person answered the machine "
                 "verdict they took: recorded as a live, connected answer", command.call_id,
                 command.agent_id)
        self.db.write([self.link.live_answer_op(command.call_id)])

    async def send(self, command: Command) -> None:
        """One command to its switch (by its leg's switch, else the campaign's first)."""
        if isinstance(command, Originate | OriginateAgentLeg | OriginateConsult | Eavesdrop):
            switch_id = command.switch_id
        else:
            key = (getattr(command, "call_id", None) or getattr(command, "agent_leg_id", None)
                   or getattr(command, "leg_a", ""))
            switch_id = self.call_switch.get(key, self.default_switch)
        sends = self.sends
        if isinstance(command, Originate) and sends is not None \
                and not sends.may_send(command.call_id, switch_id):
            # Its switch refuses every call: this one is not written (its lead not charged,
            # given its attempt back), but for the one probe (send_hold.py).
            self.unsent.add(command.call_id)
            self.post(DialNotSent(self.clock(), command.call_id,
                                  f"held: switch {switch_id} refuses every call"))
            return
        try:
            line = api_line(command, self.gateway, self.campaign,
                            self.detectors.get(switch_id, self.default_detector), self.owner)
        except AdapterError as error:
            if isinstance(command, Originate):
                self._unwritable_originate(command, error)
            else:
                log.error("cannot send %s: %s", type(command).__name__, error)
            return
        if line is None:
            return
        job_uuid = str(uuid.uuid4())
        if isinstance(command, Originate):
            self.call_switch[command.call_id] = switch_id
            self.stats.dialed(command.at)
            if self.telemetry is not None:
                self.telemetry.dialed(command, command.at)
        elif isinstance(command, OriginateConsult | Eavesdrop):
            self.call_switch[command.leg_id] = switch_id
            if isinstance(command, Eavesdrop):
                self.eavesdrops[command.supervisor] = command.leg_id
        elif isinstance(command, OriginateAgentLeg):
            if not self.switches.connected(switch_id):
                # Not up yet (start-up) or away: the nailed-up leg is sent once it is back,
                # or the agent would wait in ``connecting`` for ever.
                self.pending_agent_legs.setdefault(switch_id, []).append(command)
                return
            self.call_switch[command.agent_leg_id] = switch_id
        client = self.switches.clients.get(switch_id)
        if client is None or not client.connected:
            self.stats.send_failures += 1
            log.warning("%s: not connected, %s not sent", switch_id, type(command).__name__)
            if isinstance(command, Originate):
                # Never dial into a switch that is down: the originate was never written,
                # so no attempt (``DialNotSent``), not the carrier's failure.
                self.unsent.add(command.call_id)
                self.post(DialNotSent(self.clock(), command.call_id,
                                      f"switch {switch_id} not connected"))
                if sends is not None:
                    sends.lost(switch_id)  # a probe taken for it is given up
            return
        # The leg is followed (and its job result read with its events) from before the
        # command is written: a BACKGROUND_JOB can never arrive unclaimed.
        if isinstance(command, Originate):
            self.translator.add_call(command.call_id, job_uuid)
            if sends is not None:
                # Its verdict may come before the reply to the command (a refusal at once).
                sends.sent(command.call_id, switch_id, command.gateway)
        elif isinstance(command, OriginateConsult):
            self.translator.add_call(command.leg_id, job_uuid)  # the consulted party's leg
        elif isinstance(command, OriginateAgentLeg):
            self.translator.add_agent_leg(command.agent_leg_id, command.agent_id, job_uuid)
        elif isinstance(command, Bridge):
            self.stats.bridge_sent(command.call_id, self.clock())
            self.translator.add_bridge(job_uuid, command.call_id, command.agent_id,
                                       command.agent_leg_id)
        elif isinstance(command, PlayMessage):
            self.stats.message_sent(command.call_id, switch_id, self.clock())
        try:
            _, result = await client.bgapi(line, job_uuid)
        except EslError as error:
            self.stats.send_failures += 1
            log.warning("%s: %s failed: %s", switch_id, line.split()[0], error)
            if isinstance(command, Originate):
                self._originate_not_taken(command, switch_id, error)
            if isinstance(command, OriginateAgentLeg) and not self.switches.connected(switch_id):
                # The link went down before the switch took the leg: send it once back.
                self.translator.forget(command.agent_leg_id)
                self.call_switch.pop(command.agent_leg_id, None)
                self.pending_agent_legs.setdefault(switch_id, []).append(command)
            return  # the reconnect reconciliation settles what became of this call
        if isinstance(command, Originate | OriginateAgentLeg | Bridge | OriginateConsult):
            result.add_done_callback(_ignore_result)  # read by the translator, with the events
        else:
            result.add_done_callback(_report_refusal(switch_id, line,
                                                     quiet=isinstance(command, Hangup)))

    def _unwritable_originate(self, command: Originate, error: AdapterError) -> None:
        """An originate no API line can carry. Its number's fault only when the number
        itself cannot be written (``INVALID_NUMBER_FORMAT``: the lead is invalid, as before);
        otherwise it is the switch side's (the gateway's name, a channel variable such as
        the caller ID name, the switch's machine detector): no originate was written, so no
        attempt (``DialNotSent``, the lead given its attempt back), never the number blamed.
        Before, every such error was reported as a bad number."""
        now = self.clock()
        try:
            plan_for("gateway").customer(command.number_e164)
        except AdapterError:
            log.error("cannot dial %s: its number cannot be written on an originate line: %s",
                      command.call_id, error)
            self.post(OriginateFailed(now, command.call_id, HangupCause.INVALID_NUMBER_FORMAT))
            return
        words = f"the switch command could not be written: {error}"
        if words not in self.unwritable_commands:
            # One ERROR per distinct cause: a setting at fault fails every dial alike.
            self.unwritable_commands.add(words)
            log.error("not dialing %s: %s (the number is not at fault: no attempt charged; "
                      "fix the setting named)", command.call_id, words)
        if self.stats is not None:
            self.stats.send_failures += 1
        self.unsent.add(command.call_id)
        self.post(DialNotSent(now, command.call_id, words))
        if self.sends is not None:
            self.sends.refused(words, command.call_id, command.switch_id)

    def _originate_not_taken(self, command: Originate, switch_id: str,
                             error: EslError) -> None:
        """The event socket refused the originate (``-ERR`` on the bgapi reply: nothing was
        placed, so no attempt: ``DialNotSent``) or could not write it (the link dropped:
        the reconnect's reconciliation settles whether the switch placed it). Either is a
        refusal of the switch side (send_hold.py)."""
        if self.sends is not None:
            self.sends.refused(f"the event socket of {switch_id}: {error}", command.call_id,
                               switch_id)
        if isinstance(error, EslCommandError) and self.switches.connected(switch_id):
            self.translator.forget(command.call_id)
            self.call_switch.pop(command.call_id, None)
            self.unsent.add(command.call_id)
            self.post(DialNotSent(self.clock(), command.call_id,
                                  f"the switch refused the command: {error}"))

    async def send_pending_agent_legs(self, switch_id: str) -> None:
        """The switch is back: open the legs of agents still waiting for one."""
        engine = self.engine
        for command in self.pending_agent_legs.pop(switch_id, []):
            agent = engine.pool.agents.get(command.agent_id) if engine is not None else None
            if agent is not None and agent.leg_id == command.agent_leg_id:
                await self.send(command)


def _ignore_result(result: asyncio.Future[str]) -> None:
    if not result.cancelled():
        result.exception()  # retrieve it so asyncio does not report it as lost


def _report_refusal(switch_id: str, line: str, quiet: bool = False):
    """A command FreeSWITCH answered with ``-ERR`` is logged (a hang-up of a channel already
    gone is routine: DEBUG)."""
    def done(result: asyncio.Future[str]) -> None:
        if result.cancelled() or result.exception() is not None:
            return
        output = result.result().strip()
        if output.startswith("-ERR") or output.startswith("-USAGE"):
            level = logging.DEBUG if quiet else logging.WARNING
            log.log(level, "%s: `%s` refused: %s", switch_id, line, output.splitlines()[0])
    return done


@functools.cache
def _tables() -> RuleTables:
    return RuleTables()


def _lead_facts(target: DialTarget) -> LeadFacts:
    """What the rules place a lead by: its number, time zone, state and postal code."""
    attributes = target.attributes
    return LeadFacts(target.number_e164, time_zone=attributes.get("timezone"),
                     state=attributes.get("state"), postal_code=attributes.get("postal_code"))


def _placement(lead: LeadFacts) -> Placement | None:
    """Where the compliance rules place the lead (its zones, its states), once for both
    callback checks; None when they cannot place it (the dial gate refuses it then)."""
    try:
        return place(lead, _tables())
    except ComplianceError:
        return None
