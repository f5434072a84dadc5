"""Callbacks: a lead promised a call at a time, by one agent or anyone.

These functions are methods of ``CampaignStore`` (bound there); ``self`` is the store. The
hopper claims due callbacks first; ``begin_attempt`` marks one kept (within the campaign's
grace) or missed when its lead is dialed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import Callback, CallbackStatus, Lead, LeadStatus
from campaigns.settings import CampaignSettings

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore


def schedule_callback(self: CampaignStore, lead_id: int, due_at: datetime, *, at: datetime,
                      agent_id: int | None = None, note: str | None = None) -> Callback:
    """A callback: the lead is dialed first once ``due_at`` comes (by ``agent_id`` or anyone)."""
    with self.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise CampaignError(f"no lead with id {lead_id}")
        callback = Callback(campaign_id=lead.campaign_id, lead_id=lead_id, due_at=due_at,
                            agent_id=agent_id, note=note, created_at=at)
        lead.status, lead.next_attempt_at = LeadStatus.CALLBACK, due_at
        session.add(callback)
        session.add(lead)
        session.commit()
        return callback


def due_callbacks(self: CampaignStore, campaign: CampaignRef, *, now: datetime
                  ) -> list[Callback]:
    with self.session() as session:
        campaign_id = self._campaign(session, campaign).id
        return list(session.exec(select(Callback).where(
            Callback.campaign_id == campaign_id, Callback.status == CallbackStatus.PENDING,
            Callback.due_at <= now).order_by(Callback.due_at)))


def cancel_callback(self: CampaignStore, callback_id: int, *, at: datetime) -> Callback:
    with self.session() as session:
        callback = session.get(Callback, callback_id)
        if callback is None:
            raise CampaignError(f"no callback with id {callback_id}")
        callback.status, callback.done_at = CallbackStatus.CANCELLED, at
        session.add(callback)
        session.commit()
        return callback


def mark_missed_callbacks(self: CampaignStore, campaign: CampaignRef, *, now: datetime) -> int:
    """Pending callbacks past due + grace become ``missed`` (the lead stays dialable)."""
    with self.session() as session:
        campaign_row = self._campaign(session, campaign)
        grace = timedelta(minutes=CampaignSettings.model_validate(
            campaign_row.settings).callback_grace_minutes)
        result = session.execute(sa.update(Callback).where(
            Callback.campaign_id == campaign_row.id, Callback.status == CallbackStatus.PENDING,
            Callback.due_at < now - grace).values(status=CallbackStatus.MISSED.value,
                                                  done_at=now))
        session.commit()
        return int(result.rowcount or 0)
