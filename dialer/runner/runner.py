"""The live runner: the real clock, the engine, the switches and the store in one event loop.

One ``asyncio.TaskGroup`` owns every task (database writer, one event pump per switch, the
hopper refill, claim renewal, the shared-ledger refresh, the control socket, reconnect
reconciliation); the main loop feeds events to the engine stamped by its clock (the wall
clock; the switch simulator's when it embeds one, ``clock_rate``), ticks
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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from campaigns.hopper import SelectionCheck
from campaigns.store import CampaignStore
from dialer.commands import AgentStateChanged, Command
from dialer.engine import CallState, Engine
from dialer.errors import DialerError
from dialer.esl.client import Backoff
from dialer.esl.errors import EslError
from dialer.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    DialNotSent,
    Event,
    InboundCallArrived,
    MessageLatency,
    OriginateFailed,
    PlaybackStarted,
    QueuesClosing,
    SwitchDown,
    SwitchRefusing,
)
from dialer.freeswitch.latency import LatencyBudget
from dialer.hangup import HangupCause
from dialer.runner.alerting import RunnerAlerts, alert_sinks
from dialer.runner.campaign_link import (
    AgentSpec,
    CampaignLink,
    campaign_config,
    first_attempt_at,
)
from dialer.runner.capabilities import probe
from dialer.runner.compliance import GatePort, selection_check
from dialer.runner.control import ControlServer
from dialer.runner.dbworker import DbWorker, Outage
from dialer.runner.dial_gate import build_dial_gate
from dialer.runner.errors import RunnerError
from dialer.runner.execution import (
    CommandExecution,
    Counters,
    DeskSide,
    ExecutionTerms,
    InboundSide,
    JournalSide,
    JournalStep,
)
from dialer.runner.fsmap import EventTranslator
from dialer.runner.gateway_watch import GatewayWatch
from dialer.runner.hopper import Hopper
from dialer.runner.inbound import InboundLink, QueueStoreOp, apply_queue_writes
from dialer.runner.inbound_calls import InboundCalls
from dialer.runner.inbound_stop import voicemail_deadline, voicemails_note
from dialer.runner.journal_spill import campaign_spills, kept_ops, replay_lock, spill, spill_dir
from dialer.runner.journal_spill import written as spill_written
from dialer.runner.pacing import build_policy
from dialer.runner.recovery import Recovery
from dialer.runner.run_end import CLOSE_WAIT, END_BOUND, HANG_UP_WAIT, TASK_END_WAIT, EndWatch
from dialer.runner.send_hold import SendGuard, SwitchHolds
from dialer.runner.settings import RunnerSettings
from dialer.runner.state_follow import StateFollow, utc_hhmm
from dialer.runner.stats import RunnerStats
from dialer.runner.status import RunStatus
from dialer.runner.switches import SwitchPool
from dialer.runner.telemetry import MetricSources, Telemetry
from dialer.runner.upkeep import CampaignUpkeep
from dialer.runner.watch import ScreenFeed, Watchers
from dialer.runner.wiring import CommandRelay, RunPhase, SwitchSide
from dnc.internal import InternalDnc
from pacing_models.interface import PacingPolicy

log = logging.getLogger("dialer.runner")


class Runner:
    """Runs one campaign until ``stop()`` (graceful) or the duration ends."""

    def __init__(self, settings: RunnerSettings, store: CampaignStore, *,
                 policy: PacingPolicy | None = None, clock: Callable[[], float] = time.time,
                 login_agents: bool = False, agents: Sequence[str] | None = None,
                 on_agent_change: Callable[[AgentStateChanged], None] | None = None,
                 backoff: Backoff = Backoff(), heartbeat_timeout: float = 45.0,
                 control_socket: Path | None = None, hopper_low_water: int = 20,
                 claim_check: SelectionCheck | None = None,
                 gate: GatePort | None = None, clock_rate: float = 1.0) -> None:
        if not clock_rate > 0:
            raise RunnerError(f"clock_rate {clock_rate}: must be positive")
        self.settings = settings
        self.store = store
        self.clock = clock
        self.clock_rate = clock_rate
        """Seconds of ``clock`` per real second: 1 for the wall clock; the switch
        simulator's ``speed`` when the runner runs on its clock (``dialer demo --speed``),
        so the engine's ring time, connect window and wrap-up are the simulated switch's
        seconds. The main loop's waits are divided by it. Before, the runner kept the wall
        clock against a sped-up simulator: at speed 10 the engine's 25 s ring time lasted
        250 simulated seconds and every unanswered call rang to the switch's backstop."""
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
        self.config = campaign_config(self.campaign, self.link.settings, switch_ids,
                                      first_attempt_at(store, self.link.campaign_id, self.clock()))
        self.policy = policy or build_policy(
            self.campaign, self.config.pacing_policy, self.config.pacing_params,
            guard=self.link.settings.compliance.abandon_limit_guard)
        self.claim_ttl = timedelta(seconds=self.link.settings.claim_ttl_seconds)
        # The company's internal DNC (dnc.internal) is the list every process and every
        # compliance check shares: opt-outs taken here land there, and numbers a compliance
        # officer lists there are refused at the next dial.
        self.internal_dnc = InternalDnc(settings.data / "dnc" / "internal.db")
        # The gate reads the list itself: a number's membership and the list's version
        # (which its decisions name) in one look per dial.
        self.gate: GatePort = gate or build_dial_gate(store, self.campaign, settings.data,
                                                      None, self.internal_dnc)
        self.claim_check = claim_check or selection_check(store, settings.data)
        self.hopper = Hopper(hopper_low_water)
        self.inbox: asyncio.Queue[Event] = asyncio.Queue()
        self.translator = EventTranslator(clock)
        self.switches = SwitchPool(settings.switches, self.campaign, self.translator,
                                   self.inbox.put_nowait, clock, heartbeat_timeout, backoff)
        self.engine: Engine | None = None
        self.latency = LatencyBudget(self.config.message_latency_budget)
        self.stats = RunnerStats(clock())
        self.phase = RunPhase()
        """Where the run is (started, stopping, hanging up, inbound only): moved here, read
        by the parts (wiring.py)."""
        self.ready = self.phase.ready
        """Set once recovery is done and dialing may start (tests wait on it)."""
        self.call_switch: dict[str, str] = {}
        """Leg → the switch carrying it (recorded as commands and recovery place legs)."""
        self.switch_side = SwitchSide(self.switches, self.translator, self.call_switch)
        self.commands = CommandRelay()
        """The command side for the parts built before it (bound to ``execution``)."""
        self.db = DbWorker(JournalStep(store, self.owner, self.gate, self._queue_writes))
        self.inbound = InboundLink(self.link, self.db, prompt_dirs=[settings.data / "prompts"],
                                   prompts_on_switch=settings.prompts_on_switch,
                                   clock=clock, post=self.post)
        """Queues, inbound records and queue callbacks (dialer/runner/inbound.py)."""
        self.inbound_calls = InboundCalls(
            self.link, self.db, self.switch_side, served=self.inbound.served,
            prompts=self.inbound.prompts, queue_store=self.inbound.store,
            default_switch=self.config.switch_ids[0], phase=self.phase, stats=self.stats,
            commands=self.commands, clock=clock, post=self.post)
        """Parked inbound channels: taken, left, refused, adopted (inbound_calls.py)."""
        self.recovery = Recovery(
            self.link, self.db, self.switch_side, config=self.config, stats=self.stats,
            commands=self.commands, adopt_inbound=self.inbound_calls.adopt,
            relogin=self.relogin, clock=clock, post=self.post)
        """What a previous run left and a lost link hid, settled (recovery.py)."""
        self.upkeep = CampaignUpkeep(
            store=store, link=self.link, owner=self.owner,
            ledger_window=self.config.ledger_window, settings=settings, hopper=self.hopper,
            db=self.db, gate=self.gate, claim_check=self.claim_check,
            claim_ttl=self.claim_ttl, clock=clock, post=self.post)
        """Hopper refills, claim renewal, the shared ledger, the audit anchors (upkeep.py)."""
        self.alerts = RunnerAlerts(
            self.link, self.db, config=self.config, switches=self.switches,
            hopper=self.hopper, phase=self.phase, queue_readings=self.inbound.queue_readings,
            sinks=alert_sinks(settings.data, self.campaign, settings.alerts_webhook),
            clock=clock)
        """The campaign's and the queues' alerts (log, webhook, monitor, web)."""
        self.status = RunStatus(self.link, self.db, switches=self.switches, hopper=self.hopper,
                                adopted=self.recovery.orphans, phase=self.phase, clock=clock)
        self.state_follow = StateFollow(self, clock)
        """The campaign's stored state, followed while running (state_follow.py)."""
        self.status.dialing_held = self.state_follow.held_reason
        """What it is doing and why not dialing (dashboard, status line, exit status)."""
        self.status.stop_cause = self.state_follow.stop_cause
        # A store that cannot be written holds dialing, not the run, up to its limit
        # (dbworker.py; docs/operations.md, "When the store is down").
        self.state_follow.follower.outage_limit = settings.store_outage_limit
        self.db.on_outage = self._store_outage
        self.alerts.follow = self.state_follow  # who paused, for the pause alert
        self.stop_requested = asyncio.Event()
        self.end_watch: EndWatch | None = None
        """The process's last resort when the stop overruns its bound (``dialer run`` sets
        it; run_end.py): moved as the stop goes on, from the stop's start to the exit."""
        self.control_socket = control_socket
        self.watchers = Watchers()
        """Agent desktops and wallboards following this runner (``{"op": "watch"}``)."""
        self.eavesdrops: dict[str, str] = {}
        """Supervisor → the leg their phone listens on (one at a time)."""
        self.gateway_watch: GatewayWatch | None = None
        """The carriers' router's watcher, when the switches have gateways in the store."""
        self.telemetry: Telemetry | None = (
            Telemetry(self.campaign, MetricSources(
                self.switch_side, self.db, self.config.abandon_target,
                bool(self.inbound.served)))
            if settings.metrics else None)
        """The Prometheus endpoint's side of the runner (``--metrics``)."""
        self.execution = CommandExecution(
            ExecutionTerms(self.campaign, self.owner, settings.gateway,
                           self.config.switch_ids[0], self.config.machine_to_free_agent),
            self.switch_side,
            JournalSide(self.link, self.db, self.gate, self.hopper, self.internal_dnc,
                        self.upkeep.callback_settled),
            Counters(self.stats, self.telemetry),
            InboundSide(self.inbound, self.inbound_calls),
            DeskSide(ScreenFeed(self), self.eavesdrops, self._agent_changed),
            clock=clock, post=self.post)
        """The engine's commands on the switches and in the journal (execution.py)."""
        self.commands.bind(self.execution)
        self.sends = SendGuard(
            SwitchHolds(self.config.switch_ids, settings.switch_refusal_limit), clock,
            utc_hhmm, self.state_follow.switch_sends,
            lambda switch_id, refusing: self.post(SwitchRefusing(clock(), switch_id,
                                                                 refusing)))
        """Whether each switch takes originates: after refusals in a row its dials are
        held (the engine places none there), and one call probes; with every switch held
        the campaign's dialing is (send_hold.py; docs/operations.md)."""
        self.execution.sends = self.sends
        self.alerts.sends = self.sends
        self.status.switches_refusing = self.sends.refusing
        if self.telemetry is not None:
            self.telemetry.switch_refusing = lambda: self.sends.holds.seconds(clock())
        self.alerts.unwritten = self.execution.unwritten  # dials held: one alert per outage

    # --- public ----------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        """No new dial; the calls in progress finish (``RunPhase.stopping``)."""
        return self.phase.stopping

    @property
    def hang_up_now(self) -> bool:
        """A second stop request: hang up the calls in progress without waiting."""
        return self.phase.hanging_up

    def stop(self) -> None:
        """Stop dialing; calls in progress finish (bounded by ``settings.stop_grace``).

        Asked again while stopping (a second Ctrl-C), the calls still in progress are hung
        up at once; the journal is still closed and the agents logged out before exit."""
        if self.stopping or self.stop_requested.is_set():
            self.phase.hanging_up = True
        elif self.end_watch is not None:
            # Armed here too, not only when the loop sees the request: a loop stuck on an
            # await would never see it, and the process must still end.
            self._watch_end(self.settings.stop_grace + HANG_UP_WAIT, "stopping: told to stop")
        self.stop_requested.set()

    def post(self, event: Event) -> None:
        """Feed an event from outside (control socket, simulated agents)."""
        self.inbox.put_nowait(event)

    @property
    def to_dispose(self) -> Mapping[str, str]:
        """Agent → the call whose wrap-up waits for a disposition (the command side's,
        read by the agents' screens)."""
        return self.execution.to_dispose

    def dispose(self, agent_id: str, call_id: str, disposition: str,
                callback_at: datetime | None = None, *, note: str | None = None,
                callback_agent: str | bool | None = True) -> str:
        """The agent's disposition of the call in wrap-up (``CommandExecution.dispose``):
        journaled, and ends the wrap-up; returns the call it applied to."""
        return self.execution.dispose(agent_id, call_id, disposition, callback_at, note=note,
                                      callback_agent=callback_agent)

    async def run(self, duration: float | None = None) -> None:
        """Run until stopped; a user-facing error (bad password, campaign already running)
        comes out as itself, not wrapped in an ExceptionGroup."""
        try:
            await self._run(duration)
        except BaseExceptionGroup as group:
            raise _first_user_error(group) or group from None

    async def _run(self, duration: float | None) -> None:
        async with self.switches.running(), asyncio.TaskGroup() as group:
            background = [group.create_task(self.db.run(), name="db writer"),
                          group.create_task(self.status.run(), name="status")]
            background += [group.create_task(self.switches.pump(sid), name=f"events {sid}")
                           for sid in self.switches.clients]
            if self.control_socket is not None:
                server = ControlServer(self.control_socket, self.handle_control,
                                       self._watch)
                await server.start()
                background.append(group.create_task(server.serve(), name="control"))
                background.append(group.create_task(self.watchers.publish_snapshots(self),
                                                    name="watch snapshots"))
            try:
                if self.telemetry is not None and self.settings.metrics:
                    self.telemetry.start(self.settings.metrics)
                await self._start()
                upkeep = self.upkeep
                background.append(group.create_task(upkeep.refill(), name="hopper"))
                background.append(group.create_task(self.execution.send_dials(),
                                                    name="dials"))
                background.append(group.create_task(upkeep.renew_claims(), name="claims"))
                background.append(group.create_task(upkeep.refresh_ledger(), name="ledger"))
                background.append(group.create_task(upkeep.anchor_audit(), name="audit anchor"))
                background.append(group.create_task(self._reconcile_on_reconnect(),
                                                    name="reconnects"))
                background.append(group.create_task(self.inbound.watch(), name="queues"))
                background.append(group.create_task(self.inbound_calls.watch(),
                                                    name="inbound calls"))
                if self.gateway_watch is not None:
                    background.append(group.create_task(self.gateway_watch.run(self.clock),
                                                        name="gateways"))
                if self.telemetry is not None:
                    background.append(group.create_task(self.telemetry.run(self.clock),
                                                        name="metrics"))
                background.append(group.create_task(self.inbound_calls.run_claims(),
                                                    name="inbound claims"))
                background.append(group.create_task(self.alerts.watch(), name="alerts"))
                background.append(group.create_task(self.state_follow.run(),
                                                    name="campaign state"))
                self.ready.set()
                await self._loop(duration)
            finally:
                if self.end_watch is not None:
                    self.end_watch.tighten(time.monotonic() + END_BOUND, "closing: the "
                                           "background tasks and the last database work")
                for task in background:
                    task.cancel()
                try:
                    await self._close_within(CLOSE_WAIT)
                finally:
                    await _end_tasks(background)

    # --- start and stop --------------------------------------------------------------------

    def _store_outage(self, outage: Outage | None) -> None:
        """The database worker's outage began or ended: dialing held or resumed."""
        self.state_follow.store_writes(outage.failure if outage is not None else None)

    def _queue_writes(self, ops: list[QueueStoreOp], again: bool = False) -> None:
        """Database thread: queue store writes, a spill file's too (those name no store:
        the inbound side's is theirs)."""
        apply_queue_writes(ops, again, self.inbound.writes)

    @property
    def spill_file(self) -> Path:
        """Where the journal writes a run could not write at its end are kept (a file of
        its own per run, in this directory)."""
        return spill_dir(self.settings.data)

    async def _write_spilled(self) -> None:
        """What earlier runs of the campaign kept because the store was down at their end
        (this owner's, or another's that never came back), written before anything is
        recovered or dialed (in order, what is found written skipped; journal_spill.py)."""
        for path, count, owner in await self.db.call(self._replay_spills):
            log.warning("%d journal writes a run of %s kept in %s (the store was down at its "
                        "end) are written", count, owner, path)

    def _replay_spills(self) -> list[tuple[Path, int, str]]:
        """Database thread: every spill file of the campaign, under the replay lock (two
        starting processes never both write one), each removed once written."""
        done: list[tuple[Path, int, str]] = []
        with replay_lock(self.settings.data):
            for kept in campaign_spills(self.settings.data, self.campaign, self.owner):
                try:
                    self.db.apply(kept.ops, again=True, owner=kept.owner)
                except Exception as error:
                    raise RunnerError(
                        f"{kept.path}: the {len(kept.ops)} journal writes a run of "
                        f"{kept.owner} kept (the store was down at its end) cannot be "
                        f"written now ({error}): nothing dialed; start again when the store "
                        "is back") from error
                spill_written(kept.path)
                done.append((kept.path, len(kept.ops), kept.owner))
        return done

    async def _start(self) -> None:
        await self._write_spilled()
        ledger_seed = await self.recovery.recover()
        from dialer.runner.callback_gate import CallbackGate
        from dialer.runner.carriers import caller_id_pool, caller_id_usage_today
        from dialer.runner.gateway_watch import load_gateways

        now = self.clock()
        shown_today = await self.db.call(caller_id_usage_today, self.store,
                                          self.link.campaign_id, now)
        router = await self.db.call(load_gateways, self.store, self.config.switch_ids)
        if router is not None:
            self.gateway_watch = GatewayWatch(router, self.alerts.book, self.clock)
        # Queue callbacks are outbound calls of this campaign: the full dial-time gate over
        # each callback's facts (dialer/runner/callback_gate.py).
        callback_gate = CallbackGate(self.gate, self.link.name) if self.inbound.served \
            else None
        self.inbound.callback_gate = callback_gate
        self.engine = Engine(self.config, self.policy, self.hopper, self.gate,
                             new_id=lambda: str(uuid.uuid4()), ledger_seed=ledger_seed,
                             queues=self.inbound.queues, opted_out=self._opted_out,
                             caller_ids=caller_id_pool(self.link.settings, shown_today, now),
                             gateways=router, callback_gate=callback_gate)
        self.upkeep.attach(self.engine)
        self.recovery.attach(self.engine)
        self.inbound.attach(self.engine)
        self.inbound_calls.attach(self.engine)
        self.alerts.attach(self.engine)
        self.status.attach(self.engine)
        if self.telemetry is not None:
            self.telemetry.attach(self.engine)
        self.execution.attach(self.engine, self.gateway_watch)
        if self.inbound.served:
            counts = await self.db.call(self.store.lead_status_counts, self.link.campaign_id)
            self.phase.inbound_only = not any(counts.values())
        for pending in await self.db.call(self.inbound.claim, self.clock()):
            self.post(pending)  # queue callbacks kept across the restart
        for switch_id in self.switches.clients:
            if self.switches.connected(switch_id):
                await self._check_switch(switch_id, fatal=True)
                self.switches.mark_up(switch_id)
        # Paused by a supervisor (or `dialer campaign pause`): stays so until resumed; the
        # stored state is followed from here on (state_follow.py).
        self.state_follow.start(self.store.campaign(self.link.campaign_id).state)
        await self.upkeep.refresh_ledger_once()
        await self.upkeep.share_slack_once()  # before any dial: a newcomer claims nothing
        await self.upkeep.refill_once()
        if self.login_agents:
            now = self.clock()
            for name in self.login_names:
                spec = self.link.agents[name]
                self.post(AgentLoggedIn(now, spec.agent_id, spec.endpoint, spec.skills))

    def _opted_out(self, number_e164: str) -> bool:
        return self.internal_dnc.is_listed(number_e164)

    async def _execute(self, commands: list[Command]) -> None:
        await self.execution.execute(commands)

    def _agent_changed(self, change: AgentStateChanged) -> None:
        # Read at each change: a test or the demo sets its simulated desk after construction.
        if self.on_agent_change is not None:
            self.on_agent_change(change)

    def _watch_end(self, seconds: float, what: str) -> None:
        """The run must have ended ``seconds`` from now plus ``END_BOUND`` (run_end.py)."""
        if self.end_watch is not None:
            self.end_watch.arm(time.monotonic() + seconds + END_BOUND, what)

    async def _close_within(self, seconds: float) -> None:
        """``_close`` bounded: a database that stops answering at the end must not keep the
        process alive; what was not committed is said, and the run ends with an error."""
        try:
            async with asyncio.timeout(seconds):
                await self._close()
        except TimeoutError:
            pending = self.db.pending_operations
            self.db.abandon()
            raise RunnerError(
                f"the database did not answer within {seconds:g} s while the run closed: "
                f"{pending} journal writes not committed (the next start's recovery settles "
                "the attempts they would have closed); leads still claimed return to the "
                "pool when their claims expire") from None

    async def _close(self) -> None:
        # Every lead still claimed by this process (held in the hopper, waiting for a
        # callback agent, or claimed by a refill cut short) goes back to the pool.
        self.hopper.drain()
        self.hopper.released = []
        try:
            await self.db.flush()
        except Exception as error:
            if self.db.outage is None:
                raise
            await self._close_unwritten(error)
            return
        released = await self.db.call(self.store.release_claims, self.owner)
        if released:
            log.info("released %d claimed leads never dialed", released)
        if await self.db.call(self.inbound.release):
            log.info("released the queue callbacks this process held")
        self.alerts.close()
        await self.db.call(self.gate.close)
        flush = getattr(self.claim_check, "flush_audit", None)
        if callable(flush):
            await self.db.call(flush)
        await self.upkeep.anchor_audit_once()  # every stop anchors the log's head
        await self.db.close()
        if self.telemetry is not None:
            self.telemetry.close()
        self.internal_dnc.close()

    async def _close_unwritten(self, error: BaseException) -> None:
        """The run ends while the store still cannot be written: the writes it holds are
        kept in the spill file for the next start, and the run ends with an error that
        says so (claims lapse by themselves; the audit log is a file, closed as ever)."""
        outage = self.db.outage
        kept, dropped = kept_ops(self.db.held)
        self.alerts.close()
        with contextlib.suppress(Exception):
            await self.db.call(self.gate.close)
        self.db.abandon()
        if self.telemetry is not None:
            self.telemetry.close()
        self.internal_dnc.close()
        path = spill(self.settings.data, self.campaign, self.owner, kept)
        lost = f"; {dropped} writes of another kind not kept" if dropped else ""
        raise RunnerError(
            f"the campaign store cannot be written ({outage.failure if outage else error}): "
            f"{len(kept)} journal writes (calls' outcomes, agent history, dispositions, "
            f"inbound records, queue callbacks, voicemails) kept in {path}; the next `dialer "
            f"run {self.campaign}` (any --instance) writes them before it dials{lost}. Leads "
            "still claimed return to the pool when their claims expire")

    async def _loop(self, duration: float | None) -> None:
        engine = self.engine
        assert engine is not None
        clock = self.clock
        end_at = None if duration is None else clock() + duration
        if duration is not None:  # the bound holds even if the loop never sees its end
            self._watch_end(duration + self.settings.stop_grace + HANG_UP_WAIT,
                            "dialing for --duration")
        drain_deadline: float | None = None
        hung_up = False
        voicemails_kept = False
        inbox = self.inbox
        while True:
            now = clock()
            if not self.stopping and (self.stop_requested.is_set()
                                      or (end_at is not None and now >= end_at)):
                self.phase.stopping = True
                self.hopper.closed = True
                drain_deadline = now + self.settings.stop_grace
                self._watch_end(self.settings.stop_grace + HANG_UP_WAIT,
                                "stopping: calls in progress finishing")
                log.info("stopping: no new dials; %d calls in progress", len(engine.calls))
                if self.inbound.served:
                    # Callers waiting in the queues are kept as callbacks (or hear the
                    # queue's closed path) now, not hung up when the grace runs out.
                    self.post(QueuesClosing(now))
            if self.stopping:
                if not engine.calls and not self.recovery.orphans:
                    break
                if self.hang_up_now and not hung_up:
                    drain_deadline = now
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
                    # Callers leaving a voicemail finish it (bounded by each queue's
                    # voicemail.max_seconds, when the engine hangs up); a second stop
                    # hangs them up too (inbound_stop.py).
                    finishing = {} if self.hang_up_now or voicemails_kept else \
                        engine.inbound.voicemails()
                    await self._hang_up_all(keep=finishing)
                    if finishing:
                        voicemails_kept = True
                        drain_deadline = voicemail_deadline(finishing, now)
                        self._watch_end(drain_deadline - now + HANG_UP_WAIT,
                                        "stopping: callers leaving a voicemail")
                    else:
                        hung_up = True
                        drain_deadline = now + HANG_UP_WAIT
                        self._watch_end(HANG_UP_WAIT, "stopping: hang-ups to be confirmed")
            wake = engine.next_wakeup()
            delay = 0.0 if wake is None else max(0.0, min(wake - now, 1.0))
            if inbox.empty() and delay > 0:
                event: Event | None = None
                # Only the wait is bounded: cancelling _handle half-way would leave the
                # engine ahead of the store (a call ended, its outcome never written).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay / self.clock_rate):
                        event = await inbox.get()
                if event is not None:
                    await self._handle(event)
            while not inbox.empty():
                await self._handle(inbox.get_nowait())
            now = clock()
            self.sends.tick()  # a hold's probe comes due
            if wake is None or now >= wake:
                await self._execute(engine.tick(now))
        await self._log_out_agents()

    async def _hang_up_all(self, keep: Mapping[str, float] | None = None) -> None:
        """Hang up every call in progress but those in ``keep`` (voicemails finishing)."""
        engine = self.engine
        assert engine is not None
        keep = keep or {}
        calls = [c for c in [*engine.calls, *self.recovery.orphans] if c not in keep]
        if calls or not keep:
            log.warning("%s: hanging up %d calls still in progress",
                        "asked to stop again" if self.hang_up_now else "stop grace over",
                        len(calls))
        if keep:
            log.info("%s", voicemails_note(keep, self.clock()))
        for call_id in calls:
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

    def _refused_unsent(self, event: OriginateFailed) -> Event:
        """A call the switch refused before any channel (a gateway down, no route there,
        send_hold.py) reached nobody: it is told to the engine as a dial never sent
        (``DialNotSent``), so it is no attempt for pacing (its answer rate, the placement's
        rates) nor in the engine's dial count, as its journal row is closed ``NOT_SENT``
        and its lead given its attempt back. Before (2026-12-07) the engine heard
        ``OriginateFailed``, a failed attempt of the number's. A call routed over the
        carriers' gateways keeps ``OriginateFailed``: the router fails it over to the
        next gateway and counts the refusal against the gateway (docs/carriers.md)."""
        engine = self.engine
        call = engine.calls.get(event.call_id) if engine is not None else None
        if call is None or call.gateway is not None or call.state is not CallState.DIALING \
                or event.call_id not in self.sends.refused_calls:
            return event
        return DialNotSent(event.at, event.call_id,
                           f"refused by the switch before any channel: -ERR {event.cause.name}")

    async def _handle(self, event: Event) -> None:
        engine = self.engine
        assert engine is not None
        call_id = getattr(event, "call_id", None)
        if call_id is not None and self.sends.waiting():
            self.sends.heard(call_id, event)
            if isinstance(event, OriginateFailed):
                event = self._refused_unsent(event)
        elif isinstance(event, SwitchDown):
            self.sends.lost(event.switch_id)  # a probe out there has no verdict to come
        if call_id is not None and call_id in self.recovery.orphans:
            await self.recovery.orphan_event(event)
            return
        inbound_calls = self.inbound_calls
        if inbound_calls.refused and inbound_calls.event(event):
            return
        if isinstance(event, InboundCallArrived):
            taken = await inbound_calls.arrived(event)
            if taken is None:
                return
            event = taken
        self.stats.events_handled += 1
        if isinstance(event, CallAnswered):
            if not self.config.amd_enabled:
                self.stats.answered(event.call_id, event.at)
            if event.call_id not in inbound_calls.without_attempt or \
                    self.inbound.dialing_callback(event.call_id):
                # Journaled at once (a queue callback's dial too): after a crash the
                # attempt is closed, and counted in the ledger, as answered.
                self.db.write([self.link.answered_op(event.call_id, event.at)])
        elif (isinstance(event, CallClassified) and self.config.amd_enabled
              and event.kind is not AnswerKind.MACHINE):
            # With AMD the connect window runs from its decision (the end of the greeting,
            # 47 CFR 64.1200(a)(7)(i)): measure answer-to-bridge from there.
            self.stats.answered(event.call_id, event.at)
        elif isinstance(event, CallBridged):
            latency = self.stats.bridged(event.call_id, event.at)
            if self.telemetry is not None and latency is not None:
                self.telemetry.bridged(latency)
            if event.call_id not in inbound_calls.without_attempt or \
                    self.inbound.dialing_callback(event.call_id):
                self.db.write([self.link.bridged_op(event.call_id, event.at, event.agent_id)])
        elif isinstance(event, PlaybackStarted):
            heard = self.stats.message_heard(event.call_id, event.at)
            if heard is not None:
                budget = self.latency.observe(*heard)
                if budget is not None:
                    log.info("switch %s: messages start %.3f s after the command (p95 + "
                             "margin): sent that much before the connect window closes",
                             heard[0], budget)
                    await self._execute(engine.handle(MessageLatency(event.at, heard[0], budget)))
        await self._execute(engine.handle(event))

    # --- background ------------------------------------------------------------------------

    async def _reconcile_on_reconnect(self) -> None:
        while True:
            switch_id = await self.switches.reconnected.get()
            if not self.switches.connected(switch_id):
                continue
            log.warning("switch %s: connected again; checking it and reconciling its calls",
                        switch_id)
            try:
                usable = await self._check_switch(switch_id, fatal=False)
                await self.recovery.reconcile_switch(switch_id, relogin=True)
            except EslError as error:
                log.warning("switch %s: lost again while reconciling: %s", switch_id, error)
                continue
            if usable:
                self.switches.mark_up(switch_id)
                await self.execution.send_pending_agent_legs(switch_id)

    async def _check_switch(self, switch_id: str, *, fatal: bool) -> bool:
        """Can this campaign use the switch? Its prompts must be playable and, with AMD on,
        it must have a detector (capabilities.py). At start a problem stops the runner; a
        switch that comes back later with a problem is kept out of dialing (ERROR)."""
        config = self.config
        prompts = {"the safe-harbour message": config.safe_harbor_message}
        if config.machine_action.value == "leave_message":
            prompts["the voicemail message"] = config.machine_message
        if self.inbound.queues is not None:
            # uuid_broadcast/playback of a missing prompt is "+OK" too: a caller would sit
            # in silence where a menu or an announcement should be.
            prompts.update(self.inbound.queues.prompt_paths())
        caps = await probe(self.switches.clients[switch_id], prompts)
        problems = caps.problems(switch_id, config.amd_enabled)
        if self.inbound_calls.served and not await self.inbound_calls.switch_can_claim(
                self.switches.clients[switch_id]):
            problems.append(
                f"switch {switch_id} has no mod_hash (module_exists mod_hash: false), which "
                "the runner needs to claim inbound callers so that two processes never take "
                "the same one: load mod_hash (in FreeSWITCH's tree) or remove the campaign's "
                "queues")
        if problems:
            advice = ("" if not caps.missing else
                      ". Put the file on the switch (docs/operations.md, \"The safe-harbour "
                      "message\"; queue prompts: docs/inbound.md, \"Prompts\") or set the "
                      f"campaign's path (`dialer campaign edit {self.campaign} --set "
                      "safe_harbor_message=PATH`, `dialer run --prompts-on-switch DIR`): "
                      "without a playable message no abandoned call is a legal one")
            text = "; ".join(problems) + advice
            if fatal:
                raise RunnerError(text)
            log.error("%s; switch %s is not used", text, switch_id)
            return False
        self.execution.use_detector(switch_id, caps.detector)
        if config.amd_enabled:
            log.info("switch %s: answering-machine detection with %s", switch_id,
                     caps.detector.value)
        return True

    # --- control ---------------------------------------------------------------------------

    async def handle_control(self, request: dict[str, Any]) -> dict[str, Any]:
        from dialer.runner.control import dispatch

        return await dispatch(self, request)

    async def _watch(self, writer: asyncio.StreamWriter) -> None:
        await self.watchers.stream(self, writer)

    async def hang_up_leg(self, leg_id: str) -> None:
        """End a leg the engine does not follow (a supervisor's listening phone)."""
        switch_id = self.call_switch.pop(leg_id, None)
        client = self.switches.clients.get(switch_id) if switch_id else None
        if client is not None and client.connected:
            with contextlib.suppress(EslError):
                await client.bgapi(f"uuid_kill {leg_id} NORMAL_CLEARING")

    def record_campaign_state(self, paused: bool, seen_version: int | None = None,
                              by: str | None = None) -> int | None:
        """The campaign's state in the store follows a supervisor's pause (database thread).
        With ``seen_version`` (the console page's) it is a compare-and-set that raises
        ``StaleVersion`` or ``IllegalTransition`` (a resume only from paused); without, a
        transition the state machine refuses is left as it is. Returns the state version
        stored (None when nothing was written). ``by``: the console supervisor."""
        from campaigns.store import IllegalTransition
        from dialer.runner.campaign_link import utc

        target = "paused" if paused else "running"
        if seen_version is not None:
            return self.store.transition_campaign(
                self.link.campaign_id, target, at=utc(self.clock()), seen_version=seen_version,
                only_from=None if paused else ("paused",), by=by).state_version
        with contextlib.suppress(IllegalTransition):
            return self.store.transition_campaign(self.link.campaign_id, target,
                                                  at=utc(self.clock()), by=by).state_version
        return None

    def agent_spec(self, agent_id: str) -> AgentSpec | None:
        return self.link.agents.get(agent_id)

    def relogin(self, agent_id: str) -> None:
        """Open a new nailed-up leg for an agent who lost theirs with the switch."""
        spec = next((s for s in self.link.agents.values() if s.agent_id == agent_id), None)
        if spec is None or self.stopping:
            return
        self.post(AgentLoggedIn(self.clock(), spec.agent_id, spec.endpoint, spec.skills))

    def outcome_counts(self) -> dict[str, int]:
        return dict(self.stats.outcomes)


async def _end_tasks(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Wait for the cancelled background tasks to end, ``TASK_END_WAIT`` at a time; one that
    ignored its cancellation (asyncio.wait_for on Python 3.11 can swallow one) is cancelled
    again, and named in the log, so a stop never waits on it unsaid."""
    pending = [task for task in tasks if not task.done()]
    for attempt in (1, 2):
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=TASK_END_WAIT)
        pending = [task for task in tasks if task in still]
        if pending and attempt == 1:
            log.warning("%s did not end %g s after the stop cancelled them: cancelled again",
                        ", ".join(task.get_name() for task in pending), TASK_END_WAIT)
            for task in pending:
                task.cancel()
    if pending:
        log.error("%s do not end when cancelled: the run cannot end cleanly",
                  ", ".join(task.get_name() for task in pending))


def _first_user_error(group: BaseExceptionGroup) -> DialerError | None:
    for error in group.exceptions:
        if isinstance(error, DialerError):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = _first_user_error(error)
            if found is not None:
                return found
    return None


__all__ = ["Runner"]
