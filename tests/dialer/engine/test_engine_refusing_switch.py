"""A switch that refuses originates (``SwitchRefusing``: the runner's send hold, a gateway
down) gets no new dial; the switches that take calls get their own agents' share of each
decision, not the refusing switch's (an answer there cannot reach its agents); a dial asked
for on it directly is released (the pool gives it no callback at all:
test_engine_campaign_callback_held_switch.py); when it may be sent calls again (its probe)
placement uses it at once. Without a refusing switch nothing changes (the stream digests
cover that)."""

from __future__ import annotations

import math

from engine_kit import Fixed, Progressive, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Direction, Originate, ReleaseLead
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    CallHungUp,
    SwitchDown,
    SwitchRefusing,
    SwitchUp,
)
from dialer.hangup import HangupCause

SWITCHES = ("fs1", "fs2")


def _two_switches(policy=None, agents: int = 4):
    engine, _, _, _ = make_engine(n_leads=2000, policy=policy or Progressive(),
                                  switch_ids=SWITCHES)
    for i in range(agents):
        for switch in SWITCHES:
            agent = f"{switch}-a{i}"
            engine.handle(AgentLoggedIn(0.0, agent, switch_id=switch))
            engine.handle(AgentLegUp(0.0, agent, f"leg-{agent}"))
    return engine


def _switches(out: list) -> list[str]:
    return [o.switch_id for o in of_type(out, Originate)]


def test_both_switches_get_dials_until_one_refuses_then_only_the_other() -> None:
    engine = _two_switches()
    first = _switches(engine.tick(1.0))
    assert sorted(first) == ["fs1"] * 4 + ["fs2"] * 4  # one line per free agent, each switch
    engine = _two_switches()
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    placed = _switches(engine.tick(1.0))
    # fs1's four agents' share, not fs2's four dialed on fs1 (their answers would find no
    # agent of fs1 free: abandoned).
    assert placed == ["fs1"] * 4
    assert _switches(engine.tick(2.0)) == []  # fs1's share is ringing
    engine.handle(SwitchRefusing(2.5, "fs2", False))  # its probe: it may be sent calls
    assert _switches(engine.tick(3.0)) == ["fs2"] * 4


def test_a_lost_switch_link_leaves_the_others_their_own_agents_share() -> None:
    """A switch whose event socket is lost (``SwitchDown``) keeps its agents in the pool:
    the engine cannot see their legs, and the policy counts them free. Their share of a
    decision must not go to the other switch, whose answers cannot reach them: before
    2026-12-08 progressive rang four lines on fs2 for its two agents."""
    engine = _two_switches(agents=2)
    engine.handle(SwitchDown(0.5, "fs1"))
    assert _switches(engine.tick(1.0)) == ["fs2"] * 2
    assert _switches(engine.tick(2.0)) == []  # fs2's share is ringing
    engine.handle(SwitchUp(2.5, "fs1"))
    assert _switches(engine.tick(3.0)) == ["fs1"] * 2


def test_a_decision_asking_one_call_is_not_rounded_to_none() -> None:
    engine = _two_switches(policy=Fixed(n=1))
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    assert _switches(engine.tick(1.0)) == ["fs1"]


def test_every_switch_refusing_dials_nothing_and_a_callback_there_is_released() -> None:
    engine = _two_switches(policy=Fixed(n=3))
    engine.handle(SwitchRefusing(0.5, "fs1", True))
    engine.handle(SwitchRefusing(0.5, "fs2", True))
    assert _switches(engine.tick(1.0)) == []
    # A callback dialed on its agent's switch (agent-first), and one with no switch named.
    (target, other) = engine.dialer.leads.next_leads(2, 1.5)
    dialer = engine.dialer
    assert dialer.dial(target, 1.5, Direction.OUTBOUND, None, "fs2") is None
    assert dialer.dial(other, 1.5, Direction.OUTBOUND, None) is None
    out = engine.tick(1.6)
    assert _switches(out) == []


@settings(max_examples=80, deadline=None)
@given(steps=st.lists(st.tuples(
    st.sampled_from(["refuse", "take", "down", "up", "tick", "end"]),
    st.sampled_from(SWITCHES)), max_size=40))
def test_no_dial_ever_goes_to_a_refusing_or_down_switch(steps) -> None:
    """Any order of refusals, resumptions, switches leaving and joining and decisions: no
    originate names a switch that refuses or is down, and while one refuses or is down the
    others ring no more lines than their own agents' share (rounded up by one). Hypothesis
    found the down case (refuse fs1, tick, fs1 down, tick, fs1 up, tick: five lines rang on
    fs2 for its two agents)."""
    engine = _two_switches(policy=Fixed(n=3), agents=2)
    refusing: set[str] = set()
    up = set(SWITCHES)
    now = 1.0
    for action, switch in steps:
        now += 0.5
        if action == "refuse":
            engine.handle(SwitchRefusing(now, switch, True))
            refusing.add(switch)
        elif action == "take":
            engine.handle(SwitchRefusing(now, switch, False))
            refusing.discard(switch)
        elif action == "down":
            engine.handle(SwitchDown(now, switch))
            up.discard(switch)
        elif action == "up":
            engine.handle(SwitchUp(now, switch))
            up.add(switch)
        elif action == "end":
            for call_id in list(engine.dialing)[:2]:
                engine.handle(CallHungUp(now, call_id, HangupCause.NO_ANSWER))
        else:
            before = len(engine.dialing)
            out = engine.tick(now)
            for switch_id in _switches(out):
                assert switch_id in up and switch_id not in refusing
            for release in of_type(out, ReleaseLead):
                assert release.reason  # said why
            taking = up - refusing
            if taking and taking != set(SWITCHES):
                # Two agents on each switch, all free (a down switch's agents too: the
                # engine cannot see their legs end): the takers' share of the lines.
                ringing = sum(1 for c in engine.dialing
                              if engine.calls[c].switch_id in taking)
                assert ringing <= math.ceil((before + 3) * len(taking) / len(SWITCHES))
