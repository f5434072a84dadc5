"""Who ended a call, from the switch's hang-up to the attempt record: ``CallHungUp.side``
becomes ``AttemptFinished.hangup_side`` on every path that ends a call (unanswered,
answered and abandoned, connected); an originate that made no channel, and a call the
switch did not say of, are ``unknown``."""

from __future__ import annotations

import pytest
from engine_kit import Fixed, abandoned_with_message, make_engine, of_type

from dialer.commands import AttemptFinished, Originate
from dialer.events import (
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    CallHungUp,
    OriginateFailed,
    PlaybackFinished,
    PlaybackStarted,
)
from dialer.hangup import HangupCause, HangupSide
from dnc.rules.adad import called_party_may_have_ended

SIDES = list(HangupSide)



@pytest.mark.parametrize("side", SIDES)
def test_an_abandoned_calls_record_says_who_ended_it(side: HangupSide) -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=2))
    call_id, _ = abandoned_with_message(engine)  # the safe-harbour message
    engine.handle(PlaybackStarted(7.8, call_id))
    engine.handle(PlaybackFinished(12.8, call_id))
    (finished,) = of_type(engine.handle(
        CallHungUp(12.8, call_id, HangupCause.NORMAL_CLEARING, side)), AttemptFinished)
    assert finished.abandoned and finished.hangup_side is side


def test_a_message_played_to_its_end_is_the_dialers_hang_up_in_the_records_own_word() -> None:
    """The record says ``played`` of a message played in full (the engine's ``completed``);
    NRS 597.814(2)(b)'s reading must know that word, or its one exception never applies
    where the switch names no side (a loopback channel). Before: it looked for
    ``completed``, which no record holds."""
    engine, _, _, _ = make_engine(policy=Fixed(n=2))
    call_id, _ = abandoned_with_message(engine)  # the safe-harbour message
    engine.handle(PlaybackStarted(7.8, call_id))
    engine.handle(PlaybackFinished(12.8, call_id))
    (finished,) = of_type(engine.handle(CallHungUp(12.8, call_id)), AttemptFinished)
    assert finished.hangup_side is HangupSide.UNKNOWN and finished.message == "played"
    assert not called_party_may_have_ended(
        ended=True, answered=finished.answered_at is not None, message=finished.message,
        cause=finished.cause.name, side=finished.hangup_side.value)


@pytest.mark.parametrize("side", SIDES)
def test_a_connected_calls_record_says_who_ended_it(side: HangupSide) -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallBridged(5.05, originate.call_id, "ann"))
    (finished,) = of_type(engine.handle(
        CallHungUp(65.0, originate.call_id, HangupCause.NORMAL_CLEARING, side)),
        AttemptFinished)
    assert finished.bridged_at == 5.05 and finished.hangup_side is side


@pytest.mark.parametrize("side", SIDES)
def test_an_unanswered_calls_record_says_who_ended_it(side: HangupSide) -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=1))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    (finished,) = of_type(engine.handle(
        CallHungUp(26.0, originate.call_id, HangupCause.NO_ANSWER, side)), AttemptFinished)
    assert finished.answered_at is None and finished.hangup_side is side


def test_an_originate_that_made_no_channel_and_a_silent_switch_leave_it_unknown() -> None:
    engine, _, _, _ = make_engine(policy=Fixed(n=2))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    (failed,) = of_type(engine.handle(OriginateFailed(2.0, first, HangupCause.USER_BUSY)),
                        AttemptFinished)
    (hung_up,) = of_type(engine.handle(CallHungUp(3.0, second, HangupCause.USER_BUSY)),
                         AttemptFinished)
    assert failed.hangup_side is hung_up.hangup_side is HangupSide.UNKNOWN
