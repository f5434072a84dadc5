"""US federal rules: TCPA (47 CFR 64.1200) and the FTC Telemarketing Sales Rule (16 CFR 310.4)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules import stamps
from dnc.rules.base import (
    AttemptLimitRule,
    CallingHoursRule,
    RuleContext,
    failed,
    new_tuple,
    passed,
)
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.consent import in_force
from dnc.rules.line_type import LineFinding
from dnc.rules.model import CampaignRules, ConsentKind, LazyReason, LeadFacts, RuleOutcome

EBR_AFTER_TRANSACTION_MONTHS = 18   # 47 CFR 64.1200(f)(5); 16 CFR 310.2(q)(1)
EBR_AFTER_INQUIRY_MONTHS = 3        # 47 CFR 64.1200(f)(5); 16 CFR 310.2(q)(2)
REGISTRY_PERMISSIONS = (ConsentKind.WRITTEN_PERMISSION, ConsentKind.PRIOR_EXPRESS_WRITTEN)
WRITTEN_CONSENT = (ConsentKind.PRIOR_EXPRESS_WRITTEN,)
"""The consent telemarketing by autodialer or recording needs (47 CFR 64.1200(a)(2))."""
EXPRESS_CONSENT = (ConsentKind.PRIOR_EXPRESS, ConsentKind.PRIOR_EXPRESS_WRITTEN)
"""Prior express consent, of which written consent is one form."""
TOLL_FREE_CODES = ("800", "833", "844", "855", "866", "877", "888")
"""NANP toll-free area codes (47 CFR 52.101(f); the 8XX service access codes in use)."""


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def registry_exemption(context: RuleContext, at: datetime) -> tuple[str | None, str]:
    """The documented permission that lets a telemarketer call a registered number, if any,
    and otherwise why none counts.

    Written permission / prior express written consent naming this seller and number
    (47 CFR 64.1200(c)(2)(ii); 16 CFR 310.4(b)(1)(iii)(B)(1)) or an established business
    relationship: 18 months after the last transaction, 3 months after an inquiry
    (47 CFR 64.1200(f)(5); 16 CFR 310.2(q)).
    """
    lead = context.lead
    consent, text = context.relied_consent(REGISTRY_PERMISSIONS, at)
    if consent is not None:
        return text, ""
    ebr = ebr_permission(lead, at)
    if ebr is not None:
        stop = _stop_request(context.revocations, at)
        if stop is not None:
            # 64.1200(f)(5)(i): a seller-specific do-not-call request terminates the
            # relationship "even if the subscriber continues to do business with the seller".
            return None, f"{text}; {ebr} ended by the request of {_stop_text(stop)}"
        return ebr, ""
    return None, text


def _stop_request(revocations: tuple, at: datetime):
    """The latest revocation in force at ``at`` (None: none)."""
    found = None
    for revocation in revocations:
        if in_force(revocation, at) and (found is None or revocation.at > found.at):
            found = revocation
    return found


def _stop_text(revocation) -> str:
    return f"{stamps.minute(revocation.at)} UTC ({revocation.channel})"


def ebr_permission(lead: LeadFacts, at: datetime) -> str | None:
    if lead.ebr_last_transaction is not None and lead.ebr_last_transaction <= at:
        until = add_months(lead.ebr_last_transaction, EBR_AFTER_TRANSACTION_MONTHS)
        if at < until:
            return (f"ebr:transaction {stamps.day(lead.ebr_last_transaction)} "
                    f"(valid until {stamps.day(until)})")
    if lead.ebr_last_inquiry is not None and lead.ebr_last_inquiry <= at:
        until = add_months(lead.ebr_last_inquiry, EBR_AFTER_INQUIRY_MONTHS)
        if at < until:
            return (f"ebr:inquiry {stamps.day(lead.ebr_last_inquiry)} "
                    f"(valid until {stamps.day(until)})")
    return None


FEDERAL_HOURS = CallingHoursRule(
    rule_id="us.calling_hours",
    title="Calling hours 08:00-21:00 called party's local time",
    citation="47 CFR 64.1200(c)(1); 16 CFR 310.4(c)",
    window=WeeklyWindow.daily(time(8), time(21)),
)


@dataclass(frozen=True, slots=True)
class CallerIdRule:
    """Telemarketing calls transmit caller identification: the number (and the name when the
    carrier offers it) of the seller or telemarketer, one that accepts do-not-call requests
    during business hours."""

    rule_id: str = "us.caller_id"
    title: str = "Caller identification transmitted"
    citation: str = "47 CFR 64.1601(e); 16 CFR 310.4(a)(8)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if not context.campaign.telemarketing:
            return passed(self, at, "not telemarketing: caller ID rule of 64.1601(e) not "
                          "required")
        if context.campaign.caller_id_present:
            return new_tuple(RuleOutcome, (self.rule_id, True, "the campaign presents a "
                                            "caller ID", self.citation, at, None, True))
        return failed(self, "the campaign presents no caller ID (telemarketing must transmit "
                      "one)", None)


@dataclass(frozen=True, slots=True)
class InternalDncRule:
    """The company's own do-not-call list: no consent or relationship overrides an opt-out."""

    rule_id: str = "us.internal_dnc"
    title: str = "Company-specific do-not-call list"
    citation: str = "47 CFR 64.1200(d)(3),(6); 16 CFR 310.4(b)(1)(iii)(A)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.INTERNAL
                ] if context.hits else None
        if hits:
            detail = hits[0].detail or "opt-out recorded"
            return failed(self, f"on internal DNC {hits[0].version.version}: {detail}", None)
        return new_tuple(RuleOutcome, (self.rule_id, True, "not on the internal do-not-call "
                                        "list", self.citation, at, None, True))


ANY_CONSENT = (ConsentKind.PRIOR_EXPRESS, ConsentKind.PRIOR_EXPRESS_WRITTEN,
               ConsentKind.WRITTEN_PERMISSION)


@dataclass(frozen=True, slots=True)
class StopRequestRule:
    """A recorded revocation is the person's statement that they do not wish to be called:
    for telemarketing, a do-not-call request (no telemarketing call to a person who "has
    previously stated that he or she does not wish to receive an outbound telephone call
    made by or on behalf of the seller", 16 CFR 310.4(b)(1)(iii)(A); 64.1200(d)(3): a
    request "not to receive calls" is honoured, since 11 Apr 2025 within at most 10
    business days; FCC 24-24: revocation by any reasonable means that "clearly expresses a
    desire not to receive further calls"). Honoured from its recording (the strict end of
    the 10 days), in every telemarketing campaign, whatever the line or the registries
    say; a consent the person gave *after* it (any kind, naming this seller and number
    where written) lifts it. Exempt (non-telemarketing) prerecorded calls too: FCC 20-186
    conditions their exemption on honouring opt-out requests (``stop_requests_apply``).
    The strict reading: that a consent revocation is also a do-not-call request for calls
    that need no consent is for counsel (compliance.md)."""

    rule_id: str = "us.stop_request"
    title: str = ("No telemarketing or exempt prerecorded call after the person asked not "
                  "to be called")
    citation: str = ("16 CFR 310.4(b)(1)(iii)(A); 47 CFR 64.1200(d)(3), (f)(5)(i), "
                     "(a)(3)(ii)-(v) (FCC 20-186); FCC 24-24 (47 CFR 64.1200(a)(10))")
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        revocations = context.revocations
        if not revocations or not stop_requests_apply(context.campaign):
            return new_tuple(RuleOutcome, (self.rule_id, True, _NO_STOP, self.citation, at,
                                            None, True))
        stop = _stop_request(revocations, at)
        if stop is None:
            return new_tuple(RuleOutcome, (self.rule_id, True, _NO_STOP, self.citation, at,
                                            None, True))
        # ``relied_consent`` ends every consent given before a revocation in force: one it
        # still relies on was given after the last of them.
        consent, text = context.relied_consent(ANY_CONSENT, at)
        if consent is not None:
            return passed(self, at, f"asked not to be called at {_stop_text(stop)}; "
                          f"consented since: {text}", permission=text)
        return failed(self, f"the person asked not to be called at {_stop_text(stop)} "
                      "and has given no consent since (a do-not-call request)", None)


_NO_STOP = "no request not to be called on record"


def stop_requests_apply(campaign: CampaignRules) -> bool:
    """Whether a request not to be called binds the campaign: telemarketing (the TSR and
    64.1200(d)), and prerecorded calls made under an exemption, which FCC 20-186 conditions
    on honouring "the called party's request to opt out of future calls as required in
    paragraphs (b) and (d)" (64.1200(a)(3)(ii)-(v))."""
    return campaign.telemarketing or campaign.prerecorded


@dataclass(frozen=True, slots=True)
class NationalDncRule:
    """The National Do Not Call Registry, unless a documented exemption applies."""

    rule_id: str = "us.national_dnc"
    title: str = "National Do Not Call Registry"
    citation: str = "47 CFR 64.1200(c)(2); 16 CFR 310.4(b)(1)(iii)(B)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        hits = [h for h in context.hits if h.version.kind is RegistryKind.NATIONAL
                ] if context.hits else None
        if not hits:
            return new_tuple(RuleOutcome, (self.rule_id, True, "not on the national registry",
                                            self.citation, at, None, True))
        if not context.campaign.telemarketing:
            return passed(self, at, "listed, but the registry covers telephone solicitations "
                          "only (47 CFR 64.1200(f)(15))")
        exemption, why = registry_exemption(context, at)
        if exemption is not None:
            return passed(self, at, f"listed in {hits[0].version.version}; exempt by {exemption}",
                          permission=exemption)
        return failed(self, f"listed in {hits[0].version.version} with no consent or "
                      f"established business relationship ({why})", None)


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
        versions = context.versions
        limit = context.campaign.national_max_age
        cached = _NEWEST.get(id(versions))
        if cached is not None and cached[0] is versions and cached[2] == limit and \
                cached[1].as_of <= at <= cached[3]:
            # The newest national version of these versions, and every one dated before
            # ``at``: ``max`` over the usable ones is that one, and no older than ``limit``
            # (``at`` no later than its date plus the limit).
            return new_tuple(RuleOutcome, (self.rule_id, True, LazyReason(
                _fresh_reason_at, cached[1], at), self.citation, at, None, True))
        national = [v for v in versions if v.kind is RegistryKind.NATIONAL]
        if national:
            if len(_NEWEST) >= 64:
                _NEWEST.clear()
            newest = max(national, key=_as_of)
            _NEWEST[id(versions)] = (versions, newest, limit,
                                     newest.as_of.astimezone(UTC) + limit)
        if not national:
            return failed(self, "no national registry loaded: import it with `dialer dnc "
                          "import` before dialing", None)
        usable = [v for v in national if v.as_of <= at]
        if not usable:
            return failed(self, f"{national[0].version} is dated {stamps.day(national[0].as_of)}, "
                          "after this instant: it did not exist yet", None)
        newest = max(usable, key=lambda version: version.as_of)
        age = at - newest.as_of
        if age > limit:
            return failed(self, f"{newest.version} is {age.days} days old (limit {limit.days}); "
                          "load a newer registry", None)
        return passed(self, at, LazyReason(_fresh_reason, newest, age.days))


_NEWEST: dict[int, tuple[object, RegistryVersion, timedelta, datetime]] = {}
"""Registry versions (by identity; the tuple is kept so its id is not reused) -> (them, the
newest national version among them, the campaign's age limit, the instant that version
becomes older than the limit). A gate hands the engine the same tuple until a version
changes, so the freshness rule finds the newest without a scan and compares two instants;
when it is dated after the checked instant or too old (or another limit is asked) the rule
scans as before."""


def _as_of(version: RegistryVersion) -> datetime:
    return version.as_of


def _fresh_reason(newest: RegistryVersion, days: int) -> str:
    return f"{newest.version} as of {stamps.day(newest.as_of)} ({days} days old)"


def _fresh_reason_at(newest: RegistryVersion, at: datetime) -> str:
    return _fresh_reason(newest, (at - newest.as_of).days)


@dataclass(frozen=True, slots=True)
class WirelessConsentRule:
    """Autodialed or prerecorded calls to a wireless number need recorded prior consent."""

    rule_id: str = "us.wireless_consent"
    title: str = "Prior express consent for autodialed/prerecorded calls to wireless numbers"
    citation: str = "47 U.S.C. 227(b)(1)(A)(iii); 47 CFR 64.1200(a)(1)(iii), (a)(2)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign, line = context.campaign, context.line
        if not (campaign.requires_wireless_consent and
                (campaign.autodialed or campaign.prerecorded)):
            return passed(self, at, "campaign does not autodial or play recordings")
        if not line.protected:
            return new_tuple(RuleOutcome, (self.rule_id, True, LazyReason(_line_reason, line),
                                            self.citation, at, None, True))
        # Telemarketing by autodialer/recording needs the written form (64.1200(a)(2)).
        consent, text = context.relied_consent(
            WRITTEN_CONSENT if campaign.telemarketing else EXPRESS_CONSENT, at)
        if consent is not None:
            return new_tuple(RuleOutcome, (self.rule_id, True, LazyReason(
                _consented_line_reason, line, text), self.citation, at, text, True))
        return failed(self, f"{line.line_type.value} ({line.source}) and {text}", None)


def _line_reason(line: LineFinding) -> str:
    return f"{line.line_type.value}: {line.source}"


def _consented_line_reason(line: LineFinding, text: str) -> str:
    return f"{line.line_type.value} ({line.source}); {text}"


@dataclass(frozen=True, slots=True)
class PrerecordedConsentRule:
    """Prerecorded telemarketing (a voicemail drop included) needs prior express written
    consent naming the seller and the number, to residential and wireless lines alike; an
    established business relationship no longer exempts it (FCC 12-21, 2012)."""

    rule_id: str = "us.prerecorded_consent"
    title: str = "Prior express written consent for prerecorded telemarketing"
    citation: str = ("47 CFR 64.1200(a)(2), (a)(3)(ii); 16 CFR 310.4(b)(1)(v)(A); "
                     "FCC 12-21 (77 FR 34233)")
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign = context.campaign
        if not campaign.prerecorded:
            return passed(self, at, "the campaign plays no recorded message")
        if not campaign.telemarketing:
            return passed(self, at, "not telemarketing: see us.prerecorded_exempt_cap")
        consent, text = context.relied_consent((ConsentKind.PRIOR_EXPRESS_WRITTEN,), at)
        if consent is None:
            return failed(self, f"prerecorded telemarketing and {text}", None)
        return passed(self, at, text, permission=text)


@dataclass(frozen=True, slots=True)
class PrerecordedContentRule:
    """What the campaign declares its recorded message says (47 CFR 64.1200(b)): the seller
    identified at the start, a telephone number of the seller, and for telemarketing an
    opt-out (a toll-free number on an answering machine)."""

    rule_id: str = "us.prerecorded_content"
    title: str = "Identification, call-back number and opt-out in a prerecorded message"
    citation: str = "47 CFR 64.1200(b)(1)-(3)"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign = context.campaign
        if not campaign.prerecorded:
            return passed(self, at, "the campaign plays no recorded message")
        missing = recorded_message_problems(campaign)
        if missing:
            return failed(self, "the recorded message is not declared compliant: "
                          + "; ".join(missing), None)
        return passed(self, at, "declared: seller named first, call-back number"
                      + (", toll-free opt-out number" if campaign.telemarketing else ""))


def recorded_message_problems(campaign: CampaignRules) -> list[str]:
    """What a prerecorded campaign's message declaration lacks (empty when complete)."""
    message = campaign.recorded_message
    if message is None:
        return ["no declaration of what the message says (compliance.recorded_message)"]
    problems = []
    if not campaign.seller:
        problems.append("no seller name (compliance.seller_name)")
    if not message.seller_named_first:
        problems.append("(b)(1): the seller is not named at the start")
    if not message.callback_number:
        problems.append("(b)(2): no call-back number")
    elif message.callback_number.startswith("+1900"):
        problems.append("(b)(2): the call-back number is a 900 (charged) number")
    if campaign.telemarketing:
        number = message.optout_number or ""
        if not (number.startswith("+1") and number[2:5] in TOLL_FREE_CODES):
            problems.append("(b)(3): no toll-free opt-out number for answering machines")
    return problems


PRERECORDED_EXEMPT_CAP = AttemptLimitRule(
    rule_id="us.prerecorded_exempt_cap",
    title="Exempt prerecorded calls to a residential line: at most 3 per 30 days",
    citation="47 CFR 64.1200(a)(3)(ii)-(v) as amended by FCC 20-186 (TRACED Act order)",
    max_calls=3, window=timedelta(days=30))


@dataclass(frozen=True, slots=True)
class PrerecordedExemptCapRule:
    """Non-telemarketing prerecorded calls to a residential line without consent are exempt
    only up to 3 calls per 30 days (FCC 20-186), counted over every call to the line, in
    any campaign."""

    rule_id: str = PRERECORDED_EXEMPT_CAP.rule_id
    title: str = PRERECORDED_EXEMPT_CAP.title
    citation: str = PRERECORDED_EXEMPT_CAP.citation
    lookback: timedelta = PRERECORDED_EXEMPT_CAP.lookback

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign = context.campaign
        if not campaign.prerecorded or campaign.telemarketing:
            return passed(self, at, "not an exempt prerecorded campaign")
        consent, text = context.relied_consent(
            (ConsentKind.PRIOR_EXPRESS, ConsentKind.PRIOR_EXPRESS_WRITTEN), at)
        if consent is not None:
            return passed(self, at, f"consented: the cap does not apply ({text})",
                          permission=text)
        # The cap is the caller's, not one campaign's: "three calls within any consecutive
        # 30-day period" to the line (64.1200(a)(3)(ii)-(v)), so a second exempt campaign of
        # the same caller may not add three more. The history names neither the caller
        # behind another campaign nor whether a message was played: every call to the line
        # counts (the strict reading).
        return PRERECORDED_EXEMPT_CAP.evaluate(context, at)


def federal_rules(campaign: CampaignRules | None = None) -> tuple:
    rules: list = [FEDERAL_HOURS, InternalDncRule(), StopRequestRule(), NationalDncRule(),
                   NationalFreshnessRule(), WirelessConsentRule(), CallerIdRule()]
    if campaign is None or campaign.prerecorded:
        rules += [PrerecordedConsentRule(), PrerecordedContentRule(), PrerecordedExemptCapRule()]
    return tuple(rules)
