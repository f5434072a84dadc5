"""``journal_batch``: the live dialer's journal writes, many per transaction, with the
single-call semantics; claim renewal; the ledger seen by several processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.journal_batch import (
    AgentStateOp,
    BeginOp,
    DispositionOp,
    FinishOp,
    ReleaseOp,
    UpdateOp,
)
from campaigns.leads import LeadInput
from campaigns.models import AgentState, LeadStatus
from campaigns.settings import Outcome
from campaigns.store import CampaignStore
from tests.campaigns.ready import STARTABLE

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
ALWAYS = {**STARTABLE,
          "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}}


def _campaign(store: CampaignStore, n: int = 6) -> None:
    store.create_campaign("c", ALWAYS, at=NOW, agents=[("ann", "user/1001")])
    store.add_leads("c", [LeadInput(f"+1201555{i:04d}") for i in range(n)], at=NOW)
    store.transition_campaign("c", "running", at=NOW)


def test_a_batch_begins_progresses_and_finishes_attempts(store):
    _campaign(store)
    first, second, third = store.claim_leads("c", 3, owner="p1", now=NOW)
    ann = store.agent("ann").id
    later = NOW + timedelta(seconds=30)
    result = store.journal_batch([
        BeginOp("u1", first.lead_id, NOW), BeginOp("u2", second.lead_id, NOW),
        BeginOp("u3", third.lead_id, NOW),
        UpdateOp("u1", {"answered_at": NOW + timedelta(seconds=5)}),
        FinishOp("u2", later, Outcome.BUSY, "USER_BUSY"),
        AgentStateOp(ann, AgentState.ON_CALL, NOW, campaign_id=first.campaign_id,
                     call_uuid="u1"),
        FinishOp("u1", later, Outcome.ANSWERED, "NORMAL_CLEARING",
                 fields={"bridged_at": NOW + timedelta(seconds=6), "agent_id": ann}),
        DispositionOp("u1", "SALE", later),
        FinishOp("u3", later, Outcome.ABANDONED, suppress_reason="opted out during the call"),
    ], owner="p1")
    assert set(result.begun) == {"u1", "u2", "u3"} and not result.refused
    assert not result.problems
    sale, busy, opted = (store.attempt(result.begun[u]) for u in ("u1", "u2", "u3"))
    assert sale.process_owner == "p1" and sale.disposition == "SALE" and sale.agent_id == ann
    assert store.lead(first.lead_id).status == LeadStatus.DONE
    assert busy.outcome == "busy" and store.lead(second.lead_id).status == LeadStatus.RETRY
    assert opted.abandoned and store.lead(third.lead_id).status == LeadStatus.SUPPRESSED
    assert store.agent_states("ann")[0].attempt_id == sale.id
    assert store.open_attempts(process_owner="p1") == []


def test_a_lead_not_ours_to_dial_is_refused_not_dialed(store):
    _campaign(store)
    mine, = store.claim_leads("c", 1, owner="p1", now=NOW)
    theirs, = store.claim_leads("c", 1, owner="p2", now=NOW)
    result = store.journal_batch([BeginOp("a", mine.lead_id, NOW),
                                  BeginOp("b", theirs.lead_id, NOW)], owner="p1")
    assert set(result.begun) == {"a"} and "claimed by p2" in result.refused["b"]
    again = store.journal_batch([BeginOp("c", mine.lead_id, NOW)], owner="p1")
    assert "in_call" in again.refused["c"]
    assert store.lead(theirs.lead_id).attempts == 0


def test_disposition_not_allowed_is_reported_and_changes_nothing(store):
    _campaign(store, 1)
    lead, = store.claim_leads("c", 1, owner="p1", now=NOW)
    store.journal_batch([BeginOp("u", lead.lead_id, NOW),
                         FinishOp("u", NOW, Outcome.ANSWERED)], owner="p1")
    result = store.journal_batch([DispositionOp("u", "BOGUS", NOW),
                                  DispositionOp("u", "CALLBK", NOW)], owner="p1")
    assert len(result.problems) == 2
    assert store.attempt_by_call("u").disposition is None
    assert [a.call_uuid for a in store.undisposed_attempts(process_owner="p1")] == ["u"]
    store.journal_batch([DispositionOp("u", "CALLBK", NOW,
                                       callback_at=NOW + timedelta(hours=2))], owner="p1")
    assert store.lead(lead.lead_id).status == LeadStatus.CALLBACK
    assert store.undisposed_attempts(process_owner="p1") == []


def test_release_postpones_and_renewal_keeps_only_what_is_still_held(store):
    _campaign(store, 3)
    a, b, c = store.claim_leads("c", 3, owner="p1", now=NOW, ttl=timedelta(seconds=60))
    store.journal_batch([ReleaseOp(a.lead_id, NOW + timedelta(minutes=15), "calling hours")],
                        owner="p1")
    released = store.lead(a.lead_id)
    assert released.claimed_by is None and released.block_reason == "calling hours"
    # b's claim expires and p2 takes it: p1's renewal must not get it back.
    later = NOW + timedelta(seconds=61)
    assert [x.lead_id for x in store.claim_leads("c", 5, owner="p2", now=later)] == [b.lead_id,
                                                                                    c.lead_id]
    assert store.renew_claims("p1", [b.lead_id, c.lead_id], until=later) == set()
    assert store.renew_claims("p2", [b.lead_id], until=later + timedelta(minutes=5)) == {
        b.lead_id}
    assert store.lead(b.lead_id).claim_expires_at == later + timedelta(minutes=5)


def test_ledger_counts_can_leave_one_process_out(store):
    _campaign(store, 4)
    leads = (store.claim_leads("c", 3, owner="p1", now=NOW)
             + store.claim_leads("c", 1, owner="p2", now=NOW))
    answered = NOW + timedelta(seconds=5)
    for index, lead in enumerate(leads):
        owner = lead.claimed_by
        store.journal_batch([
            BeginOp(f"u{index}", lead.lead_id, NOW),
            FinishOp(f"u{index}", NOW + timedelta(seconds=9),
                     Outcome.ABANDONED if index in (0, 3) else Outcome.ANSWERED,
                     fields={"answered_at": answered})], owner=owner)
    until = NOW + timedelta(minutes=1)
    everyone = store.ledger_counts("c", now=until)
    assert (everyone.live_answers, everyone.abandons) == (4, 2)
    others = store.ledger_counts("c", now=until, exclude_owner="p1")
    assert (others.live_answers, others.abandons) == (1, 1)
    mine = store.ledger_entries("c", since=NOW, process_owner="p1")
    assert [abandoned for _, abandoned in mine] == [True, False, False]


def test_ledger_counts_the_current_period_in_the_same_query(store):
    """The runner's shared counts for the campaign's current 30-day period (47 CFR
    64.1200(a)(7)(i)) come with the window's: answers before the period's start are in the
    window only."""
    _campaign(store, 4)
    leads = store.claim_leads("c", 4, owner="p1", now=NOW)
    answered = [NOW + timedelta(days=d) for d in (1, 2, 12, 13)]
    for index, (lead, at) in enumerate(zip(leads, answered, strict=True)):
        store.journal_batch([
            BeginOp(f"u{index}", lead.lead_id, at - timedelta(seconds=5)),
            FinishOp(f"u{index}", at + timedelta(seconds=9),
                     Outcome.ABANDONED if index in (1, 2) else Outcome.ANSWERED,
                     fields={"answered_at": at})], owner="p1")
    until = NOW + timedelta(days=14)
    counts = store.ledger_counts("c", now=until, period_since=NOW + timedelta(days=10))
    assert (counts.live_answers, counts.abandons) == (4, 2)
    assert (counts.period_live_answers, counts.period_abandons) == (2, 1)
    assert counts.period_since == NOW + timedelta(days=10)
    plain = store.ledger_counts("c", now=until)
    assert (plain.live_answers, plain.abandons, plain.period_since) == (4, 2, None)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p1", "p2"]),
                          st.sampled_from(["claim", "begin", "finish", "expire"])),
                min_size=1, max_size=40))
def test_two_processes_never_have_one_lead_in_two_calls(tmp_path_factory, steps):
    """Whatever the interleaving of claims, dials, ends and claim expiries of two dialer
    processes, no lead is ever in two open attempts, and each attempt was begun by the
    process holding the lead's claim (or by nobody's claim)."""
    path: Path = tmp_path_factory.mktemp("batch") / "dialer.db"
    store = CampaignStore.open(f"sqlite:///{path}")
    _campaign(store, 5)
    now = NOW
    held: dict[str, list[int]] = {"p1": [], "p2": []}
    live: dict[str, list[str]] = {"p1": [], "p2": []}
    counter = 0
    for owner, action in steps:
        if action == "claim":
            held[owner] += [c.lead_id for c in store.claim_leads(
                "c", 2, owner=owner, now=now, ttl=timedelta(seconds=30))]
        elif action == "begin" and held[owner]:
            counter += 1
            result = store.journal_batch([BeginOp(f"u{counter}", held[owner].pop(0), now)],
                                         owner=owner, now=now)
            live[owner] += list(result.begun)
        elif action == "finish" and live[owner]:
            store.journal_batch([FinishOp(live[owner].pop(0), now, Outcome.BUSY)], owner=owner)
        elif action == "expire":
            now += timedelta(seconds=31)
        open_leads = [a.lead_id for a in store.open_attempts()]
        assert len(open_leads) == len(set(open_leads)), "a lead is in two calls"
    store.close()
