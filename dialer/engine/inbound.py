"""Inbound calls from their arrival to their end: menus, the queue, overflow, voicemail,
queue callbacks. Owned by the engine (``Engine.inbound``), which routes inbound events here.

A caller's path: the dialplan parks the call with ``dialer_queue=NAME`` and the driver sends
``InboundCallArrived``. Outside opening hours: the closed message, then voicemail (or a
goodbye). With a menu (IVR): its prompt, then key presses move through the menus until one
ends them (a queue, a priority, voicemail, a callback, an opt-out). In the queue: an agent at
once if one is free (the queue's strategy picks), else hold music with a welcome and every
N seconds the caller's position and estimated wait, and, when the queue offers it, the key
that keeps their place and ends the call (queue callback). After the maximum wait, or when
the line is full, the overflow action. Every inbound call ends in exactly one of: bridged to
an agent, voicemail, called back, abandoned by the caller (in the menu, in the line, or as
the agent came), or ended by the dialer after a message (opted out; closed without
voicemail), and its ``AttemptFinished`` is emitted once.

Queue callbacks keep the caller's place: the callback waits in the queue's line with the key
of the call it came from (inbound_lines.py), so it is served exactly when the caller would
have been. When it reaches the front the pool reserves an agent first, the number is checked
against the internal do-not-call list and then by the full dial-time gate (held, cancelled or
retried on a refusal: callback_verdicts.py), then the dialer calls; unanswered attempts are
retried ``max_attempts`` times ``retry_after`` seconds apart, each time at the same place.
A caller who phones the same queue again while their callback waits takes its place (the
callback is cancelled); at a callback's turn, a live caller from its number waiting in the
queue gets the agent instead: the dialer never rings a line that is on hold with it.

Timing comes from the prompts' known lengths (``PromptSet``): the menu's key wait starts
when its prompt ends, the recording when the voicemail greeting ends. Timers are a heap of
(due, seq, kind, key, token); a call's token changes whenever it moves on, which cancels
its pending timers without searching for them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import IntEnum
from itertools import count

from dialer.commands import (
    AgentState,
    CallbackResult,
    CallOutcome,
    Command,
    Direction,
    Hangup,
    PlayPrompt,
    QueueCallbackAttempted,
    QueueCallbackFinished,
    QueueCallbackRequested,
    RecordOptOut,
    StartRecording,
    StopPlayback,
    VoicemailRecorded,
)
from dialer.engine.agents import Agent
from dialer.engine.blending import ArrivalRates, BlendReserve, total_reserve, utc_hour
from dialer.engine.callback_verdicts import (
    CallbackVerdicts,
    Refusal,
    VerdictKind,
    acted,
    earliest_allowed,
    refusal_kind,
    refusal_text,
)
from dialer.engine.calls import Call, CallState, transition
from dialer.engine.ivr import IvrSession, Play
from dialer.engine.prompts import key_prompt, position_prompts, wait_prompts
from dialer.engine.queue_config import Action, ActionKind, Blending, Unstaffed
from dialer.engine.queues import Queue, QueueSet
from dialer.engine.routing import Work, WorkKind
from dialer.engine.scheduler import AgentPool
from dialer.events import (
    DialNotSent,
    DtmfReceived,
    InboundCallArrived,
    QueueCallbackPending,
    QueuesClosing,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget, GateVerdict

S = CallState
A = AgentState
_SERVING = frozenset({A.CONNECTING, A.READY, A.RESERVED, A.ON_CALL, A.WRAP_UP})
"""Agent states that count as staffing a queue (logged in, not paused)."""
_FAREWELL_GRACE = 5.0
"""Seconds after a farewell's end before the engine hangs up itself (the switch should)."""


def inquiry_attributes(inquiry_at: float | None) -> dict[str, str]:
    """The target's attributes the gate reads: the caller's inquiry (``ebr_last_inquiry``,
    as ``dnc.rules.adapters.lead_facts_from_attributes`` reads it), when known."""
    if inquiry_at is None:
        return {}
    return {"ebr_last_inquiry": datetime.fromtimestamp(inquiry_at, UTC).isoformat()}


class _Timer(IntEnum):
    ANNOUNCE = 0
    MAX_WAIT = 1
    MENU_TIMEOUT = 2
    RECORD = 3
    HANG_UP = 4
    CALLBACK_RETRY = 5


@dataclass(frozen=True, slots=True)
class EngineServices:
    """What the router may ask of the engine that owns it (and nothing more)."""

    emit: Callable[[Command], None]
    bridge: Callable[[Call, Agent, float], None]
    offer: Callable[[Work, float], None]
    after_assignment: Callable[[tuple[Agent, Work] | None, float], None]
    place_call: Callable[[DialTarget, float, str, str, float, GateVerdict], Call | None]
    """(target, at, callback_id, switch_id, ring_timeout, verdict) → the callback call, or
    None when no gateway or caller ID can take it now."""
    check_callback: Callable[[DialTarget, float], GateVerdict | None]
    """The internal do-not-call list's refusal (None: not listed, or no list): it ends the
    callback as opted out."""
    clear_callback: Callable[[DialTarget, float], GateVerdict]
    """The full dial-time gate (the callback gate, else the campaign's): a refusal holds,
    retries or cancels it (``callback_verdicts``); an allowance is what the dial rests on."""
    switch_up: Callable[[str], bool]
    known_switch: Callable[[str | None], str]
    previous_agent: Callable[[str | None], str | None]
    new_id: Callable[[], str]


class InboundState:
    """What the engine knows about one inbound call besides its ``Call`` record."""

    __slots__ = ("boost", "callback_offered", "callback_requested", "estimated_wait",
                 "event", "final", "line_since", "overflowed_from", "playing", "queue",
                 "queued_at", "recording_at", "session", "token", "voicemail_path",
                 "voicemail_until", "work")

    def __init__(self, queue: Queue, event: InboundCallArrived) -> None:
        self.queue = queue
        self.event = event
        self.boost = 0
        """Priority added by the caller's menu choices."""
        self.work: Work | None = None
        self.session: IvrSession | None = None
        self.token = 0
        self.queued_at: float | None = None
        """When the caller entered the queue they are in (service level, max wait)."""
        self.line_since: float | None = None
        """When the caller first joined a line (their place, kept across overflows)."""
        self.estimated_wait: float | None = None
        self.overflowed_from: str | None = None
        self.callback_requested = False
        self.callback_offered = False
        self.voicemail_path: str | None = None
        self.recording_at: float | None = None
        self.voicemail_until: float | None = None
        """The latest instant the voicemail ends: its greeting's end plus the queue's
        ``voicemail.max_seconds``, when the engine hangs up (a stopping runner waits)."""
        self.final = CallOutcome.CLOSED
        self.playing = False


class QueueCallback:
    """A caller's kept place, until an agent is connected to them or attempts run out."""

    __slots__ = ("attempts", "callback_id", "customer_key", "held", "inquiry_at", "number",
                 "place_at", "priority", "queue")

    def __init__(self, callback_id: str, queue: str, number: str, place_at: float,
                 priority: int, attempts: int = 0, customer_key: str | None = None,
                 inquiry_at: float | None = None) -> None:
        self.callback_id = callback_id
        self.queue = queue
        self.number = number
        self.place_at = place_at
        self.priority = priority
        self.attempts = attempts
        self.customer_key = customer_key
        self.inquiry_at = inquiry_at
        """When the caller phoned us (the inbound call, or the voicemail's): an inquiry, the
        established business relationship of 47 CFR 64.1200(f)(5) for three months; None:
        unknown, no relationship relied on."""
        self.held = 0
        """Refusals by the callback gate that named no time it would allow the dial."""

    def __repr__(self) -> str:
        return f"QueueCallback({self.callback_id!r}, {self.queue!r}, attempts={self.attempts})"


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue as the monitor and the alerts see it."""

    name: str
    open: bool
    waiting: int
    callbacks_waiting: int
    longest_wait: float
    agents_logged_in: int
    agents_ready: int
    service_level: float | None
    """Over the last 15 minutes (None: no call counted)."""
    service_level_target: float
    offered: int
    answered: int
    abandoned: int
    voicemails: int
    callbacks_requested: int
    callbacks_completed: int
    estimated_wait: float | None
    """For a caller arriving now (None: no agent staffs the queue)."""
    handle_time: float
    arrivals_per_hour: float = 0.0
    """The arrival rate blending plans with (learnt per hour of the day)."""


class InboundRouter:
    """The engine's inbound side (one object, its own state, a narrow interface)."""

    def __init__(self, queues: QueueSet, pool: AgentPool, calls: dict[str, Call],
                 campaign_id: str, services: EngineServices,
                 hour_of: Callable[[float], int] | None = None) -> None:
        self.queues = queues
        self.pool = pool
        self.calls = calls
        self.campaign_id = campaign_id
        self.services = services
        self.prompts = queues.prompts
        self.timers: list[tuple[float, int, _Timer, str, int]] = []
        """Read-only view for the engine's per-event check: the heap of pending timers."""
        self._floor = pool.floor
        """The engine's lower bound of its deadlines (watch.py), which each timer lowers."""
        self._seq = count()
        self.callbacks: dict[str, QueueCallback] = {}
        """Queue callbacks not finished yet (waiting in line, dialing, or between retries)."""
        self._callback_calls: dict[str, str] = {}
        """Callback call id → callback id."""
        self._refused_dials: dict[str, GateVerdict | DialNotSent] = {}
        """Callback call id → why its dial was never sent: the recount's refusal
        (``CallbackDialRefused``), held on like the gate's, or ``DialNotSent`` (a store
        write failed, the switch was down...); either way not charged an attempt."""
        self.verdicts = CallbackVerdicts()
        """The last gate verdict acted on per callback (what the supervisor is shown)."""
        self._waiting: dict[str, dict[str, float]] = {}
        """Queue → live callers in its line → when they entered it."""
        self._agent_queue: dict[str, Queue] = {}
        """Agent → the queue of the inbound call it took (its handle time teaches that queue)."""
        for queue in queues:
            pool.lines.inbound.configure(queue.name, queue.strategy, queue.members, queue.levels,
                                   queue.ring_all)
        self._hour_of = hour_of or utc_hour
        self.arrivals: dict[str, ArrivalRates] = {}
        """Queue → its arrival rate, learnt per hour of the day (blending)."""
        self._blended = [] if queues.implicit else [
            q for q in queues if q.config.blending is Blending.INBOUND_FIRST]
        self._reserve = BlendReserve()
        self.reserve_mode = "burst"
        self._leave_unstaffed = [q for q in queues
                                 if q.config.leave_when_unstaffed is not Unstaffed.NEVER]
        """Queues whose callers leave when nobody can answer (``leave_when_unstaffed``)."""
        if self._leave_unstaffed:
            pool.left_service = self.agent_left
        self.closing = False
        """The driver stops serving the queues (``QueuesClosing``): nobody joins a line."""

    # --- events ----------------------------------------------------------------------------

    def arrive(self, event: InboundCallArrived) -> None:
        if event.call_id in self.calls:
            return
        at = event.at
        queue = self.queues.get(event.queue)
        switch_id = self.services.known_switch(event.switch_id)
        is_open = queue.is_open(at)
        state = S.QUEUED if not is_open or queue.ivr is None else S.IVR
        call = Call(event.call_id, Direction.INBOUND, state, at, None, switch_id)
        call.answered_at = at
        call.queue = queue.name
        call.caller_number = event.caller_number
        call.customer_key = event.customer_key
        inbound = call.inbound = InboundState(queue, event)
        self.calls[event.call_id] = call
        arrivals = self.arrivals.get(queue.name)
        if arrivals is None:
            arrivals = self.arrivals[queue.name] = ArrivalRates(self._hour_of)
        arrivals.observe(at)
        if not is_open:
            queue.stats.counts.closed += 1
            self._closed(call, queue, at)
        elif queue.ivr is not None:
            inbound.session, play = queue.ivr.start()
            self._play_menu(call, play, at)
        else:
            self._enter(call, queue, at)

    def dtmf(self, call: Call, event: DtmfReceived) -> None:
        inbound = call.inbound
        assert inbound is not None
        at, digit = event.at, event.digit
        if call.state is S.IVR:
            queue = inbound.queue
            assert queue.ivr is not None and inbound.session is not None
            inbound.token += 1
            step = queue.ivr.key(inbound.session, digit)
            if isinstance(step, Play):
                self._play_menu(call, step, at)
            else:
                self._act(call, step.action, at)
        elif call.state is S.QUEUED and digit == inbound.queue.config.callback.digit and \
                self._offer_open(call, at):
            self._request_callback(call, at)

    def restore_callback(self, event: QueueCallbackPending) -> None:
        if event.callback_id in self.callbacks:
            return
        self.queues.get(event.queue)  # unknown queue: refused
        callback = QueueCallback(
            event.callback_id, event.queue, event.number_e164, event.place_at, event.priority,
            event.attempts, event.customer_key, event.inquiry_at)
        due = event.next_attempt_at
        if due is not None and due > event.at:
            # Its wait after an unanswered attempt outlives the restart: back in line then.
            self.callbacks[callback.callback_id] = callback
            self._schedule(due, _Timer.CALLBACK_RETRY, callback.callback_id, 0)
            return
        self._submit_callback(callback, event.at)

    def transfer(self, call: Call, name: str, at: float) -> None:
        """An agent sent ``call`` to queue ``name`` (blind transfer; checked open and served
        by ``desk.queue_problem``). It joins that queue's line with the queue's strategy,
        members, skill levels, priority rules and aging. A caller goes through the queue
        as after a menu choice (announcements, music, max wait, overflow), keeping their
        place in time; an outbound customer, connected before, waits with no connect window
        (never an abandon)."""
        queue = self.queues.get(name)
        call.agent_id = None
        call.deadline = None
        if call.inbound is not None:
            self._enter(call, queue, at)
            return
        transition(call, S.QUEUED, f"transfer to queue {queue.name}")
        call.queue = queue.name
        number = call.target.number_e164 if call.target is not None else call.caller_number
        work = Work(
            WorkKind.INBOUND, call.call_id, at, priority=queue.priority_of(number or "", {}),
            customer_key=call.customer_key,
            previous_agent_id=self.services.previous_agent(call.customer_key),
            switch_id=call.switch_id, queue=queue.name, aging=queue.aging,
            members=queue.members, levels=queue.levels, ring_all=queue.ring_all)
        agent = self.pool.submit(work, at)
        if agent is not None:
            self.services.bridge(call, agent, at)
        elif work.ring_all or self.pool.ring_all:
            self.services.offer(work, at)

    def bridged(self, call: Call, agent_id: str, at: float) -> None:
        """The caller is connected to an agent (CHANNEL_BRIDGE)."""
        inbound = call.inbound
        if inbound is None or inbound.queued_at is None:
            return
        queue = inbound.queue
        wait = at - inbound.queued_at
        queue.stats.answered(at, wait)
        queue.estimator.observe_wait(wait, False, inbound.estimated_wait)
        self._agent_queue[agent_id] = queue

    def observe_handle(self, agent_id: str, seconds: float) -> None:
        queue = self._agent_queue.pop(agent_id, None)
        if queue is not None:
            queue.estimator.observe_handle(seconds)

    def before_bridge(self, call: Call, at: float) -> None:
        """An agent was assigned to a waiting caller: out of the line, music off."""
        inbound = call.inbound
        if inbound is None:
            return
        inbound.token += 1
        self._waiting.get(call.queue or "", {}).pop(call.call_id, None)
        if inbound.playing:
            inbound.playing = False
            self.services.emit(StopPlayback(at, call.call_id))

    def requeue(self, call: Call, at: float) -> None:
        """The agent's phone dropped before the bridge: the caller goes back to their place."""
        inbound = call.inbound
        assert inbound is not None and inbound.work is not None
        transition(call, S.QUEUED, "agent lost")
        old = inbound.work
        queue = inbound.queue
        work = self._work(call, queue, old.priority, old.arrived_at)
        inbound.work = work
        inbound.token += 1
        self._waiting.setdefault(queue.name, {})[call.call_id] = inbound.queued_at or at
        agent = self.pool.submit(work, at)
        if agent is not None:
            self._connect(call, agent, at)
            return
        self._play(call, (), queue.config.announcements.music or None, at)
        self._schedule_waiting_timers(call, queue, at, at)

    def ended(self, call: Call, state: CallState, at: float) -> CallOutcome | None:
        """The caller's leg ended in ``state``: settle the queue side; the outcome (None:
        bridged, which the engine records as connected)."""
        inbound = call.inbound
        assert inbound is not None
        inbound.token += 1
        queue = inbound.queue
        counts = queue.stats.counts
        if state is S.IVR:
            counts.ivr_abandoned += 1
            return CallOutcome.IVR_ABANDONED
        if state is S.QUEUED:
            if inbound.callback_requested and call.caller_number:
                self._to_callback(call, at)
                counts.callbacks_requested += 1
                return CallOutcome.CALLBACK_REQUESTED
            self._leave_line(call)
            wait = at - (inbound.queued_at if inbound.queued_at is not None else at)
            queue.stats.abandoned(at, wait)
            queue.estimator.observe_wait(wait, True, None)
            return CallOutcome.QUEUE_ABANDONED
        if state is S.VOICEMAIL:
            counts.voicemails += 1
            if inbound.recording_at is not None and inbound.voicemail_path is not None:
                self.services.emit(VoicemailRecorded(
                    at, call.call_id, queue.name, call.caller_number, inbound.voicemail_path,
                    inbound.recording_at, at))
            return CallOutcome.VOICEMAIL
        if state is S.FAREWELL:
            return inbound.final
        if state is S.BRIDGING:
            wait = at - (inbound.queued_at if inbound.queued_at is not None else at)
            queue.stats.abandoned(at, wait)
            return CallOutcome.HUNG_UP_ANSWERED
        return None

    # --- queue callbacks -------------------------------------------------------------------

    def start_callback(self, agent: Agent, work: Work, at: float) -> None:
        """The pool reserved ``agent`` for a queue callback: check the number, then dial."""
        callback = work.payload
        assert isinstance(callback, QueueCallback)
        queue = self.queues.get(callback.queue)
        target = DialTarget(
            f"queue-callback:{callback.callback_id}", callback.number, self.campaign_id,
            callback.attempts + 1, callback.customer_key, None,
            {"dialer_queue": queue.name, "dialer_queue_callback": callback.callback_id},
            inquiry_attributes(callback.inquiry_at))
        services = self.services
        if self.closing:
            # A stop began after it joined the line: no new dial (the stop grace would cut
            # the call); not an attempt, it stays pending in the store for the next start.
            self.pool.lines.cancel(callback.callback_id)
            services.after_assignment(
                self.pool.unreserve(agent.agent_id, at, "queues closing"), at)
            return
        live = self._live_caller(callback.number, queue.name)
        if live is not None:
            # The caller phoned again while this callback was being dialed or between its
            # attempts: the agent reserved at the callback's place takes the live call.
            self._finish_callback(callback, CallbackResult.CANCELLED, at)
            if not self.pool.lines.is_waiting(live.call_id):
                # Already taken off the line for another agent in this same step (the
                # pool reserves a batch before the engine acts on it): that agent serves
                # the caller; bridging them here too would put one call on two agents.
                services.after_assignment(
                    self.pool.unreserve(agent.agent_id, at, "caller served"), at)
                return
            self._leave_line(live)
            self._connect(live, agent, at)
            return
        listed = services.check_callback(target, at)
        if listed is not None:
            self.verdicts.acted(callback.callback_id, acted(listed, VerdictKind.FINAL, at))
            self._finish_callback(callback, CallbackResult.OPTED_OUT, at,
                                  reason=refusal_text(listed))
            services.after_assignment(
                self.pool.unreserve(agent.agent_id, at, "callback refused"), at)
            return
        verdict = services.clear_callback(target, at)
        if not verdict.allowed:
            self._hold_callback(callback, agent, verdict, at)
            return
        retry_at = at + queue.config.callback.retry_after
        if not services.switch_up(agent.switch_id):
            # Not an attempt: the place is kept and the callback tried again later.
            self.verdicts.acted(callback.callback_id, acted(
                verdict, VerdictKind.ALLOWED, at, retry_at, f"switch {agent.switch_id} down"))
            services.after_assignment(
                self.pool.unreserve(agent.agent_id, at, f"switch {agent.switch_id} down"), at)
            self._schedule(retry_at, _Timer.CALLBACK_RETRY, callback.callback_id, 0)
            return
        call = services.place_call(target, at, callback.callback_id, agent.switch_id,
                                   queue.config.callback.ring_timeout, verdict)
        if call is None:
            # No gateway or caller ID free now: not an attempt, the place is kept.
            self.verdicts.acted(callback.callback_id, acted(
                verdict, VerdictKind.ALLOWED, at, retry_at, "no gateway or caller ID free"))
            services.after_assignment(
                self.pool.unreserve(agent.agent_id, at, "no gateway free"), at)
            self._schedule(retry_at, _Timer.CALLBACK_RETRY, callback.callback_id, 0)
            return
        self.verdicts.acted(callback.callback_id, acted(verdict, VerdictKind.ALLOWED, at))
        callback.attempts += 1
        call.agent_id = agent.agent_id
        call.queue = queue.name
        agent.call_id = call.call_id
        self._callback_calls[call.call_id] = callback.callback_id

    def _hold_callback(self, callback: QueueCallback, agent: Agent, verdict: GateVerdict,
                       at: float) -> None:
        """The gate refused the dial now: not an attempt; the agent is freed (``_hold``)."""
        self.services.after_assignment(
            self.pool.unreserve(agent.agent_id, at, "callback held by the compliance gate"),
            at)
        self._hold(callback, verdict, at)

    def _hold(self, callback: QueueCallback, verdict: GateVerdict, at: float) -> None:
        """A refused dial (at the gate, or at its journaling): the callback keeps its place
        until the earliest time the verdict names; a final refusal (a registry, an opt-out,
        a missing consent) cancels it with the reasons; one naming neither is tried again
        ``retry_after`` later, ``max_attempts`` times at most, then the callback fails with
        the reasons (``callback_verdicts``)."""
        queue = self.queues.get(callback.queue)
        settings = queue.config.callback
        kind = refusal_kind(verdict)
        callback_id = callback.callback_id
        if kind is Refusal.FINAL:
            self.verdicts.acted(callback_id, acted(verdict, VerdictKind.FINAL, at))
            queue.stats.counts.callbacks_failed += 1
            self._finish_callback(callback, CallbackResult.CANCELLED, at,
                                  reason=refusal_text(verdict))
            return
        until = earliest_allowed(verdict)
        if until is None:
            callback.held += 1
            if callback.held >= settings.max_attempts:
                self.verdicts.acted(callback_id, acted(verdict, VerdictKind.RETRY, at))
                queue.stats.counts.callbacks_failed += 1
                self._finish_callback(callback, CallbackResult.FAILED, at,
                                      reason=refusal_text(verdict))
                return
            until = at + settings.retry_after
        # Back at the instant the gate names (the line's order counts from then: a later
        # return would let a callback of lower rank take the agent first); one naming now or
        # the past is asked again a second later, never in a loop at one instant.
        again = until if until > at else at + 1.0
        self.verdicts.acted(callback_id, acted(
            verdict, VerdictKind.WAIT if kind is Refusal.WAIT else VerdictKind.RETRY, at, again))
        self._schedule(again, _Timer.CALLBACK_RETRY, callback_id, 0)

    def dial_refused(self, call_id: str, verdict: GateVerdict) -> None:
        """The dial of callback call ``call_id`` was refused where it is journaled, before
        its originate (``CallbackDialRefused``): its end holds the callback on ``verdict``."""
        if call_id in self._callback_calls:
            self._refused_dials[call_id] = verdict

    def dial_not_sent(self, event: DialNotSent) -> None:
        """A callback's dial never reached the switch (``DialNotSent``): its end gives the
        attempt back and returns the callback at ``event.retry_at``."""
        if event.call_id in self._callback_calls:
            self._refused_dials[event.call_id] = event

    def callback_call_ended(self, call: Call, outcome: CallOutcome, at: float) -> None:
        """A callback call ended: done when it was connected, else retried or given up; a
        dial refused at its journaling is held instead (no call was made)."""
        callback_id = self._callback_calls.pop(call.call_id, None)
        refused = self._refused_dials.pop(call.call_id, None) if self._refused_dials else None
        callback = self.callbacks.get(callback_id) if callback_id is not None else None
        if callback is None:
            return  # a campaign callback, not a queue's
        if refused is not None:
            # Counted when its dial was decided (``start_callback``): never placed.
            callback.attempts -= 1
            if isinstance(refused, DialNotSent):
                self._not_sent(callback, refused, at)
            else:
                self._hold(callback, refused, at)
            return
        queue = self.queues.get(callback.queue)
        settings = queue.config.callback
        if outcome is CallOutcome.CONNECTED:
            queue.stats.counts.callbacks_completed += 1
            self._finish_callback(callback, CallbackResult.COMPLETED, at, call.call_id)
        elif callback.attempts >= settings.max_attempts:
            queue.stats.counts.callbacks_failed += 1
            self._finish_callback(callback, CallbackResult.FAILED, at)
        else:
            retry_at = at + settings.retry_after
            self.services.emit(QueueCallbackAttempted(at, callback.callback_id,
                                                      callback.attempts, retry_at))
            self._schedule(retry_at, _Timer.CALLBACK_RETRY, callback.callback_id, 0)

    def _not_sent(self, callback: QueueCallback, event: DialNotSent, at: float) -> None:
        """An allowance whose dial never reached the switch: no attempt and no refusal
        (``max_attempts`` counts neither); back at its place at the driver's ``retry_at``
        (a store failure's backoff), else ``retry_after`` later, as for a switch down. A
        callback no longer this process's (``not_ours``) leaves this engine unwritten."""
        callback_id = callback.callback_id
        if event.not_ours:
            del self.callbacks[callback_id]
            self.verdicts.finished(callback_id, callback.queue, callback.number,
                                   callback.place_at, callback.attempts, "not ours", at,
                                   by_gate=False)
            return
        retry_after = self.queues.get(callback.queue).config.callback.retry_after
        again = event.retry_at if event.retry_at is not None else at + retry_after
        again = max(again, at + 1.0)  # never asked again at the same instant
        last = self.verdicts.last(callback_id)
        if last is not None:
            self.verdicts.acted(callback_id, replace(
                last, asked_again_at=again, not_placed=f"not sent: {event.reason}"))
        self._schedule(again, _Timer.CALLBACK_RETRY, callback_id, 0)

    def callback_retries(self) -> dict[str, float]:
        """Callback id → when it returns to the line (a timer: after an unanswered attempt,
        a refusal, or an allowance it could not dial on); O(timers), for a read."""
        return {key: due for due, _, kind, key, _ in self.timers
                if kind is _Timer.CALLBACK_RETRY}

    def dialing_callbacks(self) -> dict[str, str]:
        """Callback id → the id of its call in progress (a read)."""
        return {callback_id: call_id for call_id, callback_id in self._callback_calls.items()}

    def _return_callbacks(self, keys: list[str], at: float) -> None:
        """Callbacks whose wait (a retry, a hold by the gate) ends at ``at`` go back to the
        line in its own order (effective priority, then place): submitted one by one in
        the timers' order, the first would take a free agent before a higher-ranked one
        returning at the same instant."""
        back = [callback for key in keys
                if (callback := self.callbacks.get(key)) is not None
                and not self.pool.lines.is_waiting(key)]
        if len(back) > 1:
            back.sort(key=lambda callback: (
                -(callback.priority
                  + self.queues.get(callback.queue).aging * (at - callback.place_at)),
                callback.place_at))
        for callback in back:
            self._submit_callback(callback, at)

    def _submit_callback(self, callback: QueueCallback, at: float) -> None:
        queue = self.queues.get(callback.queue)
        self.callbacks[callback.callback_id] = callback
        if self.closing:
            return  # kept for the next start (the driver releases it): no dial at a stop
        work = Work(
            WorkKind.CALLBACK, callback.callback_id, callback.place_at,
            priority=callback.priority, customer_key=callback.customer_key,
            previous_agent_id=self.services.previous_agent(callback.customer_key),
            payload=callback, queue=queue.name, aging=queue.aging, members=queue.members,
            levels=queue.levels, ring_all=queue.ring_all)
        agent = self.pool.submit(work, at)
        if agent is not None:
            self.start_callback(agent, work, at)
        elif work.ring_all or self.pool.ring_all:
            self.services.offer(work, at)

    def _callback_of(self, number: str, queue_name: str) -> QueueCallback | None:
        """The callback of ``number`` kept in ``queue_name`` and not being dialed now (one
        waiting in the line or between attempts), withdrawn from the line; None if none."""
        if not number or not self.callbacks:
            return None
        dialing = self._callback_calls.values()
        for callback in self.callbacks.values():
            if callback.number == number and callback.queue == queue_name and \
                    callback.callback_id not in dialing:
                self.pool.lines.cancel(callback.callback_id)
                return callback
        return None

    def _live_caller(self, number: str, queue_name: str) -> Call | None:
        """The first caller from ``number`` waiting in ``queue_name``'s line, if any."""
        for call_id in self._waiting.get(queue_name, ()):
            call = self.calls.get(call_id)
            if call is not None and call.caller_number == number and call.state is S.QUEUED:
                return call
        return None

    def _finish_callback(self, callback: QueueCallback, result: CallbackResult, at: float,
                         call_id: str | None = None, reason: str | None = None) -> None:
        del self.callbacks[callback.callback_id]
        # A reason is given exactly when the gate's refusal ended the callback.
        self.verdicts.finished(callback.callback_id, callback.queue, callback.number,
                               callback.place_at, callback.attempts, result.value, at,
                               by_gate=reason is not None)
        self.services.emit(QueueCallbackFinished(at, callback.callback_id, callback.queue,
                                                 result, callback.attempts, call_id, reason))

    def _to_callback(self, call: Call, at: float) -> None:
        """The caller hung up after asking for a callback: their place becomes virtual."""
        inbound = call.inbound
        assert inbound is not None and inbound.work is not None
        work = inbound.work
        self._leave_line(call)
        # The caller phoned us: an inquiry from the moment they took their place.
        callback = QueueCallback(self.services.new_id(), inbound.queue.name, call.caller_number,
                                 work.arrived_at, work.priority, 0, call.customer_key,
                                 work.arrived_at)
        self.services.emit(QueueCallbackRequested(
            at, callback.callback_id, callback.queue, callback.number, callback.place_at,
            callback.priority, call.call_id, callback.customer_key))
        self._submit_callback(callback, at)

    # --- timers ----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self.timers[0][0] if self.timers else None

    def expire(self, now: float) -> None:
        timers = self.timers
        while timers and timers[0][0] <= now:
            due, _, kind, key, token = heapq.heappop(timers)
            if kind is _Timer.CALLBACK_RETRY:
                keys = [key]
                while timers and timers[0][0] == due and timers[0][2] is _Timer.CALLBACK_RETRY:
                    keys.append(heapq.heappop(timers)[3])
                self._return_callbacks(keys, due)
                continue
            call = self.calls.get(key)
            inbound = call.inbound if call is not None else None
            if call is None or inbound is None or inbound.token != token:
                continue
            if kind is _Timer.ANNOUNCE:
                if call.state is S.QUEUED and not inbound.callback_requested:
                    self._announce(call, due)
            elif kind is _Timer.MAX_WAIT:
                if call.state is S.QUEUED and not inbound.callback_requested:
                    inbound.queue.stats.counts.overflowed += 1
                    self._overflow(call, inbound.queue, inbound.queue.config.overflow, due,
                                   full=False)
            elif kind is _Timer.MENU_TIMEOUT:
                if call.state is S.IVR and inbound.session is not None:
                    ivr = inbound.queue.ivr
                    assert ivr is not None
                    inbound.token += 1
                    step = ivr.timeout(inbound.session)
                    if isinstance(step, Play):
                        self._play_menu(call, step, due)
                    else:
                        self._act(call, step.action, due)
            elif kind is _Timer.RECORD:
                if call.state is S.VOICEMAIL and inbound.voicemail_path is not None:
                    inbound.recording_at = due
                    self.services.emit(StartRecording(due, call.call_id, inbound.voicemail_path))
                    self._schedule(due + inbound.queue.config.voicemail.max_seconds,
                                   _Timer.HANG_UP, call.call_id, inbound.token)
            elif kind is _Timer.HANG_UP:
                self.services.emit(Hangup(due, call.call_id, HangupCause.NORMAL_CLEARING))

    def _schedule(self, due: float, kind: _Timer, key: str, token: int) -> None:
        heapq.heappush(self.timers, (due, next(self._seq), kind, key, token))
        floor = self._floor
        if due < floor.at:
            floor.at = due

    # --- paths through the queue -------------------------------------------------------------

    def _act(self, call: Call, action: Action, at: float) -> None:
        """A menu ended with ``action``."""
        inbound = call.inbound
        assert inbound is not None
        queue = inbound.queue
        kind = action.kind
        number = call.caller_number
        inbound.boost += action.priority
        if kind is ActionKind.QUEUE and action.target is not None:
            target = self.queues.get(action.target)
            if not target.is_open(at):
                target.stats.counts.closed += 1
                self._closed(call, target, at)
            else:
                self._enter(call, target, at)
        elif kind is ActionKind.VOICEMAIL:
            self._voicemail(call, queue, at, ())
        elif kind is ActionKind.CALLBACK and number:
            self._enter(call, queue, at, quiet=True)
            if call.state is S.QUEUED:
                self._request_callback(call, at)
        elif kind is ActionKind.OPT_OUT and number:
            queue.stats.counts.opted_out += 1
            self.services.emit(RecordOptOut(
                at, number, call.call_id, self.campaign_id,
                f"caller asked not to be called, in the menu of queue {queue.name}"))
            self._farewell(call, ("optout_confirm",), CallOutcome.OPTED_OUT, at)
        else:  # queue (this one), priority, or a callback/opt-out without a caller number
            self._enter(call, queue, at)

    def _enter(self, call: Call, queue: Queue, at: float, quiet: bool = False) -> None:
        """Join ``queue``'s line (or its overflow when full); an agent at once if free."""
        inbound = call.inbound
        assert inbound is not None
        config = queue.config
        if call.state is not S.QUEUED:
            transition(call, S.QUEUED, f"enters queue {queue.name}")
        inbound.queue = queue
        call.queue = queue.name
        inbound.token += 1
        if self.closing:
            self._close_for(call, queue, at, in_line=False)
            return
        if config.leave_when_unstaffed is not Unstaffed.NEVER and self.unstaffed(queue):
            self._unstaffed(call, queue, at, in_line=False)
            return
        if config.max_length is not None and \
                len(self._waiting.get(queue.name, ())) >= config.max_length:
            queue.stats.counts.full += 1
            self._overflow(call, queue, config.full_action, at, full=True)
            return
        event = inbound.event
        if inbound.line_since is None:
            since = event.waiting_since if event.waiting_since is not None else at
            inbound.line_since = min(since, at)
        priority = event.priority + inbound.boost + queue.priority_of(call.caller_number,
                                                                      event.variables)
        queued_at = at if inbound.overflowed_from is not None else inbound.line_since
        kept = self._callback_of(call.caller_number, queue.name)
        if kept is not None:
            # The caller who asked to be called back phoned again: this call takes the kept
            # place (and priority), and the callback is cancelled, so the dialer never rings
            # a number that is on hold in its own queue nor serves one person twice.
            inbound.line_since = min(inbound.line_since, kept.place_at)
            priority = max(priority, kept.priority)
            self._finish_callback(kept, CallbackResult.CANCELLED, at)
        work = self._work(call, queue, priority, inbound.line_since)
        inbound.work = work
        inbound.queued_at = queued_at
        queue.stats.counts.offered += 1
        self._waiting.setdefault(queue.name, {})[call.call_id] = inbound.queued_at
        agent = self.pool.submit(work, at)
        if agent is not None:
            self._connect(call, agent, at)
            return
        if work.ring_all or self.pool.ring_all:
            self.services.offer(work, at)
        inbound.estimated_wait = self._estimate(queue, work)
        if quiet:
            return
        announcements = config.announcements
        files = (*announcements.welcome, *self._announcement(call, at))
        self._play(call, files, announcements.music or None, at)
        self._schedule_waiting_timers(call, queue, at + self.prompts.length(files), at)

    def _schedule_waiting_timers(self, call: Call, queue: Queue, announce_from: float,
                                 at: float) -> None:
        inbound = call.inbound
        assert inbound is not None
        config = queue.config
        every = config.announcements.every
        if every is not None:
            self._schedule(announce_from + every, _Timer.ANNOUNCE, call.call_id, inbound.token)
        if config.max_wait is not None and not inbound.callback_offered:
            start = inbound.queued_at if inbound.queued_at is not None else at
            self._schedule(max(at, start + config.max_wait), _Timer.MAX_WAIT, call.call_id,
                           inbound.token)

    def _work(self, call: Call, queue: Queue, priority: int, since: float) -> Work:
        event = call.inbound.event  # type: ignore[union-attr]
        return Work(
            WorkKind.INBOUND, call.call_id, since, priority=priority, skills=event.skills,
            customer_key=call.customer_key,
            previous_agent_id=self.services.previous_agent(call.customer_key),
            switch_id=call.switch_id, queue=queue.name, aging=queue.aging,
            members=queue.members, levels=queue.levels, ring_all=queue.ring_all)

    def _connect(self, call: Call, agent: Agent, at: float) -> None:
        self.before_bridge(call, at)
        self.services.bridge(call, agent, at)

    def _leave_line(self, call: Call) -> None:
        inbound = call.inbound
        assert inbound is not None
        if inbound.work is not None:
            self.pool.lines.cancel(inbound.work.work_id)
        self._waiting.get(call.queue or "", {}).pop(call.call_id, None)

    def _announce(self, call: Call, at: float) -> None:
        inbound = call.inbound
        assert inbound is not None
        announcements = inbound.queue.config.announcements
        files = self._announcement(call, at)
        self._play(call, files, announcements.music or None, at)
        assert announcements.every is not None
        self._schedule(at + self.prompts.length(files) + announcements.every, _Timer.ANNOUNCE,
                       call.call_id, inbound.token)

    def _announcement(self, call: Call, at: float) -> tuple[str, ...]:
        inbound = call.inbound
        assert inbound is not None and inbound.work is not None
        queue = inbound.queue
        announcements = queue.config.announcements
        files: tuple[str, ...] = ()
        if announcements.every is None:
            return files
        if announcements.position:
            files += position_prompts(self.pool.lines.inbound.position(inbound.work))
        if announcements.estimated_wait:
            files += wait_prompts(self._estimate(queue, inbound.work))
        if self._offer_open(call, at):
            files += ("callback_offer", key_prompt(queue.config.callback.digit))
        return files

    def _offer_open(self, call: Call, at: float) -> bool:
        inbound = call.inbound
        assert inbound is not None
        offer = inbound.queue.config.callback
        if not offer.enabled or not call.caller_number or inbound.callback_requested:
            return False
        queued = inbound.queued_at if inbound.queued_at is not None else at
        return inbound.callback_offered or at - queued >= offer.offer_after

    def _request_callback(self, call: Call, at: float) -> None:
        """The caller keeps their place: confirm, then hang up; until the line drops the
        live call keeps its place too (an agent freeing meanwhile takes the caller)."""
        inbound = call.inbound
        assert inbound is not None
        inbound.callback_requested = True
        inbound.token += 1
        self._play(call, ("callback_confirm",), None, at)
        self._schedule(at + self.prompts.length(("callback_confirm",)), _Timer.HANG_UP,
                       call.call_id, inbound.token)

    def _overflow(self, call: Call, queue: Queue, action: Action | None, at: float,
                  full: bool) -> None:
        inbound = call.inbound
        assert inbound is not None
        if action is None:  # not reachable with a validated configuration
            return
        if action.kind is ActionKind.QUEUE:
            assert action.target is not None
            target = self.queues.get(action.target)
            self._leave_line(call)
            inbound.overflowed_from = queue.name
            if not target.is_open(at):
                target.stats.counts.closed += 1
                self._closed(call, target, at)
            else:
                self._enter(call, target, at)
        elif action.kind is ActionKind.CALLBACK and call.caller_number:
            if full:
                # Not in the line yet: take the place now, then confirm the callback.
                self._take_place(call, queue, at)
                self._waiting.setdefault(queue.name, {})[call.call_id] = at
                agent = self.pool.submit(inbound.work, at)
                if agent is not None:
                    self._connect(call, agent, at)
                    return
                self._request_callback(call, at)
            else:
                inbound.callback_offered = True
                self._announce_offer(call, at)
        else:  # voicemail, or a callback for a caller whose number is unknown
            self._voicemail(call, queue, at, ("all_busy",))

    def _take_place(self, call: Call, queue: Queue, at: float) -> None:
        """A caller not in ``queue``'s line yet takes a place there now (their callback's,
        confirmed next)."""
        inbound = call.inbound
        assert inbound is not None
        inbound.token += 1
        priority = inbound.event.priority + inbound.boost + queue.priority_of(
            call.caller_number, inbound.event.variables)
        inbound.line_since = inbound.queued_at = at
        inbound.work = self._work(call, queue, priority, at)
        queue.stats.counts.offered += 1

    def _unstaffed(self, call: Call, queue: Queue, at: float, in_line: bool) -> None:
        """Nobody can answer ``queue`` (``leave_when_unstaffed``): the caller goes to
        ``when_unstaffed`` at once (counted as overflowed): voicemail, another queue, or a
        callback that keeps their place (already in the line) or takes one now (arriving);
        a caller whose number is unknown cannot be called back and goes to voicemail."""
        queue.stats.counts.overflowed += 1
        action = queue.config.unstaffed_action
        if action.kind is ActionKind.CALLBACK and call.caller_number and in_line:
            inbound = call.inbound
            assert inbound is not None
            if not inbound.callback_requested:
                self._request_callback(call, at)
            return
        self._overflow(call, queue, action, at, full=True)

    def on_closing(self, event: QueuesClosing) -> None:
        """The driver stops serving the queues: callbacks waiting in a line leave it (kept,
        pending, for the next start: no dial during the stop); every caller waiting in a
        line leaves now (``_close_for``), and so does every caller still in a menu, as if
        they had left it for the queue the dialplan named (its closed path, or a place kept
        as a callback): the stop would otherwise hang them up mid-menu when its grace runs
        out."""
        if self.closing:
            return
        self.closing = True
        at = event.at
        for callback_id in self.callbacks:
            self.pool.lines.cancel(callback_id)  # waiting callbacks: no dial at a stop
        for name, waiting in self._waiting.items():
            queue = self.queues.get(name)
            for call_id in list(waiting):
                call = self.calls.get(call_id)
                if call is not None and call.state is S.QUEUED and call.inbound is not None \
                        and call.queue == name:
                    call.inbound.token += 1
                    self._close_for(call, queue, at, in_line=True)
        in_menus = [call for call in self.calls.values()
                    if call.state is S.IVR and call.inbound is not None]
        for call in in_menus:
            inbound = call.inbound
            assert inbound is not None
            inbound.token += 1  # the menu's timers are void
            inbound.session = None
            self._enter(call, inbound.queue, at)  # closing: ``_close_for``, not the line

    def _close_for(self, call: Call, queue: Queue, at: float, in_line: bool) -> None:
        """A caller of a queue the driver stops serving: a queue callback at their place
        when the queue offers callbacks and their number is known (the next start claims it
        from the store), else the queue's closed path (its closed prompts, then voicemail or
        goodbye)."""
        inbound = call.inbound
        assert inbound is not None
        if inbound.callback_requested:
            return  # confirmed already: the hang-up keeps the place
        if queue.config.callback.enabled and call.caller_number:
            if not in_line:
                # A place, but no agent: a stopping driver connects no new caller (the
                # stop grace would cut the conversation short).
                self._take_place(call, queue, at)
            self._request_callback(call, at)
            return
        queue.stats.counts.closed += 1
        if in_line:
            self._leave_line(call)
        self._closed(call, queue, at)

    def voicemails(self) -> dict[str, float]:
        """Callers leaving a voicemail now (hearing its greeting or being recorded): call →
        the latest instant it ends, when the engine hangs up at the queue's
        ``voicemail.max_seconds``. A stopping runner lets them finish (O(calls), asked at
        the stop only)."""
        return {call_id: call.inbound.voicemail_until for call_id, call in self.calls.items()
                if call.state is S.VOICEMAIL and call.inbound is not None
                and call.inbound.voicemail_until is not None}

    def agent_left(self, agent: Agent, at: float) -> None:
        """``agent`` logged out or paused (the pool tells, ``AgentPool.left_service``): the
        callers waiting in each queue with ``leave_when_unstaffed`` that nobody can answer
        now leave for its ``when_unstaffed``."""
        for queue in self._leave_unstaffed:
            waiting = self._waiting.get(queue.name)
            if not waiting or not queue.serves(agent.agent_id, agent.levels) or \
                    not self.unstaffed(queue):
                continue
            for call_id in list(waiting):
                call = self.calls.get(call_id)
                if call is not None and call.state is S.QUEUED and call.inbound is not None \
                        and call.queue == queue.name:
                    call.inbound.token += 1
                    self._unstaffed(call, queue, at, in_line=True)

    def unstaffed(self, queue: Queue) -> bool:
        """Can nobody answer ``queue`` now? No agent serving it logged in, or, with
        ``leave_when_unstaffed = paused``, none logged in and not paused (O(agents))."""
        paused_count = queue.config.leave_when_unstaffed is Unstaffed.LOGGED_OUT
        for agent in self.pool.agents.values():
            state = agent.state
            if (state in _SERVING or (paused_count and state is A.PAUSED)) and \
                    queue.serves(agent.agent_id, agent.levels):
                return False
        return True

    def _announce_offer(self, call: Call, at: float) -> None:
        inbound = call.inbound
        assert inbound is not None
        config = inbound.queue.config
        files = ("callback_offer", key_prompt(config.callback.digit))
        self._play(call, files, config.announcements.music or None, at)

    def _voicemail(self, call: Call, queue: Queue, at: float, before: tuple[str, ...]) -> None:
        inbound = call.inbound
        assert inbound is not None
        if call.state is S.QUEUED:
            self._leave_line(call)
        if call.state is not S.VOICEMAIL:
            transition(call, S.VOICEMAIL, "voicemail")
        inbound.queue = queue
        call.queue = queue.name
        inbound.token += 1
        config = queue.config.voicemail
        greeting = (*before, *config.greeting)
        self._play(call, greeting, None, at)
        day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
        inbound.voicemail_path = config.path_template.format(
            queue=queue.name, call_id=call.call_id, date=day)
        record_at = at + self.prompts.length(greeting)
        inbound.voicemail_until = record_at + config.max_seconds
        self._schedule(record_at, _Timer.RECORD, call.call_id, inbound.token)

    def _closed(self, call: Call, queue: Queue, at: float) -> None:
        config = queue.config
        if config.closed_voicemail:
            self._voicemail(call, queue, at, config.closed)
        else:
            call.queue = queue.name
            self._farewell(call, config.closed, CallOutcome.CLOSED, at)

    def _farewell(self, call: Call, files: tuple[str, ...], outcome: CallOutcome,
                  at: float) -> None:
        inbound = call.inbound
        assert inbound is not None
        if call.state is S.QUEUED:
            self._leave_line(call)
        transition(call, S.FAREWELL, outcome.value)
        inbound.final = outcome
        inbound.token += 1
        self._play(call, files, None, at, hangup_after=True)
        self._schedule(at + self.prompts.length(files) + _FAREWELL_GRACE, _Timer.HANG_UP,
                       call.call_id, inbound.token)

    def _play_menu(self, call: Call, play: Play, at: float) -> None:
        inbound = call.inbound
        assert inbound is not None
        self._play(call, play.prompts, None, at)
        self._schedule(at + self.prompts.length(play.prompts) + play.timeout,
                       _Timer.MENU_TIMEOUT, call.call_id, inbound.token)

    def _play(self, call: Call, files: tuple[str, ...], music: str | None, at: float,
              hangup_after: bool = False) -> None:
        inbound = call.inbound
        assert inbound is not None
        emit = self.services.emit
        if inbound.playing:
            emit(StopPlayback(at, call.call_id))
            inbound.playing = False
        if files or music:
            emit(PlayPrompt(at, call.call_id, self.prompts.paths(files), music, hangup_after))
            inbound.playing = True
        elif hangup_after:
            emit(Hangup(at, call.call_id, HangupCause.NORMAL_CLEARING))

    # --- blending ------------------------------------------------------------------------------

    def reserve(self, now: float) -> int:
        """Agents outbound pacing must leave to the ``inbound_first`` queues now (what a
        monitor shows; a pacing decision asks ``decision_reserve``)."""
        if not self._blended:
            return 0
        return self._reserve_now(now)

    def decision_reserve(self, now: float) -> int:
        """``reserve`` for a pacing decision: its agents are also the ones no outbound dial
        is promised until the next decision (``InboundLines.kept``, promises.py)."""
        if not self._blended:
            return 0
        self.pool.lines.inbound.kept = reserve = self._reserve_now(now)
        return reserve

    def _reserve_now(self, now: float) -> int:
        busy: dict[str, int] = {}
        agents = self.pool.agents
        for agent_id, queue in self._agent_queue.items():
            agent = agents.get(agent_id)
            if agent is not None and agent.state in (A.RESERVED, A.ON_CALL, A.WRAP_UP):
                busy[queue.name] = busy.get(queue.name, 0) + 1
        needs = []
        for queue in self._blended:
            arrivals = self.arrivals.get(queue.name)
            if arrivals is None:
                continue
            estimator = queue.estimator
            theta = estimator.patience_rate
            level = queue.config.service_level
            rate = arrivals.per_hour(now)
            need = self._reserve.needed(rate, estimator.handle_time,
                                        1.0 / theta if theta > 0 else None, level.target,
                                        level.within)
            if self.reserve_mode == "burst":
                idle = max(0, need - busy.get(queue.name, 0))
                needs.append((min(idle, self._reserve.burst(rate, level.target,
                                                            level.within)), 0))
            else:
                needs.append((need, busy.get(queue.name, 0)))
        return total_reserve(needs)

    # --- live figures ------------------------------------------------------------------------

    def staffing(self, queue: Queue) -> tuple[int, int]:
        """(agents logged in and not paused, of them ready) who serve ``queue``."""
        staffed = ready = 0
        for agent in self.pool.agents.values():
            if agent.state in _SERVING and queue.serves(agent.agent_id, agent.levels):
                staffed += 1
                ready += agent.state is A.READY
        return staffed, ready

    def _estimate(self, queue: Queue, work: Work) -> float | None:
        staffed, ready = self.staffing(queue)
        if staffed == 0:
            return None
        return queue.estimator.estimate(self.pool.lines.inbound.position(work), staffed, ready)

    def waiting(self, queue_name: str) -> int:
        return len(self._waiting.get(queue_name, ()))

    def snapshot(self, now: float) -> list[QueueSnapshot]:
        out = []
        callbacks_by_queue: dict[str, int] = {}
        for callback in self.callbacks.values():
            callbacks_by_queue[callback.queue] = callbacks_by_queue.get(callback.queue, 0) + 1
        for queue in self.queues:
            waiting = self._waiting.get(queue.name, {})
            staffed, ready = self.staffing(queue)
            counts = queue.stats.counts
            new_caller = None
            if staffed:
                new_caller = queue.estimator.estimate(len(waiting) + 1, staffed, ready)
            out.append(QueueSnapshot(
                queue.name, queue.is_open(now), len(waiting),
                callbacks_by_queue.get(queue.name, 0),
                max((now - since for since in waiting.values()), default=0.0), staffed, ready,
                queue.stats.service_level(now), queue.config.service_level.target,
                counts.offered, counts.answered, counts.abandoned, counts.voicemails,
                counts.callbacks_requested, counts.callbacks_completed, new_caller,
                queue.estimator.handle_time,
                self.arrivals[queue.name].per_hour(now) if queue.name in self.arrivals
                else 0.0))
        return out
