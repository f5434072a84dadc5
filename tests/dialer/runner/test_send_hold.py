"""The switch's refusals as a pure decision (dialer/runner/send_hold.py): refusals and
acceptances in, whether an originate may be sent out, time passed in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.events import CallHungUp, CallRinging, OriginateFailed
from dialer.hangup import HangupCause
from dialer.runner.send_hold import SWITCH_REFUSALS, SendHold, SendState, verdict


def test_refusals_in_a_row_hold_dialing_and_a_probe_taken_resumes_it() -> None:
    hold = SendHold(limit=3, probe_first=10.0, probe_longest=40.0)
    for n in range(3):
        assert hold.may_send(float(n), f"c{n}")
        hold.sent_one(float(n), f"c{n}")
        hold.heard(float(n) + 0.1, f"c{n}", OriginateFailed(n + 0.1, f"c{n}",
                                                             HangupCause.GATEWAY_DOWN))
    assert hold.held and hold.state is SendState.HELD
    assert hold.since == 0.1 and hold.next_probe == 2.1 + 10.0
    assert not hold.may_send(5.0, "x")  # nothing goes while held
    assert not hold.tick(12.0)
    assert hold.tick(12.1) and hold.state is SendState.PROBING
    assert not hold.held  # the engine may decide a dial: the probe
    assert hold.may_send(12.2, "probe") and not hold.may_send(12.2, "second")
    assert hold.held  # and none more while the probe is out
    hold.sent_one(12.2, "probe")
    # Refused again: held for twice as long.
    assert hold.heard(12.3, "probe", OriginateFailed(12.3, "probe", HangupCause.GATEWAY_DOWN))
    assert hold.held and hold.next_probe == 12.3 + 20.0
    assert hold.tick(32.3) and hold.may_send(32.4, "probe2")
    hold.sent_one(32.4, "probe2")
    assert hold.heard(33.0, "probe2", CallRinging(33.0, "probe2"))
    assert hold.state is SendState.SENDING and hold.seconds(40.0) == 0.0
    assert hold.may_send(33.1, "next")


def test_the_numbers_own_causes_and_a_call_placed_are_no_refusal() -> None:
    hold = SendHold(limit=2)
    for n, event in enumerate([
            OriginateFailed(1.0, "c0", HangupCause.USER_BUSY),
            CallHungUp(1.0, "c1", HangupCause.NO_ROUTE_DESTINATION),  # a far end's, with a leg
            OriginateFailed(1.0, "c2", HangupCause.UNALLOCATED_NUMBER),
            OriginateFailed(1.0, "c3", HangupCause.NORMAL_CIRCUIT_CONGESTION)]):
        call = f"c{n}"
        hold.sent_one(0.0, call)
        hold.heard(1.0, call, event)
        hold.refused(1.0, "-ERR GATEWAY_DOWN")  # one refusal between each: never two in a row
        hold.sent_one(1.5, "ok")
        hold.heard(1.6, "ok", CallRinging(1.6, "ok"))
    assert hold.state is SendState.SENDING
    assert verdict(OriginateFailed(1.0, "x", HangupCause.NO_ROUTE_DESTINATION)) == (
        False, "-ERR NO_ROUTE_DESTINATION before any channel")
    assert HangupCause.USER_BUSY not in SWITCH_REFUSALS


def test_verdicts_of_calls_sent_before_the_hold_do_not_end_it() -> None:
    hold = SendHold(limit=2, probe_first=5.0)
    hold.sent_one(0.0, "early")
    hold.refused(1.0, "w")
    hold.refused(1.1, "w")
    assert hold.held
    assert not hold.heard(1.5, "early", CallRinging(1.5, "early"))
    assert hold.held


EVENTS = st.lists(st.tuples(
    st.sampled_from(["send", "refuse", "accept", "tick"]),
    st.floats(min_value=0.0, max_value=30.0, allow_nan=False)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.integers(min_value=1, max_value=6))
def test_while_held_nothing_is_sent_and_each_probe_lets_one_call_through(steps, limit):
    """Invariants: no originate may go while held; between two holds at most one goes (the
    probe); ``limit`` refusals in a row with nothing taken between them always hold; the
    probe never comes before its backoff."""
    hold = SendHold(limit=limit, probe_first=2.0, probe_longest=16.0)
    now = 0.0
    in_a_row = 0
    probes_sent = 0
    calls = 0
    for what, step in steps:
        now += step
        before = hold.state
        if what == "tick":
            due = hold.next_probe
            moved = hold.tick(now)
            if moved:
                assert due is not None and now >= due
        elif what == "send":
            call = f"c{calls}"
            calls += 1
            allowed = hold.may_send(now, call)
            if before is SendState.HELD:
                assert not allowed
            if allowed:
                if before is SendState.PROBING:
                    probes_sent += 1
                    assert probes_sent == 1, "two probes in one probing spell"
                hold.sent_one(now, call)
        elif what == "refuse":
            pending = list(hold.sent)
            call = pending[-1] if pending else None
            hold.refused(now, "-ERR GATEWAY_DOWN", call)
            if before is SendState.SENDING:
                in_a_row += 1
                if in_a_row >= limit:
                    assert hold.state is SendState.HELD
        else:
            pending = list(hold.sent)
            if pending:
                hold.heard(now, pending[-1], CallRinging(now, pending[-1]))
                if before is SendState.SENDING:
                    in_a_row = 0
        if hold.state is not SendState.PROBING:
            probes_sent = 0
        if hold.state is SendState.SENDING and before is not SendState.SENDING:
            in_a_row = 0
        if hold.state is SendState.HELD:
            assert not hold.may_send(now, "never")
