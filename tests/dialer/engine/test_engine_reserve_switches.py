"""The blending reserve across several switches (dialer/engine/promises.py, ``kept_on``):
one centre-wide figure, apportioned over the switches, never counted whole on each. Before,
each switch took the whole reserve off its promised agents, so with the reserve's agent on
one switch, a caller on the other took an agent a dial there was promised, and the answered
call was abandoned."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st
from inbound_kit import Caller, queue, world

from dialer.commands import AttemptFinished, Bridge, CallOutcome, Direction, Originate
from dialer.engine.calls import Call, CallState
from dialer.engine.promises import OutboundPromises
from dialer.engine.work_lines import Lane
from dialer.events import AgentLoggedIn


def _two_switch_world():
    """s1: a0 and a1; s2: b0. A reserve of one agent; progressive pacing, two lines: both
    dials go to s1 (the placement spreads by agents), so b0 is the one left undialed."""
    w = world(queue(), agents=0, n_leads=10, switch_ids=("s1", "s2"), max_lines=2)
    for agent, switch in (("a0", "s1"), ("a1", "s1"), ("b0", "s2")):
        w.feed(AgentLoggedIn(0.0, agent, switch_id=switch))
    lines = w.engine.pool.lines.inbound

    def reserve(now: float) -> int:
        lines.kept = 1
        return 1

    w.engine.inbound.decision_reserve = reserve
    w.outbound_answer = 1.0
    w.execute(w.engine.tick(1.0))
    assert [o.switch_id for o in w.of_type(Originate)] == ["s1", "s1"]
    w.add(Caller("c1", 2.5, "sales", "+12025550101", talk=60))  # on s1, the first switch
    return w


def test_a_caller_on_one_switch_leaves_its_agents_to_its_dials() -> None:
    w = _two_switch_world()
    w.run(until=200)
    outbound = [c for c in w.of_type(AttemptFinished) if c.direction is Direction.OUTBOUND]
    assert outbound and all(c.outcome is CallOutcome.CONNECTED for c in outbound)
    (c1,) = [b for b in w.of_type(Bridge) if b.call_id == "c1"]
    assert c1.at > 2.5  # waited for an agent of s1 (b0, on s2, cannot take it)


def test_each_switch_counting_the_whole_reserve_abandons() -> None:
    """The control: the same world with the reserve given whole to each switch (the engine
    before) abandons one of the two answered calls."""
    w = _two_switch_world()
    promises = w.engine.pool.lines.promised.__self__
    promises._lanes = None  # every lane given the whole reserve
    w.run(until=200)
    assert any(c.outcome is CallOutcome.ABANDONED for c in w.of_type(AttemptFinished)
               if c.direction is Direction.OUTBOUND)


def _promises(ready: list[int], flight: list[int], kept: int) -> tuple[OutboundPromises,
                                                                         dict[str, Lane]]:
    lanes: dict[str, Lane] = {}
    calls: dict[str, Call] = {}
    dialing: dict[str, float] = {}
    for i, (agents, dials) in enumerate(zip(ready, flight, strict=True)):
        switch = f"s{i}"
        lanes[switch] = Lane(switch, {f"{switch}-a{j}": None for j in range(agents)},
                             deque())
        for j in range(dials):
            call_id = f"{switch}-c{j}"
            calls[call_id] = Call(call_id, Direction.OUTBOUND, CallState.DIALING, 0.0, None,
                                  switch)
            dialing[call_id] = 0.0
    return OutboundPromises(calls, dialing, lambda: kept, True, lanes), lanes


def test_the_reserve_goes_first_where_agents_outnumber_their_dials() -> None:
    promises, lanes = _promises([2, 1], [2, 0], kept=1)
    assert promises.shares(1) == {"s0": 0, "s1": 1}
    assert promises.held(lanes["s0"]) == 2 and promises.held(lanes["s1"]) == 0


def test_an_overdialled_centre_shares_the_reserve_by_ready_agents() -> None:
    """Predictive: every switch has more dials than agents: the reserve in proportion to
    the ready agents (3 and 1 for 2 kept: 1.5 and 0.5, the tie to the first switch)."""
    promises, _ = _promises([3, 1], [9, 3], kept=2)
    assert promises.shares(2) == {"s0": 2, "s1": 0}
    promises, _ = _promises([4, 4, 2], [9, 9, 9], kept=5)
    assert promises.shares(5) == {"s0": 2, "s1": 2, "s2": 1}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12)), min_size=2, max_size=4),
       st.integers(0, 12))
def test_shares_add_up_to_the_centre_wide_reserve(lanes, kept) -> None:
    """The shares add up to the reserve (at most the ready agents), no switch is given more
    than its ready agents, and when the agents no dial is promised to are enough for the
    reserve, each share is within them (every dial keeps its agent)."""
    ready = [r for r, _ in lanes]
    flight = [f for _, f in lanes]
    promises, by_switch = _promises(ready, flight, kept)
    share = promises.shares(kept)
    assert sum(share.values()) == min(kept, sum(ready))
    slack = [max(0, r - f) for r, f in lanes]
    for i, switch in enumerate(by_switch):
        assert 0 <= share[switch] <= ready[i]
        if sum(slack) >= kept:
            assert share[switch] <= slack[i]
            assert promises.held(by_switch[switch]) == min(ready[i], flight[i])
