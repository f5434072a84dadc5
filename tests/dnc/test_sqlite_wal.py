"""Several processes opening the compliance stores at the same instant (two runners starting
on one data directory): none may fail with "database is locked"."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from dnc.facts import NumberFactsStore
from dnc.internal import InternalDnc
from dnc.sqlite_wal import connect_wal


def _open(kind: str, path: str, barrier, results) -> None:
    barrier.wait()
    try:
        store = NumberFactsStore(Path(path)) if kind == "facts" else InternalDnc(Path(path))
        store.close()
        results.put("ok")
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("kind", ["facts", "internal"])
def test_simultaneous_first_opens_all_succeed(tmp_path: Path, kind: str) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = tmp_path / f"{kind}-{round_}.db"
        workers = 8
        barrier = context.Barrier(workers)
        results = context.Queue()
        procs = [context.Process(target=_open, args=(kind, str(path), barrier, results))
                 for _ in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        outcomes = [results.get(timeout=5) for _ in procs]
        assert outcomes == ["ok"] * workers
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_connect_wal_gives_up_after_its_timeout_when_the_file_stays_locked(
        tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            connect_wal(path, timeout=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert connect_wal(path, timeout=1).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
