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
    sellers: tuple[str, ...] = ()
    """A list of one's own scoped by the officer to these sellers' campaigns (``dnc import
    --seller``); empty: it binds every campaign (the default)."""


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
    contact_id: str | None = None  # the person called (per-person limits count across numbers)
    machine: bool = False         # answered by a machine (Ofcom: no repeat the same day)
    prerecorded_hang_up: bool = False
    """A call of a prerecorded campaign that a person at the number ended, or may have
    (NRS 597.814(2)(b): no second such call): see ``dnc.rules.adad.called_party_may_have_ended``."""


@runtime_checkable
class AttemptHistory(Protocol):
    """The campaign store's view of earlier attempts, for attempt-limit rules.

    A source that knows people as well as numbers also offers
    ``attempts_for_contact(contact_id, since)``: every attempt to any number of that person
    (Fla. Stat. 501.616(6)(b) and 12 CFR 1006.14(b)(2) count calls to a person, not to a
    number). The engine uses it when present and counts per number otherwise.
    """

    def attempts(self, number_e164: str, since: datetime) -> Sequence[PastAttempt]:
        """Attempts to this number dialed at or after ``since``, oldest first."""
        ...


class LineType(StrEnum):
    """What kind of line a number is (47 U.S.C. 227(b)(1)(A)(iii) protects wireless lines)."""

    WIRELESS = "wireless"
    LANDLINE = "landline"
    VOIP = "voip"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LineTypeRecord:
    """The line-type registry's answer for a number: an entry for the number itself (a
    ported number) beats an entry for its block."""

    line_type: LineType
    source: str            # e.g. "line-type registry: number +13055550123 (carrier-2026-11.csv)"
    as_of: datetime | None = None


def contact_key(contact_id: str | None) -> str | None:
    """How a revocation's person is compared with a lead's ``contact_id``: spaces collapsed
    and case folded (None: no person). A person an officer names by hand (``dialer
    compliance revoke --contact c-77``) or in a revocations file is the lead import's
    ``C-77``; a revocation read as someone else's would let the calls go on. Comparing
    without case can only join people, so more calls are refused, never fewer."""
    if contact_id is None:
        return None
    key = " ".join(str(contact_id).split()).casefold()
    return key or None


@dataclass(frozen=True, slots=True)
class Revocation:
    """A consent revocation received by any reasonable means (FCC 24-24, 47 CFR
    64.1200(a)(10)): every consent given before ``at`` for the number (or the person) ends."""

    number_e164: str | None
    contact_id: str | None
    at: datetime
    channel: str           # e.g. "sms STOP", "email", "web form", "agent", "letter"
    source: str = ""
    recorded_at: datetime | None = None


class RndAnswer(StrEnum):
    """An FCC Reassigned Numbers Database answer for (number, date)."""

    YES = "yes"            # permanently disconnected at some time after the date
    NO = "no"              # not permanently disconnected since the date
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class RndResult:
    """One result of an RND query (47 CFR 64.1200(m)): has the number been permanently
    disconnected since ``date``?"""

    number_e164: str
    date: datetime         # the date queried (timezone-aware; midnight UTC of the date)
    answer: RndAnswer
    queried_at: datetime | None = None
    source: str = ""


@runtime_checkable
class NumberFacts(Protocol):
    """Facts an officer imports about numbers: line types, revocations, RND results."""

    def line_type(self, number_e164: str, at: datetime) -> LineTypeRecord | None:
        """The line type the registry held at ``at`` (number entries over block entries)."""
        ...

    def revocations(self, number_e164: str, contact_id: str | None, at: datetime
                    ) -> Sequence[Revocation]:
        """Revocations for the number or the person received at or before ``at``."""
        ...

    def reassigned(self, number_e164: str, at: datetime) -> Sequence[RndResult]:
        """RND results for the number imported at or before ``at``."""
        ...


class NoNumberFacts:
    """No line-type registry, revocation list or RND results loaded."""

    def line_type(self, number_e164: str, at: datetime) -> LineTypeRecord | None:
        return None

    def revocations(self, number_e164: str, contact_id: str | None, at: datetime
                    ) -> Sequence[Revocation]:
        return ()

    def reassigned(self, number_e164: str, at: datetime) -> Sequence[RndResult]:
        return ()
