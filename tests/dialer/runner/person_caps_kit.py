"""A campaign store with one person's leads on several numbers, and dial-time gates over it,
as two dialer processes see them (tests of the per-person limits at journaling)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.attempt_recount import JournalDial
from campaigns.compliance import StoreAttemptHistory
from campaigns.journal_batch import BatchResult, BeginOp
from campaigns.leads import LeadInput
from campaigns.models import Lead
from campaigns.store import CampaignStore
from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.rules.audit import AuditLog
from dnc.rules.model import CampaignRules, Profile
from tests.campaigns.ready import DECLARED
from tests.dialer.runner.test_dial_gate import SELLER, FreshNational, consented

AT = datetime(2026, 11, 17, 17, tzinfo=UTC)  # Tue 12:00 in Miami
SETTINGS = {"caller_ids": ["+12015550100"],
            "compliance": {**DECLARED, "subject": "solar"},
            "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}}
FL_RULES = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE),
                         seller=SELLER, subject="solar")
PERSON = "p1"



def migrated_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store both racing processes open: SQLite in ``tmp_path`` or, for the
    ``postgres`` parameter, a fresh schema (the ``pg_schema_url`` fixture); migrated
    once, here, so that neither process migrates while the other reads."""
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'dialer.db'}"
    else:
        found = request.getfixturevalue("pg_schema_url")
    CampaignStore.open(found).close()
    return found

def person_numbers(n: int) -> list[str]:
    return [f"+1305555{101 + i:04d}" for i in range(n)]


def seed(store: CampaignStore, numbers: list[str], *, past: int, campaigns: int = 1,
         at: datetime = AT, settings: dict | None = None, person: str | None = PERSON,
         state: str | None = "FL", custom: dict | None = None,
         spacing: timedelta = timedelta(hours=1)) -> None:
    """Campaigns ``spring`` (and ``spring2``...) holding the person's leads, spread over
    them (a number given twice is a lead in two campaigns), and ``past`` calls already made
    to the first number, ``spacing`` apart, the last one two ``spacing`` before ``at``."""
    names = ["spring"] + [f"spring{i + 1}" for i in range(1, campaigns)]
    for name in names:
        store.create_campaign(name, settings or SETTINGS, at=at - timedelta(days=40))
    for i, number in enumerate(numbers):
        phone = number[2:] if number.startswith("+1") else number
        store.add_leads(names[i % len(names)], [LeadInput(phone, contact_id=person,
                                                          state=state, custom=custom)],
                        at=at - timedelta(days=40))
    first = store.lead_by_phone(names[0], numbers[0])
    for n in range(past, 0, -1):
        dialed = at - (n + 1) * spacing
        attempt = store.begin_attempt(first.id, at=dialed)
        store.finish_attempt(attempt.id, ended_at=dialed + timedelta(seconds=30),
                             outcome="no_answer")


def lead_of(store: CampaignStore, number: str, campaign: str | None = None) -> Lead:
    if campaign is not None:
        return store.lead_by_phone(campaign, number)
    for campaign in store.campaigns():
        lead = store.lead_by_phone(campaign.name, number)
        if lead is not None:
            return lead
    raise AssertionError(f"no lead with {number}")


@dataclass
class Process:
    """One dialer process: its own store connection, its gate, its owner name."""

    store: CampaignStore
    gate: DialTimeGate
    owner: str

    def hold(self, numbers: list[str], at: datetime, campaign: str | None = None,
             **facts: object) -> list[DialTarget]:
        """Claim-and-prefetch the person's leads with these numbers (the gate's view of the
        journal is taken now); ``facts``: the leads' facts other than the default (the
        person, Florida, a written consent)."""
        targets = []
        items = []
        facts = {"contact_id": PERSON, "state": "FL", **facts}
        for number in numbers:
            lead = lead_of(self.store, number, campaign)
            target = DialTarget(str(lead.id), number, "spring")
            targets.append(target)
            items.append((target, consented(number, lead_id=str(lead.id), **facts)))
        self.gate.prefetch(items, at)
        return targets

    def dial(self, target: DialTarget, at: datetime) -> BatchResult | None:
        """The gate's check, then (if allowed) the journal of the dial: None when the gate
        refused it."""
        verdict = self.gate.check(target, at.timestamp())
        if not verdict.allowed:
            return None
        return self.journal([target], at, verdict.decision_id)

    def journal(self, targets: list[DialTarget], at: datetime,
                decision_id: str | None = None) -> BatchResult:
        """The runner's database step for a batch of dials: audit, journal with the
        re-count, audit of its refusals (``execution.JournalStep``), then ``record_dial``
        of the dials journaled."""
        self.gate.flush_audit()
        ops = [BeginOp(call_uuid=f"{self.owner}-{t.lead_id}-{at.timestamp()}",
                       lead_id=int(t.lead_id), at=at, phone=t.number_e164,
                       compliance_decision=decision_id) for t in targets]
        result = self.store.journal_batch(ops, owner=self.owner, recount=self.gate)
        self.gate.flush_audit()
        for op in ops:
            if op.call_uuid in result.begun:
                self.gate.record_dial(op.phone, at.timestamp(), "spring", str(op.lead_id))
        return result


def process(url: str, owner: str, audit_dir: Path | None = None,
            rules: CampaignRules = FL_RULES) -> Process:
    store = CampaignStore.open(url, upgrade=False)
    gate = DialTimeGate(rules, FreshNational(AT - timedelta(days=1)),
                        StoreAttemptHistory(store), inner_opted_out=lambda n: False,
                        audit=AuditLog(audit_dir, fsync_every=1) if audit_dir else None)
    return Process(store, gate, owner)


def calls_to_person(store: CampaignStore, since: datetime) -> list[datetime]:
    from campaigns.attempt_recount import attempts_in_session

    with store.read_session() as session:
        return sorted(a.at for a in attempts_in_session(session, [], [PERSON], since))


def race_behind_a_paused_batch(a: Process, b: Process, lead_a: DialTarget,
                               lead_b: DialTarget, url: str, *, phone_a: str | None = None,
                               before_b: Callable[[], None] | None = None,
                               ) -> dict[str, object]:
    """A journals ``lead_a``'s dial (to ``phone_a``, else its lead's number) and pauses
    inside its transaction once the re-count has admitted it; ``before_b`` runs (an import
    linking a number to the person, say); B then checks and journals ``lead_b``'s a second
    later (on PostgreSQL, the test waits until B waits on an advisory lock: the person's or
    a number's); A commits. Returns A's and B's batch results (``a``, ``b``), whether A's
    gate allowed it (``a_allowed_by_gate``) and B's (``b_allowed_by_gate``)."""
    inside, go = threading.Event(), threading.Event()
    real = a.gate

    class Pausing:
        """A's gate, pausing inside the transaction once its dial is admitted."""

        lookback = real.lookback

        def recount(self, history, people=None):
            judge = real.recount(history, people)

            def pausing(dial: JournalDial):
                refusal = judge(dial)
                inside.set()
                assert go.wait(60), "the test never let A commit"
                return refusal
            return pausing

    outcome: dict[str, object] = {}

    def journal_a() -> None:
        verdict = real.check(lead_a, AT.timestamp())
        outcome["a_allowed_by_gate"] = verdict.allowed
        outcome["a"] = a.store.journal_batch(
            [BeginOp("a-call", int(lead_a.lead_id), AT, phone=phone_a or lead_a.number_e164,
                     compliance_decision=verdict.decision_id)], owner="a", recount=Pausing())

    def journal_b() -> None:
        later = AT + timedelta(seconds=1)
        verdict = b.gate.check(lead_b, later.timestamp())
        outcome["b_allowed_by_gate"] = verdict.allowed
        outcome["b"] = b.journal([lead_b], later, verdict.decision_id)

    thread_a = threading.Thread(target=journal_a)
    thread_a.start()
    assert inside.wait(60)
    if before_b is not None:
        before_b()
    thread_b = threading.Thread(target=journal_b)
    thread_b.start()
    if url.startswith("postgresql"):
        wait_for_advisory_waiter(url)
    go.set()
    thread_a.join()
    thread_b.join()
    return outcome


def wait_for_advisory_waiter(url: str) -> None:
    """Until a session waits on an advisory lock (B on the person's key), polled; fails
    only if none ever does (B went through without waiting: the lock is missing)."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        for _ in range(600):
            waiting = connection.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("B never waited on an advisory lock while A held the person")
