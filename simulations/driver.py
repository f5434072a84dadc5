"""Drive the real ``dialer.engine`` under virtual time against simulated callees and agents.

The engine decides (pacing, routing, the connect window, the ledger); this module only
plays the switch and the people: it turns the engine's commands into the events a switch
would report, at the times the pre-drawn callee fates say (docs/engine.md, "Driving the
engine from a simulator"). Ground truth (who really answered, whether a person was left
without an agent) is counted here, independently of the engine's own ledger.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from heapq import heappush as _heappush
from typing import Any

import numpy as np

from dialer.commands import (
    AttemptFinished,
    Bridge,
    Hangup,
    Originate,
    PlayMessage,
    PlayPrompt,
    StartRecording,
)
from dialer.engine import CampaignConfig, Engine
from dialer.events import (
    AgentLoggedIn,
    AgentPaused,
    AgentReady,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    InboundCallArrived,
    PlaybackFinished,
)
from dialer.hangup import HangupCause, HangupSide
from dialer.ports import AllowAllGate
from pacing_models.records import builder, native_or_slotted
from simulations.inbound_callers import InboundCallers
from simulations.kernel import Kernel
from simulations.leads import PoolLeads
from simulations.scenario import Scenario
from simulations.streams import BUSY, LIVE, MACHINE, InboundStream, LeadFates

DAY = 86400.0
_USER_BUSY, _NO_ANSWER = HangupCause.USER_BUSY, HangupCause.NO_ANSWER
_NORMAL_CLEARING = HangupCause.NORMAL_CLEARING
_CALLEE, _DIALER = HangupSide.CALLEE, HangupSide.DIALER
"""Who ends each simulated call, as a real switch's SIP leg would say it (and as the switch
simulator does): the far end (the person hanging up, or at the end of the talk:
``recv_bye``; a busy line: ``recv_refuse``) or the dialer (giving up ringing:
``send_cancel``; the message's end and its own hang-ups: ``send_bye``)."""
_MACHINE_KIND, _HUMAN_KIND = AnswerKind.MACHINE, AnswerKind.HUMAN
_answered, _bridged, _disposed = builder(CallAnswered), builder(CallBridged), builder(CallDisposed)
_hung_up, _classified = builder(CallHungUp), builder(CallClassified)
"""The events of every simulated attempt, built from all their fields in their order
(pacing_models/records.py): a third cheaper than calling the class."""


@dataclass  # slots in pure Python: native_or_slotted below; native in the compiled engine
class SimCall:
    """A simulated call's fate and what has happened to it (``_originate`` builds one
    field by field: a new field must be set there too)."""

    kind: int
    talk: float
    patience: float
    wrap: float
    amd_error: float
    inbound: bool = False
    answered_at: float | None = None
    bridged: bool = False
    ended: bool = False
    classed_machine: bool = False

native_or_slotted(globals(), SimCall)


@dataclass(slots=True)
class Tally:
    """Ground-truth counts of one run (per day where the law measures per window)."""

    days: int
    dials: int = 0
    live_by_day: list[int] = field(default_factory=list)
    abandoned_by_day: list[int] = field(default_factory=list)
    connects: int = 0
    talk: float = 0.0
    wrap: float = 0.0
    machine_handle: float = 0.0
    inbound_offered: int = 0
    inbound_waited: int = 0
    inbound_abandoned: int = 0
    machine_verdicts: int = 0
    """AMD's machine verdicts (true machines and the people it got wrong)."""
    machine_verdicts_routed: int = 0
    """Of them, those sent to a free agent (``[amd].to_free_agent``)."""
    false_positives: int = 0
    """People AMD classed as machines."""
    false_positives_connected: int = 0
    """Of them, those a free agent took (the rest were hung up on: abandoned)."""
    queues: dict[str, Any] | None = None
    """Scenarios with ``[[queues]]``: per-queue figures and the wait-estimate calibration
    (simulations/inbound_callers.py, ``inbound_metrics``)."""

    def __post_init__(self) -> None:
        self.live_by_day = [0] * self.days
        self.abandoned_by_day = [0] * self.days


def campaign_config(scenario: Scenario, policy: str, params: dict[str, Any]) -> CampaignConfig:
    c = scenario.campaign
    return CampaignConfig(
        campaign_id="sim", caller_id_number="+15550000000",
        ring_timeout=max(scenario.population.no_answer_timeout, 15.0),
        connect_window=c.connect_window, amd_enabled=scenario.amd.enabled,
        # No estimate: the driver's ground truth tells the engine of every person AMD classed
        # as a machine (``_hangup``), which the ledger counts as abandoned; an estimate on
        # top would count each of them twice (docs/simulations.md, "AMD").
        amd_false_positive_estimate=0.0,
        machine_to_free_agent=scenario.amd.to_free_agent,
        wrap_up_timeout=1e9, abandon_target=c.abandon_limit,
        ledger_window=c.window_days * DAY, pacing_policy=policy, pacing_params=dict(params),
        decision_interval=c.decision_interval,
        # The population's ring times run from the dial (no call set-up is simulated, and
        # no ringing reported): the minimum ring for shedding a late call runs from it too.
        rings_from_dial=True)


class Simulation:
    """One replication of one policy on one scenario."""

    def __init__(self, scenario: Scenario, policy: str, seed: int, replication: int = 0,
                 params: dict[str, Any] | None = None, limit_guard: bool = False) -> None:
        """``limit_guard``: run a policy a live campaign guards (``GUARDED_POLICIES``)
        behind ``LimitGuard``, as ``dialer run`` does; off, the raw baseline (and every
        pinned digest) stays as it was."""
        from pacing_models import make_policy
        from pacing_models.limit_guard import guarded

        self.scenario = scenario
        c = scenario.campaign
        config = campaign_config(scenario, policy, params or {})
        self.leads = PoolLeads("sim", c.leads)
        start_hour = c.shift_start_hour

        def hour_of(t: float) -> int:
            return int((t % DAY) / 3600.0 + start_hour) % 24

        queues = None
        if scenario.queues:
            from dialer.engine.queues import QueueSet
            from dialer.prompt_files import load_prompts

            prompts = load_prompts()
            queues = QueueSet(scenario.queues, prompts)
        pacing = make_policy(policy, **(params or {}))
        self.engine = Engine(config, guarded(pacing) if limit_guard else pacing,
                             self.leads, AllowAllGate(), new_id=_call_ids(),
                             assume_switches_up=True, queues=queues, hour_of=hour_of)
        self.kernel = Kernel()
        self._schedule = self.kernel.schedule
        self._schedule_aside = self.kernel.schedule_aside
        """The next tick waits aside the kernel's heap (a tick planned again and again)."""
        self._entries, self._sequence = self.kernel.entries()
        """The kernel's heap and sequence, for the hot loop's own ``Kernel.schedule``
        written out (a dial, a bridge: some one and a half entries per attempt)."""
        self.fates = LeadFates(scenario, seed, replication)
        self.inbound = InboundStream(scenario, seed, replication)
        self.calls: dict[str, SimCall] = {}
        """Calls the engine still knows (dropped at its ``AttemptFinished``)."""
        self.tally = Tally(c.days)
        self.agents = [f"a{i}" for i in range(c.agents)]
        self.on_shift = False
        self._staffed = c.agents
        self._closing = False
        self._tick_at = math.inf
        self._refreeze = False
        """While a run holds the collector's permanent generation (``_frozen_heap``)."""
        self._pending: deque = deque()
        self._start_hour = c.shift_start_hour
        self._hour_at, self._hour = math.nan, 0
        """The instant of the latest dial and its hour of the day (``_originate``)."""
        self._shift = c.shift_hours * 3600.0
        amd = scenario.amd
        self._patience_from = max(0.0, amd.detect_time - amd.silence_before_verdict) \
            if amd.enabled else 0.0
        """Seconds after the answer a person's patience starts: with AMD, the silence AMD
        waits for after the greeting before deciding (never before the answer)."""
        # The kernel's actions of every attempt, bound once: a method read as a value
        # (``self._answer`` pushed into the heap) is built by CPython 3.11's generic
        # attribute lookup at every read; an instance attribute is a specialised load.
        self._answer_action = self._answer
        self._busy_action = self._busy
        self._ring_out_action = self._ring_out
        self._ring_out_calls: list[str] = []
        self._ring_out_at, self._ring_out_sequence = math.nan, -2
        """The unanswered calls' latest kernel entry (``_originate``): its calls, its
        instant and the sequence number last taken for it."""
        self._tick_action = self._feed_tick
        self._talk_end_action = self._talk_end
        self._dispose_action = self._dispose
        self._actions: dict[type, Any] = {
            Originate: self._originate, Bridge: self._bridge, PlayMessage: self._play,
            Hangup: self._hangup, AttemptFinished: self._forget}
        self.callers: InboundCallers | None = None
        """The callers of the scenario's queues (simulations/inbound_callers.py)."""
        if queues is not None:
            # Its own stream: menu keys, callback choices and answers are common to every
            # policy compared on the same (seed, replication).
            rng = np.random.default_rng([seed, replication, 2**31 + 7])
            self.callers = InboundCallers(self, queues, prompts, rng, hour_of)
            self._actions[PlayPrompt] = self.callers.play
            self._actions[StartRecording] = self.callers.record

    def observe(self, kinds: tuple[type, ...], callback: Any) -> None:
        """Also hand every engine command of these types to ``callback(command)``, after
        the driver's own action for it (the recorder, simulations/recorder.py, writes the
        storage-bound ones to a campaign store). Nothing is observed unless asked."""
        for kind in kinds:
            own = self._actions.get(kind)
            self._actions[kind] = callback if own is None else _then(own, callback)

    # --- the run -------------------------------------------------------------------------

    def run(self) -> Tally:
        c = self.scenario.campaign
        shift = c.shift_hours * 3600.0
        k = self.kernel
        for day in range(c.days):
            start = day * DAY
            k.schedule(start, self._start_shift, day)
            k.schedule(start + shift, self._end_shift, day)
            if self.scenario.inbound.any_calls:
                k.schedule(start, self._next_arrival, start + shift)
        with _frozen_heap(self):
            k.run()
        if self.callers is not None:
            from simulations.inbound_callers import inbound_metrics

            self.tally.queues = inbound_metrics(self.callers.tally, self.callers.queues)
        return self.tally

    def _start_shift(self, at: float, day: int) -> None:
        if self._refreeze:
            gc.freeze()  # what the days before kept (``_frozen_heap``)
        self.on_shift = True
        self._closing = False
        self.leads.open = self.scenario.campaign.outbound  # inbound-only: no dial
        steps = self.scenario.campaign.staffing()
        for index, agent in enumerate(self.agents):
            if day == 0:
                self._feed(AgentLoggedIn(at, agent))
                if index >= steps[0][1]:
                    self._feed(AgentPaused(at, agent, "off shift"))
            elif index < steps[0][1]:
                self._feed(AgentReady(at, agent))
        self._staffed = steps[0][1]
        for offset, count in steps[1:]:  # agents_by_hour: the floor changes with the hour
            self.kernel.schedule(at + offset, self._staff, count)
        self._feed_tick(at)

    def _staff(self, at: float, count: int) -> None:
        """``count`` agents logged in from now on (the first ones; the others pause, after
        their current call if they are on one)."""
        if not self.on_shift:
            return
        for index in range(min(count, self._staffed), max(count, self._staffed)):
            agent = self.agents[index]
            self._feed(AgentReady(at, agent) if index < count
                       else AgentPaused(at, agent, "off shift"))
        self._staffed = count
        self._feed_tick(at)

    def _end_shift(self, at: float, day: int) -> None:
        """Closing time: no new dial and no new caller; agents stay for the calls already
        placed or queued (a person who answers or waits gets an agent under the shift's own
        dynamics, not an end-of-shift artefact), then go off shift."""
        self.on_shift = False
        self.leads.open = False
        self._closing = True
        self._close_if_idle(at)

    def _close_if_idle(self, at: float) -> None:
        if any(not call.ended and not call.bridged for call in self.calls.values()):
            return
        self._closing = False
        for agent in self.agents:
            self._feed(AgentPaused(at, agent, "end of shift"))

    def _day(self, at: float) -> int:
        return min(int(at // DAY), self.tally.days - 1)

    # --- engine plumbing -----------------------------------------------------------------

    def _feed(self, event: Any, then: Any = None) -> None:
        """Hand one event to the engine, then the events its commands cause, in order;
        then, if given, the event ``then`` (at the same instant) and those it causes.

        Commands only schedule timers or queue follow-up events in ``_pending`` (never feed
        the engine themselves), so the engine is never entered twice at once. (The hot
        loop of a run, with ``_feed_tick`` and ``_ring_out``: the command dispatch and the
        planning of the next tick are written out in each rather than called.) The next
        tick is planned once, after both events: a plan made between them could only add a
        tick that finds nothing to do."""
        engine, actions, pending = self.engine, self._actions, self._pending
        for current in (event,) if then is None else (event, then):
            for command in engine.handle(current):
                action = actions.get(type(command))
                if action is not None:
                    action(command)
            while pending:
                for command in engine.handle(pending.popleft()):
                    action = actions.get(type(command))
                    if action is not None:
                        action(command)
            if self._closing:
                self._close_if_idle(current.at)
        if self._tick_at <= current.at:
            # A tick is planned at this very instant (after a decision's unanswered calls,
            # which end at a later decision's instant, most of these): the engine's wake-up
            # is never earlier than the latest instant it has seen, so asking would plan
            # nothing (``next_wakeup`` only observes: tests/dialer/engine/
            # test_engine_wait_aside.py).
            return
        wake = engine.next_wakeup()
        if wake is not None and wake < self._tick_at and (self.on_shift or engine.calls):
            self._tick_at = wake
            self._schedule_aside(wake, self._tick_action, True)

    def _feed_tick(self, at: float, planned: Any = None) -> None:
        if planned is not None and at != self._tick_at:
            return  # superseded by an earlier tick
        self._tick_at = math.inf
        engine, actions, pending = self.engine, self._actions, self._pending
        # The other half of the hot loop (see _feed).
        for command in engine.tick(at):
            action = actions.get(type(command))
            if action is not None:
                action(command)
        while pending:
            for command in engine.handle(pending.popleft()):
                action = actions.get(type(command))
                if action is not None:
                    action(command)
        if self._closing:
            self._close_if_idle(at)
        wake = engine.next_wakeup()
        if wake is not None and wake < self._tick_at and (self.on_shift or engine.calls):
            self._tick_at = wake
            self._schedule_aside(wake, self._tick_action, True)

    # --- callee behaviour ----------------------------------------------------------------
    # Timers carry the call id and build their event when they fire; a timer whose call has
    # ended (or was bridged, for patience) does nothing: lazy cancellation.

    def _live(self, call_id: str) -> SimCall | None:
        call = self.calls.get(call_id)
        return None if call is None or call.ended else call

    def _originate(self, command: Originate) -> None:
        if self.callers is not None and "dialer_queue_callback" in command.variables:
            self.callers.originate(command)  # a queue callback, not a lead
            return
        t = command.at
        self.tally.dials += 1
        if t != self._hour_at:  # the calls of one decision share their instant
            self._hour_at = t
            self._hour = int((t % DAY) / 3600.0 + self._start_hour) % 24
        kind, answer_after, talk, patience, wrap, amd_error = self.fates.fate(
            int(command.variables["dialer_lead_id"]), self._hour)
        call_id = command.call_id
        # ``SimCall(kind, talk, patience, wrap, amd_error)``, written out: calling a class
        # with an ``__init__`` enters a second evaluation loop (CPython 3.11), once per
        # attempt here. Compiled, ``SimCall.__new__`` is the native class's allocation and
        # the stores below go to its fields directly.
        call = SimCall.__new__(SimCall)
        call.kind, call.talk, call.patience, call.wrap, call.amd_error = \
            kind, talk, patience, wrap, amd_error
        call.inbound = call.bridged = call.ended = call.classed_machine = False
        call.answered_at = None
        self.calls[call_id] = call
        now = self.kernel.now
        if kind <= MACHINE and answer_after <= command.ring_timeout:
            at, action = t + answer_after, self._answer_action
        elif kind == BUSY:
            at, action = t + answer_after, self._busy_action
        else:
            at = t + command.ring_timeout
            if at < now:
                at = now
            sequence = next(self._sequence)
            if sequence == self._ring_out_sequence + 1 and at == self._ring_out_at:
                # The entry pushed just before was the unanswered calls' of this very
                # instant (a decision's calls ring out together): this call joins it. Its
                # own entry would have come next in the heap's order, nothing able to sort
                # between the two, so the calls still end in the same order.
                self._ring_out_calls.append(call_id)
            else:
                self._ring_out_calls = [call_id]
                self._ring_out_at = at
                _heappush(self._entries, (at, sequence, self._ring_out_action,
                                          self._ring_out_calls))
            self._ring_out_sequence = sequence
            return
        # ``Kernel.schedule``, written out: once per attempt.
        _heappush(self._entries, (at if at > now else now, next(self._sequence), action,
                                  call_id))

    # ``_busy`` and ``_ring_out`` end calls that were never answered (nothing to count
    # in ``_finish`` but the end): ``_live`` and ``_finish`` written out, most attempts.

    def _busy(self, at: float, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and not call.ended:
            call.ended = True
            # As a SIP switch reports it: the channel, refused by the far end (recv_refuse,
            # capture 04a), not an originate that made none; the engine reads both alike.
            self._feed(_hung_up(at, call_id, _USER_BUSY, _CALLEE))

    def _ring_out(self, at: float, call_ids: list[str]) -> None:
        """The calls of one kernel entry that nobody answered (one entry for the calls
        of a decision: ``_originate``), each hung up in the order they were dialed."""
        calls, engine, actions, pending = self.calls, self.engine, self._actions, self._pending
        for call_id in call_ids:
            call = calls.get(call_id)
            if call is None or call.ended:
                continue
            call.ended = True
            # ``_feed`` of the hang-up, written out: two attempts in three.
            for command in engine.handle(_hung_up(at, call_id, _NO_ANSWER, _DIALER)):
                action = actions.get(type(command))
                if action is not None:
                    action(command)
            while pending:
                for command in engine.handle(pending.popleft()):
                    action = actions.get(type(command))
                    if action is not None:
                        action(command)
            if self._closing:
                self._close_if_idle(at)
            if self._tick_at > at:  # else a tick is planned at this instant (``_feed``)
                wake = engine.next_wakeup()
                if wake is not None and wake < self._tick_at and (self.on_shift
                                                                  or engine.calls):
                    self._tick_at = wake
                    self._schedule_aside(wake, self._tick_action, True)

    def _answer(self, at: float, call_id: str) -> None:
        call = self.calls.get(call_id)  # ``_live``, written out: once per answer
        if call is None or call.ended:
            return
        call.answered_at = at
        kind = call.kind
        if kind == LIVE:
            self.tally.live_by_day[self._day(at)] += 1
        amd = self.scenario.amd
        if amd.enabled or kind != MACHINE:
            self._feed(_answered(at, call_id, True))
        else:
            # A machine without AMD: its classification follows the answer at once, handed
            # over in the same entry (``_feed`` of both, no wake-up planned between them).
            self._feed(_answered(at, call_id, True), _classified(at, call_id, _MACHINE_KIND))
        if kind == LIVE and call.patience < math.inf and not call.bridged and not call.ended:
            # After the answer's events: a person bridged at once (an agent was free: most
            # of them) or already gone would find ``_patience`` doing nothing.
            self._schedule(at + self._patience_from + call.patience, self._patience, call_id)
        if amd.enabled:
            error = amd.false_positive if kind == LIVE else amd.false_negative
            call.classed_machine = (kind == MACHINE) != (call.amd_error < error)
            self._schedule(at + amd.detect_time, self._verdict, call_id)

    def _verdict(self, at: float, call_id: str) -> None:
        call = self._live(call_id)
        if call is not None:
            if call.classed_machine:
                self.tally.machine_verdicts += 1
                self.tally.false_positives += call.kind == LIVE
            verdict = _MACHINE_KIND if call.classed_machine else _HUMAN_KIND
            self._feed(CallClassified(at, call_id, verdict))

    def _patience(self, at: float, call_id: str) -> None:
        """A person left in silence (or in the queue) hangs up, unless an agent has them."""
        call = self._live(call_id)
        if call is not None and not call.bridged:
            self._finish(call, at)
            self._feed(_hung_up(at, call_id, _NORMAL_CLEARING, _CALLEE))

    def _bridge(self, command: Bridge) -> None:
        t, call_id = command.at, command.call_id
        call = self.calls[call_id]
        call.bridged = True
        tally = self.tally
        self._pending.append(_bridged(t, call_id, command.agent_id))
        # Agent time counts inside the logged-in shift only (talk fraction ≤ 1): a call
        # that runs past the shift's end is overtime, not logged-in time.
        left = (t // DAY) * DAY + self._shift - t
        # The length of [0, hold] and of [hold, hold + wrap] inside [0, left].
        if call.classed_machine:
            tally.machine_verdicts_routed += 1
            tally.false_positives_connected += call.kind == LIVE
        if call.kind == MACHINE:
            hold, wrap = self.scenario.machine_handle_time, 0.0
            if left > 0.0:
                tally.machine_handle += max(0.0, (hold if hold < left else left))
            if self.scenario.amd.enabled:
                self._pending.append(_classified(t, call_id, _MACHINE_KIND))
        else:
            if call.classed_machine:
                # A person AMD classed as a machine, sent to a free agent
                # (``machine_to_free_agent``): the ground truth tells the engine, which counts
                # a live answer connected in time (not an abandon); they talk as anyone.
                self._pending.append(_classified(t, call_id, _HUMAN_KIND))
            hold, wrap = call.talk, call.wrap
            if left > 0.0:
                tally.talk += max(0.0, (hold if hold < left else left))
                if hold < left:
                    end = hold + wrap
                    tally.wrap += max(0.0, (end if end < left else left) - hold)
            tally.connects += 1
        # ``Kernel.schedule``, written out: twice per connected call.
        now, entries, sequence = self.kernel.now, self._entries, self._sequence
        at = t + hold
        _heappush(entries, (at if at > now else now, next(sequence), self._talk_end_action,
                            call_id))
        at = t + hold + wrap
        _heappush(entries, (at if at > now else now, next(sequence), self._dispose_action,
                            (command.agent_id, call_id)))

    def _talk_end(self, at: float, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and not call.ended:
            call.ended = True  # all ``_finish`` does for a bridged call (written out)
            self._feed(_hung_up(at, call_id, _NORMAL_CLEARING, _CALLEE))

    def _dispose(self, at: float, ids: tuple[str, str]) -> None:
        self._feed(_disposed(at, ids[0], ids[1], "simulated"))

    def _play(self, command: PlayMessage) -> None:
        call = self._live(command.call_id)
        if call is None:
            return
        self._finish(call, command.at)  # no later patience hang-up: the message plays
        self._schedule(command.at + self.scenario.campaign.message_time, self._message_ended,
                       command.call_id)

    def _message_ended(self, at: float, call_id: str) -> None:
        self._feed(PlaybackFinished(at, call_id))
        self._feed(_hung_up(at, call_id, _NORMAL_CLEARING, _DIALER))

    def _hangup(self, command: Hangup) -> None:
        call = self._live(command.call_id)
        if call is None:
            return
        if call.kind == LIVE and call.classed_machine:
            # A person AMD classed as a machine: the ground truth tells the engine it was
            # a live answer, which it then counts as abandoned (Ofcom 2016, A1.6).
            self._pending.append(CallClassified(command.at, command.call_id, _HUMAN_KIND))
        self._finish(call, command.at)
        self._pending.append(_hung_up(command.at, command.call_id, command.cause, _DIALER))

    def _forget(self, command: AttemptFinished) -> None:
        """The engine has closed the call's record: no command will name it again."""
        self.calls.pop(command.call_id, None)
        if self.callers is not None:
            self.callers.finished(command)

    def _finish(self, call: SimCall, at: float) -> None:
        """The call's customer side ends (or stops being able to reach an agent)."""
        if call.ended:
            return
        call.ended = True
        if call.inbound:
            if not call.bridged:
                self.tally.inbound_abandoned += 1
        elif call.kind == LIVE and call.answered_at is not None and not call.bridged:
            self.tally.abandoned_by_day[self._day(call.answered_at)] += 1

    # --- inbound -------------------------------------------------------------------------

    def _next_arrival(self, at: float, shift_end: float) -> None:
        if self.callers is not None:
            arrival = self.callers.next_arrival(at, shift_end)
            if arrival is not None:
                self._schedule(arrival, self._arrive, shift_end)
            return
        t = at + self.inbound.next_gap()
        if t < shift_end:
            self._schedule(t, self._arrive, shift_end)

    def _arrive(self, at: float, shift_end: float) -> None:
        talk, wrap, patience = self.inbound.next_caller()
        call_id = f"in{self.tally.inbound_offered}"
        self.tally.inbound_offered += 1
        if self.callers is not None:
            arrived = self.callers.arrive(at, call_id, talk, wrap, patience)
            call = self.calls[call_id]
        else:
            call = SimCall(LIVE, talk, patience, wrap, 1.0, inbound=True, answered_at=at)
            self.calls[call_id] = call
            arrived = InboundCallArrived(at, call_id)
        self._feed(arrived)
        if not call.bridged:
            # P(wait) as Erlang C defines it: no agent was free when the caller arrived
            # (decided at arrival, so a caller still queued at the shift's end counts too).
            self.tally.inbound_waited += 1
            if patience < math.inf:
                self._schedule(at + patience, self._patience, call_id)
        self._next_arrival(at, shift_end)


def _call_ids() -> Any:
    """The engine's ``new_id``: "c0", "c1", ... (what ``f"c{n}"`` of a counter gives), as a
    C-level callable: one Python call less per attempt than a lambda."""
    return map("c{}".format, itertools.count()).__next__


@contextlib.contextmanager
def _frozen_heap(simulation: Simulation) -> Iterator[None]:
    """The objects alive when a run starts (the modules, numpy's and scipy's, the scenario,
    the engine) kept out of the cyclic collector's collections for the run's time, and at
    each simulated day's start what is alive then (``Simulation._start_shift`` reads
    ``_refreeze``).

    A run's records and tuples are freed by reference counting (no cycles), but the objects
    it keeps for a while (kernel entries, calls, ledger entries) still trigger collections,
    and a full one walks every object of the process: in the simulated day of 100 agents,
    one full collection took 46 ms of a 0.9 s run, walking the imports' heap, not the run's;
    in the 30-day predictive month, 12 or 13 full ones took about 2 s, each walking again
    what the run had kept so far (the ledger's window of entries grows for 30 days).
    ``gc.freeze`` moves what exists to the permanent generation (freed by reference counting
    as ever; what the run makes after is collected as before; a cycle already unreachable
    when a day starts waits for the run's end) and ``gc.unfreeze`` hands it all back at the
    end. A process that froze objects itself (``gc.get_freeze_count`` not zero) is left as
    it is. Nothing the run computes depends on when collections happen.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    simulation._refreeze = True
    try:
        yield
    finally:
        simulation._refreeze = False
        gc.unfreeze()


def _then(first: Any, second: Any) -> Any:
    def both(command: Any) -> None:
        first(command)
        second(command)
    return both
