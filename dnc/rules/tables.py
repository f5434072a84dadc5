"""Rule tables kept as data (``dnc/data/*.csv``): state overlays, holidays, zones, ZIP prefixes.

Each file is read once and validated here; a bad cell is reported with file, line and
column so a reviewer can fix the table without reading code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dnc.errors import ImportFormatError

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FEDERAL_DAY = (time(8), time(21))
_WEEKDAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV with ``#`` comment lines, each with its 1-based line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ImportFormatError(f"cannot read rule table: {error}", path=str(path)) from error
    numbered = [(n, line) for n, line in enumerate(lines, 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise ImportFormatError("empty rule table", path=str(path))
    reader = csv.reader([line for _, line in numbered])
    header = [name.strip() for name in next(reader)]
    for (number, _), cells in zip(numbered[1:], reader, strict=True):
        if len(cells) != len(header):
            raise ImportFormatError(f"expected {len(header)} columns, got {len(cells)}",
                                    path=str(path), line=number)
        yield number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}


@dataclass(frozen=True, slots=True)
class StateRule:
    """One reviewed row of ``state_rules.csv``."""

    state: str
    applies_to: str                       # "all" | "prerecorded"
    days: tuple[tuple[time, time] | None, ...]   # Monday first
    holiday_calendar: str | None
    max_calls: int | None
    per: timedelta | None
    same_subject: bool
    citation: str
    source: str
    reviewed: str
    notes: str
    line: int

    @property
    def rule_key(self) -> str:
        suffix = "" if self.applies_to == "all" else f".{self.applies_to}"
        return f"state.{self.state}{suffix}"


@dataclass(frozen=True, slots=True)
class Holiday:
    calendar: str
    name: str
    rule: str
    observed: str
    citation: str

    def dates(self, year: int) -> tuple[date, ...]:
        actual = _rule_date(self.rule, year)
        if actual is None:
            return ()
        if self.observed == "sun_to_mon" and actual.weekday() == 6:
            return (actual, actual + timedelta(days=1))
        if self.observed == "nearest_weekday" and actual.weekday() >= 5:
            shift = -1 if actual.weekday() == 5 else 1
            return (actual, actual + timedelta(days=shift))
        return (actual,)


def _rule_date(rule: str, year: int) -> date | None:
    parts = rule.split()
    if len(parts) == 1 and len(rule) == 10:
        fixed = date.fromisoformat(rule)
        return fixed if fixed.year == year else None
    if len(parts) == 1:
        month, day = (int(piece) for piece in rule.split("-"))
        return date(year, month, day)
    which, weekday_name, month_text = parts
    weekday, month = _WEEKDAYS[weekday_name.upper()], int(month_text)
    if which == "last":
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (int(which) - 1))


class HolidayCalendar:
    """The banned dates of one calendar, computed per year on demand."""

    def __init__(self, name: str, holidays: tuple[Holiday, ...]) -> None:
        self.name = name
        self.holidays = holidays
        self._years: dict[int, frozenset[date]] = {}

    def __call__(self, day: date) -> bool:
        return day in self.dates_in(day.year) or day in self.dates_in(day.year + 1)

    def dates_in(self, year: int) -> frozenset[date]:
        if year not in self._years:
            self._years[year] = frozenset(
                d for holiday in self.holidays for d in holiday.dates(year))
        return self._years[year]

    def name_of(self, day: date) -> str | None:
        for year in (day.year, day.year + 1):
            for holiday in self.holidays:
                if day in holiday.dates(year):
                    return holiday.name
        return None


def _window(text: str, where: dict[str, object]) -> tuple[time, time] | None:
    if text == "":
        return FEDERAL_DAY
    if text.lower() == "none":
        return None
    try:
        start_text, end_text = text.split("-")
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError as error:
        raise ImportFormatError(f"bad window {text!r}, expected HH:MM-HH:MM", **where) from error
    if not start < end:
        raise ImportFormatError(f"window {text!r} ends before it starts", **where)
    return start, end


class RuleTables:
    """Every data table the rules use, loaded from one directory (default: ``dnc/data``)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR

    def _path(self, name: str) -> Path:
        return self.data_dir / name

    @cached_property
    def state_rules(self) -> tuple[StateRule, ...]:
        path = self._path("state_rules.csv")
        rules: list[StateRule] = []
        for line, row in read_rows(path):
            def where(column: str, line: int = line) -> dict[str, object]:
                return {"path": str(path), "line": line, "field": column}
            state = row["state"].upper()
            if state not in self.state_zones:
                raise ImportFormatError(f"unknown state {state!r}", **where("state"))
            if row["applies_to"] not in ("all", "prerecorded"):
                raise ImportFormatError("applies_to must be all or prerecorded",
                                        **where("applies_to"))
            weekday = _window(row["mon_fri"], where("mon_fri"))
            days = (weekday,) * 5 + (_window(row["saturday"], where("saturday")),
                                     _window(row["sunday"], where("sunday")))
            calendar = None if row["holidays"].lower() in ("", "none") else row["holidays"]
            if calendar is not None and calendar not in self.holiday_calendars:
                raise ImportFormatError(f"no holiday calendar {calendar!r} in holidays.csv",
                                        **where("holidays"))
            max_calls = per = None
            if row["max_calls"]:
                try:
                    max_calls = int(row["max_calls"])
                    per = timedelta(hours=float(row["per_hours"]))
                except ValueError as error:
                    raise ImportFormatError("max_calls/per_hours must be numbers",
                                            **where("max_calls")) from error
                if max_calls < 1 or per <= timedelta(0):
                    raise ImportFormatError("limit must be positive", **where("max_calls"))
            if not row["citation"]:
                raise ImportFormatError("every row needs a citation", **where("citation"))
            rules.append(StateRule(
                state=state, applies_to=row["applies_to"], days=days,
                holiday_calendar=calendar, max_calls=max_calls, per=per,
                same_subject=row["same_subject"].lower() in ("true", "yes", "1"),
                citation=row["citation"], source=row["source"], reviewed=row["reviewed"],
                notes=row["notes"], line=line))
        return tuple(rules)

    @cached_property
    def holiday_calendars(self) -> dict[str, HolidayCalendar]:
        path = self._path("holidays.csv")
        grouped: dict[str, list[Holiday]] = {}
        for line, row in read_rows(path):
            holiday = Holiday(row["calendar"], row["name"], row["rule"], row["observed"],
                              row["citation"])
            try:
                if holiday.observed not in ("none", "sun_to_mon", "nearest_weekday"):
                    raise ValueError(holiday.observed)
                holiday.dates(2026)
            except (ValueError, KeyError) as error:
                raise ImportFormatError(f"bad holiday rule {holiday.rule!r}/{holiday.observed!r}",
                                        path=str(path), line=line, field="rule") from error
            grouped.setdefault(holiday.calendar, []).append(holiday)
        return {name: HolidayCalendar(name, tuple(days)) for name, days in grouped.items()}

    @cached_property
    def state_zones(self) -> dict[str, tuple[str, ...]]:
        path = self._path("state_zones.csv")
        zones: dict[str, tuple[str, ...]] = {}
        for line, row in read_rows(path):
            names = tuple(row["zones"].split())
            for name in names:
                try:
                    ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError) as error:
                    raise ImportFormatError(f"unknown time zone {name!r}", path=str(path),
                                            line=line, field="zones") from error
            zones[row["state"].upper()] = names
        return zones

    @cached_property
    def zip3_states(self) -> dict[str, str]:
        path = self._path("zip3_states.csv")
        prefixes: dict[str, str] = {}
        for line, row in read_rows(path):
            try:
                first, last = int(row["first"]), int(row["last"])
            except ValueError as error:
                raise ImportFormatError("ZIP prefixes must be digits", path=str(path),
                                        line=line, field="first") from error
            for prefix in range(first, last + 1):
                prefixes[f"{prefix:03d}"] = row["state"].upper()
        return prefixes
