"""PECR reg. 21(1)(a): no marketing call on the line of a subscriber who has told this caller
that such calls should not, for the time being, be made on it (``uk.previous_objection``).

Before, the UK profile enforced the TPS (reg. 21(1)(b)) and reg. 19 only: a UK subscriber's
letter or e-mail to the seller recorded as a revocation stopped no UK call (``us.stop_request``
is a US rule), and an opt-out on the caller's own list was seen by the dial-time gate alone,
not by selection, ``doctor`` or ``explain``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import INTERNAL, SELLER, FakeHistory, FakeRegistries, campaign
from test_stop_request import Facts

from dnc.interfaces import RegistryKind, RegistryVersion, Revocation
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import ConsentKind, ConsentRecord, LeadFacts, Profile

AT = datetime(2026, 11, 18, 12, tzinfo=UTC)
UK = "+442079460000"
TPS = RegistryVersion("tps", RegistryKind.OTHER, "tps@2026-11-15",
                      datetime(2026, 11, 15, tzinfo=UTC))
OFCOM = campaign(Profile.UK_OFCOM)
LETTER = Revocation(UK, None, AT - timedelta(days=3), "letter to the seller",
                    recorded_at=AT - timedelta(days=2))


def _engine(revocations=(), opted_out=False) -> ComplianceEngine:
    listings = {INTERNAL: [UK]} if opted_out else {}
    return ComplianceEngine(FakeRegistries(listings, [TPS, INTERNAL]), FakeHistory(),
                            facts=Facts(revocations))


def _outcome(decision):
    return next(o for o in decision.outcomes if o.rule_id == "uk.previous_objection")


def _consent(given_at: datetime, seller: str = SELLER) -> ConsentRecord:
    return ConsentRecord(ConsentKind.PRIOR_EXPRESS, given_at, seller=seller, number=UK,
                         source="phone call to the seller")


def test_a_request_recorded_otherwise_stops_uk_marketing_calls():
    decision = _engine([LETTER]).check(LeadFacts(UK), OFCOM, AT)
    assert not decision.allowed
    result = _outcome(decision)
    assert not result.passed and "letter to the seller" in result.reason
    assert "21(1)(a)" in result.citation and result.earliest is None


def test_an_opt_out_on_the_callers_list_is_refused_by_the_rules_too():
    decision = _engine(opted_out=True).check(LeadFacts(UK), OFCOM, AT)
    assert not _outcome(decision).passed
    assert "internal DNC internal@7" in _outcome(decision).reason


def test_a_later_notice_to_this_caller_for_this_line_lifts_it():
    later = LeadFacts(UK, consents=(_consent(AT - timedelta(days=1)),))
    assert _outcome(_engine([LETTER]).check(later, OFCOM, AT)).passed
    earlier = LeadFacts(UK, consents=(_consent(AT - timedelta(days=10)),))
    assert not _outcome(_engine([LETTER]).check(earlier, OFCOM, AT)).passed
    another_seller = LeadFacts(UK, consents=(_consent(AT - timedelta(days=1), "Other Ltd"),))
    assert not _outcome(_engine([LETTER]).check(another_seller, OFCOM, AT)).passed
    # Nothing lifts the caller's own opt-out list.
    assert not _outcome(_engine([LETTER], opted_out=True).check(later, OFCOM, AT)).passed


def test_calls_that_are_not_marketing_are_not_concerned():
    decision = _engine([LETTER]).check(LeadFacts(UK), campaign(Profile.UK_OFCOM,
                                                               telemarketing=False), AT)
    assert _outcome(decision).passed


@settings(max_examples=60, deadline=None)
@given(received=st.integers(-72, 72), recorded=st.integers(-72, 72),
       consent=st.one_of(st.none(), st.integers(-96, 0)))
def test_no_marketing_call_while_an_objection_on_record_stands(received, recorded, consent):
    """Over any objection (received and recorded at any hour around the call) and any
    consent before the call: the call is refused exactly when the objection is on record
    and in force and no consent naming this caller and line came after it."""
    objection = Revocation(UK, None, AT + timedelta(hours=received), "e-mail",
                           recorded_at=AT + timedelta(hours=recorded))
    given_at = AT + timedelta(hours=consent) if consent is not None else None
    lead = LeadFacts(UK, consents=(_consent(given_at),) if given_at else ())
    passed = _outcome(_engine([objection]).check(lead, OFCOM, AT)).passed
    on_record = objection.recorded_at <= AT
    effective = min(objection.at, objection.recorded_at)
    # A consent lifts it when given after the instant the objection names (``relied_consent``).
    stands = on_record and effective <= AT and not (given_at is not None
                                                    and given_at > objection.at)
    assert passed == (not stands)
