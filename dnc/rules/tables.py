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
from dnc.rules.area_bans import AreaBans, parse_areas
from dnc.rules.holidays import Holiday, HolidayCalendar, HolidayRuleError

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FEDERAL_DAY = (time(8), time(21))
APPLIES_TO = ("all", "autodialed", "prerecorded", "recorded")
"""``recorded``: every campaign that plays a recorded message, telemarketing or not (an
automatic dialing-announcing device statute binding every caller: Cal. Pub. Util. Code §
2872(b), Ind. Code § 24-5-14-5 as State v. American Family Voices (Ind. 2008) reads it);
its rules keep the ``prerecorded`` id. The other rows bind telemarketing campaigns only."""
CONSENT = ("", "written", "express", "banned")

__all__ = ["DEFAULT_DATA_DIR", "Holiday", "HolidayCalendar", "RuleTables", "StateRule",
           "tables_for_data"]


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


def _date(text: str, where: dict[str, object]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ImportFormatError(f"{text!r} is not a date (YYYY-MM-DD)", **where) from error


@dataclass(frozen=True, slots=True)
class StateRule:
    """One reviewed row of ``state_rules.csv``."""

    state: str
    applies_to: str                       # "all" | "autodialed" | "prerecorded" | "recorded"
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
    consent: str = ""
    """"written": prior express written consent for autodialed or prerecorded calls;
    "express": consent for a recorded message; "banned": such calls are not allowed."""
    also_in: tuple[str, ...] = ()
    """Zones the window must also hold in (e.g. Mississippi's literal "Central Standard
    Time", Etc/GMT+6, besides local time)."""
    effective: date | None = None
    """The date the row took effect (the rule does not apply to earlier instants)."""

    @property
    def rule_key(self) -> str:
        kind = "prerecorded" if self.applies_to == "recorded" else self.applies_to
        suffix = "" if kind == "all" else f".{kind}"
        return f"state.{self.state}{suffix}"


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


@dataclass(frozen=True, slots=True)
class StateList:
    """A state that keeps its own do-not-call list (a row of ``state_dnc_lists.csv``)."""

    state: str
    citation: str
    source: str
    reviewed: str
    notes: str
    line: int


class RuleTables:
    """Every data table the rules use, loaded from one directory (default: ``dnc/data``)."""

    def __init__(self, data_dir: Path | None = None, officer_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
        self.officer_dir = Path(officer_dir) if officer_dir is not None else None
        """Where the officer's emergencies file lives (``<data>/rules``), if anywhere."""

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
            if row["applies_to"] not in APPLIES_TO:
                raise ImportFormatError(f"applies_to must be one of {', '.join(APPLIES_TO)}",
                                        **where("applies_to"))
            consent = row.get("consent", "").lower()
            if consent not in CONSENT:
                raise ImportFormatError("consent must be written, express, banned or empty",
                                        **where("consent"))
            also_in = tuple(row.get("also_in", "").split())
            for name in also_in:
                try:
                    ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError) as error:
                    raise ImportFormatError(f"unknown time zone {name!r}",
                                            **where("also_in")) from error
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
                notes=row["notes"], line=line, consent=consent, also_in=also_in,
                effective=_date(row.get("effective", ""), where("effective"))))
        return tuple(rules)

    @cached_property
    def holidays(self) -> tuple[Holiday, ...]:
        path = self._path("holidays.csv")
        found: list[Holiday] = []
        for line, row in read_rows(path):
            def where(column: str, line: int = line) -> dict[str, object]:
                return {"path": str(path), "line": line, "field": column}
            holiday = Holiday(
                row["calendar"], row["name"], row["rule"], row.get("observed") or "none",
                row["citation"], (row.get("years") or "all").lower(),
                _date(row.get("from", ""), where("from")),
                _date(row.get("until", ""), where("until")),
                parse_areas(row.get("areas", ""), where("areas")))
            try:
                holiday.validate()
            except HolidayRuleError as error:
                raise ImportFormatError(f"bad holiday {holiday.name!r}: {error}",
                                        **where("rule")) from error
            if not holiday.citation:
                raise ImportFormatError("every holiday needs a citation", **where("citation"))
            found.append(holiday)
        return tuple(found)

    @cached_property
    def holiday_calendars(self) -> dict[str, HolidayCalendar]:
        """Statewide holidays per calendar (area-limited ones are in ``area_bans``)."""
        grouped: dict[str, list[Holiday]] = {}
        for holiday in self.holidays:
            grouped.setdefault(holiday.calendar, [])
            if not holiday.areas:
                grouped[holiday.calendar].append(holiday)
        return {name: HolidayCalendar(name, tuple(days)) for name, days in grouped.items()}

    @cached_property
    def area_bans(self) -> AreaBans:
        """Declared emergencies (built in and the officer's ``emergencies.csv``) and the
        area-limited holidays of each state's calendars."""
        by_state: dict[str, list[Holiday]] = {}
        for row in self.state_rules:
            if row.holiday_calendar:
                by_state.setdefault(row.state, []).extend(
                    h for h in self.holidays if h.calendar == row.holiday_calendar)
        officer = self.officer_dir / "emergencies.csv" if self.officer_dir else None
        return AreaBans(self._path("emergencies.csv"), officer, self.state_zones,
                        {state: tuple(dict.fromkeys(days)) for state, days in by_state.items()})

    @cached_property
    def state_dnc_lists(self) -> dict[str, StateList]:
        """States with their own do-not-call list. An officer's rules directory without the
        file uses the built-in one (it only ever adds refusals)."""
        path = self._path("state_dnc_lists.csv")
        if not path.exists():
            path = DEFAULT_DATA_DIR / "state_dnc_lists.csv"
        found: dict[str, StateList] = {}
        for line, row in read_rows(path):
            state = row["state"].strip().upper()
            if state not in self.state_zones:
                raise ImportFormatError(f"unknown state {state!r}", path=str(path), line=line,
                                        field="state")
            if not row["citation"].strip():
                raise ImportFormatError("every state list needs a citation", path=str(path),
                                        line=line, field="citation")
            found[state] = StateList(state, row["citation"].strip(), row["source"].strip(),
                                     row["reviewed"].strip(), row["notes"].strip(), line)
        return found

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


def tables_for_data(data_dir: Path) -> RuleTables:
    """The rule tables of a data directory: ``<data>/rules`` when it has a
    ``state_rules.csv`` (an officer's own table), else the built-in ``dnc/data``; declared
    emergencies from ``<data>/rules/emergencies.csv`` either way. The claim-time and the
    dial-time checks and ``dialer compliance`` all read them here, so they never decide on
    different tables."""
    tables_dir = Path(data_dir) / "rules"
    own = tables_dir if (tables_dir / "state_rules.csv").exists() else None
    return RuleTables(own, officer_dir=tables_dir)
