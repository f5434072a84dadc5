"""US state overlays built from ``dnc/data/state_rules.csv`` (one rule object per row and kind).

State telemarketing statutes govern telephone solicitations, so the overlay applies only to
campaigns marked ``telemarketing``; a row applies to a lead when the lead is in that state
(see ``dnc.rules.zones`` for how states are determined).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dnc.interfaces import RegistryKind
from dnc.rules.base import AttemptLimitRule, CallingHoursRule, RuleContext, failed, passed
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.federal import REGISTRY_PERMISSIONS
from dnc.rules.model import CampaignRules, RuleOutcome
from dnc.rules.tables import RuleTables, StateRule


@dataclass(frozen=True, slots=True)
class InState:
    """Applies the wrapped rule only when the called party is in ``state``."""

    state: str
    inner: CallingHoursRule | AttemptLimitRule

    @property
    def rule_id(self) -> str:
        return self.inner.rule_id

    @property
    def title(self) -> str:
        return self.inner.title

    @property
    def citation(self) -> str:
        return self.inner.citation

    @property
    def lookback(self) -> timedelta:
        return self.inner.lookback

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if self.state not in context.placement.states:
            return RuleOutcome(self.rule_id, True, f"called party not in {self.state}",
                               self.citation, at, applicable=False)
        return self.inner.evaluate(context, at)


@dataclass(frozen=True, slots=True)
class StateRegistryRule:
    """A state's own do-not-call list (registry ``state:XX``), for numbers in that state."""

    rule_id: str = "state.registry"
    title: str = "State do-not-call registries"
    citation: str = "state DNC statutes, e.g. Fla. Stat. 501.059; Tex. Bus. & Com. Code 304.052"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.STATE
                and h.version.registry.upper().removeprefix("STATE:") in context.placement.states]
        if not hits:
            return passed(self, at, "not on the registry of "
                          + (", ".join(context.placement.states) or "any applicable state"))
        # Exemptions differ by state; only express written permission is honoured everywhere.
        for consent in context.lead.consents:
            if consent.kind in REGISTRY_PERMISSIONS and consent.valid_at(at):
                permission = f"consent:{consent.kind.value} given {consent.given_at:%Y-%m-%d}"
                return passed(self, at, f"listed in {hits[0].version.version}; {permission}",
                              permission=permission)
        return failed(self, f"listed in {hits[0].version.version}", None)


def state_rules(campaign: CampaignRules, tables: RuleTables) -> tuple:
    """Every rule of the state overlay for this campaign, in table order."""
    if not campaign.telemarketing:
        return ()
    rules: list = [StateRegistryRule()]
    for row in tables.state_rules:
        if row.applies_to == "prerecorded" and not campaign.prerecorded:
            continue
        rules.extend(rules_for_row(row, tables))
    return tuple(rules)


def rules_for_row(row: StateRule, tables: RuleTables) -> list[InState]:
    """The hours rule and (if any) the attempt-limit rule one table row stands for."""
    holidays = tables.holiday_calendars[row.holiday_calendar] if row.holiday_calendar else None
    window = WeeklyWindow(days=row.days, holidays=holidays)
    rules = [InState(row.state, CallingHoursRule(
        rule_id=f"{row.rule_key}.hours", title=f"{row.state} calling hours",
        citation=row.citation, window=window))]
    if row.max_calls is not None and row.per is not None:
        rules.append(InState(row.state, AttemptLimitRule(
            rule_id=f"{row.rule_key}.attempts",
            title=f"{row.state}: at most {row.max_calls} calls per {row.per}",
            citation=row.citation, max_calls=row.max_calls, window=row.per,
            scope="subject" if row.same_subject else "number")))
    return rules
