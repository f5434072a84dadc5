from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.compliance import (
    StoreAttemptHistory,
    engine_selection_check,
    lead_facts,
    load_compliance_inputs,
)
from campaigns.leads import LeadInput
from campaigns.models import LeadStatus
from dnc.interfaces import RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from tests.campaigns.ready import STARTABLE

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 12:00 in New York, a Monday
ALL_DAY = {**STARTABLE,
           "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}}
NATIONAL = RegistryVersion("national", RegistryKind.NATIONAL, "national@test#1",
                           NOW - timedelta(days=3), 1)


class OneListedNumber:
    def __init__(self, number: str) -> None:
        self.number = number

    def hits(self, number_e164: str):
        return [RegistryHit(NATIONAL)] if number_e164 == self.number else []

    def versions(self):
        return [NATIONAL]


def test_hopper_suppresses_dnc_listed_lead_through_the_rules_engine(store):
    store.create_campaign("c", ALL_DAY, at=NOW)
    store.add_leads("c", [LeadInput("2015550101", line_type="landline"),
                          LeadInput("2015550102", line_type="landline")], at=NOW)
    store.transition_campaign("c", "running", at=NOW)
    engine = ComplianceEngine(OneListedNumber("+12015550101"), StoreAttemptHistory(store))
    claims = store.claim_leads("c", 5, owner="p", now=NOW, check=engine_selection_check(engine))
    assert [c.phone for c in claims] == ["+12015550102"]
    listed = store.lead_by_phone("c", "+12015550101")
    assert listed.status == LeadStatus.SUPPRESSED and "national" in listed.block_reason


def test_night_time_lead_is_deferred_until_the_window_opens(store):
    store.create_campaign("c", ALL_DAY, at=NOW)
    store.add_leads("c", [LeadInput("2015550101")], at=NOW)
    store.transition_campaign("c", "running", at=NOW)
    engine = ComplianceEngine(OneListedNumber(""), StoreAttemptHistory(store))
    night = NOW.replace(hour=4)  # 23:00 in New York: outside 8 am-9 pm
    assert store.claim_leads("c", 5, owner="p", now=night,
                             check=engine_selection_check(engine)) == []
    lead = store.lead_by_phone("c", "+12015550101")
    assert lead.status == LeadStatus.NEW and lead.next_attempt_at > night
    assert lead.next_attempt_at.astimezone().hour is not None


def test_attempt_history_and_inputs_by_number(store):
    store.create_campaign("c", ALL_DAY, at=NOW)
    store.add_leads("c", [LeadInput("2015550101", state="NJ", consent=(
        {"kind": "prior_express_written", "given_at": "2026-01-01T00:00:00+00:00"},))], at=NOW)
    lead = store.lead_by_phone("c", "+12015550101")
    attempt = store.begin_attempt(lead.id, at=NOW)
    store.update_attempt(attempt.id, answered_at=NOW + timedelta(seconds=5), answer_kind="live")
    store.finish_attempt(attempt.id, ended_at=NOW + timedelta(seconds=9), outcome="abandoned")
    [past] = StoreAttemptHistory(store).attempts("+12015550101", NOW - timedelta(days=1))
    assert past.campaign == "c" and past.answered_live and past.abandoned
    assert StoreAttemptHistory(store).attempts("+12015550101", NOW + timedelta(hours=1)) == []
    rules, facts = load_compliance_inputs(store, "c", "+12015550101")
    assert rules.name == "c" and facts.state == "NJ" and facts.lead_id == str(lead.id)
    assert facts.consents[0].kind == "prior_express_written"
    assert lead_facts(lead).time_zone == "America/New_York"
    _, unknown = load_compliance_inputs(store, "c", "+12015550199")
    assert unknown.number_e164 == "+12015550199" and unknown.lead_id is None
