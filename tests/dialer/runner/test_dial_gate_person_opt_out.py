"""A person who opted out on one of their numbers is not called for telemarketing on another.

16 CFR 310.4(b)(1)(iii)(A) bars a telemarketing call to *a person* who "previously has
stated that he or she does not wish to receive an outbound telephone call made by or on
behalf of the seller" (the review's F12). The internal list holds numbers: on the code
before, the gate looked up the dialled number only, so a person who pressed the opt-out key
on their mobile was called on their landline by the next lead of theirs (same
``contact_id``), in this campaign or another.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.compliance import StoreAttemptHistory, lead_facts
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.rules.model import CampaignRules, Profile
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.test_dial_gate import FreshNational

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in New York
MOBILE, LANDLINE, STRANGER = "+12015550101", "+12015550102", "+12015550103"
US = CampaignRules(
    "spring",
    profiles=(Profile.US_FEDERAL, Profile.US_STATE),
    seller="Acme Solar",
    treat_unknown_line_type_as_wireless=False,
)


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        opened.create_campaign("spring", STARTABLE, at=AT)
        opened.create_campaign("autumn", STARTABLE, at=AT)
        opened.add_leads(
            "spring",
            [
                LeadInput("2015550102", contact_id="p1", line_type="landline"),
                LeadInput("2015550103", contact_id="p2", line_type="landline"),
            ],
            at=AT,
        )
        opened.add_leads(
            "autumn", [LeadInput("2015550101", contact_id="p1", line_type="wireless")], at=AT
        )
        yield opened
    finally:
        opened.close()


def _gate(store: CampaignStore, opted_out: set[str], rules: CampaignRules = US):
    gate = DialTimeGate(
        rules,
        FreshNational(AT - timedelta(days=1)),
        StoreAttemptHistory(store),
        inner_opted_out=lambda n: n in opted_out,
    )
    targets = []
    items = []
    for number in (LANDLINE, STRANGER):
        lead = store.lead_by_phone("spring", number)
        target = DialTarget(str(lead.id), number, "spring")
        targets.append(target)
        items.append((target, lead_facts(lead)))
    gate.prefetch(items, AT)
    return gate, targets


def test_an_opt_out_on_the_persons_mobile_refuses_a_telemarketing_call_to_their_landline(store):
    opted_out = {MOBILE}
    gate, (landline, stranger) = _gate(store, opted_out)
    verdict = gate.check(landline, AT.timestamp())
    assert not verdict.allowed
    assert verdict.reasons[0].startswith(
        f"dial_gate.internal_dnc: another number of this person ({MOBILE})"
    )
    assert gate.check(stranger, AT.timestamp()).allowed  # another person: not concerned


def test_an_opt_out_taken_during_the_run_refuses_the_persons_next_dial(store):
    opted_out: set[str] = set()
    gate, (landline, _) = _gate(store, opted_out)
    assert gate.check(landline, AT.timestamp()).allowed
    opted_out.add(MOBILE)  # the person pressed the opt-out key on a call to their mobile
    assert not gate.check(landline, AT.timestamp() + 1).allowed


def test_calls_that_are_not_telemarketing_are_left_to_the_numbers_own_listing(store):
    gate, (landline, _) = _gate(store, {MOBILE}, replace(US, telemarketing=False))
    assert gate.check(landline, AT.timestamp()).allowed


NUMBERS = [f"+1201555{2000 + i:04d}" for i in range(4)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    owners=st.lists(st.sampled_from(["p1", "p2", None]), min_size=4, max_size=4),
    opted=st.sets(st.sampled_from(NUMBERS)),
    dialed=st.integers(0, 3),
    telemarketing=st.booleans(),
)
def test_no_telemarketing_dial_reaches_a_person_with_an_opted_out_number(
    tmp_path_factory, owners, opted, dialed, telemarketing
):
    """Over any grouping of four numbers into people (or none) across two campaigns, any
    numbers on the internal list and any dialled lead: a telemarketing dial is allowed only
    if neither its number nor any other number of its person is listed."""
    path = tmp_path_factory.mktemp("people") / "dialer.db"
    opened = CampaignStore.open(f"sqlite:///{path}")
    try:
        opened.create_campaign("spring", STARTABLE, at=AT)
        opened.create_campaign("autumn", STARTABLE, at=AT)
        for index, (number, owner) in enumerate(zip(NUMBERS, owners, strict=True)):
            opened.add_leads(
                "spring" if index % 2 else "autumn",
                [LeadInput(number[2:], contact_id=owner, line_type="landline")],
                at=AT,
            )
        rules = replace(US, telemarketing=telemarketing)
        gate = DialTimeGate(
            rules,
            FreshNational(AT - timedelta(days=1)),
            StoreAttemptHistory(opened),
            inner_opted_out=lambda n: n in opted,
        )
        number = NUMBERS[dialed]
        lead = opened.lead_by_phone("spring" if dialed % 2 else "autumn", number)
        target = DialTarget(str(lead.id), number, "spring")
        gate.prefetch([(target, lead_facts(lead))], AT)
        allowed = gate.check(target, AT.timestamp()).allowed
    finally:
        opened.close()
    person = owners[dialed]
    theirs = {n for n, o in zip(NUMBERS, owners, strict=True) if person and o == person}
    listed = number in opted or (telemarketing and bool(theirs & opted))
    assert allowed == (not listed)
