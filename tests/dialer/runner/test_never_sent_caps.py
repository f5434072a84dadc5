"""A dial journaled but certainly never sent consumes no call limit; one that may have been
sent always does (docs/compliance.md, "A dial never sent is no call for the limits").

Before, a journaled dial whose originate was never written (the switch's link down at the
send, its turn past the send allowance, no API line could carry it) stayed a call for every
per-person and per-number limit, in the gate's memory and in the journal every process
reads: the person's cap was reached a call early. Now its row is closed ``NOT_SENT`` and
the gate forgets it; a dial whose link dropped while it was written may have reached the
switch, and counts (fail closed).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.store import CampaignStore
from dialer.commands import AttemptFinished, CallOutcome, Direction
from dialer.hangup import HangupCause
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.recovery import LOST_WITH_LINK
from dnc.rules.model import AttemptCap, CampaignRules, Profile
from tests.dialer.runner.person_caps_kit import (
    AT,
    calls_to_person,
    person_numbers,
    process,
    seed,
)
from tests.dialer.runner.runner_kit import bare_execution
from tests.dialer.runner.test_dial_gate import SELLER

CAP = 2
RULES = CampaignRules(
    "spring",
    profiles=(Profile.US_FEDERAL,),
    seller=SELLER,
    subject="solar",
    attempt_caps=(AttemptCap(CAP, timedelta(hours=24), per_person=True),),
)
"""The campaign's own limit: two calls a day to the person, on any of their numbers."""
NUMBERS = person_numbers(3)
FATES = ("sent", "never sent", "maybe sent")
"""What became of a journaled dial's originate: written to the switch; certainly not (the
link down before it was written, past the send allowance, no line could carry it); maybe
(the link dropped while it was written: the reconnect finds no call, ``LOST_WITH_LINK``)."""


_SEEDED: list[Path] = []


def _seeded(factory) -> Path:  # type: ignore[no-untyped-def]
    """The campaign with the person's leads, made once (a copy per example: fast)."""
    if not _SEEDED:
        path = factory.mktemp("seed") / "dialer.db"
        store = CampaignStore.open(f"sqlite:///{path}")
        seed(store, NUMBERS, past=0)
        store.transition_campaign("spring", "running", at=AT - timedelta(days=30))
        store.close()
        _SEEDED.append(path)
    return _SEEDED[0]


def _command_side(a):  # type: ignore[no-untyped-def]
    """The runner's command side over process ``a``'s store and gate (its journal written
    at once)."""
    execution = bare_execution(
        gate=a.gate,
        clock=lambda: AT.timestamp(),
        post=lambda event: None,
        stats=SimpleNamespace(
            send_failures=0, forget_message=lambda call: None, ended=lambda *args: None
        ),
    )
    execution.link = CampaignLink(a.store, "spring", a.owner)
    execution.db = SimpleNamespace(write=lambda ops: a.store.journal_batch(ops, owner=a.owner))
    execution.callback_settled = lambda lead: None
    return execution


def _end(execution, call_id: str, lead_id: str, number: str, at: float, fate: str) -> None:  # type: ignore[no-untyped-def]
    """The call's end as the engine reports it, through the runner's ``_finished``."""
    if fate == "never sent":
        execution.unsent.add(call_id)  # what ``send`` records when it writes no originate
        outcome, cause = CallOutcome.FAILED, HangupCause.ORIGINATOR_CANCEL
    elif fate == "sent":
        outcome, cause = CallOutcome.NO_ANSWER, HangupCause.NO_ANSWER
    else:
        outcome, cause = CallOutcome.FAILED, LOST_WITH_LINK
    execution._finished(
        AttemptFinished(
            at + 30,
            call_id,
            "spring",
            Direction.OUTBOUND,
            outcome,
            cause,
            lead_id=lead_id,
            number_e164=number,
            attempt_number=1,
            dialed_at=at,
            ended_at=at + 30,
        )
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fates=st.lists(st.sampled_from(FATES), min_size=1, max_size=6))
def test_a_dial_never_sent_consumes_no_cap_and_one_maybe_sent_always_does(
    tmp_path_factory, fates
) -> None:
    tmp = tmp_path_factory.mktemp("caps")
    shutil.copy(_seeded(tmp_path_factory), tmp / "dialer.db")
    url = f"sqlite:///{tmp / 'dialer.db'}"
    a = process(url, "a", rules=RULES)
    execution = _command_side(a)
    a.hold(NUMBERS, AT)
    calls = 0
    """Dials that were, or may have been, sent: each one of the person's two."""
    for i, fate in enumerate(fates):
        at = AT + timedelta(minutes=10 * i)
        # Claimed again (the runner's refill prefetches it: its facts and the journal's
        # calls to the person); the other leads of the person stay held in memory.
        (target,) = a.hold([NUMBERS[i % len(NUMBERS)]], at)
        verdict = a.gate.check(target, at.timestamp())
        assert verdict.allowed == (calls < CAP), (fates[: i + 1], verdict.reasons)
        if not verdict.allowed:
            continue
        result = a.journal([target], at, verdict.decision_id)
        (call_id,) = result.begun  # the recount over the journal agrees with the gate
        _end(execution, call_id, target.lead_id, target.number_e164, at.timestamp(), fate)
        calls += fate != "never sent"
    later = AT + timedelta(minutes=10 * len(fates))
    # The journal every process reads counts the same calls.
    assert len(calls_to_person(a.store, AT - timedelta(hours=1))) == calls
    b = process(url, "b", rules=RULES)
    (fresh,) = b.hold(NUMBERS[:1], later)
    assert b.gate.check(fresh, later.timestamp()).allowed == (calls < CAP)
    b.gate.close()
    b.store.close()
    a.gate.close()
    a.store.close()
