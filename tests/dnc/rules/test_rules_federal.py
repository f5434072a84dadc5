"""US federal profile: hours, internal and national DNC with exemptions, freshness, wireless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rules_kit import INTERNAL, NATIONAL, SELLER, STATE_LISTS, campaign, engine, outcome

from dnc.errors import ComplianceError
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.model import ConsentKind, ConsentRecord, LeadFacts

NJ = "+12015550123"
NOON_NY = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tue 12:00 EST


def written_consent(given=datetime(2026, 1, 5, tzinfo=UTC), **kw):
    kw.setdefault("seller", SELLER)
    kw.setdefault("number", NJ)
    return ConsentRecord(ConsentKind.PRIOR_EXPRESS_WRITTEN, given, source="form #1", **kw)


def test_plain_number_at_noon_is_allowed():
    decision = engine().check(LeadFacts(NJ), campaign(), NOON_NY)
    assert decision.allowed and decision.earliest_allowed == NOON_NY
    assert decision.zones == ("America/New_York",)
    # The kit loads every state's own list too (rules_kit.STATE_LISTS): all are named.
    assert set(decision.registry_versions) == {NATIONAL.version, INTERNAL.version,
                                               *(v.version for v in STATE_LISTS)}


@pytest.mark.parametrize(("local_hour", "allowed"),
                         [(7.99, False), (8, True), (20.99, True), (21, False)])
def test_calling_hours_edges(local_hour, allowed):
    at = datetime(2026, 11, 10, 5, tzinfo=UTC) + timedelta(hours=local_hour)  # EST = UTC-5
    assert engine().check(LeadFacts(NJ), campaign(), at).allowed is allowed


def test_after_nine_pm_earliest_is_eight_next_morning():
    decision = engine().check(LeadFacts(NJ), campaign(), datetime(2026, 11, 11, 2, 30, tzinfo=UTC))
    assert not decision.allowed
    assert decision.earliest_allowed == datetime(2026, 11, 11, 13, tzinfo=UTC)
    assert [o.rule_id for o in decision.reasons] == ["us.calling_hours"]


def test_internal_dnc_beats_every_consent():
    lead = LeadFacts(NJ, consents=(written_consent(),), ebr_last_transaction=NOON_NY)
    decision = engine({INTERNAL: [NJ]}).check(lead, campaign(), NOON_NY)
    assert not decision.allowed and decision.earliest_allowed is None
    assert not outcome(decision, "us.internal_dnc").passed
    assert not decision.unreachable


def test_national_listing_blocks_without_exemption():
    decision = engine({NATIONAL: [NJ]}).check(LeadFacts(NJ), campaign(), NOON_NY)
    assert not decision.allowed and decision.earliest_allowed is None


def test_national_listing_exempt_by_written_consent_until_revoked():
    lead = LeadFacts(NJ, consents=(written_consent(revoked_at=NOON_NY + timedelta(days=1)),))
    checker = engine({NATIONAL: [NJ]})
    decision = checker.check(lead, campaign(), NOON_NY)
    assert decision.allowed
    assert outcome(decision, "us.national_dnc").permission.startswith("consent:")
    assert not checker.check(lead, campaign(), NOON_NY + timedelta(days=2)).allowed


@pytest.mark.parametrize(("transaction", "allowed"), [
    (datetime(2025, 5, 11, tzinfo=UTC), True),    # 18 months end 2026-11-11
    (datetime(2025, 5, 10, 16, tzinfo=UTC), False),  # ended 2026-11-10 16:00
])
def test_ebr_lasts_eighteen_months_after_transaction(transaction, allowed):
    lead = LeadFacts(NJ, ebr_last_transaction=transaction)
    assert engine({NATIONAL: [NJ]}).check(lead, campaign(), NOON_NY).allowed is allowed


@pytest.mark.parametrize(("inquiry", "allowed"), [
    (datetime(2026, 8, 11, tzinfo=UTC), True), (datetime(2026, 8, 9, tzinfo=UTC), False)])
def test_ebr_lasts_three_months_after_inquiry(inquiry, allowed):
    lead = LeadFacts(NJ, ebr_last_inquiry=inquiry)
    assert engine({NATIONAL: [NJ]}).check(lead, campaign(), NOON_NY).allowed is allowed


def test_national_data_older_than_31_days_refuses_every_dial():
    stale = RegistryVersion("national", RegistryKind.NATIONAL, "national@old",
                            NOON_NY - timedelta(days=32))
    decision = engine(versions=[stale, INTERNAL]).check(LeadFacts(NJ), campaign(), NOON_NY)
    assert not decision.allowed and decision.earliest_allowed is None
    assert "32 days old" in outcome(decision, "us.national_freshness").reason
    fresh = stale.__class__(stale.registry, stale.kind, "n", NOON_NY - timedelta(days=31))
    assert engine(versions=[fresh]).check(LeadFacts(NJ), campaign(), NOON_NY).allowed


def test_no_national_registry_loaded_refuses():
    decision = engine(versions=[INTERNAL]).check(LeadFacts(NJ), campaign(), NOON_NY)
    assert not outcome(decision, "us.national_freshness").passed


def test_informational_campaign_is_not_bound_by_the_registry():
    decision = engine({NATIONAL: [NJ]}, versions=[INTERNAL]).check(
        LeadFacts(NJ), campaign(telemarketing=False), NOON_NY)
    assert decision.allowed


def test_wireless_needs_written_consent_for_autodialed_telemarketing():
    lead = LeadFacts(NJ, wireless=True)
    assert not engine().check(lead, campaign(), NOON_NY).allowed
    oral = ConsentRecord(ConsentKind.PRIOR_EXPRESS, datetime(2026, 1, 1, tzinfo=UTC))
    assert not engine().check(LeadFacts(NJ, wireless=True, consents=(oral,)), campaign(),
                              NOON_NY).allowed
    assert engine().check(LeadFacts(NJ, wireless=True, consents=(oral,)),
                          campaign(telemarketing=False), NOON_NY).allowed
    assert engine().check(LeadFacts(NJ, wireless=True, consents=(written_consent(),)),
                          campaign(), NOON_NY).allowed
    assert engine().check(lead, campaign(autodialed=False), NOON_NY).allowed


def test_mobile_by_numbering_plan_is_wireless():
    uk_mobile = "+447400123456"
    decision = engine().check(LeadFacts(uk_mobile, time_zone="Europe/London"), campaign(),
                              datetime(2026, 11, 10, 12, tzinfo=UTC))
    assert not outcome(decision, "us.wireless_consent").passed


def test_unknown_line_type_can_be_treated_as_wireless():
    decision = engine().check(LeadFacts(NJ), campaign(treat_unknown_line_type_as_wireless=True),
                              NOON_NY)
    assert not outcome(decision, "us.wireless_consent").passed


def test_naive_time_and_bad_numbers_are_refused():
    with pytest.raises(ComplianceError):
        engine().check(LeadFacts(NJ), campaign(), datetime(2026, 11, 10, 12))
    with pytest.raises(ComplianceError):
        engine().check(LeadFacts("2015550123"), campaign(), NOON_NY)


def test_batch_refuses_a_malformed_lead_without_stopping():
    leads = [LeadFacts(NJ), LeadFacts("2015550123"), LeadFacts(NJ, time_zone="Mars/Base")]
    decisions = engine().check_many(leads, campaign(), NOON_NY)
    assert [d.allowed for d in decisions] == [True, False, False]
    assert decisions[1].reasons[0].rule_id == "lead.facts"


def test_exemption_that_expires_before_the_window_opens_means_never():
    # 22:00 EST; the inquiry-based EBR ends at 03:00 UTC, before 08:00 EST (13:00 UTC).
    at = datetime(2026, 11, 11, 3, tzinfo=UTC) - timedelta(hours=1)
    inquiry = datetime(2026, 8, 11, 3, tzinfo=UTC)
    decision = engine({NATIONAL: [NJ]}).check(LeadFacts(NJ, ebr_last_inquiry=inquiry),
                                               campaign(), at)
    assert not decision.allowed and outcome(decision, "us.national_dnc").passed
    assert decision.earliest_allowed is None and not decision.unreachable
    longer = LeadFacts(NJ, ebr_last_inquiry=inquiry + timedelta(days=1))
    assert engine({NATIONAL: [NJ]}).check(longer, campaign(), at).earliest_allowed == \
        datetime(2026, 11, 11, 13, tzinfo=UTC)
