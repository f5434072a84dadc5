"""A decision may hang up the calls still ringing past a number of seconds
(``PacingDecision.hang_up_ringing_after``; docs/pacing.md, "Shedding late calls"): the engine
never hangs up a call that has rung less than the law's minimum (47 CFR 64.1200(a)(6): 15 s),
whatever the policy asks, never one that was answered, and each call once. The ring is the
called phone's: on a real switch it runs from the ringing the switch reports (``CallRinging``,
after the call's set-up), and a call whose ringing was never reported is not shed; only a
driver whose calls ring from the dial (``rings_from_dial``: the simulator) counts from the
dial."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import AgentState, AttemptFinished, Bridge, CallOutcome, Hangup, Originate
from dialer.engine.config import MIN_RING_TIMEOUT
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    AnswerKind,
    CallAnswered,
    CallClassified,
    CallHungUp,
    CallRinging,
)
from dialer.hangup import HangupCause
from pacing_models.interface import MIN_RING_SECONDS, PacingDecision, PacingState
from tests.dialer.engine.engine_kit import Progressive, make_engine, of_type


@dataclass
class _Shedding(Progressive):
    """Launches ``launch[i]`` calls and asks for ``after[i]`` at its i-th decision."""

    launch: list[int] = field(default_factory=list)
    after: list[float | None] = field(default_factory=list)
    asked: int = 0

    def decide(self, state: PacingState) -> PacingDecision:
        i = self.asked % len(self.launch)
        self.asked += 1
        return PacingDecision(self.launch[i], "test", 0.0, self.after[i])


def test_the_legal_minimum_is_the_engines() -> None:
    assert MIN_RING_SECONDS == MIN_RING_TIMEOUT == 15.0


def test_a_call_ringing_past_the_asked_seconds_is_hung_up_once_as_unanswered() -> None:
    policy = _Shedding(launch=[1, 0, 0, 0], after=[None, 20.0, 20.0, 20.0])
    engine, _, _, _ = make_engine(policy=policy, rings_from_dial=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (call,) = of_type(engine.tick(1.0), Originate)
    assert of_type(engine.tick(20.0), Hangup) == []  # 19 s: not yet
    (hangup,) = of_type(engine.tick(21.0), Hangup)
    assert (hangup.call_id, hangup.at, hangup.cause) == (call.call_id, 21.0, HangupCause.NO_ANSWER)
    assert of_type(engine.tick(22.0), Hangup) == []  # asked once
    engine.handle(CallHungUp(22.1, call.call_id, HangupCause.NO_ANSWER))
    assert engine.ledger.live_answers_seen == 0 and engine.ledger.abandons_seen == 0


def test_a_value_below_the_minimum_reads_as_the_minimum() -> None:
    for after in (0.0, 5.0, -1.0, math.nan):
        policy = _Shedding(launch=[1, 0, 0], after=[None, after, after])
        engine, _, _, _ = make_engine(policy=policy, rings_from_dial=True)
        engine.handle(AgentLoggedIn(0.0, "ann"))
        (call,) = of_type(engine.tick(1.0), Originate)
        assert of_type(engine.tick(15.0), Hangup) == []  # 14 s
        (hangup,) = of_type(engine.tick(16.0), Hangup)
        assert hangup.call_id == call.call_id


def test_on_a_real_switch_the_minimum_runs_from_the_ringing_not_the_dial() -> None:
    """Set-up takes seconds: a call whose far end rang 4 s after the dial has rung 11 s at
    15 s after the dial, so it is not shed then (it was, measured from the dial)."""
    policy = _Shedding(launch=[1] + [0] * 9, after=[None] + [15.0] * 9)
    engine, _, _, _ = make_engine(policy=policy)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (call,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallRinging(5.0, call.call_id))
    for now in (16.0, 18.0, 19.0):
        assert of_type(engine.tick(now), Hangup) == []  # rung 11, 13, 14 s
    (hangup,) = of_type(engine.tick(20.0), Hangup)  # rung 15 s
    assert (hangup.call_id, hangup.cause) == (call.call_id, HangupCause.NO_ANSWER)


def test_a_call_whose_ringing_was_never_reported_is_left_to_the_ring_timeout() -> None:
    policy = _Shedding(launch=[1] + [0] * 99, after=[None] + [15.0] * 99)
    engine, _, _, _ = make_engine(policy=policy, ring_timeout=40.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    of_type(engine.tick(1.0), Originate)
    for now in range(2, 40):
        assert of_type(engine.tick(float(now)), Hangup) == []


@settings(max_examples=60, deadline=None)
@given(
    launch=st.lists(st.integers(0, 3), min_size=1, max_size=6),
    after=st.lists(st.one_of(st.none(), st.floats(-5.0, 40.0), st.just(math.nan)),
                   min_size=1, max_size=6),
    answer_after=st.lists(st.one_of(st.none(), st.floats(0.5, 30.0)), max_size=40),
    ring_after=st.lists(st.one_of(st.none(), st.floats(0.0, 8.0)), max_size=40),
    from_dial=st.booleans(),
    step=st.floats(0.25, 3.0),
)
def test_never_before_the_legal_minimum_never_an_answered_call(
    launch: list[int], after: list[float | None], answer_after: list[float | None],
    ring_after: list[float | None], from_dial: bool, step: float,
) -> None:
    """Whatever the decisions ask, every hang-up the engine sends names a call that has
    rung at least 15 s (and at least what its decision asked), not answered, once; on a
    real switch (``from_dial`` false) rung counts from the ringing it reported, after a
    set-up of up to 8 s or never."""
    after = (after * len(launch))[: max(len(launch), len(after))]
    launch = (launch * len(after))[: len(after)]
    policy = _Shedding(launch=launch, after=after)
    engine, _, _, _ = make_engine(n_leads=400, policy=policy, ring_timeout=30.0,
                                  rings_from_dial=from_dial)
    for agent in ("ann", "bob", "cy"):
        engine.handle(AgentLoggedIn(0.0, agent))
    dialed: dict[str, float] = {}
    rang: dict[str, float] = {}
    """When each call's ringing began, as the shedding must measure it."""
    ring_at: dict[str, float] = {}
    rings = iter(ring_after)
    answer_at: dict[str, float] = {}
    answered: set[str] = set()
    hung_up: set[str] = set()
    answers = iter(answer_after)
    now = 1.0
    while now < 80.0:
        # The ringing reported by now (real switch), then the answers due by now, in order.
        for call_id, at in sorted(ring_at.items(), key=lambda kv: kv[1]):
            if at <= now and call_id not in rang and call_id not in answered:
                rang[call_id] = at
                engine.handle(CallRinging(at, call_id))
        for call_id, at in sorted(answer_at.items(), key=lambda kv: kv[1]):
            if at <= now and call_id not in answered and call_id not in hung_up:
                answered.add(call_id)
                engine.handle(CallAnswered(at, call_id))
        asked = after[policy.asked % len(after)]
        decisions = policy.asked
        out = engine.tick(now)
        if policy.asked > decisions and asked is not None:
            # ... and it hangs up every call past both that is still ringing.
            limit = max(asked, MIN_RING_TIMEOUT) if not math.isnan(asked) else MIN_RING_TIMEOUT
            due = {c for c, t in dialed.items()
                   if (t if from_dial else rang.get(c, math.inf)) <= now - limit
                   and c not in answered and c not in hung_up and now - t < 30.0}
            assert due <= {c.call_id for c in of_type(out, Hangup)}
        for command in of_type(out, Hangup):
            call_id = command.call_id
            assert call_id in dialed and call_id not in answered and call_id not in hung_up
            if command.at - dialed[call_id] < 30.0:  # shed (else the ring timeout's)
                rung = command.at - (dialed[call_id] if from_dial else rang[call_id])
                assert rung >= MIN_RING_TIMEOUT
                if asked is not None and not math.isnan(asked):
                    assert rung >= asked
            hung_up.add(call_id)
        for command in of_type(out, Originate):
            dialed[command.call_id] = now
            if from_dial:
                rang[command.call_id] = now
            else:
                setup = next(rings, None)
                if setup is not None:
                    ring_at[command.call_id] = now + setup
            delay = next(answers, None)
            if delay is not None:
                answer_at[command.call_id] = now + delay
        for call_id in list(hung_up):
            if call_id in dialed:
                engine.handle(CallHungUp(now + 0.01, call_id, HangupCause.NO_ANSWER))
                del dialed[call_id]
        now += step


def _shed_then_answered(**config: object) -> tuple[object, str, list]:
    """One call for ann, shed at 21 s; its answer arrives at 21.2 s, before the hang-up
    lands. Returns the engine, the call and the answer's commands."""
    policy = _Shedding(launch=[1, 0, 0, 0], after=[None, 20.0, 20.0, 20.0])
    engine, _, _, _ = make_engine(policy=policy, rings_from_dial=True, **config)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLegUp(0.0, "ann", "leg-ann"))
    (call,) = of_type(engine.tick(1.0), Originate)
    (hangup,) = of_type(engine.tick(21.0), Hangup)
    assert hangup.call_id == call.call_id
    out = engine.handle(CallAnswered(21.2, call.call_id))
    return engine, call.call_id, out


def test_an_answer_crossing_the_shedding_hang_up_gets_no_agent_and_is_abandoned() -> None:
    """The decision hung the call up; the person answered before the hang-up landed. No
    agent is reserved for a call being killed (no ``Bridge``: before, ann was reserved and
    bridged to it), and it is abandoned in the ledger and in its record."""
    engine, call_id, out = _shed_then_answered()
    assert of_type(out, Bridge) == []
    assert engine.pool.agents["ann"].state is AgentState.READY
    assert engine.ledger.live_answers_seen == 1 and engine.ledger.abandons_seen == 1
    out = engine.handle(CallHungUp(21.3, call_id, HangupCause.NO_ANSWER))
    (record,) = of_type(out, AttemptFinished)
    assert record.abandoned and record.outcome is CallOutcome.ABANDONED
    assert engine.ledger.abandons_seen == 1  # counted once


def test_with_amd_a_person_heard_after_the_shedding_hang_up_gets_no_agent() -> None:
    engine, call_id, out = _shed_then_answered(amd_enabled=True)
    out = engine.handle(CallClassified(22.0, call_id, AnswerKind.HUMAN))
    assert of_type(out, Bridge) == []
    assert engine.pool.agents["ann"].state is AgentState.READY
    assert engine.ledger.abandons_seen == 1
