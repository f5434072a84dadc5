"""A gateway down beside a healthy one on the same switch (dialer/runner/send_hold.py,
``SwitchHolds``): its refusals (``-ERR GATEWAY_DOWN`` before any channel) are the gateway's,
for the router's quarantine and failover, not the switch's. Before 2026-12-08 five of its
instant refusals arriving before the healthy gateway's first verdict (a decision sends
both at once; a refusal comes back in milliseconds, a channel later) held the whole switch,
and the healthy gateway's calls with it. With one gateway, or every gateway refusing, the
switch is held as before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.events import CallRinging, OriginateFailed
from dialer.hangup import HangupCause
from dialer.runner.send_hold import SendState, SwitchHolds

DOWN = HangupCause.GATEWAY_DOWN


def _send(holds: SwitchHolds, call: str, gateway: str | None, at: float = 0.0) -> None:
    assert holds.may_send(at, call, "fs1")
    holds.sent_one(at, call, "fs1", gateway)


def test_a_down_gateway_beside_one_with_calls_out_does_not_hold_the_switch() -> None:
    holds = SwitchHolds(("fs1",), limit=5)
    for n in range(6):
        _send(holds, f"bad{n}", "down-gw")
        _send(holds, f"ok{n}", "good-gw")
    # The down gateway's six refusals come back first: the good one's calls are still out.
    for n in range(6):
        holds.heard(0.05, f"bad{n}", OriginateFailed(0.05, f"bad{n}", DOWN))
    assert not holds.refusing("fs1")
    assert holds.hold("fs1").state is SendState.SENDING
    for n in range(6):
        holds.heard(0.5, f"ok{n}", CallRinging(0.5, f"ok{n}"))
    # The good gateway took its last call: the down one's refusals stay its own.
    for n in range(6, 12):
        _send(holds, f"bad{n}", "down-gw", 1.0)
        holds.heard(1.05, f"bad{n}", OriginateFailed(1.05, f"bad{n}", DOWN))
    assert not holds.refusing("fs1")


def test_one_gateway_down_alone_holds_the_switch_as_before() -> None:
    holds = SwitchHolds(("fs1",), limit=5)
    for n in range(5):
        _send(holds, f"c{n}", "only-gw")
        holds.heard(0.1, f"c{n}", OriginateFailed(0.1, f"c{n}", DOWN))
    assert holds.refusing("fs1")


def test_every_gateway_down_holds_the_switch() -> None:
    holds = SwitchHolds(("fs1",), limit=5)
    calls = [(f"a{n}", "gw-a") for n in range(4)] + [(f"b{n}", "gw-b") for n in range(4)]
    for call, gateway in calls:
        _send(holds, call, gateway)
    for call, _ in calls:
        holds.heard(0.1, call, OriginateFailed(0.1, call, DOWN))
    # gw-a's four refusals came while gw-b had calls out: not counted. gw-b's four came
    # with gw-a's last verdict a refusal and nothing out there: counted, four in a row.
    assert not holds.refusing("fs1")
    _send(holds, "c0", "gw-a", 1.0)
    holds.heard(1.1, "c0", OriginateFailed(1.1, "c0", DOWN))
    assert holds.refusing("fs1")  # the fifth in a row


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(["send", "verdict"]),
                                st.sampled_from(["gw-a", "gw-b"])), max_size=60),
       limit=st.integers(1, 6))
def test_without_gateways_named_the_hold_is_unchanged_and_all_down_ends_held(steps, limit):
    """Any order of sends and verdicts, every gateway down: the switch with its calls'
    gateways named ends held once it has had ``limit`` refusals in a row with nothing
    else out (the worst case); named or not, no verdict but a refusal ever comes, so a
    hold, once taken, is never lifted by these verdicts."""
    named = SwitchHolds(("fs1",), limit=limit)
    plain = SwitchHolds(("fs1",), limit=limit)
    out: dict[str, list[str]] = {"gw-a": [], "gw-b": []}
    n = 0
    for action, gateway in steps:
        if action == "send":
            call = f"c{n}"
            n += 1
            if named.may_send(0.0, call, "fs1"):
                named.sent_one(0.0, call, "fs1", gateway)
                out[gateway].append(call)
            if plain.may_send(0.0, call, "fs1"):
                plain.sent_one(0.0, call, "fs1")
        elif out[gateway]:
            call = out[gateway].pop(0)
            held_before = named.refusing("fs1")
            named.heard(0.1, call, OriginateFailed(0.1, call, DOWN))
            plain.heard(0.1, call, OriginateFailed(0.1, call, DOWN))
            assert not held_before or named.refusing("fs1")
    # Named gateways never hold sooner than the plain hold.
    assert plain.refusing("fs1") or not named.refusing("fs1")
    # Drain: both gateways refuse with nothing out; then `limit` more refusals hold it.
    for calls in out.values():
        for call in calls:
            named.heard(0.2, call, OriginateFailed(0.2, call, DOWN))
    for k in range(limit):
        if named.refusing("fs1"):
            break
        call = f"d{k}"
        named.sent_one(0.3, call, "fs1", ("gw-a", "gw-b")[k % 2])
        named.heard(0.4, call, OriginateFailed(0.4, call, DOWN))
    assert named.refusing("fs1")
