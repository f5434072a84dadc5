"""Calls to a person's number count toward the per-person limits whichever lead they were
made through.

Florida's 3 calls in 24 hours "regardless of the number of telephone numbers" (Fla. Stat.
501.616(6)(b)), Regulation F's 7 in 7 and a campaign's per-person caps count calls *to the
person*. On the code before, the person's calls were found through the leads that carry
their ``contact_id``: three calls to their second number made by another campaign whose
lead of that number names no person were not counted, and a fourth call went out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.compliance import StoreAttemptHistory, lead_facts
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, Profile
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.test_dial_gate import FreshNational

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in Miami
FIRST, SECOND = "+13055550101", "+13055550102"
RULES = CampaignRules(
    "x",
    profiles=(Profile.US_FEDERAL, Profile.US_STATE),
    seller="Acme Solar",
    autodialed=False,
    treat_unknown_line_type_as_wireless=False,
    state_list_waivers=(("FL", "test: no Florida list"),),
)


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    start = AT - timedelta(days=2)
    try:
        opened.create_campaign("x", STARTABLE, at=start)
        opened.create_campaign("y", STARTABLE, at=start)
        opened.add_leads(
            "x",
            [
                LeadInput("3055550101", contact_id="p1", line_type="landline"),
                LeadInput("3055550102", contact_id="p1", line_type="landline"),
            ],
            at=start,
        )
        # Campaign y has the person's second number without saying whose it is.
        opened.add_leads("y", [LeadInput("3055550102", line_type="landline")], at=start)
        other = opened.lead_by_phone("y", SECOND)
        for hours in (5, 4, 3):
            attempt = opened.begin_attempt(other.id, at=AT - timedelta(hours=hours))
            opened.finish_attempt(
                attempt.id, outcome="no_answer", ended_at=AT - timedelta(hours=hours, seconds=-30)
            )
        yield opened
    finally:
        opened.close()


def _gate(store: CampaignStore) -> tuple[DialTimeGate, DialTarget]:
    gate = DialTimeGate(
        RULES,
        FreshNational(AT - timedelta(days=1)),
        StoreAttemptHistory(store),
        inner_opted_out=lambda n: False,
    )
    lead = store.lead_by_phone("x", FIRST)
    target = DialTarget(str(lead.id), FIRST, "x")
    gate.prefetch([(target, lead_facts(lead))], AT)
    return gate, target


def test_a_fourth_call_to_the_person_is_refused_at_the_dial(store):
    gate, target = _gate(store)
    verdict = gate.check(target, AT.timestamp())
    assert not verdict.allowed
    assert verdict.reasons[0].startswith("state.FL.attempts: 3 attempts on person 'p1'")


def test_the_selection_check_counts_them_too(store):
    engine = ComplianceEngine(FreshNational(AT - timedelta(days=1)), StoreAttemptHistory(store))
    lead = store.lead_by_phone("x", FIRST)
    decision = engine.check(lead_facts(lead), RULES, AT)
    assert not decision.allowed
    assert [o.rule_id for o in decision.reasons] == ["state.FL.attempts"]
    # Another person's calls are not theirs.
    assert StoreAttemptHistory(store).attempts_for_contact("p2", AT - timedelta(days=1)) == []


def test_they_stay_counted_after_the_journal_recount_of_another_dial(store):
    """The journaling re-count reads the person's calls by the person and replaces what the
    gate keeps; the calls filed under no person, read at the prefetch, stay counted."""
    from campaigns.attempt_recount import JournalDial

    gate, target = _gate(store)
    judge = gate.recount([])
    assert judge(JournalDial("u1", target.lead_id, FIRST, "p1", AT)) is not None  # refused
    assert not gate.check(target, AT.timestamp() + 1).allowed


def test_calls_made_after_the_prefetch_are_counted_where_the_dial_is_journaled(tmp_path):
    """Another process calls the person's second number three times, through its lead that
    names no person, after this gate's prefetch: the gate's check cannot know, the
    journaling re-count (its read in the batch's transaction) refuses the fourth call."""
    from campaigns.attempt_recount import JournalDial, attempts_in_session

    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    start = AT - timedelta(days=2)
    try:
        opened.create_campaign("x", STARTABLE, at=start)
        opened.create_campaign("y", STARTABLE, at=start)
        opened.add_leads(
            "x",
            [
                LeadInput("3055550101", contact_id="p1", line_type="landline"),
                LeadInput("3055550102", contact_id="p1", line_type="landline"),
            ],
            at=start,
        )
        opened.add_leads("y", [LeadInput("3055550102", line_type="landline")], at=start)
        gate, target = _gate(opened)
        other = opened.lead_by_phone("y", SECOND)
        for minutes in (30, 20, 10):
            attempt = opened.begin_attempt(other.id, at=AT - timedelta(minutes=minutes))
            opened.finish_attempt(
                attempt.id,
                outcome="no_answer",
                ended_at=AT - timedelta(minutes=minutes, seconds=-30),
            )
        assert gate.check(target, AT.timestamp()).allowed  # prefetched before those calls
        with opened.read_session() as session:
            history = attempts_in_session(session, [FIRST], ["p1"], AT - timedelta(days=1))
        assert {a.number_e164 for a in history} == {SECOND}
        refusal = gate.recount(history)(JournalDial("u1", target.lead_id, FIRST, "p1", AT))
        assert refusal is not None and "state.FL.attempts" in refusal.reason
        assert not gate.check(target, AT.timestamp() + 1).allowed  # and learnt
    finally:
        opened.close()
