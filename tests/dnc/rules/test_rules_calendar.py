"""Calling windows across zones and DST: allowed means inside the window in every zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.rules.calendar import (
    WeeklyWindow,
    allowed_in_all,
    next_allowed_in_all,
    next_allowed_in_zone,
)

ZONE_NAMES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
              "America/Los_Angeles", "America/Anchorage", "America/Adak", "Pacific/Honolulu",
              "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]
# DST changes of 2026 (US: Mar 8, Nov 1; UK: Mar 29, Oct 25; Lord Howe: Apr 5, Oct 4).
TRANSITIONS = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
               datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
               datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, tzinfo=UTC)]

windows = st.sampled_from([
    WeeklyWindow.daily(time(8), time(21)),
    WeeklyWindow.daily(time(8), time(20)),
    WeeklyWindow(days=((time(9), time(18)),) * 5 + ((time(10), time(17)), None)),
    WeeklyWindow(days=((time(9), time(21)),) * 6 + ((time(12), time(21)),)),
    # A window that opens inside the US spring-forward gap (02:00-03:00 does not exist).
    WeeklyWindow.daily(time(2, 30), time(21)),
])
instants = st.builds(lambda base, minutes: base + timedelta(minutes=minutes),
                     st.sampled_from(TRANSITIONS), st.integers(-3 * 24 * 60, 3 * 24 * 60))
zone_sets = st.lists(st.sampled_from(ZONE_NAMES), min_size=1, max_size=3, unique=True).map(
    lambda names: tuple(ZoneInfo(name) for name in names))


def inside(window: WeeklyWindow, zone: ZoneInfo, at: datetime) -> bool:
    """The oracle: local wall clock inside that weekday's window."""
    local = at.astimezone(zone)
    day = window.days[local.weekday()]
    return day is not None and day[0] <= local.time() < day[1]


@settings(max_examples=150, deadline=None)
@given(windows, zone_sets, instants)
def test_allowed_only_inside_every_zones_window(window, zones, at):
    assert allowed_in_all(window, zones, at) == all(inside(window, z, at) for z in zones)


@settings(max_examples=60, deadline=None)
@given(windows, zone_sets, instants)
def test_earliest_allowed_is_allowed_and_nothing_earlier_is(window, zones, at):
    earliest = next_allowed_in_all(window, zones, at)
    if earliest is None:
        probe = at
        while probe < at + timedelta(days=8):
            assert not allowed_in_all(window, zones, probe)
            probe += timedelta(minutes=15)
        return
    assert earliest >= at
    assert all(inside(window, zone, earliest) for zone in zones)
    probe = at
    while probe < earliest:  # nothing earlier, at one-minute resolution
        assert not allowed_in_all(window, zones, probe), probe
        probe += timedelta(minutes=1)
    assert not allowed_in_all(window, zones, earliest - timedelta(seconds=1)) or earliest == at


def test_window_opening_inside_spring_forward_gap_opens_at_gap_end():
    zone = ZoneInfo("America/New_York")
    window = WeeklyWindow.daily(time(2, 30), time(21))
    # 2026-03-08 01:00 EST = 06:00 UTC; 02:30 does not exist, the day's first 02:30+ is 03:00 EDT.
    at = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    assert next_allowed_in_zone(window, zone, at) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_fall_back_day_keeps_local_wall_clock():
    zone = ZoneInfo("America/Los_Angeles")
    window = WeeklyWindow.daily(time(8), time(21))
    # 2026-11-01: 08:00 PST = 16:00 UTC (the day before it was 15:00 UTC, PDT).
    assert next_allowed_in_zone(window, zone, datetime(2026, 11, 1, 12, tzinfo=UTC)) == \
        datetime(2026, 11, 1, 16, tzinfo=UTC)
    assert next_allowed_in_zone(window, zone, datetime(2026, 10, 31, 12, tzinfo=UTC)) == \
        datetime(2026, 10, 31, 15, tzinfo=UTC)


def test_zones_without_a_common_window_are_unreachable():
    window = WeeklyWindow.daily(time(9), time(10))
    zones = (ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"))
    assert next_allowed_in_all(window, zones, datetime(2026, 6, 1, tzinfo=UTC)) is None


def test_holidays_are_skipped():
    christmas = datetime(2026, 12, 25).date()
    window = WeeklyWindow(days=((time(8), time(20)),) * 7, holidays=lambda d: d == christmas)
    zone = ZoneInfo("America/Chicago")
    at = datetime(2026, 12, 25, 18, tzinfo=UTC)  # noon in Chicago on Christmas
    assert next_allowed_in_zone(window, zone, at) == datetime(2026, 12, 26, 14, tzinfo=UTC)
