"""The engine keeps, per lead object, what it derives from the lead and the campaign alone
(placement, applicable rules, line finding): a decision on a lead checked again must be the
decision a fresh engine takes, when the campaign or the officer's line-type record changed
between the checks too."""

from __future__ import annotations

from datetime import timedelta

from rules_kit import T0, FakeHistory, FakeRegistries, campaign, outcome

from dnc.interfaces import LineType, LineTypeRecord, NoNumberFacts
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import LeadFacts, Profile

AT = T0 + timedelta(hours=17)  # Monday 12:00 in New York
NUMBER = "+12125550123"


class OfficerLineTypes(NoNumberFacts):
    """The officer's line-type record for every number; ``record`` may be replaced."""

    def __init__(self, record: LineTypeRecord | None) -> None:
        self.record = record

    def line_type(self, number_e164: str, at):
        return self.record


def fresh(facts) -> ComplianceEngine:
    return ComplianceEngine(FakeRegistries(), FakeHistory(), facts=facts)


def test_the_officer_s_new_line_type_record_decides_the_next_check_of_the_same_lead() -> None:
    facts = OfficerLineTypes(LineTypeRecord(LineType.LANDLINE, "officer: landline"))
    engine = fresh(facts)
    lead = LeadFacts(NUMBER, state="NY")
    rules = campaign(Profile.US_FEDERAL)
    first = engine.check(lead, rules, AT)
    assert first.allowed and first.line_type == "landline"
    facts.record = LineTypeRecord(LineType.WIRELESS, "officer: ported to wireless")
    second = engine.check(lead, rules, AT)
    assert not second.allowed
    assert not outcome(second, "us.wireless_consent").passed
    assert second.line_type_source == "officer: ported to wireless"
    assert second.to_json() == fresh(facts).check(lead, rules, AT).to_json()


def test_the_same_lead_checked_for_another_campaign_gets_that_campaign_s_rules() -> None:
    facts = OfficerLineTypes(None)
    engine = fresh(facts)
    lead = LeadFacts(NUMBER, state="FL")
    federal = campaign(Profile.US_FEDERAL)
    with_states = campaign(Profile.US_FEDERAL, Profile.US_STATE)
    for rules in (federal, with_states, federal):
        decision = engine.check(lead, rules, AT)
        assert decision.to_json() == fresh(facts).check(lead, rules, AT).to_json()
    ids = {o.rule_id for o in engine.check(lead, with_states, AT).outcomes}
    assert "state.registry" in ids
    assert "state.registry" not in {o.rule_id for o in engine.check(lead, federal, AT).outcomes}
