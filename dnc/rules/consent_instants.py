"""The instants a consent's dates mean, read the strict way (one reading for every path).

A consent counts from the *latest* instant its grant can mean and stops at the *earliest* its
end can mean. A date alone (``2025-04-03``) does not say when that day, nor in which zone:

- a grant dated so counts once the date has ended in every zone a lead can be in, the end of
  the date at UTC−12 (the next day at 12:00 UTC, ``counts_from``); a grant written as a time
  without a UTC offset names no instant and is refused (``given_instant``);
- an end (``expires_at``, ``revoked_at``) dated so ends it when the date begins anywhere,
  00:00 at UTC+14 (the day before at 10:00 UTC), and a time without an offset when that
  wall-clock time first comes, at UTC+14 (``ends_by``).

The lead import (``campaigns.consent_dates``), the stored consents the rules read
(``campaigns.compliance``) and ``dialer compliance explain --consent`` all read dates here,
so an officer's explain shows the very instant the dial-time gate uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

LATEST_OFFSET = timedelta(hours=-12)
"""The westernmost UTC offset in use (Baker Island, UTC−12): a calendar date ends last there."""
DATE_ONLY_WAIT = timedelta(days=1) - LATEST_OFFSET
"""From a date's 00:00 UTC to the moment it has ended in every zone: the next day 12:00 UTC."""
EARLIEST_OFFSET = timedelta(hours=14)
"""The easternmost UTC offset in use (Kiribati's Line Islands, UTC+14): a calendar date, and
a wall-clock time, comes first there."""


def counts_from(day: date) -> datetime:
    """The first instant a consent dated ``day`` without a time may be relied on: when
    ``day`` has ended in every zone from UTC−12 to UTC+14 (the next day at 12:00 UTC).
    Earlier, somewhere a lead can be, the consent's own date is still to come."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + DATE_ONLY_WAIT


def date_alone(text: str) -> date | None:
    """``text`` as a date when it is an ISO 8601 date and nothing more (YYYY-MM-DD), else
    None (a time, or no date at all, is for the caller's own reading)."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def ends_by(value: object) -> datetime | None:
    """The instant a consent's ``expires_at`` or ``revoked_at`` ends it, read the strict way
    (None: the cell is empty; ``ValueError``: it names no date or time at all).

    A date alone ends it when that date begins anywhere (00:00 at UTC+14, the day before at
    10:00 UTC), a time without a UTC offset when that wall-clock time first comes (at
    UTC+14). Before, both read as no end at all (``campaigns.compliance`` dropped a time
    without an offset): a consent "revoked 2026-03-10" authorised every later call."""
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC) - EARLIEST_OFFSET
    elif isinstance(value, str):
        text = value.strip()
        if (day := date_alone(text)) is not None:
            return datetime(day.year, day.month, day.day, tzinfo=UTC) - EARLIEST_OFFSET
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError(f"{value!r} is not an ISO 8601 date or time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC) - EARLIEST_OFFSET
    return moment


def zoneless(value: object) -> bool:
    """Whether ``value`` (a date or time as written) names no instant by itself: a date
    alone, or a time without a UTC offset (its reading is ``ends_by``'s or
    ``given_instant``'s, not UTC)."""
    if isinstance(value, datetime):
        return value.tzinfo is None or value.utcoffset() is None
    if isinstance(value, date):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if date_alone(text) is not None:
        return True
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is None


def given_instant(value: object) -> tuple[datetime, date | None]:
    """A consent's ``given_at``: the instant it counts from, and the date as written when
    only a date was given.

    A date without a time counts from the end of that date everywhere (``counts_from``),
    its date kept for the Reassigned Numbers Database. A time without a UTC offset names no
    instant and is refused (``ValueError``, with the reason): stored, the rules read it as
    no consent, and nobody was told."""
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
    if (day := date_alone(text)) is not None:
        return counts_from(day), day
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time (e.g. 2025-04-03 or "
                         "2025-04-03T14:30:00+00:00)") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: give one (e.g. {text}+00:00), or the "
                         "date alone")
    return moment, None


__all__ = ["DATE_ONLY_WAIT", "EARLIEST_OFFSET", "LATEST_OFFSET", "counts_from", "date_alone",
           "ends_by", "given_instant", "zoneless"]
