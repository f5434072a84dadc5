"""Small protocols through which the rules engine sees registries and attempt history.

``dnc`` imports nothing of this project; the campaign store implements ``AttemptHistory``
and the registry store implements ``DncLookup``. Fields may be added with defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class RegistryKind(StrEnum):
    """Where a do-not-call listing comes from."""

    NATIONAL = "national"   # FTC National Do Not Call Registry
    STATE = "state"         # a US state's own list
    INTERNAL = "internal"   # the company's own opt-outs (always honoured)
    OTHER = "other"         # e.g. a UK TPS/CTPS file or a client's suppression list


@dataclass(frozen=True, slots=True)
class RegistryVersion:
    """One immutable, loaded version of a registry: what a dial decision records it used."""

    registry: str          # e.g. "national", "state:FL", "internal"
    kind: RegistryKind
    version: str           # unique id of this version (e.g. "national@2026-11-01#3")
    as_of: datetime        # the date the data is current as of (timezone-aware)
    count: int = 0         # numbers listed


@dataclass(frozen=True, slots=True)
class RegistryHit:
    """A registry version that lists the number."""

    version: RegistryVersion
    detail: str = ""       # e.g. internal DNC: "opt-out during call 1234 by agent ann"


@runtime_checkable
class DncLookup(Protocol):
    """Membership of a number (E.164, e.g. "+12015550123") in every loaded registry."""

    def hits(self, number_e164: str) -> Sequence[RegistryHit]:
        """Every loaded registry version that lists the number (empty when none)."""
        ...

    def versions(self) -> Sequence[RegistryVersion]:
        """The registry versions currently loaded (for freshness checks and the audit)."""
        ...


@dataclass(frozen=True, slots=True)
class PastAttempt:
    """One earlier call attempt, as the campaign store remembers it."""

    at: datetime                  # when it was dialed (timezone-aware)
    number_e164: str
    campaign: str
    lead_id: str | None = None
    subject: str | None = None    # e.g. the product/"same subject" for state attempt limits
    debt_id: str | None = None    # Regulation F counts per debt
    answered_live: bool = False
    conversation: bool = False    # a person was connected to an agent (Reg F "conversation")
    abandoned: bool = False       # live answer not connected to an agent in time


@runtime_checkable
class AttemptHistory(Protocol):
    """The campaign store's view of earlier attempts, for attempt-limit rules."""

    def attempts(self, number_e164: str, since: datetime) -> Sequence[PastAttempt]:
        """Attempts to this number dialed at or after ``since``, oldest first."""
        ...
