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
