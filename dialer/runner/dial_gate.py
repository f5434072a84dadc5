"""The full compliance engine at the moment of each dial, without a database query per dial.

``DialTimeGate`` is the runner's ``dialer.ports.ComplianceGate``: every ``check`` is one
``dnc.rules.ComplianceEngine`` decision at that instant (national, state and other registries,
federal and state calling hours in every candidate zone, state and campaign attempt limits,
Regulation F, Ofcom), over facts the runner loaded beforehand in its database thread:

- ``prefetch`` (database thread, right after a claim): each lead's ``LeadFacts`` and the past
  attempts to those numbers over the longest lookback any of the campaign's rules needs, in
  one batched query;
- ``record_dial`` / ``record_outcome`` (event loop, when an attempt is journaled / ends): so
  attempt limits, Reg F's conversation rule and Ofcom's 72 h rule see this run's calls at once;
- ``forget`` (when a lead is released or finished): memory stays bounded over a long run.

The internal do-not-call list is checked on top of the rules, for every jurisdiction profile,
through the runner's ``inner_opted_out`` callable, so an opt-out taken during this run or
listed by an officer stops the very next dial (47 CFR 64.1200(d)(3); 16 CFR
310.4(b)(1)(iii)(A)). A lead that was not prefetched is refused: its facts and history are
unknown, so no rule can be proved and the call is not made.

Audit contract (every decision, allowed or refused, lands in the hash-chained log
``dnc.rules.audit``): ``check`` only appends the decision to an in-memory buffer, with a
``decision_id`` (``dial:<run>:<n>``) that the verdict carries, the attempt journal stores and
the log entry contains. ``flush_audit()`` writes the buffer as one batch and fsyncs it; the
runner calls it in its database thread in the same step that commits a batch's journal rows,
before any of that batch's originates is sent. So every decision a call was made on is on disk
before the call exists; if ``flush_audit`` raises, the batch must not be dialed (treat it as a
failed journal write). A crash can lose only decisions still in the buffer: refusals and
allowances whose originate was never sent, i.e. numbers that were not called (the journal
shows they were not), never the proof for a call that was made.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from dialer.ports import DialTarget, GateVerdict
from dialer.runner.dial_history import KeptAttempts, load_attempts
from dnc.errors import ComplianceError
from dnc.interfaces import AttemptHistory, DncLookup, PastAttempt, RegistryKind, RegistryVersion
from dnc.rules.adapters import verdict_parts
from dnc.rules.audit import AuditLog, decision_body
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, CampaignState, Decision, LeadFacts, RuleOutcome
from dnc.rules.tables import RuleTables

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

_INTERNAL_CITATION = "47 CFR 64.1200(d)(3),(6); 16 CFR 310.4(b)(1)(iii)(A); company opt-out policy"
_UNKNOWN_CITATION = "no rule can be proved without the lead's facts and attempt history"


@dataclass(frozen=True, slots=True)
class _KeptLead:
    facts: LeadFacts
    extra_zones: tuple[str, ...]
    """Candidate zones the lead lists that the rules' own placement may not include."""


class _DialLookup:
    """The registries plus the internal list's current change id, for ``registry_versions``.

    The internal list's membership is checked by the gate itself (``inner_opted_out``), so
    only its version goes through here; ``DncStore.versions`` would also count the list.
    """

    def __init__(self, registries: DncLookup, internal_change: Callable[[], int] | None,
                 since: datetime) -> None:
        self.registries = registries
        self.internal_change = internal_change
        self.since = since

    def hits(self, number_e164: str):
        return self.registries.hits(number_e164)

    def versions(self) -> list[RegistryVersion]:
        found = list(self.registries.versions())
        if self.internal_change is not None:
            found.append(RegistryVersion("internal", RegistryKind.INTERNAL,
                                         f"internal#{self.internal_change()}", self.since))
        return found


class DialTimeGate:
    """``ComplianceGate`` deciding with ``ComplianceEngine`` at each dial (see module doc)."""

    def __init__(self, rules: CampaignRules, registries: DncLookup, history: AttemptHistory, *,
                 inner_opted_out: Callable[[str], bool], tables: RuleTables | None = None,
                 audit: AuditLog | None = None, internal_change: Callable[[], int] | None = None,
                 refresh_registries: Callable[[], None] | None = None,
                 on_close: Sequence[Callable[[], None]] = ()) -> None:
        self.rules = rules
        self.history_source = history
        self.inner_opted_out = inner_opted_out
        self.audit = audit
        self.campaign_state: CampaignState | None = None
        """Campaign-level measurements (Ofcom's 24 h abandon rate), set by the runner."""
        self._refresh_registries = refresh_registries
        self._on_close = tuple(on_close)
        self._lookup = _DialLookup(registries, internal_change, datetime.now(UTC))
        self._kept = KeptAttempts()
        self.engine = ComplianceEngine(self._lookup, self._kept, tables)
        self.lookback = max((rule.lookback for rule in self.engine.rules_for(rules)),
                            default=timedelta(0))
        self._leads: dict[str, _KeptLead] = {}
        self._leads_by_number: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._pending: deque[tuple[str, Decision]] = deque()
        self._run = uuid4().hex[:12]
        self._count = 0

    # --- the gate ----------------------------------------------------------------------------

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        moment = datetime.fromtimestamp(at, tz=UTC)
        kept = self._leads.get(target.lead_id)
        if self.inner_opted_out(target.number_e164):
            decision = self._refusal(target, moment, "dial_gate.internal_dnc",
                                     "the number is on the internal do-not-call list "
                                     "(opted out or listed by an officer)", _INTERNAL_CITATION)
        elif kept is None or kept.facts.number_e164 != target.number_e164:
            what = "was not prefetched" if kept is None else \
                f"was prefetched with number {kept.facts.number_e164}"
            decision = self._refusal(target, moment, "dial_gate.unknown_lead",
                                     f"lead {target.lead_id} {what}: its facts and attempt "
                                     "history are unknown to the gate", _UNKNOWN_CITATION)
        else:
            with self._lock:
                decision = self._decide(kept.facts, moment)
                if decision.allowed and kept.extra_zones:
                    decision = self._in_every_zone(decision, kept, moment)
        decision_id = self._buffer(decision)
        allowed, reasons, versions = verdict_parts(decision)
        return GateVerdict(allowed, reasons, versions, decision_id)

    def _decide(self, facts: LeadFacts, moment: datetime) -> Decision:
        try:
            return self.engine.check(facts, self.rules, moment, self.campaign_state)
        except ComplianceError as error:
            # A malformed lead (unknown state or zone, bad number) is refused, not crashed on.
            return Decision(
                number_e164=facts.number_e164, campaign=self.rules.name, at=moment,
                allowed=False, earliest_allowed=None, lead_id=facts.lead_id,
                registry_versions=tuple(v.version for v in self._lookup.versions()),
                outcomes=(RuleOutcome("lead.facts", False, f"lead facts unusable: {error}",
                                      _UNKNOWN_CITATION, None),))

    def _in_every_zone(self, decision: Decision, kept: _KeptLead, moment: datetime
                       ) -> Decision:
        """The lead lists candidate zones the rules did not place it in: the call must be
        lawful in each of those too (never looser than the most restrictive zone)."""
        missing = tuple(z for z in kept.extra_zones if z not in decision.zones)
        if not missing:
            return decision
        others = [self._decide(replace(kept.facts, time_zone=zone), moment) for zone in missing]
        refused = [other for other in others if not other.allowed]
        note = (f"lead lists candidate zones {', '.join(missing)} beyond the rules' "
                "placement; the call must be lawful in each")
        if not refused:
            return replace(decision, zones=decision.zones + missing,
                           notes=(*decision.notes, note))
        earliests = [d.earliest_allowed for d in refused]
        earliest = None if None in earliests else max(e for e in earliests if e is not None)
        failing = tuple(o for d in refused for o in d.outcomes if not o.passed)
        return replace(decision, allowed=False, outcomes=decision.outcomes + failing,
                       earliest_allowed=earliest, zones=decision.zones + missing,
                       notes=(*decision.notes, note))

    def _refusal(self, target: DialTarget, moment: datetime, rule_id: str, reason: str,
                 citation: str) -> Decision:
        return Decision(
            number_e164=target.number_e164, campaign=self.rules.name, at=moment, allowed=False,
            outcomes=(RuleOutcome(rule_id, False, reason, citation, None),),
            earliest_allowed=None, lead_id=target.lead_id,
            registry_versions=tuple(v.version for v in self._lookup.versions()))

    # --- what the runner feeds in ------------------------------------------------------------

    def prefetch(self, items: Sequence[tuple[DialTarget, LeadFacts]], at: datetime) -> None:
        """Database thread, right after a claim: remember each lead's facts and load the past
        attempts to their numbers since ``at - lookback`` (one batched query)."""
        if at.tzinfo is None:
            raise ComplianceError("prefetch time must be timezone-aware")
        if self._refresh_registries is not None:
            self._refresh_registries()  # picks up registry versions published since
        numbers = sorted({target.number_e164 for target, _ in items})
        since = at - self.lookback
        loaded = load_attempts(self.history_source, numbers, since) if numbers and \
            self.lookback > timedelta(0) else {}
        with self._lock:
            for target, facts in items:
                self._leads[target.lead_id] = _KeptLead(
                    replace(facts, lead_id=facts.lead_id or target.lead_id),
                    _candidate_zones(target, facts))
                self._leads_by_number.setdefault(target.number_e164, set()).add(target.lead_id)
            for number in numbers:
                self._kept.load(number, loaded.get(number, []), since)

    def record_dial(self, number_e164: str, at: float, campaign: str, lead_id: str | None
                    ) -> None:
        """An attempt was journaled: attempt limits count it from the next check on."""
        kept = self._leads.get(lead_id) if lead_id is not None else None
        facts = kept.facts if kept is not None else None
        attempt = PastAttempt(
            at=datetime.fromtimestamp(at, tz=UTC), number_e164=number_e164, campaign=campaign,
            lead_id=lead_id, subject=(facts.subject if facts else None) or self.rules.subject,
            debt_id=facts.debt_id if facts else None)
        with self._lock:
            if number_e164 not in self._leads_by_number:
                return  # no kept lead has it: a later prefetch reads the journal instead
            self._kept.record(attempt, self.lookback)

    def record_outcome(self, number_e164: str, dialed_at: float, *, answered_live: bool = False,
                       conversation: bool = False, abandoned: bool = False) -> None:
        """What became of the attempt dialed at ``dialed_at``: Reg F's no-call-after-a-
        conversation (12 CFR 1006.14(b)(2)(i)(B)) and Ofcom's 72 h after an abandoned call
        read these. An attempt this run did not record is added (counting it is the safe side).
        Call it before ``forget``: for a number no kept lead has, it is dropped (memory stays
        bounded) and a later prefetch reads the outcome from the journal.
        """
        moment = datetime.fromtimestamp(dialed_at, tz=UTC)
        with self._lock:
            if number_e164 not in self._leads_by_number:
                return
            self._kept.mark(number_e164, moment, self.rules.name, self.lookback,
                            answered_live=answered_live, conversation=conversation,
                            abandoned=abandoned)

    def forget(self, lead_id: str) -> None:
        """The lead was released or finished: drop its facts, and its number's attempts when
        no other kept lead has that number (the journal has them for a later prefetch)."""
        with self._lock:
            kept = self._leads.pop(lead_id, None)
            if kept is None:
                return
            number = kept.facts.number_e164
            holders = self._leads_by_number.get(number, set())
            holders.discard(lead_id)
            if not holders:
                self._leads_by_number.pop(number, None)
                self._kept.drop(number)

    def kept_counts(self) -> dict[str, int]:
        """Leads, numbers and attempts held (memory stays bounded: tests and monitoring)."""
        return {"leads": len(self._leads), "numbers": self._kept.numbers,
                "attempts": self._kept.size,
                "pending_audit": len(self._pending)}

    # --- the audit ---------------------------------------------------------------------------

    def _buffer(self, decision: Decision) -> str | None:
        if self.audit is None:
            return None
        self._count += 1
        decision_id = f"dial:{self._run}:{self._count}"
        self._pending.append((decision_id, decision))
        return decision_id

    def flush_audit(self) -> int:
        """Write every buffered decision to the audit log as one fsynced batch (database
        thread, in the step that commits the journal, before originates are sent); returns
        how many were written. On an error nothing is lost from the buffer and the error is
        raised: the runner must then not send that batch's originates."""
        if self.audit is None:
            return 0
        taken: list[tuple[str, Decision]] = []
        while True:
            try:
                taken.append(self._pending.popleft())
            except IndexError:
                break
        if not taken:
            return 0
        bodies = [{**decision_body(decision), "decision_id": decision_id}
                  for decision_id, decision in taken]
        try:
            self.audit.append_bodies(bodies)
        except BaseException:
            self._pending.extendleft(reversed(taken))
            raise
        return len(taken)

    def close(self) -> None:
        """Flush the audit and close what ``build_dial_gate`` opened."""
        self.flush_audit()
        for close in self._on_close:
            close()


def _candidate_zones(target: DialTarget, facts: LeadFacts) -> tuple[str, ...]:
    """Zones the lead's own record lists (``timezone`` may be a comma-separated candidate
    list) that an explicit single ``time_zone`` does not already settle."""
    text = target.attributes.get("timezone") or target.attributes.get("time_zone") or ""
    zones = tuple(z.strip() for z in text.split(",") if z.strip())
    if facts.time_zone is not None:
        zones = tuple(z for z in zones if z != facts.time_zone)
    return zones


def rule_tables(data_dir: Path) -> RuleTables:
    """The state rule tables of a data directory: ``<data>/rules`` when it has a
    ``state_rules.csv`` (an officer's own table), else the built-in ``dnc/data``. The claim-time
    and the dial-time checks both read them here, so they never decide on different tables."""
    tables_dir = Path(data_dir) / "rules"
    return RuleTables(tables_dir) if (tables_dir / "state_rules.csv").exists() else RuleTables()


def build_dial_gate(store: CampaignStore, campaign: str, data_dir: Path,
                    inner_opted_out: Callable[[str], bool]) -> DialTimeGate:
    """The gate for one campaign from the data directory, laid out as the compliance CLI
    reads it: registries in ``<data>/dnc``, the audit log in ``<data>/audit``, rule tables
    in ``<data>/rules`` when that directory has a ``state_rules.csv`` (else the built-in
    ``dnc/data``); the campaign's rules from the store and its journal as attempt history."""
    from campaigns.compliance import StoreAttemptHistory, campaign_rules
    from dnc.internal import InternalDnc
    from dnc.registry import DncStore

    data_dir = Path(data_dir)
    row = store.campaign(campaign)
    rules = campaign_rules(row.name, store.settings(row.id))
    registries = DncStore(data_dir / "dnc", internal=False)
    internal = InternalDnc(data_dir / "dnc" / "internal.db")
    tables = rule_tables(data_dir)
    return DialTimeGate(
        rules, registries, StoreAttemptHistory(store), inner_opted_out=inner_opted_out,
        tables=tables, audit=AuditLog(data_dir / "audit", fsync_every=1),
        internal_change=internal.latest_change_id, refresh_registries=registries.refresh,
        on_close=(internal.close, registries.close))


__all__ = ["DialTimeGate", "build_dial_gate", "load_attempts", "rule_tables"]
