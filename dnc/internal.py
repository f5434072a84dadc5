"""The company's own do-not-call list (internal DNC), durable in SQLite.

An opt-out recorded during a call must be honoured from that instant by every process
(47 CFR 64.1200(d)(3); 16 CFR 310.4(b)(1)(iii)(A)). Look-ups read an in-memory index of the
listed numbers, and before each look-up ask SQLite whether any connection of any process
has committed since (``dnc.sqlite_change``: the WAL-index header, ~0.1 µs); if so, the
history rows added since are replayed into the index first. So a second process sees an
addition at its next look-up, at the cost of a dictionary probe otherwise. Removals are kept
in the history, never erased, so a compliance officer can see who listed or unlisted a number.

The internal list lives only in this SQLite file (``<data>/dnc/internal.db``), whatever
database the campaign store uses; its history is append-only with increasing ids, which is
what makes the replay exact.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dnc.errors import ComplianceError
from dnc.interfaces import RegistryHit, RegistryKind, RegistryVersion
from dnc.sqlite_change import HEADER_PAIR, ChangeWatch
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


_BLOCK_BITS = 13
"""Batch look-ups: one bit per block of 8192 NANP keys (a 1 MB bitmap)."""


class InternalDnc:
    """The internal list in ``<data>/dnc/internal.db``."""

    registry = "internal"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect_wal(path)
        self._db.executescript(_SCHEMA)
        self._watch = ChangeWatch(self._db, path)
        self._shm = self._watch.mapped
        # One lock for this connection's writes and the index's catch-up: the connection is
        # shared by the runner's threads, and a replay must never read another thread's
        # uncommitted (possibly rolled-back) history row.
        self._lock = threading.RLock()
        self._listed: dict[str, int] = {}
        """Listed number -> id of the history event that listed it."""
        self._last_id = -1          # -1: not loaded yet
        self._last_at = ""
        self._token: object = None
        self._nanp: tuple[int, np.ndarray, np.ndarray, frozenset[str]] | None = None
        """For batch look-ups, built on demand (``_batch_index``)."""

    def close(self) -> None:
        self._shm = None
        self._watch.close()
        self._db.close()

    # --- the in-memory index ----------------------------------------------------------------

    def _current(self) -> dict[str, int]:
        """The index, caught up with every commit visible now (any process)."""
        shm = self._shm
        if shm is not None and shm[:HEADER_PAIR] == self._token:
            # The shared header is byte for byte the consistent one of the last catch-up:
            # no commit since (``ChangeWatch.token``; the one check of every look-up).
            return self._listed
        token = self._watch.token()
        if token is None or token != self._token:
            with self._lock:
                self._catch_up()
                self._token = token
        return self._listed

    def _catch_up(self) -> None:
        if self._last_id < 0:
            # One statement, so one snapshot: the listed numbers and the history's head.
            rows = self._db.execute(
                "SELECT NULL, MAX(id), MAX(at) FROM internal_dnc_history UNION ALL "
                "SELECT number, history_id, NULL FROM internal_dnc").fetchall()
            _, last_id, last_at = rows[0]
            self._listed = {number: event for number, event, _ in rows[1:]}
            self._last_id, self._last_at = int(last_id or 0), last_at or ""
            return
        rows = self._db.execute(
            "SELECT id, number, action, at FROM internal_dnc_history WHERE id > ? ORDER BY id",
            (self._last_id,)).fetchall()
        for event, number, action, at in rows:
            if action == "add":
                self._listed[number] = event
            else:
                self._listed.pop(number, None)
            self._last_id = event
            self._last_at = max(self._last_at, at)

    def is_listed(self, number_e164: str) -> bool:
        """Is the number on the list now (every process's commits included)?"""
        return number_e164 in self._current()

    def listing(self, number_e164: str) -> tuple[bool, int]:
        """Is the number on the list now, and the id of the list's latest change (0: none),
        from one catch-up: the dial-time gate needs both at every dial (``is_listed`` and
        ``latest_change_id`` would each look for commits)."""
        shm = self._shm
        if shm is not None and shm[:HEADER_PAIR] == self._token:  # ``_current``'s fast path
            return number_e164 in self._listed, self._last_id
        return number_e164 in self._current(), self._last_id

    def _event(self, number: str, action: str, at: datetime, reason: str, actor: str,
               source: str | None) -> InternalEntry:
        if not reason.strip() or not actor.strip():
            raise ComplianceError("an internal DNC change needs a reason and who made it")
        stamp = _utc(at)
        with self._lock, self._db:
            self._token = None  # PRAGMA data_version does not count this connection's writes
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
        listed = self._current()
        return {number for number in numbers if number in listed}

    def listed_mask(self, numbers: Sequence[str], nanp_keys: np.ndarray) -> np.ndarray:
        """Boolean array over ``numbers``: listed now. ``nanp_keys`` are their NANP keys
        (``dnc.registry.keys.keys_of_e164``, -1 for any other number): NANP numbers are
        matched as keys (a bitmap of occupied key blocks first, so only the few queries in
        a block that holds a listed number are searched), the others by the index itself."""
        _, sorted_keys, blocks, others = self._batch_index()
        mask = np.zeros(len(nanp_keys), dtype=bool)
        if len(sorted_keys):
            candidates = np.flatnonzero(blocks[np.maximum(nanp_keys, 0) >> _BLOCK_BITS])
            wanted = nanp_keys[candidates]
            at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
            mask[candidates] = sorted_keys[at] == wanted
        if others:
            for index in np.flatnonzero(nanp_keys < 0):
                mask[index] = numbers[index] in others
        return mask

    def _batch_index(self) -> tuple[int, np.ndarray, np.ndarray, frozenset[str]]:
        """(last id, sorted NANP keys, occupied key blocks, other numbers), rebuilt when the
        list changed."""
        # Imported here: dnc.registry imports this module.
        from dnc.registry.keys import KEY_SPACE, key_of_e164

        listed = self._current()
        with self._lock:
            built = self._nanp
            if built is None or built[0] != self._last_id:
                keys, others = [], []
                for number in listed:
                    key = key_of_e164(number)
                    if key is None:
                        others.append(number)
                    else:
                        keys.append(key)
                sorted_keys = np.sort(np.array(keys, dtype=np.int64))
                blocks = np.zeros((KEY_SPACE >> _BLOCK_BITS) + 1, dtype=bool)
                blocks[sorted_keys >> _BLOCK_BITS] = True
                built = (self._last_id, sorted_keys, blocks, frozenset(others))
                self._nanp = built
        return built

    def latest_change_id(self) -> int:
        """Id of the latest listing or removal (0: none); names the list's state at dial time.

        From the index (caught up with every commit first)."""
        self._current()
        return self._last_id

    def version(self) -> RegistryVersion:
        """The list as of its latest change (the id of that change names the version)."""
        with self._lock:
            count = len(self._current())
            last_id, last_at = self._last_id, self._last_at
        as_of = datetime.fromisoformat(last_at) if last_at else datetime(1970, 1, 1, tzinfo=UTC)
        return RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{last_id}",
                               as_of, count)

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
        if number_e164 not in self._current():
            return []
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
