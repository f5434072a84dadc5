"""A request not to be called recorded for one number of a person refuses a telemarketing
call to their other numbers at the dial (16 CFR 310.4(b)(1)(iii)(A): no outbound call to "a
person" who "previously has stated" they do not wish to receive the seller's calls).

On the code before, a revocation recorded for the number alone (a letter about the mobile,
``dialer compliance revoke +1...``) was looked up for that number and for the person's
``contact_id`` only: the same person was called on their landline. The internal list was
already read for every number of the person (test_dial_gate_person_opt_out.py); a request
recorded any other way now counts the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.compliance import StoreAttemptHistory, lead_facts
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.facts import NumberFactsStore
from dnc.interfaces import Revocation
from dnc.rules.model import CampaignRules, Profile
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.test_dial_gate import FreshNational

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in New York
MOBILE, LANDLINE, STRANGER = "+12015550101", "+12015550102", "+12015550103"
US = CampaignRules("spring", profiles=(Profile.US_FEDERAL,), seller="Acme Solar",
                   treat_unknown_line_type_as_wireless=False)


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        opened.create_campaign("spring", STARTABLE, at=AT)
        opened.add_leads("spring", [LeadInput("2015550102", contact_id="p1"),
                                    LeadInput("2015550103", contact_id="p2"),
                                    LeadInput("2015550101", contact_id="p1")], at=AT)
        yield opened
    finally:
        opened.close()


def _gate(store: CampaignStore, facts: NumberFactsStore, rules: CampaignRules = US):
    gate = DialTimeGate(rules, FreshNational(AT - timedelta(days=1)),
                        StoreAttemptHistory(store), inner_opted_out=lambda n: False,
                        facts=facts)
    targets = []
    for number in (LANDLINE, STRANGER):
        lead = store.lead_by_phone("spring", number)
        target = DialTarget(str(lead.id), number, "spring")
        targets.append(target)
    gate.prefetch([(t, lead_facts(store.lead_by_phone("spring", t.number_e164)))
                   for t in targets], AT)
    return gate, targets


def _letter(facts: NumberFactsStore, at: datetime) -> None:
    facts.revoke([Revocation(MOBILE, None, at, "letter about the mobile")], at, "ann")


def test_a_request_recorded_for_the_persons_mobile_refuses_their_landline(store, tmp_path):
    facts = NumberFactsStore(tmp_path / "facts.db")
    _letter(facts, AT - timedelta(days=1))
    gate, (landline, stranger) = _gate(store, facts)
    verdict = gate.check(landline, AT.timestamp())
    assert not verdict.allowed
    assert verdict.reasons[0].startswith("us.stop_request: the person asked not to be called")
    assert gate.check(stranger, AT.timestamp()).allowed  # another person
    facts.close()


def test_one_recorded_during_the_run_refuses_the_next_dial(store, tmp_path):
    facts = NumberFactsStore(tmp_path / "facts.db")
    gate, (landline, _) = _gate(store, facts)
    assert gate.check(landline, AT.timestamp()).allowed
    _letter(facts, AT)  # recorded now, by an officer, in another process or this one
    assert not gate.check(landline, AT.timestamp() + 1).allowed
    facts.close()


def test_calls_that_are_not_telemarketing_are_left_to_consents(store, tmp_path):
    facts = NumberFactsStore(tmp_path / "facts.db")
    _letter(facts, AT - timedelta(days=1))
    gate, (landline, _) = _gate(store, facts, replace(US, telemarketing=False))
    assert gate.check(landline, AT.timestamp()).allowed
    facts.close()
