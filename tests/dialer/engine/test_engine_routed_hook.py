"""Routed machine verdicts live exactly as long as their agent's wrap-up, whatever the agent
does (dialer/engine/routed_verdicts.py, ``AgentPool.wrap_left``): a state machine over
random agent events, and the instant shared by a word and the wrap-up timeout."""

from __future__ import annotations

import pytest
from engine_kit import Fixed, make_engine, of_type
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_engine_machine_to_agent import MachineAware

from dialer.commands import (
    AgentState,
    Bridge,
    Hangup,
    LiveAnswerConfirmed,
    Originate,
    OriginateAgentLeg,
    PlayMessage,
)
from dialer.engine.calls import CallState
from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
)

HUMAN, MACHINE = AnswerKind.HUMAN, AnswerKind.MACHINE
WRAP_UP = 2.0
AGENTS = ("a0", "a1", "a2")
_AGENT = st.sampled_from(AGENTS)


class AgentEvents(RuleBasedStateMachine):
    """Agents with phones (a nailed-up leg each) take AMD machine verdicts offered to them
    (``machine_to_free_agent``), talk, hang up, say or do not say what the call was, run
    out of wrap-up time, go ready or on a break, log out, or lose their leg; time moves in
    quarter seconds, so a word can fall on the very instant a wrap-up runs out.

    The model keeps, from the commands alone, which ended calls are routed verdicts still
    unconfirmed in their agent's wrap-up, and checks that the engine's records are exactly
    those, and that every word given in that wrap-up, up to its deadline included, is taken.
    """

    def __init__(self) -> None:
        super().__init__()
        self.engine, _, _, _ = make_engine(
            n_leads=400, policy=Fixed(n=1), amd_enabled=True, machine_to_free_agent=True,
            wrap_up_timeout=WRAP_UP, connect_window=2.0)
        self.routed = self.engine.agent_work.routed
        self.now = 0.0
        self.legs: dict[str, str] = {}  # agent → their current leg
        self.offered: dict[str, str] = {}  # routed call → the agent it was offered to
        self.wrapping: dict[str, tuple[str, float]] = {}
        """Agent → (routed call, wrap-up deadline) while they wrap it up, unconfirmed."""
        self.confirmed: list[LiveAnswerConfirmed] = []

    # --- the switch --------------------------------------------------------------------------

    def run(self, out: list) -> list:
        """Execute commands as a switch that does everything at once; the commands seen."""
        seen: list = []
        while out:
            command = out.pop(0)
            seen.append(command)
            if isinstance(command, OriginateAgentLeg):
                self.legs[command.agent_id] = command.agent_leg_id
                out += self.engine.handle(
                    AgentLegUp(self.now, command.agent_id, command.agent_leg_id))
            elif isinstance(command, Bridge):
                out += self.engine.handle(
                    CallBridged(self.now, command.call_id, command.agent_id))
            elif isinstance(command, (Hangup, PlayMessage)) \
                    and command.call_id in self.engine.calls:
                out += self.hang_up(command.call_id)
            elif isinstance(command, LiveAnswerConfirmed):
                self.confirmed.append(command)
        return seen

    def hang_up(self, call_id: str) -> list:
        call = self.engine.calls[call_id]
        agent_id = call.agent_id if call.state is CallState.BRIDGED else None
        out = self.engine.handle(CallHungUp(self.now, call_id))
        agent = self.engine.pool.agents.get(agent_id or "")
        if agent is not None and call_id in self.offered and agent.state is AgentState.WRAP_UP \
                and agent.call_id == call_id and agent.wrap_deadline is not None:
            self.wrapping[agent.agent_id] = (call_id, agent.wrap_deadline)
        if agent_id is not None and agent_id in self.legs:
            # park_after_bridge: the agent's leg is back in park.
            out += self.engine.handle(AgentLegUp(self.now, agent_id, self.legs[agent_id]))
        return out

    def forget_ended_wraps(self) -> None:
        """The model's side of the hook: a wrap-up is over when the agent is no longer
        wrapping that call up."""
        pool = self.engine.pool
        for agent_id, (call_id, _) in list(self.wrapping.items()):
            agent = pool.agents[agent_id]
            if agent.state is not AgentState.WRAP_UP or agent.call_id != call_id:
                del self.wrapping[agent_id]

    def step(self, event: object) -> list:
        seen = self.run(self.engine.handle(event))
        self.forget_ended_wraps()
        return seen

    # --- rules -------------------------------------------------------------------------------

    @rule(dt=st.sampled_from([0.25, 0.5, 1.0, 2.0]))
    def advance(self, dt: float) -> None:
        self.now += dt
        self.run(self.engine.tick(self.now))  # wrap-up timeouts, pacing decisions
        self.forget_ended_wraps()

    @rule(agent_id=_AGENT)
    def login(self, agent_id: str) -> None:
        self.step(AgentLoggedIn(self.now, agent_id, endpoint=f"user/{agent_id}"))

    @rule(pick=st.integers(0, 9), person=st.booleans())
    def answer_and_offer(self, pick: int, person: bool) -> None:
        """A call ringing answers; AMD says machine (wrongly when ``person``): the verdict
        goes to a free agent if there is one."""
        ringing = sorted(c.call_id for c in self.engine.calls.values()
                         if c.state in (CallState.DIALING, CallState.RINGING))
        if not ringing:
            self.run(self.engine.tick(self.now))
            return
        call_id = ringing[pick % len(ringing)]
        self.step(CallAnswered(self.now, call_id))
        seen = self.step(CallClassified(self.now, call_id, MACHINE))
        for bridge in of_type(seen, Bridge):
            self.offered[bridge.call_id] = bridge.agent_id

    @rule(pick=st.integers(0, 9))
    def hang_up_a_call(self, pick: int) -> None:
        calls = sorted(self.engine.calls)
        if calls:
            self.run(self.hang_up(calls[pick % len(calls)]))
            self.forget_ended_wraps()

    def _wrapping_agent(self, agent_id: str) -> bool:
        agent = self.engine.pool.agents.get(agent_id)
        return agent is not None and agent.state is AgentState.WRAP_UP

    @rule(agent_id=_AGENT, person=st.booleans(), at_deadline=st.booleans())
    def disposition_with_a_word(self, agent_id: str, person: bool, at_deadline: bool) -> None:
        """The driver posts the disposition's word, then the disposition; ``at_deadline``:
        at the very instant the agent's wrap-up runs out."""
        agent = self.engine.pool.agents.get(agent_id)
        if agent is None or agent.state is not AgentState.WRAP_UP or agent.call_id is None:
            return
        call_id = agent.call_id
        if at_deadline and agent.wrap_deadline is not None:
            self.now = max(self.now, agent.wrap_deadline)
        expected = self.wrapping.get(agent_id)
        in_time = expected is not None and expected[0] == call_id and self.now <= expected[1]
        before = (self.routed.confirmed_people, self.routed.confirmed_machines)
        seen = self.step(CallClassified(self.now, call_id, HUMAN if person else MACHINE))
        after = (self.routed.confirmed_people, self.routed.confirmed_machines)
        if in_time:
            # A word within the wrap-up (its deadline included) always applies.
            assert after == (before[0] + person, before[1] + (not person))
            assert len(of_type(seen, LiveAnswerConfirmed)) == person
        else:
            assert after == before and not of_type(seen, LiveAnswerConfirmed)
        self.wrapping.pop(agent_id, None)
        self.step(CallDisposed(self.now, agent_id, call_id, "SALE" if person else "AM"))

    @rule(agent_id=_AGENT)
    def disposition_without_a_word(self, agent_id: str) -> None:
        agent = self.engine.pool.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.WRAP_UP and agent.call_id:
            self.step(CallDisposed(self.now, agent_id, agent.call_id, "NI"))

    @rule(agent_id=_AGENT)
    def wrap_up_timeout(self, agent_id: str) -> None:
        agent = self.engine.pool.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.WRAP_UP \
                and agent.wrap_deadline is not None:
            self.now = max(self.now, agent.wrap_deadline)
            self.run(self.engine.tick(self.now))
            self.forget_ended_wraps()
            assert self.engine.pool.agents[agent_id].state is not AgentState.WRAP_UP

    @precondition(lambda self: self.engine.pool.agents)
    @rule(agent_id=_AGENT, pause=st.booleans())
    def ready_or_pause(self, agent_id: str, pause: bool) -> None:
        if agent_id in self.engine.pool.agents:
            self.step(AgentPaused(self.now, agent_id, "break") if pause
                      else AgentReady(self.now, agent_id))

    @rule(agent_id=_AGENT)
    def logout(self, agent_id: str) -> None:
        if agent_id in self.engine.pool.agents:
            self.step(AgentLoggedOut(self.now, agent_id))

    @rule(agent_id=_AGENT)
    def lost_leg(self, agent_id: str) -> None:
        leg_id = self.legs.get(agent_id)
        if leg_id is not None and agent_id in self.engine.pool.agents:
            self.step(AgentLegDown(self.now, agent_id, leg_id=leg_id))

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def records_live_only_in_their_agents_wrap_up(self) -> None:
        pool = self.engine.pool
        records = self.routed.records
        assert len(records) <= len(pool.agents)
        for record in records.values():
            agent = pool.agents[record.agent_id]
            assert agent.state is AgentState.WRAP_UP and agent.call_id == record.call_id
            assert record.ended_at <= self.now <= record.expires_at == agent.wrap_deadline
        # A wrap-up that ran out lends its record the instant of its deadline only.
        counts = self.routed.counts(self.now)
        assert all(r.expires_at == self.now for r in self.routed.running_out.values())
        assert counts.awaiting == len(records) + len(self.routed.running_out)

    @invariant()
    def the_records_are_the_unconfirmed_wrap_ups(self) -> None:
        assert {r.call_id: (r.agent_id, r.expires_at) for r in self.routed.records.values()} \
            == {c: (a, d) for a, (c, d) in self.wrapping.items()}

    @invariant()
    def every_record_is_accounted_for(self) -> None:
        r = self.routed.counts(self.now)
        assert r.kept == (r.awaiting + r.confirmed_person + r.confirmed_machine
                          + r.expired_unconfirmed)
        assert len(self.confirmed) == r.confirmed_person


TestAgentEvents = AgentEvents.TestCase
TestAgentEvents.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)


# --- the instant shared by a word and the wrap-up timeout ------------------------------------


def _routed_call_in_wrap_up(wrap_up_timeout: float = 5.0):
    """Ann takes a machine verdict (bridged at 7.1); the call ends at 40.0: her wrap-up
    runs until 40.0 + ``wrap_up_timeout``."""
    engine, _, _, _ = make_engine(policy=MachineAware(), amd_enabled=True,
                                  machine_to_free_agent=True, wrap_up_timeout=wrap_up_timeout)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    call_id = originate.call_id
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(7.0, call_id, MACHINE)), Bridge)
    engine.handle(CallBridged(7.1, call_id, "ann"))
    engine.handle(CallHungUp(40.0, call_id))
    assert engine.pool.agents["ann"].wrap_deadline == 45.0
    return engine, call_id


@pytest.mark.parametrize("ticked_first", [False, True])
def test_a_word_at_the_instant_the_wrap_up_runs_out_counts(ticked_first: bool) -> None:
    """The agent pressed it before the timer fired: whether the driver ticked at the
    deadline first or the word's own event runs the timeout, the person is a live answer."""
    engine, call_id = _routed_call_in_wrap_up()
    if ticked_first:
        engine.tick(45.0)
        assert engine.pool.agents["ann"].state is AgentState.READY
    out = engine.handle(CallClassified(45.0, call_id, HUMAN))
    (confirmed,) = of_type(out, LiveAnswerConfirmed)
    assert (confirmed.call_id, confirmed.answered_at) == (call_id, 5.0)
    assert engine.ledger.live_answers == 1
    counts = engine.agent_work.routed.counts(45.0)
    assert (counts.confirmed_person, counts.expired_unconfirmed, counts.awaiting) == (1, 0, 0)
    # The disposition that follows at the same instant finds the wrap-up over: nothing.
    engine.handle(CallDisposed(45.0, "ann", call_id, "SALE"))
    assert engine.handle(CallClassified(45.0, call_id, HUMAN)) == []
    assert engine.agent_work.routed.ignored_duplicate == 1 and engine.ledger.live_answers == 1


def test_a_word_an_instant_after_the_wrap_up_ran_out_is_late() -> None:
    engine, call_id = _routed_call_in_wrap_up()
    engine.tick(45.0)
    assert len(engine.agent_work.routed) == 1  # the deadline's instant only
    assert of_type(engine.handle(CallClassified(45.25, call_id, HUMAN)), LiveAnswerConfirmed) \
        == []
    counts = engine.agent_work.routed.counts(45.25)
    assert (counts.expired_unconfirmed, counts.ignored_late, counts.awaiting) == (1, 1, 0)
    assert engine.ledger.live_answers == 0


def test_a_wrap_up_the_agent_ends_early_takes_no_word_at_its_old_deadline() -> None:
    engine, call_id = _routed_call_in_wrap_up()
    engine.handle(AgentReady(41.0, "ann"))
    assert len(engine.agent_work.routed) == 0
    assert of_type(engine.handle(CallClassified(45.0, call_id, HUMAN)), LiveAnswerConfirmed) \
        == []
    routed = engine.agent_work.routed
    assert (routed.expired_unconfirmed, routed.ignored_late) == (1, 1)


def test_the_pool_tells_the_routed_verdicts_of_a_lost_leg() -> None:
    """The one path the agent side never handled itself before the hook: a phone that hangs
    up during the wrap-up."""
    engine, _, _, _ = make_engine(policy=MachineAware(), amd_enabled=True,
                                  machine_to_free_agent=True, wrap_up_timeout=30.0)
    (leg,) = of_type(engine.handle(AgentLoggedIn(0.0, "ann", endpoint="user/ann")),
                     OriginateAgentLeg)
    engine.handle(AgentLegUp(0.5, "ann", leg.agent_leg_id))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    assert of_type(engine.handle(CallClassified(7.0, originate.call_id, MACHINE)), Bridge)
    engine.handle(CallBridged(7.1, originate.call_id, "ann"))
    engine.handle(CallHungUp(40.0, originate.call_id))
    assert len(engine.agent_work.routed) == 1
    engine.handle(AgentLegDown(41.0, "ann", leg_id=leg.agent_leg_id))
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT
    assert len(engine.agent_work.routed) == 0
    assert engine.agent_work.routed.expired_unconfirmed == 1


def test_the_engine_snapshot_shows_the_routed_verdicts() -> None:
    engine, call_id = _routed_call_in_wrap_up()
    snap = engine.snapshot(41.0).routed_verdicts
    assert (snap.kept, snap.awaiting, snap.confirmed_person) == (1, 1, 0)
    engine.handle(CallClassified(42.0, call_id, HUMAN))
    engine.handle(CallClassified(42.5, call_id, MACHINE))
    engine.handle(CallClassified(43.0, "no-such-call", HUMAN))
    snap = engine.snapshot(43.0).routed_verdicts
    assert (snap.kept, snap.awaiting, snap.confirmed_person, snap.confirmed_machine) == \
        (1, 0, 1, 0)
    assert (snap.ignored_duplicate, snap.ignored_unknown, snap.ignored_late,
            snap.expired_unconfirmed) == (1, 1, 0, 0)
