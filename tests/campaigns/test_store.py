from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.db import current_revision, head_revision
from campaigns.leads import LeadInput
from campaigns.models import AgentState, LeadStatus
from campaigns.settings import CampaignState, Outcome
from campaigns.store import CampaignNotFound, IllegalTransition, SettingsError
from tests.campaigns.ready import STARTABLE

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
CALLER = {**STARTABLE}


def test_upgrade_brings_schema_to_head(store):
    assert current_revision(store.engine) == head_revision() is not None
    assert {d.code for d in store.dispositions()} >= {"SALE", "DNC", "CALLBK"}


def test_create_campaign_validates_legal_limits(store):
    with pytest.raises(SettingsError, match="ring_timeout"):
        store.create_campaign("short", {"ring_timeout": 10}, at=NOW)
    with pytest.raises(SettingsError, match="connect_window"):
        store.create_campaign("slow", {"connect_window": 2.5}, at=NOW)
    with pytest.raises(SettingsError, match="abandon_target"):
        store.create_campaign("greedy", {"abandon_target": 0.05}, at=NOW)
    assert store.campaigns() == []


def test_state_machine(store):
    store.create_campaign("spring", CALLER, at=NOW, agents=[("ann", "user/1001")])
    assert store.campaign("spring").state == CampaignState.DRAFT
    for target in ("running", "paused", "running", "stopped", "archived"):
        assert store.transition_campaign("spring", target, at=NOW).state == target
    with pytest.raises(IllegalTransition, match="archived: cannot go to running"):
        store.transition_campaign("spring", "running", at=NOW)
    with pytest.raises(IllegalTransition):
        store.edit_campaign("spring", {"ring_timeout": 30}, at=NOW)
    with pytest.raises(CampaignNotFound):
        store.campaign("autumn")


def test_edit_keeps_other_settings(store):
    store.create_campaign("spring", {"ring_timeout": 20, "amd_enabled": True}, at=NOW)
    store.edit_campaign("spring", {"ring_timeout": 30}, at=NOW)
    settings = store.settings("spring")
    assert settings.ring_timeout == 30 and settings.amd_enabled
    with pytest.raises(SettingsError):
        store.edit_campaign("spring", {"ring_timeout": 5}, at=NOW)
    assert store.settings("spring").ring_timeout == 30


def _running_with_leads(store, phones):
    store.create_campaign("c", {**CALLER, "schedule": {"start": "00:00", "end": "23:59",
                                                         "days": [0, 1, 2, 3, 4, 5, 6]}},
                          at=NOW, agents=[("ann", "user/1001")])
    store.add_leads("c", [LeadInput(p) for p in phones], at=NOW)
    store.transition_campaign("c", "running", at=NOW)


def test_attempt_journal_and_retry_rules(store):
    _running_with_leads(store, ["2015550123"])
    [claim] = store.claim_leads("c", 5, owner="p1", now=NOW)
    attempt = store.begin_attempt(claim.lead_id, at=NOW, call_uuid="u1", process_owner="p1")
    assert [a.id for a in store.open_attempts(process_owner="p1")] == [attempt.id]
    assert store.lead(claim.lead_id).status == LeadStatus.IN_CALL
    store.finish_attempt(attempt.id, ended_at=NOW + timedelta(seconds=30),
                         outcome=Outcome.BUSY, hangup_cause="USER_BUSY")
    lead = store.lead(claim.lead_id)
    assert lead.status == LeadStatus.RETRY and lead.attempts == 1
    assert lead.next_attempt_at == NOW + timedelta(seconds=30) + timedelta(minutes=15)
    assert store.open_attempts() == []
    assert store.claim_leads("c", 5, owner="p1", now=NOW + timedelta(minutes=5)) == []
    assert len(store.claim_leads("c", 5, owner="p1", now=NOW + timedelta(minutes=16))) == 1


def test_disposition_callback_and_ledger(store):
    _running_with_leads(store, ["2015550123", "2015550124"])
    ann = store.agent("ann")
    claims = store.claim_leads("c", 5, owner="p1", now=NOW)
    assert len(claims) == 2
    first = store.begin_attempt(claims[0].lead_id, at=NOW)
    store.update_attempt(first.id, answered_at=NOW + timedelta(seconds=5), answer_kind="live",
                         bridged_at=NOW + timedelta(seconds=6), agent_id=ann.id)
    store.finish_attempt(first.id, ended_at=NOW + timedelta(minutes=2), outcome="answered")
    due = NOW + timedelta(hours=2)
    store.set_disposition(first.id, "CALLBK", at=NOW + timedelta(minutes=3), callback_at=due,
                          callback_agent_id=ann.id)
    second = store.begin_attempt(claims[1].lead_id, at=NOW)
    store.update_attempt(second.id, answered_at=NOW + timedelta(seconds=4), answer_kind="live")
    store.finish_attempt(second.id, ended_at=NOW + timedelta(seconds=9),
                         outcome=Outcome.ABANDONED)
    counts = store.ledger_counts("c", now=NOW + timedelta(hours=1))
    assert (counts.live_answers, counts.abandons) == (2, 1)
    assert counts.rate == 0.5
    assert store.ledger_counts("c", now=NOW + timedelta(days=31)).live_answers == 0
    # the callback comes first once due, promised to ann
    [claim] = store.claim_leads("c", 1, owner="p2", now=due)
    assert claim.lead_id == claims[0].lead_id and claim.callback_agent_id == ann.id
    store.begin_attempt(claim.lead_id, at=due + timedelta(minutes=1))
    assert store.due_callbacks("c", now=due) == []


def test_agent_state_history(store):
    store.create_campaign("c", at=NOW, agents=[("ann", "user/1001")])
    store.record_agent_state("ann", AgentState.READY, at=NOW, campaign="c")
    store.record_agent_state("ann", AgentState.PAUSED, at=NOW + timedelta(minutes=5),
                             reason="lunch", campaign="c")
    history = store.agent_states("ann")
    assert [(h.state, h.reason) for h in history] == [("ready", None), ("paused", "lunch")]
    assert history[1].at == NOW + timedelta(minutes=5)
