"""The second look at the compliance review (docs/compliance-proof.md): the rows whose strict
case passed, each with a test that fails on the code before its fix, and the rows that had
no test of their strict edge, as invariants over their domain (instants, counts, zones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import SELLER, FakeHistory, FakeRegistries, campaign, fresh_versions, outcome

from dnc.interfaces import LineType, PastAttempt, RegistryKind, RegistryVersion, Revocation
from dnc.rules.consent import relied_consent
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

NJ = "+12015550123"
UK = "+442079460000"
NOON = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tue 12:00 in New Jersey
UK_NOON = datetime(2026, 11, 18, 12, tzinfo=UTC)


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
    assert cap.earliest == NOON - timedelta(days=16) + timedelta(days=30, microseconds=1)
    assert outcome(checker(NOON, calls[:2]).check(lead, rules, NOON),
                   "us.prerecorded_exempt_cap").passed


# --- U11 / PECR: a UK consent is one given to this caller for this line ---------------------

def _tps(at: datetime) -> list[RegistryVersion]:
    return [RegistryVersion("tps", RegistryKind.OTHER, "tps@x", at - timedelta(days=1))]


def test_u11_a_consent_naming_no_seller_or_no_number_does_not_lift_a_tps_listing():
    """PECR reg. 21: a TPS-listed line may be called only when its subscriber notified *that
    caller* that they do not object to calls *on that line*. A prior express consent that
    names no seller was accepted for any campaign (only written kinds had to name the seller
    and the number)."""
    tps = _tps(UK_NOON)
    listings = {tps[0]: [UK]}
    rules = campaign(Profile.UK_OFCOM)
    for seller, number, allowed in ((None, UK, False), (SELLER, None, False),
                                    ("Other Co", UK, False), (SELLER, UK, True)):
        consent = ConsentRecord(ConsentKind.PRIOR_EXPRESS, UK_NOON - timedelta(days=3),
                                seller=seller, number=number)
        decision = checker(UK_NOON, listings=listings, versions=tps).check(
            LeadFacts(UK, consents=(consent,)), rules, UK_NOON, CampaignState(0.0, 0.0))
        assert outcome(decision, "uk.tps").passed is allowed, (seller, number)
        assert decision.allowed is allowed


def test_pecr_reg_19_recorded_marketing_needs_a_consent_naming_this_caller_and_line():
    tps = _tps(UK_NOON)
    rules = campaign(Profile.UK_OFCOM, prerecorded=True)
    for seller, number, allowed in ((None, UK, False), (SELLER, None, False),
                                    (SELLER, UK, True)):
        consent = ConsentRecord(ConsentKind.PRIOR_EXPRESS, UK_NOON - timedelta(days=3),
                                seller=seller, number=number)
        decision = checker(UK_NOON, versions=tps).check(
            LeadFacts(UK, consents=(consent,)), rules, UK_NOON, CampaignState(0.0, 0.0))
        rule = outcome(decision, "uk.automated_calls")
        assert rule.passed is allowed, (seller, number, rule.reason)
        if not allowed:
            assert "PECR reg. 19" in rule.reason or "seller" in rule.reason


# --- F13 / F7 / consent expiry and revocation timing, as an invariant ------------------------

T0 = datetime(2026, 6, 1, tzinfo=UTC)
offsets = st.integers(0, 400 * 24 * 60)  # minutes after T0
maybe = st.none() | offsets


@settings(max_examples=300, deadline=None)
@given(granted=offsets, expires=maybe, revoked=maybe, revocations=st.lists(offsets, max_size=3),
       at=offsets, kind=st.sampled_from(list(ConsentKind)))
def test_a_consent_counts_exactly_from_its_grant_until_its_expiry_or_any_revocation(
        granted, expires, revoked, revocations, at, kind):
    """A consent is relied on at ``at`` iff it was given at or before ``at``, has not expired
    (expiry instant excluded), was not revoked on the record (revocation instant excluded),
    and no revocation received by any channel lies between its grant and ``at`` (FCC 24-24:
    a revocation is honoured at once here, inside the 10-business-day limit; the instant of
    the grant included: a consent and a revocation at one instant do not make a consent)."""
    minute = timedelta(minutes=1)
    consent = ConsentRecord(
        kind, T0 + granted * minute, expires_at=None if expires is None else T0 + expires * minute,
        revoked_at=None if revoked is None else T0 + revoked * minute, seller=SELLER, number=NJ)
    received = [Revocation(NJ, None, T0 + r * minute, "sms STOP") for r in revocations]
    found, why = relied_consent([consent], tuple(ConsentKind), T0 + at * minute, number=NJ,
                                seller=SELLER, revocations=received)
    expected = (granted <= at and (expires is None or at < expires)
                and (revoked is None or at < revoked)
                and not any(granted <= r <= at for r in revocations))
    assert (found is not None) is expected, why


# --- R1, R2, R3: Regulation F per person, per debt, in local calendar days -------------------

NY = ZoneInfo("America/New_York")
FALL_BACK = datetime(2026, 11, 1, 6, tzinfo=UTC)  # 02:00 EDT -> 01:00 EST
PERSON_NUMBERS = ("+12015550101", "+12015550102", "+12015550103")
reg_f_calls = st.lists(st.tuples(st.integers(0, 2), st.integers(-9 * 24 * 60, 0),
                                 st.sampled_from(("D1", "D2", None)), st.booleans()),
                       max_size=14)


@settings(max_examples=300, deadline=None)
@given(calls=reg_f_calls, dialled=st.integers(0, 2),
       at_minute=st.integers(-3 * 24 * 60, 6 * 24 * 60))
def test_regulation_f_frequency_holds_per_person_and_debt_in_any_split(calls, dialled,
                                                                       at_minute):
    """12 CFR 1006.14(b)(2): at most 7 calls to a person about a debt within 7 consecutive
    days, whatever the numbers (R1), none within the 7-day period that starts with the date
    of a conversation (R2), and "7 consecutive days" as 7 local calendar days too (R3: the
    week of 1 Nov 2026 lasts 169 hours). An allowed decision has fewer than 7 calls about
    debt D1 (or of unknown debt) to the person's numbers in the last 168 hours and in the 7
    local days ending today, and no such conversation whose day 1 is within the last 7 local
    days or less than 168 hours ago."""
    at = FALL_BACK + timedelta(minutes=at_minute)
    attempts = [PastAttempt(at + timedelta(minutes=m), PERSON_NUMBERS[n], "collect",
                            debt_id=debt, contact_id="p", answered_live=talk,
                            conversation=talk) for n, m, debt, talk in calls]
    lead = LeadFacts(PERSON_NUMBERS[dialled], contact_id="p", debt_id="D1")
    rules = campaign(Profile.REG_F, telemarketing=False)
    decision = checker(at, attempts).check(lead, rules, at)
    if not decision.allowed:
        return
    about = [a for a in attempts if a.debt_id in ("D1", None)]
    today = at.astimezone(NY).date()
    rolling = [a for a in about if at - timedelta(days=7) < a.at <= at]
    local_week = [a for a in about if today - timedelta(days=6) <= a.at.astimezone(NY).date()
                  <= today]
    assert len(rolling) < 7 and len(local_week) < 7, decision.outcomes
    for talk in (a for a in about if a.conversation):
        day_one = talk.at.astimezone(NY).date()
        assert today >= day_one + timedelta(days=7) and at >= talk.at + timedelta(days=7)
