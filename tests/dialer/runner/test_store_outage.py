"""The runner through a store outage (docs/operations.md, "When the store is down").

A store that cannot be written (a PostgreSQL restart or failover, a locked SQLite file)
holds dialing, not the run: the journal writes of the calls up are kept in order and written
once, when it is back; no dial is journaled (so none is sent) meanwhile; dialing resumes on
its own. Before, a write-only batch that failed raised from the writer task and the process
ended with every call up.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from campaigns.journal_batch import AgentStateOp, BatchResult, BeginOp, DispositionOp, FinishOp
from campaigns.models import AgentState, AgentStateChange, CallAttempt, Callback
from campaigns.settings import Outcome
from dialer.commands import Direction, JournalAttempt
from dialer.runner.dbworker import DbWorker, StoreOutage
from tests.dialer.runner.callback_journal_kit import MONDAY, NUMBERS, process, seed
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)


def _down() -> OperationalError:
    return OperationalError("COMMIT", {}, Exception("database is locked"))


def _dial(n: int) -> BeginOp:
    return BeginOp(f"dial-{n}", n, MONDAY)


async def _until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition`` (events, not a time bound: a loaded machine is slow)."""
    for _ in range(200_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"never: {what}")


class Store:
    """A store that fails every transaction while ``down`` (rolled back: nothing of a
    failed batch lands), and records what it committed."""

    def __init__(self) -> None:
        self.down = False
        self.committed: list[object] = []
        self.tries: list[tuple[list[object], bool]] = []
        self.hold = threading.Event()
        self.hold.set()

    def apply(self, ops, again: bool = False) -> BatchResult:  # type: ignore[no-untyped-def]
        self.hold.wait(10)
        self.tries.append((list(ops), again))
        if self.down:
            raise _down()
        self.committed.extend(ops)
        return BatchResult({op.call_uuid: 1 for op in ops if isinstance(op, BeginOp)}, {})


def test_a_failed_write_is_held_and_written_in_order_once_and_the_run_goes_on() -> None:
    """Outcomes written while the store is down are kept in order, tried again with a
    backoff, and written exactly once when it is back; a dial's journal asked meanwhile is
    refused without touching the store (its dial is not sent); the outage is said once
    when it begins and once when it ends. Before, the writer task raised the batch's error
    (the run ended) and the batch's writes were lost."""
    store = Store()
    changes: list[object] = []

    async def scenario() -> None:
        db = DbWorker(store.apply, retry_first=0.005, retry_longest=0.02)
        db.on_outage = changes.append
        writer = asyncio.create_task(db.run())
        store.down = True
        db.write(["end call-1", "agent ann wrap-up"])  # type: ignore[list-item]
        await _until(lambda: db.outage is not None, "the outage is seen")
        db.write(["disposition call-1"])  # type: ignore[list-item]
        tries = len(store.tries)
        with pytest.raises(StoreOutage):
            await db.commit([_dial(1)])
        assert len(store.tries) == tries, "a dial's journal was tried while the store is down"
        await _until(lambda: len(store.tries) >= tries + 3, "tried again while down")
        assert not writer.done(), "the writer ended: the run would have ended"
        assert db.held and db.pending_operations == 3
        store.down = False
        await _until(lambda: db.outage is None, "the store is written again")
        await db.flush()
        assert store.committed == ["end call-1", "agent ann wrap-up", "disposition call-1"]
        # Every batch after the first failure may have landed unseen: tried ``again``.
        assert all(again for ops, again in store.tries[1:] if ops)
        result = await db.commit([_dial(2)])  # dialing resumes: journaled as ever
        assert result.begun == {"dial-2": 1}
        writer.cancel()
        await db.close()

    asyncio.run(scenario())
    assert [change is None for change in changes] == [False, True]


def test_batches_sent_behind_a_failed_one_are_held_behind_it_untouched() -> None:
    """Two batches on their way when the first fails: the second is not tried (it would
    land before the first's writes), its writes are held behind the first's and its dial
    is not journaled; the order of the journal survives the outage."""
    store = Store()

    async def scenario() -> None:
        db = DbWorker(store.apply, retry_first=0.005, retry_longest=0.02)
        writer = asyncio.create_task(db.run())
        store.down = True
        store.hold.clear()  # the first batch waits in the database thread
        db.write(["answer call-1"])  # type: ignore[list-item]
        await asyncio.sleep(0)  # the writer sends it
        await _until(lambda: db.pending_operations == 1 and not db._pending, "sent")
        db.write(["end call-1"])  # type: ignore[list-item]
        behind = db.submit([_dial(3)])  # with the end: a second batch, behind the first
        store.hold.set()
        with pytest.raises(StoreOutage):
            await behind
        assert [ops for ops, _ in store.tries][:1] == [["answer call-1"]], (
            "the batch behind the failed one was tried"
        )
        store.down = False
        await _until(lambda: db.outage is None, "the store is written again")
        await db.flush()
        assert store.committed == ["answer call-1", "end call-1"]
        writer.cancel()
        await db.close()

    asyncio.run(scenario())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    found = (
        f"sqlite:///{tmp_path / 'dialer.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_schema_url")
    )
    seed(found)
    return found


def test_a_batch_tried_again_after_a_commit_that_landed_writes_nothing_twice(url, tmp_path):
    """A transaction whose COMMIT was lost with the connection may have landed: the retry
    (``again``) skips the call's end, the agent's history and the disposition it finds
    written, so no second callback, no second state change, the lead charged once."""
    a = process(url, "a", tmp_path / "audit")
    agent = a.store.add_agent("ann", "user/ann", campaign="spring")
    at = MONDAY + timedelta(minutes=5)
    target = a.hold_lead(NUMBERS[0], at)
    verdict = a.gate.check(target, at.timestamp())
    journal = JournalAttempt(
        at.timestamp(),
        "call-1",
        target.lead_id,
        "spring",
        target.number_e164,
        1,
        verdict,
        direction=Direction.OUTBOUND,
    )
    assert not a.step([a.link.begin_op(journal)]).refused
    end = at + timedelta(seconds=40)
    ops = [
        AgentStateOp(agent.id, AgentState.WRAP_UP, end, a.link.campaign_id, call_uuid="call-1"),
        FinishOp(
            "call-1",
            end,
            Outcome.ANSWERED,
            "NORMAL_CLEARING",
            fields={
                "answered_at": at + timedelta(seconds=5),
                "bridged_at": at + timedelta(seconds=6),
                "agent_id": agent.id,
            },
        ),
        DispositionOp(
            "call-1", "CALLBK", end + timedelta(seconds=20), callback_at=end + timedelta(days=1)
        ),
        AgentStateOp(agent.id, AgentState.READY, end + timedelta(seconds=20), a.link.campaign_id),
    ]
    a.step(ops)  # landed, but the runner saw the connection drop: tried again
    lead = a.store.lead_by_phone("spring", NUMBERS[0])
    result = a.step(ops, again=True)
    assert result.problems == ()
    with a.store.read_session() as session:
        states = session.execute(sa.select(AgentStateChange.state)).scalars().all()
        callbacks = session.execute(sa.select(sa.func.count()).select_from(Callback)).scalar()
        (row,) = session.execute(sa.select(CallAttempt)).scalars().all()
    assert sorted(states) == ["ready", "wrap_up"]
    assert callbacks == 1
    assert row.outcome == "answered" and row.disposition == "CALLBK"
    assert a.store.lead_by_phone("spring", NUMBERS[0]).attempts == lead.attempts == 1
    a.close()


def test_an_empty_retry_probes_the_store_with_a_write_that_fails_as_the_journal_does(url, tmp_path):
    """With nothing held (the failed batch was dials only), the writer's try is a probe: a
    write to the journal's table that changes nothing. It fails while the journal's writes
    fail, and succeeds (changing nothing) once they work again."""
    from tests.dialer.runner.unsent_kit import install_journal_fault

    a = process(url, "a", tmp_path / "audit")
    assert a.store.journal_batch([], again=True) == BatchResult({}, {})
    install_journal_fault(a)
    with a.store.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO journal_fault VALUES ('down')"))
        if a.store.is_postgres:
            connection.execute(
                sa.text(
                    "CREATE TRIGGER journal_fault_update BEFORE UPDATE ON call_attempt "
                    "FOR EACH ROW EXECUTE FUNCTION journal_fault()"
                )
            )
        else:
            connection.execute(
                sa.text(
                    "CREATE TRIGGER journal_fault_update BEFORE UPDATE ON call_attempt "
                    "WHEN EXISTS (SELECT 1 FROM journal_fault) "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error: injected'); END"
                )
            )
    at = MONDAY + timedelta(minutes=5)
    with a.store.engine.begin() as connection:  # one journaled attempt for the probe to touch
        connection.execute(sa.text("DELETE FROM journal_fault"))
    target = a.hold_lead(NUMBERS[0], at)
    journal = JournalAttempt(
        at.timestamp(),
        "call-1",
        target.lead_id,
        "spring",
        target.number_e164,
        1,
        a.gate.check(target, at.timestamp()),
    )
    assert not a.step([a.link.begin_op(journal)]).refused
    with a.store.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO journal_fault VALUES ('down')"))
    with pytest.raises(sa.exc.DBAPIError, match="injected"):
        a.step([], again=True)
    with a.store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM journal_fault"))
    a.step([], again=True)
    (row,) = a.store.attempts_for_number(NUMBERS[0], datetime(2026, 1, 1, tzinfo=UTC))
    assert row.call_uuid == "call-1" and row.ended_at is None
    a.close()
