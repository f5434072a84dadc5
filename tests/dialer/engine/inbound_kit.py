"""A small discrete-event world of inbound callers, agents and callback answers.

It plays the switch and the people for the engine's inbound side: callers arrive (with a
queue, a number, a patience, key presses and perhaps a callback request), agents talk for a
while after each bridge, a farewell ends when its prompts end, a callback is answered or
not. It records every command so tests can check what the engine decided.
"""

from __future__ import annotations

import heapq
import zlib
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from engine_kit import Progressive

from dialer.commands import (
    AgentStateChanged,
    AttemptFinished,
    Bridge,
    Direction,
    Hangup,
    Originate,
    PlayMessage,
    PlayPrompt,
    QueueCallbackFinished,
    QueueCallbackRequested,
    RecordOptOut,
    StartRecording,
)
from dialer.engine import CampaignConfig, Engine
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.events import (
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    CallHungUp,
    CallRinging,
    DtmfReceived,
    InboundCallArrived,
)
from dialer.hangup import HangupCause
from dialer.ports import AllowAllGate, DialTarget, ListLeadSource

PROMPTS = PromptSet.standard(seconds=1.0)


@dataclass
class Caller:
    call_id: str
    at: float
    queue: str
    number: str = ""
    priority: int = 0
    patience: float = float("inf")
    talk: float = 60.0
    keys: list[tuple[float, str]] = field(default_factory=list)
    """(seconds after arrival, key) pressed while the call lasts."""
    variables: dict[str, str] = field(default_factory=dict)
    message: float = 10.0
    """Seconds a caller in voicemail speaks before hanging up."""


@dataclass
class World:
    engine: Engine
    callback_answers: bool = True
    outbound_answer: float = 0.0
    """Share of outbound dials answered (by a person, after 5 s; which ones is a hash of the
    call id, so a world replays the same); the others ring out."""
    heap: list = field(default_factory=list)
    seq: Any = field(default_factory=count)
    now: float = 0.0
    commands: list = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    bridged: set[str] = field(default_factory=set)
    callers: dict[str, Caller] = field(default_factory=dict)
    opted_out: set[str] = field(default_factory=set)
    callback_talk: float = 30.0
    log: list[tuple[str, Any]] = field(default_factory=list)
    """Every event fed and command received, in the order they happened."""
    observers: list[Any] = field(default_factory=list)
    """Called with each command as it is received (a driver's side effects: the runner's
    callback gate learning a callback, counting its dials)."""
    after_step: list[Any] = field(default_factory=list)
    """Called with the world after each event fed and each tick (invariants of the
    engine's state between steps)."""

    def at(self, t: float, action: Any) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), action))

    def add(self, caller: Caller) -> None:
        self.callers[caller.call_id] = caller
        self.at(caller.at, ("arrive", caller.call_id))

    def feed(self, event: Any) -> None:
        self.log.append(("event", event))
        self.execute(self.engine.handle(event))
        for check in self.after_step:
            check(self)

    def execute(self, commands: list) -> None:
        for command in commands:
            self.commands.append(command)
            self.log.append(("command", command))
            for observe in self.observers:
                observe(command)
            t = command.at
            if isinstance(command, Bridge):
                self.at(t, CallBridged(t, command.call_id, command.agent_id))
                caller = self.callers.get(command.call_id)
                talk = caller.talk if caller is not None else self.callback_talk
                self.at(t + talk, ("hangup", command.call_id, HangupCause.NORMAL_CLEARING))
                self.bridged.add(command.call_id)
            elif isinstance(command, PlayPrompt) and command.hangup_after:
                self.at(t + len(command.files), ("hangup", command.call_id,
                                                 HangupCause.NORMAL_CLEARING))
            elif isinstance(command, PlayMessage):
                self.at(t + 5.0, ("hangup", command.call_id, HangupCause.NORMAL_CLEARING))
            elif isinstance(command, Hangup):
                self.at(t, ("hangup", command.call_id, command.cause))
            elif isinstance(command, StartRecording):
                caller = self.callers.get(command.call_id)
                if caller is not None:
                    self.at(t + caller.message, ("hangup", command.call_id,
                                                 HangupCause.NORMAL_CLEARING))
            elif isinstance(command, Originate):
                answer = (self.callback_answers if command.variables.get(
                    "dialer_queue_callback") else
                    zlib.crc32(command.call_id.encode()) % 1000 < self.outbound_answer * 1000)
                if answer:
                    self.at(t + 5.0, CallAnswered(t + 5.0, command.call_id))
                else:
                    # The far end rings at once (no set-up), as the switch reports it: the
                    # engine ends the call after its ring time; the switch's own
                    # ``originate_timeout`` (a backstop, ``switch_ring_timeout``) after that.
                    self.at(t, CallRinging(t, command.call_id))
                    self.at(t + command.ring_timeout, ("hangup", command.call_id,
                                                        HangupCause.NO_ANSWER))
            elif isinstance(command, RecordOptOut):
                self.opted_out.add(command.number_e164)
            elif isinstance(command, AttemptFinished):
                self.ended.add(command.call_id)

    def run(self, until: float = float("inf")) -> None:
        engine = self.engine
        while True:
            wake = engine.next_wakeup()
            head = self.heap[0][0] if self.heap else None
            if head is None and (wake is None or not self._busy()):
                break
            if head is not None and (wake is None or head <= wake or not self._busy()):
                t, _, action = heapq.heappop(self.heap)
                if t > until:
                    break
                self.now = t
                self._do(t, action)
            else:
                assert wake is not None
                if wake > until:
                    break
                self.now = wake
                self.execute(engine.tick(wake))
                for check in self.after_step:
                    check(self)

    def _busy(self) -> bool:
        return bool(self.engine.calls) or bool(self.engine.inbound.timers) or bool(
            self.engine.inbound.callbacks) or bool(self.engine.pool.lines.callbacks_waiting)

    def _do(self, t: float, action: Any) -> None:
        if not isinstance(action, tuple):
            if getattr(action, "call_id", None) in self.ended:
                return
            self.feed(action)
            return
        kind, call_id = action[0], action[1]
        if kind == "arrive":
            caller = self.callers[call_id]
            self.feed(InboundCallArrived(t, call_id, caller.queue, caller.number,
                                         caller.priority, variables=caller.variables))
            if caller.patience < float("inf"):
                self.at(t + caller.patience, ("patience", call_id))
            for delay, key in caller.keys:
                self.at(t + delay, ("key", call_id, key))
        elif kind == "patience":
            if call_id not in self.ended and call_id not in self.bridged:
                self.feed(CallHungUp(t, call_id, HangupCause.NORMAL_CLEARING))
        elif kind == "key":
            if call_id not in self.ended and call_id not in self.bridged:
                self.feed(DtmfReceived(t, call_id, action[2]))
        elif kind == "hangup" and call_id not in self.ended:
            self.feed(CallHungUp(t, call_id, action[2]))

    def of_type(self, kind: type) -> list:
        return [c for c in self.commands if isinstance(c, kind)]

    def finished(self, call_id: str) -> AttemptFinished:
        (found,) = [c for c in self.of_type(AttemptFinished) if c.call_id == call_id]
        return found

    def inbound_finished(self) -> list[AttemptFinished]:
        return [c for c in self.of_type(AttemptFinished) if c.direction is Direction.INBOUND]

    def callbacks(self) -> tuple[list[QueueCallbackRequested], list[QueueCallbackFinished]]:
        return self.of_type(QueueCallbackRequested), self.of_type(QueueCallbackFinished)

    def agent_states(self, agent_id: str) -> list[AgentStateChanged]:
        return [c for c in self.of_type(AgentStateChanged) if c.agent_id == agent_id]


def queue(name: str = "sales", **settings: Any) -> QueueConfig:
    return QueueConfig.model_validate({"name": name, **settings})


def world(*queues: QueueConfig, agents: int = 1, skills: dict[str, frozenset[str]] | None = None,
          n_leads: int = 0, policy: Any = None, wrap_up: float = 0.0,
          prompts: PromptSet = PROMPTS, calendars: dict | None = None,
          start: float = 0.0, callback_gate: Any = None, gate: Any = None,
          **config: Any) -> World:
    settings: dict[str, Any] = {"campaign_id": "c1", "caller_id_number": "+12015550000",
                                "wrap_up_timeout": wrap_up}
    settings.update(config)
    leads = ListLeadSource([DialTarget(f"L{i}", f"+1201555{i:04d}", "c1")
                            for i in range(n_leads)])
    holder: dict[str, World] = {}
    engine = Engine(
        CampaignConfig(**settings), policy or Progressive(), leads, gate or AllowAllGate(),
        assume_switches_up=True, queues=QueueSet(queues, prompts, calendars),
        opted_out=lambda number: number in holder["w"].opted_out, callback_gate=callback_gate)
    w = holder["w"] = World(engine)
    skills = skills or {}
    for i in range(agents):
        agent_id = f"a{i}"
        w.feed(AgentLoggedIn(start, agent_id, skills=skills.get(agent_id, frozenset())))
    return w
