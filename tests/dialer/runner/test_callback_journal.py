"""Queue callback dials in the one journal of calls placed (docs/compliance.md, "Queue
callbacks"): a callback's dial is a ``call_attempt`` of the campaign serving the queue (no
lead, its ``queue_callback_id``), journaled before its originate and closed with its
outcome like a campaign dial, so it counts (a) for the same process's later campaign dials
and callbacks once the callback is gone from its gate, (b) for another process on the same
database (its gate's prefetch and the journal step's re-count), (c) after a restart; and an
abandoned callback counts in the store's abandonment ledger.

Before, a callback's dial lived only in its ``queue_callback`` row (an attempt count): it
was counted only by the process that made it, while that process held the number. Each
test here allowed a call over the campaign's cap (or left an abandon out) on that code.
Processes are real: own store connections and gates over one SQLite file (and one
PostgreSQL schema when reachable); instants fixed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaigns.models import CallAttempt
from campaigns.store import CampaignStore
from dialer.commands import AttemptFinished, CallOutcome, Direction
from dialer.events import AnswerKind
from dialer.hangup import HangupCause
from dnc.rules.audit import AuditLog
from tests.dialer.runner.callback_journal_kit import (
    CAP,
    MONDAY,
    NUMBERS,
    calls_to,
    dialed,
    process,
    seed,
)
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'dialer.db'}"
    else:  # PostgreSQL: the journal's advisory locks per number, several processes' way
        found = request.getfixturevalue("pg_schema_url")
    seed(found)
    return found


def _attempts(store: CampaignStore) -> list[CallAttempt]:
    from sqlmodel import select

    with store.read_session() as session:
        return list(session.exec(select(CallAttempt).order_by(CallAttempt.id)))


def test_a_callback_dial_is_journaled_as_an_attempt_of_the_campaign(url, tmp_path) -> None:
    a = process(url, "a", tmp_path / "audit")
    target = a.hold_callback("cb-0", NUMBERS[0], MONDAY - MINUTE)
    assert dialed(a.dial(target, MONDAY))
    (row,) = _attempts(a.store)
    assert row.queue_callback_id == "cb-0" and row.lead_id is None
    assert row.campaign_id == a.link.campaign_id and row.phone == NUMBERS[0]
    assert row.dialed_at == MONDAY and row.process_owner == "a"
    # The decision it rests on is on disk, under the id the row names.
    (entry,) = AuditLog(tmp_path / "audit").entries()
    assert row.compliance_decision == entry["decision_id"] and entry["allowed"]
    assert entry["lead_id"] == "queue-callback:cb-0"
    a.close()


def test_a_callback_no_longer_pending_or_held_elsewhere_is_not_dialed(url) -> None:
    """The journal is the last guard against calling a caller back twice: a callback
    finished meanwhile, or held by another live process, is refused there."""
    from campaigns.queue_callbacks import QueueCallbacks

    a = process(url, "a")
    callbacks = QueueCallbacks(a.store)
    callbacks.finish_callback("cb-0", "cancelled", 0, at=MONDAY - MINUTE)
    callbacks.claim_callbacks(["sales"], "b", now=MONDAY - MINUTE, ttl=timedelta(minutes=5))
    why = []
    for i in (0, 1):
        result = a.dial(a.hold_callback(f"cb-{i}", NUMBERS[i], MONDAY - MINUTE), MONDAY)
        assert result is not None and not result.begun
        why.extend(result.refused.values())
    assert why == ["queue callback cb-0 is cancelled, not pending",
                   "queue callback cb-1 is held by b"]
    assert _attempts(a.store) == []
    a.close()


def test_callback_dials_count_for_the_same_processs_later_dials(url) -> None:
    """(a) Two dials of callback cb-0 reach the cap; once the callback is finished (its
    number gone from the gate), a lead of the number and another callback to it are
    loaded from the journal and refused, not dialed a third time."""
    a = process(url, "a")
    first = a.hold_callback("cb-0", NUMBERS[0], MONDAY - MINUTE)
    for n in range(CAP):
        assert dialed(a.dial(first, MONDAY + n * MINUTE))
    a.callbacks.forget("cb-0")
    assert a.gate.kept_counts()["numbers"] == 0  # the process holds the number no more
    later = MONDAY + 10 * MINUTE
    lead = a.hold_lead(NUMBERS[0], later)
    assert a.dial(lead, later) is None  # refused at the gate
    verdict = a.gate.check(lead, later.timestamp())
    assert any(r.startswith("campaign.attempts.1:") for r in verdict.reasons), verdict
    from campaigns.queue_callbacks import QueueCallbacks

    QueueCallbacks(a.store).add_callback("cb-9", "sales", NUMBERS[0], later, at=later)
    assert a.dial(a.hold_callback("cb-9", NUMBERS[0], later), later) is None
    assert len(calls_to(a.store, NUMBERS[0], MONDAY - timedelta(days=1))) == CAP
    a.close()


def test_callback_dials_count_in_another_process_on_the_same_database(url, tmp_path) -> None:
    """(b) Two processes hold the same numbers, each loaded before the other dials. A's
    callback dials reach the cap on one number: B's campaign dial, allowed by B's stale
    view, is refused where it is journaled (re-counted over every process's journal) and
    audited there. The other way round: B's campaign dials reach the cap on another number,
    and A's callback dial is refused at its journaling."""
    a, b = process(url, "a", tmp_path / "audit-a"), process(url, "b", tmp_path / "audit-b")
    before = MONDAY - MINUTE
    callback0 = a.hold_callback("cb-0", NUMBERS[0], before)
    lead0 = b.hold_lead(NUMBERS[0], before)
    callback1 = a.hold_callback("cb-1", NUMBERS[1], before)
    lead1 = b.hold_lead(NUMBERS[1], before)
    for n in range(CAP):
        assert dialed(a.dial(callback0, MONDAY + n * MINUTE))
        assert dialed(b.dial(lead1, MONDAY + n * MINUTE))
    late = MONDAY + 5 * MINUTE
    over_lead = b.dial(lead0, late)
    over_callback = a.dial(callback1, late)
    for result in (over_lead, over_callback):
        assert result is not None, "the gate's view was not stale"
        assert not dialed(result)
        (why,) = result.refused.values()
        assert "campaign.attempts.1" in why
    for number in NUMBERS[:2]:
        assert len(calls_to(a.store, number, MONDAY - timedelta(days=1))) == CAP
    journal = [e for d in ("audit-a", "audit-b") for e in AuditLog(tmp_path / d).entries()
               if e["stage"] == "journal"]
    assert sorted(e["lead_id"] for e in journal) == sorted(
        ["queue-callback:cb-1", lead0.lead_id])
    a.close()
    b.close()


def test_callback_dials_count_after_a_restart(url) -> None:
    """(c) A process dials callback cb-0 up to the cap and stops; the process started
    after it (a new gate, nothing in memory) loads the journal: the number's lead and a
    callback to it are refused at its gate."""
    a = process(url, "a")
    target = a.hold_callback("cb-0", NUMBERS[0], MONDAY - MINUTE)
    for n in range(CAP):
        assert dialed(a.dial(target, MONDAY + n * MINUTE))
    a.close()
    restarted = process(url, "a")
    later = MONDAY + 30 * MINUTE
    assert restarted.dial(restarted.hold_lead(NUMBERS[0], later), later) is None
    assert restarted.dial(restarted.hold_callback("cb-0", NUMBERS[0], later), later) is None
    # Another number is untouched: the refusal is the count, not the restart.
    assert dialed(restarted.dial(restarted.hold_lead(NUMBERS[1], later), later))
    restarted.close()


def _finished(call_id: str, number: str, *, abandoned: bool) -> AttemptFinished:
    dialed_at = MONDAY.timestamp()
    answered = dialed_at + 8
    return AttemptFinished(
        answered + 30, call_id, "spring", Direction.CALLBACK,
        CallOutcome.ABANDONED if abandoned else CallOutcome.CONNECTED,
        HangupCause.NORMAL_CLEARING, lead_id="queue-callback:cb-0", number_e164=number,
        attempt_number=1, dialed_at=dialed_at, answered_at=answered,
        bridged_at=None if abandoned else answered + 1, ended_at=answered + 30,
        answer_kind=AnswerKind.HUMAN, abandoned=abandoned, callback_id="cb-0",
        queue="sales", message="played" if abandoned else None)


def test_an_abandoned_callback_is_closed_and_counted_in_the_abandonment_ledger(url) -> None:
    """A callback answered by a person while no agent was left to take it (its reserved
    agent logged out as it rang) is an abandoned call (47 CFR 64.1200(a)(7)): its attempt
    row is closed as one, and the store's ledger, shared by every process and read back
    at a restart, counts its live answer and its abandon."""
    a = process(url, "a")
    target = a.hold_callback("cb-0", NUMBERS[0], MONDAY - MINUTE)
    result = a.dial(target, MONDAY)
    (call_id,) = result.begun
    ops = a.inbound.ops_for(_finished(call_id, NUMBERS[0], abandoned=True))
    a.step(ops)
    (row,) = _attempts(a.store)
    assert row.abandoned and row.outcome == "abandoned" and row.answer_kind == "live"
    assert row.ended_at is not None and row.message_outcome == "played"
    counts = a.store.ledger_counts("spring", now=MONDAY + timedelta(hours=1))
    assert (counts.live_answers, counts.abandons) == (1, 1)
    entries = a.store.ledger_entries("spring", since=MONDAY - timedelta(days=1),
                                     process_owner="a")
    assert [abandoned for _, abandoned in entries] == [True]
    # Reg F's conversation rule and Ofcom's 72 h rule read the outcome from the journal.
    a.callbacks.forget("cb-0")
    history = a.gate.history_source.attempts(NUMBERS[0], MONDAY - timedelta(days=1))
    assert [(h.abandoned, h.answered_live, h.lead_id) for h in history] == [
        (True, True, "queue-callback:cb-0")]
    a.close()


def test_a_connected_callback_keeps_its_agents_disposition(url) -> None:
    a = process(url, "a")
    target = a.hold_callback("cb-0", NUMBERS[0], MONDAY - MINUTE)
    (call_id,) = a.dial(target, MONDAY).begun
    a.step(a.inbound.ops_for(_finished(call_id, NUMBERS[0], abandoned=False)))
    a.step(a.inbound.disposed(call_id, "SALE", "called back"))
    (row,) = _attempts(a.store)
    assert row.outcome == "answered" and row.bridged_at is not None and not row.abandoned
    assert row.disposition == "SALE" and row.note == "called back"
    a.close()
