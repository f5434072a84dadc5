"""The calling-hours rule remembers a pass for its UTC minute: the remembered answer is the
computed one for every instant of that minute, across clock changes, half-hour offsets and
windows that do not open on a whole minute."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.rules.base import CallingHoursRule, RuleContext
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.model import CampaignRules, LeadFacts
from dnc.rules.zones import Placement

ZONES = [ZoneInfo(name) for name in (
    "America/New_York", "America/Phoenix", "Pacific/Honolulu", "Asia/Kolkata",
    "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/London", "America/St_Johns")]
WINDOWS = (
    WeeklyWindow.daily(time(8), time(21)),
    WeeklyWindow.daily(time(8, 0, 30), time(20, 59, 59, 500)),
    WeeklyWindow(days=((time(9), time(20)),) * 5 + ((time(10), time(17)), None),
                 holidays=lambda day: day.day == 1),
)
# Minutes near clock changes (New York, London, Lord Howe, St John's) and window edges.
ANCHORS = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
           datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 4, 4, 15, tzinfo=UTC),
           datetime(2026, 11, 10, 13, tzinfo=UTC), datetime(2026, 11, 11, 2, tzinfo=UTC),
           datetime(2026, 12, 1, 13, 30, tzinfo=UTC), datetime(2026, 11, 10, 2, 30, tzinfo=UTC)]


def context(zones: tuple[ZoneInfo, ...]) -> RuleContext:
    placement = Placement(tuple(z.key for z in zones), "test", (), "US", False, True,
                          infos=zones)
    return RuleContext(LeadFacts("+12015550123"), CampaignRules("c"), placement, zones, (), (),
                       (), None)


@settings(max_examples=200, deadline=None)
@given(window=st.sampled_from(WINDOWS),
       zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
       checks=st.lists(st.tuples(st.sampled_from(ANCHORS),
                                 st.one_of(st.integers(-2, 2), st.integers(-180, 180)),
                                 st.integers(0, 59_999_999)), min_size=1, max_size=30))
def test_a_remembered_pass_is_the_computed_answer(window, zones, checks) -> None:
    remembered = CallingHoursRule("hours", "hours", "test", window)
    computed = CallingHoursRule("hours", "hours", "test", window)
    ctx = context(tuple(zones))
    for anchor, minutes, micros in checks:
        at = anchor + timedelta(minutes=minutes, microseconds=micros)
        assert remembered.evaluate(ctx, at) == computed._evaluate(ctx, at)


def test_a_window_opening_inside_a_minute_is_never_remembered() -> None:
    """08:00:30 opens inside the minute 08:00: a pass at 08:00:40 says nothing of 08:00:10."""
    rule = CallingHoursRule("hours", "hours", "test", WINDOWS[1])
    ctx = context((ZoneInfo("America/New_York"),))
    eight = datetime(2026, 11, 10, 13, tzinfo=UTC)  # 08:00 EST
    assert rule.evaluate(ctx, eight + timedelta(seconds=40)).passed
    assert not rule.evaluate(ctx, eight + timedelta(seconds=10)).passed
    whole = CallingHoursRule("hours", "hours", "test", WINDOWS[0])
    assert whole.evaluate(ctx, eight + timedelta(seconds=40)).passed
    assert whole.passes  # a whole-minute window remembers the same pass
