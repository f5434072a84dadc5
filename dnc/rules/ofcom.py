"""UK Ofcom: persistent misuse of an electronic communications network (s.128-131
Communications Act 2003) and Ofcom's statement of policy on persistent misuse (2016, A1.46ff).

UK calling hours are not statutory: Ofcom's policy sets none, so this profile imposes none
(a campaign may still choose its own). The 3 % abandoned-call ceiling is a campaign-level
rate over 24 h: pacing must enforce it; a decision refuses while the measured rate is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dnc.interfaces import RegistryKind
from dnc.rules.base import RuleContext, failed, passed
from dnc.rules.model import RuleOutcome

OFCOM_MAX_ABANDON_RATE = 0.03
OFCOM_ABANDON_WINDOW = timedelta(hours=24)
OFCOM_REPEAT_AFTER_ABANDON = timedelta(hours=72)
POLICY = "Ofcom persistent misuse policy (2016), Annex 1"


@dataclass(frozen=True, slots=True)
class CallingLineIdentityRule:
    rule_id: str = "uk.cli"
    title: str = "Presentation of a diallable calling line identity"
    citation: str = f"{POLICY} A1.48(d)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if context.campaign.caller_id_present:
            return passed(self, at, "campaign presents a calling line identity")
        return failed(self, "campaign presents no calling line identity", None)


@dataclass(frozen=True, slots=True)
class AbandonRateRule:
    rule_id: str = "uk.abandon_rate"
    title: str = "Abandoned calls at most 3 % of live calls per 24 h (campaign)"
    citation: str = f"{POLICY} A1.48(a)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        state = context.campaign_state
        if state is None or state.abandon_rate_24h is None:
            return passed(self, at, "campaign rate not supplied: pacing enforces the ceiling")
        rate = state.abandon_rate_24h
        if rate > OFCOM_MAX_ABANDON_RATE:
            return failed(self, f"campaign abandoned {rate:.2%} of live calls in 24 h "
                          f"(ceiling {OFCOM_MAX_ABANDON_RATE:.0%}); time unforeseeable", None)
        return passed(self, at, f"campaign abandon rate {rate:.2%} within "
                      f"{OFCOM_MAX_ABANDON_RATE:.0%}")


@dataclass(frozen=True, slots=True)
class RepeatAfterAbandonRule:
    rule_id: str = "uk.repeat_after_abandon"
    title: str = "No repeat call within 72 h of an abandoned call unless an agent is guaranteed"
    citation: str = f"{POLICY} A1.48(e)"
    lookback: timedelta = OFCOM_REPEAT_AFTER_ABANDON

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        abandoned = [a for a in context.attempts
                     if a.abandoned and at - OFCOM_REPEAT_AFTER_ABANDON < a.at <= at]
        if not abandoned:
            return passed(self, at, "no abandoned call to this number in 72 h")
        if context.campaign.agent_guaranteed:
            return passed(self, at, "abandoned call in 72 h, but an agent is guaranteed",
                          permission="ofcom:agent-guaranteed")
        last = max(abandoned, key=lambda attempt: attempt.at)
        return failed(self, f"call abandoned at {last.at:%Y-%m-%d %H:%M} UTC",
                      last.at + OFCOM_REPEAT_AFTER_ABANDON)


@dataclass(frozen=True, slots=True)
class TelephonePreferenceRule:
    """UK marketing calls may not go to TPS/CTPS-registered numbers without consent."""

    rule_id: str = "uk.tps"
    title: str = "Telephone Preference Service (TPS/CTPS) registrations"
    citation: str = "Privacy and Electronic Communications (EC Directive) Regulations 2003, " \
        "reg. 21"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.OTHER
                and h.version.registry.lower().split(":")[0] in ("tps", "ctps")]
        if not hits or not context.campaign.telemarketing:
            return passed(self, at, "not on a TPS/CTPS list loaded" if not hits else
                          "listed, but not a marketing call")
        for consent in context.lead.consents:
            if consent.valid_at(at):
                permission = f"consent:{consent.kind.value} given {consent.given_at:%Y-%m-%d}"
                return passed(self, at, f"listed in {hits[0].version.version}; {permission}",
                              permission=permission)
        return failed(self, f"listed in {hits[0].version.version} and no consent recorded", None)


def abandon_rate(abandoned: int, live_answered: int) -> float:
    """Ofcom's measure: abandoned calls over live-answered calls (including abandoned)."""
    return abandoned / live_answered if live_answered else 0.0


def ofcom_rules() -> tuple:
    return (CallingLineIdentityRule(), AbandonRateRule(), RepeatAfterAbandonRule(),
            TelephonePreferenceRule())
