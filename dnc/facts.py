"""Facts an officer imports about numbers, durable in SQLite (``<data>/dnc/facts.db``):

- **line types** (a carrier look-up export): numbers or number blocks with their type
  (wireless, landline, voip). An entry for a number (e.g. a ported number) beats any block
  entry; among blocks the longest prefix wins; a later import of the same number or block
  replaces the earlier one from its import time on.
- **consent revocations** received by any reasonable means (FCC 24-24, 47 CFR
  64.1200(a)(10)): `dialer compliance revoke` or a revocations file; honoured from the
  moment they are recorded (the rule's outer limit is 10 business days).
- **FCC Reassigned Numbers Database results**: the bulk query answers (number, date ->
  yes / no / no data) that give the 47 CFR 64.1200(m) safe harbour.

Every row keeps when it was recorded, so a decision about a past instant sees what was on
record then (``dialer compliance explain --at``). Rows are never deleted; a correction is a
newer row. Look-ups go straight to indexed tables: another process's import is seen at its
next look-up. A caller that keeps answers in memory (the dial-time gate keeps each kept
lead's revocations) asks ``change_token()`` before using them: it differs whenever any
connection of any process has committed since (``dnc.sqlite_change``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dnc.errors import ImportFormatError
from dnc.interfaces import (
    LineType,
    LineTypeRecord,
    Revocation,
    RndAnswer,
    RndResult,
    contact_key,
)
from dnc.sqlite_change import ChangeWatch
from dnc.sqlite_wal import connect_wal

FACTS_NAME = "facts.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS line_type (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix TEXT NOT NULL,
    is_number INTEGER NOT NULL,
    line_type TEXT NOT NULL,
    as_of TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_line_type_prefix ON line_type (prefix, recorded_at);
CREATE TABLE IF NOT EXISTS revocation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT,
    contact_id TEXT,
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    contact_key TEXT
);
CREATE INDEX IF NOT EXISTS ix_revocation_number ON revocation (number);
CREATE INDEX IF NOT EXISTS ix_revocation_contact ON revocation (contact_id);
CREATE TABLE IF NOT EXISTS rnd_result (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    date TEXT NOT NULL,
    answer TEXT NOT NULL,
    queried_at TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_rnd_number ON rnd_result (number);
"""
def _add_contact_keys(db) -> None:
    """The revocation table's ``contact_key`` (``dnc.interfaces.contact_key``) and its index,
    added to a facts file written before 2026-12-07 and filled from each row's person, in
    one write transaction (two processes opening it at once: the second finds it done)."""
    def has_key() -> bool:
        return any(row[1] == "contact_key" for row in db.execute(
            "PRAGMA table_info(revocation)"))
    if not has_key():
        with db:
            db.execute("BEGIN IMMEDIATE")
            if not has_key():
                db.execute("ALTER TABLE revocation ADD COLUMN contact_key TEXT")
                rows = db.execute("SELECT id, contact_id FROM revocation "
                                  "WHERE contact_id IS NOT NULL").fetchall()
                db.executemany("UPDATE revocation SET contact_key = ? WHERE id = ?",
                               [(contact_key(person), row) for row, person in rows])
    db.execute("CREATE INDEX IF NOT EXISTS ix_revocation_contact_key "
               "ON revocation (contact_key)")


LINE_TYPE_WORDS = {
    "wireless": LineType.WIRELESS, "mobile": LineType.WIRELESS, "cell": LineType.WIRELESS,
    "cellular": LineType.WIRELESS, "landline": LineType.LANDLINE, "fixed": LineType.LANDLINE,
    "fixed_line": LineType.LANDLINE, "wireline": LineType.LANDLINE, "voip": LineType.VOIP,
}
RND_WORDS = {"yes": RndAnswer.YES, "no": RndAnswer.NO, "no data": RndAnswer.NO_DATA,
             "no_data": RndAnswer.NO_DATA, "nodata": RndAnswer.NO_DATA}


def _utc(at: datetime) -> str:
    if at.tzinfo is None:
        raise ImportFormatError(f"time {at.isoformat()} has no UTC offset")
    return at.astimezone(UTC).isoformat()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import recorded."""

    kind: str
    read: int
    recorded: int
    path: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "read": self.read, "recorded": self.recorded,
                "path": self.path}


class NumberFactsStore:
    """``dnc.interfaces.NumberFacts`` over ``<data>/dnc/facts.db``."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect_wal(path)
        self._db.executescript(_SCHEMA)
        _add_contact_keys(self._db)
        self._watch = ChangeWatch(self._db, path)
        self._own_writes = 0

    def close(self) -> None:
        self._watch.close()
        self._db.close()

    def change_token(self) -> object:
        """Differs from any earlier token once anything was committed since (by any
        connection); None while a commit is being published (treat as changed)."""
        token = self._watch.token()
        return None if token is None else (self._own_writes, token)

    # --- look-ups (dnc.interfaces.NumberFacts) ---------------------------------------------

    def line_type(self, number_e164: str, at: datetime) -> LineTypeRecord | None:
        return self.line_types([number_e164], at).get(number_e164)

    def line_types(self, numbers: Sequence[str], at: datetime) -> dict[str, LineTypeRecord]:
        """The registry's answer for each number at ``at`` (batched: two queries)."""
        stamp = _utc(at)
        found: dict[str, LineTypeRecord] = {}
        numbers = list(dict.fromkeys(numbers))
        for start in range(0, len(numbers), 400):
            part = numbers[start:start + 400]
            exact = self._latest(part, stamp, True)
            for number in part:
                if number in exact:
                    kind, as_of, source = exact[number]
                    found[number] = LineTypeRecord(
                        kind, f"line-type registry: number {number} ({source})", as_of)
            rest = [n for n in part if n not in found]
            prefixes = sorted({n[:length] for n in rest for length in range(3, len(n))})
            blocks = self._latest(prefixes, stamp, False) if prefixes else {}
            for number in rest:
                for length in range(len(number) - 1, 2, -1):
                    hit = blocks.get(number[:length])
                    if hit is not None:
                        kind, as_of, source = hit
                        found[number] = LineTypeRecord(
                            kind, f"line-type registry: block {number[:length]} ({source})",
                            as_of)
                        break
        return found

    def _latest(self, prefixes: Sequence[str], stamp: str, is_number: bool
                ) -> dict[str, tuple[LineType, datetime | None, str]]:
        out: dict[str, tuple[LineType, datetime | None, str]] = {}
        for start in range(0, len(prefixes), 400):
            part = list(prefixes[start:start + 400])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT prefix, line_type, as_of, source FROM line_type WHERE prefix IN "
                f"({marks}) AND is_number = ? AND recorded_at <= ? ORDER BY recorded_at, id",
                [*part, int(is_number), stamp])
            for prefix, kind, as_of, source in rows:
                out[prefix] = (LineType(kind), _when(as_of) if as_of else None, source)
        return out

    def revocations(self, number_e164: str, contact_id: str | None, at: datetime
                    ) -> list[Revocation]:
        stamp = _utc(at)
        rows = self._db.execute(
            "SELECT number, contact_id, at, channel, source, recorded_at FROM revocation "
            "WHERE (number = ? OR (contact_key IS NOT NULL AND contact_key = ?)) "
            "AND recorded_at <= ? ORDER BY at, id", (number_e164, contact_key(contact_id), stamp))
        return [Revocation(n, c, _when(a), ch, src, _when(r)) for n, c, a, ch, src, r in rows]

    def revocations_recorded(self, number_e164: str, contact_id: str | None
                             ) -> list[Revocation]:
        """Every revocation for the number or the person whenever recorded, in the order
        ``revocations`` gives (so ``revocations`` at any instant is this list filtered by
        ``recorded_at <= at``: what the dial-time gate keeps in memory)."""
        rows = self._db.execute(
            "SELECT number, contact_id, at, channel, source, recorded_at FROM revocation "
            "WHERE (number = ? OR (contact_key IS NOT NULL AND contact_key = ?)) "
            "ORDER BY at, id", (number_e164, contact_key(contact_id)))
        return [Revocation(n, c, _when(a), ch, src, _when(r)) for n, c, a, ch, src, r in rows]

    def revocations_recorded_many(self, pairs: Sequence[tuple[str, str | None]]
                                  ) -> dict[str, list[Revocation]]:
        """``revocations_recorded`` for many (number, person) pairs, batched: number ->
        its list (the same rows in the same order as one call per pair)."""
        pairs = list(dict.fromkeys(pairs))
        found: dict[str, list[Revocation]] = {number: [] for number, _ in pairs}
        for start in range(0, len(pairs), 400):
            part = pairs[start:start + 400]
            numbers = [number for number, _ in part]
            people = sorted({key for _, person in part
                             if (key := contact_key(person)) is not None})
            where = f"number IN ({','.join('?' * len(numbers))})"
            if people:
                where += f" OR contact_key IN ({','.join('?' * len(people))})"
            rows = [(Revocation(n, c, _when(a), ch, src, _when(r)), key)
                    for n, c, a, ch, src, r, key in self._db.execute(
                        "SELECT number, contact_id, at, channel, source, recorded_at, "
                        f"contact_key FROM revocation WHERE {where} ORDER BY at, id",
                        [*numbers, *people])]
            for number, person in part:
                key = contact_key(person)
                found[number] = [r for r, person_key in rows if r.number_e164 == number or (
                    person_key is not None and person_key == key)]
        return found

    def reassigned(self, number_e164: str, at: datetime) -> list[RndResult]:
        return self.reassigned_many([number_e164], at).get(number_e164, [])

    def reassigned_many(self, numbers: Sequence[str], at: datetime
                        ) -> dict[str, list[RndResult]]:
        stamp = _utc(at)
        found: dict[str, list[RndResult]] = {}
        numbers = list(dict.fromkeys(numbers))
        for start in range(0, len(numbers), 400):
            part = numbers[start:start + 400]
            marks = ",".join("?" * len(part))
            for number, day, answer, queried, source in self._db.execute(
                    f"SELECT number, date, answer, queried_at, source FROM rnd_result WHERE "
                    f"number IN ({marks}) AND recorded_at <= ? ORDER BY id", [*part, stamp]):
                found.setdefault(number, []).append(RndResult(
                    number, _when(day), RndAnswer(answer),
                    _when(queried) if queried else None, source))
        return found

    def latest_revocation_id(self) -> int:
        (last,) = self._db.execute("SELECT MAX(id) FROM revocation").fetchone()
        return int(last or 0)

    # --- recording ------------------------------------------------------------------------

    def record_line_types(self, rows: Iterable[tuple[str, bool, LineType, datetime | None]],
                          recorded_at: datetime, source: str) -> int:
        """(prefix, is_number, type, as_of) rows, all or nothing."""
        stamp = _utc(recorded_at)
        values = [(prefix, int(is_number), kind.value, _utc(as_of) if as_of else None, stamp,
                   source) for prefix, is_number, kind, as_of in rows]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO line_type (prefix, is_number, line_type, as_of, recorded_at, "
                "source) VALUES (?, ?, ?, ?, ?, ?)", values)
        self._own_writes += 1  # own commits: PRAGMA data_version does not count them
        return len(values)

    def revoke(self, revocations: Iterable[Revocation], recorded_at: datetime, by: str) -> int:
        if not by.strip():
            raise ImportFormatError("a revocation needs who recorded it")
        stamp = _utc(recorded_at)
        values = []
        for item in revocations:
            if item.number_e164 is None and contact_key(item.contact_id) is None:
                raise ImportFormatError("a revocation names a number or a contact")
            values.append((item.number_e164, item.contact_id, _utc(item.at), item.channel,
                           item.source, stamp, by, contact_key(item.contact_id)))
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO revocation (number, contact_id, at, channel, source, recorded_at, "
                "recorded_by, contact_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
        self._own_writes += 1  # own commits: PRAGMA data_version does not count them
        return len(values)

    def record_rnd(self, results: Iterable[RndResult], recorded_at: datetime) -> int:
        stamp = _utc(recorded_at)
        values = [(r.number_e164, _utc(r.date), r.answer.value,
                   _utc(r.queried_at) if r.queried_at else None, stamp, r.source)
                  for r in results]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO rnd_result (number, date, answer, queried_at, recorded_at, source) "
                "VALUES (?, ?, ?, ?, ?, ?)", values)
        self._own_writes += 1  # own commits: PRAGMA data_version does not count them
        return len(values)

    def all_revocations(self) -> list[tuple[Revocation, str]]:
        """Every revocation with who recorded it (records export)."""
        rows = self._db.execute(
            "SELECT number, contact_id, at, channel, source, recorded_at, recorded_by "
            "FROM revocation ORDER BY id")
        return [(Revocation(n, c, _when(a), ch, src, _when(r)), by)
                for n, c, a, ch, src, r, by in rows]


# --- file parsing (one bad cell refuses the file, naming line and field) ---------------------

def _rows(text: str, path: str, required: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ImportFormatError("empty file", path=path)
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    header = [c.strip().lower() for c in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFormatError(f"missing column(s) {', '.join(missing)} (header: "
                                f"{', '.join(header)})", path=path, line=lines[0][0])
    for (line, _), cells in zip(lines[1:], reader, strict=True):
        if len(cells) != len(header):
            raise ImportFormatError(f"expected {len(header)} columns, got {len(cells)}",
                                    path=path, line=line)
        yield line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}


def _number(text: str, region: str, where: dict[str, object]) -> str:
    from dnc.registry.keys import e164_of_key
    from dnc.registry.numberfile import normalise

    key = normalise(text, region)
    if key is not None:
        return e164_of_key(key)
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.strip().startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    raise ImportFormatError(f"{text!r} is not a phone number", **where)


def _moment(text: str, where: dict[str, object], *, default: datetime | None = None
            ) -> datetime:
    if not text:
        if default is None:
            raise ImportFormatError("a date is required", **where)
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError as error:
            raise ImportFormatError(f"{text!r} is not an ISO date or time", **where) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_line_types(text: str, path: str, region: str = "US"
                     ) -> list[tuple[str, bool, LineType, datetime | None]]:
    """A line-type file: columns ``number`` and/or ``block``, ``line_type``, optional
    ``ported`` (yes: a number entry) and ``as_of``. A block is a prefix: the NPA-NXX
    (``305555``) or thousands block (``3055551``) of a NANP number, or ``+`` and digits."""
    found = []
    for line, row in _rows(text, path, ("line_type",)):
        def where(column: str, line: int = line) -> dict[str, object]:
            return {"path": path, "line": line, "field": column}
        word = row["line_type"].lower().replace(" ", "_").replace("-", "_")
        kind = LINE_TYPE_WORDS.get(word)
        if kind is None:
            raise ImportFormatError(f"line_type {row['line_type']!r} is not wireless, "
                                    "landline or voip", **where("line_type"))
        as_of = _moment(row["as_of"], where("as_of")) if row.get("as_of") else None
        number, block = row.get("number", ""), row.get("block", "")
        if bool(number) == bool(block):
            raise ImportFormatError("give either a number or a block on each line",
                                    **where("number"))
        if number:
            found.append((_number(number, region, where("number")), True, kind, as_of))
            continue
        digits = "".join(ch for ch in block if ch.isdigit())
        if block.strip().startswith("+"):
            prefix = "+" + digits
        elif region == "US" and len(digits) in (6, 7):
            prefix = "+1" + digits
        elif region == "US" and len(digits) in (7, 8) and digits.startswith("1"):
            prefix = "+" + digits
        else:
            raise ImportFormatError(f"block {block!r}: give NPA-NXX (6 digits), a thousands "
                                    "block (7 digits) or + and the prefix", **where("block"))
        if len(prefix) < 4:
            raise ImportFormatError(f"block {block!r} is too short", **where("block"))
        found.append((prefix, row.get("ported", "").lower() in ("yes", "true", "1"), kind,
                      as_of))
    return found


def parse_revocations(text: str, path: str, region: str = "US") -> list[Revocation]:
    """A revocations file: ``number`` and/or ``contact_id``, ``at`` (when it was received),
    ``channel`` (how: sms STOP, e-mail, letter, web form ...), optional ``source``."""
    found = []
    for line, row in _rows(text, path, ("at", "channel")):
        def where(column: str, line: int = line) -> dict[str, object]:
            return {"path": path, "line": line, "field": column}
        number = _number(row["number"], region, where("number")) if row.get("number") else None
        contact = row.get("contact_id") or None
        if number is None and contact is None:
            raise ImportFormatError("each revocation names a number or a contact_id",
                                    **where("number"))
        if not row["channel"]:
            raise ImportFormatError("channel is required (how the revocation was received)",
                                    **where("channel"))
        received, dated = received_instant(row["at"], where("at"))
        source = row.get("source", "") or path
        found.append(Revocation(number, contact, received, row["channel"],
                                f"{source}, {dated}" if dated else source))
    return found


LATEST_READING = timedelta(hours=12)
"""From a wall-clock time read as UTC to the same wall time at UTC−12, the westernmost
offset in use: the latest instant a time written without a zone can mean."""


def received_instant(text: str, where: dict[str, object]) -> tuple[datetime, str]:
    """When a revocation was received, read the strict way, and a note when the cell did not
    say it exactly. A revocation ends every consent given before it (``dnc.rules.consent``),
    so an unclear instant is read as the *latest* it can mean: a date alone as its end at
    UTC−12 (the next day 12:00 UTC; read as 00:00 UTC, a consent given later that same day,
    perhaps before the revocation, was kept), a time without a zone as that wall time at
    UTC−12. The rules honour a revocation from when it was recorded if that comes first."""
    cell = text.strip()
    if len(cell) == 10:
        try:
            day = date.fromisoformat(cell)
        except ValueError:
            pass
        else:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return (start + timedelta(days=1) + LATEST_READING,
                    f"dated {day} without a time of day")
    moment = _moment(cell, where)
    try:
        zoned = datetime.fromisoformat(cell.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        zoned = False
    if zoned:
        return moment, ""
    return moment + LATEST_READING, f"at {cell} without a UTC offset"


def parse_rnd_results(text: str, path: str, region: str = "US") -> list[RndResult]:
    """RND bulk query results: ``number``, ``date`` (the date queried), ``answer`` (yes / no /
    no data), optional ``queried_at``. Column names of the FCC's download are accepted as
    ``phone number``/``tn``, ``date provided``/``date`` and ``result``/``answer``."""
    renamed = text
    first = text.splitlines()[0] if text else ""
    aliases = {"phone number": "number", "tn": "number", "telephone number": "number",
               "date provided": "date", "result": "answer", "disconnected": "answer"}
    header = [c.strip().lower() for c in next(csv.reader([first]))] if first else []
    if header:
        header = [aliases.get(c, c) for c in header]
        renamed = ",".join(header) + text[len(first):]
    found = []
    for line, row in _rows(renamed, path, ("number", "date", "answer")):
        def where(column: str, line: int = line) -> dict[str, object]:
            return {"path": path, "line": line, "field": column}
        answer = RND_WORDS.get(row["answer"].lower())
        if answer is None:
            raise ImportFormatError(f"answer {row['answer']!r} is not yes, no or no data",
                                    **where("answer"))
        found.append(RndResult(
            _number(row["number"], region, where("number")), _moment(row["date"], where("date")),
            answer, _moment(row["queried_at"], where("queried_at"))
            if row.get("queried_at") else None, row.get("source", "") or path))
    return found
