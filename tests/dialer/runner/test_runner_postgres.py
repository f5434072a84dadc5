"""Two ``dialer run`` processes dial one campaign against one PostgreSQL.

Each process has its own ``--instance`` (process owner) and its own agents; both claim from
the one hopper (``FOR UPDATE SKIP LOCKED``) and journal into the one ``call_attempt`` table.
Checked: no lead claimed or dialed by both (retries are hours away, so each lead is dialed
at most once), each attempt carries its process's owner, both processes dialed, and each
process's ledger includes the other's live answers (the abandonment ledger is per campaign,
``AbandonLedger.set_shared_counts``), as its dashboard snapshot shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.dialer.runner.runner_kit import (
    attempts,
    check_journal_invariants,
    dialing_ahead_unguarded,
    make_store,
)
from tests.dialer.runner.test_runner_crash_restart import ROOT, _free_port, _wait_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_schema_url(postgres_url: str):
    import psycopg

    schema = f"test_runner_{uuid.uuid4().hex[:10]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _runner(tmp: Path, port: int, db: str, instance: str, agents: list[str],
            duration: float) -> subprocess.Popen:
    agent_args = [arg for name in agents for arg in ("--agent", name)]
    with (tmp / f"{instance}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "run", "demo", "--switch",
             f"esl://:ClueCon@127.0.0.1:{port}", "--home", str(tmp), "--db", db,
             "--instance", instance, "--login-agents", *agent_args, "--simulate-agents",
             "--duration", str(duration), "--stop-grace", "3", "--json"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _snapshot(tmp: Path, instance: str, deadline: float) -> dict:
    """The process's dashboard snapshot, once it has seen the other's live answers."""
    from dialer.runner.control import request_sync
    from dialer.runner.errors import ControlSocketError
    from dialer.runner.settings import control_socket_path

    snapshot: dict = {}
    while time.monotonic() < deadline:
        try:
            answer = request_sync(control_socket_path(tmp, "demo", instance), {"op": "snapshot"})
        except ControlSocketError:
            answer = {}
        snapshot = answer.get("snapshot", {})
        if (snapshot.get("other_processes") or {}).get("live_answers"):
            break
        time.sleep(0.5)
    return snapshot


def _log_tail(tmp: Path, instance: str, lines: int = 40) -> str:
    """The end of a runner's log (its stderr goes to a file: a pipe nobody reads while it
    runs could fill and stall it)."""
    text = (tmp / f"{instance}.log").read_text(errors="replace").splitlines()
    return f"--- {instance}.log (last {lines} lines)\n" + "\n".join(text[-lines:]) + "\n"


def test_two_runner_processes_share_one_campaign_on_postgres(tmp_path, pg_schema_url):
    # Two lines per agent as before the abandonment-limit guard: not telemarketing, with
    # the guard off (in the UK demo profile, where it cannot be, it runs guarded).
    store = make_store(tmp_path, agents=6, leads=400, url=pg_schema_url, amd_enabled=False,
                       pacing_policy="power", lines_per_agent=2.0, **dialing_ahead_unguarded())
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "cli", "switch-sim", "--listen", f"127.0.0.1:{port}",
         "--sound-file", "ivr/demo_safe_harbor.wav",
         "--speed", "6", "--playback-seconds", "1", "--seed", "8"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    snapshots: dict[str, dict] = {}
    try:
        _wait_port(port)
        # Both run until each has seen the other's live answers, then are stopped as an
        # operator stops them (SIGTERM: the graceful stop), not after a fixed time that a
        # loaded machine may spend starting them.
        first = _runner(tmp_path, port, pg_schema_url, "p1", ["agent1", "agent2", "agent3"],
                        600)
        second = _runner(tmp_path, port, pg_schema_url, "p2", ["agent4", "agent5", "agent6"],
                         600)
        # A generous bound, shared by both (it only stops processes that never see each
        # other's answers, and it ends before pytest-timeout's 300 s so that the failure
        # shows the runners' logs). Starting two runners and their first answered calls
        # took over 30 s with both cores saturated.
        deadline = time.monotonic() + 200
        try:
            for instance in ("p1", "p2"):
                snapshots[instance] = _snapshot(tmp_path, instance, deadline)
        finally:
            for process in (first, second):
                process.send_signal(signal.SIGTERM)
        for process in (first, second):
            process.wait(timeout=60)
    finally:
        switch.send_signal(signal.SIGINT)
        switch.wait(60)
    for process, instance in zip((first, second), ("p1", "p2"), strict=True):
        assert process.returncode == 0, _log_tail(tmp_path, instance)

    rows = check_journal_invariants(store)
    owners = Counter(row["process_owner"] for row in rows)
    assert set(owners) == {"p1", "p2"} and min(owners.values()) > 0, owners
    per_lead = Counter(row["lead_id"] for row in rows)
    assert max(per_lead.values()) == 1, "a lead was dialed twice"
    assert all(row["outcome"] is not None for row in rows)
    assert not [lead for lead in store.leads("demo", limit=1000) if lead.claimed_by]
    assert store.lead_status_counts("demo").get("in_call", 0) == 0
    # One ledger: each process counts the other's live answers in its own window.
    for instance, other in (("p1", "p2"), ("p2", "p1")):
        snapshot = snapshots[instance]
        shared = (snapshot.get("other_processes") or {}).get("live_answers", 0)
        assert shared > 0, (f"{instance} does not see {other}'s live answers\n"
                            + _log_tail(tmp_path, "p1") + _log_tail(tmp_path, "p2"))
        assert snapshot["live_answers_in_window"] >= shared
    total_live = sum(1 for r in attempts(store) if r["answered_at"] is not None)
    assert snapshots["p1"]["live_answers_in_window"] <= total_live
    store.close()
