"""The send hold per switch (``SwitchHolds``, dialer/runner/send_hold.py): one switch's
refusals hold that switch alone, whatever the others do; its own probe resumes it; the
campaign's dialing is held only while every switch is. Pure: refusals, acceptances,
probes and links lost in, what may be sent where out, time passed in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.events import CallRinging, OriginateFailed
from dialer.hangup import HangupCause
from dialer.runner.send_hold import (
    PROBE_VERDICT_WAIT,
    SendGuard,
    SendState,
    SwitchHolds,
)

GATEWAY_DOWN = HangupCause.GATEWAY_DOWN
SWITCHES = ("fs1", "fs2", "fs3")


def _send(holds: SwitchHolds, now: float, call: str, switch: str) -> bool:
    allowed = holds.may_send(now, call, switch)
    if allowed:
        holds.sent_one(now, call, switch)
    return allowed


def test_one_switch_refusing_while_the_other_takes_calls_is_held_alone() -> None:
    """Before, one hold for the campaign: fs1's calls taken between fs2's refusals reset the
    count, so fs2 was never held and got half the dials."""
    holds = SwitchHolds(("fs1", "fs2"), limit=3, probe_first=10.0)
    for n in range(3):
        assert _send(holds, n, f"a{n}", "fs1")
        assert _send(holds, n, f"b{n}", "fs2")
        holds.heard(n + 0.1, f"a{n}", CallRinging(n + 0.1, f"a{n}"))
        holds.heard(n + 0.2, f"b{n}", OriginateFailed(n + 0.2, f"b{n}", GATEWAY_DOWN))
    assert holds.refusing("fs2") and not holds.refusing("fs1")
    assert not holds.all_held()
    assert not holds.may_send(3.0, "b3", "fs2") and holds.may_send(3.0, "a3", "fs1")
    assert holds.seconds(5.0) == {"fs1": 0.0, "fs2": 5.0 - 0.2}
    # Its own probe resumes it.
    assert holds.tick(12.2) == ["fs2"] and not holds.refusing("fs2")
    assert _send(holds, 12.3, "probe", "fs2") and holds.refusing("fs2")
    assert holds.heard(12.5, "probe", CallRinging(12.5, "probe")) == "fs2"
    assert holds.hold("fs2").state is SendState.SENDING


def test_every_switch_held_holds_the_campaign_and_the_words_name_each() -> None:
    holds = SwitchHolds(("fs1", "fs2"), limit=1)
    assert holds.refused(1.0, "-ERR GATEWAY_DOWN before any channel", None, "fs1")
    assert holds.campaign_reason(str) is None
    assert "switch fs1 refuses every call" in (holds.reason("fs1", str) or "")
    assert "fs2 dial" in (holds.reason("fs1", str) or "")
    assert holds.refused(2.0, "-ERR INVALID_PROFILE", None, "fs2")
    words = holds.campaign_reason(str) or ""
    assert holds.all_held() and words.startswith("every switch refuses every call")
    assert "switch fs1" in words and "switch fs2" in words


def test_one_switch_says_what_it_said_before() -> None:
    holds = SwitchHolds(("default",), limit=1)
    holds.refused(1.0, "-ERR GATEWAY_DOWN before any channel", None, "default")
    assert (holds.campaign_reason(lambda t: f"t{t:g}") or "").startswith(
        "the switch refuses every call since t1 (1 in a row")


def test_a_probe_on_a_switch_whose_link_drops_is_given_up_not_held_for_ever() -> None:
    holds = SwitchHolds(("fs1", "fs2"), limit=1, probe_first=5.0)
    holds.refused(0.0, "-ERR GATEWAY_DOWN", None, "fs2")
    holds.tick(5.0)
    assert _send(holds, 5.1, "probe", "fs2")
    assert holds.lost(6.0, "fs2") and holds.hold("fs2").state is SendState.HELD
    assert holds.hold("fs2").next_probe == 6.0 + 5.0  # not doubled: it refused nothing
    assert holds.tick(11.0) == ["fs2"]
    assert _send(holds, 11.1, "probe2", "fs2")
    # A probe with no word at all is given up after its wait.
    assert holds.tick(11.1 + PROBE_VERDICT_WAIT) == ["fs2"]
    assert holds.hold("fs2").state is SendState.HELD


def test_the_guard_tells_the_engine_each_switch_and_the_follower_only_all() -> None:
    now = [0.0]
    told: list[tuple[str, bool]] = []
    paused: list[str | None] = []
    guard = SendGuard(SwitchHolds(("fs1", "fs2"), limit=1, probe_first=5.0),
                      lambda: now[0], str, paused.append,
                      lambda s, r: told.append((s, r)))
    guard.refused("-ERR GATEWAY_DOWN", None, "fs2")
    assert told == [("fs2", True)] and paused == []
    guard.refused("-ERR GATEWAY_DOWN", None, "fs1")
    assert told[-1] == ("fs1", True) and paused and paused[-1] is not None
    now[0] = 5.0
    guard.tick()  # both probe: each may be sent one call, the campaign may dial
    assert ("fs1", False) in told and ("fs2", False) in told and paused[-1] is None
    assert guard.may_send("p1", "fs1")
    assert told[-1] == ("fs1", True)  # the probe is out
    guard.sent("p1", "fs1")
    guard.heard("p1", CallRinging(5.1, "p1"))
    assert told[-1] == ("fs1", False) and set(guard.refusing()) == {"fs2"}


STEPS = st.lists(st.tuples(
    st.sampled_from(["send", "refuse", "accept", "tick", "lost", "join"]),
    st.sampled_from(SWITCHES),
    st.floats(min_value=0.0, max_value=20.0, allow_nan=False)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(STEPS, st.integers(min_value=1, max_value=5))
def test_each_switch_is_held_on_its_own_refusals_alone(steps, limit) -> None:
    """Any order of sends, refusals, acceptances, probes, links lost and switches joining
    (one not configured: its own hold): nothing goes to a held switch; at most one probe
    per probing spell of a switch; ``limit`` refusals in a row on one switch hold it
    whatever the others took meanwhile; the campaign is held exactly when every switch is;
    a switch the engine is told refuses never lets a call through."""
    holds = SwitchHolds(SWITCHES[:2], limit=limit, probe_first=2.0, probe_longest=16.0)
    now = 0.0
    in_a_row = dict.fromkeys(SWITCHES, 0)
    probes = dict.fromkeys(SWITCHES, 0)
    calls = 0
    for what, switch, step in steps:
        now += step
        hold = holds.hold(switch) if what != "join" else None
        before = hold.state if hold is not None else None
        if what == "join":
            holds.hold(switch)  # a switch joining (its first call)
        elif what == "tick":
            for moved in holds.tick(now):
                assert holds.hold(moved).state in (SendState.PROBING, SendState.HELD)
        elif what == "send":
            refusing = holds.refusing(switch)
            call = f"c{calls}"
            calls += 1
            allowed = _send(holds, now, call, switch)
            if before is SendState.HELD or refusing:
                assert not allowed
            if allowed and before is SendState.PROBING:
                probes[switch] += 1
                assert probes[switch] == 1, "two probes in one probing spell"
        elif what == "refuse":
            pending = [c for c, s in holds.call_switch.items() if s == switch]
            holds.refused(now, "-ERR GATEWAY_DOWN", pending[-1] if pending else None, switch)
            if before is SendState.SENDING:
                in_a_row[switch] += 1
                if in_a_row[switch] >= limit:
                    assert hold.state is SendState.HELD
        elif what == "accept":
            pending = [c for c, s in holds.call_switch.items() if s == switch]
            if pending:
                holds.heard(now, pending[-1], CallRinging(now, pending[-1]))
                if before is SendState.SENDING:
                    in_a_row[switch] = 0
        else:
            holds.lost(now, switch)
            assert holds.hold(switch).probe_call is None or \
                holds.hold(switch).state is not SendState.PROBING
        for name, each in holds.holds.items():
            if each.state is not SendState.PROBING:
                probes[name] = 0
            if each.state is SendState.SENDING and name == switch \
                    and before is not SendState.SENDING:
                in_a_row[name] = 0
            if each.state is SendState.HELD:
                assert not holds.may_send(now, "never", name)
        assert holds.all_held() == all(h.held for h in holds.holds.values())
        assert (holds.campaign_reason(str) is not None) == all(
            h.state is not SendState.SENDING for h in holds.holds.values())
        if holds.all_held():
            assert holds.campaign_reason(str) is not None
