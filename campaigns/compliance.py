"""The bridge between the campaign store and the compliance rules engine (``dnc.rules``).

- ``StoreAttemptHistory``: ``dnc.interfaces.AttemptHistory`` over ``call_attempt`` rows.
- ``lead_facts`` / ``campaign_rules``: a stored lead and campaign as the rules see them.
- ``engine_selection_check``: a ``ComplianceEngine`` as the hopper's ``SelectionCheck``.
- ``load_compliance_inputs``: a campaign's rules and a lead's facts by phone number (for
  ``dialer compliance explain --campaign``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import select

from campaigns.compliance_settings import is_prerecorded
from campaigns.consent_dates import ends_by
from campaigns.hopper import BLOCKED_RECHECK, ClaimedLead, SelectionCheck, SelectionVerdict
from campaigns.journal import NOT_SENT_CAUSE
from campaigns.models import AnswerKind, CallAttempt, Campaign, Lead
from campaigns.settings import CampaignSettings
from campaigns.stored_settings import stored_settings
from dnc.errors import ComplianceError
from dnc.interfaces import LineType, PastAttempt, contact_key
from dnc.rules.adad import called_party_may_have_ended
from dnc.rules.model import (
    AttemptCap,
    CampaignRules,
    ConsentKind,
    ConsentRecord,
    Decision,
    LeadFacts,
    RecordedMessage,
)
from dnc.rules.profiles import profiles_for

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore
    from dnc.rules.engine import ComplianceEngine

# Failing rules that concern the lead itself and never pass on their own: the lead is
# suppressed in this campaign (with the reason) rather than looked at again every tick.
LEAD_PERMANENT_RULES = frozenset({"us.internal_dnc", "us.national_dnc", "state.registry",
                                  "campaign.jurisdiction", "uk.tps"})
FACTS_RECHECK = timedelta(hours=24)
"""A lead refused for a missing consent or an unknown line type is looked at again after
this long (a consent, line-type or RND import may change the answer); a registry listing
suppresses it."""


def campaign_rules(name: str, settings: CampaignSettings) -> CampaignRules:
    """The compliance rules of a campaign, from its settings and its ``compliance`` section."""
    compliance = settings.compliance
    message = compliance.recorded_message
    try:
        profiles = profiles_for(settings.jurisdiction)
    except ValueError as error:
        # Input is checked when set; a campaign stored before that check may still carry an
        # unknown name. No rules can be chosen for it, so nothing is dialled: one clear line
        # that names the setting and its repair, not a traceback.
        raise ComplianceError(
            f"campaign {name!r}: setting jurisdiction: {error}; set a known one with "
            f"`dialer campaign edit {name} --jurisdiction ...`") from error
    return CampaignRules(
        name=name, profiles=profiles,
        caller_id_present=bool(settings.caller_ids),
        autodialed=is_autodialed(settings), prerecorded=is_prerecorded(settings),
        telemarketing=compliance.telemarketing, subject=compliance.subject,
        agent_guaranteed=compliance.agent_guaranteed,
        treat_unknown_line_type_as_wireless=compliance.unknown_line_type == "wireless",
        seller=compliance.seller_name or None,
        attempt_caps=tuple(AttemptCap(c.max_calls, timedelta(hours=c.window_hours),
                                      c.same_subject, c.per == "person")
                           for c in compliance.attempt_caps),
        recorded_message=RecordedMessage(
            message.seller_named_first, message.callback_number, message.optout_number,
            message.interactive_optout) if message is not None else None,
        state_list_waivers=tuple(sorted(compliance.state_list_waivers.items())),
        ring_timeout=settings.ring_timeout)


def is_autodialed(settings: CampaignSettings) -> bool:
    """Whether the dialer selects and dials the campaign's numbers itself: every pacing
    policy but preview does, whatever ``compliance.autodialed`` declares. A predictive
    campaign that declared ``autodialed: false`` escaped Florida's, Oklahoma's and
    Maryland's written consent for "an automated system for the selection or dialing of
    telephone numbers" (Fla. Stat. 501.059(8)(a)), the wireless consent rule (47 CFR
    64.1200(a)(1)(iii)) and South Dakota's weekday-only rule: a declaration may add the
    rules, never take away those of what the campaign does."""
    return settings.compliance.autodialed or settings.pacing_policy != "preview"


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else None


def _consents(records: list[Any]) -> tuple[ConsentRecord, ...]:
    found: list[ConsentRecord] = []
    for record in records or []:
        if not isinstance(record, Mapping):
            continue
        try:
            kind = ConsentKind(record.get("kind"))
            given = _time(record.get("given_at") or record.get("value"))
            # An end that cannot be read leaves the consent with none it can rely on (the
            # record grants nothing, below); one without a zone or a time ends it at the
            # earliest instant it can mean (``consent_dates.ends_by``).
            expires = ends_by(record.get("expires_at"))
            revoked = ends_by(record.get("revoked_at"))
            dated = date.fromisoformat(record["dated"]) if record.get("dated") else None
        except (ValueError, TypeError):
            continue  # not a recognised consent: it grants nothing
        if given is None:
            continue
        found.append(ConsentRecord(
            kind=kind, given_at=given, expires_at=expires, revoked_at=revoked,
            source=str(record.get("source", "")), seller=record.get("seller") or None,
            number=record.get("number") or None, dated=dated))
    return tuple(found)


def lead_facts(lead: Lead | ClaimedLead) -> LeadFacts:
    """A lead as the rules see it (a comma-separated time zone lists candidates)."""
    lead_id = lead.id if isinstance(lead, Lead) else lead.lead_id
    custom = dict(lead.custom or {})
    line = getattr(lead, "line_type", None)
    return LeadFacts(
        number_e164=lead.phone, time_zone=lead.timezone or None, state=lead.state or None,
        postal_code=lead.postal_code or None,
        consents=_consents(list(lead.consent or [])),
        debt_id=_text(custom.get("debt_id")), subject=_text(custom.get("subject")),
        county=_text(custom.get("county")), lead_id=str(lead_id),
        line_type=LineType(line) if line else None,
        # The person as the store compares people (``Lead.contact_key``).
        contact_id=contact_key(getattr(lead, "contact_id", None)))


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class StoreAttemptHistory:
    """``dnc.interfaces.AttemptHistory`` over the campaign store's attempt journal: attempts
    to a number, and (``attempts_for_contact``) to every number of a person, with each
    attempt's subject and debt read from its lead and campaign."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store
        self._campaigns: dict[int, AttemptCampaign] = {}

    def campaign_names(self, ids: set[int]) -> dict[int, AttemptCampaign]:
        """Campaign id -> (name, subject, prerecorded) for the ids given (read once,
        refreshed on a miss)."""
        if not ids <= self._campaigns.keys():
            with self.store.read_session() as session:
                self._campaigns = {c.id: attempt_campaign(c)
                                   for c in session.exec(select(Campaign))}
        return self._campaigns

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return self._query(CallAttempt.phone == number_e164, since)

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        """Attempts to every number of the person: through their leads, and to those
        numbers through any lead (one of another campaign that names no person too)."""
        person = sa.orm.aliased(Lead)  # not correlated with the attempt's own lead
        theirs = select(person.phone).where(person.contact_key == contact_id)
        return self._query(sa.or_(Lead.contact_key == contact_id,
                                  CallAttempt.phone.in_(theirs)), since)

    def contact_numbers(self, contacts: Sequence[str]) -> dict[str, set[str]]:
        """Person -> every number of theirs (their leads in any campaign), in one query per
        500 people: the dial-time gate refuses a telemarketing call to a person who opted
        out on another of their numbers."""
        found: dict[str, set[str]] = {}
        wanted = sorted(set(contacts))
        with self.store.read_session() as session:
            for start in range(0, len(wanted), 500):
                rows = session.exec(select(Lead.contact_key, Lead.phone).where(
                    Lead.contact_key.in_(wanted[start:start + 500])))  # type: ignore[union-attr]
                for contact, phone in rows:
                    found.setdefault(contact, set()).add(phone)
        return found

    def _query(self, condition: Any, since: datetime) -> list[PastAttempt]:
        with self.store.read_session() as session:
            rows = list(session.exec(
                select(CallAttempt, Lead.contact_key, Lead.custom)
                .join(Lead, Lead.id == CallAttempt.lead_id, isouter=True)
                .where(condition, CallAttempt.dialed_at >= since)
                .order_by(CallAttempt.dialed_at)))
        return past_attempts(rows, self.campaign_names({row[0].campaign_id for row in rows}))


AttemptCampaign = tuple[str, str | None, bool]
"""What an attempt's record needs of its campaign: (name, subject, prerecorded)."""


def attempt_campaign(campaign: Campaign) -> AttemptCampaign:
    """(name, subject, prerecorded) from a campaign's stored settings: prerecorded as
    ``compliance_settings.is_prerecorded`` reads it (declared, else ``leave_message``)."""
    settings = campaign.settings or {}
    compliance = settings.get("compliance") or {}
    prerecorded = compliance.get("prerecorded")
    if prerecorded is None:
        prerecorded = settings.get("machine_action") == "leave_message"
    return campaign.name, compliance.get("subject"), bool(prerecorded)


def past_attempts(rows: Sequence[tuple[CallAttempt, str | None, dict | None]],
                  campaigns: Mapping[int, AttemptCampaign]) -> list[PastAttempt]:
    """Journal rows (with their lead's contact and custom fields) as ``PastAttempt``.

    A queue callback's dial (no lead) is named as the dial-time gate names it
    (``queue-callback:<id>``), so it is never taken for another dial to the number made in
    the same second. An attempt of a prerecorded campaign whose person ended it, or may
    have, is marked for NRS 597.814(2)(b) (``dnc.rules.adad``; an unknown campaign counts
    as prerecorded)."""
    found = []
    for row, contact_id, custom in rows:
        if row.dialed_at is None or row.hangup_cause == NOT_SENT_CAUSE:
            # A dial journaled but certainly never sent is no call for any limit (counted
            # until that was known: its row is closed so only then, ``FinishOp.never_sent``).
            continue
        name, campaign_subject, prerecorded = campaigns.get(row.campaign_id, ("", None, True))
        custom = custom or {}
        found.append(PastAttempt(
            at=row.dialed_at, number_e164=row.phone, campaign=name,
            lead_id=str(row.lead_id) if row.lead_id is not None
            else f"queue-callback:{row.queue_callback_id}" if row.queue_callback_id else None,
            subject=_text(custom.get("subject")) or campaign_subject,
            debt_id=_text(custom.get("debt_id")),
            answered_live=row.answered_at is not None
            and row.answer_kind != AnswerKind.MACHINE.value,
            conversation=row.bridged_at is not None, abandoned=row.abandoned,
            contact_id=contact_id, machine=row.answer_kind == AnswerKind.MACHINE.value,
            prerecorded_hang_up=prerecorded and called_party_may_have_ended(
                ended=row.ended_at is not None, answered=row.answered_at is not None,
                message=row.message_outcome, cause=row.hangup_cause, side=row.hangup_side)))
    return found


class BufferedAudit:
    """The selection check's audit sink: refusals wait in memory and ``flush`` writes them
    as one batch (the runner flushes after each claim, in its database thread)."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self.pending: list[dict[str, object]] = []

    def add(self, decision: Decision, stage: str) -> None:
        from dnc.rules.audit import decision_body
        self.pending.append({**decision_body(decision), "stage": stage})

    def flush(self) -> int:
        taken, self.pending = self.pending, []
        if taken:
            try:
                self.log.append_bodies(taken)
            except BaseException:
                self.pending = taken + self.pending
                raise
        return len(taken)


_PERSON_OPT_OUT_CITATION = (
    "16 CFR 310.4(b)(1)(iii)(A) (a person who has stated they do not wish to receive the "
    "seller's calls, on whichever number); company opt-out policy")


class _BatchRevocations:
    """The engine's ``NumberFacts`` at selection: the revocations of a batch of candidates
    read in one query (``prepare``), the rest from the facts store as it is.

    A lead's revocations are the store's ``revocations_recorded`` filtered to those recorded
    by the decision instant: the very list ``revocations`` gives, one query per batch
    instead of one per lead (hopper selection read them per lead before 2026-12-07)."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._many = getattr(source, "revocations_recorded_many", None)
        self._token_of = getattr(source, "change_token", None)
        self._batch: dict[tuple[str, str | None], list[Any]] = {}
        self._others: dict[tuple[str, str | None], Sequence[str]] = {}
        self._read: tuple[datetime | None, object] = (None, None)
        """(the decision instant the batch was read for, the store's change token then)."""

    def line_type(self, number_e164: str, at: datetime) -> Any:
        return self.source.line_type(number_e164, at)

    def reassigned(self, number_e164: str, at: datetime) -> Any:
        return self.source.reassigned(number_e164, at)

    def revocations(self, number_e164: str, contact_id: str | None, at: datetime) -> Any:
        found = self._batch.get((number_e164, contact_id)) if self._batch else None
        if found is None or not self._current(at):
            found = list(self.source.revocations(number_e164, contact_id, at))
            for other in self._others.get((number_e164, contact_id), ()):
                found.extend(self.source.revocations(other, None, at))
            return sorted(dict.fromkeys(found), key=lambda r: r.at)
        return [r for r in found if r.recorded_at is None or r.recorded_at <= at]

    def _current(self, at: datetime) -> bool:
        """The batch serves decisions at the instant it was read for, while the store shows
        no commit since (a revocation recorded meanwhile is read at once)."""
        read_at, token = self._read
        if read_at != at:
            return False
        return self._token_of is None or (token is not None and self._token_of() == token)

    def load(self, pairs: Sequence[tuple[str, str | None]], at: datetime,
             others: Mapping[tuple[str, str | None], Sequence[str]] | None = None) -> None:
        """The revocations of each (number, person) of the batch (one query per 400), and
        of the person's ``others`` numbers with them: a request not to be called recorded
        for another number of the person is the person's (16 CFR 310.4(b)(1)(iii)(A))."""
        self._batch = {}
        self._others = dict(others or {})
        if self._many is None or not pairs:
            return
        self._read = (at, self._token_of() if self._token_of is not None else None)
        by_number: dict[str, list[tuple[str, str | None]]] = {}
        wanted = [*pairs, *((other, None) for theirs in self._others.values()
                            for other in theirs)]
        for number, person in dict.fromkeys(wanted):
            by_number.setdefault(number, []).append((number, person))
        # ``revocations_recorded_many`` answers per number: a number held by two people
        # (two leads) is asked once per person.
        rounds = max(len(v) for v in by_number.values())
        for i in range(rounds):
            part = [v[i] for v in by_number.values() if len(v) > i]
            found = self._many(part)
            for number, person in part:
                self._batch[(number, person)] = list(found.get(number, ()))
        for pair, theirs in self._others.items():
            merged = dict.fromkeys(self._batch.get(pair, ()))
            for other in theirs:
                merged.update(dict.fromkeys(self._batch.get((other, None), ())))
            self._batch[pair] = sorted(merged, key=lambda r: r.at)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


class EngineSelectionCheck:
    """The rules engine as the hopper's compliance callable (``SelectionCheck``); every
    refusal is audited (``flush_audit`` writes them) like the dial-time decisions.

    ``prepare`` (the hopper, per batch of candidates) reads in one query each the batch's
    revocations and, in a telemarketing or prerecorded campaign, every number of its people:
    a lead whose person opted out on another of their numbers (the internal list) is refused
    for good, as the dial-time gate refuses it (``dial_gate.internal_dnc``), rather than
    selected, refused at the dial and selected again."""

    def __init__(self, engine: ComplianceEngine, audit: BufferedAudit | None = None) -> None:
        self.engine = engine
        self.audit = audit
        self._rules: dict[tuple[str, str], CampaignRules] = {}
        self._facts = _BatchRevocations(engine.facts)
        engine.facts = self._facts
        self._person_numbers: dict[str, set[str]] = {}

    def prepare(self, leads: Sequence[ClaimedLead], settings: CampaignSettings,
                at: datetime) -> None:
        """Read what the batch's checks need, batched (see the class doc)."""
        if not leads:
            return
        rules = self.rules(leads[0].campaign, settings)
        every = rules.telemarketing or rules.prerecorded
        people = sorted({lead.contact_id for lead in leads if lead.contact_id}) \
            if every else []
        numbers_of = getattr(self.engine.history, "contact_numbers", None)
        self._person_numbers = numbers_of(people) if people and callable(numbers_of) else {}
        others = {(lead.phone, lead.contact_id): tuple(sorted(
            self._person_numbers[lead.contact_id] - {lead.phone}))
            for lead in leads if lead.contact_id in self._person_numbers}
        self._facts.load([(lead.phone, lead.contact_id or None) for lead in leads
                          if every or lead.consent], at,
                         {pair: theirs for pair, theirs in others.items() if theirs})

    def _person_opted_out(self, lead: ClaimedLead, rules: CampaignRules, at: datetime
                          ) -> Decision | None:
        """The refusal of a telemarketing or prerecorded call to a person with another
        number on the internal list (the dial-time gate's ``dial_gate.internal_dnc``)."""
        if not lead.contact_id or not (rules.telemarketing or rules.prerecorded):
            return None
        others = self._person_numbers.get(lead.contact_id)
        if not others:
            return None
        from dnc.interfaces import RegistryKind
        registries = self.engine.registries
        for other in sorted(others - {lead.phone}):
            if any(hit.version.kind is RegistryKind.INTERNAL for hit in registries.hits(other)):
                from dnc.rules.model import RuleOutcome
                return Decision(
                    number_e164=lead.phone, campaign=rules.name, at=at, allowed=False,
                    outcomes=(RuleOutcome(
                        "dial_gate.internal_dnc", False,
                        f"another number of this person ({other}) is on the internal "
                        "do-not-call list: the person asked not to be called",
                        _PERSON_OPT_OUT_CITATION, None),),
                    earliest_allowed=None, lead_id=str(lead.lead_id),
                    registry_versions=tuple(v.version for v in registries.versions()))
        return None

    def rules(self, campaign: str, settings: CampaignSettings) -> CampaignRules:
        key = (campaign, settings.model_dump_json())
        if key not in self._rules:
            self._rules[key] = campaign_rules(campaign, settings)
        return self._rules[key]

    def __call__(self, lead: ClaimedLead, settings: CampaignSettings, at: datetime
                 ) -> SelectionVerdict:
        rules = self.rules(lead.campaign, settings)
        opted_out = self._person_opted_out(lead, rules, at) if self._person_numbers else None
        if opted_out is not None:
            self._audit(opted_out)
            return SelectionVerdict(False, tuple(f"{o.rule_id}: {o.reason}"
                                                 for o in opted_out.reasons), permanent=True)
        facts = lead_facts(lead)
        try:
            decision = self.engine.check(facts, rules, at)
        except ComplianceError as error:
            # Facts no rule can work with (e.g. a state outside the rule tables): the call
            # cannot be proved lawful, so the lead is suppressed with the reason.
            from dnc.rules.engine import refused_for_bad_facts
            decision = refused_for_bad_facts(facts, rules, at, (), error)
            self._audit(decision)
            return SelectionVerdict(False, (f"compliance: {error}",), permanent=True)
        if decision.allowed:
            return SelectionVerdict(True, tuple(decision.permissions))
        self._audit(decision)
        reasons = tuple(f"{o.rule_id}: {o.reason}" for o in decision.reasons)
        never = {o.rule_id for o in decision.reasons if o.earliest is None}
        if decision.earliest_allowed is None and never & LEAD_PERMANENT_RULES:
            return SelectionVerdict(False, reasons, permanent=True)
        retry = decision.earliest_allowed or at + (
            FACTS_RECHECK if any(o.earliest is None for o in decision.reasons
                                 if o.rule_id not in LEAD_PERMANENT_RULES) else BLOCKED_RECHECK)
        return SelectionVerdict(False, reasons, retry_at=max(retry, at + timedelta(minutes=1)))

    def _audit(self, decision: Decision) -> None:
        if self.audit is not None:
            self.audit.add(decision, "selection")

    def flush_audit(self) -> int:
        return self.audit.flush() if self.audit is not None else 0


def engine_selection_check(engine: ComplianceEngine, audit: BufferedAudit | None = None
                           ) -> EngineSelectionCheck:
    """The rules engine as the hopper's compliance callable."""
    return EngineSelectionCheck(engine, audit)


def load_compliance_inputs(store: CampaignStore, campaign: CampaignRef, number_e164: str
                           ) -> tuple[CampaignRules, LeadFacts]:
    """A campaign's compliance rules and the facts of its lead with this number (a bare
    ``LeadFacts`` with just the number when the campaign has no such lead)."""
    row = store.campaign(campaign)
    rules = campaign_rules(row.name, stored_settings(row))
    lead = store.lead_by_phone(row.id, number_e164)
    return rules, (lead_facts(lead) if lead is not None else LeadFacts(number_e164=number_e164))


__all__ = [
    "BufferedAudit",
    "EngineSelectionCheck",
    "SelectionCheck",
    "StoreAttemptHistory",
    "campaign_rules",
    "engine_selection_check",
    "lead_facts",
    "load_compliance_inputs",
    "profiles_for",
]
