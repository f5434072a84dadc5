"""Dates on which calls are banned in part of a state: declared emergencies and holidays kept
only in some counties.

- LPSC General Order R-29617 and the LPSC DNC emergency program: while a state of emergency
  is declared, no telephonic solicitation at all, even with consent or an established business
  relationship, to the parishes concerned (https://lpsc.louisiana.gov/DNC_Emergency).
- N.Y. Gen. Bus. Law 399-z(5-a) (in force 18 Dec 2019): no unsolicited telemarketing sales
  call to a person in a county, city, town or village under a declared state of emergency or
  disaster emergency.
- Ala. Code 1-3-8: Mardi Gras is a holiday in Baldwin and Mobile counties only.

An officer keeps declared emergencies in ``<data>/rules/emergencies.csv`` (``dialer
compliance emergency add|import``); the built-in ``dnc/data/emergencies.csv`` lists past
ones for reference. Columns: ``state,name,from,until,areas,calls,citation,source``, dates
inclusive in the state's local time, ``until`` blank while the emergency lasts, ``areas``
``county:NAME``, ``zip:NNNNN`` or ``zip3:NNN`` separated by ``;`` (blank: statewide),
``calls`` ``telemarketing`` or ``all`` (blank: ``all`` in Louisiana, whose emergency ban
covers every call, and ``telemarketing`` elsewhere).

A lead whose area is unknown (no county, no ZIP) is inside every area of its states: the
strict reading. The file is re-read when it changes (``refresh``), so a declaration the
officer adds stops the next dial.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dnc.errors import ImportFormatError
from dnc.rules.holidays import Holiday

EMERGENCY_COLUMNS = ("state", "name", "from", "until", "areas", "calls", "citation", "source")
CALLS = ("telemarketing", "all")
EVERY_CALL_STATES = frozenset({"LA"})
"""States whose emergency ban covers every call, consented or exempt ones included (the LPSC
program bans all telephonic solicitation, consent and EBR notwithstanding): ``calls`` is
``all`` by default there, and a row narrowing it to telemarketing is refused."""


@dataclass(frozen=True, slots=True)
class AreaBan:
    """No calls (of ``calls`` kind) to ``areas`` of ``state`` from ``first`` to ``last``."""

    state: str
    name: str
    first: date
    last: date | None          # None: until lifted
    areas: tuple[str, ...]     # empty: the whole state
    calls: str                 # "telemarketing" | "all"
    citation: str
    source: str = ""

    def on(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def concerns(self, telemarketing: bool) -> bool:
        return self.calls == "all" or telemarketing

    def covers(self, county: str | None, postal_code: str | None) -> tuple[bool, str]:
        """Whether a lead in ``county``/``postal_code`` is inside, and how that was decided."""
        if not self.areas:
            return True, "statewide"
        zip5 = "".join(ch for ch in postal_code or "" if ch.isdigit())[:5]
        county_key = _county(county) if county else None
        knowable = False
        for area in self.areas:
            kind, _, value = area.partition(":")
            if kind == "county" and county_key is not None:
                knowable = True
                if _county(value) == county_key:
                    return True, f"county {county}"
            elif kind == "zip" and len(zip5) == 5:
                knowable = True
                if zip5 == value:
                    return True, f"ZIP {zip5}"
            elif kind == "zip3" and len(zip5) == 5:
                knowable = True
                if zip5.startswith(value):
                    return True, f"ZIP {zip5}"
        if knowable:
            return False, "outside the listed areas"
        return True, "the lead's county/ZIP is unknown, so it may be inside " + \
            ", ".join(self.areas)


def _county(text: str) -> str:
    words = text.casefold().replace(".", "").split()
    return " ".join(w for w in words if w not in ("county", "parish", "borough"))


def parse_areas(text: str, where: dict[str, object]) -> tuple[str, ...]:
    areas = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        kind, sep, value = item.partition(":")
        kind = kind.strip().lower()
        value = value.strip()
        if not sep or kind not in ("county", "zip", "zip3") or not value:
            raise ImportFormatError(f"area {item!r}: write county:NAME, zip:NNNNN or zip3:NNN",
                                    **where)
        if kind == "zip" and not (value.isdigit() and len(value) == 5):
            raise ImportFormatError(f"area {item!r}: a ZIP code has 5 digits", **where)
        if kind == "zip3" and not (value.isdigit() and len(value) == 3):
            raise ImportFormatError(f"area {item!r}: a ZIP prefix has 3 digits", **where)
        areas.append(f"{kind}:{value}")
    return tuple(areas)


def parse_emergencies(text: str, path: str, states: Iterable[str]) -> list[AreaBan]:
    """Rows of an emergencies CSV (``#`` comments allowed); one bad cell refuses the file."""
    known = set(states)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return []
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    header = [c.strip() for c in next(reader)]
    missing = [c for c in EMERGENCY_COLUMNS if c not in header]
    if missing:
        raise ImportFormatError(f"missing columns {', '.join(missing)} (expected "
                                f"{','.join(EMERGENCY_COLUMNS)})", path=path, line=lines[0][0])
    bans = []
    for (line, _), cells in zip(lines[1:], reader, strict=True):
        if len(cells) != len(header):
            raise ImportFormatError(f"expected {len(header)} columns, got {len(cells)}",
                                    path=path, line=line)
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}

        def where(column: str, line: int = line) -> dict[str, object]:
            return {"path": path, "line": line, "field": column}

        state = row["state"].upper()
        if state not in known:
            raise ImportFormatError(f"unknown state {row['state']!r}", **where("state"))
        try:
            first = date.fromisoformat(row["from"])
        except ValueError as error:
            raise ImportFormatError(f"from {row['from']!r} is not a date (YYYY-MM-DD)",
                                    **where("from")) from error
        last = None
        if row["until"]:
            try:
                last = date.fromisoformat(row["until"])
            except ValueError as error:
                raise ImportFormatError(f"until {row['until']!r} is not a date (YYYY-MM-DD)",
                                        **where("until")) from error
            if last < first:
                raise ImportFormatError("until is before from", **where("until"))
        calls = row["calls"].lower() or ("all" if state in EVERY_CALL_STATES
                                         else "telemarketing")
        if calls not in CALLS:
            raise ImportFormatError("calls must be telemarketing or all", **where("calls"))
        if state in EVERY_CALL_STATES and calls != "all":
            raise ImportFormatError(f"a declared emergency in {state} bans every call, "
                                    "consented or exempt ones too (LPSC DNC emergency "
                                    "program): calls must be all", **where("calls"))
        if not row["citation"]:
            raise ImportFormatError("every emergency needs a citation (the declaration or "
                                    "statute)", **where("citation"))
        bans.append(AreaBan(state, row["name"] or "declared emergency", first, last,
                            parse_areas(row["areas"], where("areas")), calls, row["citation"],
                            row["source"]))
    return bans


class AreaBans:
    """Emergencies (built-in and the officer's file) and area-limited holidays, by state."""

    def __init__(self, builtin: Path | None, officer: Path | None, states: Iterable[str],
                 holidays: dict[str, Sequence[Holiday]] | None = None) -> None:
        self.builtin = builtin
        self.officer = officer
        self.states = frozenset(states)
        self.holidays = {state: tuple(h for h in days if h.areas)
                         for state, days in (holidays or {}).items()}
        self._stamp: tuple[float, int] | None = None
        self._emergencies: list[AreaBan] = []
        self._builtin: list[AreaBan] = self._read(builtin) if builtin else []
        self._cache: dict[tuple[str, int], list[AreaBan]] = {}
        self._days: dict[tuple[str, date], bool] = {}
        self.quiet: dict[tuple[str, int, bool], bool] = {}
        """(state, UTC year, the UTC date is in January or December) -> no ban of the state
        touches the local dates an instant of that kind can have (``none_near``); read by
        the area-ban rule at every dial without a call."""
        self.refresh()

    def _read(self, path: Path) -> list[AreaBan]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ImportFormatError(f"cannot read emergencies: {error}", path=str(path)) \
                from error
        return parse_emergencies(text, str(path), self.states)

    def refresh(self) -> bool:
        """Re-read the officer's file if it changed; True when it did."""
        if self.officer is None:
            return False
        try:
            info = os.stat(self.officer)
            stamp = (info.st_mtime, info.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return False
        self._emergencies = self._read(self.officer) if stamp else []
        self._stamp = stamp
        # New tables rather than cleared ones, in this order: an answer a check (another
        # thread) is still working out from the old bans lands in an old table.
        self._cache = {}
        self._days = {}
        self.quiet = {}
        return True

    def for_state(self, state: str, year: int) -> list[AreaBan]:
        """The bans of ``state`` that can touch dates of ``year``: emergencies, and the
        area-limited holidays of the state's calendar (telemarketing only, like the state
        row that names the calendar)."""
        key = (state, year)
        cache = self._cache
        cached = cache.get(key)
        if cached is not None:
            return cached
        found = [b for b in self._builtin + self._emergencies if b.state == state
                 and b.first.year <= year and (b.last is None or b.last.year >= year)]
        for holiday in self.holidays.get(state, ()):
            for day in holiday.dates(year):
                found.append(AreaBan(state, f"holiday: {holiday.name}", day, day,
                                     holiday.areas, "telemarketing", holiday.citation))
        cache[key] = found
        return found

    def any_on(self, state: str, day: date) -> bool:
        """Does any ban of ``state`` fall on ``day``, whatever areas and calls it concerns?
        Kept per (state, date): a state with area holidays (Alabama's county holidays)
        has a dozen bans a year, and most local dates are none of theirs, so the area-ban
        rule asks this before it looks at each ban."""
        key = (state, day)
        days = self._days
        found = days.get(key)
        if found is None:
            found = any(ban.on(day) for ban in self.for_state(state, day.year))
            if len(days) >= 65536:
                days.clear()
            days[key] = found
        return found

    def none_near(self, state: str, year: int, edge: bool) -> bool:
        """No ban of ``state`` in ``year`` and, when ``edge`` (a UTC date in January or
        December), none in the neighbouring years either: every local date of such an
        instant lies within a day of its UTC date (offsets are UTC-12 to UTC+14)."""
        table = self.quiet
        found = not self.for_state(state, year) and (not edge or (
            not self.for_state(state, year - 1) and not self.for_state(state, year + 1)))
        table[(state, year, edge)] = found
        return found

    def all(self) -> list[AreaBan]:
        return list(self._builtin + self._emergencies)
