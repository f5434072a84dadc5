"""Hopper selection sees what the dial-time gate sees of a person, read per batch.

- An opt-out (the internal list) on another number of the person refuses a telemarketing
  lead at selection, for good, as the gate refuses it at the dial (``dial_gate.internal_dnc``).
  Before, selection looked up the lead's own number only: the lead was claimed, refused at
  the dial, offered again 15 minutes later, for ever (churn, and a refusal per round).
- The batch's revocations are read in one query (``prepare``), not one per lead (N+1 before);
  the selection is the same.
- A request not to be called recorded for another number of the person refuses the lead
  too, as at the dial (16 CFR 310.4(b)(1)(iii)(A): the person said it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from campaigns.compliance import StoreAttemptHistory, engine_selection_check
from campaigns.hopper import _claimed, preview_selection
from campaigns.leads import LeadInput
from campaigns.models import Campaign, LeadStatus
from campaigns.settings import CampaignSettings, CampaignState
from campaigns.store import CampaignStore
from dnc.facts import NumberFactsStore
from dnc.interfaces import RegistryHit, RegistryKind, RegistryVersion, Revocation
from dnc.rules.engine import ComplianceEngine
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.test_dial_gate import FreshNational

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # Tuesday 13:00 in New York
MOBILE, LANDLINE, STRANGER = "+12015550101", "+12015550102", "+12015550103"
SETTINGS = {**STARTABLE, "compliance": {**STARTABLE["compliance"], "unknown_line_type":
                                         "landline"},
            "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}}


class ListedInternally(FreshNational):
    """Fresh national data, nothing listed but ``opted`` on the internal list."""

    def __init__(self, as_of: datetime, opted: set[str]) -> None:
        super().__init__(as_of)
        self.opted = opted
        self.internal = RegistryVersion("internal", RegistryKind.INTERNAL, "internal#1", as_of)

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return [RegistryHit(self.internal, "opt-out")] if number_e164 in self.opted else []


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        for name in ("spring", "autumn"):
            opened.create_campaign(name, SETTINGS, at=AT - timedelta(days=1))
        opened.add_leads("spring", [LeadInput("2015550102", contact_id="p1"),
                                    LeadInput("2015550103", contact_id="p2")],
                         at=AT - timedelta(days=1))
        opened.add_leads("autumn", [LeadInput("2015550101", contact_id="p1")],
                         at=AT - timedelta(days=1))
        yield opened
    finally:
        opened.close()


def _check(store: CampaignStore, opted: set[str], facts: NumberFactsStore | None = None):
    engine = ComplianceEngine(ListedInternally(AT - timedelta(days=1), opted),
                              StoreAttemptHistory(store), facts=facts)
    return engine_selection_check(engine)


def test_a_person_who_opted_out_on_another_number_is_not_selected(store):
    preview = preview_selection(store, "spring", AT, _check(store, {MOBILE}))
    assert preview.examined == 2 and preview.allowed == 1  # the stranger only
    assert preview.refused_by == {"dial_gate.internal_dnc": 1} and preview.permanent == 1
    assert f"another number of this person ({MOBILE})" in \
        preview.examples["dial_gate.internal_dnc"]


def test_claiming_suppresses_the_lead_instead_of_churning(store):
    _run(store)
    claimed = store.claim_leads("spring", 5, owner="a", now=AT, check=_check(store, {MOBILE}))
    assert [c.phone for c in claimed] == [STRANGER]
    lead = store.lead_by_phone("spring", LANDLINE)
    assert lead.status == LeadStatus.SUPPRESSED
    assert lead.block_reason.startswith("dial_gate.internal_dnc: another number")


def test_not_telemarketing_leaves_the_other_numbers_to_the_dial(store):
    check = _check(store, {MOBILE})
    edited = {**SETTINGS, "compliance": {**SETTINGS["compliance"], "telemarketing": False}}
    lead = store.lead_by_phone("spring", LANDLINE)
    view = _claimed(lead, "spring", None, "a", None)
    parsed = CampaignSettings.model_validate(edited)
    check.prepare([view], parsed, AT)
    assert "dial_gate.internal_dnc" not in " ".join(check(view, parsed, AT).reasons)


def _run(store: CampaignStore) -> None:
    with store.session() as session:
        row = session.exec(select(Campaign).where(Campaign.name == "spring")).one()
        row.state = CampaignState.RUNNING
        session.add(row)
        session.commit()


def _revocation_queries(facts: NumberFactsStore) -> list[str]:
    seen: list[str] = []
    facts._db.set_trace_callback(
        lambda sql: seen.append(sql) if "FROM revocation" in sql else None)
    return seen


def test_revocations_are_read_once_per_batch(tmp_path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    opened.create_campaign("spring", SETTINGS, at=AT - timedelta(days=1))
    opened.add_leads("spring", [LeadInput(f"201555{2000 + i:04d}", contact_id=f"p{i}")
                                for i in range(40)], at=AT - timedelta(days=1))
    facts = NumberFactsStore(tmp_path / "facts.db")
    facts.revoke([Revocation("+12015552003", None, AT - timedelta(days=2), "letter")],
                 AT - timedelta(days=2), "ann")
    seen = _revocation_queries(facts)
    preview = preview_selection(opened, "spring", AT, _check(opened, set(), facts))
    assert preview.examined == 40 and preview.refused_by == {"us.stop_request": 1}
    assert len(seen) == 1, seen  # was 40: one per lead
    facts.close()
    opened.close()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(revoked=st.lists(st.tuples(st.integers(0, 7), st.booleans(), st.integers(-3, 3)),
                        max_size=6),
       owners=st.lists(st.sampled_from(["p1", "P1", "p2", None]), min_size=8, max_size=8))
def test_batched_revocations_select_as_one_query_per_lead(tmp_path_factory, revoked, owners):
    """Any revocations (by number or by person, recorded before or after the instant) over
    any people: the batch read selects exactly what one query per lead selects."""
    path = tmp_path_factory.mktemp("batch")
    opened = CampaignStore.open(f"sqlite:///{path / 'dialer.db'}")
    opened.create_campaign("spring", SETTINGS, at=AT - timedelta(days=1))
    numbers = [f"+1201555{3000 + i:04d}" for i in range(8)]
    opened.add_leads("spring", [LeadInput(n[2:], contact_id=o)
                                for n, o in zip(numbers, owners, strict=True)],
                     at=AT - timedelta(days=1))
    facts = NumberFactsStore(path / "facts.db")
    for index, by_person, hours in revoked:
        person = owners[index] if by_person else None
        facts.revoke([Revocation(None if person else numbers[index], person,
                                 AT + timedelta(hours=hours), "letter")],
                     AT + timedelta(hours=hours), "ann")
    batched = preview_selection(opened, "spring", AT, _check(opened, set(), facts))
    check = _check(opened, set(), facts)
    check._facts._many = None  # no batch read: the facts store is asked lead by lead
    one_by_one = preview_selection(opened, "spring", AT, check)
    assert batched == one_by_one
    facts.close()
    opened.close()


def test_the_trace_counts_statements(tmp_path):
    """The query count above is of statements sent to SQLite (not of Python calls)."""
    facts = NumberFactsStore(tmp_path / "facts.db")
    seen = _revocation_queries(facts)
    facts.revocations("+12015550101", None, AT)
    assert len(seen) == 1
    facts.close()


def test_a_request_recorded_for_the_persons_other_number_refuses_the_lead(store, tmp_path):
    facts = NumberFactsStore(tmp_path / "facts.db")
    facts.revoke([Revocation(MOBILE, None, AT - timedelta(days=1), "letter")],
                 AT - timedelta(days=1), "ann")
    preview = preview_selection(store, "spring", AT, _check(store, set(), facts))
    assert preview.refused_by == {"us.stop_request": 1} and preview.allowed == 1
    facts.close()
