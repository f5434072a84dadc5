from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from campaigns.availability import lead_availability
from campaigns.compliance import (
    StoreAttemptHistory,
    engine_selection_check,
    lead_facts,
    load_compliance_inputs,
)
from campaigns.hopper import preview_selection
from campaigns.leads import LeadInput
from campaigns.models import Lead, LeadStatus
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



def _lead_with_zone(store, zone: str) -> None:
    """A lead whose stored zone cannot be loaded (imports refuse such a zone now; a lead
    stored before that check, or a tz database without the zone, still has one)."""
    store.create_campaign("c", ALL_DAY, at=NOW)
    store.add_leads("c", [LeadInput("2015550101", line_type="landline"),
                          LeadInput("2015550102", line_type="landline")], at=NOW)
    with store.engine.begin() as connection:
        connection.execute(sa.update(Lead).where(Lead.phone == "+12015550101")
                           .values(timezone=zone))
    store.transition_campaign("c", "running", at=NOW)


def test_a_lead_whose_zone_cannot_be_loaded_is_never_claimed_even_without_compliance(store):
    """The hopper's schedule check skipped the zone, and only the compliance check kept the
    lead from a dial: with no check (tests, simulations) it was claimed, and so dialed."""
    _lead_with_zone(store, "Mars/Olympus_Mons")
    claims = store.claim_leads("c", 5, owner="p", now=NOW)
    assert [c.phone for c in claims] == ["+12015550102"]
    lead = store.lead_by_phone("c", "+12015550101")
    assert lead.status == LeadStatus.SUPPRESSED
    assert "unknown time zone 'Mars/Olympus_Mons'" in lead.block_reason
    later = store.claim_leads("c", 5, owner="q", now=NOW + timedelta(days=1))
    assert "+12015550101" not in [c.phone for c in later]


def test_a_lead_whose_zone_cannot_be_loaded_is_refused_by_compliance_and_reported(store):
    _lead_with_zone(store, "Europe/Londn")
    availability = lead_availability(store, "c", NOW)
    (unknown,) = [z for z in availability.zones if not z.known]
    assert (unknown.zones, unknown.leads, unknown.open_now) == ("Europe/Londn", 1, False)
    assert availability.callable_now == 1  # the other lead only
    assert "1 leads name a time zone that cannot be loaded (Europe/Londn)" in (
        availability._unplaceable([unknown]))
    check = engine_selection_check(ComplianceEngine(OneListedNumber(""),
                                                    StoreAttemptHistory(store)))
    preview = preview_selection(store, "c", NOW, check)
    assert (preview.allowed, preview.permanent) == (1, 1)
    claims = store.claim_leads("c", 5, owner="p", now=NOW, check=check)
    assert [c.phone for c in claims] == ["+12015550102"]
    lead = store.lead_by_phone("c", "+12015550101")
    # the compliance engine's own refusal (audited like every selection refusal)
    assert lead.status == LeadStatus.SUPPRESSED
    assert "compliance: lead" in lead.block_reason and "Europe/Londn" in lead.block_reason


def test_availability_names_leads_whose_zone_cannot_be_loaded(store):
    """doctor's sentence: such leads are never callable, and it says why (they were counted
    as open, their zone skipped)."""
    _lead_with_zone(store, "Europe/Londn")
    with store.engine.begin() as connection:
        connection.execute(sa.update(Lead).values(timezone="Europe/Londn"))
    said = lead_availability(store, "c", NOW).reason()
    assert said is not None and "cannot be loaded (Europe/Londn)" in said, said
