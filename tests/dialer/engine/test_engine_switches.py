"""Several FreeSWITCH nodes: agents and calls are routed by switch.

``uuid_bridge`` joins two channels of one FreeSWITCH only, so an agent lives on the switch
of its nailed-up leg and takes only calls on that switch; new calls are placed where agents
will be free. The last test runs a small world (agents with phones, callees, outages of
two or three switches) under hypothesis and checks the dialer's rules on every command.
"""

from __future__ import annotations

import heapq
import random
from itertools import count

import pytest
from engine_kit import Fixed, Progressive, make_engine, of_type
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialer.commands import (
    AgentState,
    Bridge,
    Hangup,
    Incident,
    IncidentKind,
    OfferWork,
    Originate,
    OriginateAgentLeg,
    PlayMessage,
    ReleaseLead,
)
from dialer.engine import RingAll, Sticky
from dialer.engine.placement import SwitchPlacement
from dialer.engine.scheduler import UnknownSwitchError
from dialer.events import (
    AgentAccepted,
    AgentLegDown,
    AgentLegUp,
    AgentLoggedIn,
    AgentPaused,
    CallAnswered,
    CallbackDue,
    CallBridged,
    CallDisposed,
    CallHungUp,
    InboundCallArrived,
    SwitchDown,
    SwitchUp,
)
from dialer.hangup import HangupCause
from dialer.ports import DialTarget
from pacing_models.interface import PacingDecision

SWITCHES = ("fs0", "fs1", "fs2")


def _engine(policy=None, switches=SWITCHES, **config):
    engine, leads, policy, _gate = make_engine(
        policy=policy or Fixed(n=0), switch_ids=switches, **config
    )
    return engine, leads, policy


def _leg_switch(out: list, agent: str) -> str:
    (leg,) = (c for c in of_type(out, OriginateAgentLeg) if c.agent_id == agent)
    return leg.switch_id


def test_an_agent_leg_opens_on_the_switch_its_phone_registers_to() -> None:
    engine, _, _ = _engine()
    out = engine.handle(AgentLoggedIn(0.0, "ann", "user/1001", switch_id="fs2"))
    assert _leg_switch(out, "ann") == "fs2"
    assert engine.pool.agents["ann"].switch_id == "fs2"


def test_agents_without_a_preference_go_to_the_least_staffed_up_switch() -> None:
    engine, _, _ = _engine()
    engine.handle(SwitchDown(0.0, "fs2"))
    engine.handle(AgentLoggedIn(0.0, "pinned", "user/1", switch_id="fs0"))
    placed = [
        _leg_switch(engine.handle(AgentLoggedIn(0.0, a, "user/" + a)), a)
        for a in ("b", "c", "d")
    ]
    assert placed == ["fs1", "fs0", "fs1"]  # fs2 is down; ties go to the first configured


def test_an_agent_whose_switch_went_down_may_log_in_elsewhere() -> None:
    engine, _, _ = _engine(switches=("fs0", "fs1"))
    assert _leg_switch(engine.handle(AgentLoggedIn(0.0, "ann", "user/1")), "ann") == "fs0"
    engine.handle(AgentLegUp(1.0, "ann"))
    engine.handle(SwitchDown(5.0, "fs0"))
    engine.handle(AgentLegDown(5.1, "ann", HangupCause.NORMAL_TEMPORARY_FAILURE))
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT
    assert _leg_switch(engine.handle(AgentLoggedIn(6.0, "ann", "user/1")), "ann") == "fs1"


def test_switches_the_campaign_does_not_use_are_refused() -> None:
    engine, _, _ = _engine(switches=("fs0", "fs1"))
    with pytest.raises(UnknownSwitchError, match=r"'fs9'.*switch_ids"):
        engine.handle(AgentLoggedIn(0.0, "ann", switch_id="fs9"))
    with pytest.raises(UnknownSwitchError, match="fs9"):
        engine.handle(InboundCallArrived(0.0, "in-1", switch_id="fs9"))
    with pytest.raises(UnknownSwitchError, match="fs9"):
        engine.handle(SwitchUp(0.0, "fs9"))
    single, _, _ = _engine(switches=("default",))
    with pytest.raises(UnknownSwitchError, match="fs1"):
        single.handle(AgentLoggedIn(0.0, "ann", switch_id="fs1"))


def test_an_inbound_call_waits_for_an_agent_on_its_own_switch() -> None:
    engine, _, _ = _engine()
    engine.handle(AgentLoggedIn(0.0, "ann", switch_id="fs0"))
    out = engine.handle(InboundCallArrived(1.0, "in-1", switch_id="fs1"))
    assert of_type(out, Bridge) == []
    assert engine.calls["in-1"].switch_id == "fs1"
    out = engine.handle(AgentLoggedIn(2.0, "bob", switch_id="fs1"))
    assert [(b.call_id, b.agent_id) for b in of_type(out, Bridge)] == [("in-1", "bob")]
    # Without a switch, an inbound call is on the first one.
    out = engine.handle(InboundCallArrived(3.0, "in-2"))
    assert [(b.call_id, b.agent_id) for b in of_type(out, Bridge)] == [("in-2", "ann")]


def test_an_answered_call_never_goes_to_a_free_agent_on_another_switch() -> None:
    engine, _, _ = _engine(policy=Fixed(n=2), switches=("fs0", "fs1"))
    # Nobody is logged in: the two calls go round robin, one per switch.
    by_switch = {o.switch_id: o.call_id for o in of_type(engine.tick(1.0), Originate)}
    engine.policy.n = 0
    engine.handle(AgentLoggedIn(1.5, "ann", switch_id="fs0"))
    out = engine.handle(CallAnswered(2.0, by_switch["fs1"]))
    assert of_type(out, Bridge) == []
    out = engine.tick(4.0)  # the connect window closed: the safe-harbour message
    assert [p.call_id for p in of_type(out, PlayMessage)] == [by_switch["fs1"]]
    out = engine.handle(CallAnswered(4.5, by_switch["fs0"]))
    assert [(b.call_id, b.agent_id) for b in of_type(out, Bridge)] == [(by_switch["fs0"], "ann")]


def test_a_freed_agent_takes_waiting_work_of_its_own_switch_only() -> None:
    engine, _, _ = _engine(wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann", switch_id="fs0"))
    engine.handle(InboundCallArrived(1.0, "in-0", switch_id="fs0"))  # ann takes it
    engine.handle(CallBridged(1.1, "in-0", "ann"))
    engine.handle(InboundCallArrived(2.0, "in-1", switch_id="fs1", priority=9))
    engine.handle(InboundCallArrived(3.0, "in-2", switch_id="fs0"))
    out = engine.handle(CallHungUp(4.0, "in-0"))  # ann is free again
    assert [b.call_id for b in of_type(out, Bridge)] == ["in-2"]


def test_sticky_routing_does_not_follow_the_previous_agent_across_switches() -> None:
    engine, _, _ = _engine(routing=Sticky())
    engine.handle(AgentLoggedIn(0.0, "ann", switch_id="fs0"))
    engine.handle(AgentLoggedIn(0.0, "bob", switch_id="fs1"))
    engine._last_agent["K1"] = "ann"
    out = engine.handle(InboundCallArrived(1.0, "in-1", customer_key="K1", switch_id="fs1"))
    assert [b.agent_id for b in of_type(out, Bridge)] == ["bob"]


def test_ring_all_offers_work_to_agents_on_its_switch_only() -> None:
    engine, _, _ = _engine(routing=RingAll())
    for agent, switch in (("ann", "fs0"), ("bob", "fs1"), ("cid", "fs1")):
        engine.handle(AgentLoggedIn(0.0, agent, switch_id=switch))
    out = engine.handle(InboundCallArrived(1.0, "in-1", switch_id="fs1"))
    assert [o.agent_ids for o in of_type(out, OfferWork)] == [("bob", "cid")]
    assert of_type(engine.handle(AgentAccepted(2.0, "ann", "in-1")), Bridge) == []
    (bridge,) = of_type(engine.handle(AgentAccepted(2.0, "cid", "in-1")), Bridge)
    assert bridge.agent_id == "cid"


def test_a_callback_is_dialed_on_the_reserved_agents_switch() -> None:
    engine, _, _ = _engine()
    engine.handle(AgentLoggedIn(0.0, "ann", "user/1", switch_id="fs2"))
    engine.handle(AgentLegUp(0.5, "ann"))
    out = engine.handle(CallbackDue(1.0, "cb1", DialTarget("L9", "+12015550999", "c1")))
    (originate,) = of_type(out, Originate)
    assert originate.switch_id == "fs2"
    (bridge,) = of_type(engine.handle(CallAnswered(5.0, originate.call_id)), Bridge)
    assert bridge.agent_id == "ann"


def test_a_callback_whose_agent_switch_is_down_is_released_not_dialed_elsewhere() -> None:
    engine, _, _ = _engine()
    engine.handle(AgentLoggedIn(0.0, "ann", switch_id="fs2"))
    engine.handle(SwitchDown(0.5, "fs2"))
    out = engine.handle(CallbackDue(1.0, "cb1", DialTarget("L9", "+12015550999", "c1")))
    assert of_type(out, Originate) == []
    (release,) = of_type(out, ReleaseLead)
    assert release.reason == "switch fs2 not connected"
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_new_calls_go_where_the_agents_are() -> None:
    engine, _, _ = _engine(policy=Progressive())
    for i in range(6):
        engine.handle(AgentLoggedIn(0.0, f"a{i}", switch_id="fs0"))
    for i in range(2):
        engine.handle(AgentLoggedIn(0.0, f"b{i}", switch_id="fs1"))
    switches = [o.switch_id for o in of_type(engine.tick(1.0), Originate)]
    assert sorted(switches) == ["fs0"] * 6 + ["fs1"] * 2  # fs2 has no agents: no calls


def test_calls_ringing_on_a_switch_count_against_it() -> None:
    engine, _, policy = _engine(policy=Fixed(n=4), switches=("fs0", "fs1"))
    for agent, switch in (("a", "fs0"), ("b", "fs0"), ("c", "fs1"), ("d", "fs1")):
        engine.handle(AgentLoggedIn(0.0, agent, switch_id=switch))
    first = [o.switch_id for o in of_type(engine.tick(1.0), Originate)]
    assert sorted(first) == ["fs0", "fs0", "fs1", "fs1"]
    # fs1's agents pause (inbound callers would wait: its two ready agents are promised to
    # the two calls ringing there, promises.py); fs0 keeps free agents: the next calls go there.
    engine.handle(AgentPaused(1.5, "c", "break"))
    engine.handle(AgentPaused(1.5, "d", "break"))
    policy.n = 2
    assert [o.switch_id for o in of_type(engine.tick(2.0), Originate)] == ["fs0", "fs0"]


def test_nothing_is_dialed_through_a_switch_that_is_down() -> None:
    engine, _, _ = _engine(policy=Progressive(), switches=("fs0", "fs1"))
    engine.handle(AgentLoggedIn(0.0, "a", switch_id="fs0"))
    engine.handle(AgentLoggedIn(0.0, "b", switch_id="fs1"))
    engine.handle(SwitchDown(0.5, "fs1"))
    assert {o.switch_id for o in of_type(engine.tick(1.0), Originate)} == {"fs0"}


def test_placement_estimates_learn_from_outcomes() -> None:
    placement = SwitchPlacement()
    assert placement.live_answer_rate == pytest.approx(0.25)
    for _ in range(200):
        placement.observe_attempt(True, 4.0)
        placement.observe_attempt(False, None)
    assert placement.live_answer_rate == pytest.approx(0.5, abs=0.02)
    quick = placement.free_up_probability
    for _ in range(500):
        placement.observe_handle(20.0)
    assert placement.free_up_probability > quick  # shorter calls free agents sooner


# --- a small world with outages, under hypothesis ----------------------------------------


class Overdial(Progressive):
    """Dials 1.5 lines per free or wrapping agent: answers often find nobody (abandons)."""

    def decide(self, state):
        lines = int(1.5 * (state.agents_free + len(state.wrap_elapsed)))
        n = lines - len(state.ringing_elapsed) - state.answered_waiting
        return PacingDecision(max(0, n), "overdial")


class SwitchWorld:
    """Callees, agents' phones and switches that fail, driving the engine by its commands.

    Checks on every command: no bridge across switches, nothing dialed through a switch
    that is down, no agent leg bridged to a second call while the first is up; at the end,
    every live answer was bridged or given the message within the connect window.
    """

    def __init__(self, switches: int, agents: int, preferences: list[int | None], seed: int,
                 window: float) -> None:
        self.switch_ids = tuple(f"fs{i}" for i in range(switches))
        self.engine, *_ = make_engine(
            n_leads=3_000, policy=Overdial(), switch_ids=self.switch_ids,
            connect_window=window, wrap_up_timeout=3.0,
        )
        self.window = window
        self.rng = random.Random(seed)
        self.heap: list = []
        self.seq = count()
        self.up = set(self.switch_ids)
        self.call_switch: dict[str, str] = {}
        self.open_calls: set[str] = set()
        self.leg_switch: dict[str, str] = {}
        self.leg_of: dict[str, str] = {}         # agent → its current leg id
        self.leg_call: dict[str, str] = {}       # agent leg → the call bridged to it
        self.live_from: dict[str, float] = {}
        self.served_at: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.prefer = {
            f"a{i}": None if p is None else self.switch_ids[p % switches]
            for i, p in enumerate(preferences[:agents] + [None] * (agents - len(preferences)))
        }
        self.bridges = 0
        for agent in self.prefer:
            self.later(0.0, AgentLoggedIn(0.0, agent, "user/" + agent,
                                          switch_id=self.prefer[agent]))

    def later(self, t: float, event) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), event))

    def outage(self, at: float, length: float, index: int, delay: float) -> None:
        self.later(at, ("down", self.switch_ids[index % len(self.switch_ids)], delay))
        self.later(at + length, ("up", self.switch_ids[index % len(self.switch_ids)], 0.0))

    def inbound(self, at: float, index: int, patience: float) -> None:
        call_id = f"in-{next(self.seq)}"
        switch = self.switch_ids[index % len(self.switch_ids)]
        self.later(at, ("inbound", switch, call_id, patience))

    def run(self, until: float) -> None:
        engine = self.engine
        while True:
            wake = engine.next_wakeup()
            if self.heap and (wake is None or self.heap[0][0] <= wake):
                now, _, event = heapq.heappop(self.heap)
                if now > until:
                    break
                if isinstance(event, tuple):
                    self.switch_event(now, *event)
                    continue
                out = engine.handle(event)
            elif wake is not None and wake <= until:
                now = wake
                out = engine.tick(now)
            else:
                break
            self.obey(out, now)
            self.check_agents()

    def switch_event(self, now: float, what: str, switch: str, *args) -> None:
        if what == "inbound":
            if switch in self.up:  # a node that is down takes no calls
                call_id, patience = args
                self.call_switch[call_id] = switch
                self.open_calls.add(call_id)
                self.obey(self.engine.handle(InboundCallArrived(now, call_id, switch_id=switch)),
                          now)
                self.later(now + patience, CallHungUp(now + patience, call_id))
            return
        if what == "down":
            (delay,) = args
            self.up.discard(switch)
            self.obey(self.engine.handle(SwitchDown(now, switch)), now)
            # The runner reports the legs and calls on that node as gone, a little later.
            for leg, on in self.leg_switch.items():
                agent = next((a for a, lg in self.leg_of.items() if lg == leg), None)
                if on == switch and agent is not None:
                    self.later(now + delay, AgentLegDown(now + delay, agent,
                                                         HangupCause.NORMAL_TEMPORARY_FAILURE,
                                                         leg))
                    self.later(now + delay + 1.0, AgentLoggedIn(
                        now + delay + 1.0, agent, "user/" + agent, switch_id=self.prefer[agent]))
            for call_id in sorted(self.open_calls):
                if self.call_switch[call_id] == switch:
                    self.later(now + delay, CallHungUp(now + delay, call_id,
                                                       HangupCause.NORMAL_TEMPORARY_FAILURE))
        else:
            self.up.add(switch)
            self.obey(self.engine.handle(SwitchUp(now, switch)), now)

    def obey(self, out: list, now: float) -> None:
        rng = self.rng
        # A call the engine no longer knows has ended (the event just handled ended it).
        gone = [c for c in self.open_calls if c not in self.engine.calls]
        for call_id in gone:
            self.ended[call_id] = now
            self.open_calls.discard(call_id)
        for command in out:
            kind = type(command)
            if kind is OriginateAgentLeg:
                assert self.prefer[command.agent_id] in (None, command.switch_id)
                self.leg_switch[command.agent_leg_id] = command.switch_id
                self.leg_of[command.agent_id] = command.agent_leg_id
                if command.switch_id in self.up:
                    self.later(now + 0.5, AgentLegUp(now + 0.5, command.agent_id))
                else:  # the phone cannot be called through a node that is down; retry later
                    agent = command.agent_id
                    self.later(now + 0.5, AgentLegDown(now + 0.5, agent,
                                                       HangupCause.NORMAL_TEMPORARY_FAILURE))
                    self.later(now + 5.0, AgentLoggedIn(now + 5.0, agent, "user/" + agent,
                                                        switch_id=self.prefer[agent]))
            elif kind is Originate:
                assert command.switch_id in self.up, "dialed through a switch that is down"
                self.call_switch[command.call_id] = command.switch_id
                self.open_calls.add(command.call_id)
                u = rng.random()
                if u < 0.45:
                    t = now + rng.uniform(1.0, 8.0)
                    self.later(t, CallAnswered(t, command.call_id))
                    self.live_from[command.call_id] = t
                    patience = t + rng.uniform(0.3, 6.0)
                    self.later(patience, CallHungUp(patience, command.call_id))
                else:
                    t = now + rng.uniform(2.0, 20.0)
                    self.later(t, CallHungUp(t, command.call_id, HangupCause.NO_ANSWER))
            elif kind is Bridge:
                call_on = self.call_switch[command.call_id]
                assert command.agent_leg_id, "bridge to an agent without a phone leg"
                assert self.leg_switch[command.agent_leg_id] == call_on, "bridge across switches"
                busy = self.leg_call.get(command.agent_leg_id)
                assert busy is None or busy in self.ended, "agent leg on two calls"
                self.leg_call[command.agent_leg_id] = command.call_id
                self.served_at.setdefault(command.call_id, now)
                self.bridges += 1
                if call_on in self.up:
                    self.later(now + 0.05, CallBridged(now + 0.05, command.call_id,
                                                       command.agent_id))
                    end = now + rng.expovariate(1 / 15.0)
                    self.later(end, CallHungUp(end, command.call_id))
                    # park_after_bridge: the agent's leg is back in park a moment later.
                    self.later(end + 0.02, AgentLegUp(end + 0.02, command.agent_id,
                                                      command.agent_leg_id))
                    if rng.random() < 0.5:
                        self.later(end + 1.0, CallDisposed(end + 1.0, command.agent_id,
                                                           command.call_id, "done"))
            elif kind is PlayMessage:
                self.served_at.setdefault(command.call_id, now)
                self.later(now + 3.0, CallHungUp(now + 3.0, command.call_id))
            elif kind is Hangup:
                self.later(now, CallHungUp(now, command.call_id))

    def check_agents(self) -> None:
        holders: dict[str, str] = {}
        for agent in self.engine.pool.agents.values():
            if agent.state in (AgentState.ON_CALL, AgentState.RESERVED) and agent.call_id:
                assert agent.call_id not in holders, f"{agent.call_id} held by two agents"
                holders[agent.call_id] = agent.agent_id
                call = self.engine.calls.get(agent.call_id)
                if call is not None:
                    assert call.switch_id == agent.switch_id, "agent on a call of another switch"

    def check_windows(self, until: float) -> None:
        for call_id, start in self.live_from.items():
            if start + self.window > until:
                continue
            served = self.served_at.get(call_id)
            if served is not None:
                assert served <= start + self.window + 1e-9, f"{call_id} served late"
            else:
                ended = self.ended.get(call_id, until)
                assert ended <= start + self.window + 1e-9, f"{call_id} left waiting"


@settings(max_examples=60, deadline=None)
@given(
    switches=st.integers(2, 3),
    agents=st.integers(2, 8),
    preferences=st.lists(st.one_of(st.none(), st.integers(0, 2)), max_size=8),
    outages=st.lists(
        st.tuples(st.floats(5, 250), st.floats(1, 60), st.integers(0, 2), st.floats(0, 2)),
        max_size=4,
    ),
    inbound=st.lists(st.tuples(st.floats(0, 300), st.integers(0, 2), st.floats(1, 60)),
                     max_size=10),
    seed=st.integers(0, 2**32 - 1),
    window=st.sampled_from([0.5, 2.0]),
)
@example(switches=2, agents=2, preferences=[],
         outages=[(5.0, 2.0, 0, 0.0), (5.0, 2.0, 0, 1.53125)],
         inbound=[(0.0, 1, 4.0), (0.0, 1, 7.0)], seed=0, window=0.5)
def test_routing_rules_hold_while_switches_go_down_and_up(
    switches: int, agents: int, preferences: list[int | None],
    outages: list[tuple[float, float, int, float]],
    inbound: list[tuple[float, int, float]], seed: int, window: float,
) -> None:
    world = SwitchWorld(switches, agents, preferences, seed, window)
    for at, length, index, delay in outages:
        world.outage(at, length, index, delay)
    for at, index, patience in inbound:
        world.inbound(at, index, patience)
    world.run(until=300.0)
    world.check_windows(until=300.0)
    assert world.engine.dials > 0 and world.bridges > 0


def test_expired_calls_leave_the_line_of_a_switch_without_agents() -> None:
    engine, _, _ = _engine(policy=Fixed(n=3), switches=("fs0", "fs1"))
    calls = [o.call_id for o in of_type(engine.tick(1.0), Originate)]  # round robin
    engine.policy.n = 0
    for call_id in calls:
        engine.handle(CallAnswered(2.0, call_id))
    engine.tick(5.0)  # every window closed: all abandoned
    assert all(not lane.outbound for lane in engine.pool.lanes.values())


def test_a_single_switch_campaign_accepts_its_own_switch_by_name() -> None:
    engine, _, _ = _engine(switches=("default",))
    out = engine.handle(AgentLoggedIn(0.0, "ann", "user/1", switch_id="default"))
    assert _leg_switch(out, "ann") == "default"
    engine.handle(AgentLegUp(0.5, "ann"))
    (bridge,) = of_type(engine.handle(InboundCallArrived(1.0, "in-1", switch_id="default")),
                        Bridge)
    assert bridge.agent_id == "ann"


def test_a_bridge_confirmed_after_the_agents_leg_was_lost_leaves_the_caller_in_line() -> None:
    """ESL events need not arrive in order: the agent's leg hangs up after the bridge was
    sent, the engine puts the caller back in line, then CHANNEL_BRIDGE arrives. The engine
    reports it and keeps the caller queued (it used to raise IllegalTransitionError and stop
    the runner)."""
    engine, _, _ = _engine(switches=("fs0",))
    out = engine.handle(AgentLoggedIn(0.0, "ann", "user/1", switch_id="fs0"))
    (leg,) = of_type(out, OriginateAgentLeg)
    engine.handle(AgentLegUp(0.5, "ann"))
    (bridge,) = of_type(engine.handle(InboundCallArrived(1.0, "in-1", switch_id="fs0")),
                        Bridge)
    assert bridge.agent_id == "ann"
    engine.handle(AgentLegDown(1.02, "ann", HangupCause.NORMAL_TEMPORARY_FAILURE,
                               leg.agent_leg_id))
    assert engine.calls["in-1"].state.value == "queued"
    out = engine.handle(CallBridged(1.05, "in-1", "ann"))
    (incident,) = of_type(out, Incident)
    assert incident.kind is IncidentKind.BRIDGE_NOT_CONFIRMED and "ignored" in incident.detail
    assert engine.calls["in-1"].state.value == "queued"
    assert engine.pool.agents["ann"].call_id is None
