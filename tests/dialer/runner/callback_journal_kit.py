"""Dialer processes that dial queue callbacks and campaign leads to the same numbers against
one campaign database, as the runner journals them (``InboundLink.begin_op`` and
``CampaignLink.begin_op`` through ``JournalStep``, the dial-time gate's ``record_dial``
after the commit), each with its own store connection and gate (tests of callback dials in
the one journal of calls placed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaigns.compliance import StoreAttemptHistory
from campaigns.journal_batch import BatchResult
from campaigns.leads import LeadInput
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.store import CampaignStore
from dialer.commands import Direction, JournalAttempt
from dialer.ports import DialTarget, GateVerdict
from dialer.runner.callback_gate import QUEUE_CALLBACK, CallbackFacts, CallbackGate
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dial_gate import DialTimeGate
from dialer.runner.execution import JournalStep
from dialer.runner.inbound import InboundLink, apply_queue_writes
from dnc.interfaces import RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.audit import AuditLog
from dnc.rules.model import AttemptCap, CampaignRules, LeadFacts, Profile
from tests.campaigns.ready import STARTABLE

MONDAY = datetime(2026, 12, 7, 18, tzinfo=UTC)  # 13:00 in New York
NUMBERS = ("+12125550140", "+12125550141", "+12125550142")
"""New York numbers (no state list; federal hours)."""
CAP = 2
"""The campaign's own limit: calls to a number in 24 hours (any lead, any callback)."""
RULES = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE),
                      autodialed=False, seller="Acme",
                      attempt_caps=(AttemptCap(CAP, timedelta(hours=24), per_person=False),))
"""Not autodialed: a callback has no written consent, and the wireless rule is not what
these tests are about; the campaign's cap counts every call to the number."""


class Unlisted:
    """A national registry listing nothing, as of a week before ``MONDAY``."""

    version = RegistryVersion("national", RegistryKind.NATIONAL, "national@t",
                              MONDAY - timedelta(days=7))

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return []

    def versions(self) -> list[RegistryVersion]:
        return [self.version]


def seed(url: str, numbers: tuple[str, ...] = NUMBERS) -> None:
    """Campaign ``spring`` (running) with a lead on each number, and a pending queue
    callback ``cb-<i>`` to each number (nobody holds them yet)."""
    store = CampaignStore.open(url)
    before = MONDAY - timedelta(days=40)
    store.create_campaign("spring", STARTABLE, at=before)
    store.transition_campaign("spring", "running", at=before)
    store.add_leads("spring", [LeadInput(n[2:]) for n in numbers], at=before)
    callbacks = QueueCallbacks(store)
    for i, number in enumerate(numbers):
        callbacks.add_callback(f"cb-{i}", "sales", number, MONDAY - timedelta(minutes=30),
                               at=MONDAY - timedelta(minutes=30))
    store.close()


@dataclass
class Process:
    """One dialer process: its store connection, dial-time gate (and callback gate over it),
    campaign and inbound links and journal step, as the runner wires them."""

    store: CampaignStore
    gate: DialTimeGate
    owner: str
    callbacks: CallbackGate = field(init=False)
    link: CampaignLink = field(init=False)
    inbound: InboundLink = field(init=False)
    step: JournalStep = field(init=False)
    calls: int = 0

    def __post_init__(self) -> None:
        self.callbacks = CallbackGate(self.gate, "spring")
        self.link = CampaignLink(self.store, "spring", self.owner)
        self.inbound = InboundLink(self.link, None, prompt_dirs=(),  # type: ignore[arg-type]
                                   prompts_on_switch=None, clock=lambda: MONDAY.timestamp(),
                                   post=lambda event: None)
        self.step = JournalStep(self.store, self.owner, self.gate, apply_queue_writes)

    # --- what the runner does when it learns of a lead or a callback (database thread) --

    def hold_lead(self, number: str, at: datetime) -> DialTarget:
        lead = self.store.lead_by_phone("spring", number)
        target = DialTarget(str(lead.id), number, "spring")
        self.gate.prefetch([(target, LeadFacts(number, lead_id=str(lead.id)))], at)
        return target

    def hold_callback(self, callback_id: str, number: str, at: datetime) -> DialTarget:
        """Claimed: its facts and its number's history loaded (``InboundLink.claim``)."""
        self.callbacks.prefetch([CallbackFacts(callback_id, number, None)], at.timestamp())
        return DialTarget(f"{QUEUE_CALLBACK}{callback_id}", number, "spring")

    # --- a dial: the gate's check, the journal step, record_dial -------------------------

    def dial(self, target: DialTarget, at: datetime) -> BatchResult | None:
        """None when the gate refused the dial; else the journal step's result (a dial it
        refused is in ``refused``)."""
        callback = target.lead_id.startswith(QUEUE_CALLBACK)
        check = self.callbacks.check if callback else self.gate.check
        verdict: GateVerdict = check(target, at.timestamp())
        if not verdict.allowed:
            return None
        self.calls += 1
        journal = JournalAttempt(
            at.timestamp(), f"{self.owner}-{self.calls}", target.lead_id, "spring",
            target.number_e164, 1, verdict,
            direction=Direction.CALLBACK if callback else Direction.OUTBOUND)
        op = self.inbound.begin_op(journal) if callback else self.link.begin_op(journal)
        result = self.step([op])
        if journal.call_id not in result.refused:
            self.gate.record_dial(journal.number_e164, journal.at, "spring", journal.lead_id)
            if not callback:  # not answered: the lead is offered again (retry rules)
                self.store.finish_attempt(result.begun[journal.call_id],
                                          ended_at=at + timedelta(seconds=30),
                                          outcome="no_answer")
        return result

    def close(self) -> None:
        self.gate.close()
        self.store.close()


def process(url: str, owner: str, audit_dir: Path | None = None,
            rules: CampaignRules = RULES) -> Process:
    store = CampaignStore.open(url, upgrade=False)
    gate = DialTimeGate(rules, Unlisted(), StoreAttemptHistory(store),
                        inner_opted_out=lambda number: False,
                        audit=AuditLog(audit_dir, fsync_every=1) if audit_dir else None)
    return Process(store, gate, owner)


def dialed(result: BatchResult | None) -> bool:
    """Allowed at the gate and not refused where it is journaled (the originate is sent)."""
    return result is not None and not result.refused


def calls_to(store: CampaignStore, number: str, since: datetime) -> list[datetime]:
    """Every call to ``number`` since ``since`` in the journal (an independent read)."""
    return [a.dialed_at for a in store.attempts_for_number(number, since)]
