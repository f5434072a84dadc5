"""A campaign dial the driver never sent (``DialNotSent``) is no attempt for pacing.

The runner posts ``DialNotSent`` for a dial whose journal or audit entry could not be
written, whose journal was refused, whose switch was down at the send or whose turn came past
the send allowance. Before (to 2026-12-06) it posted ``OriginateFailed(ORIGINATOR_CANCEL)``
and the engine told the pacing policy of a failed attempt for each: an outage of the store
lowered the learnt answer rate (and the placement's) for calls never made, so the predictive
policy overdialled once the store came back. Now pacing hears only of calls sent.
"""

from __future__ import annotations

from engine_kit import Fixed, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import AttemptFinished, CallOutcome, Originate
from dialer.events import AgentLoggedIn, CallAnswered, CallHungUp, DialNotSent, OriginateFailed
from dialer.hangup import HangupCause

FATES = st.sampled_from(["not sent", "no answer", "busy", "answered", "refused by the switch"])


@settings(max_examples=150, deadline=None)
@given(fates=st.lists(FATES, min_size=1, max_size=40), agents=st.integers(1, 3))
def test_pacing_hears_only_of_calls_sent(fates: list[str], agents: int) -> None:
    """Whatever becomes of each dial: every dial ends once with its record; pacing is told of
    exactly the calls sent that ended unanswered (an answered one is reported at its
    answer), never of one not sent; the engine's dial count is the calls sent."""
    engine, _, policy, _ = make_engine(n_leads=60, policy=Fixed(n=agents))
    now = 0.0
    for i in range(agents):
        engine.handle(AgentLoggedIn(now, f"a{i}"))
    fate_of: dict[str, str] = {}
    sent = ended_unanswered = 0
    finished: list[AttemptFinished] = []
    pending = list(fates)
    while pending:
        now += 1.0
        dials = of_type(engine.tick(now), Originate)
        if not dials:
            break
        for originate in dials:
            if not pending:
                fate = "not sent"
            else:
                fate = pending.pop(0)
            fate_of[originate.call_id] = fate
            out: list = []
            if fate == "not sent":
                out = engine.handle(DialNotSent(now, originate.call_id, "audit log not written"))
            else:
                sent += 1
                if fate == "answered":
                    out = engine.handle(CallAnswered(now + 0.5, originate.call_id))
                    out += engine.handle(
                        CallHungUp(now + 0.6, originate.call_id, HangupCause.NORMAL_CLEARING)
                    )
                else:
                    ended_unanswered += 1
                    cause = {
                        "no answer": HangupCause.NO_ANSWER,
                        "busy": HangupCause.USER_BUSY,
                        "refused by the switch": HangupCause.NORMAL_TEMPORARY_FAILURE,
                    }[fate]
                    event = (
                        OriginateFailed(now + 0.5, originate.call_id, cause)
                        if fate == "refused by the switch"
                        else CallHungUp(now + 0.5, originate.call_id, cause)
                    )
                    out = engine.handle(event)
                # A late report for a call already ended changes nothing.
                out += engine.handle(DialNotSent(now + 0.7, originate.call_id, "late"))
            finished += of_type(out, AttemptFinished)
            # Pacing's counts, at every step: only calls sent, each once.
            unanswered_seen = sum(1 for r, _, _ in policy.attempts if r.value != "live")
            assert unanswered_seen == ended_unanswered
        now += 1.0
    # Every dial ended once, with its record; the unsent ones as never sent.
    assert sorted(f.call_id for f in finished) == sorted(fate_of)
    for record in finished:
        if fate_of[record.call_id] == "not sent":
            assert record.outcome is CallOutcome.FAILED
            assert record.cause is HangupCause.ORIGINATOR_CANCEL
    assert engine.dials == sent
    assert len([r for r, _, _ in policy.attempts if r.value != "live"]) == ended_unanswered
    assert not engine.calls
