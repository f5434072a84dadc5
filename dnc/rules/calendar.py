"""Calling windows in the called party's local time, and the exact next allowed instant.

The ground truth is always "convert the instant to local wall time and compare", so DST
transitions are handled by ``zoneinfo``; the search for the next allowed instant only
proposes candidates (each day's window opening) and keeps the first that passes that test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_MIDNIGHT = time(0)
SEARCH_HORIZON = timedelta(days=400)
"""Longest look-ahead for an allowed instant: a year of holidays plus slack."""

DayWindow = tuple[time, time] | None
"""Local [start, end) on one weekday; None: no calls that day. ``time(0)`` as end = midnight."""


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Allowed local hours per weekday (Monday first), with dates on which no call may be made."""

    days: tuple[DayWindow, ...]
    holidays: Callable[[date], bool] | None = None

    @classmethod
    def daily(cls, start: time, end: time) -> WeeklyWindow:
        return cls(days=((start, end),) * 7)

    def window_on(self, day: date) -> DayWindow:
        if self.holidays is not None and self.holidays(day):
            return None
        return self.days[day.weekday()]

    def allows_local(self, local: datetime) -> bool:
        window = self.window_on(local.date())
        if window is None:
            return False
        start, end = window
        wall = time(local.hour, local.minute, local.second, local.microsecond)
        return start <= wall and (end == _MIDNIGHT or wall < end)


def allowed_in_zone(window: WeeklyWindow, zone: ZoneInfo, at: datetime) -> bool:
    return window.allows_local(at.astimezone(zone))


def next_allowed_in_zone(window: WeeklyWindow, zone: ZoneInfo, at: datetime,
                         horizon: timedelta = SEARCH_HORIZON) -> datetime | None:
    """Earliest instant >= ``at`` allowed by ``window`` in ``zone`` (None within the horizon)."""
    if allowed_in_zone(window, zone, at):
        return at
    first_day = at.astimezone(zone).date()
    for offset in range(horizon.days + 1):
        day = first_day + timedelta(days=offset)
        opening = window.window_on(day)
        if opening is None:
            continue
        candidate = _opening_instant(window, zone, day, opening[0])
        if candidate is not None and candidate > at:
            return candidate
    return None


def _opening_instant(window: WeeklyWindow, zone: ZoneInfo, day: date,
                     start: time) -> datetime | None:
    """The first instant of ``day``'s window; a start inside a DST gap opens at the gap's end."""
    local = datetime.combine(day, start, tzinfo=zone)
    candidate = local.astimezone(UTC)  # fold=0: on a repeated hour, the earlier instant
    if candidate.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return candidate if allowed_in_zone(window, zone, candidate) else None
    # Non-existent local start (spring-forward gap): fold=1 maps it before the transition,
    # fold=0 after; the window opens at the first allowed minute between them.
    probe = local.replace(fold=1).astimezone(UTC)
    latest = max(candidate, probe) + timedelta(minutes=1)
    probe = min(candidate, probe)
    while probe <= latest:
        if probe.astimezone(zone).date() == day and allowed_in_zone(window, zone, probe):
            return probe
        probe += timedelta(minutes=1)
    return None


def allowed_in_all(window: WeeklyWindow, zones: Sequence[ZoneInfo], at: datetime) -> bool:
    return all(allowed_in_zone(window, zone, at) for zone in zones)


def next_allowed_in_all(window: WeeklyWindow, zones: Sequence[ZoneInfo], at: datetime,
                        horizon: timedelta = SEARCH_HORIZON) -> datetime | None:
    """Earliest instant >= ``at`` allowed in every zone; None when the zones share no window.

    Each zone's own next-allowed instant is a lower bound of the joint one, so taking their
    maximum and repeating converges to the first common instant (or runs past the horizon).
    """
    limit = at + horizon
    candidate = at
    while candidate <= limit:
        proposals = []
        for zone in zones:
            proposal = next_allowed_in_zone(window, zone, candidate, limit - candidate)
            if proposal is None:
                return None
            proposals.append(proposal)
        latest = max(proposals)
        if latest == candidate:
            return candidate
        candidate = latest
    return None


@lru_cache(maxsize=256)
def describe_window(window: WeeklyWindow) -> str:
    """Human text such as "Mon-Sat 08:00-20:00, Sun no calls"."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    groups: list[tuple[int, int, DayWindow]] = []
    for index, day in enumerate(window.days):
        if groups and groups[-1][2] == day:
            groups[-1] = (groups[-1][0], index, day)
        else:
            groups.append((index, index, day))
    parts = []
    for first, last, day in groups:
        span = names[first] if first == last else f"{names[first]}-{names[last]}"
        if day is None:
            text = "no calls"
        else:
            end = "24:00" if day[1] == time(0) else day[1].strftime("%H:%M")
            text = f"{day[0].strftime('%H:%M')}-{end}"
        parts.append(f"{span} {text}")
    if window.holidays is not None:
        parts.append("no calls on listed holidays")
    return ", ".join(parts)
