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
HOURS_ROWS = [r for r in ROWS if r.holiday_calendar or any(
    day != (time(8), time(21)) for day in r.days)]
NUMBER = "+12015550123"  # a New Jersey area code: NJ has no overlay row
WEEK = {0: date(2026, 11, 16), 5: date(2026, 11, 21), 6: date(2026, 11, 22)}  # Mon, Sat, Sun
AREA_CODES = {"AL": 205, "CT": 203, "FL": 305, "KY": 502, "LA": 504, "MD": 410, "MA": 617,
              "MI": 313, "MN": 612, "MS": 601, "NE": 402, "NV": 702, "OK": 405, "PA": 215,
              "RI": 401, "SC": 803, "SD": 605, "IL": 312, "TX": 214, "UT": 801, "WA": 206,
              "NM": 505, "CA": 213, "IN": 317}
"""An area code in each state with a row: the lead's number is in its own state."""


def setup(row):
    zone = ZoneInfo(TABLES.state_zones[row.state][0])
    number = f"+1{AREA_CODES[row.state]}5550123"
    lead = LeadFacts(number, state=row.state, time_zone=zone.key, subject="solar")
    rules = campaign(Profile.US_STATE,
                     prerecorded=row.applies_to in ("prerecorded", "recorded"),
                     autodialed=row.applies_to == "autodialed")
    return zone, lead, rules


def zones_of(lead):
    from dnc.rules.zones import place
    return place(lead, TABLES).zone_infos()


def local(zone, day, clock):
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def hours_outcome(row, lead, rules, at, attempts=()):
    decision = engine(attempts=attempts).check(lead, rules, at)
    return outcome(decision, f"{row.rule_key}.hours"), decision


def minus_minute(clock: time) -> time:
    return (datetime.combine(date(2026, 1, 1), clock) - timedelta(minutes=1)).time()


@pytest.mark.parametrize("row", HOURS_ROWS, ids=lambda row: row.rule_key)
def test_row_hours_open_and_close_as_stated(row):
    """The window opens when its start has come in every zone the lead may be in (the
    state's own zones included, and ``also_in``) and closes when its end comes in any."""
    zone, lead, rules = setup(row)
    zones = list(zones_of(lead)) + [ZoneInfo(z) for z in row.also_in]
    for weekday, day in WEEK.items():
        window = row.days[weekday]
        if window is None:
            result, _ = hours_outcome(row, lead, rules, local(zone, day, time(12)))
            assert not result.passed, (row.state, day)
            assert result.earliest is not None and result.earliest > local(zone, day, time(12))
            continue
        start, end = window
        opens = max(local(z, day, start) for z in zones)
        closes = min(local(z, day, end) for z in zones)
        assert hours_outcome(row, lead, rules, opens)[0].passed
        assert hours_outcome(row, lead, rules, closes - timedelta(minutes=1))[0].passed
        before = hours_outcome(row, lead, rules, opens - timedelta(minutes=1))[0]
        assert not before.passed and before.earliest == opens
        assert not hours_outcome(row, lead, rules, closes)[0].passed


@pytest.mark.parametrize("row", [r for r in ROWS if r.holiday_calendar],
                         ids=lambda row: row.rule_key)
def test_row_holidays_are_banned(row):
    zone, lead, rules = setup(row)
    calendar = TABLES.holiday_calendars[row.holiday_calendar]
    for day in sorted(calendar.dates_in(2026)):
        if row.days[day.weekday()] is None:
            continue  # no calls that weekday anyway
        result, _ = hours_outcome(row, lead, rules, local(zone, day, time(12)))
        assert not result.passed, (row.state, day)
        assert "holiday" in result.reason
        assert result.earliest is not None and result.earliest.astimezone(zone).date() > day


@pytest.mark.parametrize("row", [r for r in ROWS if r.max_calls], ids=lambda row: row.rule_key)
def test_row_attempt_limit_holds(row):
    zone, lead, rules = setup(row)
    at = local(zone, WEEK[0], time(15))
    def calls(n, subject="solar"):
        return [PastAttempt(at - timedelta(minutes=30 * (i + 1)), lead.number_e164, "spring",
                            subject=subject) for i in range(n)]
    rule_id = f"{row.rule_key}.attempts"
    under = engine(attempts=calls(row.max_calls - 1)).check(lead, rules, at)
    assert outcome(under, rule_id).passed
    full = engine(attempts=calls(row.max_calls)).check(lead, rules, at)
    result = outcome(full, rule_id)
    oldest = min(a.at for a in calls(row.max_calls))
    assert not result.passed and result.earliest == oldest + row.per + timedelta(microseconds=1)
    other_subject = engine(attempts=calls(row.max_calls, "roofing")).check(lead, rules, at)
    assert outcome(other_subject, rule_id).passed is row.same_subject


def test_florida_example_from_the_issue():
    florida = "+13055550123"  # a Miami area code: Florida law presumes a Florida resident
    # dialled by hand: Florida's autodialer consent rule has its own tests
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE, subject="solar", autodialed=False)
    at = datetime(2026, 11, 17, 1, 30, tzinfo=UTC)  # Mon 20:30 EST: federal yes, Florida no
    decision = engine().check(LeadFacts(florida), rules, at)
    assert not decision.allowed
    assert [o.rule_id for o in decision.reasons] == ["state.FL.hours"]
    # Florida spans two zones; 08:00 must have come in both, so 08:00 Central = 14:00 UTC.
    # 305-555 is an exchange the numbering plan places in Florida only (its zone is the area
    # code's default): every Florida zone counts, as for an explicit state.
    assert decision.zones == ("America/New_York", "America/Chicago")
    assert decision.earliest_allowed == datetime(2026, 11, 17, 14, tzinfo=UTC)
    explicit = engine().check(LeadFacts(florida, state="FL"), rules, at)
    assert explicit.zones == ("America/New_York", "America/Chicago")
    assert explicit.earliest_allowed == datetime(2026, 11, 17, 14, tzinfo=UTC)


def test_a_state_list_counts_wherever_the_lead_record_places_the_number():
    """A number on the Texas list was registered by a Texan: a New Jersey area code and a
    lead record without a state (or saying NJ) do not make the call one to a non-resident.
    The rule counted only the lists of the states the lead was placed in, so a listed
    Texan's New Jersey mobile was called (the strict reading: every candidate location)."""
    texas = RegistryVersion("state:TX", RegistryKind.STATE, "state:TX@2026-10-01",
                            datetime(2026, 10, 1, tzinfo=UTC))
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE)
    at = datetime(2026, 11, 18, 18, tzinfo=UTC)
    checker = engine({texas: [NUMBER]}, versions=[NATIONAL, INTERNAL, texas])
    for lead in (LeadFacts(NUMBER), LeadFacts(NUMBER, state="NJ"),
                 LeadFacts(NUMBER, state="TX")):
        decision = checker.check(lead, rules, at)
        rule = outcome(decision, "state.registry")
        assert not decision.allowed and not rule.passed and "state:TX" in rule.reason
    assert engine(versions=[NATIONAL, INTERNAL, texas]).check(LeadFacts(NUMBER), rules,
                                                              at).allowed


def test_non_telemarketing_campaign_has_no_state_overlay():
    """Only the area bans (declared emergencies can cover every kind of call) stay."""
    rules = campaign(Profile.US_STATE, telemarketing=False)
    ids = {rule.rule_id for rule in engine().rules_for(rules)} - {"campaign.jurisdiction",
                                                                  "campaign.own_lists"}
    assert ids and all(rule_id.endswith(".area_ban") for rule_id in ids)


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
