"""kill -9 the runner mid-campaign, restart it, and check the journal's promises.

The switch simulator runs in its own process (it must outlive the runner, like FreeSWITCH
does), the runner in another. After the restart: no lead has two attempts overlapping in
time (never redialed while its call might be live), attempt numbers count up without gaps,
every attempt open at the crash is closed with a reconciled outcome or was adopted and
followed to its end, no lead is left claimed or in a call, and every answered call that no
agent took counts in the abandonment ledger.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.dialer.runner.runner_kit import check_journal_invariants, make_store

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"switch simulator did not listen on {port}")


def _runner(tmp: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "demo", "--switch",
         f"esl://:ClueCon@127.0.0.1:{port}", "--home", str(tmp),
         "--db", f"sqlite:///{tmp / 'dialer.db'}", "--login-agents", "--simulate-agents",
         *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchone()[0]


def test_kill_minus_nine_then_restart_keeps_the_journal_whole(tmp_path):
    store = make_store(tmp_path, agents=3, leads=60, retry_delay=0.0)
    store.close()
    db = tmp_path / "dialer.db"
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "cli", "switch-sim", "--listen", f"127.0.0.1:{port}",
         "--speed", "10", "--playback-seconds", "2", "--seed", "11"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        first = _runner(tmp_path, port)
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if (_count(db, "SELECT count(*) FROM attempts") >= 3
                    and _count(db, "SELECT count(*) FROM attempts WHERE ended_at IS NULL")):
                break
        open_at_crash = _count(db, "SELECT count(*) FROM attempts WHERE ended_at IS NULL")
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        assert open_at_crash > 0, "nothing was in progress at the crash"

        second = _runner(tmp_path, port, "--duration", "1", "--stop-grace", "4")
        _, stderr = second.communicate(timeout=40)
        assert second.returncode == 0, stderr.decode()[-2000:]
    finally:
        switch.send_signal(signal.SIGINT)
        switch.wait(10)

    from dialer.runner.store import RunnerStore

    store = RunnerStore(db)
    attempts = check_journal_invariants(store)
    assert all(a["outcome"] is not None for a in attempts), "an attempt was lost open"
    reconciled = [a for a in attempts if a["reconciled"]]
    assert len(reconciled) >= 1
    for row in attempts:
        if row["answered_at"] is not None and row["bridged_at"] is None and row["reconciled"]:
            assert row["abandoned"] == 1, "an answered call nobody took left the ledger"
    counts = store.lead_counts("demo")
    assert counts.get("claimed", 0) == 0 and counts.get("in_call", 0) == 0
    # Every lead's attempt counter matches its journal.
    with sqlite3.connect(db) as connection:
        mismatched = connection.execute(
            "SELECT count(*) FROM leads l WHERE attempts != (SELECT count(*) FROM attempts a"
            " WHERE a.lead_id = CAST(l.id AS TEXT))").fetchone()[0]
    assert mismatched == 0
    store.close()
