from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from campaigns.hopper import SelectionVerdict
from campaigns.leads import LeadInput
from campaigns.models import LeadStatus
from campaigns.settings import Outcome
from campaigns.store import CampaignStore
from tests.campaigns.ready import STARTABLE

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York, 07:00 Los Angeles
ALL_DAY = {**STARTABLE,
           "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}}


def _campaign(store, leads, settings=None, imported=NOW - timedelta(hours=4)):
    store.create_campaign("c", settings or ALL_DAY, at=imported)
    report = store.add_leads("c", leads, at=imported)
    store.transition_campaign("c", "running", at=NOW)
    return report


def _phones(claims):
    return [c.phone for c in claims]


def test_order_callbacks_then_priority_then_due_time(store):
    _campaign(store, [LeadInput("2015550101"), LeadInput("2015550102", priority=5),
                      LeadInput("2015550103"), LeadInput("2015550104")])
    by_phone = {lead.phone: lead.id for lead in store.leads("c")}
    # 0104 was dialed earlier and is due again; 0103 has a callback due now.
    [claim] = [c for c in store.claim_leads("c", 4, owner="x", now=NOW - timedelta(hours=3))
               if c.phone == "+12015550104"]
    store.release_claims("x")
    attempt = store.begin_attempt(claim.lead_id, at=NOW - timedelta(hours=3))
    store.finish_attempt(attempt.id, ended_at=NOW - timedelta(hours=3), outcome="no_answer")
    store.schedule_callback(by_phone["+12015550103"], NOW - timedelta(minutes=1), at=NOW)
    claims = store.claim_leads("c", 10, owner="p", now=NOW)
    # 0101 has been due since its import (4 h ago), 0104 only since its retry time (1 h ago)
    assert _phones(claims) == ["+12015550103", "+12015550102", "+12015550101", "+12015550104"]
    assert claims[0].callback_id is not None and claims[2].attempt_number == 1
    assert claims[3].attempt_number == 2


def test_nothing_claimed_unless_running(store):
    store.create_campaign("c", ALL_DAY, at=NOW)
    store.add_leads("c", [LeadInput("2015550101")], at=NOW)
    assert store.claim_leads("c", 5, owner="p", now=NOW) == []


def test_new_leads_are_due_from_their_import(store):
    _campaign(store, [LeadInput("2015550101")], imported=NOW)
    assert store.claim_leads("c", 5, owner="p", now=NOW - timedelta(seconds=1)) == []
    assert len(store.claim_leads("c", 5, owner="p", now=NOW)) == 1


def test_claims_expire_and_return_to_pool(store):
    _campaign(store, [LeadInput(f"20155501{i:02d}") for i in range(10)])
    first = store.claim_leads("c", 10, owner="dead", now=NOW, ttl=timedelta(seconds=60))
    assert len(first) == 10
    assert store.claim_leads("c", 10, owner="alive", now=NOW + timedelta(seconds=30)) == []
    again = store.claim_leads("c", 10, owner="alive", now=NOW + timedelta(seconds=61))
    assert sorted(_phones(again)) == sorted(_phones(first))
    assert store.release_lead(again[0].lead_id, owner="dead") is False
    assert store.release_lead(again[0].lead_id, owner="alive") is True


def test_daily_cap_and_retry_limits(store):
    settings = {**ALL_DAY, "max_attempts_per_day": 2,
                "retry_rules": {"busy": {"delay_minutes": 1, "max_attempts": 3},
                                "machine": {"delay_minutes": None}}}
    _campaign(store, [LeadInput("2015550101"), LeadInput("2015550102")], settings)
    at = NOW
    for _ in range(2):
        [claim] = [c for c in store.claim_leads("c", 2, owner="p", now=at)
                   if c.phone == "+12015550101"]
        store.release_claims("p")
        attempt = store.begin_attempt(claim.lead_id, at=at)
        store.finish_attempt(attempt.id, ended_at=at, outcome=Outcome.BUSY)
        at += timedelta(minutes=2)
    assert "+12015550101" not in _phones(store.claim_leads("c", 2, owner="q", now=at))
    store.release_claims("q")
    tomorrow = at + timedelta(days=1)
    [claim] = [c for c in store.claim_leads("c", 2, owner="p", now=tomorrow)
               if c.phone == "+12015550101"]
    attempt = store.begin_attempt(claim.lead_id, at=tomorrow)
    store.finish_attempt(attempt.id, ended_at=tomorrow, outcome=Outcome.BUSY)
    assert store.lead(claim.lead_id).status == LeadStatus.DONE  # 3 of 3 attempts used
    other = store.lead_by_phone("c", "+12015550102")
    attempt = store.begin_attempt(other.id, at=tomorrow)
    store.finish_attempt(attempt.id, ended_at=tomorrow, outcome=Outcome.MACHINE)
    assert store.lead(other.id).status == LeadStatus.DONE  # machine: never retry


def test_compliance_check_suppresses_or_defers(store):
    _campaign(store, [LeadInput("2015550101"), LeadInput("2015550102"),
                      LeadInput("2015550103")])
    later = NOW + timedelta(hours=2)

    def check(lead, settings, at):
        if lead.phone.endswith("01"):
            return SelectionVerdict(False, ("us.national_dnc: listed",), permanent=True)
        if lead.phone.endswith("02"):
            return SelectionVerdict(False, ("us.calling_hours: too early",), retry_at=later)
        return SelectionVerdict(True)

    first = store.claim_leads("c", 3, owner="p", now=NOW, check=check, ttl=timedelta(hours=3))
    assert _phones(first) == ["+12015550103"]
    suppressed = store.lead_by_phone("c", "+12015550101")
    deferred = store.lead_by_phone("c", "+12015550102")
    assert suppressed.status == LeadStatus.SUPPRESSED and "national_dnc" in suppressed.block_reason
    assert deferred.status == LeadStatus.NEW and deferred.next_attempt_at == later
    assert _phones(store.claim_leads("c", 3, owner="p", now=later)) == ["+12015550102"]


def test_campaign_schedule_uses_callee_local_time(store):
    # 09:00-20:00 local: at 15:00 UTC New York (10:00) is open, Los Angeles (07:00) is not.
    _campaign(store, [LeadInput("2015550101"), LeadInput("4155550101")],
              {**STARTABLE,
               "schedule": {"start": "09:00", "end": "20:00", "days": [0, 1, 2, 3, 4]}})
    first = store.claim_leads("c", 5, owner="p", now=NOW, ttl=timedelta(hours=4))
    assert _phones(first) == ["+12015550101"]
    assert _phones(store.claim_leads("c", 5, owner="p", now=NOW + timedelta(hours=3))) == [
        "+14155550101"]


def test_four_concurrent_claimers_never_share_or_lose_a_lead(store, db_url):
    total = 600
    _campaign(store, [LeadInput(f"+1201555{i:04d}") for i in range(total)])
    expected = {lead.id for lead in store.leads("c", limit=total)}
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def claimer(owner: str) -> None:
        own = CampaignStore.open(db_url, upgrade=False)
        mine: list[int] = []
        try:
            barrier.wait()
            while True:
                batch = own.claim_leads("c", 7, owner=owner, now=NOW)
                if not batch:
                    break
                mine.extend(c.lead_id for c in batch)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            own.close()
            claimed[owner] = mine

    threads = [threading.Thread(target=claimer, args=(f"proc-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    every = [lead_id for ids in claimed.values() for lead_id in ids]
    assert len(every) == len(set(every)), "a lead was claimed twice"
    assert set(every) == expected, "a lead was lost"
    if store.is_postgres:  # SQLite's single writer may let one thread take everything
        assert sum(1 for ids in claimed.values() if ids) >= 2  # they really overlapped
    owners = {lead.claimed_by for lead in store.leads("c", limit=total)}
    assert owners <= set(claimed)
