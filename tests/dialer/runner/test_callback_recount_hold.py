"""A queue callback's dial that the journal's recount refuses is held, not charged an attempt.

Two dialer processes on one database: A holds queue callback cb-0 (its gate loaded the
number's history), then B's campaign dials reach the campaign's cap on that number (2 in
24 h). A's engine asks A's gate, whose view is older, and is allowed; the journal step
recounts every process's calls and refuses the dial. The runner's dial sender (the real
``send_dials``) tells the engine, and the callback must wait, with the recount's reasons and
audit id, until the instant the rule allows, keeping its attempts: it is then dialed as its
first attempt. The recount's refusal stays in A's audit log as before.

Before, the dial sender said ``OriginateFailed`` for it and the engine counted an attempt
(``QueueCallbackAttempted``, tried again 300 s later at the gate): a caller could lose their
callback to refusals of calls never made. Real processes: own store connections and gates
over one SQLite file (and one PostgreSQL schema when reachable); instants fixed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from campaigns.journal_batch import BatchResult
from dialer.commands import JournalAttempt, Originate, QueueCallbackAttempted
from dialer.engine import CampaignConfig, Engine
from dialer.engine.callback_status import CallbackState, HeldBy
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.events import AgentLoggedIn, QueueCallbackPending
from dialer.ports import AllowAllGate, ListLeadSource
from dnc.rules.audit import AuditLog
from pacing_models import make_policy
from tests.dialer.runner.callback_journal_kit import (
    CAP,
    MONDAY,
    NUMBERS,
    Process,
    calls_to,
    dialed,
    process,
    seed,
)
from tests.dialer.runner.runner_kit import bare_execution
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'dialer.db'}"
    else:
        found = request.getfixturevalue("pg_schema_url")
    seed(found)
    return found


def _engine(a: Process) -> Engine:
    return Engine(
        CampaignConfig(campaign_id="spring", caller_id_number="+12015550000"),
        make_policy("progressive"),
        ListLeadSource([]),
        AllowAllGate(),
        assume_switches_up=True,
        queues=QueueSet(
            [
                QueueConfig.model_validate(
                    {"name": "sales", "callback": {"max_attempts": 2, "retry_after": 300}}
                )
            ],
            PromptSet.standard(seconds=1.0),
        ),
        callback_gate=a.callbacks,
    )


def _journal_and_send(a: Process, commands: list, now: float) -> tuple[BatchResult, list, list]:
    """The runner's way with a batch of callback dials: the journal step (A's, with the
    recount), then the dial sender; what it sent to the switch and posted to the engine."""
    journals = [c for c in commands if isinstance(c, JournalAttempt)]
    dials = [c for c in commands if isinstance(c, Originate)]
    result = a.step([a.inbound.begin_op(j) for j in journals])
    sent: list = []
    posted: list = []
    execution = bare_execution(
        default_switch="s",
        switches=None,
        gate=a.gate,
        stats=None,
        clock=lambda: now,
        post=posted.append,
    )

    async def send(command: object) -> None:
        sent.append(command)

    execution.send = send  # type: ignore[method-assign]

    async def scenario() -> None:
        committed: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        committed.set_result(result)
        await execution.dial_queue.put((committed, journals, dials))
        sender = asyncio.create_task(execution.send_dials())
        while len(sent) + len(posted) < len(dials):
            await asyncio.sleep(0)
        sender.cancel()

    asyncio.run(scenario())
    return result, sent, posted


def test_a_callback_dial_the_recount_refuses_waits_for_the_rule_and_keeps_its_attempts(
    url, tmp_path
) -> None:
    a, b = process(url, "a", tmp_path / "audit-a"), process(url, "b")
    before = MONDAY - MINUTE
    a.hold_callback("cb-0", NUMBERS[0], before)  # A's view: no call to the number yet
    lead = b.hold_lead(NUMBERS[0], before)
    for n in range(CAP):
        assert dialed(b.dial(lead, MONDAY + n * MINUTE))
    engine = _engine(a)
    t = (MONDAY + 5 * MINUTE).timestamp()
    engine.handle(AgentLoggedIn(t, "a0"))
    commands = engine.handle(
        QueueCallbackPending(t, "cb-0", "sales", NUMBERS[0], place_at=before.timestamp())
    )
    result, sent, posted = _journal_and_send(a, commands, t)
    assert sent == [] and result.refused, "the gate's view was not stale"
    out = [c for event in posted for c in engine.handle(event)]
    assert not any(isinstance(c, QueueCallbackAttempted) for c in out)
    # Held by the recount's own verdict until the rule allows: 24 h after B's first call.
    opens = (MONDAY + timedelta(days=1, microseconds=1)).timestamp()
    (status,) = engine.queue_callbacks(5)
    assert status.attempts == 0
    assert status.state is CallbackState.HELD and status.held_by is HeldBy.GATE
    assert status.next_try_at == pytest.approx(opens, abs=1e-3)
    verdict = status.verdict
    assert verdict is not None and verdict.decision_id.startswith("journal:")
    assert any(r.startswith("campaign.attempts.1:") for r in verdict.shown_reasons)
    # The refusal's proof is where it was: A's audit log, naming the allowance it overruled.
    (entry,) = [e for e in AuditLog(tmp_path / "audit-a").entries() if e["stage"] == "journal"]
    assert entry["decision_id"] == verdict.decision_id and not entry["allowed"]
    (allowance,) = [c.verdict for c in commands if isinstance(c, JournalAttempt)]
    assert allowance.allowed and entry["dial_decision"] == allowance.decision_id
    assert entry["earliest_allowed"] == "2026-12-08T18:00:00.000001+00:00"
    assert entry["lead_id"] == "queue-callback:cb-0"
    assert engine.tick(opens - 1.0) == []  # nothing before it
    # At that instant: allowed by the gate and by the recount, dialed as its first attempt.
    commands = engine.tick(status.next_try_at)
    result, sent, posted = _journal_and_send(a, commands, opens)
    assert posted == [] and [o.number_e164 for o in sent] == [NUMBERS[0]]
    (journal,) = [c for c in commands if isinstance(c, JournalAttempt)]
    assert journal.attempt_number == 1
    (status,) = engine.queue_callbacks(5)
    assert status.state is CallbackState.DIALING and status.attempts == 1
    assert len(calls_to(a.store, NUMBERS[0], MONDAY - timedelta(days=1))) == CAP + 1
    a.close()
    b.close()


def test_the_dial_sender_holds_only_callback_dials_the_recount_refused() -> None:
    """A lead's dial refused at its journaling is ``DialNotSent`` (its lead is released
    with the recount's retry time in the store; no attempt for pacing); a callback's
    refused by the recount is held on the recount's verdict: its rules, the instant they
    allow, a final mark when no later moment cures them, its audit id; one refused for
    another reason (no longer pending) is ``DialNotSent`` and not this process's."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from campaigns.attempt_recount import RecountRefusal
    from dialer.events import CallbackDialRefused, DialNotSent

    opens = datetime(2026, 12, 8, 18, tzinfo=UTC)
    hours = RecountRefusal(
        "dial time (journal): campaign.attempts.1: 2 in 24 h",
        opens,
        ("campaign.attempts.1: 2 in 24 h",),
        opens,
        "journal:r:1",
    )
    listed = RecountRefusal(
        "dial time (journal): us.national_dnc: listed",
        None,
        ("us.national_dnc: listed",),
        None,
        "journal:r:2",
    )
    calls = {
        "lead": ("7", hours),
        "cb-wait": ("queue-callback:cb-1", hours),
        "cb-final": ("queue-callback:cb-2", listed),
        "cb-gone": ("queue-callback:cb-3", None),
    }
    journals = [
        SimpleNamespace(call_id=c, number_e164=NUMBERS[0], at=1.0, lead_id=lead)
        for c, (lead, _) in calls.items()
    ]
    dials = [Originate(1.0, c, NUMBERS[0], "+12015550000", "", 25.0) for c in calls]
    result = BatchResult(
        {},
        {c: "refused" for c in calls},
        recounted={c: r for c, (_, r) in calls.items() if r is not None},
    )
    posted: list = []
    execution = bare_execution(
        default_switch="s",
        switches=None,
        gate=None,
        stats=None,
        clock=lambda: 5.0,
        post=posted.append,
    )

    async def scenario() -> None:
        committed: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        committed.set_result(result)
        await execution.dial_queue.put((committed, journals, dials))
        sender = asyncio.create_task(execution.send_dials())
        while len(posted) < len(dials):
            await asyncio.sleep(0)
        sender.cancel()

    asyncio.run(scenario())
    by_call = {event.call_id: event for event in posted}
    assert by_call["lead"] == DialNotSent(5.0, "lead", "refused")
    assert by_call["cb-gone"] == DialNotSent(5.0, "cb-gone", "refused", not_ours=True)
    wait = by_call["cb-wait"]
    assert isinstance(wait, CallbackDialRefused) and wait.at == 5.0
    assert wait.verdict.reasons == (
        "campaign.attempts.1: 2 in 24 h",
        "earliest-allowed: 2026-12-08T18:00:00+00:00",
    )
    assert wait.verdict.decision_id == "journal:r:1" and not wait.verdict.allowed
    final = by_call["cb-final"]
    assert isinstance(final, CallbackDialRefused)
    assert final.verdict.reasons == (
        "us.national_dnc: listed",
        "final: us.national_dnc: no later moment allows this callback",
    )
