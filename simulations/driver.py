"""Drive the real ``dialer.engine`` under virtual time against simulated callees and agents.

The engine decides (pacing, routing, the connect window, the ledger); this module only
plays the switch and the people: it turns the engine's commands into the events a switch
would report, at the times the pre-drawn callee fates say (docs/engine.md, "Driving the
engine from a simulator"). Ground truth (who really answered, whether a person was left
without an agent) is counted here, independently of the engine's own ledger.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from dialer.commands import Bridge, Hangup, JournalAttempt, Originate, PlayMessage
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
    OriginateFailed,
    PlaybackFinished,
)
from dialer.hangup import HangupCause
from dialer.ports import AllowAllGate, DialTarget
from simulations.kernel import Kernel
from simulations.scenario import Scenario
from simulations.streams import LeadFates, inbound_rng

DAY = 86400.0
LIVE, MACHINE, BUSY, NO_ANSWER = 0, 1, 2, 3


class PoolLeads:
    """The scenario's lead pool as the engine's ``LeadSource`` (lead ids are indices)."""

    def __init__(self, campaign: str, size: int) -> None:
        self._campaign = campaign
        self._size = size  # 0: unlimited
        self._next = 0
        self._returned: list[int] = []

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        taken: list[DialTarget] = []
        while len(taken) < n:
            if self._returned:
                index = self._returned.pop()
            elif self._size and self._next >= self._size:
                break
            else:
                index = self._next
                self._next += 1
            taken.append(DialTarget(str(index), f"+1555{index:07d}", self._campaign))
        return taken

    def release(self, lead_id: str) -> None:
        self._returned.append(int(lead_id))


@dataclass(slots=True)
class SimCall:
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

    def __post_init__(self) -> None:
        self.live_by_day = [0] * self.days
        self.abandoned_by_day = [0] * self.days


def campaign_config(scenario: Scenario, policy: str, params: dict[str, Any]) -> CampaignConfig:
    c = scenario.campaign
    return CampaignConfig(
        campaign_id="sim", caller_id_number="+15550000000",
        ring_timeout=max(scenario.population.no_answer_timeout, 15.0),
        connect_window=c.connect_window, amd_enabled=scenario.amd.enabled,
        amd_false_positive_estimate=scenario.amd.false_positive if scenario.amd.enabled else 0.0,
        wrap_up_timeout=1e9, abandon_target=c.abandon_limit,
        ledger_window=c.window_days * DAY, pacing_policy=policy, pacing_params=dict(params),
        decision_interval=c.decision_interval)


class Simulation:
    """One replication of one policy on one scenario."""

    def __init__(self, scenario: Scenario, policy: str, seed: int, replication: int = 0,
                 params: dict[str, Any] | None = None) -> None:
        from pacing_models import make_policy

        self.scenario = scenario
        c = scenario.campaign
        config = campaign_config(scenario, policy, params or {})
        counter = iter(range(1 << 62))
        self.engine = Engine(config, make_policy(policy, **(params or {})),
                             PoolLeads("sim", c.leads if c.outbound else -1),
                             AllowAllGate(), new_id=lambda: f"c{next(counter)}",
                             assume_switches_up=True)
        if not c.outbound:
            self.engine.leads = PoolLeads("sim", 0)
            self.engine.leads._size, self.engine.leads._next = 1, 1  # an empty pool
        self.kernel = Kernel()
        self.fates = LeadFates(scenario, seed, replication)
        self.inbound = inbound_rng(seed, replication)
        self.calls: dict[str, SimCall] = {}
        self.lead_of: dict[str, int] = {}
        self.tally = Tally(c.days)
        self.agents = [f"a{i}" for i in range(c.agents)]
        self.on_shift = False
        self._tick_at = math.inf
        self._pending: deque = deque()
        self._start_hour = c.shift_start_hour

    # --- the run -------------------------------------------------------------------------

    def run(self) -> Tally:
        c = self.scenario.campaign
        shift = c.shift_hours * 3600.0
        k = self.kernel
        for day in range(c.days):
            start = day * DAY
            k.schedule(start, self._start_shift, day)
            k.schedule(start + shift, self._end_shift, day)
            if self.scenario.inbound.calls_per_hour > 0:
                k.schedule(start, self._next_arrival, start + shift)
        while k.step():
            pass
        return self.tally

    def _start_shift(self, at: float, day: int) -> None:
        self.on_shift = True
        kind = AgentLoggedIn if day == 0 else AgentReady
        for agent in self.agents:
            self._feed(kind(at, agent))
        self._feed_tick(at)

    def _end_shift(self, at: float, day: int) -> None:
        self.on_shift = False
        for agent in self.agents:
            self._feed(AgentPaused(at, agent, "end of shift"))

    def _day(self, at: float) -> int:
        return min(int(at // DAY), self.tally.days - 1)

    # --- engine plumbing -----------------------------------------------------------------

    def _feed(self, event: Any) -> None:
        pending = self._pending
        pending.append(event)
        if len(pending) > 1:
            return  # already draining
        engine = self.engine
        while pending:
            self._execute(engine.handle(pending[0]))
            pending.popleft()
        self._plan_tick()

    def _feed_tick(self, at: float, _: Any = None) -> None:
        if at != self._tick_at and _ is not None:
            return  # superseded by an earlier tick
        self._tick_at = math.inf
        self._execute(self.engine.tick(at))
        while self._pending:
            self._execute(self.engine.handle(self._pending.popleft()))
        self._plan_tick()

    def _plan_tick(self) -> None:
        wake = self.engine.next_wakeup()
        if wake is None:
            return
        if not self.on_shift and not self.engine.calls:
            return  # nothing can happen off shift until an event arrives
        if wake < self._tick_at:
            self._tick_at = wake
            self.kernel.schedule(wake, self._feed_tick, True)

    def _execute(self, commands: list[Any]) -> None:
        for command in commands:
            kind = type(command)
            if kind is JournalAttempt:
                self.lead_of[command.call_id] = int(command.lead_id)
            elif kind is Originate:
                self._originate(command)
            elif kind is Bridge:
                self._bridge(command)
            elif kind is PlayMessage:
                self._play(command)
            elif kind is Hangup:
                self._hangup(command)

    def _later(self, at: float, event: Any) -> None:
        self.kernel.schedule(at, self._deliver, event)

    def _deliver(self, at: float, event: Any) -> None:
        call = self.calls.get(event.call_id) if hasattr(event, "call_id") else None
        if call is not None and call.ended:
            return
        if type(event) in (CallHungUp, OriginateFailed) and call is not None:
            self._finish(call, at)
        self._feed(event)

    # --- callee behaviour ----------------------------------------------------------------

    def _originate(self, command: Originate) -> None:
        t = command.at
        self.tally.dials += 1
        hour = int((t % DAY) / 3600.0 + self._start_hour) % 24
        kind, answer_after, talk, patience, wrap, amd_error = self.fates.fate(
            self.lead_of.pop(command.call_id), hour)
        call = SimCall(kind, talk, patience, wrap, amd_error)
        self.calls[command.call_id] = call
        if kind <= MACHINE and answer_after <= command.ring_timeout:
            self.kernel.schedule(t + answer_after, self._answer, command.call_id)
        elif kind == BUSY:
            self._later(t + answer_after, OriginateFailed(t + answer_after, command.call_id,
                                                          HangupCause.USER_BUSY))
        else:
            self._later(t + command.ring_timeout,
                        CallHungUp(t + command.ring_timeout, command.call_id,
                                   HangupCause.NO_ANSWER))

    def _answer(self, at: float, call_id: str) -> None:
        call = self.calls[call_id]
        if call.ended:
            return
        call.answered_at = at
        if call.kind == LIVE:
            self.tally.live_by_day[self._day(at)] += 1
            self._later(at + call.patience, CallHungUp(at + call.patience, call_id))
        amd = self.scenario.amd
        self._feed(CallAnswered(at, call_id))
        if amd.enabled:
            error = amd.false_positive if call.kind == LIVE else amd.false_negative
            wrong = call.amd_error < error
            machine = (call.kind == MACHINE) != wrong
            call.classed_machine = machine
            verdict = AnswerKind.MACHINE if machine else AnswerKind.HUMAN
            self._later(at + amd.detect_time, CallClassified(at + amd.detect_time, call_id,
                                                             verdict))
        elif call.kind == MACHINE:
            self._feed(CallClassified(at, call_id, AnswerKind.MACHINE))

    def _bridge(self, command: Bridge) -> None:
        t = command.at
        call = self.calls[command.call_id]
        call.bridged = True
        tally = self.tally
        if call.inbound and call.answered_at is not None and t > call.answered_at + 1e-9:
            tally.inbound_waited += 1
        self._pending.append(CallBridged(t, command.call_id, command.agent_id))
        if call.kind == MACHINE:
            hold, wrap = self.scenario.machine_handle_time, 0.0
            tally.machine_handle += hold
            if self.scenario.amd.enabled:
                self._pending.append(CallClassified(t, command.call_id, AnswerKind.MACHINE))
        else:
            hold, wrap = call.talk, call.wrap
            tally.talk += hold
            tally.wrap += wrap
            tally.connects += 1
        self._later(t + hold, CallHungUp(t + hold, command.call_id))
        self.kernel.schedule(t + hold + wrap, self._dispose, (command.agent_id, command.call_id))

    def _dispose(self, at: float, ids: tuple[str, str]) -> None:
        self._feed(CallDisposed(at, ids[0], ids[1], "simulated"))

    def _play(self, command: PlayMessage) -> None:
        call = self.calls.get(command.call_id)
        if call is None or call.ended:
            return
        end = command.at + self.scenario.campaign.message_time
        call.patience = math.inf
        self._finish(call, command.at)  # no later patience hang-up: the message plays
        self.kernel.schedule(end, self._message_ended, command.call_id)

    def _message_ended(self, at: float, call_id: str) -> None:
        self._feed(PlaybackFinished(at, call_id))
        self._feed(CallHungUp(at, call_id))

    def _hangup(self, command: Hangup) -> None:
        call = self.calls.get(command.call_id)
        if call is None or call.ended:
            return
        if call.kind == LIVE and call.classed_machine:
            # A person AMD classed as a machine: the ground truth tells the engine it was
            # a live answer, which it then counts as abandoned (Ofcom 2016, A1.6).
            self._pending.append(CallClassified(command.at, command.call_id, AnswerKind.HUMAN))
        self._finish(call, command.at)
        self._pending.append(CallHungUp(command.at, command.call_id, command.cause))

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
        inbound = self.scenario.inbound
        rng = self.inbound
        gap = rng.exponential(3600.0 / inbound.calls_per_hour)
        if at + gap >= shift_end:
            return
        t = at + gap
        self.kernel.schedule(t, self._arrive, shift_end)

    def _arrive(self, at: float, shift_end: float) -> None:
        rng = self.inbound
        talk = float(self.scenario.population.talk.sample(rng, 1)[0])
        wrap = float(self.scenario.wrap.sample(rng, 1)[0])
        patience = float(self.scenario.inbound.patience.sample(rng, 1)[0])
        call_id = f"in{self.tally.inbound_offered}"
        self.tally.inbound_offered += 1
        call = SimCall(LIVE, talk, patience, wrap, 1.0, inbound=True, answered_at=at)
        self.calls[call_id] = call
        self._feed(InboundCallArrived(at, call_id))
        if not call.bridged and math.isfinite(patience):
            self._later(at + patience, CallHungUp(at + patience, call_id))
        self._next_arrival(at, shift_end)
