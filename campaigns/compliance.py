"""The bridge between the campaign store and the compliance rules engine (``dnc.rules``).

- ``StoreAttemptHistory``: ``dnc.interfaces.AttemptHistory`` over ``call_attempt`` rows.
- ``lead_facts`` / ``campaign_rules``: a stored lead and campaign as the rules see them.
- ``engine_selection_check``: a ``ComplianceEngine`` as the hopper's ``SelectionCheck``.
- ``load_compliance_inputs``: a campaign's rules and a lead's facts by phone number (for
  ``dialer compliance explain --campaign``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from campaigns.hopper import BLOCKED_RECHECK, ClaimedLead, SelectionCheck, SelectionVerdict
from campaigns.models import AnswerKind, CallAttempt, Campaign, Lead
from campaigns.settings import CampaignSettings
from dnc.errors import ComplianceError
from dnc.interfaces import PastAttempt
from dnc.rules.model import CampaignRules, ConsentKind, ConsentRecord, LeadFacts, Profile

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore
    from dnc.rules.engine import ComplianceEngine

# Profiles a campaign's ``jurisdiction`` setting may name (comma-separated), with aliases.
_JURISDICTION_ALIASES: dict[str, tuple[Profile, ...]] = {
    "us": (Profile.US_FEDERAL, Profile.US_STATE),
    "us_federal": (Profile.US_FEDERAL,),
    "us_state": (Profile.US_STATE,),
    "reg_f": (Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F),
    "uk": (Profile.UK_OFCOM,),
    "uk_ofcom": (Profile.UK_OFCOM,),
}

# Failing rules that concern the lead itself and never pass on their own: the lead is
# suppressed in this campaign (with the reason) rather than looked at again every tick.
LEAD_PERMANENT_RULES = frozenset({"us.internal_dnc", "us.national_dnc", "state.registry",
                                  "us.wireless_consent"})


def profiles_for(jurisdiction: str) -> tuple[Profile, ...]:
    found: list[Profile] = []
    for part in jurisdiction.lower().replace(" ", "").split(","):
        if not part:
            continue
        profiles = _JURISDICTION_ALIASES.get(part)
        if profiles is None:
            known = ", ".join(sorted(_JURISDICTION_ALIASES))
            raise ValueError(f"unknown jurisdiction {part!r}; known: {known}")
        found.extend(p for p in profiles if p not in found)
    return tuple(found) or (Profile.US_FEDERAL,)


def campaign_rules(name: str, settings: CampaignSettings) -> CampaignRules:
    """The compliance settings of a campaign (``settings.compliance`` may add fields)."""
    return CampaignRules(name=name, profiles=profiles_for(settings.jurisdiction),
                         caller_id_present=bool(settings.caller_ids))


def _consents(records: list[Any]) -> tuple[ConsentRecord, ...]:
    found: list[ConsentRecord] = []
    for record in records or []:
        if not isinstance(record, Mapping):
            continue
        try:
            kind = ConsentKind(record.get("kind"))
            given = datetime.fromisoformat(str(record.get("given_at") or record.get("value")))
        except (ValueError, TypeError):
            continue  # not a recognised consent: it grants nothing
        if given.tzinfo is None:
            continue
        expires = record.get("expires_at")
        revoked = record.get("revoked_at")
        found.append(ConsentRecord(
            kind=kind, given_at=given,
            expires_at=datetime.fromisoformat(expires) if expires else None,
            revoked_at=datetime.fromisoformat(revoked) if revoked else None,
            source=str(record.get("source", ""))))
    return tuple(found)


def lead_facts(lead: Lead | ClaimedLead) -> LeadFacts:
    """A lead as the rules see it. Several candidate zones leave the zone to the rules."""
    lead_id = lead.id if isinstance(lead, Lead) else lead.lead_id
    zone = lead.timezone if lead.timezone and "," not in lead.timezone else None
    custom = dict(lead.custom or {})
    return LeadFacts(
        number_e164=lead.phone, time_zone=zone, state=lead.state or None,
        postal_code=lead.postal_code or None, consents=_consents(list(lead.consent or [])),
        debt_id=custom.get("debt_id") or None, subject=custom.get("subject") or None,
        lead_id=str(lead_id))


class StoreAttemptHistory:
    """``dnc.interfaces.AttemptHistory`` over the campaign store's attempt journal."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store
        self._names: dict[int, str] = {}

    def _campaign_names(self, ids: set[int]) -> dict[int, str]:
        if not ids <= self._names.keys():
            with self.store.read_session() as session:
                self._names = {c.id: c.name for c in session.exec(select(Campaign))}
        return self._names

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        rows: list[CallAttempt] = self.store.attempts_for_number(number_e164, since)
        names = self._campaign_names({row.campaign_id for row in rows})
        return [
            PastAttempt(
                at=row.dialed_at, number_e164=row.phone, campaign=names.get(row.campaign_id, ""),
                lead_id=str(row.lead_id) if row.lead_id is not None else None,
                answered_live=row.answered_at is not None
                and row.answer_kind != AnswerKind.MACHINE.value,
                conversation=row.bridged_at is not None, abandoned=row.abandoned)
            for row in rows if row.dialed_at is not None
        ]


def engine_selection_check(engine: ComplianceEngine) -> SelectionCheck:
    """The rules engine as the hopper's compliance callable."""
    rules_cache: dict[tuple[str, str], CampaignRules] = {}

    def check(lead: ClaimedLead, settings: CampaignSettings, at: datetime) -> SelectionVerdict:
        key = (lead.campaign, settings.model_dump_json())
        if key not in rules_cache:
            rules_cache[key] = campaign_rules(lead.campaign, settings)
        try:
            decision = engine.check(lead_facts(lead), rules_cache[key], at)
        except ComplianceError as error:
            # Facts no rule can work with (e.g. a state outside the rule tables): the call
            # cannot be proved lawful, so the lead is suppressed with the reason.
            return SelectionVerdict(False, (f"compliance: {error}",), permanent=True)
        if decision.allowed:
            return SelectionVerdict(True, tuple(decision.permissions))
        reasons = tuple(f"{o.rule_id}: {o.reason}" for o in decision.reasons)
        never = {o.rule_id for o in decision.reasons if o.earliest is None}
        if decision.earliest_allowed is None and never & LEAD_PERMANENT_RULES:
            return SelectionVerdict(False, reasons, permanent=True)
        retry = decision.earliest_allowed or at + BLOCKED_RECHECK
        return SelectionVerdict(False, reasons, retry_at=max(retry, at + timedelta(minutes=1)))

    return check


def load_compliance_inputs(store: CampaignStore, campaign: CampaignRef, number_e164: str
                           ) -> tuple[CampaignRules, LeadFacts]:
    """A campaign's compliance rules and the facts of its lead with this number (a bare
    ``LeadFacts`` with just the number when the campaign has no such lead)."""
    row = store.campaign(campaign)
    rules = campaign_rules(row.name, CampaignSettings.model_validate(row.settings))
    lead = store.lead_by_phone(row.id, number_e164)
    return rules, (lead_facts(lead) if lead is not None else LeadFacts(number_e164=number_e164))
