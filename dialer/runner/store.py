"""The runner's storage: campaigns, agents, leads, the attempt journal, agent history, opt-outs.

One SQLite file (WAL, ``synchronous=NORMAL``: a committed transaction survives ``kill -9`` of
the process). Every method is a short transaction; the runner calls them from one dedicated
thread so the event loop never waits on the disk except where the law of the journal
demands it (an attempt is committed before its originate is sent).

Lead life cycle: ``ready`` → ``claimed`` (in a runner's memory, not dialed) → ``in_call``
(journaled: an originate may have been sent) → ``ready`` again for a retry (``next_at``) or
``done``. After a crash, ``claimed`` leads go back to ``ready`` (never dialed, because the
journal precedes the originate) and ``in_call`` leads are reconciled with the switch.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialer.commands import AgentStateChanged, AttemptFinished, CallOutcome, JournalAttempt
from dialer.ports import DialTarget
from dialer.runner.errors import CampaignNotFoundError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    name TEXT PRIMARY KEY, config TEXT NOT NULL, max_attempts INTEGER NOT NULL DEFAULT 3,
    retry_delay REAL NOT NULL DEFAULT 3600, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    campaign TEXT NOT NULL, agent_id TEXT NOT NULL, endpoint TEXT NOT NULL,
    skills TEXT NOT NULL DEFAULT '', PRIMARY KEY (campaign, agent_id));
CREATE TABLE IF NOT EXISTS leads (
    id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, number TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT '', region TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'ready', attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0, last_outcome TEXT, last_agent TEXT);
CREATE INDEX IF NOT EXISTS leads_dialable ON leads (campaign, status, next_at);
CREATE TABLE IF NOT EXISTS attempts (
    call_id TEXT PRIMARY KEY, campaign TEXT NOT NULL, lead_id TEXT NOT NULL,
    number TEXT NOT NULL, attempt_number INTEGER NOT NULL, switch_id TEXT NOT NULL,
    direction TEXT NOT NULL, verdict TEXT NOT NULL, journaled_at REAL NOT NULL,
    answered_at REAL, bridged_at REAL, ended_at REAL, outcome TEXT, cause TEXT,
    answer_kind TEXT, abandoned INTEGER NOT NULL DEFAULT 0, agent_id TEXT,
    recording_path TEXT, opted_out INTEGER NOT NULL DEFAULT 0, reconciled TEXT);
CREATE INDEX IF NOT EXISTS attempts_open ON attempts (campaign, ended_at);
CREATE INDEX IF NOT EXISTS attempts_lead ON attempts (campaign, lead_id);
CREATE TABLE IF NOT EXISTS agent_states (
    id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, agent_id TEXT NOT NULL, at REAL NOT NULL,
    state TEXT NOT NULL, previous TEXT NOT NULL, reason TEXT NOT NULL, call_id TEXT);
CREATE TABLE IF NOT EXISTS opt_outs (
    number TEXT PRIMARY KEY, at REAL NOT NULL, campaign TEXT NOT NULL, call_id TEXT,
    reason TEXT NOT NULL);
"""

# Outcomes after which a lead is finished whatever its attempt count.
_FINAL = {CallOutcome.CONNECTED, CallOutcome.ABANDONED, CallOutcome.MACHINE_MESSAGE}


@dataclass(frozen=True, slots=True)
class AgentSpec:
    agent_id: str
    endpoint: str
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class OpenAttempt:
    """An attempt journaled but not finished: its call may still be live on a switch."""

    call_id: str
    lead_id: str
    number_e164: str
    attempt_number: int
    switch_id: str
    journaled_at: float
    answered_at: float | None


@dataclass(frozen=True, slots=True)
class LeadRow:
    number_e164: str
    timezone: str = ""
    region: str = ""


class RunnerStore:
    """Short transactions over one SQLite file; safe to call from one thread at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _tx(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    self._db.execute(sql, params)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- set-up ------------------------------------------------------------------------------

    def create_campaign(self, name: str, config: Mapping[str, Any], agents: Iterable[AgentSpec],
                        leads: Iterable[LeadRow], at: float, max_attempts: int = 3,
                        retry_delay: float = 3600.0) -> None:
        statements: list[tuple[str, tuple[Any, ...]]] = [
            ("INSERT INTO campaigns (name, config, max_attempts, retry_delay, created_at) "
             "VALUES (?, ?, ?, ?, ?)", (name, json.dumps(dict(config)), max_attempts,
                                        retry_delay, at))]
        statements += [("INSERT INTO agents VALUES (?, ?, ?, ?)",
                        (name, a.agent_id, a.endpoint, ",".join(sorted(a.skills))))
                       for a in agents]
        statements += [("INSERT INTO leads (campaign, number, timezone, region) "
                        "VALUES (?, ?, ?, ?)", (name, lead.number_e164, lead.timezone,
                                                lead.region)) for lead in leads]
        self._tx(statements)

    def campaign_config(self, name: str) -> dict[str, Any]:
        rows = self._query("SELECT config FROM campaigns WHERE name = ?", (name,))
        if not rows:
            known = [r["name"] for r in self._query("SELECT name FROM campaigns ORDER BY name")]
            raise CampaignNotFoundError(
                f"campaign {name!r} is not in {self.path}"
                + (f" (known: {', '.join(known)})" if known else " (no campaigns yet)"))
        config: dict[str, Any] = json.loads(rows[0]["config"])
        return config

    def agents(self, campaign: str) -> list[AgentSpec]:
        rows = self._query("SELECT * FROM agents WHERE campaign = ? ORDER BY agent_id",
                           (campaign,))
        return [AgentSpec(r["agent_id"], r["endpoint"],
                          frozenset(s for s in r["skills"].split(",") if s)) for r in rows]

    # --- hopper ------------------------------------------------------------------------------

    def claim_leads(self, campaign: str, n: int, at: float) -> list[DialTarget]:
        """Claim up to ``n`` dialable leads (never a number on the internal opt-out list)."""
        if n <= 0:
            return []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(
                    "UPDATE leads SET status = 'claimed' WHERE id IN ("
                    " SELECT id FROM leads WHERE campaign = ? AND status = 'ready'"
                    " AND next_at <= ? ORDER BY next_at, id LIMIT ?)"
                    " RETURNING id, number, timezone, region, attempts, last_agent",
                    (campaign, at, n)).fetchall()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        rows.sort(key=lambda r: r["id"])
        return [DialTarget(
            lead_id=str(r["id"]), number_e164=r["number"], campaign=campaign,
            attempt_number=r["attempts"] + 1, customer_key=r["number"],
            previous_agent_id=r["last_agent"],
            attributes={"timezone": r["timezone"], "region": r["region"]}) for r in rows]

    def release_leads(self, lead_ids: Iterable[str], status: str = "ready") -> None:
        self._tx(("UPDATE leads SET status = ? WHERE id = ? AND status = 'claimed'",
                  (status, int(lead_id))) for lead_id in lead_ids)

    def release_all_claims(self, campaign: str) -> int:
        """Claims held by a runner that is gone: those leads were never dialed."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE leads SET status = 'ready' WHERE campaign = ? AND status = 'claimed'",
                (campaign,))
            return cursor.rowcount

    def dialable_count(self, campaign: str, at: float) -> int:
        return self._query("SELECT count(*) FROM leads WHERE campaign = ? AND status = 'ready'"
                           " AND next_at <= ?", (campaign, at))[0][0]

    # --- journal -----------------------------------------------------------------------------

    @staticmethod
    def journal_statements(journal: JournalAttempt) -> list[tuple[str, tuple[Any, ...]]]:
        verdict = json.dumps({"allowed": journal.verdict.allowed,
                              "reasons": list(journal.verdict.reasons),
                              "registry_versions": list(journal.verdict.registry_versions),
                              "decision_id": journal.verdict.decision_id})
        return [
            ("INSERT INTO attempts (call_id, campaign, lead_id, number, attempt_number,"
             " switch_id, direction, verdict, journaled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (journal.call_id, journal.campaign, journal.lead_id, journal.number_e164,
              journal.attempt_number, journal.switch_id, journal.direction.value, verdict,
              journal.at)),
            ("UPDATE leads SET status = 'in_call', attempts = ? WHERE id = ?",
             (journal.attempt_number, int(journal.lead_id))),
        ]

    def finish_statements(self, finished: AttemptFinished, max_attempts: int,
                          retry_delay: float, reconciled: str | None = None,
                          ) -> list[tuple[str, tuple[Any, ...]]]:
        statements: list[tuple[str, tuple[Any, ...]]] = [(
            "UPDATE attempts SET answered_at = ?, bridged_at = ?, ended_at = ?, outcome = ?,"
            " cause = ?, answer_kind = ?, abandoned = ?, agent_id = ?, recording_path = ?,"
            " opted_out = ?, reconciled = ? WHERE call_id = ? AND ended_at IS NULL",
            (finished.answered_at, finished.bridged_at, finished.ended_at,
             finished.outcome.value, finished.cause.name,
             finished.answer_kind.value if finished.answer_kind else None,
             int(finished.abandoned), finished.agent_id, finished.recording_path,
             int(finished.opted_out), reconciled, finished.call_id))]
        if finished.lead_id is not None:
            done = (finished.outcome in _FINAL or finished.opted_out
                    or finished.attempt_number >= max_attempts)
            statements.append((
                "UPDATE leads SET status = ?, next_at = ?, last_outcome = ?,"
                " last_agent = coalesce(?, last_agent) WHERE id = ? AND status = 'in_call'",
                ("done" if done else "ready", finished.ended_at + retry_delay,
                 finished.outcome.value, finished.agent_id, int(finished.lead_id))))
        return statements

    def apply(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Commit a batch of statements made by the ``*_statements`` helpers as one unit."""
        if statements:
            self._tx(statements)

    def retry_policy(self, campaign: str) -> tuple[int, float]:
        row = self._query("SELECT max_attempts, retry_delay FROM campaigns WHERE name = ?",
                          (campaign,))[0]
        return int(row[0]), float(row[1])

    @staticmethod
    def agent_state_statement(campaign: str, change: AgentStateChanged,
                              ) -> tuple[str, tuple[Any, ...]]:
        return ("INSERT INTO agent_states (campaign, agent_id, at, state, previous, reason,"
                " call_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (campaign, change.agent_id, change.at, change.state.value,
                 change.previous.value, change.reason, change.call_id))

    @staticmethod
    def opt_out_statement(number: str, at: float, campaign: str, call_id: str | None,
                          reason: str) -> tuple[str, tuple[Any, ...]]:
        return ("INSERT OR IGNORE INTO opt_outs VALUES (?, ?, ?, ?, ?)",
                (number, at, campaign, call_id, reason))

    def opted_out(self, number: str) -> bool:
        return bool(self._query("SELECT 1 FROM opt_outs WHERE number = ?", (number,)))

    def opt_out_numbers(self) -> set[str]:
        return {r[0] for r in self._query("SELECT number FROM opt_outs")}

    # --- recovery ----------------------------------------------------------------------------

    def open_attempts(self, campaign: str) -> list[OpenAttempt]:
        rows = self._query("SELECT * FROM attempts WHERE campaign = ? AND ended_at IS NULL"
                           " ORDER BY journaled_at", (campaign,))
        return [OpenAttempt(r["call_id"], r["lead_id"], r["number"], r["attempt_number"],
                            r["switch_id"], r["journaled_at"], r["answered_at"]) for r in rows]

    def ledger_seed(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        """(answered_at, abandoned) of live answers in the window: the legal ledger."""
        rows = self._query(
            "SELECT answered_at, abandoned FROM attempts WHERE campaign = ? AND answered_at >= ?"
            " AND (answer_kind IS NULL OR answer_kind != 'machine') AND outcome IS NOT NULL"
            " AND outcome NOT IN ('machine', 'machine_message')", (campaign, since))
        return [(float(r[0]), bool(r[1])) for r in rows]

    # --- reading -----------------------------------------------------------------------------

    def attempts(self, campaign: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._query(
            "SELECT * FROM attempts WHERE campaign = ? ORDER BY journaled_at", (campaign,))]

    def lead_counts(self, campaign: str) -> dict[str, int]:
        return {r[0]: r[1] for r in self._query(
            "SELECT status, count(*) FROM leads WHERE campaign = ? GROUP BY status",
            (campaign,))}

    def agent_history(self, campaign: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._query(
            "SELECT * FROM agent_states WHERE campaign = ? ORDER BY id", (campaign,))]
