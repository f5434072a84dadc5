"""A dialer process whose records can be made to fail where they are written, and the
runner's real dial sender in front of it (tests of dials that never reach the switch).

Failures are injected at the store's own writes, not in the logic under test:

* the audit log's file is ``/dev/full`` while ``disk_full`` holds (every write of a batch
  of decisions fails with ENOSPC, as on a full disk; the ``AuditLog`` code runs as ever);
* the journal's database refuses every new ``call_attempt`` row while ``journal_down``
  holds: a trigger (SQLite, or PL/pgSQL on PostgreSQL) aborts the insert inside
  ``journal_batch``'s transaction, which is rolled back as on a real write failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from campaigns.journal_batch import BatchResult
from dialer.commands import JournalAttempt, Originate
from dialer.engine import CampaignConfig, Engine
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.ports import AllowAllGate, DialTarget, LeadSource, ListLeadSource
from dialer.runner.callback_gate import QUEUE_CALLBACK
from dialer.runner.unwritten_dials import UnwrittenDials
from pacing_models import make_policy
from tests.dialer.runner.callback_journal_kit import Process
from tests.dialer.runner.runner_kit import bare_execution

FULL_DISK = Path("/dev/full")


@contextmanager
def disk_full(a: Process) -> Iterator[None]:
    """The audit log's disk is full: its writes fail with ENOSPC."""
    audit = a.gate.audit
    assert audit is not None
    path = audit.path
    audit.path = FULL_DISK
    try:
        yield
    finally:
        audit.path = path


def install_journal_fault(a: Process) -> None:
    """A table ``journal_fault``: while it has a row, the database refuses call attempts."""
    with a.store.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE journal_fault (why TEXT)"))
        if a.store.is_postgres:
            connection.execute(
                sa.text(
                    "CREATE FUNCTION journal_fault() RETURNS trigger AS $$ BEGIN "
                    "IF EXISTS (SELECT 1 FROM journal_fault) THEN "
                    "RAISE EXCEPTION 'could not write block: injected'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                sa.text(
                    "CREATE TRIGGER journal_fault BEFORE INSERT ON call_attempt "
                    "FOR EACH ROW EXECUTE FUNCTION journal_fault()"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE TRIGGER journal_fault BEFORE INSERT ON call_attempt "
                    "WHEN EXISTS (SELECT 1 FROM journal_fault) "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error: injected'); END"
                )
            )


@contextmanager
def journal_down(a: Process) -> Iterator[None]:
    """The journal's database refuses call attempt rows (``install_journal_fault`` first)."""
    with a.store.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO journal_fault VALUES ('down')"))
    try:
        yield
    finally:
        with a.store.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM journal_fault"))


class CountingPolicy:
    """Progressive pacing that records every attempt reported to it (what pacing counts)."""

    def __init__(self) -> None:
        self._inner = make_policy("progressive")
        self.observed: list[tuple[str, float]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def decide(self, state):  # type: ignore[no-untyped-def]
        return self._inner.decide(state)

    def observe_attempt(self, result, ring_seconds: float, at: float) -> None:  # type: ignore[no-untyped-def]
        self.observed.append((str(result), at))

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self._inner.observe_handle(talk_seconds, wrap_seconds, at)


def callback_engine(
    a: Process, policy: CountingPolicy, leads: LeadSource | None = None, max_attempts: int = 3
) -> Engine:
    return Engine(
        CampaignConfig(campaign_id="spring", caller_id_number="+12015550000"),
        policy,  # type: ignore[arg-type]
        leads if leads is not None else ListLeadSource([]),
        a.gate if leads is not None else AllowAllGate(),
        assume_switches_up=True,
        queues=QueueSet(
            [
                QueueConfig.model_validate(
                    {
                        "name": "sales",
                        "callback": {"max_attempts": max_attempts, "retry_after": 300},
                    }
                )
            ],
            PromptSet.standard(seconds=1.0),
        ),
        callback_gate=a.callbacks,
    )


def lead_target(a: Process, number: str, at: float) -> DialTarget:
    from datetime import UTC, datetime

    return a.hold_lead(number, datetime.fromtimestamp(at, UTC))


@dataclass
class Sender:
    """The runner's journal step and dial sender (the real ``send_dials``) for process
    ``a``, one batch at a time, sharing one record of the store's outages."""

    a: Process
    unwritten: UnwrittenDials = field(default_factory=UnwrittenDials)
    sent: list[Originate] = field(default_factory=list)
    """Every originate written to the switch."""
    journals: dict[str, JournalAttempt] = field(default_factory=dict)
    """Call id → its journal (the gate's allowance it rests on)."""

    def batch(self, commands: list, now: float) -> tuple[BatchResult | None, list]:
        """The engine's commands of one step: the journal step (raising as the store
        does), then the dial sender; the batch's result (None: the journal's transaction
        failed) and the events it posted to the engine."""
        journals = [c for c in commands if isinstance(c, JournalAttempt)]
        dials = [c for c in commands if isinstance(c, Originate)]
        if not journals:
            return None, []
        self.journals.update((j.call_id, j) for j in journals)
        a = self.a
        ops = [
            a.inbound.begin_op(j) if j.lead_id.startswith(QUEUE_CALLBACK) else a.link.begin_op(j)
            for j in journals
        ]
        outcome: BatchResult | BaseException
        try:
            outcome = a.step(ops)
        except Exception as error:  # the database refused the transaction
            outcome = error
        else:
            for journal in journals:
                if journal.call_id not in outcome.refused:
                    a.gate.record_dial(journal.number_e164, journal.at, "spring", journal.lead_id)
        posted: list = []
        sent: list = []
        execution = bare_execution(
            default_switch="s",
            switches=None,
            gate=a.gate,
            stats=None,
            clock=lambda: now,
            post=posted.append,
        )
        execution.unwritten = self.unwritten

        async def send(command: object) -> None:
            sent.append(command)

        execution.send = send  # type: ignore[method-assign]

        async def scenario() -> None:
            committed: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
            if isinstance(outcome, BaseException):
                committed.set_exception(outcome)
            else:
                committed.set_result(outcome)
            await execution.dial_queue.put((committed, journals, dials))
            sender = asyncio.create_task(execution.send_dials())
            while len(sent) + len(posted) < len(dials):
                await asyncio.sleep(0)
            sender.cancel()

        asyncio.run(scenario())
        self.sent += sent
        return (None if isinstance(outcome, BaseException) else outcome), posted
