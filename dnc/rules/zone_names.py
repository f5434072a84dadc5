"""Which time-zone names a user may give: a place's zone, never an abbreviation or a fixed offset.

``EST`` loads (tzdata keeps it), but it is UTC-5 all year: a manager who means New York and
writes ``EST`` opens a queue an hour late from March to November, and a lead's local time
computed from it is an hour off every summer. ``EST5EDT`` follows the US rules since 1967,
not a place's history; ``Etc/GMT+5`` is UTC-5 (POSIX inverts the sign); ``GMT`` is not
London's time in summer; ``localtime`` is this machine's zone, not a callee's. Each is
refused with the zone the user probably meant. A backward link to a place (``US/Eastern``
to ``America/New_York``, ``GB`` to ``Europe/London``) keeps that place's whole history and
summer time, so it is accepted as it is in tzdata.

``UTC`` is accepted where a clock is meant (a queue's opening hours, a report's hours of
day), never as where a callee is: no one is called in UTC.

The policy is by name, not by what the installed tzdata holds: since tzdata 2024b ``EST``
and ``EST5EDT`` are links (to America/Panama and America/New_York), before they were
zones of their own; the answer here is the same with either.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_EASTERN, _CENTRAL = "America/New_York", "America/Chicago"
_MOUNTAIN, _PACIFIC = "America/Denver", "America/Los_Angeles"
_ALASKA, _HAWAII = "America/Anchorage", "Pacific/Honolulu"
_LONDON = "Europe/London"

FIXED_ABBREVIATIONS: dict[str, str] = {
    "EST": f"EST is UTC-5 all year, with no summer time; did you mean {_EASTERN}?",
    "MST": f"MST is UTC-7 all year, with no summer time; did you mean {_MOUNTAIN} "
           "(or America/Phoenix: Arizona keeps UTC-7 all year)?",
    "HST": f"HST is UTC-10 all year; write {_HAWAII} (Hawaii), or America/Adak for the "
           "Aleutian Islands, which keep summer time",
}
"""Abbreviations tzdata loads as fixed offsets (or, since 2024b, as links to a place that
keeps that offset all year)."""

POSIX_RULES: dict[str, str] = {
    "EST5EDT": _EASTERN, "CST6CDT": _CENTRAL, "MST7MDT": _MOUNTAIN, "PST8PDT": _PACIFIC,
    "CET": "Europe/Paris (or the country's own zone, e.g. Europe/Berlin)",
    "MET": "Europe/Paris (or the country's own zone, e.g. Europe/Berlin)",
    "EET": "Europe/Athens (or the country's own zone, e.g. Europe/Helsinki)",
    "WET": "Europe/Lisbon",
}
"""Rule names (a region's summer-time rules, not a place's history): the place's zone is
meant."""

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal",
                       "Zulu", "Etc/Zulu"})
GMT_NAMES = frozenset({"GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Etc/GMT", "Etc/GMT0",
                       "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich"})
NOT_ZONES = {
    "localtime": "localtime is this machine's zone, not a place's",
    "posixrules": "posixrules is tzdata's default rule file, not a place's zone",
    "Factory": "Factory is tzdata's placeholder for an unset zone, not a place's",
}

UNLOADABLE_ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(("EDT", "ET", "EASTERN", "EST/EDT"), _EASTERN),
    **dict.fromkeys(("CST", "CDT", "CT", "CENTRAL", "CST/CDT"), _CENTRAL),
    **dict.fromkeys(("MDT", "MT", "MOUNTAIN", "MST/MDT"), _MOUNTAIN),
    **dict.fromkeys(("PST", "PDT", "PT", "PACIFIC", "PST/PDT"), _PACIFIC),
    **dict.fromkeys(("AKST", "AKDT", "AKT", "ALASKA"), _ALASKA),
    **dict.fromkeys(("HAST", "HADT", "HAWAII"), _HAWAII),
    **dict.fromkeys(("BST", "UK"), _LONDON),
    "AST": "America/Puerto_Rico (or America/Halifax)",
}
"""Names users write that tzdata does not have (upper-cased): the zone they mean."""

_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")
_US_BY_OFFSET = {5: _EASTERN, 6: _CENTRAL, 7: _MOUNTAIN, 8: _PACIFIC, 9: _ALASKA,
                 10: _HAWAII}


@lru_cache(maxsize=1)
def _known_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@lru_cache(maxsize=1024)
def zone_name_problem(name: str, *, clock: bool = False) -> str | None:
    """Why ``name`` is not a zone to accept, or None when it is a place's zone.

    ``clock``: the zone of a clock (a queue's hours, a report's hours of day), where UTC may
    be meant; otherwise the zone of a place a callee may be in."""
    if name in UTC_NAMES:
        return None if clock else (
            f"{name} is no callee's local time; write the zone of where they are (e.g. "
            f"{_EASTERN}), or leave it empty to take the number's")
    if name in GMT_NAMES:
        instead = " (write UTC if UTC all year is meant)" if clock else ""
        return (f"{name} is UTC all year, with no summer time; did you mean {_LONDON} (GMT in "
                f"winter, BST in summer)?{instead}")
    if name in FIXED_ABBREVIATIONS:
        return FIXED_ABBREVIATIONS[name]
    if name in POSIX_RULES:
        return (f"{name} is a POSIX rule (one region's summer-time rule), not a place's zone "
                f"with its history; write {POSIX_RULES[name]}")
    if name in NOT_ZONES:
        return NOT_ZONES[name]
    if (offset := _ETC_OFFSET.fullmatch(name)) is not None:
        sign, hours = offset.groups()
        utc = f"UTC{'-' if sign == '+' else '+'}{int(hours)}"
        meant = _US_BY_OFFSET.get(int(hours)) if sign == "+" else None
        hint = f"did you mean {meant}?" if meant else "write the place's zone (Area/City)"
        return (f"{name} is {utc} all year (the sign is inverted, as POSIX writes it), with "
                f"no summer time; {hint}")
    if name.startswith(("posix/", "right/")):
        plain = name.split("/", 1)[1]
        return (f"{name} is tzdata's {name.split('/')[0]} copy of a zone (right/ counts leap "
                f"seconds, off by half a minute); write {plain}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _unknown(name)
    return None


_UTC_OFFSET = re.compile(r"(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?00)?", re.IGNORECASE)


def _unknown(name: str) -> str:
    said = f"{name!r} is not an IANA time zone"
    if (offset := _UTC_OFFSET.fullmatch(name.strip())) is not None:
        sign, hours = offset.groups()
        meant = _US_BY_OFFSET.get(int(hours)) if sign == "-" else None
        where = f"did you mean {meant}?" if meant else "write the place's zone (Area/City)"
        return f"{said}: a fixed offset has no summer time; {where}"
    meant = UNLOADABLE_ABBREVIATIONS.get(name.strip().upper())
    if meant is None:
        meant = _known_by_folded_name().get(name.strip().casefold())
    return f"{said}; did you mean {meant}?" if meant else f"{said} (e.g. {_CENTRAL})"


def check_zone_name(name: str, *, clock: bool = False) -> str:
    """``name`` when accepted, else ``ValueError`` with ``zone_name_problem``'s sentence."""
    if (problem := zone_name_problem(name, clock=clock)) is not None:
        raise ValueError(problem)
    return name
