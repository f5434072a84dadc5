"""The strict reading as invariants (issue 12's proof):

- adding a fact never widens what is allowed: another candidate zone, another state, an
  unknown line type counted as wireless, a holiday;
- no decision is "allowed" where a candidate zone or an applicable state forbids it (the
  lead's explicit state and its area code's state disagreeing included);
- per-person caps hold however the calls were split over the person's numbers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rules_kit import FakeHistory, FakeRegistries, campaign, fresh_versions, pewc

from dnc.interfaces import LineType, PastAttempt
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import AttemptCap, LeadFacts, Profile
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

TABLES = RuleTables()
STATES = sorted(TABLES.state_zones)
AREA_CODES = (201, 205, 206, 212, 305, 312, 401, 405, 410, 504, 601, 605, 702, 801, 907, 808)
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
         "America/Phoenix", "Pacific/Honolulu", "America/Anchorage")
BASE = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.builds(lambda minutes: BASE + timedelta(minutes=minutes),
                     st.integers(0, 366 * 24 * 60))
RULES = campaign(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F, subject="solar",
                 treat_unknown_line_type_as_wireless=False)


def decide(lead: LeadFacts, at: datetime, rules=RULES, tables=TABLES, attempts=()):
    engine = ComplianceEngine(FakeRegistries(None, fresh_versions(at)), FakeHistory(attempts),
                              tables)
    return engine.check(lead, rules, at)


leads = st.builds(
    lambda npa, state, zone, consented: LeadFacts(
        f"+1{npa}5550123", state=state, time_zone=zone,
        consents=(pewc(f"+1{npa}5550123"),) if consented else ()),
    st.sampled_from(AREA_CODES), st.none() | st.sampled_from(STATES),
    st.none() | st.sampled_from(ZONES), st.booleans())


@settings(max_examples=150, deadline=None)
@given(leads, instants, st.sampled_from(ZONES), st.sampled_from(STATES))
def test_adding_a_zone_or_a_state_never_allows_more(lead, at, zone, state):
    base = decide(lead, at)
    with_zone = decide(replace(lead, time_zone=",".join(
        z for z in (lead.time_zone, zone) if z)), at)
    assert not with_zone.allowed or base.allowed
    if lead.state is None:
        with_state = decide(replace(lead, state=state), at)
        assert not with_state.allowed or base.allowed


@settings(max_examples=80, deadline=None)
@given(leads, instants)
def test_counting_an_unknown_line_type_as_wireless_never_allows_more(lead, at):
    landline = decide(lead, at)
    wireless = decide(lead, at, replace(RULES, treat_unknown_line_type_as_wireless=True))
    assert not wireless.allowed or landline.allowed
    known_wireless = decide(replace(lead, line_type=LineType.WIRELESS), at)
    assert not known_wireless.allowed or landline.allowed


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(AREA_CODES), instants, st.booleans(), st.booleans())
def test_an_unknown_line_is_wireless_for_autodialed_telemarketing_unless_the_campaign_says(
        npa, at, policy_wireless, consented):
    """No source knows the line: with the default policy an autodialed telemarketing call
    needs written consent as to a wireless number; with ``landline`` the wireless rule does
    not stop it. Either way the decision records the policy and that it decided."""
    number = f"+1{npa}5550123"
    lead = LeadFacts(number, consents=(pewc(number, given=BASE - timedelta(days=1)),)
                     if consented else ())
    rules = replace(RULES, profiles=(Profile.US_FEDERAL,),
                    treat_unknown_line_type_as_wireless=policy_wireless)
    decision = decide(lead, at, rules)
    wireless = next(o for o in decision.outcomes if o.rule_id == "us.wireless_consent")
    assert decision.line_type == "unknown"
    assert decision.unknown_line_policy == ("wireless" if policy_wireless else "landline")
    assert f"policy unknown_line_type={decision.unknown_line_policy}" in \
        decision.line_type_source
    assert wireless.passed == (consented or not policy_wireless)
    if decision.allowed and policy_wireless:
        assert consented


def _tables_with_holiday(tmp_path_factory, day: str) -> RuleTables:
    directory = tmp_path_factory.mktemp("tables")
    for name in ("state_rules.csv", "state_zones.csv", "zip3_states.csv", "emergencies.csv"):
        (directory / name).write_text((TABLES.data_dir / name).read_text())
    text = (TABLES.data_dir / "holidays.csv").read_text()
    extra = "".join(f"{cal},Extra day,{day},none,all,,,,test\n" for cal in
                    ("AL", "LA", "NE", "PA", "RI", "UT"))
    (directory / "holidays.csv").write_text(text + extra)
    return RuleTables(directory)


@settings(max_examples=40, deadline=None)
@given(leads, instants)
def test_adding_a_holiday_never_allows_more(tmp_path_factory, lead, at):
    tables = _tables_with_holiday(tmp_path_factory, f"{at:%m-%d}")
    with_holiday = decide(lead, at, tables=tables)
    assert not with_holiday.allowed or decide(lead, at).allowed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(AREA_CODES), st.sampled_from(STATES), instants)
def test_no_allowed_decision_where_a_candidate_zone_or_an_applicable_state_forbids(
        npa, state, at):
    """The area code's state and the lead's state both apply, each in its own zones and in
    the lead's (a 305 number of a lead in California at 20:30 Eastern is refused)."""
    number = f"+1{npa}5550123"
    lead = LeadFacts(number, state=state, consents=(pewc(number),))
    decision = decide(lead, at)
    if not decision.allowed:
        return
    placement = place(lead, TABLES)
    assert set(placement.states) >= {state}
    for zone in placement.zone_infos():
        assert 8 <= at.astimezone(zone).hour < 21
    for row in TABLES.state_rules:
        if row.state not in placement.states or row.applies_to != "all":
            continue
        from zoneinfo import ZoneInfo
        zones = [*placement.zone_infos(),
                 *(ZoneInfo(z) for z in TABLES.state_zones[row.state] + row.also_in)]
        for zone in zones:
            local = at.astimezone(zone)
            window = row.days[local.weekday()]
            assert window is not None and window[0] <= local.time() < window[1], (row.state,
                                                                                 zone, local)


calls = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 60 * 60)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(calls, st.integers(0, 3))
@example([(0, 1), (0, 360)], 0)  # a call exactly 6 h before still counts (CI, 2026-12-07)
@example([(0, 1), (1, 2), (2, 1440)], 3)  # and one exactly 24 h before
def test_per_person_caps_hold_across_any_split_over_numbers(history, dialled):
    """Florida's 3 calls per 24 h to a person and a campaign cap of 2 per 6 h per person
    count every number of the person, whichever numbers the calls went to. A window's far
    end is inside it (``at - window <= call``, dnc/rules/base.py): a call exactly 6 h
    before counts, and the next is allowed just after (it dials less, never more)."""
    at = datetime(2026, 11, 17, 17, tzinfo=UTC)  # Tue 12:00 in Miami
    numbers = [f"+1305555010{i}" for i in range(4)]
    attempts = [PastAttempt(at - timedelta(minutes=m), numbers[i], "spring", contact_id="p",
                            subject="solar") for i, m in history]
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE, subject="solar",
                     attempt_caps=(AttemptCap(2, timedelta(hours=6)),))
    lead = LeadFacts(numbers[dialled], contact_id="p", line_type=LineType.LANDLINE,
                     consents=(pewc(numbers[dialled]),))
    decision = decide(lead, at, rules, attempts=attempts)
    in_day = sum(1 for _, m in history if m <= 24 * 60)
    in_six_hours = sum(1 for _, m in history if m <= 6 * 60)
    assert decision.allowed == (in_day < 3 and in_six_hours < 2), decision.reasons
