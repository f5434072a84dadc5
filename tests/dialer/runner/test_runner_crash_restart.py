"""kill -9 the runner mid-campaign, restart it, and check the journal's promises.

The switch simulator runs in its own process (it must outlive the runner, like FreeSWITCH
does), the runner in another, on the campaign store. After the restart: no lead has two
attempts overlapping in time (never redialed while its call might be live), attempt numbers
count up without gaps and match each lead's counter, every attempt open at the crash is
closed with a reconciled outcome or was adopted and followed to its end, no lead is left
claimed or in a call, and the abandonment ledger after the restart counts every answered
call nobody took.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaigns.store import CampaignStore
from tests.dialer.runner.runner_kit import (
    check_journal_invariants,
    dialing_ahead_unguarded,
    make_store,
)

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 120.0) -> None:
    """Wait for the switch simulator to listen; the bound only stops a simulator that never
    starts (its start-up, imports included, took over 15 s with both cores saturated)."""
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


OPEN = "SELECT count(*) FROM call_attempt WHERE ended_at IS NULL"


async def _channels(port: int) -> list[dict]:
    from dialer.esl.connection import EslConnection
    from dialer.esl.url import EslUrl

    connection = await EslConnection.open(EslUrl("127.0.0.1", port, "ClueCon"))
    reader = asyncio.get_running_loop().create_task(connection.run())
    try:
        text = await connection.api("show channels as json")
    finally:
        reader.cancel()
        await connection.close()
    return json.loads(text).get("rows", [])


def test_kill_minus_nine_then_restart_keeps_the_journal_whole(tmp_path):
    # Two lines per agent, so that calls wait and are abandoned around the crash: not
    # telemarketing, with the abandonment-limit guard off (in the UK demo profile, where it
    # cannot be, it runs guarded).
    store = make_store(tmp_path, agents=3, leads=60, fast_retries=True, amd_enabled=False,
                       pacing_policy="power", lines_per_agent=2.0, **dialing_ahead_unguarded())
    store.close()
    db = tmp_path / "dialer.db"
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "cli", "switch-sim", "--listen", f"127.0.0.1:{port}",
         "--sound-file", "ivr/demo_safe_harbor.wav",
         "--speed", "10", "--playback-seconds", "2", "--seed", "11"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        first = _runner(tmp_path, port)
        # Crash it once it has dialed a few calls and some are in progress, however long a
        # loaded machine takes to start it; the bound only stops a runner that never dials.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.2)
            if _count(db, "SELECT count(*) FROM call_attempt") >= 3 and _count(db, OPEN):
                break
        open_at_crash = _count(db, OPEN)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        crashed_at = datetime.now(UTC)
        assert open_at_crash > 0, "nothing was in progress at the crash"

        second = _runner(tmp_path, port, "--duration", "1", "--stop-grace", "4")
        # A generous bound: it only stops a hung runner. Its start-up (imports, the store,
        # reconciling the crash) took over 40 s once with both cores saturated.
        _, stderr = second.communicate(timeout=150)
        assert second.returncode == 0, stderr.decode()[-2000:]
        # Issue 11's crash leftovers: the dead process's nailed-up agent legs were hung up
        # by the restart (the restarted one closed its own at its graceful stop), so no agent
        # phone stays connected to a dialer that no longer exists.
        left = [row for row in asyncio.run(_channels(port)) if row["name"].startswith("user/")]
        assert left == [], f"agent legs left on the switch: {left}"
    finally:
        switch.send_signal(signal.SIGINT)
        switch.wait(60)

    store = CampaignStore.open(f"sqlite:///{db}")
    attempts = check_journal_invariants(store)
    left_open = [a for a in attempts if a["outcome"] is None]
    # Rare (1 run in ~30 on a loaded machine): say what stayed open and what the restarted
    # runner said, so the next failure explains itself.
    assert not left_open, (
        f"an attempt was lost open: {left_open}\nsecond runner's log:\n"
        f"{stderr.decode(errors='replace')[-3000:]}"
    )
    reconciled = [a for a in attempts if a["hangup_cause"] == "CRASH"]
    # A call bridged before the crash and adopted keeps the bridge time the switch reports
    # (uuid_dump's Caller-Channel-Bridged-Time), not the restart's.
    for row in attempts:
        if (row["bridged_at"] is not None and row["dialed_at"] <= crashed_at
                and row["ended_at"] >= crashed_at):
            assert row["bridged_at"] <= crashed_at + timedelta(seconds=0.5), row
    adopted_or_closed = [a for a in attempts if a["dialed_at"] <= crashed_at
                         and a["ended_at"] >= crashed_at]
    assert len(adopted_or_closed) >= open_at_crash, "an attempt open at the crash vanished"
    for row in reconciled:
        if row["answered_at"] is not None and row["bridged_at"] is None:
            assert row["abandoned"], "an answered call nobody took left the ledger"
    counts = store.lead_status_counts("demo")
    assert counts.get("in_call", 0) == 0
    assert not [lead for lead in store.leads("demo", limit=1000) if lead.claimed_by]
    # The ledger a restarted process seeds from is the journal's: every abandon is in it.
    abandons = sum(1 for a in attempts if a["abandoned"])
    entries = store.ledger_entries("demo", since=datetime.now(UTC) - timedelta(days=1))
    assert sum(abandoned for _, abandoned in entries) == abandons
    store.close()
