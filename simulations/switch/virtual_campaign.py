"""A campaign of the dialer's engine and FreeSWITCH adapter against the simulated switch, on
virtual time.

The same code the live runner drives (``dialer.engine.Engine``, ``dialer.freeswitch``'s
command rendering and event stories) talks to the switch simulator in-process: each command
becomes the API line a real switch would get (``bgapi`` for originates, with the Job-UUID
registered first, as the runner does), each event the switch fires goes through the adapter
into the engine, and time jumps from one thing due to the next. A campaign of minutes runs
in a second, deterministically for a seed; with ``SwitchSettings(hostile=True)`` the switch's
internal delays and the arrival order of events are drawn at random within the bounds the
real captures show. The switch's ground truth (truth.py) judges what the people heard.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dialer.commands import AttemptFinished, Command, Incident, PlayMessage
from dialer.engine import CampaignConfig, Engine
from dialer.esl.event import Event as EslEvent
from dialer.events import AgentLoggedIn, MessageLatency, PlaybackStarted, SwitchUp
from dialer.freeswitch import DialPlan, FreeSwitchAdapter
from dialer.freeswitch.latency import LatencyBudget
from dialer.ports import AllowAllGate, DialTarget, ListLeadSource
from pacing_models.interface import PacingPolicy
from simulations.switch.fates import FateSource
from simulations.switch.inprocess import InProcessSwitch
from simulations.switch.switch import SwitchSettings


@dataclass
class CampaignOutcome:
    finished: list[AttemptFinished] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    truth: dict[str, float | int | None] = field(default_factory=dict)
    engine: Engine | None = None
    switch: InProcessSwitch | None = None

    @property
    def abandon_rate(self) -> float | None:
        live = [f for f in self.finished if f.answered_at is not None
                and f.answer_kind is not None and f.answer_kind.value != "machine"]
        if not live:
            return None
        return sum(f.abandoned for f in live) / len(live)


class VirtualCampaign:
    """Engine + adapter + simulated switch, run for ``seconds`` of virtual time."""

    def __init__(self, config: CampaignConfig, policy: PacingPolicy, *,
                 agents: Sequence[tuple[str, str]], settings: SwitchSettings,
                 fate_source: FateSource, plan: DialPlan | None = None, seed: int = 0,
                 leads: Iterable[DialTarget] | None = None, wire: bool = False) -> None:
        self.switch = InProcessSwitch(settings, fate_source, seed, on_event=self._arrived,
                                      wire=wire)
        ids = itertools.count(1)
        self.engine = Engine(config, policy, ListLeadSource(list(leads or _leads(config))),
                             AllowAllGate(),
                             new_id=lambda: f"00000000-0000-4000-8000-{next(ids):012d}")
        self.adapter = FreeSwitchAdapter(plan or DialPlan())
        self.agents = list(agents)
        self.outcome = CampaignOutcome(engine=self.engine, switch=self.switch)
        self._inbox: deque[EslEvent] = deque()
        self._jobs = itertools.count(1)
        self.latency = LatencyBudget(config.message_latency_budget)
        self._messages: dict[str, float] = {}
        """Call → when its message was sent (the driver measures, as the runner does)."""

    def _arrived(self, event: EslEvent) -> None:
        self._inbox.append(event)

    def _execute(self, commands: list[Command]) -> None:
        outcome = self.outcome
        for command in commands:
            if isinstance(command, AttemptFinished):
                outcome.finished.append(command)
            elif isinstance(command, Incident):
                outcome.incidents.append(command)
            elif isinstance(command, PlayMessage):
                self._messages[command.call_id] = self.switch.now()
        for call in self.adapter.api_calls(commands):
            if call.background:
                job = f"10000000-0000-4000-8000-{next(self._jobs):012d}"
                self.adapter.register_job(job, call)
                self.switch.bgapi(call.command, job)
            else:
                self.switch.api(call.command)

    def _drain(self) -> None:
        while self._inbox:
            event = self._inbox.popleft()
            now = self.switch.now()
            for engine_event in self.adapter.events(event, at=now):
                if isinstance(engine_event, PlaybackStarted):
                    sent = self._messages.pop(engine_event.call_id, None)
                    switch_id = self.engine.config.switch_ids[0]
                    budget = None if sent is None else self.latency.observe(
                        switch_id, now - sent)
                    if budget is not None:
                        self._execute(self.engine.handle(MessageLatency(now, switch_id, budget)))
                self._execute(self.engine.handle(engine_event))

    def run(self, seconds: float) -> CampaignOutcome:
        switch, engine = self.switch, self.engine
        start = switch.now()
        end = start + seconds
        self._execute(engine.handle(SwitchUp(start, engine.config.switch_ids[0])))
        for name, endpoint in self.agents:
            self._execute(engine.handle(AgentLoggedIn(start, name, endpoint)))
        while True:
            self._drain()
            due = [t for t in (switch.timers.next_time(), engine.next_wakeup()) if t is not None]
            if not due:
                break
            at = min(due)
            if at > end:
                break
            switch.run_until(at)
            self._drain()
            self._execute(engine.tick(switch.now()))
        self.outcome.truth = switch.switch.truth.summary(engine.config.connect_window)
        return self.outcome


def _leads(config: CampaignConfig) -> list[DialTarget]:
    return [DialTarget(f"L{i}", f"+1201555{i:04d}", config.campaign_id) for i in range(5000)]
