"""The compliance the runner applies, at two moments.

- **Selection** (hopper claim, database thread): ``campaigns.compliance.engine_selection_check``
  over the full ``dnc.rules.ComplianceEngine`` (national, state and internal registries under
  ``<data>/dnc``, line types, revocations and RND results in ``<data>/dnc/facts.db``, state
  hours and attempt limits, Regulation F when the campaign's jurisdiction names it), so a
  lead that can never be called in this campaign is marked ``suppressed`` with the reason,
  and one refused for now waits until its earliest time. Every refusal is audited
  (``flush_audit`` after each claim), like every dial-time decision.
- **Dial** (inside the engine's tick): ``dialer.runner.dial_gate.DialTimeGate``, the same
  rules engine decided at the instant of dialing over facts prefetched after the claim,
  with the shared internal DNC on top. ``GatePort`` is the runner's interface to it:
  ``prefetch`` after a claim, ``flush_audit`` in the database step that commits a batch's
  journal (before its originates), ``record_dial`` when an attempt is journaled,
  ``record_outcome`` when it ends, ``forget`` when a lead is released or finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from campaigns.compliance import (
    BufferedAudit,
    EngineSelectionCheck,
    StoreAttemptHistory,
    engine_selection_check,
)
from campaigns.hopper import SelectionCheck  # noqa: F401  (re-exported for the runner)
from campaigns.store import CampaignStore
from dialer.ports import ComplianceGate, DialTarget, GateVerdict
from dnc.rules.model import CampaignState, LeadFacts


def selection_check(store: CampaignStore, data: Path, audit: bool = True
                    ) -> EngineSelectionCheck:
    """The hopper's claim-time check over the whole rules engine; its refusals go to the
    audit log in ``<data>/audit`` when ``flush_audit`` is called (``audit=False``: a
    read-only look, as ``dialer doctor`` takes, audits nothing)."""
    from dialer.runner.dial_gate import rule_tables
    from dnc.facts import FACTS_NAME, NumberFactsStore
    from dnc.registry.lookup import open_lookup
    from dnc.rules.audit import AuditLog
    from dnc.rules.engine import ComplianceEngine

    engine = ComplianceEngine(open_lookup(data / "dnc"), StoreAttemptHistory(store),
                              rule_tables(data),
                              facts=NumberFactsStore(data / "dnc" / FACTS_NAME))
    return engine_selection_check(engine, BufferedAudit(AuditLog(data / "audit"))
                                  if audit else None)


class GatePort(ComplianceGate, Protocol):
    """What the runner needs of its dial-time gate beyond ``check``."""

    campaign_state: CampaignState
    """Campaign-level measurements the rules read (Ofcom's 24 h abandon rate); a rate left
    None is unknown, and a UK dial is refused until the runner supplies it."""

    def prefetch(self, items: Sequence[tuple[DialTarget, LeadFacts]], at: datetime) -> None: ...

    def record_dial(self, number_e164: str, at: float, campaign: str,
                    lead_id: str | None) -> None: ...

    def record_outcome(self, number_e164: str, dialed_at: float, *, answered_live: bool = False,
                       conversation: bool = False, abandoned: bool = False,
                       machine: bool = False, called_party_ended: bool = True) -> None: ...

    def check_message(self, target: DialTarget, dialed_at: float, at: float) -> GateVerdict: ...

    def forget(self, lead_id: str) -> None: ...

    def flush_audit(self) -> int: ...

    def close(self) -> None: ...
