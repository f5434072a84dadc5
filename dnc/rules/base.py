"""The rule contract and the rule kinds shared by every jurisdiction profile.

A rule is a small object with an id, a citation and ``evaluate(context, at)``; it answers
whether a dial at ``at`` passes and, if not, the earliest instant at which it alone would.
The engine combines those answers; no rule knows about any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dnc.interfaces import (
    LineType,
    PastAttempt,
    RegistryHit,
    RegistryVersion,
    Revocation,
    RndResult,
)
from dnc.rules import stamps
from dnc.rules.calendar import (
    WeeklyWindow,
    allowed_in_all,
    describe_window,
    next_allowed_in_all,
)
from dnc.rules.consent import relied_consent, same_words
from dnc.rules.line_type import LineFinding
from dnc.rules.model import CampaignRules, CampaignState, LazyReason, LeadFacts, RuleOutcome
from dnc.rules.zones import Placement
from pacing_models.records import builder, fast_init

UNKNOWN_LINE = LineFinding(LineType.UNKNOWN, "not determined", True)


@fast_init
@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may look at, gathered once per decision (built with ``fast_init``:
    a frozen dataclass's own ``__init__`` costs a generic ``setattr`` per field).

    ``attempts`` holds the attempts to the dialled number and, when the lead names a person
    (``contact_id``) and the history knows people, the attempts to every number of that
    person; each rule keeps the ones its scope counts."""

    lead: LeadFacts
    campaign: CampaignRules
    placement: Placement
    zones: tuple[ZoneInfo, ...]
    hits: tuple[RegistryHit, ...]
    versions: tuple[RegistryVersion, ...]
    attempts: tuple[PastAttempt, ...]
    campaign_state: CampaignState | None
    line: LineFinding = UNKNOWN_LINE
    revocations: tuple[Revocation, ...] = ()
    reassigned: tuple[RndResult, ...] = ()
    notes: list[str] = field(default_factory=list)
    """Observations rules add for the decision (e.g. an RND check that had no data)."""
    widened: dict[tuple[ZoneInfo, ...], RuleContext] = field(default_factory=dict)
    """Copies of this context with more zones (a state's own), made once per decision."""
    consents_found: dict[tuple[object, ...], tuple[object, str]] = field(default_factory=dict)
    """The consent each set of accepted kinds relies on, found once per decision and instant."""

    def relied_consent(self, accepted: tuple, at: datetime) -> tuple[object, str]:
        """``dnc.rules.consent.relied_consent`` for this lead and campaign (cached: several
        rules ask the same question of one decision)."""
        key = (accepted, at)
        found = self.consents_found.get(key)
        if found is None:
            found = relied_consent(self.lead.consents, accepted, at,
                                   number=self.lead.number_e164, seller=self.campaign.seller,
                                   revocations=self.revocations, reassigned=self.reassigned)
            self.consents_found[key] = found
        return found

    def with_zones(self, extra: tuple[ZoneInfo, ...]) -> RuleContext:
        """This context with ``extra`` zones added (cached for the decision)."""
        if extra == self.zones:
            return self  # the common case: the state's zones are the lead's
        found = self.widened.get(extra)
        if found is None:
            missing = tuple(z for z in extra if z not in self.zones)
            # The same facts and the same per-decision caches (notes, consents found).
            found = new_context(
                self.lead, self.campaign, self.placement, self.zones + missing, self.hits,
                self.versions, self.attempts, self.campaign_state, self.line,
                self.revocations, self.reassigned, self.notes, {},
                self.consents_found) if missing else self
            self.widened[extra] = found
        return found

    @property
    def subject(self) -> str | None:
        return self.lead.subject or self.campaign.subject


new_context = builder(RuleContext)
"""``RuleContext(*every field)``, the per-decision caches included: built as its builder twin
and switched to the class once (``pacing_models.records.builder``), without ``type.__call__``
and ``fast_init``'s two class switches (one or two per decision)."""


class Rule(Protocol):
    rule_id: str
    title: str
    citation: str

    @property
    def lookback(self) -> timedelta:
        """How much attempt history this rule needs before the checked instant."""
        ...

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        ...


new_tuple = tuple.__new__
"""``RuleOutcome`` built by ``tuple.__new__`` itself rather than through the named tuple's
generated ``__new__`` (one Python call less for each rule of each decision). The passes
every dial takes build theirs in place, ``new_tuple(RuleOutcome, (rule_id, True, reason,
citation, at, permission, True))``: what ``passed`` builds, without its Python call."""


def passed(rule: Rule, at: datetime, reason: str | LazyReason, permission: str | None = None
           ) -> RuleOutcome:
    return new_tuple(RuleOutcome, (rule.rule_id, True, reason, rule.citation, at, permission,
                                    True))


def failed(rule: Rule, reason: str, earliest: datetime | None) -> RuleOutcome:
    return new_tuple(RuleOutcome, (rule.rule_id, False, reason, rule.citation, earliest, None,
                                    True))


SEND_ALLOWANCE = timedelta(seconds=5)
"""How long after the decision instant a dial may still reach the switch: a time-of-day window
must stay open this long after the instant it allows a dial at. The runner decides a dial at
the engine's instant, journals it in the database thread's next batch (one SQLite
transaction, with the re-count) and sends the originate once that commits: milliseconds when
healthy, and docs/operations.md alerts when the journal lags more than 2 s. Five seconds
covers a lagging journal; the runner does not assume it holds: a dial whose originate is not
sent within the allowance of its decision is not sent (``dialer.runner.execution``,
``CommandExecution.send_dials``). Shorter than any window's closed period (hours), so a
window open at the instant and at the instant plus the allowance is open in between."""

_last_minute: tuple[datetime | None, int] = (None, 0)
"""The last instant a calling-hours rule asked about and its UTC minute: the calling-hours
rules of one decision (federal, state) ask about the same ``datetime`` object. One tuple,
rebound whole, so a rule running in another thread (lead selection) never reads a torn
pair."""


@dataclass(frozen=True, slots=True)
class CallingHoursRule:
    """Calls only inside a local window, in every zone the called party may be in, from the
    decision instant until ``SEND_ALLOWANCE`` after it (the dial reaches the switch inside the
    window: a dial decided at 20:59:59 could otherwise ring after 21:00)."""

    rule_id: str
    title: str
    citation: str
    window: WeeklyWindow
    lookback: timedelta = timedelta(0)
    described: str = ""
    """The window in words (set at construction: it is in every pass reason)."""
    passes: dict[tuple[tuple[ZoneInfo, ...], int], str] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)
    """Pass reasons by (zones, UTC minute): see ``evaluate``."""
    whole_minutes: bool = field(default=False, init=False, repr=False, compare=False,
                                hash=False)
    """The window opens and closes on whole minutes."""

    def __post_init__(self) -> None:
        if not self.described:
            object.__setattr__(self, "described", describe_window(self.window))
        object.__setattr__(self, "whole_minutes", all(
            bound.second == 0 and bound.microsecond == 0
            for day in self.window.days if day is not None for bound in day))

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        """Every zone's local time inside the window. A pass is remembered for its UTC
        minute when the window opens and closes on whole minutes and every zone's offset is
        whole minutes and unchanged through that minute: then every instant of the minute has
        the same local dates and minutes, so the same answer and the same reason (checks at
        dialing rates share minutes; a refusal is always computed)."""
        zones = context.zones
        if not zones:
            return failed(self, "called party's time zone unknown: give the lead a time zone, "
                          "state or postal code", None)
        global _last_minute
        last_at, minute = _last_minute
        if last_at is not at:
            minute = int(at.timestamp() // 60)
            _last_minute = (at, minute)
        reason = self.passes.get((zones, minute))
        if reason is not None:
            return new_tuple(RuleOutcome, (self.rule_id, True, reason, self.citation, at,
                                            None, True))
        outcome = self._evaluate(context, at)
        if outcome.passed and self.whole_minutes and _steady_minute(zones, minute) and \
                _steady_minute(zones, minute + 1) and allowed_in_all(
                    self.window, zones, _minute_end(minute) + SEND_ALLOWANCE):
            # Every instant of the minute is allowed (its local minute is) and so is every
            # instant up to the allowance after it: the allowance (under a minute) ends in this
            # minute or the next, and the next one's local minute is allowed too.
            if len(self.passes) >= 4096:
                self.passes.clear()
            self.passes[(zones, minute)] = outcome.reason
        return outcome

    def _evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        allows = self.window.allows_local
        shown = []
        outside = None
        for zone in context.zones:
            local = at.astimezone(zone)
            if not allows(local):
                outside = (zone, local)
                break
            shown.append(f"{_DAYS[local.weekday()]} {local.hour:02d}:{local.minute:02d} "
                         f"{zone.key}")
        window = self.window
        if outside is None:
            sent_by = at + SEND_ALLOWANCE
            for zone in context.zones:
                local = sent_by.astimezone(zone)
                if not allows(local):
                    local = at.astimezone(zone)
                    return failed(self, (
                        f"{stamps.weekday_minute(local)} in {zone.key}: {self.described} "
                        f"closes within the send allowance ({_seconds(SEND_ALLOWANCE)} s after "
                        f"the decision, the time the originate may take to leave)"),
                        _next_sendable(window, context.zones, at))
            return RuleOutcome(self.rule_id, True, f"{', '.join(shown)} within {self.described}",
                               self.citation, at)
        earliest = _next_sendable(window, context.zones, at)
        zone, local = outside
        holiday = ""
        if window.holidays is not None and window.holidays(local.date()):
            name = getattr(window.holidays, "name_of", lambda _d: None)(local.date())
            holiday = f" (holiday{': ' + name if name else ''})"
        reason = (f"{stamps.weekday_minute(local)} in {zone.key}{holiday} is outside "
                  f"{self.described}")
        if earliest is None:
            reason += ("; unreachable: no instant is allowed in all of "
                       + ", ".join(z.key for z in context.zones))
        return failed(self, reason, earliest)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTE = timedelta(minutes=1)
JUST_AFTER = timedelta(microseconds=1)
"""The first instant after a window's closed end (``datetime``'s resolution)."""


def _seconds(span: timedelta) -> str:
    return f"{span.total_seconds():g}"


def _minute_end(minute: int) -> datetime:
    """The last instant of a UTC minute (``datetime``'s resolution)."""
    return datetime.fromtimestamp(minute * 60 + 60, UTC) - JUST_AFTER


def next_sendable(window: WeeklyWindow, zones: tuple[ZoneInfo, ...], at: datetime
                  ) -> datetime | None:
    """The earliest instant from ``at`` at which ``window`` is open in every zone and stays
    open for ``SEND_ALLOWANCE``: the first instant of an opening that lasts that long (an
    opening shorter than the allowance, e.g. two zones' windows overlapping by seconds, is
    skipped); None when there is none within the calendar's search horizon."""
    candidate = next_allowed_in_all(window, zones, at)
    for _ in range(64):
        if candidate is None or allowed_in_all(window, zones, candidate + SEND_ALLOWANCE):
            return candidate
        candidate = next_allowed_in_all(window, zones, candidate + SEND_ALLOWANCE)
    return None


_next_sendable = next_sendable


def _steady_minute(zones: tuple[ZoneInfo, ...], minute: int) -> bool:
    start = datetime.fromtimestamp(minute * 60, UTC)
    last = start + _MINUTE - timedelta(microseconds=1)
    for zone in zones:
        offset = start.astimezone(zone).utcoffset()
        if offset is None or offset % _MINUTE or last.astimezone(zone).utcoffset() != offset:
            return False
    return True


@dataclass(frozen=True, slots=True)
class AttemptLimitRule:
    """At most ``max_calls`` attempts in any rolling ``window``.

    Scope: the dialled number, or the person (``per_person``: every number of the lead's
    contact, which is how Fla. Stat. 501.616(6)(b) "regardless of the number of telephone
    numbers" and 12 CFR 1006.14(b)(2) "to a particular person" count); optionally only calls
    on the same subject or about the same debt. With ``local_days`` the limit also holds over
    every run of that many local calendar days in each candidate zone (a 7-day week that
    contains the autumn clock change lasts 169 hours, which no 168-hour window covers).

    The next call is allowed once fewer than ``max_calls`` earlier attempts lie in the
    closed window [t - window, t]: a period's end instant belongs to it (a call exactly 24 h
    after the oldest of three is still "over a 24-hour period" with it, the strict reading),
    so the earliest allowed time is the microsecond after the oldest excess attempt's
    ``at + window``.
    """

    rule_id: str
    title: str
    citation: str
    max_calls: int
    window: timedelta
    per_person: bool = False
    same_subject: bool = False
    per_debt: bool = False
    local_days: int | None = None

    @property
    def lookback(self) -> timedelta:
        if self.local_days is None:
            return self.window + _MINUTE  # the closed bound's own instant included
        # a local day starts up to 14 h before or 12 h after its UTC midnight
        return max(self.window, timedelta(days=self.local_days + 1, hours=2))

    def relevant(self, context: RuleContext) -> list[PastAttempt]:
        attempts: Sequence[PastAttempt] = context.attempts
        lead = context.lead
        if not self.per_person or lead.contact_id is None:
            attempts = [a for a in attempts if a.number_e164 == lead.number_e164]
        if self.same_subject and context.subject is not None:
            # An attempt whose subject was not recorded counts: the safe assumption. Subjects
            # are free text typed by people: "Solar", "solar " and "SOLAR." are one subject
            # matter (compared as seller names are), not three caps of three calls each.
            subject = context.subject
            attempts = [a for a in attempts if a.subject is None or a.subject == subject
                        or same_words(a.subject, subject)]
        if self.per_debt and lead.debt_id is not None:
            attempts = [a for a in attempts if a.debt_id in (None, lead.debt_id)]
        return sorted(attempts, key=lambda attempt: attempt.at)

    def _scope(self, context: RuleContext) -> str:
        return self._scope_of(context.lead, context.subject)

    def _scope_of(self, lead: LeadFacts, subject: str | None) -> str:
        parts = [f"person {lead.contact_id!r} (all numbers)"
                 if self.per_person and lead.contact_id is not None else "this number"]
        if self.same_subject:
            parts.append(f"subject {subject!r}" if subject else "any subject")
        if self.per_debt:
            parts.append(f"debt {lead.debt_id!r}" if lead.debt_id else "any debt")
        return ", ".join(parts)

    def _pass_reason(self, count: int, lead: LeadFacts, subject: str | None) -> str:
        return (f"{count} of {self.max_calls} attempts on {self._scope_of(lead, subject)} in "
                f"{_span(self.window)}"
                + (f" and in {self.local_days} local days" if self.local_days else ""))

    def _no_attempt_reason(self, lead: LeadFacts, campaign: CampaignRules) -> str:
        # ``RuleContext.subject`` when read, not at every dial (a property call)
        return self._pass_reason(0, lead, lead.subject or campaign.subject)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.attempts and self.max_calls > 0:
            return new_tuple(RuleOutcome, (self.rule_id, True, LazyReason(
                _no_attempt_reason, self, context.lead, context.campaign), self.citation, at,
                None, True))
        relevant = self.relevant(context)
        in_window = [a for a in relevant if at - self.window <= a.at <= at]
        count = len(in_window)
        earliest: datetime | None = None
        failures: list[str] = []
        if count >= self.max_calls:
            earliest = in_window[count - self.max_calls].at + self.window + JUST_AFTER
            failures.append(f"{count} attempts on {self._scope(context)} in the last "
                            f"{_span(self.window)}")
        # No attempt at all: no run of local days holds one either (the common case).
        if self.local_days is not None and (relevant or self.max_calls <= 0):
            for zone in context.zones:
                day_count, opens = _local_days_count(relevant, at, zone, self.local_days,
                                                     self.max_calls)
                if opens is not None:
                    earliest = opens if earliest is None else max(earliest, opens)
                    scope = self._scope(context)
                    failures.append(f"{day_count} attempts on {scope} in the {self.local_days} "
                                    f"local calendar days to {stamps.day(at.astimezone(zone))} "
                                    f"({zone.key})")
        if not failures:
            return RuleOutcome(self.rule_id, True, LazyReason(
                self._pass_reason, count, context.lead, context.subject), self.citation, at)
        return failed(self, "; ".join(failures) + f" (limit {self.max_calls})", earliest)


def _no_attempt_reason(rule: AttemptLimitRule, lead: LeadFacts, campaign: CampaignRules
                       ) -> str:
    """``AttemptLimitRule._no_attempt_reason`` (a module function: a lazy reason holding a
    bound method would build that method object at every dial)."""
    return rule._no_attempt_reason(lead, campaign)


def _local_days_count(attempts: Sequence[PastAttempt], at: datetime, zone: ZoneInfo,
                      days: int, limit: int) -> tuple[int, datetime | None]:
    """Attempts in the ``days`` local calendar days ending with ``at``'s local date, and
    (when ``limit`` is reached) the local midnight from which the run no longer holds
    ``limit``; None while below it."""
    today = at.astimezone(zone).date()
    start = datetime.combine(today - timedelta(days=days - 1), time(0), tzinfo=zone)
    inside = [a for a in attempts if start <= a.at <= at]
    if len(inside) < limit:
        return len(inside), None
    oldest_kept = inside[len(inside) - limit].at.astimezone(zone).date()
    return len(inside), datetime.combine(oldest_kept + timedelta(days=days), time(0),
                                         tzinfo=zone).astimezone(UTC)


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    if hours % 24 == 0 and hours > 24:
        return f"{int(hours // 24)} days"
    return f"{hours:g} h"
