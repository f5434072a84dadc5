"""Stateful property test: random switches (one to three, going down and up) and random
agents drive the engine, and the rules the dialer exists to keep hold after every step:

- no agent is ever on two calls;
- no bridge ever joins a call and an agent on different switches (``uuid_bridge`` works
  within one FreeSWITCH), and nothing is dialed through a switch that is down;
- every live answer is bridged, or gets the safe-harbour message, within the connect window;
- no call is dialed without a compliance check allowing it at that very instant;
- no Originate without a JournalAttempt for it first;
- the scheduler's books (ready pool, counters) match the agents' states.
"""

from __future__ import annotations

from engine_kit import Progressive, RecordingGate, make_engine
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from dialer.commands import (
    AgentState,
    Bridge,
    Hangup,
    JournalAttempt,
    OfferWork,
    Originate,
    OriginateAgentLeg,
    PlayMessage,
    RecordOptOut,
)
from dialer.engine import CallState, make_strategy
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
    CallbackDue,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    CallParked,
    CallRinging,
    DtmfReceived,
    InboundCallArrived,
    SwitchDown,
    SwitchUp,
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
        switches=st.integers(1, 3),
        staff=st.lists(st.one_of(st.none(), st.integers(0, 2)), max_size=len(AGENTS)),
    )
    def start(
        self, amd: bool, window: float, routing: str, switches: int, staff: list[int | None]
    ) -> None:
        self.gate = FlakyGate()
        self.switch_ids = ("default",) if switches == 1 else tuple(
            f"fs{i}" for i in range(switches)
        )
        self.engine, *_ = make_engine(
            n_leads=10_000, policy=Overdial(), gate=self.gate, amd_enabled=amd,
            connect_window=window, wrap_up_timeout=5.0, routing=make_strategy(routing),
            switch_ids=self.switch_ids,
        )
        self.call_switch: dict[str, str] = {}  # customer leg → its switch (from the commands)
        self.leg_switch: dict[str, str] = {}   # agent leg → its switch
        self.preferred: dict[str, str] = {}    # agent → the switch its phone registers to
        self.window = window
        self.now = 0.0
        self.commands: list = []
        self.live_from: dict[str, float] = {}   # call → when its connect window began
        self.served_at: dict[str, float] = {}   # call → first Bridge/PlayMessage time
        self.ended: dict[str, float] = {}
        # What FreeSWITCH would say about the legs: customer legs parked (safe to bridge),
        # agent legs parked, and the call each agent leg is bridged into.
        self.parked_calls: set[str] = set()
        self.parked_legs: set[str] = set()
        self.leg_call: dict[str, str] = {}
        self.inbound = 0
        self.callbacks = 0
        # Agents on duty from the start (no phone: ready at once), so that answers meet
        # agents often enough for the bridge rules to be exercised.
        for agent, prefer in zip(AGENTS, staff, strict=False):
            switch = None if prefer is None else self.switch_ids[prefer % switches]
            if switch is not None:
                self.preferred[agent] = switch
            self._send(AgentLoggedIn(0.0, agent, switch_id=switch))

    def _apply(self, out: list) -> None:
        journaled = {c.call_id for c in self.commands if isinstance(c, JournalAttempt)}
        checks = self.gate.checks
        for command in out:
            if isinstance(command, JournalAttempt):
                journaled.add(command.call_id)
            if isinstance(command, OriginateAgentLeg):
                self.leg_switch[command.agent_leg_id] = command.switch_id
                preferred = self.preferred.get(command.agent_id)
                assert preferred in (None, command.switch_id), "agent leg off its phone's switch"
            if isinstance(command, Bridge):
                # A bridge only into parked legs: a customer leg still in its originate, or
                # an agent leg not back in park, is a race FreeSWITCH loses (issue 17).
                assert command.call_id in self.parked_calls, "bridge before the customer parked"
                leg = command.agent_leg_id
                if leg:
                    assert leg in self.parked_legs, "bridge into an agent leg not in park"
                    held = self.leg_call.get(leg)
                    assert held is None or held in self.ended, "agent leg bridged into two calls"
                    self.parked_legs.discard(leg)
                    self.leg_call[leg] = command.call_id
                call_on = self.call_switch[command.call_id]
                agent_on = (
                    self.leg_switch[command.agent_leg_id] if command.agent_leg_id
                    else self.engine.pool.agents[command.agent_id].switch_id
                )
                assert call_on == agent_on, f"bridge across switches: {call_on} / {agent_on}"
            if isinstance(command, Originate):
                self.call_switch[command.call_id] = command.switch_id
                assert command.switch_id in self.engine.switches_up, "dialed a switch that is down"
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

    def _agents_in(self, state: AgentState) -> list[str]:
        return sorted(a for a, agent in self.engine.pool.agents.items() if agent.state is state)

    # Rules that act on a call or an agent in some state only run when there is one (the
    # preconditions), so that the steps go to answers, bridges and hang-ups, not to no-ops.

    @rule(dt=st.floats(0.05, 4.0))
    def advance(self, dt: float) -> None:
        self.now += dt
        self._apply(self.engine.tick(self.now))

    @rule(
        agent=st.sampled_from(AGENTS), phone=st.booleans(),
        prefer=st.one_of(st.none(), st.integers(0, 2)),
    )
    def login(self, agent: str, phone: bool, prefer: int | None) -> None:
        switch = None if prefer is None else self.switch_ids[prefer % len(self.switch_ids)]
        known = self.engine.pool.agents.get(agent)
        if known is None or known.state is AgentState.LOGGED_OUT:
            self.preferred.pop(agent, None)
            if switch is not None:
                self.preferred[agent] = switch
        self._send(AgentLoggedIn(self.now, agent, "user/" + agent if phone else "",
                                 switch_id=switch))

    @precondition(lambda self: self._agents_in(AgentState.CONNECTING))
    @rule(data=st.data())
    def phone_answers(self, data) -> None:
        agent = data.draw(st.sampled_from(self._agents_in(AgentState.CONNECTING)))
        leg = self.engine.pool.agents[agent].leg_id
        if leg:
            self.parked_legs.add(leg)
        self._send(AgentLegUp(self.now, agent, leg))

    def _legs_out_of_park(self) -> list[tuple[str, str]]:
        legs = []
        for agent in self.engine.pool.agents.values():
            leg = agent.leg_id
            if leg and leg not in self.parked_legs and agent.state is not AgentState.CONNECTING:
                call = self.leg_call.get(leg)
                if call is None or call in self.ended:
                    legs.append((agent.agent_id, leg))
        return sorted(legs)

    @precondition(lambda self: self._legs_out_of_park())
    @rule(data=st.data())
    def agent_leg_returns_to_park(self, data) -> None:
        agent, leg = data.draw(st.sampled_from(self._legs_out_of_park()))
        self.parked_legs.add(leg)
        self._send(AgentLegUp(self.now, agent, leg))

    @precondition(lambda self: [c for c in self.engine.calls if c not in self.parked_calls
                                and self.engine.calls[c].answered_at is not None])
    @rule(data=st.data())
    def customer_leg_parks(self, data) -> None:
        calls = sorted(c for c, call in self.engine.calls.items()
                       if c not in self.parked_calls and call.answered_at is not None)
        call_id = data.draw(st.sampled_from(calls))
        self.parked_calls.add(call_id)
        self._send(CallParked(self.now, call_id))

    @rule(index=st.integers(0, 2), legs_drop=st.booleans())
    def switch_goes_down(self, index: int, legs_drop: bool) -> None:
        switch = self.switch_ids[index % len(self.switch_ids)]
        self._send(SwitchDown(self.now, switch))
        if legs_drop:  # the runner reports the agents' legs on that switch as ended
            for agent in sorted(self.engine.pool.agents.values(), key=lambda a: a.agent_id):
                if agent.switch_id == switch and agent.state is not AgentState.LOGGED_OUT:
                    self._send(AgentLegDown(self.now, agent.agent_id, HangupCause.NORMAL_CLEARING))

    @rule(index=st.integers(0, 2))
    def switch_comes_up(self, index: int) -> None:
        self._send(SwitchUp(self.now, self.switch_ids[index % len(self.switch_ids)]))

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

    @precondition(lambda self: self._agents_in(AgentState.WRAP_UP))
    @rule(data=st.data())
    def dispose(self, data) -> None:
        agent = data.draw(st.sampled_from(self._agents_in(AgentState.WRAP_UP)))
        self._send(CallDisposed(self.now, agent, "x", "sale"))

    @precondition(lambda self: self._calls(CallState.DIALING))
    @rule(data=st.data())
    def ring(self, data) -> None:
        calls = self._calls(CallState.DIALING)
        if calls:
            self._send(CallRinging(self.now, data.draw(st.sampled_from(calls))))

    @precondition(lambda self: self._calls(CallState.DIALING, CallState.RINGING))
    @rule(data=st.data(), bridgeable=st.booleans())
    def answer(self, data, bridgeable: bool) -> None:
        calls = self._calls(CallState.DIALING, CallState.RINGING)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            if bridgeable:
                self.parked_calls.add(call_id)
            self._send(CallAnswered(self.now, call_id, bridgeable))
            if not self.engine.config.amd_enabled:
                self.live_from[call_id] = self.now

    @precondition(lambda self: self._calls(CallState.ANSWERED))
    @rule(data=st.data(), kind=st.sampled_from(list(AnswerKind)))
    def classify(self, data, kind: AnswerKind) -> None:
        calls = self._calls(CallState.ANSWERED)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallClassified(self.now, call_id, kind))
            if kind is not AnswerKind.MACHINE:
                self.live_from[call_id] = self.now

    def _bridges_sent(self) -> list[str]:
        return [c for c in self._calls(CallState.BRIDGING) if self.engine.connector.in_flight(c)]

    @precondition(lambda self: self._bridges_sent())
    @rule(data=st.data())
    def switch_confirms_bridge(self, data) -> None:
        calls = self._bridges_sent()
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallBridged(self.now, call_id, self.engine.calls[call_id].agent_id))

    @precondition(lambda self: self.engine.calls)
    @rule(data=st.data(), cause=st.sampled_from(
        [HangupCause.NORMAL_CLEARING, HangupCause.NO_ANSWER, HangupCause.USER_BUSY]))
    def hang_up(self, data, cause: HangupCause) -> None:
        calls = sorted(self.engine.calls)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            self._send(CallHungUp(self.now, call_id, cause))
            self.ended.setdefault(call_id, self.now)

    @precondition(lambda self: self._calls(CallState.ABANDONED))
    @rule(data=st.data())
    def press_optout(self, data) -> None:
        calls = self._calls(CallState.ABANDONED)
        if calls:
            call_id = data.draw(st.sampled_from(calls))
            first_press = not self.engine.calls[call_id].opted_out
            out = self._send(DtmfReceived(self.now, call_id, "9"))
            kinds = [type(c) for c in out if isinstance(c, (RecordOptOut, Hangup))]
            assert kinds == ([RecordOptOut, Hangup] if first_press else [])

    @rule(priority=st.integers(0, 2), on=st.one_of(st.none(), st.integers(0, 2)))
    def inbound(self, priority: int, on: int | None) -> None:
        self.inbound += 1
        call_id = f"in-{self.inbound}"
        switch = None if on is None else self.switch_ids[on % len(self.switch_ids)]
        self.call_switch[call_id] = switch or self.switch_ids[0]
        self.parked_calls.add(call_id)  # reported once answered and parked
        self._send(InboundCallArrived(self.now, call_id, priority=priority, switch_id=switch))

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
        for switch_id, lane in pool.lanes.items():
            on_switch = {a for a in ready if pool.agents[a].switch_id == switch_id}
            assert set(lane.ready) == on_switch, f"ready line of {switch_id} out of step"
            assert lane.logged_in == sum(
                agent.state is not AgentState.LOGGED_OUT and agent.switch_id == switch_id
                for agent in pool.agents.values()
            )
        ledger = self.engine.ledger
        assert 0 <= ledger.abandons <= ledger.live_answers


TestEngineInvariants = EngineMachine.TestCase
TestEngineInvariants.settings = settings(max_examples=60, stateful_step_count=50, deadline=None)
