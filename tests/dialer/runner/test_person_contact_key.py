"""A person's ``contact_id`` is compared as ``dnc.interfaces.contact_key`` folds it (spaces
collapsed, case folded) wherever a person is identified: per-person caps, the journal's
re-count and its person lock, revocations recorded for another of their numbers
(``Lead.contact_key``, migration 0016).

On the code before, revocations alone folded it: ``C-77`` on one lead and ``c-77`` on
another were two people for every per-person limit, so the person's three Florida calls in
24 h on one number let a fourth go to the other, and a request recorded for one number did
not refuse the other.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from campaigns.compliance import StoreAttemptHistory, lead_facts
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.ports import DialTarget, GateVerdict
from dialer.runner.dial_gate import DialTimeGate
from dnc.facts import NumberFactsStore
from dnc.interfaces import Revocation
from tests.dialer.runner.person_caps_kit import (
    AT,
    FL_RULES,
    SETTINGS,
    Process,
    migrated_store_url,
    process,
)
from tests.dialer.runner.test_dial_gate import FreshNational, consented
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

FIRST, SECOND = "+13055550101", "+13055550102"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    found = migrated_store_url(request, tmp_path)
    store = CampaignStore.open(found, upgrade=False)
    try:
        # The person as two imports spelled them, in two campaigns.
        store.create_campaign("spring", SETTINGS, at=AT - timedelta(days=40))
        store.create_campaign("autumn", SETTINGS, at=AT - timedelta(days=40))
        store.add_leads("spring", [LeadInput(FIRST[2:], contact_id="C-77", state="FL")],
                        at=AT - timedelta(days=40))
        store.add_leads("autumn", [LeadInput(SECOND[2:], contact_id=" c-77 ", state="FL")],
                        at=AT - timedelta(days=40))
    finally:
        store.close()
    return found


def _past_calls(url: str, n: int) -> None:
    """``n`` calls to the person's first number (campaign spring), an hour apart."""
    store = CampaignStore.open(url, upgrade=False)
    try:
        first = store.lead_by_phone("spring", FIRST)
        for i in range(n, 0, -1):
            dialed = AT - timedelta(hours=i + 1)
            attempt = store.begin_attempt(first.id, at=dialed)
            store.finish_attempt(attempt.id, ended_at=dialed + timedelta(seconds=30),
                                 outcome="no_answer")
    finally:
        store.close()


def _hold_second(proc: Process) -> DialTarget:
    """The second number's lead as the runner holds it: its facts from the stored lead."""
    lead = proc.store.lead_by_phone("autumn", SECOND)
    target = DialTarget(str(lead.id), SECOND, "spring")
    facts = lead_facts(lead)
    proc.gate.prefetch([(target, consented(SECOND, lead_id=str(lead.id), state="FL",
                                           contact_id=facts.contact_id))], AT)
    return target


def test_the_stored_key_folds_the_id_and_keeps_it(url) -> None:
    store = CampaignStore.open(url, upgrade=False)
    try:
        first, second = store.lead_by_phone("spring", FIRST), store.lead_by_phone("autumn", SECOND)
        assert (first.contact_id, second.contact_id) == ("C-77", "c-77")
        assert first.contact_key == second.contact_key == "c-77"
    finally:
        store.close()


def test_three_calls_to_C77_refuse_a_fourth_to_c77_in_another_process(url, tmp_path) -> None:
    """Florida: 3 calls in 24 h to the person; three went to the first number (campaign
    spring); a second process dialling the second number (campaign autumn) is refused by
    its gate, and its journal step re-counts the same (a gate that let it through)."""
    _past_calls(url, 3)
    proc = process(url, "b", tmp_path / "audit-b")
    try:
        target = _hold_second(proc)
        verdict = proc.gate.check(target, AT.timestamp())
        assert not verdict.allowed
        assert any("FL" in r for r in verdict.reasons), verdict.reasons
        # The journal's re-count (the person lock's and the cap's view) refuses it too.
        result = proc.journal([target], AT)
        assert not result.begun
    finally:
        proc.gate.close()
        proc.store.close()


def test_two_calls_to_C77_leave_one_for_c77(url, tmp_path) -> None:
    _past_calls(url, 2)
    proc = process(url, "b", tmp_path / "audit-b")
    try:
        target = _hold_second(proc)
        assert proc.dial(target, AT) is not None
        proc.gate.prefetch([], AT)
        again = proc.gate.check(target, AT.timestamp() + 60)
        assert not again.allowed  # the third call was this one
    finally:
        proc.gate.close()
        proc.store.close()


def _verdict_for_c77_after(revocation: Revocation, url: str, tmp_path) -> GateVerdict:
    """The gate's verdict, a day after ``revocation`` was recorded, on a dial of ``autumn``'s
    lead of c-77 (its second number) made for ``spring``."""
    facts = NumberFactsStore(tmp_path / "facts.db")
    facts.revoke([revocation], AT - timedelta(days=1), "ann")
    store = CampaignStore.open(url, upgrade=False)
    try:
        gate = DialTimeGate(FL_RULES, FreshNational(AT - timedelta(days=1)),
                            StoreAttemptHistory(store), inner_opted_out=lambda n: False,
                            facts=facts)
        lead = store.lead_by_phone("autumn", SECOND)
        target = DialTarget(str(lead.id), SECOND, "spring")
        gate.prefetch([(target, lead_facts(lead))], AT)
        verdict = gate.check(target, AT.timestamp())
        gate.close()
        return verdict
    finally:
        store.close()
        facts.close()


def test_a_request_recorded_for_C77s_number_refuses_c77_in_another_campaign(url, tmp_path):
    verdict = _verdict_for_c77_after(
        Revocation(FIRST, None, AT - timedelta(days=1), "letter"), url, tmp_path)
    assert not verdict.allowed
    assert any(r.startswith("us.stop_request") for r in verdict.reasons), verdict.reasons


def test_a_request_naming_C77_refuses_c77(url, tmp_path):
    verdict = _verdict_for_c77_after(
        Revocation(None, "C-77", AT - timedelta(days=1), "letter"), url, tmp_path)
    assert not verdict.allowed
