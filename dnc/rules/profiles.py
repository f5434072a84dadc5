"""Jurisdiction profiles: which rules a campaign's selection brings in, and in what order.

A number outside every profile of the campaign (a +44 number in a US campaign, a US number
in a UK one) is refused by ``campaign.jurisdiction``: none of the campaign's rule books can
prove the call lawful. Lead import, ``dialer dnc scrub``, ``dialer compliance explain`` and
dialing all give this same reason (``out_of_profile_reason``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from dnc.registry.store import is_own_list
from dnc.rules.base import AttemptLimitRule, Rule, RuleContext, failed, new_tuple
from dnc.rules.consent import same_seller
from dnc.rules.federal import federal_rules
from dnc.rules.model import CampaignRules, Profile, RuleOutcome
from dnc.rules.ofcom import ofcom_rules
from dnc.rules.regf import reg_f_rules
from dnc.rules.state import state_rules
from dnc.rules.tables import RuleTables

US_REGIONS = frozenset({"US", "PR", "GU", "MP", "AS", "VI"})
PROFILE_REGIONS: dict[Profile, frozenset[str]] = {
    Profile.US_FEDERAL: US_REGIONS,
    Profile.US_STATE: US_REGIONS,
    Profile.REG_F: US_REGIONS,
    Profile.UK_OFCOM: frozenset({"GB"}),
}
"""ISO regions (of the numbering plan) each profile's rules were written for: US law for the
US and its territories (Canada and the Caribbean share the NANP but not US law), UK law for
the UK (the Crown dependencies have their own regulators)."""

PROFILE_SUMMARIES = {
    Profile.US_FEDERAL: "TCPA 47 CFR 64.1200 and FTC TSR 16 CFR 310.4: calling hours "
    "08:00-21:00 local in every candidate zone, internal DNC, National Registry (with "
    "seller-specific written consent/EBR exemptions and a 31-day freshness limit), prior "
    "express (written, for telemarketing) consent for autodialed or prerecorded calls to "
    "wireless numbers (unknown line type counts as wireless by default), prerecorded "
    "consent, content and the exempt-call cap, the RND safe harbour, consent revocations, "
    "caller ID transmitted (telemarketing)",
    Profile.US_STATE: "State overlays from dnc/data/state_rules.csv: stricter hours, Sunday and "
    "holiday bans, per-person attempt limits, autodialer/prerecorded consent and bans; state "
    "DNC registries (telemarketing campaigns only); declared emergencies and area holidays",
    Profile.REG_F: "CFPB Regulation F 12 CFR 1006: no calls 21:00-08:00, at most 7 attempts "
    "to a person per debt in 7 days (rolling and local calendar days), none within 7 days "
    "after a conversation",
    Profile.UK_OFCOM: "Ofcom persistent misuse policy (2016): CLI required, refused at 3 % or "
    "more abandoned calls per 24 h, no repeat within 72 h of an abandoned call nor within "
    "24 h of an answering machine unless an agent is guaranteed; no marketing call to a "
    "subscriber who told this caller not to call (PECR reg. 21(1)(a)); TPS/CTPS listings (PECR "
    "reg. 21, registries named tps/ctps) screened within 28 days; consent for recorded "
    "marketing messages (PECR reg. 19); UK calling hours are not statutory and not imposed",
}


JURISDICTION_ALIASES: dict[str, tuple[Profile, ...]] = {
    "us": (Profile.US_FEDERAL, Profile.US_STATE),
    "us_federal": (Profile.US_FEDERAL,),
    "us_state": (Profile.US_STATE,),
    "reg_f": (Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F),
    "uk": (Profile.UK_OFCOM,),
    "uk_ofcom": (Profile.UK_OFCOM,),
}
"""The names a campaign's ``jurisdiction`` setting (and ``dialer dnc scrub --jurisdiction``)
may use, comma-separated."""


def profiles_for(jurisdiction: str) -> tuple[Profile, ...]:
    """The profiles a jurisdiction text names (ValueError naming an unknown one)."""
    found: list[Profile] = []
    for part in jurisdiction.lower().replace(" ", "").split(","):
        if not part:
            continue
        profiles = JURISDICTION_ALIASES.get(part)
        if profiles is None:
            known = ", ".join(sorted(JURISDICTION_ALIASES))
            raise ValueError(f"unknown jurisdiction {part!r}; known: {known}")
        found.extend(p for p in profiles if p not in found)
    return tuple(found) or (Profile.US_FEDERAL,)


@lru_cache(maxsize=64)
def campaign_regions(profiles: tuple[Profile, ...]) -> frozenset[str]:
    found: set[str] = set()
    for profile in profiles:
        found |= PROFILE_REGIONS[profile]
    return frozenset(found)


def out_of_profile_reason(region: str | None, profiles: tuple[Profile, ...]) -> str | None:
    """Why a number of ``region`` is outside every profile (None when one covers it)."""
    if region in campaign_regions(profiles):
        return None
    names = ", ".join(p.value for p in profiles)
    return (f"number outside every profile of the campaign (its region is "
            f"{region or 'unknown'}; the campaign's profiles {names} cover "
            f"{', '.join(sorted(campaign_regions(profiles)))})")


@dataclass(frozen=True, slots=True)
class JurisdictionRule:
    rule_id: str = "campaign.jurisdiction"
    title: str = "The number is inside a profile of the campaign"
    citation: str = "the campaign's jurisdiction profiles (no rule book covers other numbers)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        region = context.placement.region
        profiles = context.campaign.profiles
        covered = _COVERED.get(id(profiles))
        if covered is None or covered[0] is not profiles:
            if len(_COVERED) >= 64:
                _COVERED.clear()
            covered = _COVERED[id(profiles)] = (profiles, campaign_regions(profiles))
        if region in covered[1]:
            return new_tuple(RuleOutcome, (self.rule_id, True, f"region {region} is covered",
                                            self.citation, at, None, True))
        return failed(self, out_of_profile_reason(region, profiles) or "", None)


@dataclass(frozen=True, slots=True)
class OwnListRule:
    """Lists of the operator's own (``dnc import --registry client-acme``: a client's or the
    company's suppression list): a listed number is refused, whatever the profile, the
    consents or the kind of call, in every campaign the list binds.

    Until 2026-12-07 such a list was read by ``dnc scrub`` only: imported, it was taken for a
    list the dialer honours, and a lead imported without a scrub was dialed (``compliance
    explain`` passed it). A seller's do-not-call requests bind every telemarketer calling on
    its behalf, so a client's list is the law's company-specific list for that client's
    campaigns. A list binds every campaign unless the officer scoped it at import
    (``--seller``): then it binds the campaigns of those sellers and any campaign that
    declares no seller (it cannot be shown to be another seller's); elsewhere the listing
    is reported in this rule's reason, never silently passed over. The UK's TPS and CTPS
    files are registries of that kind too, read by their own rules (``uk.tps``), not here."""

    rule_id: str = "campaign.own_lists"
    title: str = "Lists of your own (a client's or the company's suppression lists)"
    citation: str = ("the operator's suppression lists; a seller's do-not-call requests: "
                     "47 CFR 64.1200(d)(3), 16 CFR 310.4(b)(1)(iii)(A)")
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        passed_over: list[str] | None = None
        for hit in context.hits or ():
            info = hit.version
            if not is_own_list(info.kind, info.registry):
                continue
            why = list_binds(info, context.campaign)
            if why is not None:
                return failed(self, f"on your own list {info.version}{why}: no consent or "
                              "relationship overrides it", None)
            passed_over = [*(passed_over or ()), f"{info.version} ({scope_text(info)}; this "
                           f"campaign's seller is {context.campaign.seller!r})"]
        if passed_over:
            return new_tuple(RuleOutcome, (
                self.rule_id, True, "listed only on lists of your own scoped elsewhere, not "
                f"applied: {'; '.join(passed_over)}", self.citation, at, None, True))
        return new_tuple(RuleOutcome, (self.rule_id, True, "on no list of your own",
                                        self.citation, at, None, True))


def scope_text(info) -> str:
    """A scoped list's scope in words (``scoped to seller 'Acme Solar'``)."""
    return "scoped to " + ", ".join(f"seller {s!r}" for s in info.sellers)


def list_binds(info, campaign: CampaignRules) -> str | None:
    """Why a list of one's own binds ``campaign`` (None: it does not). Unscoped: every
    campaign; scoped to sellers: a campaign of one of them, or a campaign that declares no
    seller (fail closed: it may be theirs)."""
    if not info.sellers:
        return ""
    if not campaign.seller:
        return f" ({scope_text(info)}; this campaign declares no seller, so it may be theirs)"
    if any(same_seller(campaign.seller, s) for s in info.sellers):
        return f" ({scope_text(info)}: this campaign's seller)"
    return None


_COVERED: dict[int, tuple[tuple[Profile, ...], frozenset[str]]] = {}
"""A campaign's profiles (by identity; the tuple is kept so its id is not reused) -> the
regions they cover: a gate passes the same campaign at every check."""


def rules_for_campaign(campaign: CampaignRules, tables: RuleTables) -> tuple[Rule, ...]:
    return tuple(rule for rule, _ in profile_rules(campaign, tables))


def profile_rules(campaign: CampaignRules, tables: RuleTables
                  ) -> tuple[tuple[Rule, frozenset[str] | None], ...]:
    """Every rule of the campaign with the regions it concerns (None: every number). A rule
    of one profile does not judge a number of another profile's region (the UK's TPS rules
    say nothing about a US number of a campaign that has both profiles)."""
    rules: list[tuple[Rule, frozenset[str] | None]] = [(JurisdictionRule(), None),
                                                        (OwnListRule(), None)]
    for profile in dict.fromkeys(campaign.profiles):
        regions = PROFILE_REGIONS[profile]
        if profile is Profile.US_FEDERAL:
            rules.extend((rule, regions) for rule in federal_rules(campaign))
        elif profile is Profile.US_STATE:
            rules.extend((rule, regions) for rule in state_rules(campaign, tables))
        elif profile is Profile.REG_F:
            rules.extend((rule, regions) for rule in reg_f_rules())
        elif profile is Profile.UK_OFCOM:
            rules.extend((rule, regions) for rule in ofcom_rules())
    for index, cap in enumerate(campaign.attempt_caps, 1):
        rules.append((AttemptLimitRule(
            rule_id=f"campaign.attempts.{index}",
            title=f"Campaign cap: {cap.max_calls} calls per {cap.window}"
            + (" to a person" if cap.per_person else " to a number"),
            citation="campaign setting", max_calls=cap.max_calls, window=cap.window,
            per_person=cap.per_person, same_subject=cap.same_subject), None))
    return tuple(rules)
