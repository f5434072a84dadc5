"""The store outage's leftovers (docs/operations.md, "When the store is down"):

- the queue store's writes (inbound call records, queue callbacks, voicemails) are held
  through an outage and written once when the store is back, and kept in the spill file
  when the run ends with the store still down (before: each failed write was logged and
  dropped, and the spill file kept the journal's writes only);
- a spill file is written by the next start of the campaign whoever it is (another
  ``--instance``, another host), exactly once: two processes starting together never both
  replay it (before: only a start with the same owner id read it, so a process that never
  came back left its calls' outcomes on disk).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.models import QueueCallback, Voicemail
from dialer.commands import QueueCallbackRequested, VoicemailRecorded
from dialer.esl.url import parse_esl_url
from dialer.runner.errors import RunnerError
from dialer.runner.runner import Runner
from tests.dialer.runner.runner_kit import make_store, settings_for

FAULTED = ("voicemail", "queue_callback", "agent_state_change")
NOWISH = 1_800_000_000.0


def install_fault(store) -> None:  # type: ignore[no-untyped-def]
    """While ``store_fault`` has a row, inserts into the queue store's tables fail (as a
    locked SQLite file or a failed-over server fails them)."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE store_fault (why TEXT)"))
        for table in FAULTED:
            connection.execute(sa.text(
                f"CREATE TRIGGER store_fault_{table} BEFORE INSERT ON {table} "
                "WHEN EXISTS (SELECT 1 FROM store_fault) "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error: injected'); END"))


def store_down(store, down: bool) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO store_fault VALUES ('down')" if down else "DELETE FROM store_fault"))


def runner_of(tmp: Path, store, instance: str) -> Runner:  # type: ignore[no-untyped-def]
    """A runner built, never run (its switch is never dialed): its store side is tested."""
    return Runner(settings_for(tmp, parse_esl_url("esl://127.0.0.1:1"), instance=instance),
                  store)


def inbound_writes(runner: Runner, n: int) -> list[object]:
    ops: list[object] = []
    for i in range(n):
        ops += runner.inbound.ops_for(VoicemailRecorded(
            NOWISH + i, f"vm-call-{i}", "sales", f"+1201555{i:04d}", f"/rec/{i}.wav",
            NOWISH + i - 30, NOWISH + i)) or []
        ops += runner.inbound.ops_for(QueueCallbackRequested(
            NOWISH + i, f"cb-{i}", "sales", f"+1202555{i:04d}", NOWISH + i, 0,
            f"cb-call-{i}")) or []
    return ops


def rows(store) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    with store.read_session() as session:
        voicemails = list(session.execute(sa.select(Voicemail.call_uuid)).scalars())
        callbacks = list(session.execute(sa.select(QueueCallback.id)).scalars())
    return sorted(voicemails), sorted(callbacks)


async def _until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition`` (events, not a time bound: a loaded machine is slow)."""
    for _ in range(20_000):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"never: {what}")


def test_inbound_writes_are_held_through_an_outage_and_written_once(tmp_path):
    store = make_store(tmp_path, agents=1, leads=5)
    install_fault(store)
    runner = runner_of(tmp_path, store, "host-a")
    db = runner.db
    db.retry_first, db.retry_longest = 0.05, 0.1

    async def scenario() -> None:
        writer = asyncio.create_task(db.run())
        try:
            store_down(store, True)
            db.write(inbound_writes(runner, 3))
            await _until(lambda: db.outage is not None, "the failed queue writes began an "
                         "outage (they were logged and dropped)")
            assert len(db.held) == 6, "every queue store write is held, in order"
            store_down(store, False)
            await _until(lambda: db.outage is None and not db.held, "written again")
            await db.flush()
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    asyncio.run(scenario())
    voicemails, callbacks = rows(store)
    assert voicemails == [f"vm-call-{i}" for i in range(3)]
    assert callbacks == [f"cb-{i}" for i in range(3)]
    store.close()


def _end_down(runner: Runner, store, ops) -> str:  # type: ignore[no-untyped-def]
    """The run ends with the store down and ``ops`` held: what its error says."""
    db = runner.db
    db.retry_first, db.retry_longest = 0.05, 0.1

    async def scenario() -> str:
        writer = asyncio.create_task(db.run())
        try:
            store_down(store, True)
            db.write(ops)
            await _until(lambda: db.outage is not None and db.held, "an outage")
            with pytest.raises(RunnerError, match="cannot be written") as raised:
                await runner._close_unwritten(RuntimeError("down"))
            return str(raised.value)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    return asyncio.run(scenario())


def test_a_spill_keeps_inbound_writes_and_another_owner_replays_it_once(tmp_path):
    store = make_store(tmp_path, agents=1, leads=5)
    install_fault(store)
    dead = runner_of(tmp_path, store, "host-a")
    said = _end_down(dead, store, inbound_writes(dead, 2))
    assert "not kept" not in said
    (spilled,) = (tmp_path / "journal-spill").glob("*.pickle")
    assert str(spilled) in said
    store_down(store, False)
    assert rows(store) == ([], [])

    # Host a never comes back; host b starts the campaign under its own owner id.
    other = runner_of(tmp_path, store, "host-b")
    asyncio.run(other._write_spilled())
    assert rows(store) == (["vm-call-0", "vm-call-1"], ["cb-0", "cb-1"])
    assert not spilled.exists()
    # The same file replayed again (a crash between its writes and its removal) writes
    # nothing twice.
    dead2 = runner_of(tmp_path, store, "host-a")
    store_down(store, True)
    _end_down(dead2, store, inbound_writes(dead2, 2))
    store_down(store, False)
    asyncio.run(runner_of(tmp_path, store, "host-c")._write_spilled())
    assert rows(store) == (["vm-call-0", "vm-call-1"], ["cb-0", "cb-1"])
    store.close()


def test_another_owner_replays_a_dead_owners_journal_spill(tmp_path):
    """The journal's own writes (here an agent's history) kept by host a's run are written
    by host b's start: before, only a start of host a read the file."""
    from datetime import UTC, datetime

    from campaigns.journal_batch import AgentStateOp
    from campaigns.models import AgentState, AgentStateChange

    store = make_store(tmp_path, agents=1, leads=5)
    install_fault(store)
    dead = runner_of(tmp_path, store, "host-a")
    agent = store.agents()[0]
    at = datetime.fromtimestamp(NOWISH, UTC)
    _end_down(dead, store, [AgentStateOp(agent.id, AgentState.READY, at,
                                         dead.link.campaign_id)])
    store_down(store, False)
    asyncio.run(runner_of(tmp_path, store, "host-b")._write_spilled())
    with store.read_session() as session:
        kept = session.execute(sa.select(AgentStateChange).where(
            AgentStateChange.agent_id == agent.id)).scalars().all()
    assert len(kept) == 1
    assert not list((tmp_path / "journal-spill").glob("*.pickle"))
    store.close()


def test_two_runners_starting_together_replay_a_spill_file_once(tmp_path):
    store = make_store(tmp_path, agents=1, leads=5)
    install_fault(store)
    dead = runner_of(tmp_path, store, "host-a")
    _end_down(dead, store, inbound_writes(dead, 2))
    store_down(store, False)
    starters = [runner_of(tmp_path, store, f"host-{name}") for name in "bc"]
    applied: list[str] = []
    together = threading.Barrier(2)
    for runner in starters:
        step = runner.db.apply

        def slow_apply(ops, again=False, owner=None, _step=step, _name=runner.owner):  # type: ignore[no-untyped-def]
            applied.append(_name)
            threading.Event().wait(0.3)  # the other start reads the directory meanwhile
            return _step(ops, again=again, owner=owner)

        runner.db.apply = slow_apply
    errors: list[BaseException] = []

    def start(runner: Runner) -> None:
        try:
            together.wait(10)
            runner._replay_spills()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(r,)) for r in starters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(applied) == 1, f"the spill file was replayed by {applied}"
    assert rows(store) == (["vm-call-0", "vm-call-1"], ["cb-0", "cb-1"])
    assert not list((tmp_path / "journal-spill").glob("*.pickle"))
    store.close()


def test_which_spill_files_a_start_writes(tmp_path):
    """Every owner's file of the campaign, oldest first; a first-layout file (it names no
    owner) only by its own owner; never another campaign's whose name shares the prefix."""
    import pickle

    from dialer.runner.journal_spill import campaign_spills, spill, spill_dir, spill_path

    first = spill(tmp_path, "spring", "host-a", ["a1"])
    second = spill(tmp_path, "spring", "host-b", ["b1", "b2"])
    spill(tmp_path, "spring.x", "host-a", ["other campaign"])
    for owner in ("host-c", "host-d"):
        with open(spill_path(tmp_path, "spring", owner), "wb") as file:
            pickle.dump({"format": 1, "ops": [f"{owner} old"]}, file)
    found = campaign_spills(tmp_path, "spring", "host-c")
    assert [(s.path, s.owner, s.ops) for s in found] == [
        (spill_path(tmp_path, "spring", "host-c"), "host-c", ["host-c old"]),
        (first, "host-a", ["a1"]), (second, "host-b", ["b1", "b2"])]
    assert spill_path(tmp_path, "spring", "host-d").exists()
    assert len(list(spill_dir(tmp_path).glob("*.pickle"))) == 5
