"""Stateful property test: a random switch and random agents drive the engine, and the
rules the dialer exists to keep hold after every step:

- no agent is ever on two calls;
- every live answer is bridged, or gets the safe-harbour message, within the connect window;
- no call is dialed without a compliance check allowing it at that very instant;
- no Originate without a JournalAttempt for it first;
- the scheduler's books (ready pool, counters) match the agents' states.
"""

from __future__ import annotations

from engine_kit import Progressive, RecordingGate, make_engine
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dialer.commands import (
    AgentState,
    Bridge,
    Hangup,
    JournalAttempt,
    OfferWork,
    Originate,
    PlayMessage,
    RecordOptOut,
)
from dialer.engine import CallState, make_strategy
from dialer.events import (
    AgentAccepted,
    AgentLegDown,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AnswerKind,
    CallAnswered,
    CallbackDue,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    CallRinging,
    DtmfReceived,
    InboundCallArrived,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget

AGENTS = ["a1", "a2", "a3"]


class FlakyGate(RecordingGate):
    """Refuses a number at some instants and allows it at others (a time-zone window)."""

    def check(self, target, at):
        self.refused = {target.number_e164} if int(at * 2) % 3 == 0 else set()
        return super().check(target, at)


class Overdial(Progressive):
    def decide(self, state):
        decision = super().decide(state)
        return type(decision)(decision.calls_to_launch + 1, "overdial by one")


class EngineMachine(RuleBasedStateMachine):
    @initialize(
        amd=st.booleans(),
        window=st.sampled_from([0.5, 2.0]),
        routing=st.sampled_from(["longest_idle", "sticky", "skills", "ring_all"]),
    )
    def start(self, amd: bool, window: float, routing: str) -> None:
        self.gate = FlakyGate()
        self.engine, *_ = make_engine(
            n_leads=10_000, policy=Overdial(), gate=self.gate, amd_enabled=amd,
            connect_window=window, wrap_up_timeout=5.0, routing=make_strategy(routing),
        )
        self.window = window
        self.now = 0.0
        self.commands: list = []
        self.live_from: dict[str, float] = {}   # call → when its connect window began
        self.served_at: dict[str, float] = {}   # call → first Bridge/PlayMessage time
        self.ended: dict[str, float] = {}
        self.inbound = 0
        self.callbacks = 0

    def _apply(self, out: list) -> None:
        journaled = {c.call_id for c in self.commands if isinstance(c, JournalAttempt)}
        checks = self.gate.checks
        for command in out:
            if isinstance(command, JournalAttempt):
                journaled.add(command.call_id)
            if isinstance(command, Originate):
                assert command.call_id in journaled, "Originate before its JournalAttempt"
                assert (command.number_e164, command.at, True) in checks, "dialed unchecked"
                assert not any(
                    n == command.number_e164 and at == command.at and not ok
                    for n, at, ok in checks
                ), "dialed although refused at that instant"
            if isinstance(command, (Bridge, PlayMessage)):
                self.served_at.setdefault(command.call_id, command.at)
        self.commands.extend(out)

    def _send(self, event) -> list:
        out = self.engine.handle(event)
        self._apply(out)
        return out

    def _calls(self, *states: CallState) -> list[str]:
        return sorted(c for c, call in self.engine.calls.items() if call.state in states)

    @rule(dt=st.floats(0.05, 4.0))
    def advance(self, dt: float) -> None:
        self.now += dt
        self._apply(self.engine.tick(self.now))

    @rule(agent=st.sampled_from(AGENTS))
    def login(self, agent: str) -> None:
        self._send(AgentLoggedIn(self.now, agent))

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(["lunch", "coaching"]))
    def pause(self, agent: str, reason: str) -> None:
        if agent in self.engine.pool.agents:
            self._send(AgentPaused(self.now, agent, reason))

    @rule(agent=st.sampled_from(AGENTS))
    def ready(self, agent: str) -> None:
        if agent in self.engine.pool.agents:
            self._send(AgentReady(self.now, agent))

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        if agent in self.engine.pool.agents:
            self._send(AgentLoggedOut(self.now, agent))

    @rule(agent=st.sampled_from(AGENTS))
    def dispose(self, agent: str) -> None:
        state = self.engine.pool.agents.get(agent)
        if state is not None and state.state is AgentState.WRAP_UP:
            self._send(CallDisposed(self.now, agent, "x", "sale"))

    @rule(data=st.data())
    def ring(self, data) -> None:
        calls = self._calls(CallState.DIALING)
        if calls:
            self._send(CallRinging(self.now, data.draw(st.sampled_from(calls))))

    @rule(data=st.data())
    def answer(self, data) -> None:
        calls = self._calls(CallState.DIALING, CallState.RINGING)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallAnswered(self.now, call_id))
            if not self.engine.config.amd_enabled:
                self.live_from[call_id] = self.now

    @rule(data=st.data(), kind=st.sampled_from(list(AnswerKind)))
    def classify(self, data, kind: AnswerKind) -> None:
        calls = self._calls(CallState.ANSWERED)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallClassified(self.now, call_id, kind))
            if kind is not AnswerKind.MACHINE:
                self.live_from[call_id] = self.now

    @rule(data=st.data())
    def switch_confirms_bridge(self, data) -> None:
        calls = self._calls(CallState.BRIDGING)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallBridged(self.now, call_id, self.engine.calls[call_id].agent_id))

    @rule(data=st.data(), cause=st.sampled_from(
        [HangupCause.NORMAL_CLEARING, HangupCause.NO_ANSWER, HangupCause.USER_BUSY]))
    def hang_up(self, data, cause: HangupCause) -> None:
        calls = sorted(self.engine.calls)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallHungUp(self.now, call_id, cause))
            self.ended.setdefault(call_id, self.now)

    @rule(data=st.data())
    def press_optout(self, data) -> None:
        calls = self._calls(CallState.ABANDONED)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            first_press = not self.engine.calls[call_id].opted_out
            out = self._send(DtmfReceived(self.now, call_id, "9"))
            kinds = [type(c) for c in out if isinstance(c, (RecordOptOut, Hangup))]
            assert kinds == ([RecordOptOut, Hangup] if first_press else [])

    @rule(priority=st.integers(0, 2))
    def inbound(self, priority: int) -> None:
        self.inbound += 1
        self._send(InboundCallArrived(self.now, f"in-{self.inbound}", priority=priority))

    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def accept_offer(self, data, agent: str) -> None:
        offers = sorted({c.work_id for c in self.commands if isinstance(c, OfferWork)})
        if offers and agent in self.engine.pool.agents:
            self._send(AgentAccepted(self.now, agent, data.draw(st.sampled_from(offers))))

    @rule(agent=st.sampled_from([*AGENTS, None]), number=st.integers(0, 99))
    def callback_due(self, agent: str | None, number: int) -> None:
        self.callbacks += 1
        target = DialTarget(f"CB{self.callbacks}", f"+1201666{number:04d}", "c1")
        self._send(CallbackDue(self.now, f"cb{self.callbacks}", target, agent))

    @rule(agent=st.sampled_from(AGENTS))
    def phone_hangs_up(self, agent: str) -> None:
        if agent in self.engine.pool.agents:
            self._send(AgentLegDown(self.now, agent, HangupCause.NORMAL_CLEARING))

    @invariant()
    def reserved_agents_hold_live_work(self) -> None:
        if not hasattr(self, "engine"):
            return
        for agent in self.engine.pool.agents.values():
            if agent.state is AgentState.RESERVED:
                call = self.engine.calls.get(agent.call_id)
                assert call is not None, f"{agent.agent_id} reserved for nothing"
                assert call.state in (
                    CallState.BRIDGING, CallState.DIALING, CallState.RINGING, CallState.ANSWERED
                ), f"{agent.agent_id} reserved for a {call.state.value} call"

    @invariant()
    def no_agent_on_two_calls(self) -> None:
        if not hasattr(self, "engine"):
            return
        holders: dict[str, str] = {}
        for agent in self.engine.pool.agents.values():
            if agent.state in (AgentState.ON_CALL, AgentState.RESERVED) and agent.call_id:
                assert agent.call_id not in holders, f"{agent.call_id} held by two agents"
                holders[agent.call_id] = agent.agent_id
        for call in self.engine.calls.values():
            if call.state is CallState.BRIDGING:
                agent = self.engine.pool.agents[call.agent_id]
                assert agent.state is AgentState.RESERVED and agent.call_id == call.call_id
        # Every agent on a call is on a bridged call that names that agent.
        for agent in self.engine.pool.agents.values():
            if agent.state is AgentState.ON_CALL:
                call = self.engine.calls.get(agent.call_id)
                assert call is not None and call.state is CallState.BRIDGED
                assert call.agent_id == agent.agent_id

    @invariant()
    def live_answers_served_within_window(self) -> None:
        if not hasattr(self, "engine"):
            return
        for call_id, start in self.live_from.items():
            served = self.served_at.get(call_id)
            ended = self.ended.get(call_id)
            if served is not None:
                assert served <= start + self.window + 1e-9, "served after the window"
            elif ended is None or ended > start + self.window:
                assert self.now < start + self.window, "live answer left waiting past window"

    @invariant()
    def books_match_states(self) -> None:
        if not hasattr(self, "engine"):
            return
        pool = self.engine.pool
        ready = {a for a, agent in pool.agents.items() if agent.state is AgentState.READY}
        assert set(pool.ready) == ready
        on_call = {a for a, agent in pool.agents.items() if agent.state is AgentState.ON_CALL}
        assert set(pool.on_call) == on_call
        logged_in = sum(agent.state is not AgentState.LOGGED_OUT for agent in pool.agents.values())
        assert pool.logged_in == logged_in
        ledger = self.engine.ledger
        assert 0 <= ledger.abandons <= ledger.live_answers


TestEngineInvariants = EngineMachine.TestCase
TestEngineInvariants.settings = settings(max_examples=40, stateful_step_count=50, deadline=None)
