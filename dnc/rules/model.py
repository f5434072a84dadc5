"""What a compliance decision is about and what it answers: leads, campaign rules, decisions.

Every type here is a frozen dataclass so a decision can be logged, compared and replayed;
times are timezone-aware ``datetime`` (UTC by convention), numbers are E.164 strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import NamedTuple

from dnc.errors import ComplianceError
from dnc.interfaces import LineType
from pacing_models.records import fast_init


def require_aware(value: datetime, what: str) -> datetime:
    """Refuse naive datetimes: a calling window is meaningless without an instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ComplianceError(f"{what} must be timezone-aware (got {value.isoformat()})")
    return value


class ConsentKind(StrEnum):
    """Documented permissions a lead can carry (47 CFR 64.1200, 16 CFR 310.4)."""

    PRIOR_EXPRESS = "prior_express"
    """Prior express consent: enough for informational autodialed calls to a wireless number."""
    PRIOR_EXPRESS_WRITTEN = "prior_express_written"
    """Signed written agreement (47 CFR 64.1200(f)(9)): telemarketing by autodialer/prerecorded."""
    WRITTEN_PERMISSION = "written_permission"
    """Express written invitation to call despite a registry listing (47 CFR 64.1200(c)(2)(ii))."""


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One recorded consent, valid from ``given_at`` until revoked or expired.

    A written consent names the seller it authorises and the telephone number it covers
    (47 CFR 64.1200(f)(9); 16 CFR 310.4(b)(1)(v)(A)): a record for another seller or
    another number, or one that names neither, is not written consent for this call.
    """

    kind: ConsentKind
    given_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    source: str = ""  # where the proof lives, e.g. "webform 2026-10-01 #8812"
    seller: str | None = None
    number: str | None = None  # E.164
    dated: date | None = None
    """The date as written, for a consent known only by its date: it counts from
    ``given_at``, when that date has ended in every zone, but the Reassigned Numbers
    Database answers by dates too, so the RND's dates are compared with this date (a
    disconnection on the consent's own date may have come after it). None: ``given_at``
    is the consent's instant."""

    def valid_at(self, at: datetime) -> bool:
        if at < self.given_at:
            return False
        if self.revoked_at is not None and at >= self.revoked_at:
            return False
        return self.expires_at is None or at < self.expires_at


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the rules need to know about the called party."""

    number_e164: str
    time_zone: str | None = None      # IANA name; beats every inference
    state: str | None = None          # US state/territory code, e.g. "FL"
    postal_code: str | None = None    # US ZIP (5 or 9 digits)
    consents: tuple[ConsentRecord, ...] = ()
    ebr_last_transaction: datetime | None = None
    ebr_last_inquiry: datetime | None = None
    wireless: bool | None = None      # legacy flag: True = wireless, False = landline
    debt_id: str | None = None
    subject: str | None = None
    lead_id: str | None = None
    line_type: LineType | None = None  # the lead's own line_type column
    contact_id: str | None = None      # the person: per-person limits count across numbers
    county: str | None = None          # for area-scoped bans (emergencies, county holidays)


class Profile(StrEnum):
    """Jurisdiction profiles a campaign selects; each adds its rules."""

    US_FEDERAL = "us_federal"
    US_STATE = "us_state"
    REG_F = "reg_f"
    UK_OFCOM = "uk_ofcom"


@dataclass(frozen=True, slots=True)
class AttemptCap:
    """A campaign's own attempt limit, stricter than the law (never looser).

    ``per_person`` counts calls to every number of the person (the lead's contact), not
    only to the dialled number."""

    max_calls: int
    window: timedelta
    same_subject: bool = False
    per_person: bool = True


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    """What a campaign's recorded message (a voicemail drop or a message to a person) says,
    as the campaign declares it (47 CFR 64.1200(b)(1)-(3))."""

    seller_named_first: bool = False
    """(b)(1): the seller (the business responsible) is identified at the start."""
    callback_number: str | None = None
    """(b)(2): a telephone number of the seller (not a 900 or other charged number)."""
    optout_number: str | None = None
    """(b)(3): for telemarketing left on an answering machine, a toll-free number that
    reaches the automated opt-out."""
    interactive_optout: bool = False
    """(b)(3): for telemarketing played to a person, a key-press/voice opt-out."""


@dataclass(frozen=True, slots=True)
class CampaignRules:
    """The compliance settings of one campaign."""

    name: str
    profiles: tuple[Profile, ...] = (Profile.US_FEDERAL,)
    autodialed: bool = True
    prerecorded: bool = False
    telemarketing: bool = True
    """A sales call (TSR/TCPA telemarketing) rather than informational or debt collection."""
    requires_wireless_consent: bool = True
    treat_unknown_line_type_as_wireless: bool = True
    """US numbers are "fixed line or mobile" in the numbering plan: with no line-type data an
    unknown line counts as wireless (the strict reading). A campaign may set this False,
    and every decision records which policy decided."""
    caller_id_present: bool = True
    subject: str | None = None
    agent_guaranteed: bool = False
    """Ofcom: a live agent is guaranteed on a repeat call, so the 72 h rule and the same-day
    rule after an answering machine do not apply."""
    attempt_caps: tuple[AttemptCap, ...] = ()
    national_max_age: timedelta = timedelta(days=31)
    tps_max_age: timedelta = timedelta(days=28)
    """UK: TPS/CTPS data must have been screened within the last 28 days."""
    seller: str | None = None
    """The seller on whose behalf the calls are made: a written consent must name it."""
    recorded_message: RecordedMessage | None = None
    """What the prerecorded message declares it says (``prerecorded`` campaigns)."""
    state_list_waivers: tuple[tuple[str, str], ...] = ()
    """(state, the officer's statement) for each state whose own do-not-call list this
    campaign may call without having loaded (``state.registry``; e.g. the officer states the
    state's list is covered by the national registry). Named in every such decision."""
    ring_timeout: float | None = None
    """Seconds an unanswered call of this campaign rings (the campaign setting
    ``ring_timeout``, set wherever the dialer builds a campaign's rules); None: not given
    (rules built by hand, ``compliance explain`` without ``--campaign`` or
    ``--ring-timeout``), and ``state.DC.rings`` says it did not judge the call."""


@dataclass(frozen=True, slots=True)
class CampaignState:
    """Campaign-level measurements a rule may need (the pacing/ledger owns them)."""

    abandon_rate_24h: float | None = None  # abandoned / live-answered, last 24 h
    abandon_rate_today: float | None = None
    """Abandoned / live-answered since the current UK calendar day began (00:00
    Europe/London, ``dnc.rules.ofcom.ofcom_day_start``): Ofcom's 2010 clarification reads
    the 24-hour period as midnight to midnight. Unknown (None) is refused like the 24 h
    rate when a campaign state is supplied."""


class LazyReason(partial):
    """A rule's reason text, built from ``build(*args)`` the first time it is read.

    Most rules pass most of the time, and a pass reason is read only when a decision is
    explained or rendered (``Decision.to_json``, ``dialer compliance explain``), never by the
    audit log (which keeps failing reasons and permissions) nor by the gate's verdict. So a
    passing rule hands over what its text needs and the text is built on demand; it is the
    same text, character for character, that the rule would have built at once (``args``
    are the immutable values the rule had at that instant). A lazy reason equals, hashes,
    prints and pickles as its text.

    Built as ``LazyReason(build, *args)``: a ``functools.partial`` whose constructor runs in
    C (a Python ``__init__`` cost a frame for each lazy reason of each decision); ``text``
    is unset until the first read."""

    __slots__ = ("text",)

    def __str__(self) -> str:
        try:
            return self.text
        except AttributeError:
            text = self.text = self.func(*self.args)
            return text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyReason):
            return str(self) == str(other)
        return str(self) == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return repr(str(self))

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (str(self),)


class _OutcomeFields(NamedTuple):
    rule_id: str
    passed: bool
    reason: str | LazyReason
    citation: str
    earliest: datetime | None = None
    permission: str | None = None
    applicable: bool = True


class RuleOutcome(_OutcomeFields):
    """One rule's answer for one dial at one instant (immutable).

    Fields: ``rule_id``, ``passed``, ``reason``, ``citation``; ``earliest``: the earliest
    instant >= the checked one at which this rule alone passes, None: never (or not
    foreseeable, e.g. a campaign-level rate); ``permission``: for a pass that relies on a
    permission (consent, EBR), which one, for the audit; ``applicable``: False when the rule
    does not concern this call (e.g. another state's overlay).

    ``reason`` may be given as a ``LazyReason`` (built when read). A named tuple rather than
    a frozen dataclass: a decision holds one per rule, and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field) cost more than most rules' work."""

    __slots__ = ()

    @property
    def reason(self) -> str:
        reason = tuple.__getitem__(self, 2)
        return reason if reason.__class__ is str else str(reason)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "passed": self.passed,
            "reason": self.reason,
            "citation": self.citation,
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "permission": self.permission,
            "applicable": self.applicable,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class Decision:
    """May this number be dialed for this campaign at this instant, and why."""

    number_e164: str
    campaign: str
    at: datetime
    allowed: bool
    outcomes: tuple[RuleOutcome, ...]
    earliest_allowed: datetime | None
    registry_versions: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    zone_source: str = ""
    states: tuple[str, ...] = ()
    unreachable: bool = False
    lead_id: str | None = None
    notes: tuple[str, ...] = field(default=())
    line_type: str = ""
    """wireless / landline / voip / unknown, as the rules took it."""
    line_type_source: str = ""
    """Which source decided the line type (lead column, registry number or block, numbering
    plan, or the campaign's policy for an unknown line)."""
    unknown_line_policy: str = ""
    """The campaign's policy for an unknown line type ("wireless" or "landline")."""

    @property
    def reasons(self) -> tuple[RuleOutcome, ...]:
        """The failing rules (empty when allowed)."""
        return tuple(outcome for outcome in self.outcomes if not outcome.passed)

    @property
    def permissions(self) -> tuple[str, ...]:
        return tuple(o.permission for o in self.outcomes if o.permission)

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number_e164,
            "campaign": self.campaign,
            "lead_id": self.lead_id,
            "at": self.at.isoformat(),
            "allowed": self.allowed,
            "earliest_allowed": self.earliest_allowed.isoformat()
            if self.earliest_allowed else None,
            "unreachable": self.unreachable,
            "zones": list(self.zones),
            "zone_source": self.zone_source,
            "states": list(self.states),
            "registry_versions": list(self.registry_versions),
            "line_type": self.line_type,
            "line_type_source": self.line_type_source,
            "unknown_line_policy": self.unknown_line_policy,
            "rules": [outcome.to_json() for outcome in self.outcomes],
            "notes": list(self.notes),
        }
