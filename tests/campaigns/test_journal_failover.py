"""Failover legs in the journal: each leg is a call record of its own (gateway, caller ID,
the leg it retries), the lead stays in its call until the last leg ends, and counts once in
the lead's attempts but every leg counts as a call for the compliance history."""

from __future__ import annotations

from datetime import timedelta

from test_journal_batch import NOW, _campaign

from campaigns.journal_batch import BeginOp, FinishOp
from campaigns.models import LeadStatus
from campaigns.settings import Outcome


def test_failover_leg_keeps_the_lead_in_its_call(store):
    _campaign(store)
    [lead] = store.claim_leads("c", 1, owner="p1", now=NOW)
    later = NOW + timedelta(seconds=1)
    result = store.journal_batch([
        BeginOp("leg1", lead.lead_id, NOW, caller_id="+12015550100", gateway="a"),
        FinishOp("leg1", later, Outcome.NETWORK, "NORMAL_CIRCUIT_CONGESTION",
                 failed_over=True),
        BeginOp("leg2", lead.lead_id, later, caller_id="+12015550100", gateway="b",
                failover_of="leg1"),
    ], owner="p1")
    assert not result.refused and not result.problems
    assert store.lead(lead.lead_id).status == LeadStatus.IN_CALL
    first, second = (store.attempt(result.begun[u]) for u in ("leg1", "leg2"))
    assert (first.gateway, first.outcome, first.ended_at) == ("a", "network", later)
    assert (second.gateway, second.failover_of, second.attempt_number) == ("b", "leg1", 1)
    assert store.lead(lead.lead_id).attempts == 1
    # Both legs are calls to the number in the history the compliance rules read.
    assert len(store.attempts_for_number(lead.phone, NOW - timedelta(days=1))) == 2
    store.journal_batch([FinishOp("leg2", later + timedelta(seconds=20), Outcome.NO_ANSWER,
                                  "NO_ANSWER")], owner="p1")
    assert store.lead(lead.lead_id).status == LeadStatus.RETRY


def test_failover_of_an_unknown_or_foreign_leg_is_refused(store):
    _campaign(store)
    [lead] = store.claim_leads("c", 1, owner="p1", now=NOW)
    result = store.journal_batch([BeginOp("x", lead.lead_id, NOW, failover_of="nope")],
                                 owner="p1")
    assert "unknown attempt" in result.refused["x"]
    store.journal_batch([BeginOp("leg1", lead.lead_id, NOW)], owner="p1")
    result = store.journal_batch([BeginOp("y", lead.lead_id, NOW, failover_of="leg1")],
                                 owner="p2")
    assert "not in the call" in result.refused["y"]


def test_report_answer_rate_per_caller_id_and_gateway(store):
    from campaigns.reports import campaign_report

    _campaign(store, n=4)
    leads = store.claim_leads("c", 4, owner="p1", now=NOW)
    t = NOW + timedelta(seconds=1)
    ops = [BeginOp("a1", leads[0].lead_id, NOW, caller_id="+12015550100", gateway="a",
                   switch_node="fs:8021"),
           FinishOp("a1", t, Outcome.NETWORK, "NORMAL_CIRCUIT_CONGESTION", failed_over=True),
           BeginOp("a2", leads[0].lead_id, t, caller_id="+12015550100", gateway="b",
                   switch_node="fs:8021", failover_of="a1"),
           FinishOp("a2", t, Outcome.ANSWERED, "NORMAL_CLEARING",
                    fields={"answered_at": t}, answer_kind="live")]
    for i, lead in enumerate(leads[1:]):
        ops += [BeginOp(f"x{i}", lead.lead_id, NOW, caller_id="+12015550101", gateway="b",
                        switch_node="fs:8021"),
                FinishOp(f"x{i}", t, Outcome.NO_ANSWER, "NO_ANSWER")]
    assert not store.journal_batch(ops, owner="p1").problems
    report = campaign_report(store, "c", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    rows = {r["caller_id"]: r for r in report.to_json()["caller_ids"]}
    assert rows["+12015550100"]["dials"] == 2 and rows["+12015550100"]["answer_rate"] == 0.5
    assert rows["+12015550101"]["dials"] == 3 and rows["+12015550101"]["answer_rate"] == 0.0
    gateways = {g["gateway"]: g for g in report.to_json()["gateways"]}
    assert (gateways["a"]["legs"], gateways["a"]["network_failures"]) == (1, 1)
    assert (gateways["b"]["legs"], gateways["b"]["failover_legs"]) == (4, 1)
    assert gateways["b"]["asr"] == 0.25
