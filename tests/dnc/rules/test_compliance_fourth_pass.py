"""The fourth, adversarial pass over the compliance review (docs/compliance-proof.md, "Fourth
pass"): each strict case that passed, with a test that fails on the code before its fix,
and the rule it broke stated as an invariant over its domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import FakeHistory, FakeRegistries, campaign, outcome, pewc

from dnc.errors import ComplianceError
from dnc.interfaces import PastAttempt, RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignState, LeadFacts, Profile
from dnc.rules.tables import RuleTables
from dnc.rules.zones import ZIP5_STATES, place

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
MIAMI = "+13055550123"
SAN_FRANCISCO = "+14155550123"
UK = "+442079460000"
TABLES = RuleTables()
US_STATE = campaign(Profile.US_FEDERAL, Profile.US_STATE, subject="solar")
OFCOM = campaign(Profile.UK_OFCOM)
MEASURED = CampaignState(abandon_rate_24h=0.0, abandon_rate_today=0.0)


def checker(at: datetime, attempts=(), tps: bool = False) -> ComplianceEngine:
    national = RegistryVersion("national", RegistryKind.NATIONAL, "national@fresh",
                               at - timedelta(days=1))
    versions = [national]
    if tps:
        versions.append(RegistryVersion("tps", RegistryKind.OTHER, "tps@fresh",
                                        at - timedelta(days=1)))
    return ComplianceEngine(FakeRegistries(None, versions), FakeHistory(attempts), TABLES)


def failing(decision) -> list[str]:
    return sorted(o.rule_id for o in decision.outcomes if not o.passed)


# --- Windows counted on the instant, not on the wall clock it is written in -------------

def test_a_fourth_florida_call_on_the_spring_forward_day_is_refused_whatever_zone_at_is_in():
    """Fla. Stat. 501.616(6)(b): 3 calls in 24 h. Written in America/New_York on 8 Mar 2026,
    ``at - 24 h`` was wall-clock arithmetic: a window of 23 real hours, and a call made
    23.5 hours before no longer counted (a fourth call allowed)."""
    at = datetime(2026, 3, 8, 19, 30, tzinfo=NEW_YORK)
    real = at.astimezone(UTC)
    calls = [PastAttempt(real - timedelta(hours=h), MIAMI, "spring", subject="solar")
             for h in (23.5, 10, 5)]
    lead = LeadFacts(MIAMI, consents=(pewc(MIAMI),))
    for moment in (real, at):
        decision = checker(real, calls).check(lead, US_STATE, moment)
        assert not decision.allowed
        assert not outcome(decision, "state.FL.attempts").passed


# The days of both 2026 US clock changes and the day after (a window reaching back across
# a change is where wall-clock arithmetic differs), and hours ago close to a 24 h bound.
instants = st.datetimes(min_value=datetime(2026, 3, 8), max_value=datetime(2026, 3, 10),
                        timezones=st.just(UTC)) | st.datetimes(
    min_value=datetime(2026, 11, 1), max_value=datetime(2026, 11, 3), timezones=st.just(UTC))
hours_ago = st.floats(0, 80) | st.floats(22.5, 25.5)


@settings(max_examples=300, deadline=None)
@given(at=instants, ago=st.lists(hours_ago, max_size=5),
       zone=st.sampled_from(["America/New_York", "America/Chicago", "Europe/London",
                             "America/Los_Angeles"]))
def test_a_decision_depends_on_the_instant_not_the_zone_it_is_written_in(at, ago, zone):
    """Any instant around both 2026 US clock changes, any history: the decision taken on the
    instant written in a zone is the decision taken on it in UTC (verdict, failing rules,
    earliest allowed time)."""
    calls = [PastAttempt(at - timedelta(hours=h), MIAMI, "spring", subject="solar")
             for h in ago]
    lead = LeadFacts(MIAMI, consents=(pewc(MIAMI),))
    engine = checker(at, calls)
    in_utc = engine.check(lead, US_STATE, at)
    written = engine.check(lead, US_STATE, at.astimezone(ZoneInfo(zone)))
    assert (written.allowed, failing(written), written.earliest_allowed) == \
        (in_utc.allowed, failing(in_utc), in_utc.earliest_allowed)


# --- A stated address that does not place the lead ----------------------------------------

def test_a_us_lead_whose_postal_code_names_no_state_is_refused_not_placed_without_it():
    """A Rhode Island ZIP whose leading zero a spreadsheet lost ("2903") on a California
    mobile number: the address was dropped, so Rhode Island's 18:00 weekday end did not
    apply and the call went out at 18:30 Eastern. Now the lead is refused for its facts;
    with the ZIP written in full, Rhode Island's row refuses the hour."""
    at = datetime(2026, 7, 15, 18, 30, tzinfo=NEW_YORK).astimezone(UTC)  # a Wednesday
    engine = checker(at)
    consent = (pewc(SAN_FRANCISCO),)
    for code in ("2903", "00100", "ABC12", "2903-1234"):
        [decision] = engine.check_many(
            [LeadFacts(SAN_FRANCISCO, postal_code=code, consents=consent)], US_STATE, at)
        assert not decision.allowed
        assert "postal code" in outcome(decision, "lead.facts").reason
    for code in ("02903", "02903-1234", "02903 1234"):
        decision = engine.check(LeadFacts(SAN_FRANCISCO, postal_code=code, consents=consent),
                                US_STATE, at)
        assert not outcome(decision, "state.RI.hours").passed
    # The California lead with its own ZIP is called at 15:30 Pacific.
    assert engine.check(LeadFacts(SAN_FRANCISCO, postal_code="94103", consents=consent),
                        US_STATE, at).allowed


@pytest.mark.parametrize("lead, states", [
    (LeadFacts(UK, postal_code="SW1A 1AA"), ()),               # another country's postcode
    (LeadFacts(SAN_FRANCISCO, postal_code="09001"), ("CA",)),  # APO AE: no state's zone
    (LeadFacts(SAN_FRANCISCO, postal_code="  "), ("CA",)),
    (LeadFacts(SAN_FRANCISCO, postal_code="10001"), ("NY", "CA")),
])
def test_postal_codes_that_place_nobody_in_a_state_on_purpose(lead, states):
    assert place(lead, TABLES).states == states


@settings(max_examples=200, deadline=None)
@given(code=st.text(alphabet="0123456789- ABX", min_size=1, max_size=11))
def test_a_us_lead_is_placed_in_its_postal_codes_state_or_refused(code):
    """Whatever a lead file's postal column holds, a US lead is either placed in the state
    its ZIP names (the state's rules apply) or refused: never placed without the address."""
    lead = LeadFacts(SAN_FRANCISCO, postal_code=code)
    try:
        placement = place(lead, TABLES)
    except ComplianceError:
        return
    digits = code.strip()[:5]
    named = ZIP5_STATES.get(digits) or TABLES.zip3_states.get(digits[:3])
    if not code.strip() or named is None:
        assert placement.states == ("CA",)  # no code, or an APO/FPO address abroad
    else:
        assert named in placement.states


# --- Ofcom: repeat calls after an abandoned call or an answering machine --------------------

def test_a_repeat_call_exactly_72_hours_after_an_abandoned_call_is_refused():
    """"Within 72 hours" includes its last instant: exactly 72 h after the abandoned call was
    allowed; the next microsecond is the earliest allowed time."""
    abandoned = PastAttempt(datetime(2026, 11, 16, 12, tzinfo=UTC), UK, "spring",
                            answered_live=True, abandoned=True)
    exactly = abandoned.at + timedelta(hours=72)
    decision = checker(exactly, [abandoned], tps=True).check(LeadFacts(UK), OFCOM, exactly,
                                                             MEASURED)
    result = outcome(decision, "uk.repeat_after_abandon")
    assert not result.passed and result.earliest == exactly + timedelta(microseconds=1)
    after = checker(exactly, [abandoned], tps=True).check(
        LeadFacts(UK), OFCOM, result.earliest, MEASURED)
    assert outcome(after, "uk.repeat_after_abandon").passed


def test_no_repeat_on_the_day_of_an_answering_machine_when_the_clocks_go_back():
    """25 Oct 2026 lasts 25 hours in the UK: a machine at 00:30 BST and a call at 23:45 GMT
    the same day are 24 h 15 min apart. The rolling 24 h allowed it; the calendar day
    (Ofcom's midnight-to-midnight 24-hour period) refuses it until midnight."""
    machine = PastAttempt(datetime(2026, 10, 25, 0, 30, tzinfo=LONDON).astimezone(UTC), UK,
                          "spring", machine=True)
    late = datetime(2026, 10, 25, 23, 45, tzinfo=LONDON).astimezone(UTC)
    assert late - machine.at == timedelta(hours=24, minutes=15)
    decision = checker(late, [machine], tps=True).check(LeadFacts(UK), OFCOM, late, MEASURED)
    result = outcome(decision, "uk.repeat_after_machine")
    assert not result.passed
    assert result.earliest == datetime(2026, 10, 26, 0, 0, tzinfo=LONDON).astimezone(UTC)
    # On an ordinary day 24 h is the longer bound, and its own instant is refused.
    ordinary = PastAttempt(datetime(2026, 11, 10, 9, tzinfo=UTC), UK, "spring", machine=True)
    exactly = ordinary.at + timedelta(hours=24)
    result = outcome(checker(exactly, [ordinary], tps=True).check(
        LeadFacts(UK), OFCOM, exactly, MEASURED), "uk.repeat_after_machine")
    assert not result.passed and result.earliest == exactly + timedelta(microseconds=1)


# Around both 2026 UK clock changes, the first hours of the 25-hour day drawn on their own;
# the bounds themselves among the delays.
uk_instants = st.datetimes(min_value=datetime(2026, 3, 27), max_value=datetime(2026, 3, 31),
                           timezones=st.just(UTC)) | st.datetimes(
    min_value=datetime(2026, 10, 23), max_value=datetime(2026, 10, 28),
    timezones=st.just(UTC)) | st.datetimes(
    min_value=datetime(2026, 10, 24, 23), max_value=datetime(2026, 10, 25, 1),
    timezones=st.just(UTC))
delays = st.floats(0, 100) | st.sampled_from([24.0, 72.0]) | st.floats(23.9, 25.0)


@settings(max_examples=300, deadline=None)
@given(verdict=uk_instants, later=delays, machine=st.booleans())
def test_no_repeat_call_is_allowed_inside_any_reading_of_ofcoms_periods(verdict, later,
                                                                          machine):
    """Around both 2026 UK clock changes: after an abandoned call no call is allowed at or
    before 72 h; after an answering machine none at or before 24 h nor on the verdict's
    London calendar day; and a refusal's earliest time is allowed by that rule."""
    call = PastAttempt(verdict, UK, "spring", answered_live=not machine,
                       abandoned=not machine, machine=machine)
    at = verdict + timedelta(hours=later)
    rule = "uk.repeat_after_machine" if machine else "uk.repeat_after_abandon"
    result = outcome(checker(at, [call], tps=True).check(LeadFacts(UK), OFCOM, at, MEASURED),
                     rule)
    if machine:
        inside = at - verdict <= timedelta(hours=24) or \
            at.astimezone(LONDON).date() == verdict.astimezone(LONDON).date()
    else:
        inside = at - verdict <= timedelta(hours=72)
    assert result.passed == (not inside)
    if not result.passed:
        again = outcome(checker(result.earliest, [call], tps=True).check(
            LeadFacts(UK), OFCOM, result.earliest, MEASURED), rule)
        assert again.passed


# --- A number the numbering plan places no closer than its state -------------------------

@pytest.mark.parametrize("number, local, zone", [
    # An unlisted exchange of 219 gets the area code's default, New York, though north-west
    # Indiana keeps Central time: 08:30 Eastern is 07:30 where the phone rings.
    ("+12192345678", datetime(2026, 7, 15, 8, 30, tzinfo=NEW_YORK), "America/Chicago"),
    # A Guam number of a lead whose record says California: the plan names no zone for the
    # exchange, so only California's counted; 10:06 Pacific is 04:06 the next day in Guam.
    ("+16716119560", datetime(2026, 11, 17, 10, 6, tzinfo=ZoneInfo("America/Los_Angeles")),
     "Pacific/Guam"),
])
def test_every_zone_of_the_area_codes_state_counts_when_the_plan_names_no_closer_place(
        number, local, zone):
    at = local.astimezone(UTC)
    lead = LeadFacts(number, state="CA" if number.startswith("+1671") else None)
    decision = checker(at).check(lead, campaign(), at)
    assert zone in decision.zones
    result = outcome(decision, "us.calling_hours")
    assert not result.passed and zone in result.reason


def test_a_listed_exchange_keeps_the_plans_own_zone():
    """Gary's listed exchange is Central only: the state's other zone is not added."""
    assert place(LeadFacts("+12198811234"), TABLES).zones == ("America/Chicago",)
    assert place(LeadFacts("+12192345678"), TABLES).zones == \
        ("America/New_York", "America/Indiana/Indianapolis", "America/Chicago")


def test_american_samoa_is_placed_by_its_zip_code_not_as_hawaii():
    """ZIP 96799 (Pago Pago) shares Hawaii's prefix 967; American Samoa is an hour behind:
    08:30 in Honolulu is 07:30 there."""
    placed = place(LeadFacts(SAN_FRANCISCO, postal_code="96799"), TABLES)
    assert placed.states == ("AS", "CA") and "Pacific/Pago_Pago" in placed.zones
    at = datetime(2026, 7, 15, 8, 30, tzinfo=ZoneInfo("Pacific/Honolulu")).astimezone(UTC)
    assert not checker(at).check(LeadFacts(SAN_FRANCISCO, postal_code="96799"), campaign(),
                                 at).allowed


GEOGRAPHIC = ["201", "205", "208", "214", "219", "260", "270", "305", "308", "317", "504",
              "605", "620", "701", "775", "787", "850", "907", "928", "340", "671", "684"]


@settings(max_examples=200, deadline=None)
@given(npa=st.sampled_from(GEOGRAPHIC), exchange=st.integers(200, 999),
       line=st.integers(0, 9999))
def test_a_number_is_placed_in_every_zone_of_its_state_unless_the_plan_places_it_closer(
        npa, exchange, line):
    """Any US or territory number: the plan either names a place in the state (a city or
    county: its zones are the exchange's own) or every zone of the area code's state is a
    candidate zone."""
    from phonenumbers import geocoder, parse

    number = f"+1{npa}{exchange}{line:04d}"
    placed = place(LeadFacts(number), TABLES)
    described = geocoder.description_for_number(parse(number), "en")
    state = placed.states[0]
    if ", " not in described:
        assert set(TABLES.state_zones[state]) <= set(placed.zones)
    assert placed.zones


# --- Attempt limits at their exact bound ----------------------------------------------------

def test_a_fourth_florida_call_exactly_24_hours_after_the_first_is_refused():
    """Fla. Stat. 501.616(6)(b), "over a 24-hour period": a period's end instant belongs to
    it, so three calls and a fourth exactly 24 h after the first are four in one period."""
    first = datetime(2026, 11, 16, 15, tzinfo=UTC)
    calls = [PastAttempt(first + timedelta(hours=h), MIAMI, "spring", subject="solar")
             for h in (0, 2, 4)]
    lead = LeadFacts(MIAMI, consents=(pewc(MIAMI),))
    exactly = first + timedelta(hours=24)
    result = outcome(checker(exactly, calls).check(lead, US_STATE, exactly), "state.FL.attempts")
    assert not result.passed and result.earliest == exactly + timedelta(microseconds=1)
    assert outcome(checker(exactly, calls).check(lead, US_STATE, result.earliest),
                   "state.FL.attempts").passed


@settings(max_examples=200, deadline=None)
@given(hours=st.lists(st.sampled_from([0.0, 1.0, 2.0, 23.0, 24.0]) | st.floats(0, 30),
                      max_size=5), later=st.sampled_from([24.0, 25.0, 26.0]) | st.floats(0, 30))
def test_no_allowed_call_makes_four_in_any_closed_24_hour_period(hours, later):
    """Any three or more calls and any instant: an allowed call never has three others in
    the 24 hours before it, both ends included."""
    start = datetime(2026, 11, 16, 13, tzinfo=UTC)
    calls = [PastAttempt(start + timedelta(hours=h), MIAMI, "spring", subject="solar")
             for h in hours]
    at = start + timedelta(hours=later)
    lead = LeadFacts(MIAMI, consents=(pewc(MIAMI),))
    result = outcome(checker(at, calls).check(lead, US_STATE, at), "state.FL.attempts")
    before = [c for c in calls if at - timedelta(hours=24) <= c.at <= at]
    assert result.passed == (len(before) < 3)
