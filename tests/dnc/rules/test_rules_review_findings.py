"""One test per finding of the compliance review (../shared/reference/compliance-review.md),
with the dates and numbers it cites, and the cases it reproduced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rules_kit import (
    NATIONAL,
    FakeHistory,
    FakeRegistries,
    campaign,
    engine,
    fresh_versions,
    outcome,
    pewc,
)

from dnc.interfaces import (
    LineType,
    LineTypeRecord,
    NoNumberFacts,
    PastAttempt,
    RegistryKind,
    RegistryVersion,
    Revocation,
    RndAnswer,
    RndResult,
)
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import (
    CampaignState,
    ConsentKind,
    ConsentRecord,
    LeadFacts,
    Profile,
    RecordedMessage,
)
from dnc.rules.tables import RuleTables

US = (Profile.US_FEDERAL, Profile.US_STATE)
NJ = "+12015550123"
MIAMI = "+13055550123"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


class Facts(NoNumberFacts):
    """Officer facts in memory: a line-type record, revocations, RND results."""

    def __init__(self, line=None, revocations=(), rnd=()):
        self.line, self.revs, self.rnd = line, list(revocations), list(rnd)

    def line_type(self, number_e164, at):
        return self.line

    def revocations(self, number_e164, contact_id, at):
        return [r for r in self.revs if r.number_e164 in (None, number_e164)]

    def reassigned(self, number_e164, at):
        return self.rnd


def checker(at: datetime, facts=None, attempts=(), listings=None, versions=None):
    return ComplianceEngine(FakeRegistries(listings, versions or fresh_versions(at)),
                            FakeHistory(attempts), RuleTables(), facts=facts)


# --- F8 wireless -------------------------------------------------------------------------

NOON = local("America/New_York", 2026, 11, 10, 12)


def test_f8_unknown_line_type_counts_as_wireless_by_default_and_says_so():
    rules = campaign(treat_unknown_line_type_as_wireless=True)
    decision = checker(NOON).check(LeadFacts(NJ), rules, NOON)
    wireless = outcome(decision, "us.wireless_consent")
    assert not wireless.passed and "counted as wireless" in wireless.reason
    assert decision.line_type == "unknown" and decision.unknown_line_policy == "wireless"
    landline_policy = checker(NOON).check(
        LeadFacts(NJ), campaign(treat_unknown_line_type_as_wireless=False), NOON)
    assert landline_policy.allowed and "counted as landline" in landline_policy.line_type_source


def test_f8_a_ported_number_beats_its_block_and_the_protected_reading_wins():
    rules = campaign(treat_unknown_line_type_as_wireless=False)
    ported = LineTypeRecord(LineType.WIRELESS, "line-type registry: number +12015550123 (x)")
    decision = checker(NOON, Facts(ported)).check(
        LeadFacts(NJ, line_type=LineType.LANDLINE), rules, NOON)
    assert decision.line_type == "wireless" and not decision.allowed
    assert "registry: number" in decision.line_type_source
    assert "over lead line_type column: landline" in decision.line_type_source
    voip = checker(NOON).check(LeadFacts(NJ, line_type=LineType.VOIP), rules, NOON)
    assert not outcome(voip, "us.wireless_consent").passed  # VoIP is protected too
    consented = LeadFacts(NJ, line_type=LineType.WIRELESS, consents=(pewc(NJ),))
    assert checker(NOON).check(consented, rules, NOON).allowed


# --- F11 caller ID -------------------------------------------------------------------------

def test_f11_us_telemarketing_without_a_caller_id_is_refused():
    """47 CFR 64.1601(e) (from 29 Jan 2004) and 16 CFR 310.4(a)(8): telemarketing transmits
    caller ID; the rule is in every US decision, not only the UK's uk.cli."""
    lead = LeadFacts(NJ, line_type=LineType.LANDLINE)
    refused = checker(NOON).check(lead, campaign(caller_id_present=False), NOON)
    rule = outcome(refused, "us.caller_id")
    assert not refused.allowed and not rule.passed and "64.1601(e)" in rule.citation
    assert checker(NOON).check(lead, campaign(), NOON).allowed
    informational = campaign(caller_id_present=False, telemarketing=False)
    assert outcome(checker(NOON).check(lead, informational, NOON), "us.caller_id").passed


# --- consents: seller and number (F14), revocations (F13), RND (F15) ------------------------

def test_f14_a_written_consent_counts_only_for_its_seller_and_number():
    rules = campaign()
    for consent, why in ((pewc(NJ, seller="Other Co"), "is for seller 'Other Co'"),
                         (pewc("+12015550199"), "covers +12015550199"),
                         (pewc(NJ, seller=None), "names no seller"),
                         (ConsentRecord(ConsentKind.PRIOR_EXPRESS_WRITTEN,
                                        datetime(2026, 1, 5, tzinfo=UTC), seller="Acme Solar"),
                          "names no telephone number")):
        decision = checker(NOON).check(
            LeadFacts(NJ, line_type=LineType.WIRELESS, consents=(consent,)), rules, NOON)
        assert why in outcome(decision, "us.wireless_consent").reason
    seller_spelled_differently = pewc(NJ, seller="ACME solar.")
    assert checker(NOON).check(LeadFacts(NJ, line_type=LineType.WIRELESS,
                                         consents=(seller_spelled_differently,)),
                               rules, NOON).allowed


def test_f13_a_revocation_ends_every_earlier_consent_at_once():
    lead = LeadFacts(NJ, line_type=LineType.WIRELESS, consents=(pewc(NJ),))
    revoked = Revocation(NJ, None, NOON - timedelta(minutes=1), "sms STOP")
    decision = checker(NOON, Facts(revocations=[revoked])).check(lead, campaign(), NOON)
    assert "revoked by sms STOP" in outcome(decision, "us.wireless_consent").reason
    renewed = LeadFacts(NJ, line_type=LineType.WIRELESS,
                        consents=(pewc(NJ), pewc(NJ, given=NOON - timedelta(seconds=10))))
    assert checker(NOON, Facts(revocations=[revoked])).check(renewed, campaign(), NOON).allowed


@pytest.mark.parametrize(("results", "allowed"), [
    ([RndResult(NJ, datetime(2026, 3, 1, tzinfo=UTC), RndAnswer.YES)], False),  # after consent
    ([RndResult(NJ, datetime(2025, 6, 1, tzinfo=UTC), RndAnswer.YES)], False),  # order unknown
    ([RndResult(NJ, datetime(2026, 1, 5, tzinfo=UTC), RndAnswer.NO)], True),
    ([RndResult(NJ, datetime(2025, 6, 1, tzinfo=UTC), RndAnswer.YES,
                datetime(2026, 1, 1, tzinfo=UTC)),
      RndResult(NJ, datetime(2026, 1, 1, tzinfo=UTC), RndAnswer.NO,
                datetime(2026, 2, 1, tzinfo=UTC))], True),  # disconnected before the consent
    ([RndResult(NJ, datetime(2026, 3, 1, tzinfo=UTC), RndAnswer.NO_DATA)], True),
])
def test_f15_a_consent_is_not_relied_on_for_a_reassigned_number(results, allowed):
    lead = LeadFacts(NJ, line_type=LineType.WIRELESS, consents=(pewc(NJ),))  # 2026-01-05
    decision = checker(NOON, Facts(rnd=results)).check(lead, campaign(), NOON)
    assert decision.allowed is allowed
    if not allowed:
        assert "64.1200(m)" in outcome(decision, "us.wireless_consent").reason


def test_f15_a_date_only_consent_is_compared_with_the_rnd_by_its_date():
    """A consent known only by its date D counts from the end of D everywhere (D+1 12:00
    UTC), but a disconnection on D itself may have come after it: a "yes" since D with a
    later-queried "no" since D+1 (disconnected during D) does not clear it; a "no" since D
    (disconnected before D) does."""
    consent = pewc(NJ, given=datetime(2026, 1, 6, 12, tzinfo=UTC), dated=date(2026, 1, 5))
    lead = LeadFacts(NJ, line_type=LineType.WIRELESS, consents=(consent,))
    yes_since_d = RndResult(NJ, datetime(2026, 1, 5, tzinfo=UTC), RndAnswer.YES,
                            datetime(2026, 2, 1, tzinfo=UTC))
    no_since_next_day = RndResult(NJ, datetime(2026, 1, 6, tzinfo=UTC), RndAnswer.NO,
                                  datetime(2026, 2, 2, tzinfo=UTC))
    during_d = Facts(rnd=[yes_since_d, no_since_next_day])
    decision = checker(NOON, during_d).check(lead, campaign(), NOON)
    assert not decision.allowed
    assert "(consent 2026-01-05)" in outcome(decision, "us.wireless_consent").reason
    # A consent whose instant is D+1 12:00 (a time was given) came after that disconnection.
    timed = LeadFacts(NJ, line_type=LineType.WIRELESS,
                      consents=(replace(consent, dated=None),))
    assert checker(NOON, during_d).check(timed, campaign(), NOON).allowed
    before_d = Facts(rnd=[RndResult(NJ, datetime(2025, 6, 1, tzinfo=UTC), RndAnswer.YES,
                                    datetime(2026, 2, 1, tzinfo=UTC)),
                          RndResult(NJ, datetime(2026, 1, 5, tzinfo=UTC), RndAnswer.NO,
                                    datetime(2026, 2, 2, tzinfo=UTC))])
    assert checker(NOON, before_d).check(lead, campaign(), NOON).allowed


# --- state consent rules (S-FL, S-OK, S-MD) and missing rows ---------------------------------

@pytest.mark.parametrize(("number", "state"), [(MIAMI, "FL"), ("+14055550123", "OK"),
                                               ("+14105550123", "MD")])
def test_state_autodialer_consent_applies_to_landlines_too(number, state):
    at = local("America/Chicago", 2026, 11, 10, 12)
    rules = campaign(*US)
    landline = LeadFacts(number, line_type=LineType.LANDLINE)
    decision = checker(at).check(landline, rules, at)
    assert not outcome(decision, f"state.{state}.consent").passed
    assert checker(at).check(landline, campaign(*US, autodialed=False), at).allowed
    assert checker(at).check(LeadFacts(number, line_type=LineType.LANDLINE,
                                       consents=(pewc(number),)), rules, at).allowed


def test_florida_consent_rule_applies_from_its_effective_date():
    before = local("America/New_York", 2021, 6, 1, 12)
    decision = checker(before).check(LeadFacts(MIAMI, line_type=LineType.LANDLINE),
                                     campaign(*US), before)
    fl = outcome(decision, "state.FL.consent")
    assert fl.passed and not fl.applicable and "not yet in force" in fl.reason


def test_washington_bans_automatic_dialing_announcing_devices():
    at = local("America/Los_Angeles", 2026, 11, 10, 12)
    rules = campaign(*US, prerecorded=True)
    decision = checker(at).check(LeadFacts("+12065550123", consents=(pewc("+12065550123"),)),
                                 rules, at)
    banned = outcome(decision, "state.WA.prerecorded.consent")
    assert not banned.passed and banned.earliest is None


def test_mississippi_central_standard_time_is_read_literally():
    """77-3-723: 08:00-20:00 "Central Standard Time": in summer 08:30 CDT is 07:30 CST."""
    rules = campaign(*US, autodialed=False)
    jackson = LeadFacts("+16015550123")
    summer_early = local("America/Chicago", 2026, 7, 14, 8, 30)
    assert not outcome(checker(summer_early).check(jackson, rules, summer_early),
                       "state.MS.hours").passed
    summer_nine = local("America/Chicago", 2026, 7, 14, 9, 0)
    assert checker(summer_nine).check(jackson, rules, summer_nine).allowed
    winter_eight = local("America/Chicago", 2026, 1, 13, 8, 0)
    assert checker(winter_eight).check(jackson, rules, winter_eight).allowed


def test_south_dakota_no_sunday_and_autodialed_calls_on_weekdays_only():
    saturday = local("America/Chicago", 2026, 11, 14, 12)
    sioux_falls = LeadFacts("+16055550123", line_type=LineType.LANDLINE)
    assert not outcome(checker(saturday).check(sioux_falls, campaign(*US), saturday),
                       "state.SD.autodialed.hours").passed
    assert checker(saturday).check(sioux_falls, campaign(*US, autodialed=False),
                                   saturday).allowed
    sunday = saturday + timedelta(days=1)
    assert not outcome(checker(sunday).check(sioux_falls, campaign(*US, autodialed=False),
                                             sunday), "state.SD.hours").passed


@pytest.mark.parametrize(("state", "number", "opens", "closes"), [
    ("SC", "+18035550123", 8, 19), ("IL", "+13125550123", 9, 21),
    ("NV", "+17025550123", 9, 21), ("OK", "+14055550123", 9, 21)])
def test_prerecorded_rows(state, number, opens, closes):
    zone = {"SC": "America/New_York", "NV": "America/Los_Angeles"}.get(state,
                                                                        "America/Chicago")
    rules = campaign(*US, prerecorded=True)
    lead = LeadFacts(number, consents=(pewc(number),), line_type=LineType.LANDLINE)
    rule = f"state.{state}.prerecorded.hours"
    before = local(zone, 2026, 11, 10, opens - 1, 59)
    late = local(zone, 2026, 11, 10, closes, 0)
    assert not outcome(checker(before).check(lead, rules, before), rule).passed
    assert not outcome(checker(late).check(lead, rules, late), rule).passed
    inside = local(zone, 2026, 11, 10, opens, 0)
    assert outcome(checker(inside).check(lead, rules, inside), rule).passed


@pytest.mark.parametrize(("state", "number", "zone"), [
    ("MN", "+16125550123", "America/Chicago"), ("KY", "+15025550123", "America/New_York"),
    ("NV", "+17025550123", "America/Los_Angeles")])
def test_recorded_message_consent_rows(state, number, zone):
    """MN 325E.27 (the review's MN row: the ADAD consent rule, not an hours rule), KRS
    367.461 and NRS 597.814(1) (the NV row had hours only, though docs/compliance.md said
    the rows require consent where a live introduction would ask for it): a recorded message
    needs the subscriber's consent, landlines too; a campaign without recorded messages is
    not concerned."""
    at = local(zone, 2026, 11, 10, 12)
    lead = LeadFacts(number, line_type=LineType.LANDLINE)
    rule = f"state.{state}.prerecorded.consent"
    refused = checker(at).check(lead, campaign(*US, prerecorded=True), at)
    assert not outcome(refused, rule).passed and "consent" in outcome(refused, rule).reason
    express = ConsentRecord(ConsentKind.PRIOR_EXPRESS, datetime(2026, 1, 5, tzinfo=UTC),
                            seller="Acme Solar", number=number)
    consented = checker(at).check(replace(lead, consents=(express,)),
                                  campaign(*US, prerecorded=True), at)
    assert outcome(consented, rule).passed
    live = checker(at).check(lead, campaign(*US), at)
    assert rule not in {o.rule_id for o in live.outcomes}


# --- calendars (the review's 2c and the AL, RI, UT, PA, LA rows) ------------------------------

def _holiday(state: str, day: date, county: str | None = None, zip_code: str | None = None):
    number = {"AL": "+12055550123", "RI": "+14015550123", "UT": "+18015550123",
              "PA": "+12155550123", "LA": "+15045550123"}[state]
    zone = RuleTables().state_zones[state][0]
    at = local(zone, day.year, day.month, day.day, 12)
    lead = LeadFacts(number, state=state, county=county, postal_code=zip_code,
                     line_type=LineType.LANDLINE)
    return checker(at).check(lead, campaign(*US, autodialed=False), at)


@pytest.mark.parametrize(("state", "day", "banned"), [
    ("AL", date(2026, 2, 16), True),    # George Washington / Thomas Jefferson Birthday
    ("AL", date(2026, 6, 19), True),    # Juneteenth (state calendar from 2023)
    ("RI", date(2026, 7, 6), True),     # 4 July on a Saturday: kept the following Monday
    ("RI", date(2026, 5, 4), True),     # Rhode Island Independence Day
    ("RI", date(2026, 2, 16), True),    # Washington's Birthday
    ("RI", date(2026, 11, 3), True),    # Election Day in an even year
    ("RI", date(2027, 11, 2), False),   # no general election in 2027
    ("UT", date(2026, 6, 15), True),    # Juneteenth 19 Jun 2026 is a Friday: Monday 15th
    ("UT", date(2026, 4, 3), False),    # Good Friday only from 6 May 2026
    ("UT", date(2027, 3, 26), True),    # Good Friday 2027
    ("PA", date(2026, 4, 3), True),     # Good Friday (Act 73 of 2019)
    ("PA", date(2026, 6, 14), True),    # Flag Day
    ("PA", date(2027, 11, 2), True),    # Election Day (municipal elections in odd years)
    ("PA", date(2026, 11, 10), False),
    ("LA", date(2026, 2, 17), True),    # Mardi Gras (R.S. 1:55, the strict reading)
    ("LA", date(2023, 7, 3), True),     # the governor's proclamation of 2023
])
def test_holiday_calendars(state, day, banned):
    decision = _holiday(state, day)
    failing = {o.rule_id for o in decision.reasons}
    assert (f"state.{state}.hours" in failing) is banned, decision.reasons


def test_election_day_is_the_tuesday_after_the_first_monday():
    from dnc.rules.holidays import rule_date
    assert rule_date("TUE after 1 MON 11", 2022) == date(2022, 11, 8)  # 1 Nov was a Tuesday
    assert rule_date("TUE after 1 MON 11", 2026) == date(2026, 11, 3)
    assert rule_date("easter-47", 2026) == date(2026, 2, 17)  # Mardi Gras


def test_mardi_gras_in_alabama_only_in_baldwin_and_mobile_counties():
    mardi_gras = date(2026, 2, 17)
    assert not _holiday("AL", mardi_gras, county="Mobile").allowed
    assert _holiday("AL", mardi_gras, county="Jefferson").allowed
    unknown = _holiday("AL", mardi_gras)  # county unknown: may be in Mobile
    assert "state.AL.area_ban" in {o.rule_id for o in unknown.reasons}


# --- emergencies ------------------------------------------------------------------------------

def test_a_declared_emergency_bans_calls_to_its_area(tmp_path):
    officer = tmp_path / "rules"
    officer.mkdir()
    (officer / "emergencies.csv").write_text(
        "state,name,from,until,areas,calls,citation,source\n"
        "LA,Hurricane X,2026-09-01,2026-09-03,county:Orleans;zip:70112,all,"
        "LPSC emergency order 2026-01,lpsc.louisiana.gov\n")
    tables = RuleTables(officer_dir=officer)
    at = local("America/Chicago", 2026, 9, 2, 12)
    engine_ = ComplianceEngine(FakeRegistries(None, fresh_versions(at)), FakeHistory(),
                               tables)
    rules = campaign(*US, autodialed=False)
    inside = engine_.check(LeadFacts("+15045550123", postal_code="70112"), rules, at)
    ban = outcome(inside, "state.LA.area_ban")
    assert not ban.passed and ban.citation == "LPSC emergency order 2026-01"
    assert inside.earliest_allowed == local("America/Chicago", 2026, 9, 4, 8)
    outside = engine_.check(LeadFacts("+15045550123", postal_code="70801"), rules, at)
    assert outcome(outside, "state.LA.area_ban").passed
    unknown = engine_.check(LeadFacts("+15045550123"), rules, at)
    assert not outcome(unknown, "state.LA.area_ban").passed
    collection = campaign(*US, autodialed=False, telemarketing=False)
    assert not outcome(engine_.check(LeadFacts("+15045550123"), collection, at),
                       "state.LA.area_ban").passed  # calls=all: exempt calls too


def test_an_emergency_on_new_years_eve_holds_when_utc_is_already_in_the_new_year(tmp_path):
    """The area-ban rule skips its zone conversions when the state has no ban in the years
    an instant's local dates can fall in: 22:00 on 31 Dec in Louisiana is already 2027 in
    UTC, and a ban of 31 Dec 2026 (or of 1 Jan 2027 seen from 2026) must still hold."""
    officer = tmp_path / "rules"
    officer.mkdir()
    (officer / "emergencies.csv").write_text(
        "state,name,from,until,areas,calls,citation,source\n"
        "LA,Ice storm,2026-12-31,2026-12-31,,all,LPSC order 2026-12,lpsc.louisiana.gov\n"
        "TX,Flood,2027-01-01,2027-01-01,,all,Tex. order 2027-1,tx.gov\n")
    tables = RuleTables(officer_dir=officer)
    rules = campaign(*US, autodialed=False)
    for number, zone, day, banned in (
            ("+15045550123", "America/Chicago", (2026, 12, 31), True),
            ("+15045550123", "America/Chicago", (2027, 1, 1), False),
            ("+15125550123", "America/Chicago", (2026, 12, 31), False),
            ("+15125550123", "America/Chicago", (2027, 1, 1), True)):
        for hour in (0, 10, 18, 20, 23):
            at = local(zone, *day, hour)
            engine_ = ComplianceEngine(FakeRegistries(None, fresh_versions(at)),
                                       FakeHistory(), tables)
            decision = engine_.check(LeadFacts(number), rules, at)
            state = "LA" if number.startswith("+1504") else "TX"
            ban = outcome(decision, f"state.{state}.area_ban")
            assert ban.passed is not banned, (number, at, ban.reason)


def test_a_louisiana_emergency_bans_every_call_unless_told_otherwise_and_cannot_be_narrowed():
    """Review 2c / LA row: the LPSC emergency ban covers every call, consented and exempt ones
    too; a row that leaves ``calls`` blank bans them all in LA (NY stays telemarketing), and
    one narrowing it to telemarketing is refused naming the file, line and field."""
    from dnc.errors import ImportFormatError
    from dnc.rules.area_bans import parse_emergencies

    states = RuleTables().state_zones
    header = "state,name,from,until,areas,calls,citation,source\n"
    bans = parse_emergencies(header + "LA,Storm,2026-09-01,,,,LPSC order,x\n"
                             "NY,Storm,2026-09-01,,,,EO 1,x\n", "e.csv", states)
    assert [(b.state, b.calls) for b in bans] == [("LA", "all"), ("NY", "telemarketing")]
    assert bans[0].concerns(telemarketing=False)
    with pytest.raises(ImportFormatError, match="calls must be all") as error:
        parse_emergencies(header + "LA,Storm,2026-09-01,,,telemarketing,LPSC order,x\n",
                          "e.csv", states)
    assert "e.csv" in str(error.value) and "calls" in str(error.value)


# --- per person (S-FL, R1, R3) ------------------------------------------------------------

def test_florida_counts_three_calls_to_a_person_across_numbers():
    at = local("America/New_York", 2026, 11, 10, 12)
    numbers = ["+13055550101", "+13055550102", "+13055550103"]
    attempts = [PastAttempt(at - timedelta(hours=i + 1), n, "spring", contact_id="p1",
                            subject="solar") for i, n in enumerate(numbers)]
    rules = campaign(*US, autodialed=False, subject="solar")
    fourth = LeadFacts("+13055550104", contact_id="p1")
    decision = checker(at, attempts=attempts).check(fourth, rules, at)
    limit = outcome(decision, "state.FL.attempts")
    assert not limit.passed and "person 'p1' (all numbers)" in limit.reason
    # the closed bound: the call exactly 24 h after the oldest still counts it
    assert limit.earliest == at - timedelta(hours=3) + timedelta(hours=24, microseconds=1)
    stranger = LeadFacts("+13055550104")
    assert checker(at, attempts=attempts).check(stranger, rules, at).allowed


def test_regulation_f_counts_seven_local_calendar_days_across_a_fall_back_week():
    """Seven calendar days that contain 1 Nov 2026 (fall back) last 169 hours, so 7 calls can
    lie in them with only 6 in the last 168 hours: a rolling 7 x 24 h window alone would
    allow an eighth call that day (the review's R3)."""
    zone = "America/New_York"
    first = local(zone, 2026, 10, 29, 0, 30)  # Thu 29 Oct, day 1 of the 7 calendar days
    calls = [first] + [local(zone, 2026, 11, 4, 9 + i) for i in range(6)]  # Wed 4 Nov
    at = local(zone, 2026, 11, 4, 23, 50)  # Wed 4 Nov, day 7; 168 h back is Thu 00:50 EDT
    assert at - first > timedelta(hours=168)
    attempts = [PastAttempt(t, NJ, "collect", debt_id="D1") for t in calls]
    rules = campaign(Profile.REG_F, telemarketing=False)
    decision = checker(at, attempts=attempts).check(LeadFacts(NJ, debt_id="D1"), rules, at)
    seven = outcome(decision, "reg_f.seven_in_seven")
    assert not seven.passed and "7 local calendar days" in seven.reason
    assert "in the last 7 days" not in seven.reason  # the rolling window alone holds 6
    assert seven.earliest == local(zone, 2026, 11, 5, 0, 0)


# --- prerecorded (F9, F10) ------------------------------------------------------------------

def test_f9_prerecorded_telemarketing_needs_written_consent_even_with_an_ebr():
    rules = campaign(*US, prerecorded=True, recorded_message=RecordedMessage(
        True, "+12015550100", "+18005550199"))
    ebr = LeadFacts(NJ, line_type=LineType.LANDLINE, ebr_last_transaction=NOON - timedelta(30))
    decision = checker(NOON).check(ebr, rules, NOON)
    assert not outcome(decision, "us.prerecorded_consent").passed
    consented = LeadFacts(NJ, line_type=LineType.LANDLINE, consents=(pewc(NJ),))
    assert checker(NOON).check(consented, rules, NOON).allowed


def test_f10_the_recorded_message_must_be_declared_compliant():
    incomplete = campaign(*US, prerecorded=True, recorded_message=RecordedMessage(
        True, "+12015550100", optout_number="+12015550100"))  # not toll-free
    lead = LeadFacts(NJ, line_type=LineType.LANDLINE, consents=(pewc(NJ),))
    decision = checker(NOON).check(lead, incomplete, NOON)
    content = outcome(decision, "us.prerecorded_content")
    assert not content.passed and "toll-free opt-out" in content.reason


def test_exempt_prerecorded_calls_are_capped_at_three_in_thirty_days():
    rules = campaign(Profile.US_FEDERAL, prerecorded=True, telemarketing=False,
                     recorded_message=RecordedMessage(True, "+12015550100"))
    calls = [PastAttempt(NOON - timedelta(days=d), NJ, "spring") for d in (1, 10, 20)]
    lead = LeadFacts(NJ, line_type=LineType.LANDLINE)
    decision = checker(NOON, attempts=calls).check(lead, rules, NOON)
    cap = outcome(decision, "us.prerecorded_exempt_cap")
    assert not cap.passed
    assert cap.earliest == NOON - timedelta(days=20) + timedelta(days=30, microseconds=1)


# --- out of profile, freshness in the past -----------------------------------------------------

def test_a_number_outside_every_profile_is_refused_with_that_reason():
    decision = checker(NOON).check(LeadFacts("+442079460000"), campaign(*US), NOON)
    rule = outcome(decision, "campaign.jurisdiction")
    assert not rule.passed and "its region is GB" in rule.reason
    canada = checker(NOON).check(LeadFacts("+14165550123"), campaign(*US), NOON)
    assert not outcome(canada, "campaign.jurisdiction").passed


def test_a_registry_dated_after_the_decision_does_not_count():
    """The review's explain --at case: a version 16 days younger than the instant judged."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    later = RegistryVersion("national", RegistryKind.NATIONAL, "national@2026-11-17",
                            datetime(2026, 11, 17, tzinfo=UTC))
    decision = checker(at, versions=[later]).check(LeadFacts(NJ), campaign(), at)
    assert "did not exist yet" in outcome(decision, "us.national_freshness").reason


# --- UK (U1, U3 in the engine tests, U5, U6 in settings, U11) ---------------------------------

UK = "+442079460000"
UK_NOON = datetime(2026, 11, 18, 12, tzinfo=UTC)


def _uk(days_old: float, attempts=()):
    tps = RegistryVersion("tps", RegistryKind.OTHER, "tps@x",
                          UK_NOON - timedelta(days=days_old))
    return checker(UK_NOON, attempts=attempts, versions=[tps]).check(
        LeadFacts(UK), campaign(Profile.UK_OFCOM), UK_NOON, CampaignState(0.01, 0.01))


def test_u11_tps_data_older_than_28_days_blocks_marketing_calls():
    assert _uk(27).allowed
    stale = _uk(29)
    assert not outcome(stale, "uk.tps_freshness").passed
    none = checker(UK_NOON, versions=[NATIONAL]).check(LeadFacts(UK),
                                                      campaign(Profile.UK_OFCOM), UK_NOON)
    assert "no TPS/CTPS list loaded" in outcome(none, "uk.tps_freshness").reason


def test_u5_no_repeat_within_24_hours_of_an_answering_machine():
    machine = PastAttempt(UK_NOON - timedelta(hours=5), UK, "uk", machine=True)
    decision = _uk(1, attempts=[machine])
    rule = outcome(decision, "uk.repeat_after_machine")
    assert not rule.passed
    assert rule.earliest == machine.at + timedelta(hours=24, microseconds=1)
    assert checker(UK_NOON, attempts=[machine], versions=[RegistryVersion(
        "tps", RegistryKind.OTHER, "tps@x", UK_NOON)]).check(
        LeadFacts(UK), campaign(Profile.UK_OFCOM, agent_guaranteed=True), UK_NOON).allowed


def test_pecr_regulation_19_recorded_marketing_needs_consent():
    tps = RegistryVersion("tps", RegistryKind.OTHER, "tps@x", UK_NOON)
    rules = campaign(Profile.UK_OFCOM, prerecorded=True)
    refused = checker(UK_NOON, versions=[tps]).check(LeadFacts(UK), rules, UK_NOON)
    assert not outcome(refused, "uk.automated_calls").passed
    consent = ConsentRecord(ConsentKind.PRIOR_EXPRESS, UK_NOON - timedelta(days=2),
                            seller="Acme Solar", number=UK)  # to this caller, on this line
    assert checker(UK_NOON, versions=[tps]).check(LeadFacts(UK, consents=(consent,)), rules,
                                                 UK_NOON).allowed


def test_engine_helper_is_unused_guard():
    assert engine() is not None


def test_regression_a_miami_number_of_a_california_lead_at_2030_eastern():
    """The review reproduced `explain +13055550123 --at 2026-07-15T00:30Z --state CA` passing
    Florida's 20:00 limit (checked at 17:30 Pacific). Florida presumes a 305 number is in
    Florida: its limit holds at the Florida location, so the call is refused."""
    at = datetime(2026, 7, 15, 0, 30, tzinfo=UTC)  # 20:30 EDT, 17:30 PDT
    lead = LeadFacts(MIAMI, state="CA", line_type=LineType.LANDLINE, consents=(pewc(MIAMI),))
    decision = checker(at).check(lead, campaign(*US), at)
    # 305-555 is an exchange the numbering plan places in Florida only: both Florida zones
    # count (the fourth pass: tests/dnc/rules/test_compliance_fourth_pass.py).
    assert decision.zones == ("America/Los_Angeles", "America/New_York", "America/Chicago")
    assert decision.states == ("CA", "FL")
    florida = outcome(decision, "state.FL.hours")
    assert not florida.passed and "20:30 in America/New_York" in florida.reason
    assert outcome(decision, "us.calling_hours").passed  # 20:30 is inside the federal window


def test_an_emergency_declared_after_a_check_bans_the_next_one(tmp_path):
    """The area-ban rule keeps, per state and local date, whether any ban falls on that
    date (Alabama's county holidays make its state never "quiet"); an emergency the officer
    declares afterwards (the file re-read, as at the gate's next prefetch) is honoured at
    the next check, not hidden by that kept answer."""
    officer = tmp_path / "rules"
    officer.mkdir()
    emergencies = officer / "emergencies.csv"
    header = "state,name,from,until,areas,calls,citation,source\n"
    emergencies.write_text(header)
    tables = RuleTables(officer_dir=officer)
    at = local("America/Chicago", 2026, 9, 2, 12)
    engine_ = ComplianceEngine(FakeRegistries(None, fresh_versions(at)), FakeHistory(),
                               tables)
    rules = campaign(*US, autodialed=False)
    lead = LeadFacts("+12055550123", postal_code="35203")
    assert outcome(engine_.check(lead, rules, at), "state.AL.area_ban").passed
    emergencies.write_text(header + "AL,Storm,2026-09-01,2026-09-03,,all,AEMA order,ema\n")
    assert tables.area_bans.refresh()
    assert not outcome(engine_.check(lead, rules, at), "state.AL.area_ban").passed
