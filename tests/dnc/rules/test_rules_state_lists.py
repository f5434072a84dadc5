"""A state that keeps its own do-not-call list whose list was never loaded
(docs/compliance-proof.md, "Left open": it passed as "not on the registry of XX"). A
telemarketing call to a number the rules place in such a state (dnc/data/state_dnc_lists.csv)
is refused, naming the state and the command that loads its list, unless the called party
gave the written permission every list honours or the campaign records the officer's waiver
for that state (named in the decision)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rules_kit import INTERNAL, NATIONAL, SELLER, campaign, engine, outcome, pewc

from campaigns.compliance_settings import ComplianceSettings
from dnc.interfaces import LineType, RegistryKind, RegistryVersion
from dnc.rules.audit import decision_body
from dnc.rules.model import LeadFacts, Profile
from dnc.rules.tables import RuleTables

US = (Profile.US_FEDERAL, Profile.US_STATE)
AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday, 12:00 in Austin, 11:00 in Denver
AUSTIN = "+15125550123"
LISTS = sorted(RuleTables().state_dnc_lists)


def state_list(state: str, as_of: datetime = AT - timedelta(days=3)) -> RegistryVersion:
    return RegistryVersion(f"state:{state}", RegistryKind.STATE, f"state:{state}@q4", as_of)


def check(lead: LeadFacts, *lists: RegistryVersion, **options):
    rules = campaign(*US, autodialed=False, **options)  # dialled by hand: no consent rules
    return engine(versions=[NATIONAL, INTERNAL, *lists]).check(lead, rules, AT)


def texan(**facts) -> LeadFacts:
    return LeadFacts(AUSTIN, line_type=LineType.LANDLINE, **facts)


def test_a_state_whose_own_list_was_never_loaded_refuses_naming_the_command() -> None:
    refused = outcome(check(texan()), "state.registry")
    assert not refused.passed and refused.earliest is None
    assert "TX keeps its own do-not-call list" in refused.reason
    assert "dialer dnc import FILE --registry state:TX" in refused.reason
    assert outcome(check(texan(), state_list("TX")), "state.registry").passed


def test_a_list_dated_after_the_call_was_not_loaded_then() -> None:
    assert not outcome(check(texan(), state_list("TX", AT + timedelta(days=1))),
                       "state.registry").passed


@pytest.mark.parametrize("state", LISTS)
def test_every_state_of_the_table_needs_its_own_list(state: str) -> None:
    """A Newark number whose lead record says the state: the record places it there."""
    lead = LeadFacts("+12015550123", state=state, line_type=LineType.LANDLINE)
    others = [state_list(s) for s in LISTS if s != state]
    refused = outcome(check(lead, *others), "state.registry")
    assert not refused.passed and f"state:{state}" in refused.reason
    assert outcome(check(lead, *others, state_list(state)), "state.registry").passed


def test_states_without_a_list_of_their_own_and_informational_calls_are_not_concerned() -> None:
    newark = LeadFacts("+12015550123", line_type=LineType.LANDLINE)
    assert outcome(check(newark), "state.registry").passed
    informational = check(texan(), telemarketing=False)
    assert "state.registry" not in {o.rule_id for o in informational.outcomes}


def test_a_waiver_allows_it_and_the_decision_names_the_officers_statement() -> None:
    statement = "Texas list covered by our exemption: counsel's opinion of 2026-11-02"
    decision = check(texan(), state_list_waivers=(("TX", statement),))
    result = outcome(decision, "state.registry")
    assert result.passed and statement in str(result.permission)
    audited = decision_body(decision)
    assert statement in str(audited), audited
    # A waiver for another state does not cover this one.
    assert not outcome(check(texan(), state_list_waivers=(("FL", statement),)),
                       "state.registry").passed


def test_written_permission_naming_the_seller_and_number_allows_it_as_on_a_loaded_list() -> None:
    lead = texan(consents=(pewc(AUSTIN),))
    result = outcome(check(lead), "state.registry")
    assert result.passed and SELLER in str(result.permission)


def test_the_waiver_setting_is_checked_where_it_is_written() -> None:
    settings = ComplianceSettings(state_list_waivers={" tx ": "covered  by the national list"})
    assert settings.state_list_waivers == {"TX": "covered by the national list"}
    with pytest.raises(ValueError, match="keeps no do-not-call list"):
        ComplianceSettings(state_list_waivers={"NJ": "no list"})
    with pytest.raises(ValueError, match="statement"):
        ComplianceSettings(state_list_waivers={"TX": "  "})


def test_an_officers_rules_directory_without_the_table_uses_the_built_in_one(tmp_path) -> None:
    import shutil

    from dnc.rules.tables import DEFAULT_DATA_DIR

    shutil.copy(DEFAULT_DATA_DIR / "state_zones.csv", tmp_path / "state_zones.csv")
    assert set(RuleTables(tmp_path).state_dnc_lists) == set(LISTS)
    assert {"FL", "TX", "PA"} <= set(LISTS)
