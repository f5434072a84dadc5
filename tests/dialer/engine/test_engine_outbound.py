"""The outbound path: pace, check, journal, dial, answer, bridge or abandon, wrap up."""

from __future__ import annotations

import dataclasses

import pytest
from engine_kit import (
    Fixed,
    RecordingGate,
    abandoned_with_message,
    dial_one,
    make_engine,
    of_type,
)

from dialer.commands import (
    AgentState,
    AgentStateChanged,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Hangup,
    JournalAttempt,
    Originate,
    PlayMessage,
    RecordOptOut,
    ReleaseLead,
    StartRecording,
)
from dialer.engine import CampaignConfig, CampaignConfigError, MachineAction
from dialer.errors import IllegalTransitionError
from dialer.events import (
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
    CallRinging,
    DtmfReceived,
    InboundCallArrived,
    OriginateFailed,
    PlaybackFailed,
    PlaybackFinished,
    PlaybackStarted,
    SwitchDown,
    SwitchUp,
)
from dialer.hangup import HangupCause
from dialer.ports import GateVerdict
from pacing_models.interface import AttemptResult


def test_ring_timeout_below_15_seconds_is_refused() -> None:
    with pytest.raises(CampaignConfigError, match="ring_timeout"):
        CampaignConfig("c", "+12015550000", ring_timeout=14.9)


@pytest.mark.parametrize("window", [2.01, 0.0, -1.0])
def test_connect_window_never_above_two_seconds(window: float) -> None:
    with pytest.raises(CampaignConfigError, match="connect_window"):
        CampaignConfig("c", "+12015550000", connect_window=window)


def test_leave_message_needs_a_message() -> None:
    with pytest.raises(CampaignConfigError, match="machine_message"):
        CampaignConfig("c", "+12015550000", machine_action=MachineAction.LEAVE_MESSAGE)


def test_tick_journals_before_originate_with_variables() -> None:
    engine, _, _, gate = make_engine(ring_timeout=22.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    out = engine.tick(1.0)
    kinds = [type(c) for c in out]
    assert kinds == [JournalAttempt, Originate, JournalAttempt, Originate]
    journal, originate = out[0], out[1]
    assert journal.call_id == originate.call_id
    assert journal.verdict.allowed
    # The switch's originate_timeout: a backstop behind the engine's own end of the ring
    # (2 x 22 s + the set-up allowance + a decision + the margin; test_engine_ring_time.py).
    assert originate.ring_timeout == 62.0
    assert originate.caller_id_number == "+12015550000"
    assert originate.variables["dialer_campaign"] == "c1"
    assert originate.variables["dialer_lead_id"] == journal.lead_id
    assert originate.variables["dialer_call_id"] == originate.call_id
    assert [(n, at) for n, at, _ in gate.checks] == [("+12015550000", 1.0), ("+12015550001", 1.0)]


def test_no_dial_without_a_switch() -> None:
    engine, leads, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(SwitchDown(0.0))
    assert of_type(engine.tick(1.0), Originate) == []
    assert len(leads) == 100  # nothing drawn
    engine.handle(SwitchUp(2.0))
    assert len(of_type(engine.tick(2.0), Originate)) == 1


def test_compliance_refusal_releases_the_lead_and_never_dials() -> None:
    gate = RecordingGate(refused={"+12015550000"})
    engine, leads, _, _ = make_engine(gate=gate)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    out = engine.tick(1.0)
    assert of_type(out, Originate) == []
    (release,) = of_type(out, ReleaseLead)
    assert release.lead_id == "L0" and not release.verdict.allowed
    assert leads.released == ["L0"]


def test_live_answer_is_bridged_at_once_then_wraps_up() -> None:
    engine, _, policy, _ = make_engine(wrap_up_timeout=30.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallRinging(2.0, call_id))
    out = engine.handle(CallAnswered(9.0, call_id))
    (bridge,) = of_type(out, Bridge)
    assert (bridge.call_id, bridge.agent_id, bridge.at) == (call_id, "ann", 9.0)
    assert policy.attempts == [(AttemptResult.LIVE, 8.0, 9.0)]
    out = engine.handle(CallBridged(9.1, call_id, "ann"))
    assert engine.pool.agents["ann"].state is AgentState.ON_CALL
    out = engine.handle(CallHungUp(100.0, call_id, HangupCause.NORMAL_CLEARING))
    (finished,) = of_type(out, AttemptFinished)
    assert finished.outcome is CallOutcome.CONNECTED
    assert (finished.answered_at, finished.bridged_at, finished.ended_at) == (9.0, 9.1, 100.0)
    assert finished.agent_id == "ann" and not finished.abandoned
    assert engine.pool.agents["ann"].state is AgentState.WRAP_UP
    engine.handle(CallDisposed(110.0, "ann", call_id, "sale"))
    assert engine.pool.agents["ann"].state is AgentState.READY
    assert policy.handles == [(pytest.approx(90.9), pytest.approx(10.0), 110.0)]


def test_wrap_up_ends_by_timeout_at_its_deadline() -> None:
    engine, _, policy, _ = make_engine(wrap_up_timeout=15.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallBridged(5.0, call_id, "ann"))
    engine.handle(CallHungUp(65.0, call_id))
    assert engine.next_wakeup() <= 80.0
    out = engine.tick(81.0)
    (change,) = [c for c in out if isinstance(c, AgentStateChanged)]
    assert change.state is AgentState.READY and change.at == 80.0
    assert policy.handles[-1][1] == pytest.approx(15.0)


def test_no_agent_within_window_plays_safe_harbour_and_counts_abandon() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=2), optout_digit="9")
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(5.0, first))
    engine.handle(CallBridged(5.05, first, "ann"))
    out = engine.handle(CallAnswered(6.0, second))
    assert of_type(out, Bridge) == []
    # The window closes at 8.0; the message goes the switch's latency budget (0.3 s by
    # default) earlier, so that it is heard inside the window.
    assert engine.pool.lines.next_outbound_deadline() == 7.7 >= engine.next_wakeup()
    assert of_type(engine.tick(7.69), PlayMessage) == []
    (message,) = of_type(engine.tick(7.7), PlayMessage)
    assert message.call_id == second and message.optout_digit == "9" and message.hangup_after
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (2, 1)
    out = engine.handle(DtmfReceived(9.0, second, "9"))
    (optout,) = of_type(out, RecordOptOut)
    assert optout.number_e164 == "+12015550001"
    assert of_type(out, Hangup)[0].call_id == second
    (finished,) = of_type(engine.handle(CallHungUp(9.1, second)), AttemptFinished)
    assert finished.outcome is CallOutcome.ABANDONED and finished.abandoned and finished.opted_out


def _abandoned_with_message(engine) -> str:
    second, message = abandoned_with_message(engine)
    assert of_type(message, PlayMessage)
    return second


@pytest.mark.parametrize(("reports", "recorded", "started"), [
    ([PlaybackStarted(7.8, "c"), PlaybackFinished(12.8, "c")], "played", 7.8),
    ([PlaybackStarted(7.8, "c"), PlaybackFinished(9.0, "c", cut_off=True)], "cut_off", 7.8),
    ([PlaybackStarted(7.8, "c")], "started", 7.8),
    ([PlaybackFailed(7.75, "c", "FILE NOT FOUND")], "failed", None),
    ([], "unconfirmed", None),
    # A second file (the opt-out prompt) starting after the first ended: still playing, and
    # the message's start is the first file's.
    ([PlaybackStarted(7.8, "c"), PlaybackFinished(10.0, "c"), PlaybackStarted(10.0, "c"),
      PlaybackFinished(10.5, "c", cut_off=True)], "cut_off", 7.8),
])
def test_the_attempt_records_how_the_safe_harbour_message_ended(reports, recorded,
                                                                started) -> None:
    """What the switch reported of the message (played in full, cut off by the hang-up,
    started only, failed, nothing) and when it started: the 2-second rule's proof."""
    engine, _, _, _ = make_engine(policy=Fixed(n=2))
    call_id = _abandoned_with_message(engine)
    for report in reports:
        engine.handle(dataclasses.replace(report, call_id=call_id))
    (finished,) = of_type(engine.handle(CallHungUp(13.0, call_id)), AttemptFinished)
    assert finished.abandoned
    assert (finished.message, finished.message_started_at) == (recorded, started)


def test_abandon_is_decided_even_when_the_next_event_comes_late() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=2))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(5.0, first))
    engine.handle(CallAnswered(6.0, second))
    engine.handle(CallBridged(5.0, first, "ann"))
    # The agent frees up after the window closed: the message must come first, at 7.7
    # (8.0 less the latency budget).
    out = engine.handle(CallHungUp(30.0, first))
    (message,) = of_type(out, PlayMessage)
    assert message.at == 7.7 and message.call_id == second
    assert of_type(out, Bridge) == []


def test_agent_freed_inside_the_window_takes_the_waiting_call() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=2), wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(5.0, first))
    engine.handle(CallBridged(5.0, first, "ann"))
    engine.handle(CallAnswered(6.0, second))
    out = engine.handle(CallHungUp(7.5, first))
    (bridge,) = of_type(out, Bridge)
    assert bridge.call_id == second and bridge.at == 7.5


def test_customer_hanging_up_during_bridge_frees_the_agent() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallHungUp(5.2, call_id))
    (finished,) = of_type(out, AttemptFinished)
    assert finished.outcome is CallOutcome.HUNG_UP_ANSWERED
    assert engine.pool.agents["ann"].state is AgentState.READY
    # Never connected to an agent: abandoned in law although inside the connect window.
    assert finished.abandoned
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 1)


def test_person_hanging_up_in_the_silence_counts_as_abandoned() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(AgentPaused(2.0, "ann", "break"))
    engine.handle(CallAnswered(5.0, call_id))  # nobody free: the person waits in silence
    out = engine.handle(CallHungUp(6.0, call_id))
    (finished,) = of_type(out, AttemptFinished)
    assert finished.outcome is CallOutcome.HUNG_UP_ANSWERED and finished.abandoned
    assert engine.ledger.rate() == 1.0


@pytest.mark.parametrize(
    ("cause", "outcome", "result"),
    [
        (HangupCause.USER_BUSY, CallOutcome.BUSY, AttemptResult.BUSY),
        (HangupCause.NO_ANSWER, CallOutcome.NO_ANSWER, AttemptResult.NO_ANSWER),
        (HangupCause.UNALLOCATED_NUMBER, CallOutcome.FAILED, AttemptResult.FAILED),
    ],
)
def test_unanswered_outcomes(cause, outcome, result) -> None:
    engine, _, policy, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    (finished,) = of_type(engine.handle(OriginateFailed(26.0, call_id, cause)), AttemptFinished)
    assert finished.outcome is outcome and finished.cause is cause
    assert policy.attempts == [(result, 25.0, 26.0)]
    # FreeSWITCH may also send the hangup: a second end is ignored, not double counted.
    assert engine.handle(CallHungUp(26.1, call_id, cause)) == []


def test_amd_machine_hang_up_or_leave_message() -> None:
    engine, _, policy, _ = make_engine(amd_enabled=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    assert of_type(engine.handle(CallAnswered(5.0, call_id)), Bridge) == []
    out = engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    assert of_type(out, Hangup)[0].call_id == call_id
    assert policy.attempts[-1][0] is AttemptResult.MACHINE
    assert engine.ledger.live_answers == 0

    engine, _, _, _ = make_engine(
        amd_enabled=True, machine_action=MachineAction.LEAVE_MESSAGE, machine_message="vm.wav"
    )
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    (message,) = of_type(engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE)),
                         PlayMessage)
    assert message.message == "vm.wav" and message.optout_digit is None
    assert message.decision_id is not None  # the port's decision, audited before it plays
    (finished,) = of_type(engine.handle(CallHungUp(30.0, call_id)), AttemptFinished)
    assert finished.outcome is CallOutcome.MACHINE_MESSAGE and not finished.abandoned


def test_no_recorded_message_the_compliance_port_refuses() -> None:
    """The engine leaves a message only when its compliance port allows it at that instant
    (the prerecorded rules: consent, content, state rows); otherwise it hangs up."""
    gate = RecordingGate(no_message={"+12015550000"})
    engine, _, _, _ = make_engine(
        gate=gate, amd_enabled=True, machine_action=MachineAction.LEAVE_MESSAGE,
        machine_message="vm.wav")
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    assert of_type(out, PlayMessage) == [] and of_type(out, Hangup)[0].call_id == call_id
    assert gate.message_checks == [("+12015550000", 1.0, 7.0, False)]  # dialled at 1.0
    (finished,) = of_type(engine.handle(CallHungUp(8.0, call_id)), AttemptFinished)
    assert finished.outcome is CallOutcome.MACHINE


def test_a_gate_that_cannot_decide_messages_leaves_none() -> None:
    class DialOnly:
        def check(self, target, at):
            return GateVerdict(True)

    engine, _, _, _ = make_engine(
        gate=DialOnly(), amd_enabled=True, machine_action=MachineAction.LEAVE_MESSAGE,
        machine_message="vm.wav")
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    assert of_type(out, PlayMessage) == [] and of_type(out, Hangup)


def test_uk_window_runs_from_the_answer_with_amd() -> None:
    """Ofcom: with AMD the two seconds run from the start of the greeting (the answer), so
    an AMD verdict 2.5 s after the answer comes too late for an agent: the message plays."""
    engine, _, _, _ = make_engine(amd_enabled=True, connect_window_from_answer=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallClassified(7.5, call_id, AnswerKind.HUMAN))
    assert of_type(out, Bridge) == [] and of_type(out, PlayMessage)
    assert engine.ledger.abandons == 1
    engine, _, _, _ = make_engine(amd_enabled=True, connect_window_from_answer=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(6.0, call_id, AnswerKind.HUMAN)), Bridge)


@pytest.mark.parametrize("unknown_is_live", [True, False])
def test_a_hang_up_while_amd_listens_counts_as_the_campaign_counts_unknowns(
    unknown_is_live: bool,
) -> None:
    # The person (if it was one) answered and left before AMD decided: never connected to an
    # agent. Counted live under the campaign's rule for unknown answers, then abandoned; the
    # ledger and the attempt record agree.
    engine, _, policy, _ = make_engine(amd_enabled=True, count_unknown_as_live=unknown_is_live)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    (finished,) = of_type(engine.handle(CallHungUp(6.5, call_id)), AttemptFinished)
    expected = (1, 1) if unknown_is_live else (0, 0)
    assert (engine.ledger.live_answers, engine.ledger.abandons) == expected
    assert finished.abandoned is unknown_is_live
    assert finished.outcome is CallOutcome.HUNG_UP_ANSWERED
    assert policy.attempts[-1][0] is (
        AttemptResult.LIVE if unknown_is_live else AttemptResult.MACHINE)


def test_amd_human_window_runs_from_the_classification() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1), amd_enabled=True, connect_window=1.5)
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallClassified(7.0, call_id, AnswerKind.HUMAN))
    assert engine.pool.lines.next_outbound_deadline() == pytest.approx(8.2)
    (message,) = of_type(engine.tick(9.0), PlayMessage)
    assert message.at == pytest.approx(8.2)


def test_machine_correction_uncounts_the_answer() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    engine.tick(7.0)
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 1)
    engine.handle(CallClassified(7.5, call_id, AnswerKind.MACHINE))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)


def test_recording_starts_on_answer_with_the_template_path() -> None:
    engine, _, _, _ = make_engine(
        recording_enabled=True,
        recording_path_template="/rec/{campaign}/{date}/{lead_id}-{call_id}.wav",
    )
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine, 86390.0)
    (start,) = of_type(engine.handle(CallAnswered(86400.0, call_id)), StartRecording)
    assert start.path == f"/rec/c1/1970-01-02/L0-{call_id}.wav"
    engine.handle(CallBridged(86400.0, call_id, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(86500.0, call_id)), AttemptFinished)
    assert finished.recording_path == start.path


def test_illegal_transition_raises() -> None:
    engine, _, _, _ = make_engine()
    engine.handle(InboundCallArrived(0.0, "in-1"))  # no agent: queued
    with pytest.raises(IllegalTransitionError, match="queued -> bridged"):
        engine.handle(CallBridged(1.0, "in-1", "ann"))
    engine, _, _, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = next(c.call_id for c in engine.tick(1.0) if isinstance(c, Originate))
    with pytest.raises(IllegalTransitionError, match="dialing -> bridged"):
        engine.handle(CallBridged(2.0, call_id, "ann"))


def test_pause_and_logout_wait_for_the_call_to_end() -> None:
    engine, _, _, _ = make_engine(wrap_up_timeout=0.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallBridged(5.0, call_id, "ann"))
    engine.handle(AgentPaused(6.0, "ann", "lunch"))
    assert engine.pool.agents["ann"].state is AgentState.ON_CALL
    engine.handle(CallHungUp(60.0, call_id))
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.PAUSED and agent.reason == "lunch"
    engine.handle(AgentReady(61.0, "ann"))
    assert agent.state is AgentState.READY
    engine.handle(AgentLoggedOut(62.0, "ann"))
    assert agent.state is AgentState.LOGGED_OUT
    assert engine.pacing_state(63.0).agents_logged_in == 0


def test_ledger_seed_and_window() -> None:
    engine, _, _, _ = make_engine(ledger_window=100.0)
    engine.ledger.__init__(100.0, [(0.0, True), (50.0, False), (90.0, False)])
    state = engine.pacing_state(95.0)
    assert (state.live_answers_in_window, state.abandons_in_window) == (3, 1)
    engine.pacing_state(120.0)
    # The window's counts (pacing is handed the current period's when it binds: without a
    # campaign start the period began with the engine, at 95, and holds no answer yet).
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (2, 0)


def test_person_hung_up_on_as_a_machine_counts_as_abandoned() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1), amd_enabled=True)
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    # Ground truth (the simulator) or a later review says it was a person.
    engine.handle(CallClassified(7.5, call_id, AnswerKind.HUMAN))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 1)
    (finished,) = of_type(engine.handle(CallHungUp(8.0, call_id)), AttemptFinished)
    assert finished.abandoned and finished.answer_kind is AnswerKind.HUMAN


def test_estimated_amd_false_positives_are_charged_to_the_ledger() -> None:
    engine, _, _, _ = make_engine(
        policy=Fixed(n=10), amd_enabled=True, amd_false_positive_estimate=0.25
    )
    calls = [o.call_id for o in of_type(engine.tick(1.0), Originate)]
    for i, call_id in enumerate(calls[:8]):
        engine.handle(CallAnswered(2.0 + i, call_id))
        engine.handle(CallClassified(2.5 + i, call_id, AnswerKind.MACHINE))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (2, 2)


def test_false_positive_estimate_must_be_a_fraction() -> None:
    with pytest.raises(CampaignConfigError, match="amd_false_positive_estimate"):
        CampaignConfig("c", "+12015550000", amd_false_positive_estimate=1.5)


def test_policy_for_uses_the_pacing_package() -> None:
    import pacing_models
    from dialer.engine import policy_for
    from dialer.errors import DialerError

    config = CampaignConfig("c", "+12015550000", pacing_policy="progressive")
    if not hasattr(pacing_models, "make_policy"):
        with pytest.raises(DialerError, match="make_policy"):
            policy_for(config)
    else:
        assert policy_for(config).name == "progressive"


def test_agent_phone_drop_mid_call_then_new_call_is_not_ended_by_the_old_one() -> None:
    from dialer.events import AgentLegDown

    engine, _, _, _ = make_engine(policy=Fixed(n=1), wrap_up_timeout=10.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first = dial_one(engine)
    engine.handle(CallAnswered(2.0, first))
    engine.handle(CallBridged(2.0, first, "ann"))
    engine.handle(AgentLegDown(3.0, "ann", HangupCause.NORMAL_CLEARING))
    assert engine.pool.agents["ann"].state is AgentState.LOGGED_OUT
    engine.handle(AgentLoggedIn(3.5, "ann"))
    second = dial_one(engine, at=4.0)
    engine.handle(CallAnswered(5.0, second))
    engine.handle(CallBridged(5.0, second, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(6.0, first)), AttemptFinished)
    assert finished.agent_id == "ann" and finished.outcome is CallOutcome.CONNECTED
    agent = engine.pool.agents["ann"]
    assert agent.state is AgentState.ON_CALL and agent.call_id == second


def test_pacing_state_counts_from_the_engine_books() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=3), wrap_up_timeout=20.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.handle(AgentLoggedIn(0.0, "bob"))
    engine.handle(AgentLoggedIn(0.0, "cy"))
    engine.handle(AgentPaused(0.0, "cy", "break"))
    a, b, _ringing = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(3.0, a))
    engine.handle(CallBridged(3.0, a, "ann"))
    engine.handle(CallAnswered(4.0, b))
    engine.handle(CallBridged(4.0, b, "bob"))
    engine.handle(CallHungUp(6.0, b))
    state = engine.pacing_state(10.0)
    assert state.agents_free == 0 and state.agents_logged_in == 3
    assert state.busy_elapsed == (7.0,)
    assert state.wrap_elapsed == (4.0,)
    assert state.ringing_elapsed == (9.0,)
    assert (state.live_answers_in_window, state.abandons_in_window) == (2, 0)
    # What an answer can wait: the window less the message's latency budget.
    assert state.connect_window == pytest.approx(1.7) and state.abandon_target == 0.03


def test_calls_are_spread_over_the_switches_that_are_up() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=4), switch_ids=("fs1", "fs2"))
    engine.handle(SwitchDown(0.0, "default"))
    engine.handle(SwitchUp(0.0, "fs1"))
    engine.handle(SwitchUp(0.0, "fs2"))
    switches = [o.switch_id for o in of_type(engine.tick(1.0), Originate)]
    assert sorted(switches) == ["fs1", "fs1", "fs2", "fs2"]
    engine.handle(SwitchDown(1.5, "fs1"))
    assert {o.switch_id for o in of_type(engine.tick(2.0), Originate)} == {"fs2"}
