"""State holiday calendars: the per-state table is cited data (``dnc/data/holidays.csv``),
the date arithmetic is ``dateutil``'s (Easter, n-th weekday, "Tuesday after the first
Monday").

Rule syntax (the ``rule`` column):

- ``MM-DD``                    a fixed date every year (``07-04``)
- ``YYYY-MM-DD``               one proclaimed date (a governor's holiday, a declared day)
- ``N DAY MM`` / ``last DAY MM``   the N-th / last weekday of a month (``3 MON 02``)
- ``DAY after N DAY MM``       the first DAY after the N-th weekday (Election Day:
                               ``TUE after 1 MON 11``; never 1 Nov)
- ``easter``, ``easter+N``, ``easter-N``   days from Western Easter (Good Friday
                               ``easter-2``, Mardi Gras ``easter-47``)

``observed`` (when the day falls on a weekend, which other day is kept; the actual date is
banned too, the strict reading): ``none``; ``sun_to_mon``; ``nearest_weekday`` (Saturday ->
Friday, Sunday -> Monday); ``weekend_to_mon`` (Saturday or Sunday -> the following Monday,
R.I. Gen. Laws 25-1-2); ``monday`` (kept on a Monday: the preceding Monday for Tuesday to
Friday, the following Monday for a weekend, Utah's Juneteenth).
``years``: ``all``, ``even`` or ``odd`` (general-election years). ``from`` / ``until``: the
first / last date the holiday exists in law (blank: always). ``areas``: counties or ZIP codes
the holiday is limited to (blank: the whole state), e.g. ``county:Mobile;county:Baldwin``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.easter import easter
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

_WEEKDAYS = {"MON": MO, "TUE": TU, "WED": WE, "THU": TH, "FRI": FR, "SAT": SA, "SUN": SU}
OBSERVED = ("none", "sun_to_mon", "nearest_weekday", "weekend_to_mon", "monday")
YEARS = ("all", "even", "odd")
_FIXED = re.compile(r"^(\d{2})-(\d{2})$")
_SINGLE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NTH = re.compile(r"^(last|[1-5]) ([A-Z]{3}) (\d{1,2})$", re.IGNORECASE)
_AFTER = re.compile(r"^([A-Z]{3}) after ([1-5]) ([A-Z]{3}) (\d{1,2})$", re.IGNORECASE)
_EASTER = re.compile(r"^easter(?:([+-])(\d+))?$", re.IGNORECASE)


class HolidayRuleError(ValueError):
    """A rule, observed or years value the calendar cannot read."""


def rule_date(rule: str, year: int) -> date | None:
    """The actual date of ``rule`` in ``year`` (None: a single date of another year)."""
    text = rule.strip()
    if _SINGLE.match(text):
        fixed = date.fromisoformat(text)
        return fixed if fixed.year == year else None
    if match := _FIXED.match(text):
        return date(year, int(match[1]), int(match[2]))
    if match := _NTH.match(text):
        which, weekday, month = match[1].lower(), _weekday(match[2]), int(match[3])
        if which == "last":
            return date(year, month, 1) + relativedelta(day=31, weekday=weekday(-1))
        return date(year, month, 1) + relativedelta(weekday=weekday(int(which)))
    if match := _AFTER.match(text):
        wanted, nth, anchor, month = (_weekday(match[1]), int(match[2]), _weekday(match[3]),
                                      int(match[4]))
        anchor_day = date(year, month, 1) + relativedelta(weekday=anchor(nth))
        return anchor_day + relativedelta(days=1, weekday=wanted(1))
    if match := _EASTER.match(text):
        offset = int(match[2] or 0) * (-1 if match[1] == "-" else 1)
        return easter(year) + timedelta(days=offset)
    raise HolidayRuleError(f"unknown holiday rule {rule!r}")


def _weekday(name: str):
    try:
        return _WEEKDAYS[name.upper()]
    except KeyError:
        raise HolidayRuleError(f"unknown weekday {name!r} (MON..SUN)") from None


def observed_dates(actual: date, observed: str) -> tuple[date, ...]:
    """The actual date and the day kept instead of it, if another."""
    weekday = actual.weekday()
    if observed == "none":
        return (actual,)
    if observed == "sun_to_mon":
        return (actual, actual + timedelta(days=1)) if weekday == 6 else (actual,)
    if observed == "nearest_weekday":
        if weekday == 5:
            return (actual, actual - timedelta(days=1))
        return (actual, actual + timedelta(days=1)) if weekday == 6 else (actual,)
    if observed == "weekend_to_mon":
        return (actual, actual + timedelta(days=7 - weekday)) if weekday >= 5 else (actual,)
    if observed == "monday":
        if weekday == 0:
            return (actual,)
        monday = actual + timedelta(days=7 - weekday) if weekday >= 5 else \
            actual - timedelta(days=weekday)
        return (actual, monday)
    raise HolidayRuleError(f"unknown observed rule {observed!r}: one of {', '.join(OBSERVED)}")


@dataclass(frozen=True, slots=True)
class Holiday:
    """One row of ``holidays.csv``."""

    calendar: str
    name: str
    rule: str
    observed: str = "none"
    citation: str = ""
    years: str = "all"
    valid_from: date | None = None
    valid_until: date | None = None
    areas: tuple[str, ...] = ()

    def validate(self) -> None:
        rule_date(self.rule, 2026)
        observed_dates(date(2026, 1, 4), self.observed)
        if self.years not in YEARS:
            raise HolidayRuleError(f"years must be one of {', '.join(YEARS)}")

    def dates(self, year: int) -> tuple[date, ...]:
        if (self.years == "even" and year % 2) or (self.years == "odd" and not year % 2):
            return ()
        actual = rule_date(self.rule, year)
        if actual is None:
            return ()
        if (self.valid_from is not None and actual < self.valid_from) or (
                self.valid_until is not None and actual > self.valid_until):
            return ()
        return observed_dates(actual, self.observed)


class HolidayCalendar:
    """The banned dates of one calendar, computed per year on demand (statewide rows only;
    rows limited to areas are applied by the area-ban rule, per lead)."""

    def __init__(self, name: str, holidays: tuple[Holiday, ...]) -> None:
        self.name = name
        self.holidays = holidays
        self._years: dict[int, dict[date, str]] = {}

    def __call__(self, day: date) -> bool:
        return day in self._dates(day.year) or day in self._dates(day.year + 1)

    def _dates(self, year: int) -> dict[date, str]:
        if year not in self._years:
            found: dict[date, str] = {}
            for holiday in self.holidays:
                for day in holiday.dates(year):
                    found.setdefault(day, holiday.name)
            self._years[year] = found
        return self._years[year]

    def dates_in(self, year: int) -> frozenset[date]:
        return frozenset(self._dates(year))

    def name_of(self, day: date) -> str | None:
        return self._dates(day.year).get(day) or self._dates(day.year + 1).get(day)

    def listing(self, year: int) -> list[tuple[date, str]]:
        """(date, holiday) for every banned date that falls in ``year``."""
        merged = {**self._dates(year + 1), **self._dates(year)}
        return sorted((d, n) for d, n in merged.items() if d.year == year)
