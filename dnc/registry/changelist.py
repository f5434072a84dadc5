"""FTC National Registry change lists (flat, comma-delimited).

The FTC documents the change-list flat file as comma-delimited records with several data
items each (unlike the full list's bare ``areacode,number``): the area code, the number, an
indicator of whether the number was added to or deleted from the Registry, and the date of
the change. Accepted here, per line: ``areacode,number`` followed by the indicator
(``A``/``ADD``/``ADDED``/``+`` or ``D``/``DEL``/``DELETE``/``DELETED``/``-``) and optionally a
date (``YYYY-MM-DD``, ``MM/DD/YYYY``, ``YYYYMMDD``) in any order; a 10-digit number in the
first field is accepted too. The newest date seen becomes the version's as-of date unless
``--as-of`` is given.

Records apply by their dates, not by where they sit: of the records of one number, the one
with the latest date wins, on the same date the later line of its file. So several change
lists given in one command make the same registry in whatever order they are named (until
2026-12-07 they applied in the order given: yesterday's list named after today's deleted
again a number added today, and it was dialed). Two files that say different things of one
number on its latest date cannot be ordered, and neither can a file with no date among
several: both are refused.
A record with no date in a file whose other records carry one is refused with its line
(the FTC's records all carry one; until 2026-12-07 it counted as of the file's newest
date, a guess that could put a deletion after the addition it preceded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from dnc.registry.errors import ImportRefused, refuse_cut_off
from dnc.registry.flatfile import ParseReport
from dnc.registry.keys import e164_of_key, key_of_digits

_ADD = {"A", "ADD", "ADDED", "+", "I", "INSERT"}
_DELETE = {"D", "DEL", "DELETE", "DELETED", "-", "R", "REMOVE", "REMOVED"}
_WORD = {True: "added", False: "deleted"}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%S", "%m/%d/%y")


def parse_date(text: str) -> datetime | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@dataclass
class ChangeFile:
    """One change list as read: its records in line order (key, the record's date or None,
    True added / False deleted) and its newest date."""

    label: str
    records: list[tuple[int, datetime | None, bool]] = field(default_factory=list)
    latest: datetime | None = None

    def winners(self) -> dict[int, tuple[datetime | None, bool]]:
        """Each number's last word in this file: its latest-dated record, on one date the
        later line (records are all dated, or all undated: ``_refuse_undated``)."""
        found: dict[int, tuple[datetime | None, bool]] = {}
        for key, when, added in self.records:
            when = when or self.latest
            before = found.get(key)
            if before is None or when is None or before[0] is None or when >= before[0]:
                found[key] = (when, added)
        return found


def merge_change_files(files: Sequence[ChangeFile]) -> dict[int, bool]:
    """The change of each number (True added / False deleted) the files make together,
    whatever the order they are given in: the latest-dated word on each number wins.

    Refused (``ImportRefused``, stored registry unchanged): several files of which one
    carries no date (its place among the others cannot be told), and two files that say
    different things of one number on that number's latest date (which came last cannot be
    told; applied in the order given, the registry would depend on how the files were
    named on the command line)."""
    if len(files) > 1:
        for undated in files:
            if undated.latest is None:
                raise ImportRefused(
                    f"this change list carries no date, and {len(files)} change lists were "
                    "given: the order to apply them in cannot be told; refused, stored "
                    "registry unchanged. Import it on its own with --as-of the date it is "
                    "current as of, oldest first", path=undated.label)
    merged: dict[int, tuple[datetime | None, bool, str, str | None]] = {}
    for change_file in files:
        for key, (when, added) in change_file.winners().items():
            before = merged.get(key)
            if before is None or (when is not None and before[0] is not None
                                  and when > before[0]):
                merged[key] = (when, added, change_file.label, None)
            elif when == before[0] and added != before[1]:
                merged[key] = (*before[:3], change_file.label)
    for key, (when, added, label, other) in merged.items():
        if other is not None:
            day = when.date().isoformat() if when else "no date"
            raise ImportRefused(
                f"{e164_of_key(key)} is {_WORD[added]} here and {_WORD[not added]} in "
                f"{other}, both as of {day}: which came last cannot be told; refused, "
                "stored registry unchanged. Import the lists one command each, in the order "
                "they were issued", path=label)
    return {key: added for key, (_, added, _, _) in merged.items()}


def read_change_file(stream: BinaryIO, source: str, report: ParseReport) -> ChangeFile:
    """One change list's records (``ChangeFile``)."""
    change_file = ChangeFile(source)
    change_file.latest = _parse(stream, source, report, change_file.records)
    return change_file


def _parse(stream: BinaryIO, source: str, report: ParseReport,
           records: list[tuple[int, datetime | None, bool]]) -> datetime | None:
    """Append each record (key, its date, True added / False deleted); returns the newest
    date seen. A file that dates some records and not others is refused
    (``_refuse_undated``)."""
    latest = None
    undated: tuple[int, str | None] | None = None   # the first: its line, a field unread
    for number, raw in enumerate(stream, start=1):
        report.lines += 1
        text = raw.decode("latin-1").strip().lstrip("\ufeff")
        if not text:
            report.blank += 1
            continue
        fields = [field.strip().strip('"') for field in text.replace("\t", ",").split(",")]
        if number == 1 and not any(ch.isdigit() for ch in fields[0]):
            report.blank += 1      # a header line
            continue
        if len(fields[0]) == 10:
            digits, rest = fields[0], fields[1:]
        else:
            digits, rest = "".join(fields[:2]), fields[2:]
        key = key_of_digits(digits)
        action = None
        dated = None
        unread = None
        for item in rest:
            upper = item.upper()
            if upper in _ADD or upper in _DELETE:
                action = upper in _ADD
            elif (when := parse_date(item)) is not None:
                dated = when
                latest = when if latest is None or when > latest else latest
            elif item and unread is None:
                unread = item
        if key is None or action is None:
            why = (f"{digits!r} is not a 10-digit NANP number (area code and exchange "
                   "start with 2-9)" if key is None else
                   "no add or delete indicator (A/ADD or D/DELETE)")
            report.note(source, number, text[:60], why)
            if not raw.endswith(b"\n"):
                refuse_cut_off(source, number, text)
            continue
        records.append((key, dated, action))
        if dated is None and undated is None:
            undated = (number, unread)
    if undated is not None and latest is not None:
        _refuse_undated(source, *undated, latest)
    return latest


def _refuse_undated(source: str, line: int, unread: str | None, latest: datetime) -> None:
    """A record without a date among dated ones: when it applies among them cannot be told
    (it counted as of the file's newest date, after a dated record of its number that may
    have come later)."""
    what = (f"{unread!r} is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)" if unread
            else "this record carries no date")
    raise ImportRefused(
        f"{what}, while the file's others do (the newest {latest.date().isoformat()}): "
        "when it applies among them cannot be told, and the FTC's records all carry "
        "one; refused, stored registry unchanged. Write its date, or import the records "
        "without a date on their own with --as-of", path=source, line=line)
