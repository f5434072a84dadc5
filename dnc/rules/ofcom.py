"""UK: Ofcom's policy on persistent misuse of an electronic communications network (s.128-131
Communications Act 2003; revised statement of policy, published 20 Dec 2016, applying from
1 Mar 2017) and the Privacy and Electronic Communications Regulations 2003 (PECR).

- Abandoned calls: since 2016 the 3 % abandoned-call rate is no longer a safe harbour; any
  abandoned call can draw enforcement and a rate of 3 % **or more** (or any silent call) is a
  priority. The rule refuses at 3 % or more; campaign settings make pacing aim below it.
  Ofcom measures per campaign over 24 hours; the 2010 clarification reads that period as
  midnight to midnight, so the rule refuses when either the rolling 24 h rate or the
  current UK calendar day's rate (00:00 Europe/London, a 23- or 25-hour day when the
  clocks change) is 3 % or more.
- Repeat calls: none within 72 h of an abandoned call, nor within the same 24 hours of a call
  that reached an answering machine (AMD false positives included), unless a live agent is
  guaranteed (2010 statement, applied from 1 Feb 2011, kept in 2016).
- A subscriber's own objection to this caller (PECR reg. 21(1)(a)): no marketing call after
  an opt-out on the caller's list or a request recorded otherwise, until they say otherwise.
- TPS/CTPS (PECR reg. 21, 21B): no marketing call to a listed number without that caller's
  consent; screening data no older than 28 days (a registration takes effect after 28 days,
  which is why the industry screens at least every 28 days).
- Recorded-message marketing calls (PECR reg. 19) need the subscriber's prior consent.

UK calling hours are not statutory: Ofcom's policy sets none, so this profile imposes none
(a campaign may still choose its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dnc.interfaces import RegistryKind
from dnc.registry.store import is_uk_national_list
from dnc.rules import stamps
from dnc.rules.base import RuleContext, failed, passed
from dnc.rules.consent import in_force, relied_consent
from dnc.rules.model import ConsentKind, RuleOutcome

OFCOM_MAX_ABANDON_RATE = 0.03
OFCOM_ABANDON_WINDOW = timedelta(hours=24)
OFCOM_REPEAT_AFTER_ABANDON = timedelta(hours=72)
OFCOM_REPEAT_AFTER_MACHINE = timedelta(hours=24)
JUST_AFTER = timedelta(microseconds=1)
"""The first instant after a window's closed end (``datetime``'s resolution)."""
_LONGEST_DAY = timedelta(hours=2)
"""More than any local day lasts beyond 24 hours (25 h on the day clocks go back)."""
OFCOM_DAY_ZONE = ZoneInfo("Europe/London")
"""Whose midnight begins Ofcom's calendar day (UK local time, GMT or BST)."""
POLICY = "Ofcom revised statement of policy on persistent misuse (2016)"
ALL_CONSENTS = tuple(ConsentKind)
PECR_REG_21 = "PECR reg. 21: notified to that caller, for calls on that line"
PECR_REG_19 = "PECR reg. 19(2): notified to that caller, for calls on that line"


@dataclass(frozen=True, slots=True)
class CallingLineIdentityRule:
    rule_id: str = "uk.cli"
    title: str = "Presentation of a diallable calling line identity"
    citation: str = f"{POLICY}, Annex 1 (forms of misuse: no or invalid CLI); Ofcom CLI guidance"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if context.campaign.caller_id_present:
            return passed(self, at, "campaign presents a calling line identity")
        return failed(self, "campaign presents no calling line identity", None)


@dataclass(frozen=True, slots=True)
class AbandonRateRule:
    rule_id: str = "uk.abandon_rate"
    title: str = ("Abandoned calls below 3 % of live calls per 24 h and per UK calendar day "
                  "(campaign)")
    citation: str = f"{POLICY}, Annex 2 (prioritisation: 3 % or more) and Annex 3 (the ACR)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        state = context.campaign_state
        if state is None:
            # No running campaign behind this decision (lead selection, doctor, explain): the
            # rate is the dial's to judge; the dial-time gate always supplies a state.
            return passed(self, at, "no campaign measurements here: the rate is judged at "
                          "the dial")
        rate, today = _measured(state.abandon_rate_24h), _measured(state.abandon_rate_today)
        if rate is None:
            # A running campaign whose 24 h rate is not known (not measured yet, or measured
            # over another window): a missing fact refuses the dial.
            return failed(self, "the campaign's abandoned-call rate over the last 24 h is not "
                          "known (the runner measures it when the campaign's abandonment "
                          "window is 24 h, the UK default)", None)
        if today is None:
            return failed(self, "the campaign's abandoned-call rate today (since 00:00 UK "
                          "time) is not known (the runner measures it with the 24 h rate)",
                          None)
        if rate >= OFCOM_MAX_ABANDON_RATE:
            return failed(self, f"campaign abandoned {rate:.2%} of live calls in 24 h "
                          f"(refused at {OFCOM_MAX_ABANDON_RATE:.0%} or more); time "
                          "unforeseeable", None)
        if today >= OFCOM_MAX_ABANDON_RATE:
            # The stricter reading of the 24-hour period (2010 clarification: midnight to
            # midnight): at 23:00 the day's own rate can be 3 % while the rolling one,
            # diluted by the previous evening, is below.
            return failed(self, f"campaign abandoned {today:.2%} of live calls today (UK "
                          f"calendar day since 00:00 Europe/London; refused at "
                          f"{OFCOM_MAX_ABANDON_RATE:.0%} or more); time unforeseeable", None)
        return passed(self, at, f"campaign abandon rate {rate:.2%} in 24 h and {today:.2%} "
                      f"today, below {OFCOM_MAX_ABANDON_RATE:.0%}")


def _measured(rate: float | None) -> float | None:
    """A rate as measured, or None (unknown, so the dial is refused) when it is not a rate
    at all: NaN compares false with the 3 % line and would pass every dial."""
    return rate if rate is not None and 0.0 <= rate <= 1.0 else None


def ofcom_day_start(at: datetime) -> datetime:
    """00:00 UK local time (Europe/London) of the day ``at`` falls in, as a UTC instant.

    UK clocks change at 01:00 UTC, never at midnight, so every local midnight exists once;
    the day it begins lasts 23 hours in March and 25 in October."""
    local = at.astimezone(OFCOM_DAY_ZONE)
    return datetime.combine(local.date(), time(0), tzinfo=OFCOM_DAY_ZONE).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RepeatAfterAbandonRule:
    rule_id: str = "uk.repeat_after_abandon"
    title: str = "No repeat call within 72 h of an abandoned call unless an agent is guaranteed"
    citation: str = f"{POLICY}, Annex 1 (abandoned calls: repeat calls within 72 hours)"
    lookback: timedelta = OFCOM_REPEAT_AFTER_ABANDON + timedelta(minutes=1)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        number = context.lead.number_e164
        # "Within 72 hours" includes the 72nd hour's last instant: a call exactly 72 h after
        # the abandoned one is refused, the next microsecond is not.
        abandoned = [a for a in context.attempts if a.abandoned and a.number_e164 == number
                     and at - OFCOM_REPEAT_AFTER_ABANDON <= a.at <= at]
        if not abandoned:
            return passed(self, at, "no abandoned call to this number in 72 h")
        if context.campaign.agent_guaranteed:
            return passed(self, at, "abandoned call in 72 h, but an agent is guaranteed",
                          permission="ofcom:agent-guaranteed")
        last = max(abandoned, key=lambda attempt: attempt.at)
        return failed(self, f"call abandoned at {stamps.minute(last.at)} UTC",
                      last.at + OFCOM_REPEAT_AFTER_ABANDON + JUST_AFTER)


@dataclass(frozen=True, slots=True)
class RepeatAfterMachineRule:
    """A number where AMD detected an answering machine is not called again within the same
    24 hours unless a live agent is guaranteed (AMD false positives are why).

    "The same 24-hour period" is read both ways and the stricter wins: 24 hours after the
    verdict, that instant included, and the rest of the verdict's calendar day in every
    zone of the called party (Ofcom's 2010 clarification reads its 24-hour period as
    midnight to midnight). The two differ on the day the clocks go back, which lasts 25
    hours: a verdict at 00:30 BST and a call at 23:45 GMT that day are 24 h 15 min apart."""

    rule_id: str = "uk.repeat_after_machine"
    title: str = "No repeat call within 24 h of an AMD answering-machine verdict"
    citation: str = (f"{POLICY}, Annex 1 (AMD: repeat calls in the same 24-hour period only "
                     "with a guaranteed live agent; 2010 statement, from 1 Feb 2011)")
    lookback: timedelta = OFCOM_REPEAT_AFTER_MACHINE + _LONGEST_DAY

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        number = context.lead.number_e164
        zones = context.zones
        machines = [(a, _blocked_until(a.at, zones)) for a in context.attempts
                    if a.machine and a.number_e164 == number
                    and at - OFCOM_REPEAT_AFTER_MACHINE - _LONGEST_DAY <= a.at <= at]
        machines = [(a, until) for a, until in machines if at < until]
        if not machines:
            return passed(self, at, "no answering machine detected on this number in 24 h "
                          "or on the same day")
        if context.campaign.agent_guaranteed:
            return passed(self, at, "answering machine in 24 h, but an agent is guaranteed",
                          permission="ofcom:agent-guaranteed")
        last, until = max(machines, key=lambda pair: pair[1])
        return failed(self, f"AMD detected an answering machine at {stamps.minute(last.at)} "
                      "UTC", until)



def _blocked_until(verdict: datetime, zones: tuple[ZoneInfo, ...]) -> datetime:
    """The first instant a repeat call after an answering-machine verdict may be made: past
    24 hours after it (that instant included) and past the end of its local day in every
    zone of the called party."""
    until = verdict + OFCOM_REPEAT_AFTER_MACHINE + JUST_AFTER
    for zone in zones:
        day = verdict.astimezone(zone).date() + timedelta(days=1)
        until = max(until, datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC))
    return until


@dataclass(frozen=True, slots=True)
class TelephonePreferenceRule:
    """UK marketing calls may not go to TPS/CTPS-registered numbers without consent."""

    rule_id: str = "uk.tps"
    title: str = "Telephone Preference Service (TPS/CTPS) registrations"
    citation: str = "Privacy and Electronic Communications (EC Directive) Regulations 2003, " \
        "reg. 21, 21B"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if is_uk_national_list(h.version.registry)]
        if not hits or not context.campaign.telemarketing:
            return passed(self, at, "not on a TPS/CTPS list loaded" if not hits else
                          "listed, but not a marketing call")
        # Consent must be a positive notification to this caller for that line: one that
        # names no seller or no number is not relied on, whatever its kind.
        consent, text = relied_consent(
            context.lead.consents, ALL_CONSENTS, at, number=context.lead.number_e164,
            seller=context.campaign.seller, revocations=context.revocations,
            named_by=PECR_REG_21)
        if consent is not None:
            return passed(self, at, f"listed in {hits[0].version.version}; {text}",
                          permission=text)
        return failed(self, f"listed in {hits[0].version.version} ({text})", None)


@dataclass(frozen=True, slots=True)
class PreviousObjectionRule:
    """A subscriber who told this caller not to make marketing calls to the line is not
    called for marketing (PECR reg. 21(1)(a)), TPS or not: the caller's own do-not-call list
    (an opt-out key pressed, a request taken by an agent or an officer) with nothing to lift
    it, and a request recorded by any other way (``dialer compliance revoke``, a
    revocations file: a letter, an e-mail, a "stop" to the seller) until the subscriber
    notifies this caller, for this line, that they no longer object (a consent naming the
    seller and the number, given after it: the objection is "for the time being")."""

    rule_id: str = "uk.previous_objection"
    title: str = "No marketing call to a subscriber who asked this caller not to call"
    citation: str = "Privacy and Electronic Communications (EC Directive) Regulations 2003, " \
        "reg. 21(1)(a)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.campaign.telemarketing:
            return passed(self, at, "not a marketing call")
        hits = context.hits
        listed = [h for h in hits if h.version.kind is RegistryKind.INTERNAL] if hits else ()
        if listed:
            detail = listed[0].detail or "opt-out recorded"
            return failed(self, f"the subscriber told this caller not to call: on internal "
                          f"DNC {listed[0].version.version}: {detail}", None)
        stop = None
        for revocation in context.revocations:
            if in_force(revocation, at) and (stop is None or revocation.at > stop.at):
                stop = revocation
        if stop is None:
            return passed(self, at, "no request not to be called on record")
        asked = f"{stamps.minute(stop.at)} UTC ({stop.channel})"
        # ``relied_consent`` ends every consent given before a revocation in force: one it
        # relies on was notified to this caller, for this line, after the last of them.
        consent, text = relied_consent(
            context.lead.consents, ALL_CONSENTS, at, number=context.lead.number_e164,
            seller=context.campaign.seller, revocations=context.revocations,
            named_by=PECR_REG_21)
        if consent is not None:
            return passed(self, at, f"asked not to be called at {asked}; no longer objects "
                          f"since: {text}", permission=text)
        return failed(self, f"the subscriber asked this caller not to call at {asked} and "
                      "has not said since that they no longer object", None)


@dataclass(frozen=True, slots=True)
class TpsFreshnessRule:
    """Marketing calls only on TPS/CTPS data screened within the last 28 days."""

    rule_id: str = "uk.tps_freshness"
    title: str = "TPS/CTPS data no older than 28 days"
    citation: str = ("PECR 2003 reg. 21(2), 26 (a TPS registration takes effect 28 days after "
                     "it is made); TPS/ICO guidance: screen at least every 28 days")
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.campaign.telemarketing:
            return passed(self, at, "not a marketing call: TPS screening not required")
        tps = [v for v in context.versions if is_uk_national_list(v.registry) and v.as_of <= at]
        if not tps:
            return failed(self, "no TPS/CTPS list loaded: import it (`dialer dnc import "
                          "--registry tps FILE`) before dialing", None)
        limit = context.campaign.tps_max_age
        stale = []
        for name in sorted({v.registry.lower().split(":")[0] for v in tps}):
            newest = max((v for v in tps if v.registry.lower().split(":")[0] == name),
                         key=lambda v: v.as_of)
            if at - newest.as_of > limit:
                stale.append(f"{newest.version} is {(at - newest.as_of).days} days old")
        if stale:
            return failed(self, "; ".join(stale) + f" (limit {limit.days} days): screen again",
                          None)
        return passed(self, at, "TPS/CTPS data within 28 days")


@dataclass(frozen=True, slots=True)
class AutomatedCallConsentRule:
    """Recorded-message marketing calls need the subscriber's prior consent to this caller."""

    rule_id: str = "uk.automated_calls"
    title: str = "Consent for automated (recorded-message) marketing calls"
    citation: str = "Privacy and Electronic Communications (EC Directive) Regulations 2003, " \
        "reg. 19"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign = context.campaign
        if not (campaign.prerecorded and campaign.telemarketing):
            return passed(self, at, "no recorded marketing message")
        consent, text = relied_consent(
            context.lead.consents, ALL_CONSENTS, at, number=context.lead.number_e164,
            seller=campaign.seller, revocations=context.revocations, named_by=PECR_REG_19)
        if consent is None:
            return failed(self, f"recorded marketing message and {text}", None)
        return passed(self, at, text, permission=text)


def abandon_rate(abandoned: int, live_answered: int) -> float:
    """Ofcom's measure: abandoned calls over live-answered calls (including abandoned)."""
    return abandoned / live_answered if live_answered else 0.0


def ofcom_rules() -> tuple:
    return (CallingLineIdentityRule(), AbandonRateRule(), RepeatAfterAbandonRule(),
            RepeatAfterMachineRule(), PreviousObjectionRule(), TelephonePreferenceRule(),
            TpsFreshnessRule(), AutomatedCallConsentRule())
