"""The compliance the runner applies, at two moments.

- **Selection** (hopper claim, database thread): ``campaigns.compliance.engine_selection_check``
  over the full ``dnc.rules.ComplianceEngine`` (national, state and internal registries under
  ``<data>/dnc``, state hours and attempt limits, Regulation F when the campaign's
  jurisdiction names it), so a lead that can never be called in this campaign is marked
  ``suppressed`` with the reason, and one refused for now waits until its earliest time.
- **Dial** (inside the engine's tick): the gate the engine asks at the instant of dialing
  (``dialer.runner.gate.CallingHoursGate`` over the shared internal DNC). ``GatePort`` gives
  the runner one interface over it: ``prefetch`` after a claim, ``record_dial`` when an
  attempt is journaled, ``forget`` when a lead is released or finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from campaigns.compliance import StoreAttemptHistory, engine_selection_check
from campaigns.hopper import SelectionCheck
from campaigns.store import CampaignStore
from dialer.ports import ComplianceGate, DialTarget, GateVerdict
from dnc.rules.model import LeadFacts


def selection_check(store: CampaignStore, data: Path) -> SelectionCheck:
    """The hopper's claim-time check over the whole rules engine."""
    from dnc.registry.lookup import open_lookup
    from dnc.rules.engine import ComplianceEngine
    from dnc.rules.tables import RuleTables

    engine = ComplianceEngine(open_lookup(data / "dnc"), StoreAttemptHistory(store),
                              RuleTables())
    return engine_selection_check(engine)


class GatePort(ComplianceGate, Protocol):
    """What the runner needs of its dial-time gate beyond ``check``."""

    def prefetch(self, items: Sequence[tuple[DialTarget, LeadFacts]], at: datetime) -> None: ...

    def record_dial(self, number_e164: str, at: float, campaign: str,
                    lead_id: str | None) -> None: ...

    def forget(self, lead_id: str) -> None: ...


class StatelessGate:
    """A gate that needs nothing but ``check`` (the calling-hours gate), as a ``GatePort``."""

    def __init__(self, inner: ComplianceGate) -> None:
        self.inner = inner

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        return self.inner.check(target, at)

    def prefetch(self, items: Sequence[tuple[DialTarget, LeadFacts]], at: datetime) -> None:
        pass

    def record_dial(self, number_e164: str, at: float, campaign: str,
                    lead_id: str | None) -> None:
        pass

    def forget(self, lead_id: str) -> None:
        pass
