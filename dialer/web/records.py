"""What the pages read from the campaign store: the lead a call pops, its history, the
campaign's codes and script, an agent's callbacks, today's abandonment. Reads only; every
function is one short transaction and runs in a worker thread (never on the event loop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from campaigns.models import (
    Agent,
    CallAttempt,
    Callback,
    CallbackStatus,
    Disposition,
    InboundCall,
    Lead,
    QueueCallback,
    Recording,
)
from campaigns.settings import CampaignSettings
from campaigns.store import CampaignStore
from campaigns.stored_settings import stored_settings

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class CampaignSheet:
    """A campaign's codes and texts for the agent page."""

    name: str
    state: str
    dispositions: list[Disposition]
    pause_reasons: tuple[str, ...]
    script: str
    settings: CampaignSettings


def campaign_sheet(store: CampaignStore, campaign: str) -> CampaignSheet:
    row = store.campaign(campaign)
    settings = stored_settings(row)
    return CampaignSheet(row.name, row.state, store.dispositions(row.id),
                         settings.pause_reasons, settings.agent_script, settings)


def lead_fields(lead: Lead) -> dict[str, str]:
    fields = {"first_name": lead.first_name or "", "last_name": lead.last_name or "",
              "phone": lead.phone, "state": lead.state or "",
              "postal_code": lead.postal_code or "", "timezone": lead.timezone or ""}
    for key, value in (lead.custom or {}).items():
        fields.setdefault(str(key), "" if value is None else str(value))
    return fields


def fill_script(script: str, fields: dict[str, str]) -> str:
    """The script with ``{field}`` replaced by the lead's value (unknown fields: blank).
    Plain substitution, not ``str.format``: a script cannot reach attributes or indexes."""
    return _FIELD.sub(lambda match: fields.get(match.group(1), ""), script)


@dataclass(frozen=True, slots=True)
class LeadCard:
    lead: Lead
    fields: dict[str, str]
    attempts: list[dict[str, Any]]
    callbacks: list[Callback]
    script: str


def lead_card(store: CampaignStore, lead_id: int, campaign: str, *, history: int = 20
              ) -> LeadCard:
    """The lead, its previous attempts (newest first, with dispositions, notes, agents)
    and callbacks, and the campaign's script filled in."""
    sheet = campaign_sheet(store, campaign)
    with store.read_session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"no lead {lead_id}")
        rows = session.exec(
            select(CallAttempt, Agent.name, Recording.status)
            .join(Agent, Agent.id == CallAttempt.agent_id, isouter=True)
            .join(Recording, Recording.call_uuid == CallAttempt.call_uuid, isouter=True)
            .where(CallAttempt.lead_id == lead_id)
            .order_by(CallAttempt.id.desc()).limit(history))  # type: ignore[union-attr]
        # A recording is linked by its attempt's call id (supervisors play it; purged ones
        # are gone).
        attempts = [{"dialed_at": a.dialed_at, "outcome": a.outcome, "call_uuid": a.call_uuid,
                     "recorded": recording is not None and recording != "purged",
                     "disposition": a.disposition, "note": a.note, "agent": name,
                     "talk_s": (a.ended_at - a.bridged_at).total_seconds()
                     if a.ended_at and a.bridged_at else None}
                    for a, name, recording in rows]
        callbacks = list(session.exec(select(Callback).where(Callback.lead_id == lead_id)
                                      .order_by(Callback.id.desc()).limit(10)))  # type: ignore[union-attr]
    fields = lead_fields(lead)
    return LeadCard(lead, fields, attempts, callbacks, fill_script(sheet.script, fields))


@dataclass(frozen=True, slots=True)
class CallerCard:
    """Who is on an inbound call (or a queue callback), found by their number: the
    campaign's lead with that phone, if any, and the number's earlier inbound calls and
    queue callbacks (newest first)."""

    number: str
    lead: LeadCard | None
    calls: list[dict[str, Any]]
    callbacks: list[QueueCallback]


def caller_card(store: CampaignStore, campaign: str, number: str, call_uuid: str, *,
                history: int = 10) -> CallerCard:
    """The caller on ``call_uuid`` (not listed in their own history) by ``number``: an
    inbound call carries no lead, but the caller may be one of the campaign's leads, or
    may have called before."""
    campaign_id = store.campaign(campaign).id
    with store.read_session() as session:
        lead = session.exec(select(Lead).where(Lead.campaign_id == campaign_id,
                                               Lead.phone == number)).first()
        rows = session.exec(
            select(InboundCall, Agent.name)
            .join(Agent, Agent.id == InboundCall.agent_id, isouter=True)
            .where(InboundCall.caller_number == number,
                   InboundCall.campaign_id == campaign_id,
                   InboundCall.call_uuid != call_uuid)
            .order_by(InboundCall.id.desc()).limit(history))  # type: ignore[union-attr]
        calls = [{"arrived_at": c.arrived_at, "queue": c.queue, "outcome": c.outcome,
                  "agent": name, "ivr_keys": c.ivr_keys} for c, name in rows]
        served = set(CampaignSettings.model_validate(store.campaign(campaign).settings).queues)
        callbacks = [cb for cb in session.exec(
            select(QueueCallback).where(QueueCallback.number == number)
            .order_by(QueueCallback.requested_at.desc()).limit(history))  # type: ignore[union-attr]
            if cb.queue in served]
    card = lead_card(store, lead.id, campaign) if lead is not None and lead.id else None
    return CallerCard(number, card, calls, callbacks)


def agent_callbacks(store: CampaignStore, campaign: str, agent: str, *, limit: int = 50
                    ) -> list[dict[str, Any]]:
    """The agent's own pending callbacks (soonest first)."""
    campaign_id = store.campaign(campaign).id
    with store.read_session() as session:
        agent_row = session.exec(select(Agent).where(Agent.name == agent)).first()
        if agent_row is None:
            return []
        rows = session.exec(
            select(Callback, Lead).join(Lead, Lead.id == Callback.lead_id)
            .where(Callback.campaign_id == campaign_id, Callback.agent_id == agent_row.id,
                   Callback.status == CallbackStatus.PENDING)
            .order_by(Callback.due_at).limit(limit))
        return [{"due_at": cb.due_at, "note": cb.note, "lead_id": lead.id,
                 "name": " ".join(p for p in (lead.first_name, lead.last_name) if p)}
                for cb, lead in rows]


def abandonment_today(store: CampaignStore, campaign: str, at: datetime) -> dict[str, Any]:
    """Live answers and abandons since midnight UTC (the 30-day figure is the runner's)."""
    midnight = datetime.combine(at.astimezone(UTC).date(), datetime.min.time(), UTC)
    counts = store.ledger_counts(campaign, now=at, window=max(at - midnight,
                                                              timedelta(seconds=1)))
    return {"live_answers": counts.live_answers, "abandons": counts.abandons,
            "rate": counts.abandons / counts.live_answers if counts.live_answers else None}


def time_in_states(store: CampaignStore, agent: str, at: datetime) -> list[tuple[str, float]]:
    """Seconds the agent spent in each state today (UTC), from their stored history, up to
    ``at``; states in the order the day first saw them."""
    midnight = datetime.combine(at.astimezone(UTC).date(), datetime.min.time(), UTC)
    try:
        changes = store.agent_states(agent, since=midnight)
    except Exception:  # an agent with no stored row yet has no history
        return []
    totals: dict[str, float] = {}
    for change, following in zip(changes, [*changes[1:], None], strict=False):
        if change.at is None:
            continue
        end = following.at if following is not None and following.at is not None else at
        totals[change.state] = totals.get(change.state, 0.0) + max(
            0.0, (end - change.at).total_seconds())
    return [(state, seconds) for state, seconds in totals.items() if state != "logged_out"]
