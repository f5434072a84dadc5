"""Golden tests: every row of dnc/data/state_rules.csv behaves as the row states."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rules_kit import INTERNAL, NATIONAL, campaign, engine, outcome

from dnc.errors import ImportFormatError
from dnc.interfaces import PastAttempt, RegistryKind, RegistryVersion
from dnc.rules.model import LeadFacts, Profile
from dnc.rules.tables import RuleTables

TABLES = RuleTables()
ROWS = TABLES.state_rules
NUMBER = "+12015550123"  # a New Jersey area code: NJ has no overlay row
WEEK = {0: date(2026, 11, 16), 5: date(2026, 11, 21), 6: date(2026, 11, 22)}  # Mon, Sat, Sun


def setup(row):
    zone = ZoneInfo(TABLES.state_zones[row.state][0])
    lead = LeadFacts(NUMBER, state=row.state, time_zone=zone.key, subject="solar")
    rules = campaign(Profile.US_STATE, prerecorded=row.applies_to == "prerecorded")
    return zone, lead, rules


def local(zone, day, clock):
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def hours_outcome(row, lead, rules, at, attempts=()):
    decision = engine(attempts=attempts).check(lead, rules, at)
    return outcome(decision, f"{row.rule_key}.hours"), decision


def minus_minute(clock: time) -> time:
    return (datetime.combine(date(2026, 1, 1), clock) - timedelta(minutes=1)).time()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.rule_key)
def test_row_hours_open_and_close_as_stated(row):
    zone, lead, rules = setup(row)
    for weekday, day in WEEK.items():
        window = row.days[weekday]
        if window is None:
            result, _ = hours_outcome(row, lead, rules, local(zone, day, time(12)))
            assert not result.passed, (row.state, day)
            assert result.earliest is not None and result.earliest > local(zone, day, time(12))
            continue
        start, end = window
        assert hours_outcome(row, lead, rules, local(zone, day, start))[0].passed
        assert hours_outcome(row, lead, rules, local(zone, day, minus_minute(end)))[0].passed
        before = hours_outcome(row, lead, rules, local(zone, day, minus_minute(start)))[0]
        assert not before.passed and before.earliest == local(zone, day, start)
        assert not hours_outcome(row, lead, rules, local(zone, day, end))[0].passed


@pytest.mark.parametrize("row", [r for r in ROWS if r.holiday_calendar],
                         ids=lambda row: row.rule_key)
def test_row_holidays_are_banned(row):
    zone, lead, rules = setup(row)
    calendar = TABLES.holiday_calendars[row.holiday_calendar]
    for day in sorted(calendar.dates_in(2026)):
        result, _ = hours_outcome(row, lead, rules, local(zone, day, time(12)))
        assert not result.passed, (row.state, day)
        assert "holiday" in result.reason
        assert result.earliest is not None and result.earliest.astimezone(zone).date() > day


@pytest.mark.parametrize("row", [r for r in ROWS if r.max_calls], ids=lambda row: row.rule_key)
def test_row_attempt_limit_holds(row):
    zone, lead, rules = setup(row)
    at = local(zone, WEEK[0], time(15))
    def calls(n, subject="solar"):
        return [PastAttempt(at - timedelta(minutes=30 * (i + 1)), NUMBER, "spring",
                            subject=subject) for i in range(n)]
    rule_id = f"{row.rule_key}.attempts"
    under = engine(attempts=calls(row.max_calls - 1)).check(lead, rules, at)
    assert outcome(under, rule_id).passed
    full = engine(attempts=calls(row.max_calls)).check(lead, rules, at)
    result = outcome(full, rule_id)
    oldest = min(a.at for a in calls(row.max_calls))
    assert not result.passed and result.earliest == oldest + row.per
    other_subject = engine(attempts=calls(row.max_calls, "roofing")).check(lead, rules, at)
    assert outcome(other_subject, rule_id).passed is row.same_subject


def test_florida_example_from_the_issue():
    florida = "+13055550123"  # a Miami area code: Florida law presumes a Florida resident
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE, subject="solar")
    at = datetime(2026, 11, 17, 1, 30, tzinfo=UTC)  # Mon 20:30 EST: federal yes, Florida no
    decision = engine().check(LeadFacts(florida), rules, at)
    assert not decision.allowed
    assert [o.rule_id for o in decision.reasons] == ["state.FL.hours"]
    # Florida spans two zones; 08:00 must have come in both, so 08:00 Central = 14:00 UTC.
    assert decision.zones == ("America/New_York",)  # the numbering plan's single zone
    explicit = engine().check(LeadFacts(florida, state="FL"), rules, at)
    assert explicit.zones == ("America/New_York", "America/Chicago")
    assert explicit.earliest_allowed == datetime(2026, 11, 17, 14, tzinfo=UTC)


def test_state_registry_applies_only_in_its_state():
    texas = RegistryVersion("state:TX", RegistryKind.STATE, "state:TX@2026-10-01",
                            datetime(2026, 10, 1, tzinfo=UTC))
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE)
    at = datetime(2026, 11, 18, 18, tzinfo=UTC)
    checker = engine({texas: [NUMBER]}, versions=[NATIONAL, INTERNAL, texas])
    assert checker.check(LeadFacts(NUMBER), rules, at).allowed  # NJ number, not in TX
    decision = checker.check(LeadFacts(NUMBER, state="TX"), rules, at)
    assert not outcome(decision, "state.registry").passed


def test_non_telemarketing_campaign_has_no_state_overlay():
    rules = campaign(Profile.US_STATE, telemarketing=False)
    assert engine().rules_for(rules) == ()


def test_bad_table_names_file_line_and_field(tmp_path):
    for name in ("holidays.csv", "state_zones.csv", "zip3_states.csv"):
        (tmp_path / name).write_text((TABLES.data_dir / name).read_text())
    (tmp_path / "state_rules.csv").write_text(
        "state,applies_to,mon_fri,saturday,sunday,holidays,max_calls,per_hours,same_subject,"
        "citation,source,reviewed,notes\n"
        "FL,all,08:00-20:00,08:00-20:00,08:00-20:00,none,3,24,true,Fla. Stat.,x,2026,\n"
        "TX,all,09:00-21:00,9am-9pm,12:00-21:00,none,,,,Tex.,x,2026,\n")
    with pytest.raises(ImportFormatError) as error:
        _ = RuleTables(tmp_path).state_rules
    assert error.value.line == 3 and error.value.field == "saturday"
    assert "state_rules.csv:3" in str(error.value)
