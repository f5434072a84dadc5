"""State lists and generic CSV/TSV/text files of numbers in any common notation.

Ten-digit NANP numbers in the usual notations (``(201) 234-5678``, ``201.234.5678``,
``+1 201 234 5678``, ``1-201-234-5678``) take a fast path; anything else is parsed with
``phonenumbers`` in the default region. Registries hold NANP numbers only.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

import numpy as np

from dnc.registry.errors import refuse_cut_off
from dnc.registry.flatfile import ParseReport
from dnc.registry.keys import key_of_digits, key_of_e164

_PHONE_HEADERS = ("phone", "phone_number", "number", "telephone", "tel", "mobile", "cell",
                  "phonenumber", "phone number", "e164", "msisdn", "tn")
_PUNCTUATION = set(" ()-.+/")


def normalise(text: str, region: str, plan: str = "nanp") -> int | None:
    """Key of a number written in any common notation, or None when it is not a valid number
    of ``plan`` (NANP, or GB for TPS/CTPS lists)."""
    stripped = text.strip()
    if plan != "nanp":
        return _normalise_plan(stripped, region, plan)
    if stripped and all(ch.isdigit() or ch in _PUNCTUATION for ch in stripped):
        digits = "".join(ch for ch in stripped if ch.isdigit())
        international = stripped.startswith("+")
        if len(digits) == 11 and digits[0] == "1":
            return key_of_digits(digits[1:])
        if len(digits) == 10 and not international:
            return key_of_digits(digits)
    if not stripped:
        return None
    import phonenumbers
    try:
        parsed = phonenumbers.parse(stripped, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return key_of_e164(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _normalise_plan(text: str, region: str, plan: str) -> int | None:
    if not text:
        return None
    import phonenumbers

    from dnc.registry.keys import key_in_plan
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return key_in_plan(plan, phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164))


def guess_column(header: list[str], rows: list[list[str]], region: str,
                 plan: str = "nanp") -> int:
    """The phone column: by header name, else the column where most sample values parse."""
    lowered = [name.strip().lower() for name in header]
    for name in _PHONE_HEADERS:
        if name in lowered:
            return lowered.index(name)
    width = max((len(row) for row in rows), default=1)
    scores = [sum(1 for row in rows if len(row) > i and normalise(row[i], region, plan)
                  is not None) for i in range(width)]
    return max(range(width), key=lambda i: scores[i]) if scores else 0


def more_phone_columns(index: int, rows: list[list[str]], region: str,
                       plan: str = "nanp") -> list[int]:
    """The columns besides ``index`` that hold phone numbers too (most of their filled
    sample cells parse), e.g. a state list's ``home_phone`` and ``cell_phone``. Read from
    one column, the numbers of the other were dropped without a word, and dialed; a list
    names every number it holds, so each such column is read (``--column`` reads one)."""
    width = max((len(row) for row in rows), default=0)
    found = []
    for other in range(width):
        cells = [row[other].strip() for row in rows if len(row) > other and row[other].strip()]
        if other == index or not cells:
            continue
        numbers = sum(1 for cell in cells if normalise(cell, region, plan) is not None)
        if numbers * 2 > len(cells):
            found.append(other)
    return found


def parse_number_file(stream: BinaryIO, source: str, region: str, column: str | None,
                      report: ParseReport, plan: str = "nanp") -> np.ndarray:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    sample = text.read(64 * 1024)
    rest = text.read()
    content = sample + rest
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(content), dialect))
    has_header = bool(rows) and all(normalise(cell, region, plan) is None for cell in rows[0])
    header = rows[0] if has_header else []
    refuse_lead_file(header, source)
    body_start = 1 if has_header else 0
    if column is not None:
        lowered = [name.strip().lower() for name in header]
        if column.lower() in lowered:
            index = lowered.index(column.lower())
        elif column.isdigit():
            index = int(column) - 1
        else:
            raise_missing(column, source, header)
        others: list[int] = []
    else:
        sample_rows = rows[body_start:body_start + 200]
        index = guess_column(header, sample_rows, region, plan)
        others = more_phone_columns(index, sample_rows, region, plan)
    keys = []
    for number, row in enumerate(rows[body_start:], start=body_start + 1):
        report.lines += 1
        if not any(cell.strip() for cell in row):
            report.blank += 1
            continue
        for other in others:
            cell = row[other].strip() if len(row) > other else ""
            if cell and (key := normalise(cell, region, plan)) is not None:
                keys.append(key)
            elif cell:
                report.note(source, number, ",".join(row)[:60],
                            f"{cell!r} in column {other + 1} is not a valid NANP number")
        key = normalise(row[index], region, plan) if len(row) > index else None
        if key is None:
            value = row[index].strip() if len(row) > index else ""
            why = (f"no value in column {index + 1}" if not value else
                   f"{value!r} is not a valid NANP number")
            report.note(source, number, ",".join(row)[:60], why)
            if number == len(rows) and not content.endswith(("\n", "\r")):
                refuse_cut_off(source, number, ",".join(row))
            continue
        keys.append(key)
    return np.array(keys, dtype=np.int64)


LEAD_ONLY_COLUMNS = frozenset({
    "email", "emailaddress", "mail", "consent", "consentdate", "consentseller", "optin",
    "optindate", "pewc", "priority", "timezone", "leadid", "lead", "linetype", "contactid",
    "customerid", "accountid", "account", "campaign", "disposition", "lastcalled",
    "callresult", "agent", "notes", "comment", "comments", "jobtitle"})
"""Header words (lower case, letters and digits only) of a lead file that no do-not-call
list carries: who to call and how, not who asked not to be called."""


def refuse_lead_file(header: list[str], source: str) -> None:
    """A lead file given as a do-not-call list (``dnc import leads.csv --registry
    state:FL``) was read by its phone column and published in place of the state's list:
    every number of the real list unlisted, and dialed. A header naming columns only a lead
    file has (an e-mail, a consent, a priority, a time zone, a lead id...) refuses it.
    Registrants' names and addresses are not such columns: some state lists carry them."""
    found = [name.strip() for name in header
             if "".join(ch for ch in name.lower() if ch.isalnum()) in LEAD_ONLY_COLUMNS]
    if not found:
        return
    from dnc.registry.errors import ImportRefused
    raise ImportRefused(
        f"looks like a lead file, not a do-not-call list: its header names "
        f"{', '.join(map(repr, found[:4]))} ({len(header)} columns), which no do-not-call "
        "list carries; refused, stored registry unchanged. Import leads with dialer leads "
        "import CAMPAIGN FILE; if this really is a do-not-call list, save its phone column "
        "alone and import that", path=source, line=1)


def raise_missing(column: str, source: str, header: list[str]) -> None:
    from dnc.registry.errors import ImportFormatError
    raise ImportFormatError(f"no column {column!r} (columns: {', '.join(header) or 'none'})",
                            path=source, line=1, field=column)
