"""Tenth pass: California's and Indiana's automatic dialing-announcing device laws.

A campaign that plays a recorded message (a voicemail drop or a message to a person) is an
automatic dialing-announcing device in both statutes' words (equipment storing the numbers
it calls and playing a prerecorded message). Neither state had a row, so only the federal
rules applied: a recorded message reached a California number at 08:30 Pacific (Cal. Pub.
Util. Code § 2872(c): no such call received in California between 21:00 and 09:00
California time), and a recorded message reached a California or Indiana landline on an
informational call with no consent at all (§§ 2873-2874: only by prior agreement of the
person called, or after a natural-voice announcement asking consent; Ind. Code §
24-5-14-5(b): only if the subscriber requested or consented, or a live operator first
obtains consent). The natural-voice announcement and the live operator are not modelled:
consent is required, the stricter reading (as the MN row does)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import FakeHistory, FakeRegistries, campaign, fresh_versions, outcome, pewc

from dnc.interfaces import LineType
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import ConsentKind, ConsentRecord, LeadFacts, Profile, RecordedMessage
from dnc.rules.tables import RuleTables

US = (Profile.US_FEDERAL, Profile.US_STATE)
MESSAGE = RecordedMessage(True, "+12015550100", "+18005550100", True)


def recorded(**options):
    """A campaign playing a recorded message that declares what the federal rules ask."""
    return campaign(*US, prerecorded=True, recorded_message=MESSAGE, **options)

LA_NUMBER = "+12135550123"   # Los Angeles
INDY = "+13175550123"        # Indianapolis
PACIFIC = ZoneInfo("America/Los_Angeles")


def checker(at: datetime) -> ComplianceEngine:
    return ComplianceEngine(FakeRegistries(None, fresh_versions(at)), FakeHistory(()),
                            RuleTables())


def _at(hour: int, minute: int = 0, zone=PACIFIC) -> datetime:
    return datetime(2026, 11, 10, hour, minute, tzinfo=zone).astimezone(UTC)  # a Tuesday


def test_a_recorded_message_to_california_before_09_00_pacific_is_refused():
    """08:30 Pacific passes the federal 08:00-21:00; California's ADAD window opens at
    09:00. A live-agent campaign's call at 08:30 is not concerned."""
    lead = LeadFacts(LA_NUMBER, consents=(pewc(LA_NUMBER),), line_type=LineType.LANDLINE)
    early = _at(8, 30)
    decision = checker(early).check(lead, recorded(), early)
    assert not decision.allowed
    assert not outcome(decision, "state.CA.prerecorded.hours").passed
    assert decision.earliest_allowed == _at(9)
    live = checker(early).check(lead, campaign(*US), early)
    assert "state.CA.prerecorded.hours" not in {o.rule_id for o in live.outcomes}
    assert checker(_at(9)).check(lead, recorded(), _at(9)).allowed


@pytest.mark.parametrize(("state", "number", "zone"), [
    ("CA", LA_NUMBER, "America/Los_Angeles"), ("IN", INDY, "America/Indiana/Indianapolis")])
def test_a_recorded_message_needs_the_subscribers_consent(state, number, zone):
    """An informational recorded message (no federal consent rule for a landline) to a
    California or Indiana landline: refused without consent, allowed with it."""
    at = _at(12, zone=ZoneInfo(zone))
    rules = recorded(telemarketing=False)
    lead = LeadFacts(number, line_type=LineType.LANDLINE)
    rule = f"state.{state}.prerecorded.consent"
    refused = checker(at).check(lead, rules, at)
    assert not refused.allowed and not outcome(refused, rule).passed
    express = ConsentRecord(ConsentKind.PRIOR_EXPRESS, datetime(2026, 1, 5, tzinfo=UTC),
                            seller="Acme Solar", number=number)
    consented = LeadFacts(number, line_type=LineType.LANDLINE, consents=(express,))
    assert outcome(checker(at).check(consented, rules, at), rule).passed


@settings(max_examples=60, deadline=None)
@given(minute=st.integers(0, 24 * 60 - 1), consented=st.booleans(),
       telemarketing=st.booleans())
def test_no_recorded_message_reaches_california_outside_09_21_or_without_consent(
        minute, consented, telemarketing):
    """Any minute of a Tuesday in Los Angeles, with or without consent, sales or not: a
    recorded message to a California landline is allowed only between 09:00 and 21:00
    Pacific (less the send allowance) and with consent."""
    at = _at(minute // 60, minute % 60)
    consents = (pewc(LA_NUMBER),) if consented else ()
    lead = LeadFacts(LA_NUMBER, consents=consents, line_type=LineType.LANDLINE)
    decision = checker(at).check(lead, recorded(telemarketing=telemarketing), at)
    if decision.allowed:
        local = at.astimezone(PACIFIC)
        assert consented and 9 <= local.hour < 21
