"""The engine with gateways and a caller-ID pool: pacing bounded by capacity, failover on
carrier causes only, every leg journaled, caller IDs chosen and capped."""

from __future__ import annotations

import heapq

from engine_kit import Fixed, RecordingGate, of_type, targets
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import AttemptFinished, CallOutcome, JournalAttempt, Originate, ReleaseLead
from dialer.engine import CampaignConfig, Engine
from dialer.engine.caller_ids import CallerIdNumber, CallerIdPolicy, CallerIdPool
from dialer.engine.gateways import (
    GatewayHealth,
    GatewayRouter,
    GatewaySpec,
    HealthThresholds,
    Rate,
)
from dialer.events import CallAnswered, CallHungUp, CallRinging, OriginateFailed
from dialer.hangup import HangupCause
from dialer.ports import DialTarget, ListLeadSource

SW = "default"
CONGESTION = HangupCause.NORMAL_CIRCUIT_CONGESTION


def gw(name: str, cost: float, channels: int = 5, cps: int = 5, **kw: object) -> GatewaySpec:
    return GatewaySpec(name, SW, channels, cps, rates=(Rate("1", cost, 6, 6),),
                       **kw)  # type: ignore[arg-type]


def carrier_engine(gateways: list[GatewaySpec], n: int = 3, *, leads: list[DialTarget] |
                   None = None, pool: CallerIdPool | None = None,
                   gate: RecordingGate | None = None, **config: object
                   ) -> tuple[Engine, Fixed, RecordingGate, ListLeadSource]:
    policy = Fixed(n=n)
    gate = gate or RecordingGate()
    source = ListLeadSource(leads if leads is not None else targets(50))
    engine = Engine(CampaignConfig("c1", "+12015550000", **config),  # type: ignore[arg-type]
                    policy, source, gate, assume_switches_up=True,
                    gateways=GatewayRouter(gateways), caller_ids=pool)
    return engine, policy, gate, source


def test_pacing_never_launches_more_than_the_gateways_take() -> None:
    engine, _, _, source = carrier_engine([gw("a", 0.01, channels=2),
                                                gw("b", 0.02, channels=1)], n=10)
    out = engine.tick(0.0)
    originates = of_type(out, Originate)
    assert [o.gateway for o in originates] == ["a", "a", "b"]
    assert engine.dials == 3 and not of_type(out, ReleaseLead)
    assert len(source) == 47  # only three leads were taken from the source
    out = engine.tick(1.0)
    assert not of_type(out, Originate)  # every channel busy: nothing placed, nothing counted
    engine.handle(CallHungUp(1.5, originates[0].call_id, HangupCause.NO_ANSWER))
    assert [o.gateway for o in of_type(engine.tick(2.0), Originate)] == ["a"]


def test_originate_names_its_gateway_and_the_journal_its_caller_id() -> None:
    spec = GatewaySpec("carrier1", SW, 5, 5, dial_string="sofia/gateway/{gateway}/{digits}",
                       variables={"sip_h_X-Attest": "{attestation}"})
    pool = CallerIdPool([CallerIdNumber("+12015550100", "1201", "NJ", attestation="A")],
                        CallerIdPolicy.FIXED)
    engine, *_ = carrier_engine([spec], n=1, pool=pool)
    journal, originate = engine.tick(0.0)
    assert isinstance(journal, JournalAttempt) and isinstance(originate, Originate)
    assert journal.gateway == "carrier1" and journal.caller_id == "+12015550100"
    assert originate.caller_id_number == "+12015550100"
    assert originate.dial_string == "sofia/gateway/carrier1/12015550000"
    assert originate.variables["sip_h_X-Attest"] == "A"
    assert originate.variables["dialer_gateway"] == "carrier1"


def test_carrier_refusal_fails_over_at_once_as_a_new_journaled_leg() -> None:
    engine, policy, gate, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1,
                                             ring_timeout=25.0)
    _, first = engine.tick(0.0)
    assert first.gateway == "a"
    out = engine.handle(OriginateFailed(0.4, first.call_id, CONGESTION))
    finished, journal, originate = out
    assert isinstance(finished, AttemptFinished) and finished.call_id == first.call_id
    assert finished.failed_over_to == originate.call_id and finished.gateway == "a"
    assert finished.outcome is CallOutcome.FAILED and finished.cause is CONGESTION
    assert journal.failover_of == first.call_id and journal.lead_id == "L0"
    assert journal.attempt_number == 1
    # 24.6 s left to ring: the switch's backstop for it (2 x 24.6 + 15, rounded up).
    assert originate.gateway == "b" and originate.ring_timeout == 68
    assert [n for n, _, _ in gate.checks] == ["+12015550000", "+12015550000"]
    assert policy.attempts == []  # the attempt goes on: nothing for pacing yet
    assert engine.dials == 1
    # The CHANNEL_HANGUP_COMPLETE of the refused leg changes nothing.
    assert engine.handle(CallHungUp(0.5, first.call_id, CONGESTION)) == []
    engine.handle(CallRinging(1.0, originate.call_id))
    engine.handle(CallAnswered(3.0, originate.call_id))
    assert engine.calls[originate.call_id].state.value in ("waiting_agent", "answered")


def test_callee_causes_are_never_retried_on_another_gateway() -> None:
    for cause in (HangupCause.USER_BUSY, HangupCause.NO_ANSWER,
                  HangupCause.UNALLOCATED_NUMBER, HangupCause.CALL_REJECTED):
        engine, policy, _, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1)
        _, first = engine.tick(0.0)
        out = engine.handle(OriginateFailed(1.0, first.call_id, cause))
        assert not of_type(out, Originate), cause
        [finished] = of_type(out, AttemptFinished)
        assert finished.failed_over_to is None
        assert len(policy.attempts) == 1


def test_a_dial_whose_journal_was_refused_charges_no_gateway_and_fails_over_nowhere() -> None:
    """The runner never sends the originate of a dial its journal refused (another process
    holds the lead, or the per-person re-count refused it) and tells the engine so with
    ``NEVER_SENT``: no carrier said anything, so the trunk gets no verdict and the attempt
    is not retried on the next gateway (whose leg, a failover of an attempt never journaled,
    would be refused in its turn and charge that gateway too)."""
    from dialer.runner.execution import NEVER_SENT

    health = HealthThresholds(window_calls=10, min_calls=1)
    gateways = [gw("a", 0.01, channels=50, cps=50, health=health), gw("b", 0.02)]
    engine, *_ = carrier_engine(gateways, n=1)
    assert engine.gateways is not None
    _, first = engine.tick(0.0)
    out = engine.handle(OriginateFailed(0.1, first.call_id, NEVER_SENT))
    assert not of_type(out, Originate)
    [finished] = of_type(out, AttemptFinished)
    assert finished.failed_over_to is None
    [a] = [f for f in engine.gateways.figures(1.0) if f.gateway == "a"]
    # No verdict at all: the call counts in no ratio (None: nothing judged yet).
    assert a.carrier_failure_ratio is None and a.state is GatewayHealth.HEALTHY
    # The cause it replaced was a carrier's: failed over, and "a" charged with it.
    engine, *_ = carrier_engine(gateways, n=1)
    _, first = engine.tick(0.0)
    out = engine.handle(OriginateFailed(0.1, first.call_id,
                                        HangupCause.NORMAL_TEMPORARY_FAILURE))
    assert of_type(out, Originate)
    [a] = [f for f in engine.gateways.figures(1.0) if f.gateway == "a"]
    assert a.carrier_failure_ratio == 1.0


def test_failover_stays_within_the_ring_budget_and_the_gateways() -> None:
    # 11 s into a 25 s ring timeout only 14 s are left: less than the legal 15 s.
    engine, *_ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1, ring_timeout=25.0)
    _, first = engine.tick(0.0)
    engine.handle(CallRinging(1.0, first.call_id))
    out = engine.handle(CallHungUp(11.0, first.call_id, HangupCause.NORMAL_TEMPORARY_FAILURE))
    assert not of_type(out, Originate)
    # Every gateway tried: the attempt ends with the carrier's cause.
    engine, *_ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1)
    _, first = engine.tick(0.0)
    _, _, second = engine.handle(OriginateFailed(0.2, first.call_id, CONGESTION))
    out = engine.handle(OriginateFailed(0.4, second.call_id, HangupCause.GATEWAY_DOWN))
    [finished] = of_type(out, AttemptFinished)
    assert finished.failed_over_to is None and finished.gateway == "b"
    assert not of_type(out, Originate)


def test_a_refused_failover_is_not_placed() -> None:
    gate = RecordingGate()
    engine, *_ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1, gate=gate)
    _, first = engine.tick(0.0)
    gate.refused.add(first.number_e164)  # e.g. the attempt cap reached by the first leg
    out = engine.handle(OriginateFailed(0.2, first.call_id, CONGESTION))
    assert not of_type(out, Originate)


def test_unserved_prefix_gives_the_lead_back_uncounted() -> None:
    leads = [DialTarget("uk", "+442079460100", "c1"), DialTarget("us", "+12015550100", "c1")]
    engine, *_ = carrier_engine([gw("a", 0.01)], n=2, leads=leads)
    out = engine.tick(0.0)
    [release] = of_type(out, ReleaseLead)
    assert release.lead_id == "uk" and release.reason == "no route"
    assert [o.number_e164 for o in of_type(out, Originate)] == ["+12015550100"]
    assert engine.dials == 1


def test_local_presence_then_state_then_default() -> None:
    pool = CallerIdPool([
        CallerIdNumber("+18005550100"),
        CallerIdNumber("+12015550100", "1201", "NJ"),
        CallerIdNumber("+19735550100", "1973", "NJ"),
        CallerIdNumber("+13125550100", "1312", "IL"),
    ], CallerIdPolicy.LOCAL_PRESENCE, state_of={"+16095550123": "NJ"}.get)
    assert pool.choose("+12015550123", 0.0).number == "+12015550100"
    assert pool.choose("+13125550123", 0.0).reason == "area 1312"
    # 609 is New Jersey: a NJ number, the one used least today.
    choice = pool.choose("+16095550123", 0.0)
    assert choice.number == "+19735550100" and choice.reason == "state NJ"
    # The lead's own state wins over the area code's.
    assert pool.choose("+16505550123", 0.0, {"state": "IL"}).number == "+13125550100"
    assert pool.choose("+16505550123", 0.0).reason == "default"


def test_daily_caps_and_the_next_day() -> None:
    pool = CallerIdPool([CallerIdNumber("+12015550100", daily_cap=2),
                         CallerIdNumber("+12015550101")], CallerIdPolicy.ROUND_ROBIN,
                        daily_cap=3, used_today={"+12015550101": 2}, today=0.0)
    picks = [pool.choose("+13125550123", 10.0) for _ in range(4)]
    assert [p.number if p else None for p in picks] == [
        "+12015550100", "+12015550101", "+12015550100", None]
    assert pool.at_cap(10.0) == ["+12015550100", "+12015550101"]
    # A new UTC day: the counts start again.
    assert pool.choose("+13125550123", 86400.0 + 1) is not None
    assert sum(pool.used.values()) == 1


def test_every_caller_id_at_its_cap_means_no_call() -> None:
    pool = CallerIdPool([CallerIdNumber("+12015550100", daily_cap=1)], CallerIdPolicy.FIXED)
    engine, *_ = carrier_engine([gw("a", 0.01)], n=2, pool=pool)
    out = engine.tick(0.0)
    assert len(of_type(out, Originate)) == 1
    [release] = of_type(out, ReleaseLead)
    assert "daily cap" in release.reason
    assert engine.dials == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["fail", "busy", "answer", "ring"]),
                          st.floats(0.05, 4.0)), min_size=5, max_size=60),
       st.integers(1, 8))
def test_engine_never_exceeds_a_gateway(fates: list[tuple[str, float]], n: int) -> None:
    """Random outcomes under random pacing: channels and CPS hold on every gateway, and
    every refused leg either fails over or ends the attempt (never both, never lost)."""
    health = HealthThresholds(window_calls=10, min_calls=5, quarantine_seconds=2.0)
    specs = [gw("a", 0.01, channels=3, cps=2, health=health),
             gw("b", 0.02, channels=2, cps=3, health=health)]
    engine, *_ = carrier_engine(specs, n=n, leads=targets(400))
    limits = {s.name: (s.channels, s.cps) for s in specs}
    live: dict[str, str] = {}
    sent: dict[str, list[float]] = {"a": [], "b": []}
    timeline: list[tuple[float, int, object]] = []
    seq = 0
    fate_index = 0
    now = 0.0

    def take(commands: list) -> None:
        nonlocal seq, fate_index
        for command in commands:
            if isinstance(command, Originate):
                live[command.call_id] = command.gateway
                sent[command.gateway].append(command.at)
                fate, delay = fates[fate_index % len(fates)]
                fate_index += 1
                at = command.at + delay
                event = {"fail": OriginateFailed(at, command.call_id, CONGESTION),
                         "busy": OriginateFailed(at, command.call_id, HangupCause.USER_BUSY),
                         "answer": CallAnswered(at, command.call_id),
                         "ring": CallHungUp(at + 15, command.call_id,
                                            HangupCause.NO_ANSWER)}[fate]
                heapq.heappush(timeline, (event.at, seq := seq + 1, event))
                if fate == "answer":
                    heapq.heappush(timeline, (at + 3, seq := seq + 1,
                                              CallHungUp(at + 3, command.call_id)))
            elif isinstance(command, AttemptFinished):
                assert live.pop(command.call_id, None) is not None
        for name, (channels, _) in limits.items():
            assert sum(1 for g in live.values() if g == name) <= channels

    while now < 40.0:
        while timeline and timeline[0][0] <= now:
            take(engine.handle(heapq.heappop(timeline)[2]))
        take(engine.tick(now))
        now += 0.25
    for name, times in sent.items():
        for j, t in enumerate(times):
            assert sum(1 for u in times[j:] if u < t + 1.0) <= limits[name][1], name


SWITCH_DOWN = HangupCause.GATEWAY_DOWN


def test_an_attempt_every_gateway_refused_before_any_channel_is_no_attempt_for_pacing() -> None:
    """Every gateway down (mod_sofia's ``-ERR GATEWAY_DOWN``, no channel): the INVITE never
    left the switch, so the attempt reached nobody. Counted as a failed attempt it lowered
    the answer rate pacing learns, and once the gateways were back each agent got more
    lines than the answers warrant."""
    engine, policy, _, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1)
    _, first = engine.tick(0.0)
    _, _, second = engine.handle(OriginateFailed(0.2, first.call_id, SWITCH_DOWN))
    out = engine.handle(OriginateFailed(0.4, second.call_id, HangupCause.INVALID_GATEWAY))
    [finished] = of_type(out, AttemptFinished)
    assert finished.failed_over_to is None and finished.cause is HangupCause.INVALID_GATEWAY
    assert policy.attempts == []


def test_one_leg_that_reached_the_carrier_makes_it_an_attempt() -> None:
    # The carrier answered the first INVITE with 503; the second gateway was down.
    engine, policy, _, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1)
    _, first = engine.tick(0.0)
    _, _, second = engine.handle(CallHungUp(0.2, first.call_id, CONGESTION))
    engine.handle(OriginateFailed(0.4, second.call_id, SWITCH_DOWN))
    assert len(policy.attempts) == 1
    # A gateway down first, then a carrier's own refusal: the network was reached.
    engine, policy, _, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1)
    _, first = engine.tick(0.0)
    _, _, second = engine.handle(OriginateFailed(0.2, first.call_id, SWITCH_DOWN))
    engine.handle(CallHungUp(0.4, second.call_id, HangupCause.USER_BUSY))
    assert len(policy.attempts) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["down", "unknown", "congestion-job", "congestion-hangup",
                                 "busy", "no-answer"]), min_size=1, max_size=4))
def test_pacing_hears_an_attempt_exactly_when_a_leg_reached_the_network(
        fates: list[str]) -> None:
    """Any fates of the legs of one attempt over four gateways: pacing observes one attempt
    when a leg reached the network (a channel, or a cause the far end gave), none when
    the switch refused every leg before any channel; the attempt ends exactly once."""
    engine, policy, _, _ = carrier_engine(
        [gw("a", 0.01), gw("b", 0.02), gw("c", 0.03), gw("d", 0.04)], n=1, ring_timeout=60.0)
    _, originate = engine.tick(0.0)
    events = {
        "down": lambda at, c: OriginateFailed(at, c, SWITCH_DOWN),
        "unknown": lambda at, c: OriginateFailed(at, c, HangupCause.INVALID_GATEWAY),
        "congestion-job": lambda at, c: OriginateFailed(at, c, CONGESTION),
        "congestion-hangup": lambda at, c: CallHungUp(at, c, CONGESTION),
        "busy": lambda at, c: CallHungUp(at, c, HangupCause.USER_BUSY),
        "no-answer": lambda at, c: CallHungUp(at, c, HangupCause.NO_ANSWER),
    }
    reached = False
    finished: list[AttemptFinished] = []
    at = 0.0
    for fate in fates:
        at += 0.5
        reached = reached or fate not in ("down", "unknown")
        out = engine.handle(events[fate](at, originate.call_id))
        finished += [f for f in of_type(out, AttemptFinished) if f.failed_over_to is None]
        nxt = of_type(out, Originate)
        if not nxt:
            break
        originate = nxt[0]
    else:
        engine.handle(CallHungUp(at + 1.0, originate.call_id, HangupCause.NO_ANSWER))
        reached = True
    assert len(finished) <= 1
    assert len(policy.attempts) == (1 if reached else 0)


def test_an_attempt_no_gateway_placed_gives_back_its_dial_and_its_caller_id() -> None:
    """Every gateway down before any channel: the INVITE never left the switch, so the
    attempt is not in the engine's dial count nor in its caller ID's daily use (a caller
    ID capped at 2 a day, spent by refusals, would stop the campaign's calls for the day
    once the gateways were back). Before, both kept the refused attempt."""
    pool = CallerIdPool([CallerIdNumber("+12015550100", daily_cap=2)], CallerIdPolicy.FIXED)
    engine, _, _, _ = carrier_engine([gw("a", 0.01), gw("b", 0.02)], n=1, pool=pool)
    _, first = engine.tick(0.0)
    assert engine.dials == 1 and pool.used == {"+12015550100": 1}
    _, _, second = engine.handle(OriginateFailed(0.2, first.call_id, SWITCH_DOWN))
    engine.handle(OriginateFailed(0.4, second.call_id, HangupCause.INVALID_GATEWAY))
    assert engine.dials == 0
    assert pool.used.get("+12015550100", 0) == 0
    # One leg that reached the carrier (a 503 after a channel) keeps both: fail closed.
    _, third = engine.tick(1.0)
    _, _, fourth = engine.handle(CallHungUp(1.2, third.call_id, CONGESTION))
    engine.handle(OriginateFailed(1.4, fourth.call_id, SWITCH_DOWN))
    assert engine.dials == 1 and pool.used == {"+12015550100": 1}
