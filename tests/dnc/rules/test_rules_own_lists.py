"""Lists of one's own (``dnc import --registry client-acme``) refuse at every dial.

Until 2026-12-07 only ``dnc scrub`` read such a list: a lead imported without a scrub was
dialed although its number was on the client's suppression list (``campaign.own_lists``,
dnc/rules/profiles.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import campaign, engine, outcome, pewc

from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.model import LeadFacts, Profile

NJ = "+12015550123"
LONDON = "+442079460123"
NOON_NY = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tue 12:00 EST, 17:00 in London


def own(name: str) -> RegistryVersion:
    return RegistryVersion(name, RegistryKind.OTHER, f"{name}@2026-12-01#1",
                           datetime(2026, 12, 1, tzinfo=UTC), 1)


def test_a_number_on_a_clients_list_is_refused_whatever_the_consent():
    lead = LeadFacts(NJ, consents=(pewc(NJ),), ebr_last_transaction=NOON_NY)
    decision = engine({own("client-acme"): [NJ]}).check(lead, campaign(), NOON_NY)
    assert not decision.allowed and decision.earliest_allowed is None
    refused = outcome(decision, "campaign.own_lists")
    assert not refused.passed
    assert "client-acme@2026-12-01#1" in refused.reason


def test_a_number_on_no_list_of_ones_own_passes_the_rule():
    decision = engine({own("client-acme"): ["+12015550999"]}).check(
        LeadFacts(NJ), campaign(), NOON_NY)
    assert decision.allowed
    assert outcome(decision, "campaign.own_lists").passed


def test_the_uk_registries_are_left_to_their_own_rules():
    """TPS and CTPS files are registries of kind OTHER too; their rules (``uk.tps``) know
    when a listed number may be called (a consent to this caller), so this rule passes."""
    tps = RegistryVersion("tps", RegistryKind.OTHER, "tps@2026-12-01#1",
                          datetime(2026, 12, 1, tzinfo=UTC), 1)
    decision = engine({tps: [LONDON]}, versions=[tps]).check(
        LeadFacts(LONDON), campaign(Profile.UK_OFCOM), NOON_NY)
    assert outcome(decision, "campaign.own_lists").passed
    assert not outcome(decision, "uk.tps").passed


_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True).filter(
    lambda name: name.split(":")[0] not in ("tps", "ctps", "national", "internal"))
_PROFILES = st.sampled_from([(Profile.US_FEDERAL,), (Profile.US_STATE,),
                             (Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F),
                             (Profile.UK_OFCOM,), (Profile.US_FEDERAL, Profile.UK_OFCOM)])


@settings(max_examples=60, deadline=None)
@given(name=_NAMES, profiles=_PROFILES, number=st.sampled_from([NJ, LONDON]),
       consented=st.booleans(), telemarketing=st.booleans())
def test_a_listed_number_is_never_allowed(name, profiles, number, consented, telemarketing):
    """Whatever the profile, the kind of call and the consents, a number on a list of one's
    own is never allowed, and this rule is among the reasons."""
    lead = LeadFacts(number, consents=(pewc(number),) if consented else ())
    rules = campaign(*profiles, telemarketing=telemarketing)
    decision = engine({own(name): [number]}).check(lead, rules, NOON_NY)
    assert not decision.allowed
    assert "campaign.own_lists" in [o.rule_id for o in decision.reasons]


# Tenth pass: a list scoped by the officer to named sellers (``dnc import --seller``).

def scoped(name: str, *sellers: str) -> RegistryVersion:
    return RegistryVersion(name, RegistryKind.OTHER, f"{name}@2026-12-01#2",
                           datetime(2026, 12, 1, tzinfo=UTC), 1, tuple(sellers))


def test_a_list_scoped_to_a_seller_refuses_in_that_sellers_campaigns_however_spelt():
    """Scoped to "Acme Solar": a campaign whose seller is "ACME solar." is that seller's
    (names compared as consents compare them), so the number is refused there, naming the
    scope."""
    decision = engine({scoped("client-acme", "Acme Solar"): [NJ]}).check(
        LeadFacts(NJ, consents=(pewc(NJ, seller="ACME solar."),)),
        campaign(seller="ACME solar."), NOON_NY)
    refused = outcome(decision, "campaign.own_lists")
    assert not decision.allowed and not refused.passed
    assert "scoped to seller 'Acme Solar'" in refused.reason


def test_a_scoped_list_is_reported_not_applied_in_another_sellers_campaign():
    """In Beta Energy's campaign the listing does not refuse, and the rule's reason says
    which list it is on, its scope and the campaign's seller (explain and the audit show
    it): reported, not silently passed over."""
    lead = LeadFacts(NJ, consents=(pewc(NJ, seller="Beta Energy"),))
    decision = engine({scoped("client-acme", "Acme Solar"): [NJ]}).check(
        lead, campaign(seller="Beta Energy"), NOON_NY)
    kept = outcome(decision, "campaign.own_lists")
    assert decision.allowed and kept.passed
    assert "client-acme@2026-12-01#2" in kept.reason
    assert "scoped to seller 'Acme Solar'" in kept.reason and "'Beta Energy'" in kept.reason


def test_a_scoped_list_binds_a_campaign_that_declares_no_seller():
    """Fail closed: a campaign with no seller cannot be shown to be another seller's."""
    decision = engine({scoped("client-acme", "Acme Solar"): [NJ]}).check(
        LeadFacts(NJ), campaign(seller=None, telemarketing=False), NOON_NY)
    refused = outcome(decision, "campaign.own_lists")
    assert not refused.passed and "declares no seller" in refused.reason


_SELLERS = st.sampled_from(["Acme Solar", "acme  SOLAR", "Beta Energy", "Gamma", None])


@settings(max_examples=80, deadline=None)
@given(scope=st.lists(st.sampled_from(["Acme Solar", "Beta Energy", "Delta Co"]),
                      max_size=2, unique=True),
       seller=_SELLERS, other_unscoped=st.booleans(), profiles=_PROFILES,
       number=st.sampled_from([NJ, LONDON]))
def test_a_listed_number_passes_only_in_another_named_sellers_campaign(
        scope, seller, other_unscoped, profiles, number):
    """Over any scope, campaign seller and profile: the rule passes a listed number only
    when every list of one's own that has it is scoped, the campaign declares a seller and
    that seller is none of the scope's (compared as consents compare sellers); when it
    passes, each such list is named in its reason."""
    from dnc.rules.consent import same_seller

    versions = {scoped("client-a", *scope): [number]}
    if other_unscoped:
        versions[own("client-b")] = [number]
    decision = engine(versions).check(LeadFacts(number), campaign(*profiles, seller=seller),
                                      NOON_NY)
    result = outcome(decision, "campaign.own_lists")
    binds = other_unscoped or not scope or not seller or any(
        same_seller(seller, s) for s in scope)
    assert result.passed is (not binds)
    if result.passed:
        assert "client-a@2026-12-01#2" in result.reason
    else:
        assert not decision.allowed
