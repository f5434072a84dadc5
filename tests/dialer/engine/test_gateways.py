"""The gateway router on its own: least cost, capacity and CPS, health and quarantine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.engine.gateways import (
    GatewayConfigError,
    GatewayHealth,
    GatewayRouter,
    GatewaySpec,
    HealthThresholds,
    Rate,
    gateway_variables,
)
from dialer.hangup import HangupCause

SW = "fs1:8021"


def spec(name: str, *, channels: int = 10, cps: int = 10, priority: int = 0,
         rates: tuple[Rate, ...] = (), health: HealthThresholds | None = None,
         switch: str = SW, **kw: object) -> GatewaySpec:
    return GatewaySpec(name, switch, channels, cps, priority, rates,
                       health=health or HealthThresholds(), **kw)  # type: ignore[arg-type]


def test_billing_increments() -> None:
    rate = Rate("1", 0.60, 30, 6)
    assert rate.cost(0) == 0.0
    assert rate.cost(1) == pytest.approx(0.30)   # 30 s minimum
    assert rate.cost(31) == pytest.approx(0.36)  # 30 + 6
    assert rate.cost(36) == pytest.approx(0.36)
    assert rate.cost(37) == pytest.approx(0.42)
    assert Rate("1", 0.60).cost(61) == pytest.approx(1.20)  # 60/60


def test_least_cost_by_longest_prefix_increments_included() -> None:
    router = GatewayRouter([
        spec("cheap_us", rates=(Rate("1", 0.010, 6, 6), Rate("1201", 0.050, 6, 6))),
        spec("nj", rates=(Rate("1201", 0.020, 6, 6),)),
        spec("flat", rates=(Rate("1", 0.015, 60, 60),)),
        spec("any", priority=-5),
    ])
    # +1201…: cheap_us's longest match (1201) costs 0.05/min; flat has the lowest rate per
    # minute (0.015) but bills a whole minute for the 30 s reference call (0.015), while nj
    # bills 30 s at 0.02 (0.010): nj.
    assert router.route("c1", "+12015550100", [SW], 0.0).gateway == "nj"
    # +1312…: cheap_us (0.005 for 30 s); the unpriced gateway only when nothing else serves.
    assert router.route("c2", "+13125550100", [SW], 0.0).gateway == "cheap_us"
    assert router.route("c3", "+442079460100", [SW], 0.0).gateway == "any"


def test_equal_cost_goes_by_priority() -> None:
    router = GatewayRouter([spec("b", priority=2, rates=(Rate("1", 0.01),)),
                            spec("a", priority=1, rates=(Rate("1", 0.01),))])
    assert router.route("c1", "+12015550100", [SW], 0.0).gateway == "a"


def test_unserved_prefix_and_excluded_gateways() -> None:
    router = GatewayRouter([spec("us", rates=(Rate("1", 0.01),)),
                            spec("us2", rates=(Rate("1", 0.02),))])
    assert router.route("c1", "+442079460100", [SW], 0.0) is None
    route = router.route("c2", "+12015550100", [SW], 0.0, exclude=["us"])
    assert route is not None and route.gateway == "us2"
    assert router.route("c3", "+12015550100", [SW], 0.0, exclude=["us", "us2"]) is None


def test_gateways_belong_to_their_switch() -> None:
    router = GatewayRouter([spec("a", switch="fs1:8021"), spec("b", switch="fs2:8021")])
    assert router.route("c1", "+12015550100", ["fs2:8021"], 0.0).gateway == "b"
    assert router.route("c2", "+12015550100", ["fs3:8021"], 0.0) is None
    assert router.serves_switch("fs1:8021") and not router.serves_switch("fs3:8021")


def test_channels_free_again_at_the_end_of_the_call() -> None:
    router = GatewayRouter([spec("a", channels=2, cps=100)])
    assert router.route("c1", "+1201", [SW], 0.0) is not None
    assert router.route("c2", "+1201", [SW], 0.0) is not None
    assert router.route("c3", "+1201", [SW], 5.0) is None
    assert router.headroom([SW], 5.0) == 0
    router.ended("c1", 6.0, HangupCause.NORMAL_CLEARING)
    assert router.headroom([SW], 6.0) == 1
    assert router.route("c3", "+1201", [SW], 6.0) is not None


def test_cps_counts_a_sliding_second() -> None:
    router = GatewayRouter([spec("a", channels=100, cps=3)])
    for i, at in enumerate((0.75, 0.875, 0.9375)):
        assert router.route(f"c{i}", "+1201", [SW], at) is not None
    # A classic bucket would refill at 1.0; the tokens come back 1 s after each use.
    assert router.route("x", "+1201", [SW], 1.5) is None
    assert router.headroom([SW], 1.625) == 0
    assert router.headroom([SW], 1.75) == 1
    assert router.headroom([SW], 1.9375) == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 0.5), st.floats(0.0, 3.0), st.booleans()),
                min_size=1, max_size=200),
       st.integers(1, 5), st.integers(1, 5))
def test_capacity_and_cps_never_exceeded(load: list[tuple[float, float, bool]],
                                         channels: int, cps: int) -> None:
    """Whatever the offered load: at no time more calls than channels on a gateway, and
    in no one-second window more originates than its CPS."""
    router = GatewayRouter([spec("a", channels=channels, cps=cps),
                            spec("b", channels=channels + 1, cps=cps, priority=1)])
    now = 0.0
    live: dict[str, tuple[str, float]] = {}
    sent: dict[str, list[float]] = {"a": [], "b": []}
    for i, (gap, duration, carrier) in enumerate(load):
        now += gap
        for call_id, (_, end) in list(live.items()):
            if end <= now:
                cause = HangupCause.NORMAL_TEMPORARY_FAILURE if carrier else \
                    HangupCause.NORMAL_CLEARING
                router.ended(call_id, end, cause)
                del live[call_id]
        before = router.headroom([SW], now)
        route = router.route(f"c{i}", "+12015550100", [SW], now)
        assert (route is None) == (before == 0)
        if route is not None:
            live[f"c{i}"] = (route.gateway, now + duration)
            sent[route.gateway].append(now)
        for name, limit in (("a", channels), ("b", channels + 1)):
            assert sum(1 for g, _ in live.values() if g == name) <= limit
    for name, times in sent.items():
        for j, t in enumerate(times):
            assert sum(1 for u in times[j:] if u < t + 1.0) <= cps, name


def _fail(router: GatewayRouter, n: int, at: float, cause: HangupCause,
          prefix: str = "f") -> float:
    for i in range(n):
        call = f"{prefix}{at}-{i}"
        assert router.route(call, "+1201", [SW], at) is not None
        router.ended(call, at + 0.1, cause)
        at += 0.2
    return at


def test_quarantine_probe_and_return() -> None:
    health = HealthThresholds(window_calls=10, min_calls=10, quarantine_seconds=30,
                              max_quarantine_seconds=120, probe_calls=2)
    router = GatewayRouter([spec("bad", channels=50, cps=50, health=health)])
    at = _fail(router, 10, 0.0, HangupCause.NORMAL_CIRCUIT_CONGESTION)
    [change] = router.take_changes()
    assert change.state is GatewayHealth.QUARANTINED and "carrier failures" in change.reason
    assert router.headroom([SW], at) == 0
    assert router.route("x", "+1201", [SW], at) is None
    assert any(c.measure == "in service" for c in router.conditions(at))
    # After the quarantine: probing, two calls at a time at most.
    at += 30
    assert router.headroom([SW], at) == 2
    assert router.take_changes()[0].state is GatewayHealth.PROBING
    # A probe refused by the carrier: back in quarantine, twice as long.
    at = _fail(router, 1, at, HangupCause.GATEWAY_DOWN, "p")
    change = router.take_changes()[0]
    assert change.state is GatewayHealth.QUARANTINED and "60 s" in change.reason
    at += 60
    assert router.headroom([SW], at) == 2
    # Two probes that reach the callee (busy is the callee's): returned to service.
    at = _fail(router, 2, at, HangupCause.USER_BUSY, "q")
    states = [c.state for c in router.take_changes()]
    assert states == [GatewayHealth.PROBING, GatewayHealth.HEALTHY]
    assert router.headroom([SW], at + 2) == 50


def test_callee_causes_never_quarantine() -> None:
    health = HealthThresholds(window_calls=10, min_calls=10, min_asr=0.0)
    router = GatewayRouter([spec("ok", channels=50, cps=50, health=health)])
    _fail(router, 30, 0.0, HangupCause.USER_BUSY)
    _fail(router, 30, 10.0, HangupCause.NO_ANSWER)
    assert router.take_changes() == []


def test_low_asr_long_pdd_and_short_calls_quarantine() -> None:
    health = HealthThresholds(window_calls=10, min_calls=10, min_asr=0.2, min_answered=5,
                              max_post_dial_delay=5.0, max_short_calls=0.5)
    low_asr = GatewayRouter([spec("g", channels=50, cps=50, health=health)])
    _fail(low_asr, 10, 0.0, HangupCause.NO_ANSWER)
    assert "answer-seizure" in low_asr.take_changes()[0].reason

    slow = GatewayRouter([spec("g", channels=50, cps=50, health=health)])
    for i in range(10):
        slow.route(f"c{i}", "+1201", [SW], i)
        slow.progress(f"c{i}", i + 7.0)
        slow.answered(f"c{i}", i + 9.0)
        slow.ended(f"c{i}", i + 40.0, HangupCause.NORMAL_CLEARING)
    assert "post-dial delay 7.0 s" in slow.take_changes()[0].reason

    short = GatewayRouter([spec("g", channels=50, cps=50, health=health)])
    for i in range(10):
        short.route(f"c{i}", "+1201", [SW], i)
        short.answered(f"c{i}", i + 1.0)
        short.ended(f"c{i}", i + 2.0, HangupCause.NORMAL_CLEARING)
    [change] = short.take_changes()
    assert "short calls 100%" in change.reason
    figures = short.figures(20.0)[0]
    assert figures.asr == 1.0 and figures.short_call_ratio == 1.0
    assert figures.causes == {"NORMAL_CLEARING": 10}


def test_figures() -> None:
    router = GatewayRouter([spec("g")])
    router.route("a", "+1201", [SW], 0.0)
    router.progress("a", 1.5)
    router.answered("a", 4.0)
    router.route("b", "+1201", [SW], 0.5)
    router.ended("b", 0.6, HangupCause.NORMAL_TEMPORARY_FAILURE, failed_over=True)
    figures = router.figures(1.0)[0]
    assert figures.channels_in_use == 1 and figures.calls_last_second == 2
    assert figures.attempts == 2 and figures.failovers == 1
    # Verdicts as soon as known, in dial order: a rang (not a carrier failure) and
    # answered; b was refused.
    assert figures.carrier_failure_ratio == 0.5 and figures.asr == 0.5
    assert figures.post_dial_delay is None  # no call with a delay has ended yet
    router.ended("a", 60.0, HangupCause.NORMAL_CLEARING)
    figures = router.figures(60.0)[0]
    assert figures.post_dial_delay == 1.5 and figures.asr == 0.5


def test_fast_refusals_do_not_outweigh_calls_still_ringing() -> None:
    """A gateway refusing one call in five is not quarantined at the start because its
    refusals end in milliseconds while the calls it carries are still ringing: each call's
    carrier verdict is taken when it rings, not when it ends."""
    health = HealthThresholds(window_calls=100, min_calls=10, max_carrier_failures=0.5)
    router = GatewayRouter([spec("g", channels=100, cps=100, health=health)])
    for i in range(40):
        at = i * 0.05
        assert router.route(f"c{i}", "+1201", [SW], at) is not None
        if i % 5 == 0:
            router.ended(f"c{i}", at + 0.02, HangupCause.NORMAL_TEMPORARY_FAILURE)
        else:  # rings, answers a few seconds later and talks on
            router.progress(f"c{i}", at + 0.4)
            router.answered(f"c{i}", at + 3.0)
    figures = router.figures(5.0)[0]
    assert figures.state is GatewayHealth.HEALTHY and not router.take_changes()
    assert figures.carrier_failure_ratio == 0.2 and figures.asr == 0.8
    # A call still ringing holds the window back: later calls wait for its verdicts, so
    # the fast refusals dialed after it are not judged ahead of it.
    router.route("slow", "+1201", [SW], 5.0)
    router.route("fast", "+1201", [SW], 5.1)
    router.ended("fast", 5.12, HangupCause.NORMAL_TEMPORARY_FAILURE)
    assert router.figures(5.2)[0].carrier_failure_ratio == 0.2
    router.ended("slow", 30.0, HangupCause.NO_ANSWER)
    assert router.figures(30.0)[0].carrier_failure_ratio == 9 / 42


@pytest.mark.parametrize("bad", [
    {"channels": 0}, {"cps": 0}, {"name": "a b"}, {"dial_string": "sofia/gateway/x"},
    {"rates": (Rate("1", 0.1), Rate("1", 0.2))},
])
def test_bad_specs_are_refused(bad: dict) -> None:
    values = {"name": "g", "switch_id": SW, "channels": 1, "cps": 1, **bad}
    with pytest.raises(GatewayConfigError):
        GatewaySpec(**values)


def test_bad_rates_are_refused() -> None:
    for args in (("+1", 0.1), ("1", -1.0), ("1", float("nan")), ("1", 0.1, 0, 6)):
        with pytest.raises(GatewayConfigError):
            Rate(*args)  # type: ignore[arg-type]


def test_attestation_variables() -> None:
    router = GatewayRouter([spec("g", variables={"sip_h_X-Attest": "{attestation}",
                                                 "sip_h_X-Orig": "{caller_id}",
                                                 "sip_h_X-Fixed": "yes"})])
    route = router.route("a", "+1201", [SW], 0.0)
    assert gateway_variables(route, {"caller_id": "+12015550100", "attestation": "A"}) == {
        "sip_h_X-Attest": "A", "sip_h_X-Orig": "+12015550100", "sip_h_X-Fixed": "yes"}
    # No attestation declared for the number: the header is not sent at all.
    assert gateway_variables(route, {"caller_id": "+12015550100"}) == {
        "sip_h_X-Orig": "+12015550100", "sip_h_X-Fixed": "yes"}


def test_calls_the_dialer_hangs_up_itself_give_no_verdict() -> None:
    """A stop hangs up every ringing call at once (SYSTEM_SHUTDOWN): no answer from any,
    but nothing the trunk did; they must not make its ASR look like zero."""
    health = HealthThresholds(window_calls=20, min_calls=10)
    router = GatewayRouter([spec("g", channels=100, cps=100, health=health)])
    for i in range(20):
        router.route(f"a{i}", "+1201", [SW], i * 0.05)
        router.progress(f"a{i}", i * 0.05 + 0.3)
        router.answered(f"a{i}", i * 0.05 + 3.0)
    for i in range(30):
        router.route(f"r{i}", "+1201", [SW], 2.0 + i * 0.05)
        router.progress(f"r{i}", 2.3 + i * 0.05)
    for i in range(30):
        router.ended(f"r{i}", 6.0, HangupCause.SYSTEM_SHUTDOWN)
    figures = router.figures(6.0)[0]
    assert figures.state is GatewayHealth.HEALTHY and figures.asr == 1.0
    assert figures.carrier_failure_ratio == 0.0  # they rang: not the carrier's
