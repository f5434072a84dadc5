"""FTC National Registry change lists (flat, comma-delimited).

The FTC documents the change-list flat file as comma-delimited records with several data
items each (unlike the full list's bare ``areacode,number``): the area code, the number, an
indicator of whether the number was added to or deleted from the Registry, and the date of
the change. Accepted here, per line: ``areacode,number`` followed by the indicator
(``A``/``ADD``/``ADDED``/``+`` or ``D``/``DEL``/``DELETE``/``DELETED``/``-``) and optionally a
date (``YYYY-MM-DD``, ``MM/DD/YYYY``, ``YYYYMMDD``) in any order; a 10-digit number in the
first field is accepted too. Records apply in file order (a later record of the same number
wins). The newest date seen becomes the version's as-of date unless ``--as-of`` is given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import BinaryIO

from dnc.registry.errors import refuse_cut_off
from dnc.registry.flatfile import ParseReport
from dnc.registry.keys import key_of_digits

_ADD = {"A", "ADD", "ADDED", "+", "I", "INSERT"}
_DELETE = {"D", "DEL", "DELETE", "DELETED", "-", "R", "REMOVE", "REMOVED"}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%Y-%m-%dT%H:%M:%S", "%m/%d/%y")


def parse_date(text: str) -> datetime | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_change_list(stream: BinaryIO, source: str, changes: dict[int, bool],
                      report: ParseReport, latest: datetime | None) -> datetime | None:
    """Fill ``changes`` (key → True added / False deleted); returns the newest date seen."""
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
        for field in rest:
            upper = field.upper()
            if upper in _ADD or upper in _DELETE:
                action = upper in _ADD
            elif (when := parse_date(field)) is not None:
                latest = when if latest is None or when > latest else latest
        if key is None or action is None:
            why = (f"{digits!r} is not a 10-digit NANP number (area code and exchange "
                   "start with 2-9)" if key is None else
                   "no add or delete indicator (A/ADD or D/DELETE)")
            report.note(source, number, text[:60], why)
            if not raw.endswith(b"\n"):
                refuse_cut_off(source, number, text)
            continue
        changes[key] = action
    return latest
