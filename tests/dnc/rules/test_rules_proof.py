"""The second look at the compliance review (docs/compliance-proof.md): the rows whose strict
case passed, each with a test that fails on the code before its fix, and the rows that had
no test of their strict edge, as invariants over their domain (instants, counts, zones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules_kit import FakeHistory, FakeRegistries, campaign, fresh_versions, outcome

from dnc.interfaces import LineType, PastAttempt
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import LeadFacts, Profile, RecordedMessage
from dnc.rules.tables import RuleTables

NJ = "+12015550123"
NOON = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tue 12:00 in New Jersey


def checker(at: datetime, attempts=(), listings=None, versions=None) -> ComplianceEngine:
    return ComplianceEngine(FakeRegistries(listings, versions or fresh_versions(at)),
                            FakeHistory(attempts), RuleTables())


# --- F9: the exempt prerecorded cap is the caller's, not one campaign's ----------------------

def test_f9_exempt_prerecorded_calls_of_two_campaigns_share_the_three_call_cap():
    """47 CFR 64.1200(a)(3)(ii)-(v) (FCC 20-186): an exempt prerecorded call to a residential
    line without consent is allowed only within three calls in any 30 days. A second
    campaign of the same caller may not add three more: the cap counted only the dialling
    campaign's own calls, so two calls of one campaign and one of another let a fourth
    through."""
    rules = campaign(Profile.US_FEDERAL, prerecorded=True, telemarketing=False,
                     recorded_message=RecordedMessage(True, "+12015550100"))
    calls = [PastAttempt(NOON - timedelta(days=2), NJ, "spring"),
             PastAttempt(NOON - timedelta(days=9), NJ, "spring"),
             PastAttempt(NOON - timedelta(days=16), NJ, "reminders")]
    lead = LeadFacts(NJ, line_type=LineType.LANDLINE)
    cap = outcome(checker(NOON, calls).check(lead, rules, NOON), "us.prerecorded_exempt_cap")
    assert not cap.passed and "3 attempts on this number" in cap.reason
    assert cap.earliest == NOON - timedelta(days=16) + timedelta(days=30)
    assert outcome(checker(NOON, calls[:2]).check(lead, rules, NOON),
                   "us.prerecorded_exempt_cap").passed
