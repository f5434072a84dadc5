"""The rule contract and the rule kinds shared by every jurisdiction profile.

A rule is a small object with an id, a citation and ``evaluate(context, at)``; it answers
whether a dial at ``at`` passes and, if not, the earliest instant at which it alone would.
The engine combines those answers; no rule knows about any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dnc.interfaces import PastAttempt, RegistryHit, RegistryVersion
from dnc.rules.calendar import (
    WeeklyWindow,
    allowed_in_zone,
    describe_window,
    next_allowed_in_all,
)
from dnc.rules.model import CampaignRules, CampaignState, LeadFacts, RuleOutcome
from dnc.rules.zones import Placement


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may look at, gathered once per decision."""

    lead: LeadFacts
    campaign: CampaignRules
    placement: Placement
    zones: tuple[ZoneInfo, ...]
    hits: tuple[RegistryHit, ...]
    versions: tuple[RegistryVersion, ...]
    attempts: tuple[PastAttempt, ...]
    campaign_state: CampaignState | None

    @property
    def subject(self) -> str | None:
        return self.lead.subject or self.campaign.subject


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


def passed(rule: Rule, at: datetime, reason: str, permission: str | None = None) -> RuleOutcome:
    return RuleOutcome(rule.rule_id, True, reason, rule.citation, at, permission)


def failed(rule: Rule, reason: str, earliest: datetime | None) -> RuleOutcome:
    return RuleOutcome(rule.rule_id, False, reason, rule.citation, earliest)


@dataclass(frozen=True, slots=True)
class CallingHoursRule:
    """Calls only inside a local window, in every zone the called party may be in."""

    rule_id: str
    title: str
    citation: str
    window: WeeklyWindow
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.zones:
            return failed(self, "called party's time zone unknown: give the lead a time zone, "
                          "state or postal code", None)
        local_times = [at.astimezone(zone) for zone in context.zones]
        outside = [(zone, local) for zone, local in zip(context.zones, local_times, strict=True)
                   if not allowed_in_zone(self.window, zone, at)]
        if not outside:
            shown = ", ".join(f"{t:%a %H:%M} {z.key}" for z, t in
                              zip(context.zones, local_times, strict=True))
            return passed(self, at, f"{shown} within {describe_window(self.window)}")
        earliest = next_allowed_in_all(self.window, context.zones, at)
        zone, local = outside[0]
        holiday = ""
        if self.window.holidays is not None and self.window.holidays(local.date()):
            name = getattr(self.window.holidays, "name_of", lambda _d: None)(local.date())
            holiday = f" (holiday{': ' + name if name else ''})"
        reason = (f"{local:%a %Y-%m-%d %H:%M} in {zone.key}{holiday} is outside "
                  f"{describe_window(self.window)}")
        if earliest is None:
            reason += ("; unreachable: no instant is allowed in all of "
                       + ", ".join(z.key for z in context.zones))
        return failed(self, reason, earliest)


@dataclass(frozen=True, slots=True)
class AttemptLimitRule:
    """At most ``max_calls`` attempts in any rolling ``window`` (per number, subject or debt).

    The next call is allowed once fewer than ``max_calls`` earlier attempts lie in the
    half-open window (t - window, t]; attempts never disappear except by ageing out, so the
    earliest allowed time is when the oldest excess attempt leaves the window.
    """

    rule_id: str
    title: str
    citation: str
    max_calls: int
    window: timedelta
    scope: str = "number"   # "number" | "subject" | "debt"

    @property
    def lookback(self) -> timedelta:
        return self.window

    def relevant(self, context: RuleContext) -> list[PastAttempt]:
        attempts: Sequence[PastAttempt] = context.attempts
        if self.scope == "subject" and context.subject is not None:
            # An attempt whose subject was not recorded counts: the safe assumption.
            attempts = [a for a in attempts if a.subject in (None, context.subject)]
        elif self.scope == "debt":
            debt = context.lead.debt_id
            attempts = [a for a in attempts if debt is None or a.debt_id in (None, debt)]
        return sorted(attempts, key=lambda attempt: attempt.at)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        in_window = [a for a in self.relevant(context) if at - self.window < a.at <= at]
        count = len(in_window)
        subject = f"subject {context.subject!r}" if context.subject else "any subject"
        scope = {"number": "this number", "subject": subject,
                 "debt": f"debt {context.lead.debt_id!r}"}[self.scope]
        span = _span(self.window)
        if count < self.max_calls:
            return passed(self, at, f"{count} of {self.max_calls} attempts on {scope} in {span}")
        earliest = in_window[count - self.max_calls].at + self.window
        return failed(self, f"{count} attempts on {scope} in the last {span} "
                      f"(limit {self.max_calls})", earliest)


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    if hours % 24 == 0 and hours > 24:
        return f"{int(hours // 24)} days"
    return f"{hours:g} h"
