"""Holiday rules and data tables: dates computed as the statutes define them."""

from __future__ import annotations

from datetime import date

import pytest

from dnc.errors import ImportFormatError
from dnc.rules.tables import Holiday, RuleTables

TABLES = RuleTables()


@pytest.mark.parametrize(("rule", "observed", "year", "expected"), [
    ("4 THU 11", "none", 2026, {date(2026, 11, 26)}),            # Thanksgiving
    ("last MON 05", "none", 2026, {date(2026, 5, 25)}),          # Memorial Day
    ("3 MON 01", "none", 2027, {date(2027, 1, 18)}),             # MLK Day
    ("12-25", "nearest_weekday", 2027, {date(2027, 12, 25), date(2027, 12, 24)}),  # Saturday
    ("12-25", "sun_to_mon", 2022, {date(2022, 12, 25), date(2022, 12, 26)}),       # Sunday
    ("07-04", "sun_to_mon", 2026, {date(2026, 7, 4)}),           # Saturday: not moved
    ("2026-07-03", "none", 2026, {date(2026, 7, 3)}),            # a proclaimed date
    ("2026-07-03", "none", 2027, set()),
])
def test_holiday_dates(rule, observed, year, expected):
    assert set(Holiday("X", "h", rule, observed, "c").dates(year)) == expected


def test_shipped_calendars_ban_christmas_and_new_years_observance():
    for name in ("AL", "LA", "RI", "UT"):
        assert TABLES.holiday_calendars[name](date(2026, 12, 25))
    # 2028-01-01 is a Saturday: Alabama observes it on Friday 2027-12-31.
    assert TABLES.holiday_calendars["AL"](date(2027, 12, 31))
    assert TABLES.holiday_calendars["AL"].name_of(date(2026, 11, 26)) == "Thanksgiving Day"


def test_every_state_row_has_a_citation_and_known_zones():
    for row in TABLES.state_rules:
        assert row.citation and row.state in TABLES.state_zones
    assert TABLES.zip3_states["331"] == "FL" and TABLES.zip3_states["900"] == "CA"


def test_bad_holiday_rule_is_reported_with_line(tmp_path):
    (tmp_path / "holidays.csv").write_text(
        "calendar,name,rule,observed,citation\nAL,x,01-01,none,c\nAL,y,5 FOO 01,none,c\n")
    with pytest.raises(ImportFormatError) as error:
        _ = RuleTables(tmp_path).holiday_calendars
    assert error.value.line == 3 and error.value.field == "rule"
