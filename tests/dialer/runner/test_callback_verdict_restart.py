"""The gate's last verdict on a queue callback survives a restart (docs/inbound.md, "Why a
caller has not been called back").

A runner (its store connection, dial-time gate, callback gate, inbound link and engine, as
``Runner`` wires them) claims callback cb-0 at 21:30 in New York; the gate refuses it until
08:00 (federal calling hours) and the engine holds it. The runner stops. Another runner on
the same database claims it ten minutes later: before any agent is there to take it (no
check yet), the console shows the verdict from before the restart, with its reasons, the
instant it named in the caller's local time, when it was decided and its audit id, marked
"before the restart". An agent logs in, the gate is asked again, and its new verdict
replaces the old one.

Before, the verdict lived only in the first engine's memory: the second runner's console
read "not yet asked" until the next check. SQLite and PostgreSQL (the schema of
``test_runner_postgres``); fixed instants.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from campaigns.compliance import StoreAttemptHistory
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueStore
from campaigns.store import CampaignStore
from dialer.engine import CampaignConfig, Engine
from dialer.events import AgentLoggedIn
from dialer.ports import AllowAllGate, ListLeadSource
from dialer.runner.callback_board import CallerClock, queue_callbacks
from dialer.runner.callback_gate import CallbackGate
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dial_gate import DialTimeGate, rule_tables
from dialer.runner.execution import JournalStep
from dialer.runner.inbound import InboundLink, apply_queue_writes
from dnc.rules.audit import AuditLog
from pacing_models import make_policy
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.callback_journal_kit import RULES, Unlisted
from tests.dialer.runner.runner_kit import bare_execution
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

TABLES = rule_tables(Path("/nonexistent-data-dir"))  # the shipped tables
NUMBER = "+12125550140"  # New York: federal hours 08:00-21:00
LATE = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)  # Monday 21:30 in New York
OPENS = datetime(2026, 12, 8, 13, tzinfo=UTC)  # Tuesday 08:00 in New York


def _seed(url: str) -> None:
    store = CampaignStore.open(url)
    before = LATE - timedelta(days=40)
    QueueStore(store).create({"name": "sales"}, at=before)
    store.create_campaign("spring", {**STARTABLE, "queues": ["sales"]}, at=before)
    store.transition_campaign("spring", "running", at=before)
    QueueCallbacks(store).add_callback(
        "cb-0", "sales", NUMBER, LATE - timedelta(minutes=20), at=LATE - timedelta(minutes=20)
    )
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'dialer.db'}"
    else:
        found = request.getfixturevalue("pg_schema_url")
    _seed(found)
    return found


class Run:
    """One runner process: its own store connection and gates, the inbound link, the
    engine, and the command side's store writes applied by its journal step."""

    def __init__(self, url: str, owner: str, now: datetime, audit: Path) -> None:
        self.now = now.timestamp()
        self.store = CampaignStore.open(url, upgrade=False)
        self.gate = DialTimeGate(
            RULES,
            Unlisted(),
            StoreAttemptHistory(self.store),
            inner_opted_out=lambda number: False,
            tables=TABLES,
            audit=AuditLog(audit, fsync_every=1),
        )
        self.link = CampaignLink(self.store, "spring", owner)
        self.inbound = InboundLink(
            self.link,
            None,
            prompt_dirs=(),  # type: ignore[arg-type]
            prompts_on_switch=None,
            clock=lambda: self.now,
            post=lambda event: None,
        )
        self.inbound.callback_gate = CallbackGate(self.gate, "spring")
        self.engine = Engine(
            CampaignConfig(campaign_id="spring", caller_id_number="+12015550100"),
            make_policy("progressive"),
            ListLeadSource([]),
            AllowAllGate(),
            assume_switches_up=True,
            queues=self.inbound.queues,
            callback_gate=self.inbound.callback_gate,
        )
        self.inbound.attach(self.engine)
        step = JournalStep(self.store, owner, self.gate, apply_queue_writes)
        self.execution = bare_execution(
            default_switch="s",
            switches=None,
            gate=self.gate,
            stats=None,
            clock=lambda: self.now,
            post=lambda event: None,
        )
        self.execution.inbound = self.inbound
        self.execution.db = SimpleNamespace(write=step)

    def handle(self, event: object) -> None:
        """The engine's event; the command side's writes that follow its commands (the
        agents' screens and switch commands are not what these tests are about)."""
        self.engine.handle(event)  # type: ignore[arg-type]
        asyncio.run(self.execution.execute([]))

    def claim(self) -> None:
        for pending in self.inbound.claim(self.now):  # database thread, at start
            self.handle(pending)

    def board(self) -> dict:
        runner = SimpleNamespace(
            engine=self.engine,
            inbound=self.inbound,
            watchers=SimpleNamespace(caller_clock=CallerClock(TABLES)),
        )
        (row,) = queue_callbacks(runner, self.now)  # type: ignore[arg-type]
        return row

    def stop(self) -> None:
        self.inbound.release()
        self.gate.close()
        self.store.close()


def test_the_last_verdict_is_shown_after_a_restart_until_the_next_check(url, tmp_path) -> None:
    first = Run(url, "run-1", LATE, tmp_path / "audit-1")
    first.claim()
    first.handle(AgentLoggedIn(first.now, "agent1"))
    held = first.board()
    assert held["state"] == "held" and held["verdict_kind"] == "wait"
    assert held["verdict"].startswith("us.calling_hours: ")
    decision = held["decision_id"]
    assert decision.startswith("dial:")
    first.stop()

    later = LATE + timedelta(minutes=10)
    second = Run(url, "run-2", later, tmp_path / "audit-2")
    second.claim()  # restored; no agent yet: the gate has not been asked in this run
    row = second.board()
    assert row["state"] == "in line" and row["attempts"] == 0
    assert row["verdict_kind"] == "wait" and row["verdict_at"] == LATE.timestamp()
    assert row["decision_id"] == decision and row["verdict_before_restart"] is True
    reasons = held["verdict"].split("; next try at ")[0]
    assert row["verdict"] == (
        f"{reasons}; allowed from Tue 08:00 caller's local time (America/New_York) "
        f"(decided 02:30 UTC before the restart, audit {decision})"
    )

    second.now = (later + timedelta(minutes=5)).timestamp()
    second.handle(AgentLoggedIn(second.now, "agent1"))  # its turn: the gate asked again
    row = second.board()
    assert row["verdict_before_restart"] is False and row["decision_id"] != decision
    assert row["verdict_at"] == second.now and row["state"] == "held"
    assert "before the restart" not in row["verdict"]
    assert "; next try at Tue 08:00 caller's local time (America/New_York)" in row["verdict"]
    assert row["next_try_at"] == OPENS.timestamp()
    # The store holds the new verdict (what a third start would show).
    (stored,) = QueueCallbacks(second.store).callbacks(status="pending")
    assert stored.last_verdict["decision_id"] == row["decision_id"]
    assert stored.last_verdict["earliest_allowed"] == OPENS.isoformat()
    second.stop()
