"""The live runner: the real clock, the engine, the switches and the store in one event loop.

One ``asyncio.TaskGroup`` owns every task (database writer, one event pump per switch, the
hopper refill, claim renewal, the shared-ledger refresh, the control socket, reconnect
reconciliation); the main loop feeds events to the engine with ``time.time()`` stamps, ticks
it at ``next_wakeup()`` and executes the commands in order. The journal of a batch is
committed before any of its originates is sent.

Storage is the product's campaign store (``campaigns.CampaignStore``, SQLite or
PostgreSQL): leads come from its hopper (claimed for this process's owner id, renewed while
held), attempts, agent history and dispositions go to its journal in batches
(``journal_batch``), and the abandonment ledger is the campaign's: this process's own
answers live in the engine's ``AbandonLedger``, the other processes' are refreshed from the
database every few seconds (``AbandonLedger.set_shared_counts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from campaigns.hopper import SelectionCheck
from campaigns.journal import LedgerCounts
from campaigns.journal_batch import BatchResult, BeginOp, JournalOp
from campaigns.store import CampaignStore
from dialer.commands import (
    AgentState,
    AgentStateChanged,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Command,
    JournalAttempt,
    Originate,
    OriginateAgentLeg,
    RecordOptOut,
    ReleaseLead,
)
from dialer.engine import Engine
from dialer.errors import DialerError
from dialer.esl.client import Backoff
from dialer.esl.errors import EslError
from dialer.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AnswerKind,
    CallAnswered,
    CallbackDue,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    Event,
    OriginateFailed,
)
from dialer.freeswitch import AdapterError
from dialer.hangup import HangupCause
from dialer.ports import DialTarget
from dialer.runner.campaign_link import AgentSpec, CampaignLink, campaign_config, utc
from dialer.runner.compliance import GatePort, selection_check
from dialer.runner.control import ControlServer
from dialer.runner.dbworker import DbWorker
from dialer.runner.dial_gate import build_dial_gate
from dialer.runner.errors import RunnerError
from dialer.runner.fsmap import EventTranslator, api_line, job_failure_cause
from dialer.runner.hopper import Hopper
from dialer.runner.pacing import build_policy
from dialer.runner.recovery import Recovery
from dialer.runner.settings import RunnerSettings
from dialer.runner.stats import RunnerStats
from dnc.internal import InternalDnc
from dnc.rules.model import CampaignState
from pacing_models.interface import PacingPolicy

log = logging.getLogger("dialer.runner")
COMPLIANCE_RETRY = 900.0
"""Seconds before a lead refused by compliance (e.g. outside calling hours) is offered again."""
LEDGER_REFRESH = 3.0
"""Seconds between refreshes of the other processes' share of the campaign's ledger."""


class Runner:
    """Runs one campaign until ``stop()`` (graceful) or the duration ends."""

    def __init__(self, settings: RunnerSettings, store: CampaignStore, *,
                 policy: PacingPolicy | None = None, clock: Callable[[], float] = time.time,
                 login_agents: bool = False, agents: Sequence[str] | None = None,
                 on_agent_change: Callable[[AgentStateChanged], None] | None = None,
                 backoff: Backoff = Backoff(), heartbeat_timeout: float = 45.0,
                 control_socket: Path | None = None, hopper_low_water: int = 20,
                 claim_check: SelectionCheck | None = None,
                 gate: GatePort | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.login_agents = login_agents
        self.on_agent_change = on_agent_change
        self.owner = settings.owner
        self.link = CampaignLink(store, settings.campaign, self.owner)
        self.campaign = self.link.name
        unknown = sorted(set(agents or ()) - set(self.link.agents))
        if unknown:
            raise RunnerError(f"agents {', '.join(unknown)} are not on campaign "
                              f"{self.campaign!r} (add them with `dialer campaign edit "
                              f"{self.campaign} --agent NAME=ENDPOINT`)")
        self.login_names = tuple(agents) if agents else tuple(self.link.agents)
        switch_ids = tuple(sid for sid, _ in settings.switches) or ("default",)
        self.config = campaign_config(self.campaign, self.link.settings, switch_ids)
        self.policy = policy or build_policy(self.config.pacing_policy, self.config.pacing_params)
        self.claim_ttl = timedelta(seconds=self.link.settings.claim_ttl_seconds)
        # The company's internal DNC (dnc.internal) is the list every process and every
        # compliance check shares: opt-outs taken here land there, and numbers a compliance
        # officer lists there are refused at the next dial.
        self.internal_dnc = InternalDnc(settings.data / "dnc" / "internal.db")
        self.gate: GatePort = gate or build_dial_gate(store, self.campaign, settings.data,
                                                      self._opted_out)
        self.claim_check = claim_check or selection_check(store, settings.data)
        self.hopper = Hopper(hopper_low_water)
        self.db = DbWorker(self._apply)
        self.inbox: asyncio.Queue[Event] = asyncio.Queue()
        self.translator = EventTranslator(self._owns_call, clock)
        from dialer.runner.switches import SwitchPool

        self.switches = SwitchPool(settings.switches, self.campaign, self.translator,
                                   self.inbox.put_nowait, clock, heartbeat_timeout, backoff)
        self.engine: Engine | None = None
        self.recovery = Recovery(self)
        self.stats = RunnerStats(clock())
        self.call_switch: dict[str, str] = {}
        self.dial_queue: asyncio.Queue[tuple[asyncio.Future[BatchResult],
                                             list[JournalAttempt], list[Originate]]] = (
            asyncio.Queue())
        """Originates waiting for their journal's commit (sent by ``_send_dials``)."""
        self.unjournaled: set[str] = set()
        """Calls whose journal was refused or failed: never dialed, nothing to close."""
        self.to_dispose: dict[str, str] = {}
        """Agent → the connected call whose wrap-up runs and has no disposition yet."""
        self.callback_leads: set[str] = set()
        """Leads claimed for a due callback, waiting in the engine for their agent."""
        self.shared_ledger: LedgerCounts | None = None
        """The other processes' live answers and abandons in the window (last refresh)."""
        self.stopping = False
        self.stop_requested = asyncio.Event()
        self.control_socket = control_socket
        self.ready = asyncio.Event()
        """Set once recovery is done and dialing may start (tests wait on it)."""

    # --- public ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop dialing; calls in progress finish (bounded by ``settings.stop_grace``)."""
        self.stop_requested.set()

    def post(self, event: Event) -> None:
        """Feed an event from outside (control socket, simulated agents)."""
        self.inbox.put_nowait(event)

    def _owns_call(self, call_id: str) -> bool:
        engine = self.engine
        return (engine is not None and call_id in engine.calls) or call_id in self.recovery.orphans

    async def run(self, duration: float | None = None) -> None:
        """Run until stopped; a user-facing error (bad password, campaign already running)
        comes out as itself, not wrapped in an ExceptionGroup."""
        try:
            await self._run(duration)
        except BaseExceptionGroup as group:
            raise _first_user_error(group) or group from None

    async def _run(self, duration: float | None) -> None:
        async with self.switches.running(), asyncio.TaskGroup() as group:
            background = [group.create_task(self.db.run(), name="db writer")]
            background += [group.create_task(self.switches.pump(sid), name=f"events {sid}")
                           for sid in self.switches.clients]
            if self.control_socket is not None:
                server = ControlServer(self.control_socket, self.handle_control)
                await server.start()
                background.append(group.create_task(server.serve(), name="control"))
            try:
                await self._start()
                background.append(group.create_task(self._refill(), name="hopper"))
                background.append(group.create_task(self._send_dials(), name="dials"))
                background.append(group.create_task(self._renew_claims(), name="claims"))
                background.append(group.create_task(self._refresh_ledger(), name="ledger"))
                background.append(group.create_task(self._reconcile_on_reconnect(),
                                                    name="reconnects"))
                self.ready.set()
                await self._loop(duration)
            finally:
                for task in background:
                    task.cancel()
                await self._close()

    # --- start and stop --------------------------------------------------------------------

    async def _start(self) -> None:
        ledger_seed = await self.recovery.recover()
        self.engine = Engine(self.config, self.policy, self.hopper, self.gate,
                             new_id=lambda: str(uuid.uuid4()), ledger_seed=ledger_seed)
        await self._refresh_ledger_once()
        await self._refill_once()
        if self.login_agents:
            now = self.clock()
            for name in self.login_names:
                spec = self.link.agents[name]
                self.post(AgentLoggedIn(now, spec.agent_id, spec.endpoint, spec.skills))

    def _opted_out(self, number_e164: str) -> bool:
        return self.internal_dnc.entry(number_e164) is not None

    def _apply(self, ops: Sequence[JournalOp]) -> BatchResult:
        """One database step (database thread): the dial-time decisions a batch's dials
        rest on go to the audit log before its journal is committed; if the audit cannot
        be written, the batch's other writes land but none of its dials (refused)."""
        begins = [op for op in ops if isinstance(op, BeginOp)]
        if begins:
            try:
                self.gate.flush_audit()
            except Exception as error:
                log.error("audit log write failed, not dialing %d calls: %s", len(begins),
                          error)
                result = self.store.journal_batch(
                    [op for op in ops if not isinstance(op, BeginOp)], owner=self.owner)
                return BatchResult(result.begun, {
                    op.call_uuid: f"audit log not written: {error}" for op in begins},
                    result.problems)
        return self.store.journal_batch(ops, owner=self.owner)

    async def _close(self) -> None:
        # Every lead still claimed by this process (held in the hopper, waiting for a
        # callback agent, or claimed by a refill cut short) goes back to the pool.
        self.hopper.drain()
        self.hopper.released = []
        await self.db.flush()
        released = await self.db.call(self.store.release_claims, self.owner)
        if released:
            log.info("released %d claimed leads never dialed", released)
        await self.db.call(self.gate.close)
        await self.db.close()
        self.internal_dnc.close()

    async def _loop(self, duration: float | None) -> None:
        engine = self.engine
        assert engine is not None
        clock = self.clock
        end_at = None if duration is None else clock() + duration
        drain_deadline: float | None = None
        hung_up = False
        inbox = self.inbox
        while True:
            now = clock()
            if not self.stopping and (self.stop_requested.is_set()
                                      or (end_at is not None and now >= end_at)):
                self.stopping = True
                self.hopper.closed = True
                drain_deadline = now + self.settings.stop_grace
                log.info("stopping: no new dials; %d calls in progress", len(engine.calls))
            if self.stopping:
                if not engine.calls and not self.recovery.orphans:
                    break
                if drain_deadline is not None and now >= drain_deadline:
                    if hung_up:
                        # The switch did not confirm in time. Ask it what is still up:
                        # calls it no longer has are closed now; only calls really live
                        # are left to the next start's recovery (attempts stay open, leads
                        # untouched), never one that merely lost its last event.
                        await self._settle_with_switches()
                        if engine.calls or self.recovery.orphans:
                            log.warning("exiting with %d calls still live on the switch",
                                        len(engine.calls) + len(self.recovery.orphans))
                            break
                        continue
                    await self._hang_up_all()
                    hung_up = True
                    drain_deadline = now + 5.0
            wake = engine.next_wakeup()
            delay = 0.0 if wake is None else max(0.0, min(wake - now, 1.0))
            if inbox.empty() and delay > 0:
                event: Event | None = None
                # Only the wait is bounded: cancelling _handle half-way would leave the
                # engine ahead of the store (a call ended, its outcome never written).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        event = await inbox.get()
                if event is not None:
                    await self._handle(event)
            while not inbox.empty():
                await self._handle(inbox.get_nowait())
            now = clock()
            if wake is None or now >= wake:
                await self._execute(engine.tick(now))
        await self._log_out_agents()

    async def _hang_up_all(self) -> None:
        engine = self.engine
        assert engine is not None
        log.warning("stop grace over: hanging up %d calls still in progress",
                    len(engine.calls) + len(self.recovery.orphans))
        for call_id in [*engine.calls, *self.recovery.orphans]:
            switch_id = self.call_switch.get(call_id)
            if switch_id is not None and self.switches.connected(switch_id):
                with contextlib.suppress(EslError):
                    await self.switches.clients[switch_id].bgapi(
                        f"uuid_kill {call_id} SYSTEM_SHUTDOWN")
            elif call_id in engine.calls:
                # The switch is gone: nothing will report this call again.
                await self._handle(CallHungUp(self.clock(), call_id, HangupCause.SYSTEM_SHUTDOWN))

    async def _settle_with_switches(self) -> None:
        for switch_id in self.switches.clients:
            if self.switches.connected(switch_id):
                await self.recovery.reconcile_switch(switch_id)
        while not self.inbox.empty():
            await self._handle(self.inbox.get_nowait())

    async def _log_out_agents(self) -> None:
        engine = self.engine
        assert engine is not None
        now = self.clock()
        for agent_id in list(engine.pool.agents):
            await self._execute(engine.handle(AgentLoggedOut(now, agent_id)))

    # --- events ----------------------------------------------------------------------------

    async def _handle(self, event: Event) -> None:
        engine = self.engine
        assert engine is not None
        call_id = getattr(event, "call_id", None)
        if call_id is not None and call_id in self.recovery.orphans:
            await self.recovery.orphan_event(event)
            return
        self.stats.events_handled += 1
        if isinstance(event, CallAnswered):
            if not self.config.amd_enabled:
                self.stats.answered(event.call_id, event.at)
            self.db.write([self.link.answered_op(event.call_id, event.at)])
        elif (isinstance(event, CallClassified) and self.config.amd_enabled
              and event.kind is not AnswerKind.MACHINE):
            # With AMD the connect window runs from its decision (the end of the greeting,
            # 47 CFR 64.1200(a)(7)(i)): measure answer-to-bridge from there.
            self.stats.answered(event.call_id, event.at)
        elif isinstance(event, CallBridged):
            self.stats.bridged(event.call_id, event.at)
            self.db.write([self.link.bridged_op(event.call_id, event.at, event.agent_id)])
        await self._execute(engine.handle(event))

    # --- dispositions ------------------------------------------------------------------------

    def dispose(self, agent_id: str, call_id: str, disposition: str,
                callback_at: datetime | None = None) -> str:
        """The agent's disposition of the call in wrap-up: journaled, and ends the wrap-up.

        Returns the call it applied to; raises ``RunnerError`` for a disposition the campaign
        does not allow, a callback without a time, or an agent not in wrap-up."""
        code = self.link.disposition_code(disposition)
        if self.link.dispositions[code].callback and callback_at is None:
            raise RunnerError(f"disposition {code} needs a callback time (--callback-at)")
        pending = self.to_dispose.get(agent_id)
        if pending is None or (call_id and call_id != pending):
            raise RunnerError(f"agent {agent_id!r} has no call {call_id or ''} in wrap-up")
        del self.to_dispose[agent_id]
        now = self.clock()
        self.db.write([self.link.disposition_op(pending, code, now, callback_at, agent_id)])
        self.post(CallDisposed(now, agent_id, pending, code))
        return pending

    def _agent_changed(self, change: AgentStateChanged) -> None:
        op = self.link.agent_state_op(change)
        if op is not None:
            self.db.write([op])
        if change.state is AgentState.WRAP_UP and change.call_id:
            self.to_dispose[change.agent_id] = change.call_id
        elif change.previous is AgentState.WRAP_UP:
            undisposed = self.to_dispose.pop(change.agent_id, None)
            if undisposed is not None:
                # Wrap-up ended without a disposition (timeout, logout): the campaign's
                # fallback decides the lead's future, so it never waits in a call for ever.
                self.db.write([self.link.disposition_op(
                    undisposed, self.link.settings.wrap_up_timeout_disposition, change.at)])
        if self.on_agent_change is not None:
            self.on_agent_change(change)

    # --- commands --------------------------------------------------------------------------

    async def _execute(self, commands: list[Command]) -> None:
        if not commands:
            return
        journals = [c for c in commands if isinstance(c, JournalAttempt)]
        dials: list[Originate] = []
        if journals:
            for journal in journals:
                self.callback_leads.discard(journal.lead_id)
            # The journal is committed in the database thread while this loop goes on with
            # other calls' events; the dial sender sends these originates once it is.
            committed = self.db.submit([self.link.begin_op(j) for j in journals])
            dials = [c for c in commands if isinstance(c, Originate)]
            self.dial_queue.put_nowait((committed, journals, dials))
        gate = self.gate
        for command in commands:
            self.stats.commands_executed += 1
            if isinstance(command, AttemptFinished):
                self._finished(command)
            elif isinstance(command, AgentStateChanged):
                self._agent_changed(command)
            elif isinstance(command, ReleaseLead):
                self.callback_leads.discard(command.lead_id)
                gate.forget(command.lead_id)
                compliance = command.reason == "compliance"
                reason = "; ".join(command.verdict.reasons) if command.verdict else None
                self.db.write([self.link.release_op(
                    command.lead_id, command.at + COMPLIANCE_RETRY if compliance else None,
                    f"dial time: {reason}" if compliance and reason else None)])
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
                await self._send(command)
        self.hopper.released.clear()

    async def _send_dials(self) -> None:
        """The dial sender: in journal order, each batch's originates once its journal is
        committed (never before); a journal refused or failed is not dialed."""
        while True:
            committed, journals, dials = await self.dial_queue.get()
            try:
                result = await committed
                refused = result.refused
            except Exception as error:
                log.error("journal write failed, not dialing %d calls: %s", len(journals),
                          error)
                refused = {j.call_id: str(error) for j in journals}
            for call_id, why in refused.items():
                if why:
                    log.warning("not dialing %s: %s", call_id, why)
                self.unjournaled.add(call_id)
            for journal in journals:
                if journal.call_id not in refused:
                    self.gate.record_dial(journal.number_e164, journal.at, self.campaign,
                                          journal.lead_id)
            engine = self.engine
            for originate in dials:
                if engine is not None and originate.call_id not in engine.calls:
                    continue  # ended before it could be dialed (shutdown): never dialed
                if originate.call_id in refused:
                    self.post(OriginateFailed(self.clock(), originate.call_id,
                                              HangupCause.NORMAL_TEMPORARY_FAILURE))
                else:
                    await self._send(originate)

    def _finished(self, command: AttemptFinished) -> None:
        self.call_switch.pop(command.call_id, None)
        live = command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE
        never_dialed = command.call_id in self.unjournaled
        if not never_dialed and command.dialed_at is not None:
            # Attempt limits, Reg F's conversation rule, Ofcom's 72 h rule see it at once.
            self.gate.record_outcome(command.number_e164, command.dialed_at, answered_live=live,
                                     conversation=command.bridged_at is not None,
                                     abandoned=command.abandoned)
        if command.lead_id is not None:
            self.gate.forget(command.lead_id)
        if never_dialed:
            self.unjournaled.discard(command.call_id)
            return  # nothing was journaled, the lead is not ours to reschedule
        self.stats.ended(command.call_id, command.outcome.value, command.abandoned, live)
        self.db.write([self.link.finish_op(command)])

    async def _send(self, command: Command) -> None:
        try:
            line = api_line(command, self.settings.gateway, self.campaign)
        except AdapterError as error:
            log.error("cannot send %s: %s", type(command).__name__, error)
            if isinstance(command, Originate):
                self.post(OriginateFailed(self.clock(), command.call_id,
                                          HangupCause.INVALID_NUMBER_FORMAT))
            return
        if line is None:
            return
        if isinstance(command, Originate):
            switch_id = command.switch_id
            self.call_switch[command.call_id] = switch_id
            self.stats.dialed(command.at)
        elif isinstance(command, OriginateAgentLeg):
            switch_id = command.switch_id
            self.translator.add_agent_leg(command.agent_leg_id, command.agent_id)
            self.call_switch[command.agent_leg_id] = switch_id
        else:
            key = getattr(command, "call_id", None) or getattr(command, "agent_leg_id", "")
            switch_id = self.call_switch.get(key, self.config.switch_ids[0])
        client = self.switches.clients.get(switch_id)
        if client is None or not client.connected:
            self.stats.send_failures += 1
            if isinstance(command, Originate):
                # Never dial into a switch that is down: the attempt ends as failed.
                self.post(OriginateFailed(self.clock(), command.call_id,
                                          HangupCause.NORMAL_TEMPORARY_FAILURE))
            return
        if isinstance(command, Bridge):
            self.stats.bridge_sent(command.call_id, self.clock())
        try:
            _, result = await client.bgapi(line)
        except EslError as error:
            self.stats.send_failures += 1
            log.warning("%s: %s failed: %s", switch_id, line.split()[0], error)
            return  # the reconnect reconciliation settles what became of this call
        if isinstance(command, Originate):
            result.add_done_callback(self._originate_done(command.call_id))

        else:
            result.add_done_callback(_ignore_result)

    def _originate_done(self, call_id: str) -> Callable[[asyncio.Future[str]], None]:
        def done(result: asyncio.Future[str]) -> None:
            if result.cancelled() or result.exception() is not None:
                return  # link lost: reconciled when the switch is back
            cause = job_failure_cause(result.result())
            if cause is not None:
                self.stats.originate_failures += 1
                self.post(OriginateFailed(self.clock(), call_id, cause))
        return done

    # --- background ------------------------------------------------------------------------

    async def _refill_once(self) -> None:
        if self.hopper.closed:
            return
        wanted = self.hopper.wanted()
        if wanted:
            claimed = await self.db.call(self._claim, wanted, self.clock())
            if self.hopper.closed:
                return  # stopping: _close gives every claim back
            targets: list[DialTarget] = []
            for target, callback in claimed:
                if callback is None:
                    targets.append(target)
                else:
                    self.callback_leads.add(target.lead_id)
                    self.post(callback)
            self.hopper.add(targets)

    def _claim(self, n: int, now: float) -> list[tuple[DialTarget, CallbackDue | None]]:
        """Claim leads (database thread): the compliance check at selection time, then the
        dial-time gate's prefetch, before anything reaches the engine."""
        from campaigns.compliance import lead_facts

        at = utc(now)
        claimed = self.store.claim_leads(self.link.campaign_id, n, owner=self.owner, now=at,
                                         check=self.claim_check, ttl=self.claim_ttl)
        pairs = [(self.link.target(lead), lead) for lead in claimed]
        self.gate.prefetch([(target, lead_facts(lead)) for target, lead in pairs], at)
        return [(target, None if lead.callback_id is None else CallbackDue(
            now, str(lead.callback_id), target, self.link.agent_name(lead.callback_agent_id)))
            for target, lead in pairs]

    async def _refill(self) -> None:
        while True:
            await self._refill_once()
            await asyncio.sleep(0.2 if not self.hopper.exhausted else 2.0)

    async def _renew_claims(self) -> None:
        """Renew what this process holds well before it expires (a third of the TTL), so a
        long wait in the hopper never lets another process take a lead; drop what was lost."""
        period = min(60.0, self.claim_ttl.total_seconds() / 3)
        while True:
            await asyncio.sleep(period)
            held = self.hopper.lead_ids() | self.callback_leads
            if not held:
                continue
            until = utc(self.clock()) + self.claim_ttl
            kept = await self.db.call(self.store.renew_claims, self.owner,
                                      [int(lead_id) for lead_id in held], until=until)
            lost = {lead_id for lead_id in held if int(lead_id) not in kept}
            if lost:
                log.warning("%d claims were lost before dialing: dropped", len(lost))
                self.hopper.discard(lost)

    async def _refresh_ledger_once(self) -> None:
        counts = await self.db.call(
            self.store.ledger_counts, self.link.campaign_id, now=utc(self.clock()),
            window=timedelta(seconds=self.config.ledger_window), exclude_owner=self.owner)
        self.shared_ledger = counts
        engine = self.engine
        if engine is not None:
            engine.ledger.set_shared_counts(counts.live_answers, counts.abandons)
            if self.config.ledger_window <= 86400.0:
                # Ofcom measures the abandoned-call rate per campaign over 24 hours and the
                # rules engine needs it at dial time (persistent-misuse statement, A1.6).
                self.gate.campaign_state = CampaignState(
                    abandon_rate_24h=engine.ledger.rate())

    async def _refresh_ledger(self) -> None:
        """The campaign's abandonment rate is the campaign's, not this process's: the other
        processes' live answers and abandons are added to the engine's ledger."""
        while True:
            await asyncio.sleep(LEDGER_REFRESH)
            await self._refresh_ledger_once()

    async def _reconcile_on_reconnect(self) -> None:
        while True:
            switch_id = await self.switches.reconnected.get()
            await self.recovery.reconcile_switch(switch_id)

    # --- control ---------------------------------------------------------------------------

    async def handle_control(self, request: dict[str, Any]) -> dict[str, Any]:
        from dialer.runner.control import dispatch

        return await dispatch(self, request)

    def agent_spec(self, agent_id: str) -> AgentSpec | None:
        return self.link.agents.get(agent_id)

    def outcome_counts(self) -> dict[str, int]:
        return dict(self.stats.outcomes)


def _first_user_error(group: BaseExceptionGroup) -> DialerError | None:
    for error in group.exceptions:
        if isinstance(error, DialerError):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = _first_user_error(error)
            if found is not None:
                return found
    return None


def _ignore_result(result: asyncio.Future[str]) -> None:
    if not result.cancelled():
        result.exception()  # retrieve it so asyncio does not report it as lost


__all__ = ["CallOutcome", "Runner", "campaign_config"]
