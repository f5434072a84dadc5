"""Taking things out of a campaign without losing what proves how it was dialed.

A call attempt is a compliance record (who was called, when, under which decision, with
what outcome; 47 CFR 64.1200 and the TSR's record keeping, 16 CFR 310.5), and so is the
lead it dialed. So removing never deletes those:

- ``delete_campaign``: a stopped, draft or archived campaign only. Leads never dialed, empty
  lists, agent assignments and pending callbacks go; dialed leads, their attempts, agent
  history and the audit trail stay. The campaign becomes ``deleted`` (hidden from lists,
  read-only) and its name is freed for a new campaign.
- ``remove_leads``: never-dialed leads are deleted; dialed ones are retired (``done``, never
  dialed again, their records kept). Leads a dialer process holds right now are skipped.
- ``purge_leads``: deletes the leads that can never be dialed and never were (invalid,
  suppressed, done without an attempt) and the lists left empty.
- ``set_list_active``: a disabled list's leads are not handed out by the hopper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from campaigns.errors import CampaignError
from campaigns.models import (
    CallAttempt,
    Callback,
    CallbackStatus,
    Campaign,
    CampaignAgent,
    Lead,
    LeadList,
    LeadStatus,
)
from campaigns.settings import CampaignState

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

_IN_USE = (CampaignState.RUNNING, CampaignState.PAUSED)
_NEVER_DIALABLE = (LeadStatus.INVALID.value, LeadStatus.SUPPRESSED.value,
                   LeadStatus.DONE.value)


@dataclass(frozen=True, slots=True)
class Removal:
    """What a removal did: rows deleted, leads retired (kept for their records), skipped."""

    deleted: int = 0
    retired: int = 0
    skipped_in_use: int = 0
    lists_deleted: int = 0
    callbacks_cancelled: int = 0
    attempts_kept: int = 0


def _dialed() -> Any:
    return sa.exists().where(CallAttempt.lead_id == Lead.id)


def _delete_undialed(session: Any, lead_filter: Any) -> int:
    """Delete the selected leads that were never dialed (and any callback row of theirs)."""
    undialed = sa.select(Lead.id).where(lead_filter, ~_dialed())
    session.execute(sa.delete(Callback).where(Callback.lead_id.in_(undialed)))
    return int(session.execute(sa.delete(Lead).where(
        Lead.id.in_(undialed))).rowcount or 0)


def _delete_empty_lists(session: Any, campaign_id: int) -> int:
    empty = sa.select(LeadList.id).where(
        LeadList.campaign_id == campaign_id,
        ~sa.exists().where(Lead.list_id == LeadList.id))
    ids = list(session.execute(empty).scalars())
    if ids:
        session.execute(sa.delete(LeadList).where(LeadList.id.in_(ids)))
    return len(ids)


def _cancel_callbacks(session: Any, lead_filter: Any, at: datetime) -> int:
    result = session.execute(sa.update(Callback).where(
        Callback.status == CallbackStatus.PENDING.value,
        Callback.lead_id.in_(sa.select(Lead.id).where(lead_filter))).values(
        status=CallbackStatus.CANCELLED.value, done_at=at))
    return int(result.rowcount or 0)


def delete_campaign(store: CampaignStore, ref: CampaignRef, *, at: datetime) -> Removal:
    with store.session() as session:
        campaign = store._campaign(session, ref)
        if campaign.state in _IN_USE:
            raise CampaignError(
                f"campaign {campaign.name!r} is {campaign.state}: stop it first with `dialer "
                f"campaign stop {campaign.name}` (a dialer process may be dialing it)")
        if campaign.state == CampaignState.DELETED:
            raise CampaignError(f"campaign {campaign.name!r} is already deleted")
        mine = Lead.campaign_id == campaign.id
        cancelled = _cancel_callbacks(session, mine, at)
        deleted = _delete_undialed(session, mine)
        lists = _delete_empty_lists(session, campaign.id)
        kept_attempts = session.execute(sa.select(sa.func.count()).where(
            CallAttempt.campaign_id == campaign.id)).scalar_one()
        retired = session.execute(sa.update(Lead).where(mine).values(
            status=LeadStatus.DONE.value, next_attempt_at=None, claimed_by=None,
            claim_expires_at=None, block_reason="campaign deleted")).rowcount or 0
        session.execute(sa.delete(CampaignAgent).where(
            CampaignAgent.campaign_id == campaign.id))
        session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(
            state=CampaignState.DELETED.value, updated_at=at,
            state_version=Campaign.state_version + 1, state_changed_at=at,
            name=f"{campaign.name}#deleted-{campaign.id}"[:120]))
        session.commit()
    return Removal(deleted=int(deleted), retired=int(retired), lists_deleted=lists,
                   callbacks_cancelled=cancelled, attempts_kept=int(kept_attempts))


def _list_id(session: Any, campaign_id: int, list_ref: str | int) -> int:
    text = str(list_ref)
    query = sa.select(LeadList.id).where(LeadList.campaign_id == campaign_id, sa.or_(
        LeadList.name == text, LeadList.id == (int(text) if text.isdigit() else -1)))
    found = list(session.execute(query).scalars())
    if not found:
        raise CampaignError(f"no lead list {text!r} in this campaign (see `dialer leads "
                            "lists CAMPAIGN`)")
    if len(found) > 1:
        raise CampaignError(f"several lead lists are named {text!r}: give its id")
    return int(found[0])


def remove_leads(store: CampaignStore, campaign: CampaignRef, *, at: datetime,
                 list_ref: str | int | None = None, phones: Sequence[str] = (),
                 status: str | None = None, everything: bool = False) -> Removal:
    """Remove the leads the filters select (all of them only with ``everything``)."""
    if not (everything or list_ref is not None or phones or status):
        raise CampaignError("say which leads: --list, --phone, --status, or --all")
    with store.session() as session:
        row = store._campaign(session, campaign)
        if row.state in (CampaignState.ARCHIVED, CampaignState.DELETED):
            raise CampaignError(f"campaign {row.name!r} is {row.state}: read-only")
        chosen = [Lead.campaign_id == row.id]
        if list_ref is not None:
            chosen.append(Lead.list_id == _list_id(session, row.id, list_ref))
        if phones:
            chosen.append(Lead.phone.in_(list(phones)))
        if status:
            chosen.append(Lead.status == status)
        in_use = sa.or_(Lead.status == LeadStatus.IN_CALL.value, sa.and_(
            Lead.claimed_by.is_not(None), Lead.claim_expires_at >= at))
        selected = sa.and_(*chosen)
        skipped = session.execute(sa.select(sa.func.count()).where(
            selected, in_use)).scalar_one()
        free = sa.and_(selected, ~in_use)
        cancelled = _cancel_callbacks(session, free, at)
        deleted = _delete_undialed(session, free)
        retired = session.execute(sa.update(Lead).where(free).values(
            status=LeadStatus.DONE.value, next_attempt_at=None,
            block_reason=f"removed {at:%Y-%m-%d %H:%M} UTC")).rowcount or 0
        lists = _delete_empty_lists(session, row.id)
        session.commit()
    return Removal(deleted=int(deleted), retired=int(retired), skipped_in_use=int(skipped),
                   lists_deleted=lists, callbacks_cancelled=cancelled)


def purge_leads(store: CampaignStore, campaign: CampaignRef) -> Removal:
    """Delete leads that can never be dialed and never were, and lists left empty."""
    with store.session() as session:
        row = store._campaign(session, campaign)
        if row.state == CampaignState.DELETED:
            raise CampaignError(f"campaign {row.name!r} is deleted: read-only")
        deleted = _delete_undialed(session, sa.and_(
            Lead.campaign_id == row.id, Lead.status.in_(_NEVER_DIALABLE)))
        lists = _delete_empty_lists(session, row.id)
        session.commit()
    return Removal(deleted=int(deleted), lists_deleted=lists)


def set_list_active(store: CampaignStore, campaign: CampaignRef, list_ref: str | int,
                    active: bool) -> LeadList:
    with store.session() as session:
        row = store._campaign(session, campaign)
        lead_list = session.get(LeadList, _list_id(session, row.id, list_ref))
        assert lead_list is not None
        lead_list.active = active
        session.add(lead_list)
        session.commit()
        return lead_list


def list_counts(store: CampaignStore, campaign: CampaignRef) -> list[dict[str, Any]]:
    """Each lead list with its state and leads by status."""
    with store.read_session() as session:
        row = store._campaign(session, campaign)
        lists = list(session.execute(sa.select(LeadList).where(
            LeadList.campaign_id == row.id).order_by(LeadList.id)).scalars())
        counts: dict[int, dict[str, int]] = {}
        for list_id, status, n in session.execute(
                sa.select(Lead.list_id, Lead.status, sa.func.count())
                .where(Lead.campaign_id == row.id).group_by(Lead.list_id, Lead.status)):
            counts.setdefault(list_id, {})[status] = int(n)
    return [{"id": x.id, "name": x.name, "active": x.active, "imported": x.imported_rows,
             "rejected": x.rejected_rows, "created_at": x.created_at,
             "leads": counts.get(x.id or 0, {})} for x in lists]
