"""The sans-I/O dialer engine: events in, commands out.

``handle(event)`` and ``tick(now)`` are the only entry points; neither reads a clock,
sleeps, or does I/O. Time comes from ``event.at`` and ``now``. Everything is kept in dicts
keyed by id with incremental counters, so one event costs microseconds whatever the number
of calls and agents (the simulator pushes tens of thousands of events per second through it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import count

from dialer.commands import Command, Direction
from dialer.engine.agent_work import AgentServices, AgentWork
from dialer.engine.agents import Agent
from dialer.engine.call_flow import CallFlow, CallFlowServices
from dialer.engine.callback_status import CallbackStatus, callback_statuses
from dialer.engine.caller_ids import CallerIdPool
from dialer.engine.calls import Call, CallState
from dialer.engine.config import CampaignConfig
from dialer.engine.connector import Connector
from dialer.engine.desk import AgentDesk, Consults, DeskServices
from dialer.engine.dialing import EVERY_ELAPSED_FIELD, Dialing, DialingServices
from dialer.engine.gateways import GatewayRouter
from dialer.engine.inbound import EngineServices, InboundRouter
from dialer.engine.ledger import AbandonLedger
from dialer.engine.placement import SwitchPlacement
from dialer.engine.promises import OutboundPromises
from dialer.engine.queues import QueueSet
from dialer.engine.recordings import Recorder
from dialer.engine.routing import RoutingStrategy, Work
from dialer.engine.scheduler import AgentPool
from dialer.engine.snapshot import EngineSnapshot
from dialer.engine.switch_waits import SwitchWaits, WaitServices
from dialer.engine.watch import DeadlineFloor, Wait, Watch
from dialer.events import (
    AgentAccepted,
    AgentLegDown,
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AnswerKind,
    CallAnswered,
    CallbackDialRefused,
    CallbackDue,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    CallParked,
    CallRinging,
    ConsultFinished,
    ConsultRequested,
    DialingPaused,
    DialNotSent,
    DtmfReceived,
    EavesdropRequested,
    Event,
    HoldRequested,
    InboundCallArrived,
    MessageLatency,
    OriginateFailed,
    PlaybackFailed,
    PlaybackFinished,
    PlaybackStarted,
    PreviewDecided,
    QueueCallbackPending,
    QueuesClosing,
    RecordingRequested,
    SwitchDown,
    SwitchRefusing,
    SwitchUp,
    TransferRequested,
)
from dialer.hangup import HangupCause, HangupSide
from dialer.ports import ComplianceGate, DialTarget, GateVerdict, LeadSource
from pacing_models.interface import PacingDecision, PacingPolicy, PacingState

S = CallState
_NEVER = float("-inf")
_INF = float("inf")
_DIALING, _RINGING = CallState.DIALING, CallState.RINGING
_LEG_PARK_WAIT = Wait.LEG_PARK
def _counter_ids(prefix: str) -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"{prefix}{next(numbers)}"


class Engine:
    """One campaign's dialer core.

    ``new_id`` makes call and agent-leg ids (at most 36 characters: FreeSWITCH truncates a
    longer ``origination_uuid``); the live runner passes ``lambda: str(uuid.uuid4())`` so ids
    stay unique across restarts, the simulator a counter. ``ledger_seed`` is the campaign's
    (answered_at, abandoned) history inside the measurement window, so a restart keeps the
    legal rate intact. Drivers send ``SwitchUp`` before the engine dials (unless
    ``assume_switches_up``), and call ``tick`` at least at ``next_wakeup()``.

    ``queues``: the inbound queues served (their menus, announcements, overflow, callbacks;
    ``QueueSet``); None serves any queue name by priority then arrival, without menus or
    announcements. ``opted_out(number)``: the internal do-not-call list, which every queue
    callback is checked against first (a listed number ends it as ``opted_out``).
    ``callback_gate``: the full dial-time gate a queue callback must pass (the runner's:
    the campaign's rules over the callback's facts, ``dialer/runner/callback_gate.py``);
    None: the campaign's ``gate``. Its refusal holds the callback at its place until the
    verdict's ``earliest-allowed`` time, cancels it when final, else retries it
    (``callback_verdicts.py``); never dialed without its allowance at that instant.
    ``hour_of(at)``: the hour of the day at engine time ``at`` in the call centre (the
    queues' arrival rates are learnt per hour; default: the UTC hour of epoch seconds).
    """

    def __init__(
        self,
        config: CampaignConfig,
        policy: PacingPolicy,
        leads: LeadSource,
        gate: ComplianceGate,
        *,
        new_id: Callable[[], str] | None = None,
        routing: RoutingStrategy | None = None,
        ledger_seed: Iterable[tuple[float, bool]] = (),
        assume_switches_up: bool = False,
        queues: QueueSet | None = None,
        opted_out: Callable[[str], bool] | None = None,
        gateways: GatewayRouter | None = None,
        caller_ids: CallerIdPool | None = None,
        hour_of: Callable[[float], int] | None = None,
        callback_gate: ComplianceGate | None = None,
    ) -> None:
        self.config = config
        self._policy = policy
        self.leads = leads
        self.gate = gate
        self.new_id = new_id or _counter_ids(f"{config.campaign_id[:20]}-")
        self._floor = floor = DeadlineFloor()
        """No later than any deadline of the five structures ``_expire`` runs (watch.py):
        ``handle``, ``tick`` and ``next_wakeup`` look at them only once the time reaches
        it."""
        self.pool = AgentPool(routing, config.switch_ids, floor)
        self.ledger = AbandonLedger(config.ledger_window, ledger_seed, config.abandon_period_start)
        self.calls: dict[str, Call] = {}
        self.dialing: dict[str, float] = {}
        """Outbound calls dialing, ringing or awaiting AMD's verdict → when dialed (pacing's
        ``ringing_elapsed``, less those in ``verdicts``; ``ringing_lines`` counts them all):
        the dialing side adds each call it dials, the call flow takes them out."""
        self.verdicts: dict[str, float] = {}
        """Of ``dialing``, the calls answered and awaiting AMD's verdict → when answered
        (pacing's ``verdict_elapsed``; the call flow's, read by the dialing side)."""
        self._placement = SwitchPlacement() if len(config.switch_ids) > 1 else None
        """Several switches: spreads new calls where agents will be free (placement.py)."""
        self.gateways = gateways
        """Carriers' gateways (dialer/engine/gateways.py); None: the driver's default."""
        self.caller_ids = caller_ids
        """The caller-ID pool (dialer/engine/caller_ids.py); None: the config's number."""
        self.recorder = Recorder(config.recording_config(), config.campaign_id)
        """Which calls are recorded, the consent notice (dialer/engine/recordings.py)."""
        self._next_decision_at = _NEVER
        self._now = _NEVER
        """The latest time seen in an event or a tick (wake-ups are never earlier)."""
        self._out: list[Command] = []
        self._last_agent: dict[str, str] = {}
        """Customer key → the agent who last spoke with them (sticky routing)."""
        self._opted_out = opted_out
        self._callback_gate = callback_gate
        self.inbound = InboundRouter(
            queues or QueueSet.implicit(), self.pool, self.calls, config.campaign_id,
            EngineServices(
                emit=self._emit, bridge=self._bridge, offer=self._offer,
                after_assignment=self._after_assignment, place_call=self._place_callback,
                check_callback=self._check_callback, clear_callback=self._clear_callback,
                switch_up=self._switch_up,
                known_switch=self._inbound_switch, previous_agent=self._previous_agent,
                new_id=self.new_id,
            ),
            hour_of,
        )
        """Inbound queues, menus, voicemail and queue callbacks (dialer/engine/inbound.py)."""
        self._inbound_timers = self.inbound.timers
        self.connector = Connector()
        """Bridges wait until both legs are parked (connector.py)."""
        self.watch = Watch(floor)
        """Deadlines of every state that waits on the switch (watch.py)."""
        self._watch_heap = self.watch._heap
        self._dial_waits = self.watch._dials
        """The watch's line of ``DIAL`` waits (deadline order: watch.py)."""
        self._answered_line = self.pool.lines.outbound
        """The pool's line of answered outbound calls (work_lines.py), read at every event:
        empty means none waits for an agent."""
        self.waits = SwitchWaits(
            config, self.pool, self.calls, self.watch, self.connector,
            WaitServices(emit=self._emit, end=self._end, classified=self._classified,
                         abandon=self._abandon, latest=self._latest, new_id=self.new_id),
        )
        """What the engine does when a wait on the switch runs out; each switch's message
        latency budget (switch_waits.py)."""
        self.desk = AgentDesk(
            config, self.pool, self.calls, self.connector, self.inbound, leads,
            DeskServices(emit=self._emit, bridge=self._bridge, offer=self._offer,
                         after_assignment=self._after_assignment, hand_off=self._hand_off,
                         dial=self._dial, new_id=self.new_id),
        )
        """Hold, transfers, consultations, preview and eavesdrop (desk.py)."""
        self.dialer = dialer = Dialing(
            config, self.pool, self.ledger, self.calls, self.dialing, self.verdicts,
            self.watch, leads, gate, self.inbound, self.desk, self._placement, gateways,
            caller_ids, config.switch_ids if assume_switches_up else (),
            DialingServices(emit=self._emit, policy=self._current_policy,
                            amd_abandons=self._amd_abandons, new_id=self.new_id),
        )
        """Pacing decisions, dialing, the switches that are up (dialing.py)."""
        self.agent_work = AgentWork(
            config, self.pool, self.calls, self.connector, self.inbound, self.desk,
            self._placement,
            AgentServices(emit=self._emit, bridge=self._bridge, send_bridge=self._send_bridge,
                          abandon=self._abandon, dial=dialer.dial, watch_leg=self._watch_leg,
                          known_switch=dialer.known_switch,
                          switch_up=dialer.switches_up.__contains__,
                          policy=self._current_policy, new_id=self.new_id),
        )
        """Agent events, callbacks, ring-all offers and wrap-ups (agent_work.py)."""
        self.call_flow = flow = CallFlow(
            config, policy, self.pool, self.ledger, self.calls, self.dialing, self.verdicts,
            self.watch, self.connector, self.recorder, gate, self.inbound, self.desk,
            self.waits, self.agent_work, self._placement, gateways, self._last_agent,
            self._out,
            CallFlowServices(fail_over=dialer.fail_over,
                             after_assignment=self.agent_work.after_assignment,
                             offer=self.agent_work.offer, shed=dialer.ring_hung_up,
                             unplaced=self._give_back),
        )
        """Customer calls from the answer to the attempt record (call_flow.py)."""
        self.pool.lines.promised = OutboundPromises(
            self.calls, self.dialing, self._kept_for_queues, len(config.switch_ids) > 1,
            self.pool.lanes,
        ).held
        self.pool.guarantee = config.agent_guaranteed
        """Queue work leaves the ready agents promised to outbound dials in flight
        (promises.py)."""
        self._queue_lines = self.pool.lines.inbound
        self._consult_legs = self.desk.consults.by_leg
        """The outside parties' legs of consultations (``handle`` routes their events)."""
        agent_work = self.agent_work
        self._handlers: dict[type, Callable[[object], None]] = {
            SwitchUp: dialer.on_switch_up,
            SwitchDown: dialer.on_switch_down,
            SwitchRefusing: dialer.on_switch_refusing,
            CallRinging: flow.on_ringing,
            CallAnswered: flow.on_answered,
            CallParked: flow.on_parked,
            CallClassified: flow.on_classified,
            OriginateFailed: flow.on_call_ended,
            CallHungUp: flow.on_call_ended,
            CallBridged: flow.on_bridged,
            DtmfReceived: flow.on_dtmf,
            PlaybackStarted: self.waits.on_playback_started,
            PlaybackFinished: flow.on_playback_finished,
            PlaybackFailed: self.waits.on_playback_failed,
            MessageLatency: self.waits.on_message_latency,
            InboundCallArrived: self._on_inbound_arrived,
            QueueCallbackPending: self.inbound.restore_callback,
            CallbackDialRefused: self._on_callback_dial_refused,
            DialNotSent: self._on_dial_not_sent,
            CallbackDue: agent_work.on_callback_due,
            AgentLoggedIn: agent_work.on_agent_logged_in,
            AgentLegUp: agent_work.on_agent_leg_up,
            AgentLegDown: agent_work.on_agent_leg_down,
            AgentReady: agent_work.on_agent_ready,
            AgentPaused: agent_work.on_agent_paused,
            AgentLoggedOut: agent_work.on_agent_logged_out,
            CallDisposed: agent_work.on_call_disposed,
            AgentAccepted: agent_work.on_agent_accepted,
            RecordingRequested: self._on_recording_requested,
            HoldRequested: self.desk.on_hold,
            TransferRequested: self.desk.on_transfer,
            ConsultRequested: self.desk.on_consult,
            ConsultFinished: self.desk.on_consult_finished,
            PreviewDecided: self.desk.on_preview_decided,
            DialingPaused: dialer.on_dialing_paused,
            QueuesClosing: self.inbound.on_closing,
            EavesdropRequested: self.desk.on_eavesdrop,
        }

    # --- entry points ----------------------------------------------------------------------

    def handle(self, event: Event) -> list[Command]:
        """Apply one event; return the commands it causes, in the order to execute them."""
        at = event.at
        if at > self._now:
            self._now = at
        if at >= self._floor.at:
            self._catch_up(at)
        pool = self.pool
        consult_legs = self._consult_legs
        if consult_legs and getattr(event, "call_id", None) in consult_legs:
            self.desk.on_consult_leg(event)
        else:
            self._handlers[type(event)](event)
        if pool.newly_ready:
            self.agent_work.offer_to_newly_ready(at)
        # The commands out, agent history first (it describes the state the switch commands
        # act on); written out here and in ``tick`` rather than called: once per event.
        out = self._out
        self._out = self.call_flow.out = []
        changes = pool.changes
        if changes:
            out[:0] = changes
            pool.changes = []
        return out

    def tick(self, now: float) -> list[Command]:
        """Run deadlines due at ``now`` and, when its interval has come, a pacing decision."""
        if now > self._now:
            self._now = now
        if now >= self._floor.at:
            self._catch_up(now)
        pool = self.pool
        if now >= self._next_decision_at:
            self._next_decision_at = now + self.config.decision_interval
            if pool.departures_held:
                # A guaranteed agent's pause or log-out, once one is spare.
                self.agent_work.apply_held(now)
            if (self._queue_lines.total or pool.lines.callbacks_waiting) and pool.ready:
                # Before the policy decides: callers and callbacks left waiting by a
                # promise to a dial that has ended take its agent (promises.py).
                after = self.agent_work.after_assignment
                for assignment in pool.serve_unpromised(now):
                    after(assignment, now)
            self.dialer.pace(now, self._out)
        if pool.newly_ready:
            self.agent_work.offer_to_newly_ready(now)
        out = self._out
        self._out = self.call_flow.out = []
        changes = pool.changes
        if changes:
            out[:0] = changes
            pool.changes = []
        return out

    def next_wakeup(self) -> float | None:
        """The earliest time ``tick`` has something to do (a deadline or a decision).

        Never earlier than the latest time the engine has seen; None before any event.
        """
        now = self._now
        if now == _NEVER:
            return None
        wake = self._next_decision_at if self._next_decision_at > now else now
        if self._floor.at > wake:
            return wake  # no deadline at or before ``wake``, nothing to drop
        pool = self.pool
        if self._answered_line:
            deadline = pool.lines.next_outbound_deadline()
            if deadline is not None and deadline < wake:
                wake = deadline
        wraps = pool.wrap_heap
        if wraps and wraps[0][0] < wake:
            wake = wraps[0][0]
        timers = self._inbound_timers
        if timers and timers[0][0] < wake:
            wake = timers[0][0] if timers[0][0] > now else now
        # Waits whose call no longer needs them are dropped from the heads of the watch
        # also when due exactly at ``wake``: a DIAL deadline (the dial's decision instant +
        # ring timeout + margin) falls on a later decision's instant, and left there it would
        # send that decision's ``tick`` through ``_expire`` for nothing.
        watch = self._watch_heap
        if watch and watch[0][0] <= wake:
            self.waits.drop_finished_waits()
            if watch and watch[0][0] < wake:
                wake = max(watch[0][0], now)
        dials = self._dial_waits
        if dials and dials[0][0] <= wake:
            # ``drop_finished_waits`` for the line of ``DIAL`` waits: a wait whose call
            # ended or was answered (nearly every one) would only wake the driver for an
            # empty ``tick``; no call goes back to dialing or ringing.
            calls = self.calls
            while dials:
                call = calls.get(dials[0][3])
                if call is not None and (call.state is _DIALING or call.state is _RINGING):
                    break
                dials.popleft()
            if dials and dials[0][0] < wake:
                wake = max(dials[0][0], now)
        self._floor.at = self._lowest_deadline()
        return wake

    def retune(self, config: CampaignConfig, policy: PacingPolicy) -> None:
        """New pacing settings (a supervisor's change) from the next decision on; the
        campaign's identity, switches and legal windows must not change here."""
        if (config.campaign_id, config.switch_ids) != (self.config.campaign_id,
                                                       self.config.switch_ids):
            raise ValueError("retune changes pacing only, not the campaign or its switches")
        self.config = config
        self.desk.config = self.waits.config = self.agent_work.config = config
        self.dialer.config = self.call_flow.config = config
        if policy is not self._policy:
            self.policy = policy
        self._next_decision_at = _NEVER

    def owns_leg(self, uuid: str) -> bool:
        """A channel of this engine's: a customer call or an outside party being consulted."""
        return uuid in self.calls or uuid in self._consult_legs

    @property
    def policy(self) -> PacingPolicy:
        """The campaign's pacing policy: it decides, and learns from every attempt."""
        return self._policy

    @policy.setter
    def policy(self, policy: PacingPolicy) -> None:
        # The one path for a retune and a driver's assignment (benchmarks/pacing_oracle.py):
        # the dialing side checks the fields it reads first (``CampaignConfigError``, and
        # the old policy stays), then the parts that ask get it from here, and the call flow
        # (which holds it, and its verdict observer, once per attempt) is told.
        self.dialer.policy_changed(policy)
        self._policy = policy
        self.call_flow.policy_changed(policy)

    @property
    def amd_abandons(self) -> int:
        """Abandons charged to AMD machine verdicts so far (the call flow's count;
        ``PacingState.amd_abandons``)."""
        return self.call_flow.amd_abandons

    @property
    def consults(self) -> Consults:
        """Attended transfers in progress (the desk's)."""
        return self.desk.consults

    @property
    def message_budget(self) -> dict[str, float]:
        """Switch → its measured message latency budget, when above the campaign's."""
        return self.waits.message_budget

    @property
    def previews(self) -> dict[str, DialTarget]:
        """Preview dialing: agent → the lead on their screen (the desk's)."""
        return self.desk.previews

    @property
    def switches_up(self) -> dict[str, None]:
        """The switches connected now, in the order they came up (the dialing side's)."""
        return self.dialer.switches_up

    @property
    def dialing_paused(self) -> bool:
        """A supervisor paused the campaign: nothing new is dialed until resumed."""
        return self.dialer.paused

    @property
    def dials(self) -> int:
        """Calls placed so far (the dialing side's count)."""
        return self.dialer.dials

    @property
    def last_decision(self) -> PacingDecision | None:
        """The pacing decision of the latest decision instant (the dialing side's)."""
        return self.dialer.last_decision

    def pacing_state(
        self, now: float,
        builds: tuple[bool, bool, bool, bool, bool, bool] = EVERY_ELAPSED_FIELD,
    ) -> PacingState:
        """The snapshot the pacing policy decides on (``Dialing.pacing_state``)."""
        return self.dialer.pacing_state(now, builds)

    def snapshot(self, now: float) -> EngineSnapshot:
        calls: dict[str, int] = {}
        for call in self.calls.values():
            calls[call.state.value] = calls.get(call.state.value, 0) + 1
        agents: dict[str, int] = {}
        for agent in self.pool.agents.values():
            agents[agent.state.value] = agents.get(agent.state.value, 0) + 1
        self.ledger.prune(now)
        return EngineSnapshot(
            at=now,
            calls_by_state=calls,
            agents_by_state=agents,
            live_answers_in_window=self.ledger.live_answers,
            abandons_in_window=self.ledger.abandons,
            abandon_rate=self.ledger.rate(),
            abandon_target=self.config.abandon_target,
            dials=self.dials,
            last_decision=self.last_decision,
            switches_up=tuple(self.switches_up),
            routed_verdicts=self.agent_work.routed.counts(now),
        )

    def queue_callbacks(self, limit: int, ended_since: float | None = None
                        ) -> tuple[CallbackStatus, ...]:
        """Each queue callback's place (in line, dialing, held, ended by the gate) and the
        last gate verdict it stands on (``callback_status.py``): a read, for the console."""
        return callback_statuses(self.inbound, self.calls, limit, ended_since)

    # --- internals ---------------------------------------------------------------------------

    def _catch_up(self, now: float) -> None:
        """``now`` has reached the floor of the deadlines: run those due, if any, and raise
        the floor to the lowest deadline left."""
        line = self._answered_line
        wraps = self.pool.wrap_heap
        timers = self._inbound_timers
        watch = self._watch_heap
        dials = self._dial_waits
        # Anything due? (An answered call at the head of the line whose window is still
        # open: nothing there; a withdrawn one at the head: ``_expire`` clears it.)
        if ((line and (line[0].cancelled or line[0].deadline <= now))
                or (wraps and wraps[0][0] <= now)
                or (timers and timers[0][0] <= now) or (watch and watch[0][0] <= now)
                or (dials and dials[0][0] <= now)):
            self._expire(now)
        self._floor.at = self._lowest_deadline()

    def _lowest_deadline(self) -> float:
        """The earliest deadline of the five structures (inf when none): the heaps' and the
        ``DIAL`` line's heads (that line is in deadline order, watch.py), and every answered
        call still waiting in its line (not in deadline order when the connect windows
        differ by switch)."""
        low = _INF
        for work in self._answered_line:
            if not work.cancelled and work.deadline < low:  # type: ignore[operator]
                low = work.deadline  # type: ignore[assignment]
        wraps = self.pool.wrap_heap
        if wraps and wraps[0][0] < low:
            low = wraps[0][0]
        timers = self._inbound_timers
        if timers and timers[0][0] < low:
            low = timers[0][0]
        watch = self._watch_heap
        if watch and watch[0][0] < low:
            low = watch[0][0]
        dials = self._dial_waits
        if dials and dials[0][0] < low:
            low = dials[0][0]
        return low

    def _expire(self, now: float) -> None:
        timers = self._inbound_timers
        if timers and timers[0][0] <= now:
            self.inbound.expire(now)
        pool = self.pool
        deadline = pool.lines.next_outbound_deadline() if self._answered_line else None
        if deadline is not None and deadline <= now:
            abandon = self.call_flow.abandon
            for work in pool.lines.expired_outbound(now):
                abandon(self.calls[work.work_id], work.deadline)  # type: ignore[arg-type]
        wrap = pool.next_wrap_deadline()
        if wrap is not None and wrap <= now:
            finish_wrap = self.agent_work.finish_wrap
            for agent_id in pool.due_wraps(now):
                agent = pool.agents[agent_id]
                at = agent.wrap_deadline if agent.wrap_deadline is not None else now
                finish_wrap(agent_id, at, "wrap-up timeout")
        watch = self._watch_heap
        dials = self._dial_waits
        if (watch and watch[0][0] <= now) or (dials and dials[0][0] <= now):
            calls = self.calls
            ran_out = self.waits.deadline
            for at, wait, key, token in self.watch.due(now):
                if wait is _LEG_PARK_WAIT or key in calls:  # else a no-op: the call is gone
                    ran_out(wait, key, token, at)

    # --- routes to the parts, for the parts' services ---
    # (the inbound router and the desk are built before the dialing and agent sides, which
    # need them, and the call flow last: it needs them all)

    def _after_assignment(self, assignment: tuple[Agent, Work] | None, at: float) -> None:
        self.agent_work.after_assignment(assignment, at)

    def _offer(self, work: Work, at: float) -> None:
        self.agent_work.offer(work, at)

    def _hand_off(self, agent: Agent, call: Call, at: float) -> None:
        self.agent_work.hand_off(agent, call, at)

    def _dial(
        self, target: DialTarget, now: float, direction: Direction, callback_id: str | None,
        switch_id: str | None = None,
    ) -> Call | None:
        return self.dialer.dial(target, now, direction, callback_id, switch_id)

    def _place_callback(self, target: DialTarget, now: float, callback_id: str,
                        switch_id: str, ring_timeout: float, verdict: GateVerdict
                        ) -> Call | None:
        return self.dialer.place_callback(target, now, callback_id, switch_id, ring_timeout,
                                          verdict)

    def _switch_up(self, switch_id: str) -> bool:
        return switch_id in self.dialer.switches_up

    def _end(self, call: Call, at: float, cause: HangupCause) -> None:
        self.call_flow.end(call, at, cause)

    def _classified(self, call: Call, kind: AnswerKind, at: float) -> None:
        self.call_flow.classified(call, kind, at)

    def _abandon(self, call: Call, at: float) -> None:
        self.call_flow.abandon(call, at)

    def _bridge(self, call: Call, agent: Agent, at: float) -> None:
        self.call_flow.bridge(call, agent, at)

    def _send_bridge(self, call: Call, at: float) -> None:
        self.call_flow.send_bridge(call, at)

    def _watch_leg(self, agent_id: str, at: float) -> None:
        self.call_flow.watch_leg(agent_id, at)

    # --- recordings ----------------------------------------------------------------------------

    def check_recording(self, call_id: str, action: str) -> None:
        """Raise ``RecordingError`` naming why an agent's recording request cannot be done
        (drivers ask before they send ``RecordingRequested``)."""
        from dialer.engine.recordings import RecordingAction, RecordingError

        call = self.call_flow.live_call(call_id)
        if call is None:
            raise RecordingError(f"no call {call_id} in progress")
        try:
            self.recorder.check(call, RecordingAction(action))
        except ValueError:
            raise RecordingError(f"recording action {action!r}: start, pause, resume or "
                                 "stop") from None

    def _on_recording_requested(self, event: RecordingRequested) -> None:
        """An agent's start/pause/resume/stop. A request no longer possible when it
        arrives (the call ended, another request came first) changes nothing."""
        from dialer.engine.recordings import RecordingError

        try:
            self.check_recording(event.call_id, event.action)
        except RecordingError:
            return
        call = self.calls[event.call_id]
        from dialer.engine.recordings import RecordingAction

        self.recorder.control(call, RecordingAction(event.action), event.at, self._out)

    # --- services for the inbound router ------------------------------------------------------

    def _emit(self, command: Command) -> None:
        self._out.append(command)

    def _latest(self) -> float:
        return self._now

    def _current_policy(self) -> PacingPolicy:
        return self._policy

    def _kept_for_queues(self) -> int:
        return self.pool.lines.inbound.kept

    def _amd_abandons(self) -> int:
        return self.call_flow.amd_abandons

    def _on_inbound_arrived(self, event: InboundCallArrived) -> None:
        # The driver reports an inbound call once its channel is answered and parked: a
        # bridge to it is safe from the start (connector.py).
        if event.call_id not in self.calls:
            self.connector.call_ready(event.call_id)
        self.inbound.arrive(event)

    def _on_callback_dial_refused(self, event: CallbackDialRefused) -> None:
        """A queue callback's dial refused at its journaling: never sent, not an attempt;
        the callback is held on the recount's verdict when the call ends (inbound.py)."""
        call = self._unsent(event.call_id)
        if call is not None:
            self.inbound.dial_refused(event.call_id, event.verdict)
            self._end_unsent(call, event.at)

    def _on_dial_not_sent(self, event: DialNotSent) -> None:
        """A dial whose originate never reached the switch (``DialNotSent``): no attempt for
        pacing or for a queue callback (inbound.py)."""
        call = self._unsent(event.call_id)
        if call is not None:
            self.inbound.dial_not_sent(event)
            self._end_unsent(call, event.at)

    def _unsent(self, call_id: str) -> Call | None:
        """The call of a dial the driver says it never sent; None when it has ended, or the
        switch reported on it (ringing, answered: it was sent)."""
        call = self.calls.get(call_id)
        if call is None or call.state is not CallState.DIALING or call.inbound is not None:
            return None
        return call

    def _end_unsent(self, call: Call, at: float) -> None:
        self._give_back(call, at)
        # (Every argument given by position: the compiled build's typed ``end`` takes no
        # keyword past a defaulted one left out.)
        self.call_flow.end(call, at, HangupCause.ORIGINATOR_CANCEL, HangupSide.UNKNOWN, False)

    def _give_back(self, call: Call, at: float) -> None:
        """Counted when it was placed (the dial count, its caller ID's daily use): a dial
        never sent, or one every gateway refused before any channel, is neither."""
        dialer = self.dialer
        dialer.dials -= 1
        if dialer.caller_ids is not None and call.caller_id:
            dialer.caller_ids.release(call.caller_id, at)

    def _inbound_switch(self, switch_id: str | None) -> str:
        return (self.config.switch_ids[0] if switch_id is None
                else self.dialer.known_switch(switch_id))

    def _previous_agent(self, customer_key: str | None) -> str | None:
        return None if customer_key is None else self._last_agent.get(customer_key)

    def _clear_callback(self, target: DialTarget, at: float) -> GateVerdict:
        """The full dial-time gate for a queue callback: the callback gate (the runner's,
        over the campaign's rules with the callback's own facts), else the campaign's gate
        (the simulator's): one path whoever drives the engine."""
        gate = self._callback_gate
        return (self.gate if gate is None else gate).check(target, at)

    def _check_callback(self, target: DialTarget, at: float) -> GateVerdict | None:
        """The internal do-not-call list first: its refusal when the number is listed (an
        opt-out ends the callback as ``opted_out``), else None (or no list given)."""
        listed = self._opted_out
        if listed is not None and listed(target.number_e164):
            return GateVerdict(False, ("internal DNC: the number opted out",), ("internal",))
        return None
