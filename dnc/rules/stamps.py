"""Dates and times as rule reasons write them, without ``strftime``.

Every decision's reasons carry dates (a consent's, a registry version's, a local time):
``format(moment, "%Y-%m-%d")`` goes through ``time.strftime`` and the C library (~1.5 µs
quiet, several per decision), these build the same text from the fields (~0.2 µs). The
output is the same character for character; a year before 1000 (which the C library does
not pad) is left to ``strftime`` itself.
"""

from __future__ import annotations

from datetime import date, datetime

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day(moment: date) -> str:
    """``%Y-%m-%d``."""
    if moment.year < 1000:
        return format(moment, "%Y-%m-%d")
    return f"{moment.year}-{moment.month:02d}-{moment.day:02d}"


def minute(moment: datetime) -> str:
    """``%Y-%m-%d %H:%M``."""
    return f"{day(moment)} {moment.hour:02d}:{moment.minute:02d}"


def weekday_minute(moment: datetime) -> str:
    """``%a %Y-%m-%d %H:%M`` (English day names, as the C locale writes them)."""
    return f"{_WEEKDAYS[moment.weekday()]} {minute(moment)}"
