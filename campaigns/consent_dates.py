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
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import pandas as pd


class DateOrder(StrEnum):
    """The order of a numeric date's first two parts, as the importer states it."""

    DMY = "dmy"
    MDY = "mdy"


DATE_ORDERS = tuple(order.value for order in DateOrder)

LATEST_OFFSET = timedelta(hours=-12)
"""The westernmost UTC offset in use (Baker Island, UTC−12): a calendar date ends last there."""
DATE_ONLY_WAIT = timedelta(days=1) - LATEST_OFFSET
"""From a date's 00:00 UTC to the moment it has ended in every zone: the next day 12:00 UTC."""
EARLIEST_OFFSET = timedelta(hours=14)
"""The easternmost UTC offset in use (Kiribati's Line Islands, UTC+14): a calendar date, and
a wall-clock time, comes first there."""

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


def counts_from(day: date) -> datetime:
    """The first instant a consent dated ``day`` without a time may be relied on: when
    ``day`` has ended in every zone from UTC−12 to UTC+14 (the next day at 12:00 UTC).
    Earlier, somewhere a lead can be, the consent's own date is still to come."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + DATE_ONLY_WAIT


def _date_alone(text: str) -> date | None:
    """``text`` as a date when it is an ISO 8601 date and nothing more (YYYY-MM-DD), else
    None (a time, or no date at all, is for the caller's own reading)."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def ends_by(value: object) -> datetime | None:
    """The instant a stored consent's ``expires_at`` or ``revoked_at`` ends it, read the strict
    way (None: the cell is empty; ``ValueError``: it names no date or time at all).

    An end is the opposite of a grant: a consent counts from the *latest* instant its grant
    can mean (``counts_from``), and stops at the *earliest* its end can mean. A date alone
    ends it when that date begins anywhere (00:00 at UTC+14, the day before at 10:00 UTC),
    a time without a UTC offset when that wall-clock time first comes (at UTC+14). Before,
    both read as no end at all (``campaigns.compliance`` dropped a time without an offset):
    a consent "revoked 2026-03-10" authorised every later call."""
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC) - EARLIEST_OFFSET
    elif isinstance(value, str):
        text = value.strip()
        if (day := _date_alone(text)) is not None:
            return datetime(day.year, day.month, day.day, tzinfo=UTC) - EARLIEST_OFFSET
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    else:
        raise ValueError(f"{value!r} is not an ISO 8601 date or time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC) - EARLIEST_OFFSET
    return moment


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


def given_instant(value: object) -> tuple[datetime, date | None]:
    """A consent's ``given_at`` as code gives it (``CampaignStore.add_leads``): the instant it
    counts from, and the date as written when only a date was given.

    The same rule as a file's consent column: a date without a time counts from the end of
    that date everywhere (``counts_from``), its date kept for the Reassigned Numbers
    Database. A time without a UTC offset names no instant and is refused (``ValueError``,
    with the reason): stored, the rules read it as no consent, and nobody was told."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()!r} has no UTC offset: give one (e.g. "
                             "+00:00), or the date alone")
        return value, None
    if isinstance(value, date):
        return counts_from(value), value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not an ISO 8601 date or time (e.g. 2025-04-03 or "
                         "2025-04-03T14:30:00+00:00)")
    text = value.strip()
    if (day := _date_alone(text)) is not None:
        return counts_from(day), day
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time (e.g. 2025-04-03 or "
                         "2025-04-03T14:30:00+00:00)") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: give one (e.g. {text}+00:00), or the "
                         "date alone")
    return moment, None
