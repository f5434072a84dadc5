"""A dial that never reached the switch is never charged an attempt, and never counted by
pacing; none is sent while the audit entry of its gate decision could not be written.

A queue callback's dial whose audit entry or journal row could not be written (the store's
failure, not the caller's) is held: no attempt charged, tried again after a bounded backoff,
one alert for the outage, dialed once the store works again. A lead's dial in the same case
leaves its lead as it was in the store. Neither is reported to the pacing policy.

Before (to 2026-12-06), the dial sender told the engine ``OriginateFailed``: the engine
charged the callback an attempt (``QueueCallbackAttempted``; after ``max_attempts`` such
failures the caller's callback ended ``failed`` without a single call) and told pacing of a
failed attempt, for a lead's dial too. Real store (SQLite file, and a PostgreSQL schema when
reachable), real audit log, failures injected at their writes (unsent_kit.py), the real
journal step and dial sender, instants fixed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.alerts import AlertBook, CampaignFacts, campaign_readings
from dialer.commands import (
    AttemptFinished,
    CallOutcome,
    Direction,
    JournalAttempt,
    Originate,
    QueueCallbackAttempted,
    QueueCallbackFinished,
)
from dialer.engine.callback_status import CallbackState, HeldBy
from dialer.events import (
    AgentLoggedIn,
    CallHungUp,
    DialNotSent,
    QueueCallbackPending,
)
from dialer.hangup import HangupCause
from dialer.ports import ListLeadSource
from dialer.runner.unwritten_dials import BACKOFF_FIRST, BACKOFF_LONGEST
from dnc.rules.audit import AuditLog
from tests.dialer.runner.callback_journal_kit import MONDAY, NUMBERS, process, seed
from tests.dialer.runner.runner_kit import bare_execution
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)
from tests.dialer.runner.unsent_kit import (
    CountingPolicy,
    Sender,
    callback_engine,
    disk_full,
    install_journal_fault,
    journal_down,
    lead_target,
)

T0 = (MONDAY + timedelta(minutes=5)).timestamp()  # 13:05 in New York: calling hours


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'dialer.db'}"
    else:
        found = request.getfixturevalue("pg_schema_url")
    seed(found)
    return found


def _audited(audit_dir) -> set[str]:
    log = AuditLog(audit_dir)
    assert log.verify().ok, log.verify().problem
    return {str(entry["decision_id"]) for entry in log.entries()}


def _attempt_rows(a, number: str) -> int:
    return len(a.store.attempts_for_number(number, MONDAY - timedelta(days=1)))


@pytest.mark.parametrize("failure", ["audit", "journal"])
def test_a_callback_dial_whose_records_cannot_be_written_is_held_then_dialed(
    url, tmp_path, failure, caplog
) -> None:
    a = process(url, "a", tmp_path / "audit")
    install_journal_fault(a)
    a.hold_callback("cb-0", NUMBERS[0], MONDAY - timedelta(minutes=1))
    policy = CountingPolicy()
    engine = callback_engine(a, policy, max_attempts=2)
    sender = Sender(a)
    engine.handle(AgentLoggedIn(T0, "a0"))
    broken = disk_full(a) if failure == "audit" else journal_down(a)
    now = T0
    out = engine.handle(QueueCallbackPending(T0, "cb-0", "sales", NUMBERS[0], place_at=T0 - 600))
    caplog.set_level(logging.DEBUG, "dialer.runner")
    with broken:
        # Three tries while the store is down: more than max_attempts (2), none sent.
        for n in range(3):
            result, posted = sender.batch(out, now)
            assert sender.sent == []
            out = [c for e in posted for c in engine.handle(e)]
            assert not any(
                isinstance(c, QueueCallbackAttempted | QueueCallbackFinished) for c in out
            ), "charged an attempt for a dial never sent"
            (status,) = engine.queue_callbacks(5)
            assert status.attempts == 0, "charged an attempt for a dial never sent"
            assert policy.observed == [], "pacing was told of a dial never sent"
            assert all(isinstance(e, DialNotSent) and e.retry_at is not None for e in posted)
            assert status.state is CallbackState.HELD and status.held_by is HeldBy.NOT_PLACED
            backoff = min(BACKOFF_FIRST * 2**n, BACKOFF_LONGEST)
            assert status.next_try_at == pytest.approx(now + backoff)
            assert status.verdict is not None and status.verdict.not_placed is not None
            assert "not written" in status.verdict.not_placed
            assert engine.dials == 0, "a dial never sent kept in the dial count"
            assert engine.tick(status.next_try_at - 0.5) == []
            now = status.next_try_at
            out = engine.tick(now)
        assert _attempt_rows(a, NUMBERS[0]) == 0
        assert policy.observed == [], "pacing was told of dials never sent"
    # Named once for the whole outage, not per retry.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "dial records not written" in errors[0].getMessage()
    assert sender.unwritten.failure is not None
    # The store works again: the next try is dialed, as the callback's first attempt.
    result, posted = sender.batch(out, now)
    assert posted == [] and result is not None and not result.refused
    (originate,) = sender.sent
    assert sender.journals[originate.call_id].attempt_number == 1
    assert sender.unwritten.failure is None
    (status,) = engine.queue_callbacks(5)
    assert status.state is CallbackState.DIALING and status.attempts == 1
    assert _attempt_rows(a, NUMBERS[0]) == 1
    # Its decision was on disk before it was sent, and the chain is whole.
    audited = _audited(tmp_path / "audit")
    assert sender.journals[originate.call_id].verdict.decision_id in audited
    # Unanswered: the one call placed is the one attempt charged, and pacing's one.
    out = engine.handle(CallHungUp(now + 30, originate.call_id, HangupCause.NO_ANSWER))
    (tried,) = [c for c in out if isinstance(c, QueueCallbackAttempted)]
    assert tried.attempts == 1
    assert [r for r, _ in policy.observed] == ["no_answer"]
    a.close()


def test_one_alert_names_the_outage_and_clears_when_the_records_are_written(
    tmp_path,
) -> None:
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    seed(url)
    a = process(url, "a", tmp_path / "audit")
    a.hold_callback("cb-0", NUMBERS[0], MONDAY - timedelta(minutes=1))
    engine = callback_engine(a, CountingPolicy())
    sender = Sender(a)
    book = AlertBook()
    engine.handle(AgentLoggedIn(T0, "a0"))
    out = engine.handle(QueueCallbackPending(T0, "cb-0", "sales", NUMBERS[0], place_at=T0 - 600))
    changes = []
    now = T0

    def look() -> None:
        facts = CampaignFacts(
            "spring",
            None,
            0.03,
            86400.0 * 30,
            None,
            {},
            dial_records_failing=sender.unwritten.failure,
        )
        changes.extend(
            c for c in book.update(now, campaign_readings(facts)) if c.key.endswith("dial_records")
        )

    with disk_full(a):
        for _ in range(4):
            _, posted = sender.batch(out, now)
            out = [c for e in posted for c in engine.handle(e)]
            look()
            (status,) = engine.queue_callbacks(5)
            now = status.next_try_at
            out = engine.tick(now)
    sender.batch(out, now)
    look()
    assert [c.state for c in changes] == ["raised", "cleared"]
    assert "No space left on device" in changes[0].message
    assert "audit log not written" in changes[0].message
    a.close()


def test_a_lead_dial_whose_records_cannot_be_written_is_neither_charged_nor_paced(
    url, tmp_path
) -> None:
    """The lead stays as the store had it (no attempt, no retry time moved), the engine's
    pacing hears nothing, and the lead dialed later is its first attempt."""
    a = process(url, "a", tmp_path / "audit")
    install_journal_fault(a)
    policy = CountingPolicy()
    leads = ListLeadSource([lead_target(a, NUMBERS[1], T0 - 60)])
    engine = callback_engine(a, policy, leads=leads)
    sender = Sender(a)
    before = a.store.lead_by_phone("spring", NUMBERS[1])
    with journal_down(a):
        out = engine.handle(AgentLoggedIn(T0, "a0"))
        out += engine.tick(T0 + 1)
        _, posted = sender.batch(out, T0 + 1)
    (event,) = posted
    assert sender.sent == []
    engine.handle(event)
    assert policy.observed == [], "pacing was told of a dial never sent"
    assert engine.dials == 0 and isinstance(event, DialNotSent)
    after = a.store.lead_by_phone("spring", NUMBERS[1])
    assert (after.attempts, after.next_attempt_at, after.status) == (
        before.attempts,
        before.next_attempt_at,
        before.status,
    )
    assert _attempt_rows(a, NUMBERS[1]) == 0
    with disk_full(a):
        leads.add(lead_target(a, NUMBERS[1], T0 + 2))
        _, posted = sender.batch(engine.tick(T0 + 3), T0 + 3)
    (event,) = posted
    engine.handle(event)
    assert policy.observed == [], "pacing was told of a dial never sent"
    assert engine.dials == 0 and isinstance(event, DialNotSent)
    # Written now: sent, the lead's first attempt, its decision audited first.
    leads.add(lead_target(a, NUMBERS[1], T0 + 4))
    _, posted = sender.batch(engine.tick(T0 + 5), T0 + 5)
    (originate,) = sender.sent
    assert posted == [] and engine.dials == 1
    assert a.store.lead_by_phone("spring", NUMBERS[1]).attempts == before.attempts + 1
    assert sender.journals[originate.call_id].verdict.decision_id in _audited(tmp_path / "audit")
    a.close()


# --- the property ----------------------------------------------------------------------

STEP = st.sampled_from(["ok", "audit", "journal", "switch down", "late"])
ENDING = st.sampled_from(["answer", "no answer"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(st.tuples(STEP, ENDING), min_size=1, max_size=8))
def test_attempts_charged_are_calls_sent_and_pacing_sees_only_them(
    tmp_path_factory, script
) -> None:
    """Any sequence of a callback's dials meeting store failures (audit, journal), a switch
    down at the send or a turn past the send allowance: the attempts charged (the engine's
    count, each ``QueueCallbackAttempted`` and ``QueueCallbackFinished``) are the calls
    sent to the switch; pacing hears of exactly those calls; every call sent has its
    decision in an unbroken audit log."""
    tmp = tmp_path_factory.mktemp("prop")
    url = f"sqlite:///{tmp / 'dialer.db'}"
    seed(url)
    a = process(url, "a", tmp / "audit")
    install_journal_fault(a)
    a.hold_callback("cb-0", NUMBERS[0], MONDAY - timedelta(minutes=1))
    policy = CountingPolicy()
    engine = callback_engine(a, policy, max_attempts=3)
    sender = Sender(a)
    engine.handle(AgentLoggedIn(T0, "a0"))
    out = engine.handle(QueueCallbackPending(T0, "cb-0", "sales", NUMBERS[0], place_at=T0 - 600))
    now = T0
    journaled_unsent = 0
    ended = False
    for step, ending in script:
        if not any(isinstance(c, Originate) for c in out):
            break
        sent_before = len(sender.sent)
        if step == "audit":
            with disk_full(a):
                _, posted = sender.batch(out, now)
        elif step == "journal":
            with journal_down(a):
                _, posted = sender.batch(out, now)
        else:
            _, posted = sender.batch(out, now)
            if step in ("switch down", "late"):
                # Journaled, then the runner's send() found the switch's link down, or
                # the sender's turn came past the send allowance: never written.
                (originate,) = sender.sent[sent_before:]
                sender.sent.pop()
                journaled_unsent += 1
                posted = [DialNotSent(now, originate.call_id, step)]
        out = [c for e in posted for c in engine.handle(e)]
        if len(sender.sent) > sent_before:
            (originate,) = sender.sent[sent_before:]
            if ending == "answer":
                break  # the caller answers: no more dials
            now += 30
            out = engine.handle(CallHungUp(now, originate.call_id, HangupCause.NO_ANSWER))
        for command in out:
            if isinstance(command, QueueCallbackAttempted | QueueCallbackFinished):
                assert command.attempts == len(sender.sent), "charged a dial never sent"
                ended = ended or isinstance(command, QueueCallbackFinished)
        if ended:
            break
        (status,) = engine.queue_callbacks(5)
        assert status.attempts == len(sender.sent)
        now = status.next_try_at
        out = engine.tick(now)
    sent = len(sender.sent)
    assert ended == (sent == 3), "failed before max_attempts calls were made"
    assert [r for r, _ in policy.observed] == ["no_answer"] * len(policy.observed)
    assert sent - 1 <= len(policy.observed) <= sent  # the last may still ring, or answer
    decided = sum(isinstance(c, Originate) for c in out)  # the next try, not yet sent
    assert engine.dials == sent + decided
    audited = _audited(tmp / "audit")
    for originate in sender.sent:
        assert sender.journals[originate.call_id].verdict.decision_id in audited
    assert _attempt_rows(a, NUMBERS[0]) == sent + journaled_unsent
    a.close()


@pytest.mark.parametrize("why", ["switch down", "late", "switch command"])
def test_a_journaled_lead_dial_never_sent_gives_its_attempt_back(url, tmp_path, why) -> None:
    """Journaled, then the switch's link was down at the send (or the sender's turn came
    past the send allowance, or the originate line could not be written for a cause that is
    not the number's: a caller ID name FreeSWITCH would misread): the lead is not charged
    the attempt (its counts as before, in the hopper again a minute later, not after the
    retry rule's wait), the row stays closed with its decision, and pacing hears nothing.
    Before, the row's close charged the lead as a ``cancelled`` attempt (10 of those and the
    lead was done, never called); the switch command's failure was reported as the
    number's (``INVALID_NUMBER_FORMAT``: the lead marked invalid)."""
    from types import SimpleNamespace

    from campaigns.journal_batch import NEVER_SENT_RETRY

    a = process(url, "a", tmp_path / "audit")
    policy = CountingPolicy()
    leads = ListLeadSource([lead_target(a, NUMBERS[1], T0 - 60)])
    engine = callback_engine(a, policy, leads=leads)
    before = a.store.lead_by_phone("spring", NUMBERS[1])
    out = engine.handle(AgentLoggedIn(T0, "a0")) + engine.tick(T0 + 1)
    (journal,) = [c for c in out if isinstance(c, JournalAttempt)]
    (dial,) = [c for c in out if isinstance(c, Originate)]
    if why == "switch command":
        dial = replace(dial, caller_id_name="Acme {sales}")
    result = a.step([a.link.begin_op(journal)])
    assert not result.refused
    assert a.store.lead_by_phone("spring", NUMBERS[1]).attempts == before.attempts + 1
    # The runner's command side: the switch is down, or the turn came late.
    posted: list = []
    writes: list = []
    unrecorded: list = []
    now = T0 + 30 if why == "late" else T0 + 1
    execution = bare_execution(
        switches=SimpleNamespace(clients={}, connected=lambda switch_id: False),
        gate=SimpleNamespace(
            record_dial=lambda *a: None,
            forget=lambda lead: None,
            record_outcome=lambda *a, **k: None,
            unrecord_dial=lambda *a: unrecorded.append(a),
        ),
        stats=SimpleNamespace(
            send_failures=0,
            dialed=lambda at: None,
            late_sends=0,
            forget_message=lambda call: None,
            ended=lambda *a: None,
        ),
        clock=lambda: now,
        post=posted.append,
    )
    execution.link = a.link
    execution.db = SimpleNamespace(write=writes.extend)

    async def scenario() -> None:
        committed: asyncio.Future = asyncio.get_running_loop().create_future()
        committed.set_result(result)
        await execution.dial_queue.put((committed, [journal], [dial]))
        sender = asyncio.create_task(execution.send_dials())
        while not posted:
            await asyncio.sleep(0)
        sender.cancel()

    asyncio.run(scenario())
    (event,) = posted
    finished = [c for c in engine.handle(event) if isinstance(c, AttemptFinished)]
    for command in finished:
        execution._finished(command)
    a.step(writes)
    after = a.store.lead_by_phone("spring", NUMBERS[1])
    assert after.attempts == before.attempts, "the lead was charged a dial never sent"
    assert after.attempts_today == before.attempts_today
    assert policy.observed == [], "pacing was told of a dial never sent"
    assert engine.dials == 0 and isinstance(event, DialNotSent)
    assert after.status in ("new", "retry") and after.claimed_by is None
    moment = datetime.fromtimestamp(now, UTC) + NEVER_SENT_RETRY
    assert after.next_attempt_at.replace(tzinfo=UTC) == moment
    (row,) = a.store.attempts_for_number(NUMBERS[1], MONDAY - timedelta(days=1))
    assert row.ended_at is not None and row.outcome == "cancelled"
    assert row.compliance_decision == journal.verdict.decision_id
    # No call for the limits any more: the row says never sent, the gate forgets the dial.
    assert row.hangup_cause == "NOT_SENT"
    assert unrecorded == [(journal.number_e164, journal.at, journal.lead_id)]
    a.close()


def test_a_number_no_originate_line_can_carry_is_the_numbers_fault() -> None:
    """The number itself cannot be written (a blank in it): the number is at fault, as
    before (``INVALID_NUMBER_FORMAT``); a switch-side cause is not (the test above)."""
    from types import SimpleNamespace

    posted: list = []
    execution = bare_execution(
        switches=SimpleNamespace(clients={}, connected=lambda switch_id: True),
        stats=SimpleNamespace(send_failures=0),
        clock=lambda: T0,
        post=posted.append,
    )
    good = Originate(T0, "call-9", "+12125550140", "+12015550000", "Acme", 30.0)
    asyncio.run(execution.send(replace(good, number_e164="+1212 5550140")))
    asyncio.run(execution.send(replace(good, call_id="call-10", caller_id_name="{x}")))
    assert [type(event).__name__ for event in posted] == ["OriginateFailed", "DialNotSent"]
    assert posted[0].cause is HangupCause.INVALID_NUMBER_FORMAT
    assert "channel variable origination_caller_id_name" in posted[1].reason
    assert execution.unsent == {"call-10"} and execution.stats.send_failures == 1


def test_a_lead_held_by_a_store_failure_has_a_backoff_of_its_own(caplog) -> None:
    """A lead's dial whose records could not be written: the lead stays claimed in the
    hopper (its claim renewed), is not offered again before the store's backoff (5 s, then
    10 s after a second failure), is offered again then (decided again: its gate facts
    kept), and the outage is logged once. Before, it left the hopper and came back only
    when its claim lapsed and a refill took it again (the claim's pace)."""
    from types import SimpleNamespace

    from dialer.ports import DialTarget, GateVerdict
    from dialer.runner.hopper import Hopper

    hopper = Hopper()
    target = DialTarget("17", NUMBERS[1], "spring")
    hopper.add([target])
    posted: list = []
    forgotten: list = []
    clock = [T0]
    execution = bare_execution(
        gate=SimpleNamespace(forget=forgotten.append, record_dial=lambda *a: None),
        stats=SimpleNamespace(forget_message=lambda call: None),
        clock=lambda: clock[0],
        post=posted.append,
    )
    execution.hopper = hopper

    def dial_failing(at: float, n: int) -> float:
        clock[0] = at
        (given,) = hopper.next_leads(1, at)
        assert given is target
        journal = JournalAttempt(at, f"call-{n}", "17", "spring", NUMBERS[1], 1,
                                 GateVerdict(True, decision_id=f"dial:r:{n}"))
        dial = Originate(at, f"call-{n}", NUMBERS[1], "+12015550000", "Acme", 30.0)

        async def scenario() -> None:
            committed: asyncio.Future = asyncio.get_running_loop().create_future()
            committed.set_exception(RuntimeError("could not write block: injected"))
            await execution.dial_queue.put((committed, [journal], [dial]))
            sender = asyncio.create_task(execution.send_dials())
            while len(posted) < n:
                await asyncio.sleep(0)
            sender.cancel()

        asyncio.run(scenario())
        event = posted[-1]
        assert isinstance(event, DialNotSent) and event.retry_at is not None
        execution._finished(AttemptFinished(
            at, f"call-{n}", "spring", Direction.OUTBOUND, CallOutcome.FAILED,
            HangupCause.ORIGINATOR_CANCEL, lead_id="17", number_e164=NUMBERS[1],
            dialed_at=at, ended_at=at))
        return event.retry_at

    with caplog.at_level(logging.ERROR, logger="dialer.runner"):
        first = dial_failing(T0, 1)
        assert first == T0 + BACKOFF_FIRST
        assert hopper.lead_ids() == {"17"}, "the held lead's claim is no longer renewed"
        assert hopper.next_leads(1, first - 0.001) == []
        second = dial_failing(first, 2)
        assert second == first + 2 * BACKOFF_FIRST
        assert hopper.next_leads(1, second - 0.001) == []
        assert hopper.next_leads(1, second) == [target]
    assert forgotten == [], "the held lead's facts were dropped before its retry"
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
