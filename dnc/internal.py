"""The company's own do-not-call list (internal DNC), durable in SQLite.

An opt-out recorded during a call must be honoured from that instant by every process
(47 CFR 64.1200(d)(3); 16 CFR 310.4(b)(1)(iii)(A)): look-ups go straight to an indexed
table, so a second process sees an addition as soon as it is committed. Removals are kept
in the history, never erased, so a compliance officer can see who listed or unlisted a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dnc.errors import ComplianceError
from dnc.interfaces import RegistryHit, RegistryKind, RegistryVersion
from dnc.sqlite_wal import connect_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS internal_dnc_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT
);
CREATE TABLE IF NOT EXISTS internal_dnc (
    number TEXT PRIMARY KEY,
    history_id INTEGER NOT NULL REFERENCES internal_dnc_history(id)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class InternalEntry:
    """One event of the internal list's history."""

    id: int
    number: str
    action: str
    at: datetime
    reason: str
    actor: str
    source: str | None


def _check_number(number: str) -> str:
    if not (number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16):
        raise ComplianceError(f"{number!r} is not an E.164 number (e.g. +12015550123)")
    return number


def _utc(at: datetime) -> str:
    if at.tzinfo is None:
        raise ComplianceError("internal DNC times must be timezone-aware")
    return at.astimezone(UTC).isoformat()


class InternalDnc:
    """The internal list in ``<data>/dnc/internal.db``."""

    registry = "internal"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect_wal(path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _event(self, number: str, action: str, at: datetime, reason: str, actor: str,
               source: str | None) -> InternalEntry:
        if not reason.strip() or not actor.strip():
            raise ComplianceError("an internal DNC change needs a reason and who made it")
        stamp = _utc(at)
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            cursor = self._db.execute(
                "INSERT INTO internal_dnc_history (number, action, at, reason, actor, source) "
                "VALUES (?, ?, ?, ?, ?, ?)", (number, action, stamp, reason, actor, source))
            event_id = int(cursor.lastrowid)
            if action == "add":
                self._db.execute("INSERT OR REPLACE INTO internal_dnc VALUES (?, ?)",
                                 (number, event_id))
            else:
                self._db.execute("DELETE FROM internal_dnc WHERE number = ?", (number,))
        return InternalEntry(event_id, number, action, datetime.fromisoformat(stamp), reason,
                             actor, source)

    def add(self, number: str, at: datetime, reason: str, added_by: str,
            source: str | None = None) -> InternalEntry:
        """List a number (e.g. an opt-out during call ``source``); effective when it returns."""
        return self._event(_check_number(number), "add", at, reason, added_by, source)

    def remove(self, number: str, at: datetime, reason: str, removed_by: str) -> InternalEntry:
        """Unlist a number; the listing and this removal stay in the history."""
        if self.entry(number) is None:
            raise ComplianceError(f"{number} is not on the internal DNC list")
        return self._event(number, "remove", at, reason, removed_by, None)

    def entry(self, number: str) -> InternalEntry | None:
        row = self._db.execute(
            "SELECT h.id, h.number, h.action, h.at, h.reason, h.actor, h.source "
            "FROM internal_dnc d JOIN internal_dnc_history h ON h.id = d.history_id "
            "WHERE d.number = ?", (number,)).fetchone()
        return _entry(row) if row else None

    def history(self, number: str | None = None) -> list[InternalEntry]:
        sql = ("SELECT id, number, action, at, reason, actor, source FROM internal_dnc_history"
               + (" WHERE number = ?" if number else "") + " ORDER BY id")
        return [_entry(row) for row in self._db.execute(sql, (number,) if number else ())]

    def listed(self, numbers: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(numbers), 500):
            part = list(numbers[start:start + 500])
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in self._db.execute(
                f"SELECT number FROM internal_dnc WHERE number IN ({marks})", part))
        return found

    def latest_change_id(self) -> int:
        """Id of the latest listing or removal (0: none); names the list's state at dial time.

        One index look-up (``version`` also counts the list, which grows with it)."""
        (last_id,) = self._db.execute("SELECT MAX(id) FROM internal_dnc_history").fetchone()
        return int(last_id or 0)

    def version(self) -> RegistryVersion:
        """The list as of its latest change (the id of that change names the version)."""
        last_id, last_at = self._db.execute(
            "SELECT MAX(id), MAX(at) FROM internal_dnc_history").fetchone()
        (count,) = self._db.execute("SELECT COUNT(*) FROM internal_dnc").fetchone()
        as_of = datetime.fromisoformat(last_at) if last_at else datetime(1970, 1, 1, tzinfo=UTC)
        return RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{last_id or 0}",
                               as_of, int(count))

    def entry_at(self, number: str, at: datetime) -> InternalEntry | None:
        """The listing in force at ``at`` (the last event for the number at or before it,
        if that was an addition)."""
        rows = self._db.execute(
            "SELECT id, number, action, at, reason, actor, source FROM internal_dnc_history "
            "WHERE number = ? ORDER BY id", (number,)).fetchall()
        last = None
        for row in rows:
            if datetime.fromisoformat(row[3]) <= at:
                last = row
        return _entry(last) if last is not None and last[2] == "add" else None

    def hits_at(self, number_e164: str, at: datetime) -> list[RegistryHit]:
        listed = self.entry_at(number_e164, at)
        if listed is None:
            return []
        detail = f"{listed.reason} by {listed.actor} at {listed.at.isoformat()}"
        version = RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{listed.id}",
                                  listed.at, 1)
        return [RegistryHit(version, detail)]

    def version_at(self, at: datetime) -> RegistryVersion:
        """The list as of its last change at or before ``at``."""
        stamp = _utc(at)
        last_id, last_at = self._db.execute(
            "SELECT MAX(id), MAX(at) FROM internal_dnc_history WHERE at <= ?",
            (stamp,)).fetchone()
        as_of = datetime.fromisoformat(last_at) if last_at else datetime(1970, 1, 1, tzinfo=UTC)
        return RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{last_id or 0}",
                               as_of, 0)

    def hits(self, number_e164: str) -> list[RegistryHit]:
        listed = self.entry(number_e164)
        if listed is None:
            return []
        detail = f"{listed.reason} by {listed.actor} at {listed.at.isoformat()}"
        if listed.source:
            detail += f" ({listed.source})"
        version = RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{listed.id}",
                                  listed.at, 1)
        return [RegistryHit(version, detail)]


def _entry(row: tuple) -> InternalEntry:
    return InternalEntry(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4],
                         row[5], row[6])
