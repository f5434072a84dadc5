"""The dates of a lead file's consent column, read without guessing the order of day and month.

``03/04/2025`` is 3 April in most of the world and 4 March in the United States. Read month
first (pandas and dateutil do), a UK file's consent moved by a month, possibly to before the
number was reassigned (``dnc.rules.consent``), and nobody was told. A numeric date whose first
two parts could each be the day or the month is therefore not a consent unless the importer
states the order (``--consent-date-order dmy|mdy``); ISO 8601 (``2025-04-03``) and dates whose
day is above 12 (``13/04/2025``) say it themselves and are read as written.

A date without a time of day (``2025-04-03``) does not say when that day the consent was
given, nor in which zone. Read as 00:00 UTC it is still the evening before in every US zone
(19:00 EST), so a call that evening relied on a consent its own date places on the next local
day. Such a consent therefore counts only from the moment its date has ended in every zone a
lead can be in: the end of the date at UTC−12, the next day at 12:00 UTC (``counts_from``).
A consent with a time of day keeps its instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import pandas as pd

# The instants a consent's dates mean live with the rules (``dnc`` imports nothing of ours),
# so ``dialer compliance explain --consent`` reads them exactly as the import and the gate.
from dnc.rules.consent_instants import (  # noqa: F401  (re-exported)
    DATE_ONLY_WAIT,
    EARLIEST_OFFSET,
    LATEST_OFFSET,
    counts_from,
    ends_by,
    given_instant,
)
from dnc.rules.consent_instants import date_alone as _date_alone  # noqa: F401


class DateOrder(StrEnum):
    """The order of a numeric date's first two parts, as the importer states it."""

    DMY = "dmy"
    MDY = "mdy"


DATE_ORDERS = tuple(order.value for order in DateOrder)

_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[\sT])(.*)$", re.S)
"""DD/MM/YYYY or MM/DD/YYYY (``/``, ``.`` or ``-``, a two-digit year allowed), a time after
it kept as written."""
_NO_YEAR = re.compile(r"^\d{1,2}[/.\-]\d{1,2}$")
"""``04/03``: dateutil supplies the current year, which is nobody's statement."""


def date_order_problem(value: str | None) -> str | None:
    """Why ``--consent-date-order VALUE`` is refused (None: it is dmy, mdy or not given)."""
    if value is None or value in DATE_ORDERS:
        return None
    return (f"--consent-date-order {value!r}: choose dmy (03/04/2025 is 3 April) or mdy "
            "(4 March)")


@dataclass(frozen=True, slots=True)
class ConsentDates:
    """Each cell's instant (NaT where it gives no consent), which cells were refused only
    because day and month could not be told apart (for their own warning), and which gave a
    date but no time of day (their instant is ``counts_from`` that date, for their summary)."""

    given: pd.Series
    ambiguous: pd.Series
    date_only: pd.Series


def _rewritten(value: str, order: DateOrder | None) -> tuple[str | None, bool]:
    """The cell as ISO 8601 when it is a numeric day/month date (None: not a date), and
    whether it was refused for its order alone. Other cells are returned unchanged."""
    if _NO_YEAR.match(value):
        return None, False
    found = _NUMERIC.match(value)
    if found is None:
        return value, False
    first, second, year_text, rest = (int(found[1]), int(found[3]), found[4], found[5])
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if order is DateOrder.DMY:
        day, month = first, second
    elif order is DateOrder.MDY:
        month, day = first, second
    elif first > 12:
        day, month = first, second
    elif second > 12:
        month, day = first, second
    elif first == second:
        day = month = first  # 04/04: the same day either way
    else:
        return None, True
    try:
        date(year, month, day)
    except ValueError:
        return None, False
    return f"{year:04d}-{month:02d}-{day:02d}{rest}", False


def parse_consent_dates(values: pd.Series, order: DateOrder | str | None = None
                        ) -> ConsentDates:
    """The instants of stripped consent cells (NaT: no consent, including an ambiguous
    day/month date when ``order`` is None). Words (``today``, ``Mar 4``), years before 1900
    and dates after tomorrow give none either: neither is when consent was given, and a
    consent dated after a number's reassignment reads as the new holder's. A date with no
    time of day (no ``HH:MM``; read as midnight) gives ``counts_from`` that date."""
    stated = DateOrder(order) if order is not None else None
    cells = values.tolist()
    rewritten: list[str | None] = []
    ambiguous: list[bool] = []
    for cell in cells:
        text, unclear = _rewritten(cell, stated)
        rewritten.append(text)
        ambiguous.append(unclear)
    series = pd.Series(rewritten, index=values.index, dtype=object)
    given = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
    latest = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    wordy = ~values.str.contains(r"\d", regex=True)
    given = given.where(~wordy & (given <= latest) & (given.dt.year >= 1900))
    timeless = ~series.fillna("").str.contains(r"\d:\d", regex=True)
    date_only = given.notna() & timeless & (given == given.dt.normalize())
    given = given.where(~date_only, given + DATE_ONLY_WAIT)
    return ConsentDates(given, pd.Series(ambiguous, index=values.index, dtype=bool),
                        date_only)
