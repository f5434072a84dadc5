"""Jurisdiction profiles: which rules a campaign's selection brings in, and in what order."""

from __future__ import annotations

from dnc.rules.base import AttemptLimitRule, Rule
from dnc.rules.federal import federal_rules
from dnc.rules.model import CampaignRules, Profile
from dnc.rules.ofcom import ofcom_rules
from dnc.rules.regf import reg_f_rules
from dnc.rules.state import state_rules
from dnc.rules.tables import RuleTables

PROFILE_SUMMARIES = {
    Profile.US_FEDERAL: "TCPA 47 CFR 64.1200 and FTC TSR 16 CFR 310.4: calling hours "
    "08:00-21:00 local, internal DNC, National Registry (with consent/EBR exemptions and a "
    "31-day freshness limit), prior express consent for autodialed calls to wireless numbers",
    Profile.US_STATE: "State overlays from dnc/data/state_rules.csv: stricter hours, Sunday and "
    "holiday bans, attempt limits; state DNC registries (telemarketing campaigns only)",
    Profile.REG_F: "CFPB Regulation F 12 CFR 1006: no calls 21:00-08:00, at most 7 attempts "
    "per debt in 7 days, none within 7 days after a conversation",
    Profile.UK_OFCOM: "Ofcom persistent misuse policy: CLI required, 3 % abandoned calls per "
    "24 h, no repeat within 72 h of an abandoned call unless an agent is guaranteed; "
    "TPS/CTPS listings (PECR reg. 21, registries named tps/ctps); UK calling hours are not "
    "statutory and are not imposed",
}


def rules_for_campaign(campaign: CampaignRules, tables: RuleTables) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for profile in dict.fromkeys(campaign.profiles):
        if profile is Profile.US_FEDERAL:
            rules.extend(federal_rules())
        elif profile is Profile.US_STATE:
            rules.extend(state_rules(campaign, tables))
        elif profile is Profile.REG_F:
            rules.extend(reg_f_rules())
        elif profile is Profile.UK_OFCOM:
            rules.extend(ofcom_rules())
    for index, cap in enumerate(campaign.attempt_caps, 1):
        rules.append(AttemptLimitRule(
            rule_id=f"campaign.attempts.{index}",
            title=f"Campaign cap: {cap.max_calls} calls per {cap.window}",
            citation="campaign setting", max_calls=cap.max_calls, window=cap.window,
            scope="subject" if cap.same_subject else "number"))
    return tuple(rules)
