"""Invariants of whole decisions, for any instant (around DST changes) and any history."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import campaign, engine, fresh_versions, pewc

from dnc.interfaces import PastAttempt
from dnc.rules.model import AttemptCap, LeadFacts, Profile
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

TABLES = RuleTables()
STATES = sorted({row.state for row in TABLES.state_rules} | {"NJ", "AZ", "ID", "KY", "AK"})
DST_CHANGES = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
               datetime(2027, 3, 14, 7, tzinfo=UTC)]
instants = st.builds(lambda base, minutes: base + timedelta(minutes=minutes),
                     st.sampled_from(DST_CHANGES), st.integers(-2 * 24 * 60, 2 * 24 * 60))
RULES = campaign(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F, subject="solar")


def window_rules_pass_everywhere(decision) -> bool:
    return all(o.passed for o in decision.outcomes if o.rule_id.endswith("hours")
               or o.rule_id == "reg_f.inconvenient_time")


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(STATES), instants)
def test_no_allowed_decision_outside_any_zones_window(state, at):
    lead = LeadFacts("+12015550123", state=state, consents=(pewc("+12015550123"),))
    decision = engine(versions=fresh_versions(at)).check(lead, RULES, at)
    if not decision.allowed:
        return
    placement = place(lead, TABLES)
    for row in TABLES.state_rules:
        if row.state not in placement.states or row.applies_to in ("prerecorded", "recorded"):
            continue
        # a state's row holds in the lead's zones and in the state's own zones
        state_zones = [*placement.zone_infos(), *(ZoneInfo(z) for z in
                                                  TABLES.state_zones[row.state] + row.also_in)]
        for zone in state_zones:
            local = at.astimezone(zone)
            window = row.days[local.weekday()]
            assert window is not None and window[0] <= local.time() < window[1], (row, zone)
    for zone in placement.zone_infos():
        local = at.astimezone(zone)
        assert 8 <= local.hour < 21, (zone, local)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(STATES), instants)
def test_earliest_allowed_is_allowed_and_nothing_earlier(state, at):
    lead = LeadFacts("+12015550123", state=state, consents=(pewc("+12015550123"),))
    checker = engine(versions=fresh_versions(at))
    decision = checker.check(lead, RULES, at)
    if decision.earliest_allowed is None:
        assert decision.unreachable
        return
    assert checker.check(lead, RULES, decision.earliest_allowed).allowed
    probe = at
    while probe < decision.earliest_allowed:  # 20-minute resolution
        assert not checker.check(lead, RULES, probe).allowed
        probe += timedelta(minutes=20)


histories = st.lists(st.tuples(st.integers(1, 14 * 24 * 60), st.sampled_from(["solar", "roof"]),
                               st.sampled_from(["D1", "D2"]), st.booleans()), max_size=25)


@settings(max_examples=150, deadline=None)
@given(histories, st.integers(0, 20 * 24 * 60))
def test_attempt_limits_hold_for_any_history(history, later_minutes):
    at = datetime(2026, 11, 18, 17, tzinfo=UTC)  # Wed 11:00 CST
    number = "+14055550123"  # Oklahoma: 3 calls per 24 h on the same subject
    attempts = [PastAttempt(at - timedelta(minutes=m), number, "spring", subject=subject,
                            debt_id=debt, conversation=talk)
                for m, subject, debt, talk in history]
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F, subject="solar",
                     attempt_caps=(AttemptCap(5, timedelta(days=2)),))
    lead = LeadFacts(number, debt_id="D1", consents=(pewc(number),))
    checker = engine(attempts=attempts, versions=fresh_versions(at))
    chicago = ZoneInfo("America/Chicago")
    for when in (at, at + timedelta(minutes=later_minutes)):
        decision = checker.check(lead, rules, when)
        def within(window, keep, when=when):
            return sum(1 for a in attempts if when - window < a.at <= when and keep(a))
        def in_local_days(days, keep, when=when):
            first = datetime.combine(when.astimezone(chicago).date() - timedelta(days=days - 1),
                                     time(0), tzinfo=chicago)
            return sum(1 for a in attempts if first <= a.at <= when and keep(a))
        def talk_blocks(a, when=when):
            day_eight = datetime.combine(a.at.astimezone(chicago).date() + timedelta(days=7),
                                         time(0), tzinfo=chicago)
            return a.at <= when < max(a.at + timedelta(days=7), day_eight)
        solar = within(timedelta(hours=24), lambda a: a.subject == "solar")
        debt = max(within(timedelta(days=7), lambda a: a.debt_id == "D1"),
                   in_local_days(7, lambda a: a.debt_id == "D1"))
        talks = sum(1 for a in attempts if a.debt_id == "D1" and a.conversation
                    and talk_blocks(a))
        capped = within(timedelta(days=2), lambda a: True)
        legal = solar < 3 and debt < 7 and talks == 0 and capped < 5
        hours_ok = window_rules_pass_everywhere(decision)
        assert decision.allowed == (legal and hours_ok)
        if decision.earliest_allowed is not None and decision.earliest_allowed != when:
            assert checker.check(lead, rules, decision.earliest_allowed).allowed


@settings(max_examples=30, deadline=None)
@given(histories, st.booleans())
def test_earliest_allowed_with_history_is_the_first_allowed_instant(history, abandoned):
    at = datetime(2026, 11, 18, 17, tzinfo=UTC)
    number = "+14055550123"
    attempts = [PastAttempt(at - timedelta(minutes=m), number, "spring", subject=subject,
                            debt_id=debt, conversation=talk, abandoned=abandoned and talk)
                for m, subject, debt, talk in history]
    rules = campaign(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F, Profile.UK_OFCOM,
                     subject="solar")
    lead = LeadFacts(number, debt_id="D1", consents=(pewc(number),))
    checker = engine(attempts=attempts, versions=fresh_versions(at))
    decision = checker.check(lead, rules, at)
    if decision.earliest_allowed is None:
        return
    assert checker.check(lead, rules, decision.earliest_allowed).allowed
    probe = at
    while probe < decision.earliest_allowed:  # 30-minute resolution
        assert not checker.check(lead, rules, probe).allowed
        probe += timedelta(minutes=30)
