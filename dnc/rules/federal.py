"""US federal rules: TCPA (47 CFR 64.1200) and the FTC Telemarketing Sales Rule (16 CFR 310.4)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from dnc.interfaces import RegistryKind
from dnc.rules.base import CallingHoursRule, RuleContext, failed, passed
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.model import ConsentKind, LeadFacts, RuleOutcome

EBR_AFTER_TRANSACTION_MONTHS = 18   # 47 CFR 64.1200(f)(5); 16 CFR 310.2(q)(1)
EBR_AFTER_INQUIRY_MONTHS = 3        # 47 CFR 64.1200(f)(5); 16 CFR 310.2(q)(2)
REGISTRY_PERMISSIONS = (ConsentKind.WRITTEN_PERMISSION, ConsentKind.PRIOR_EXPRESS_WRITTEN)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def registry_exemption(lead: LeadFacts, at: datetime) -> str | None:
    """The documented permission that lets a telemarketer call a registered number, if any.

    Written permission / prior express written consent (47 CFR 64.1200(c)(2)(ii);
    16 CFR 310.4(b)(1)(iii)(B)(1)) or an established business relationship: 18 months after
    the last transaction, 3 months after an inquiry (47 CFR 64.1200(f)(5); 16 CFR 310.2(q)).
    """
    for consent in lead.consents:
        if consent.kind in REGISTRY_PERMISSIONS and consent.valid_at(at):
            source = f" ({consent.source})" if consent.source else ""
            return f"consent:{consent.kind.value} given {consent.given_at:%Y-%m-%d}{source}"
    if lead.ebr_last_transaction is not None and lead.ebr_last_transaction <= at:
        until = add_months(lead.ebr_last_transaction, EBR_AFTER_TRANSACTION_MONTHS)
        if at < until:
            return (f"ebr:transaction {lead.ebr_last_transaction:%Y-%m-%d} "
                    f"(valid until {until:%Y-%m-%d})")
    if lead.ebr_last_inquiry is not None and lead.ebr_last_inquiry <= at:
        until = add_months(lead.ebr_last_inquiry, EBR_AFTER_INQUIRY_MONTHS)
        if at < until:
            return f"ebr:inquiry {lead.ebr_last_inquiry:%Y-%m-%d} (valid until {until:%Y-%m-%d})"
    return None


FEDERAL_HOURS = CallingHoursRule(
    rule_id="us.calling_hours",
    title="Calling hours 08:00-21:00 called party's local time",
    citation="47 CFR 64.1200(c)(1); 16 CFR 310.4(c)",
    window=WeeklyWindow.daily(time(8), time(21)),
)


@dataclass(frozen=True, slots=True)
class InternalDncRule:
    """The company's own do-not-call list: no consent or relationship overrides an opt-out."""

    rule_id: str = "us.internal_dnc"
    title: str = "Company-specific do-not-call list"
    citation: str = "47 CFR 64.1200(d)(3),(6); 16 CFR 310.4(b)(1)(iii)(A)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.INTERNAL]
        if hits:
            detail = hits[0].detail or "opt-out recorded"
            return failed(self, f"on internal DNC {hits[0].version.version}: {detail}", None)
        return passed(self, at, "not on the internal do-not-call list")


@dataclass(frozen=True, slots=True)
class NationalDncRule:
    """The National Do Not Call Registry, unless a documented exemption applies."""

    rule_id: str = "us.national_dnc"
    title: str = "National Do Not Call Registry"
    citation: str = "47 CFR 64.1200(c)(2); 16 CFR 310.4(b)(1)(iii)(B)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.NATIONAL]
        if not hits:
            return passed(self, at, "not on the national registry")
        if not context.campaign.telemarketing:
            return passed(self, at, "listed, but the registry covers telephone solicitations "
                          "only (47 CFR 64.1200(f)(15))")
        exemption = registry_exemption(context.lead, at)
        if exemption is not None:
            return passed(self, at, f"listed in {hits[0].version.version}; exempt by {exemption}",
                          permission=exemption)
        return failed(self, f"listed in {hits[0].version.version} with no consent or "
                      "established business relationship", None)


@dataclass(frozen=True, slots=True)
class NationalFreshnessRule:
    """Refuse to dial on national data older than 31 days (the FTC's re-download period)."""

    rule_id: str = "us.national_freshness"
    title: str = "National registry data no older than 31 days"
    citation: str = "16 CFR 310.4(b)(3)(iv); 47 CFR 64.1200(c)(2)(i)(D)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.campaign.telemarketing:
            return passed(self, at, "not a telephone solicitation: registry not required")
        national = [v for v in context.versions if v.kind is RegistryKind.NATIONAL]
        if not national:
            return failed(self, "no national registry loaded: import it with `dialer dnc "
                          "import` before dialing", None)
        newest = max(national, key=lambda version: version.as_of)
        age = at - newest.as_of
        limit = context.campaign.national_max_age
        if age > limit:
            return failed(self, f"{newest.version} is {age.days} days old (limit {limit.days}); "
                          "load a newer registry", None)
        return passed(self, at, f"{newest.version} as of {newest.as_of:%Y-%m-%d} "
                      f"({age.days} days old)")


@dataclass(frozen=True, slots=True)
class WirelessConsentRule:
    """Autodialed or prerecorded calls to a wireless number need recorded prior consent."""

    rule_id: str = "us.wireless_consent"
    title: str = "Prior express consent for autodialed/prerecorded calls to wireless numbers"
    citation: str = "47 U.S.C. 227(b)(1)(A)(iii); 47 CFR 64.1200(a)(1)(iii), (a)(2)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign, lead, placement = context.campaign, context.lead, context.placement
        if not (campaign.requires_wireless_consent and
                (campaign.autodialed or campaign.prerecorded)):
            return passed(self, at, "campaign does not autodial or play recordings to wireless")
        if lead.wireless is not None:
            wireless, how = lead.wireless, "lead flag"
        elif placement.wireless_by_plan:
            wireless, how = True, "numbering plan: mobile"
        elif placement.line_type_ambiguous and campaign.treat_unknown_line_type_as_wireless:
            wireless, how = True, "line type unknown, treated as wireless by campaign setting"
        else:
            wireless, how = False, "not known to be wireless"
        if not wireless:
            return passed(self, at, how)
        # Telemarketing by autodialer/recording needs the written form (64.1200(a)(2)).
        accepted = (ConsentKind.PRIOR_EXPRESS_WRITTEN,) if campaign.telemarketing else (
            ConsentKind.PRIOR_EXPRESS, ConsentKind.PRIOR_EXPRESS_WRITTEN)
        for consent in lead.consents:
            if consent.kind in accepted and consent.valid_at(at):
                permission = f"consent:{consent.kind.value} given {consent.given_at:%Y-%m-%d}"
                return passed(self, at, f"wireless ({how}); {permission}", permission=permission)
        needed = " or ".join(kind.value for kind in accepted)
        return failed(self, f"wireless ({how}) and no valid {needed} consent recorded", None)


def federal_rules() -> tuple:
    return (FEDERAL_HOURS, InternalDncRule(), NationalDncRule(), NationalFreshnessRule(),
            WirelessConsentRule())
