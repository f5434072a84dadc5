"""Compliance records: call detail records and consent records, exported for an officer, and
purged only outside the legal retention period.

16 CFR 310.5 as amended in 2024 (in force 16 May 2024; the call-detail part from 15 Oct 2024)
has a seller or telemarketer keep for **5 years**: a record of every telemarketing call with
the calling number, the called number, the date, time and duration of the call, its
disposition, the telemarketer, the seller and the good or service offered; and complete
records of consents (who, which number, when, for what). ``call_records`` and
``consent_records`` read them from the campaign store (and the revocations the officer
recorded in ``<data>/dnc/facts.db``); ``purge_call_records`` deletes only attempts older than
the campaign's ``compliance.retention_days``, which can never be set below 5 years.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import select

from campaigns.abandon_messages import message_delay, message_label
from campaigns.compliance_settings import RETENTION_MIN_DAYS
from campaigns.errors import CampaignError
from campaigns.models import Agent, AgentStateChange, CallAttempt, Campaign, Lead
from campaigns.stored_settings import stored_settings

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

CALL_COLUMNS = ("attempt_id", "campaign", "seller", "telemarketer", "good_or_service",
                "calling_number", "called_number", "date", "time_utc", "duration_seconds",
                "disposition", "outcome", "answered", "abandoned", "agent", "lead_id",
                "compliance_decision", "recording_path", "safe_harbor_message",
                "message_after_answer_s", "hung_up_by", "queue_callback")
CONSENT_COLUMNS = ("record", "campaign", "lead_id", "first_name", "last_name", "number",
                   "contact_id", "kind", "seller", "given_at", "expires_at", "revoked_at",
                   "channel", "source", "recorded_at", "recorded_by")


def _campaigns(store: CampaignStore, campaign: str | None) -> dict[int, tuple[str, Any]]:
    with store.read_session() as session:
        query = select(Campaign)
        if campaign is not None:
            query = query.where(Campaign.id == store.campaign(campaign).id)
        return {c.id: (c.name, stored_settings(c))
                for c in session.exec(query)}


def call_records(store: CampaignStore, since: datetime, until: datetime,
                 campaign: str | None = None) -> Iterator[dict[str, object]]:
    """One record per call attempt dialled in [since, until), oldest first."""
    campaigns = _campaigns(store, campaign)
    with store.read_session() as session:
        rows = session.exec(
            select(CallAttempt, Agent.name)
            .join(Agent, Agent.id == CallAttempt.agent_id, isouter=True)
            .where(CallAttempt.campaign_id.in_(list(campaigns)),
                   CallAttempt.dialed_at >= since, CallAttempt.dialed_at < until)
            .order_by(CallAttempt.dialed_at, CallAttempt.id))
        for attempt, agent in rows:
            name, settings = campaigns[attempt.campaign_id]
            compliance = settings.compliance
            dialed = attempt.dialed_at
            duration = (attempt.ended_at - (attempt.answered_at or dialed)).total_seconds() \
                if attempt.ended_at and dialed else None
            yield {
                "attempt_id": attempt.id, "campaign": name,
                "seller": compliance.seller_name or None,
                "telemarketer": compliance.telemarketer_name or compliance.seller_name or None,
                "good_or_service": compliance.subject,
                "calling_number": attempt.caller_id, "called_number": attempt.phone,
                "date": dialed.date().isoformat() if dialed else None,
                "time_utc": dialed.time().isoformat(timespec="seconds") if dialed else None,
                "duration_seconds": round(duration, 1) if duration is not None else None,
                "disposition": attempt.disposition, "outcome": attempt.outcome,
                "answered": attempt.answered_at is not None, "abandoned": attempt.abandoned,
                "agent": agent, "lead_id": attempt.lead_id,
                "compliance_decision": attempt.compliance_decision,
                "recording_path": attempt.recording_path,
                # An abandoned call's message: how it ended and how soon it started (the
                # 2-second rule, 47 CFR 64.1200(a)(7)(i)(A)).
                "safe_harbor_message": message_label(attempt.message_outcome)
                if attempt.abandoned else None,
                "message_after_answer_s": message_delay(attempt.answered_at,
                                                        attempt.message_started_at),
                # Who ended the call, as the switch said (callee, dialer, unknown; None
                # on rows older than migration 0011): NRS 597.814(2)(b) reads it.
                "hung_up_by": attempt.hangup_side,
                # A queue callback's dial (a call of the campaign, no lead; migration
                # 0013): the callback it made, so the officer tells it from a campaign dial.
                "queue_callback": attempt.queue_callback_id}


def consent_records(store: CampaignStore, since: datetime, until: datetime,
                    campaign: str | None = None, revocations: Sequence[tuple[Any, str]] = ()
                    ) -> Iterator[dict[str, object]]:
    """Consents given in [since, until) on the campaigns' leads, then revocations received in
    it (``revocations``: ``dnc.facts.NumberFactsStore.all_revocations()``)."""
    campaigns = _campaigns(store, campaign)
    with store.read_session() as session:
        rows = session.exec(select(Lead).where(
            Lead.campaign_id.in_(list(campaigns)),
            sa.func.length(sa.cast(Lead.consent, sa.String)) > 2).order_by(Lead.id))
        for lead in rows:
            for record in lead.consent or []:
                given = _time(record.get("given_at") if isinstance(record, dict) else None)
                if given is None or not since <= given < until:
                    continue
                yield {"record": "consent", "campaign": campaigns[lead.campaign_id][0],
                       "lead_id": lead.id, "first_name": lead.first_name,
                       "last_name": lead.last_name, "number": record.get("number") or lead.phone,
                       "contact_id": lead.contact_id, "kind": record.get("kind"),
                       "seller": record.get("seller"), "given_at": given.isoformat(),
                       "expires_at": record.get("expires_at"),
                       "revoked_at": record.get("revoked_at"), "channel": None,
                       "source": record.get("source"), "recorded_at": None,
                       "recorded_by": None}
    for revocation, by in revocations:
        if not since <= revocation.at < until:
            continue
        yield {"record": "revocation", "campaign": None, "lead_id": None, "first_name": None,
               "last_name": None, "number": revocation.number_e164,
               "contact_id": revocation.contact_id, "kind": "revocation", "seller": None,
               "given_at": None, "expires_at": None, "revoked_at": revocation.at.isoformat(),
               "channel": revocation.channel, "source": revocation.source,
               "recorded_at": revocation.recorded_at.isoformat()
               if revocation.recorded_at else None, "recorded_by": by}


def _time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def purge_call_records(store: CampaignStore, campaign: str, older_than_days: int,
                       now: datetime) -> int:
    """Delete the campaign's call attempts that ended more than ``older_than_days`` ago;
    refused when that is inside the campaign's retention period (never under 5 years)."""
    row = store.campaign(campaign)
    retention = stored_settings(row).compliance.retention_days
    if older_than_days < max(retention, RETENTION_MIN_DAYS):
        raise CampaignError(
            f"records purge: {older_than_days} days is inside the retention period of "
            f"campaign {row.name!r} ({retention} days; the law's minimum is "
            f"{RETENTION_MIN_DAYS} days, 16 CFR 310.5(b)): nothing deleted")
    cutoff = now - timedelta(days=older_than_days)
    with store.session() as session:
        old = select(CallAttempt.id).where(CallAttempt.campaign_id == row.id,
                                           CallAttempt.ended_at.is_not(None),
                                           CallAttempt.ended_at < cutoff)
        session.execute(sa.update(AgentStateChange).where(
            AgentStateChange.attempt_id.in_(old)).values(attempt_id=None))
        result = session.execute(sa.delete(CallAttempt).where(CallAttempt.id.in_(old)))
        session.commit()
        return int(result.rowcount or 0)
