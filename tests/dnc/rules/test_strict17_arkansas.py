"""Seventeenth adversarial pass: Arkansas bans recorded-message sales calls outright.

Ark. Code § 5-63-204(a)(1) (a Class D felony): no one may use a telephone to offer goods or
services for sale "when the use involves an automated system for the selection and dialing
of telephone numbers and the playing of recorded messages when a message is completed to the
called number"; (a)(2) excepts only delivery and order-status messages and calls answering
the person's own call, not consent. No Arkansas row existed: a prerecorded telemarketing
campaign (a voicemail drop) reached a Little Rock number with the federal written consent on
record (docs/compliance-proof.md, "Seventeenth pass", row 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import campaign, outcome, pewc
from test_rules_review_findings import US, checker, local

from dnc.rules.model import LeadFacts, LineType, RecordedMessage

LITTLE_ROCK = "+15015550123"
NOON = local("America/Chicago", 2026, 11, 10, 12)
MESSAGE = RecordedMessage(True, "+12015550100", "+18005550199", True)
"""A message declared as 64.1200(b) asks, so that only the state's rule can refuse."""


def _arkansas(at, *, prerecorded=True, telemarketing=True, state=None, number=LITTLE_ROCK):
    lead = LeadFacts(number, state=state, consents=(pewc(number),),
                     line_type=LineType.LANDLINE)
    rules = campaign(*US, prerecorded=prerecorded, telemarketing=telemarketing,
                     recorded_message=MESSAGE if prerecorded else None)
    return checker(at).check(lead, rules, at)


def test_a_recorded_sales_message_to_arkansas_is_refused_whatever_the_consent():
    decision = _arkansas(NOON)
    banned = outcome(decision, "state.AR.prerecorded.consent")
    assert not banned.passed and banned.earliest is None
    assert "5-63-204" in banned.citation
    assert [o.rule_id for o in decision.reasons] == ["state.AR.prerecorded.consent"]
    # Live-agent sales calls and recorded messages that sell nothing are not concerned.
    for unconcerned in (_arkansas(NOON, prerecorded=False),
                        _arkansas(NOON, telemarketing=False)):
        assert unconcerned.allowed, unconcerned.reasons
        assert "state.AR.prerecorded.consent" not in {o.rule_id for o in unconcerned.outcomes}


def test_an_arkansas_resident_on_another_states_number_is_covered_too():
    """The lead's record places the person in Arkansas (a 212 number kept after a move)."""
    decision = _arkansas(NOON, number="+12125550123", state="AR")
    assert not outcome(decision, "state.AR.prerecorded.consent").passed


@settings(max_examples=40, deadline=None)
@given(minutes=st.integers(0, 7 * 24 * 60 - 1))
def test_no_recorded_sales_message_reaches_arkansas_at_any_time_of_the_week(minutes):
    at = NOON + timedelta(minutes=minutes)
    decision = _arkansas(at)
    assert not decision.allowed and decision.earliest_allowed is None
    assert not outcome(decision, "state.AR.prerecorded.consent").passed


# --- Wyoming and Montana: the same device statutes (row 3) ----------------------------------

CHEYENNE = "+13075550123"
BILLINGS = "+14065550123"


def test_wyoming_bans_recorded_sales_messages_whatever_the_consent():
    """Wyo. Stat. § 40-12-303: (b) excepts only autodialed calls "with live messages"."""
    at = local("America/Denver", 2026, 11, 10, 12)
    decision = _arkansas(at, number=CHEYENNE)
    banned = outcome(decision, "state.WY.prerecorded.consent")
    assert not banned.passed and banned.earliest is None and "40-12-303" in banned.citation


def test_montana_recorded_messages_need_consent_in_every_campaign():
    """Mont. Code Ann. § 45-8-216 binds sales, surveys and data gathering alike: a recorded
    message without consent on record is refused, informational or not."""
    at = local("America/Denver", 2026, 11, 10, 12)
    for telemarketing in (True, False):
        rules = campaign(*US, prerecorded=True, telemarketing=telemarketing,
                         recorded_message=MESSAGE)
        bare = checker(at).check(LeadFacts(BILLINGS, line_type=LineType.LANDLINE), rules, at)
        assert not outcome(bare, "state.MT.prerecorded.consent").passed
        consented = checker(at).check(
            LeadFacts(BILLINGS, consents=(pewc(BILLINGS),), line_type=LineType.LANDLINE),
            rules, at)
        assert outcome(consented, "state.MT.prerecorded.consent").passed
        assert consented.allowed, consented.reasons


@pytest.mark.parametrize(("state", "number", "zone"), [
    ("ND", "+17015550123", "America/Chicago"),   # Fargo
    ("NJ", "+12015550123", "America/New_York"),  # Jersey City
])
def test_recorded_messages_need_the_subscribers_consent_in_every_campaign(state, number, zone):
    """N.D. Cent. Code § 51-28-02: no prerecorded or synthesized voice message to a
    subscriber unless they requested, consented to, permitted or authorised it (or a live
    operator obtains consent first); a "message" is any call, whatever its content.
    N.J.S.A. 48:17-28: no recorded message other than for emergencies unless an operator
    obtains the subscriber's consent first or a prior or current relationship exists."""
    at = local(zone, 2026, 11, 10, 12)
    for telemarketing in (True, False):
        rules = campaign(*US, prerecorded=True, telemarketing=telemarketing,
                         recorded_message=MESSAGE)
        bare = checker(at).check(LeadFacts(number, line_type=LineType.LANDLINE), rules, at)
        assert not outcome(bare, f"state.{state}.prerecorded.consent").passed
        consented = checker(at).check(
            LeadFacts(number, consents=(pewc(number),), line_type=LineType.LANDLINE),
            rules, at)
        assert consented.allowed, consented.reasons
