"""The hopper: which leads to dial next, claimed so no two dialer processes take the same.

Order: due callbacks first, then priority (high first), then due time (a never-dialed lead
is due from its import, a retried one from its retry time), then lead id. A lead is a
candidate when its status is new/retry/callback, it is due, its daily cap is not reached,
and it is not held by an unexpired claim. Each candidate passes the campaign's own calling
schedule and then the compliance check (``SelectionCheck``) at selection time; the runner
checks again at dial time.

Claims carry an owner and an expiry: a process that dies leaves claims that simply expire
and the leads return to the pool. PostgreSQL locks candidates with
``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent claimers skip each other's rows; SQLite
serialises claimers with its single-writer ``BEGIN IMMEDIATE`` transaction.

These functions are methods of ``CampaignStore`` (bound there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import select

from campaigns.models import Callback, CallbackStatus, Lead, LeadList, LeadStatus
from campaigns.settings import CampaignSettings, CampaignState
from campaigns.stored_settings import stored_settings
from dnc.interfaces import contact_key

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

BLOCKED_RECHECK = timedelta(minutes=15)
"""A lead refused for now (outside a window) is looked at again after this long."""


@dataclass(frozen=True, slots=True)
class ClaimedLead:
    """A lead claimed for one dialer process until ``claim_expires_at``."""

    lead_id: int
    campaign_id: int
    campaign: str
    phone: str
    attempt_number: int
    """The attempt this dial would be (1 for the first)."""
    priority: int
    status: str
    timezone: str | None
    state: str | None
    postal_code: str | None
    first_name: str | None
    last_name: str | None
    custom: dict[str, Any] = field(default_factory=dict)
    consent: list[Any] = field(default_factory=list)
    attempts_today: int = 0
    callback_id: int | None = None
    callback_agent_id: int | None = None
    """The agent the callback is promised to (None: anyone)."""
    owner_agent_id: int | None = None
    claimed_by: str = ""
    claim_expires_at: datetime | None = None
    line_type: str | None = None
    contact_id: str | None = None

    @property
    def timezones(self) -> tuple[str, ...]:
        return tuple(z for z in (self.timezone or "").split(",") if z)


@dataclass(frozen=True, slots=True)
class SelectionVerdict:
    allowed: bool
    reasons: tuple[str, ...] = ()
    permanent: bool = False
    """Never dialable in this campaign (e.g. on a DNC list): the lead becomes suppressed."""
    retry_at: datetime | None = None
    """When to look again (e.g. the calling window opens); default 15 minutes."""


class SelectionCheck(Protocol):
    """The compliance engine as the hopper sees it. A check may also offer
    ``prepare(leads, settings, at)``: the hopper hands it each batch of candidates before
    asking about them one by one, so what it reads per lead (revocations, the person's other
    numbers) is read in one query per batch (``campaigns.compliance.EngineSelectionCheck``)."""

    def __call__(self, lead: ClaimedLead, settings: CampaignSettings, at: datetime
                 ) -> SelectionVerdict: ...


def _prepare(check: SelectionCheck | None, leads: Sequence[ClaimedLead],
             settings: CampaignSettings, at: datetime) -> None:
    prepare = getattr(check, "prepare", None)
    if prepare is not None and leads:
        prepare(leads, settings, at)


def allow_all(lead: ClaimedLead, settings: CampaignSettings, at: datetime) -> SelectionVerdict:
    """No compliance check (tests and simulations only)."""
    return SelectionVerdict(True)


def schedule_verdict(lead: ClaimedLead, settings: CampaignSettings, at: datetime
                     ) -> SelectionVerdict:
    """The campaign's own calling schedule in the callee's local time (every candidate zone
    of the area code must be inside it). A lead with no zone at all is left to compliance
    (it places the callee from the number); a lead naming a zone that cannot be loaded is
    refused for good: its local time cannot be placed, so no schedule can allow it (it was
    skipped here, and only a compliance check, which tests and simulations may leave out,
    kept it from being dialed)."""
    window = settings.schedule
    for name in lead.timezones:
        try:
            local = at.astimezone(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            return SelectionVerdict(False, (
                f"schedule: unknown time zone {name!r}: the callee's local time cannot be "
                "placed",), permanent=True)
        if not window.admits(local):
            return SelectionVerdict(False, (f"schedule:outside {window.start}-{window.end} "
                                            f"in {name}",))
    return SelectionVerdict(True)


def selection_verdict(lead: ClaimedLead, settings: CampaignSettings, at: datetime,
                      check: SelectionCheck | None) -> SelectionVerdict:
    """The schedule, then ``check`` (compliance) on what the schedule allows, and on what it
    refuses for good too, so that such a refusal is the compliance engine's own (audited,
    with its reason) whenever there is one; a lead refused for good stays refused."""
    verdict = schedule_verdict(lead, settings, at)
    if check is None or not (verdict.allowed or verdict.permanent):
        return verdict
    checked = check(lead, settings, at)
    if verdict.allowed or (not checked.allowed and checked.permanent):
        return checked
    return SelectionVerdict(False, (*verdict.reasons, *checked.reasons), permanent=True)


def _claimed(lead: Lead, campaign: str, callback: Callback | None, owner: str,
             expires: datetime | None) -> ClaimedLead:
    return ClaimedLead(
        lead_id=lead.id, campaign_id=lead.campaign_id, campaign=campaign, phone=lead.phone,
        attempt_number=lead.attempts + 1, priority=lead.priority, status=lead.status,
        timezone=lead.timezone, state=lead.state, postal_code=lead.postal_code,
        first_name=lead.first_name, last_name=lead.last_name, custom=dict(lead.custom or {}),
        consent=list(lead.consent or []), attempts_today=lead.attempts_today,
        callback_id=callback.id if callback else None,
        callback_agent_id=callback.agent_id if callback else None,
        owner_agent_id=lead.owner_agent_id, claimed_by=owner, claim_expires_at=expires,
        line_type=lead.line_type, contact_id=contact_key(lead.contact_id))


def claim_leads(self: CampaignStore, campaign: CampaignRef, n: int, *, owner: str,
                now: datetime, check: SelectionCheck | None = None,
                ttl: timedelta | None = None) -> list[ClaimedLead]:
    """Claim up to ``n`` dialable leads for ``owner`` (none unless the campaign runs).

    ``check`` is the compliance callable (default: none — the runner must pass one for a
    live campaign). Leads it refuses permanently become ``suppressed`` with the reason;
    others are looked at again at ``retry_at``.
    """
    claimed: list[ClaimedLead] = []
    if n <= 0:
        return claimed
    today = now.date().isoformat()
    with self.session() as session:
        row = self._campaign(session, campaign)
        if row.state != CampaignState.RUNNING:
            return claimed
        settings = stored_settings(row)
        expires = now + (ttl or timedelta(seconds=settings.claim_ttl_seconds))
        for _round in range(5):
            candidates = _candidates(self, session, row.id, now, today,
                                     settings.max_attempts_per_day,
                                     max(n - len(claimed), 1) * 2)
            if not candidates:
                break
            callbacks = _pending_callbacks(session, [c.id for c in candidates], now)
            views = [_claimed(lead, row.name, callbacks.get(lead.id), owner, expires)
                     for lead in candidates]
            _prepare(check, views, settings, now)
            for lead, view in zip(candidates, views, strict=True):
                if len(claimed) >= n:
                    break
                verdict = selection_verdict(view, settings, now, check)
                if verdict.allowed:
                    lead.claimed_by, lead.claim_expires_at = owner, expires
                    lead.block_reason = None
                    claimed.append(view)
                elif verdict.permanent:
                    lead.status = LeadStatus.SUPPRESSED
                    lead.block_reason = "; ".join(verdict.reasons)[:500]
                    lead.next_attempt_at = None
                else:
                    lead.block_reason = "; ".join(verdict.reasons)[:500]
                    lead.next_attempt_at = verdict.retry_at or now + BLOCKED_RECHECK
                session.add(lead)
            session.flush()
            if len(claimed) >= n:
                break
        session.commit()
    return claimed


def _candidates(self: CampaignStore, session: Any, campaign_id: int, now: datetime,
                today: str, daily_cap: int, limit: int, lock: bool = True) -> list[Lead]:
    """Due callbacks first, then dialable leads in dial order; both walk an index
    (``ix_lead_hopper`` and the partial ``ix_lead_dial_order``), never sort the campaign."""
    available = (
        Lead.campaign_id == campaign_id,
        Lead.next_attempt_at <= now,
        sa.or_(Lead.claimed_by.is_(None), Lead.claim_expires_at < now),
        sa.or_(Lead.attempts_day.is_(None), Lead.attempts_day != today,
               Lead.attempts_today < daily_cap),
    )
    # Lists a campaign manager disabled (`dialer leads disable`): usually none, and then
    # the queries stay exactly as the indexes serve them.
    disabled = list(session.exec(select(LeadList.id).where(
        LeadList.campaign_id == campaign_id, LeadList.active == sa.false())))
    if disabled:
        available = (*available, Lead.list_id.not_in(disabled))
    callbacks = (select(Lead).where(Lead.status == LeadStatus.CALLBACK.value, *available)
                 .order_by(Lead.next_attempt_at, Lead.id).limit(limit))
    # The status test is written exactly as the partial index's predicate so both
    # planners may use the index.
    dialable = (select(Lead).where(sa.text("lead.status IN ('new', 'retry', 'callback')"),
                                   *available)
                .order_by(Lead.campaign_id, Lead.priority.desc(), Lead.next_attempt_at, Lead.id)
                .limit(limit))
    if self.is_postgres and lock:
        callbacks = callbacks.with_for_update(skip_locked=True)
        dialable = dialable.with_for_update(skip_locked=True)
    found = list(session.exec(callbacks))
    seen = {lead.id for lead in found}
    found.extend(lead for lead in session.exec(dialable) if lead.id not in seen)
    return found


@dataclass(frozen=True, slots=True)
class SelectionPreview:
    """What ``claim_leads`` would decide for the next leads in dial order, without claiming,
    suppressing or delaying any (``dialer doctor`` shows it)."""

    examined: int
    allowed: int
    refused_by: dict[str, int]
    """Rule id (or ``schedule``) -> leads it refused; a lead refused by several counts for
    each."""
    examples: dict[str, str]
    """Rule id -> the first refusal's full reason."""
    permanent: int
    """Refused leads a claim would suppress (never dialable in this campaign)."""
    more: bool
    """More leads are due than were examined."""


def preview_selection(store: CampaignStore, campaign: CampaignRef, now: datetime,
                      check: SelectionCheck | None, limit: int = 200) -> SelectionPreview:
    """The selection verdicts (schedule, then ``check``) of the first ``limit`` candidates
    ``claim_leads`` would look at now, read-only: no claim, no lock, nothing written."""
    refused: dict[str, int] = {}
    examples: dict[str, str] = {}
    allowed = permanent = 0
    with store.read_session() as session:
        row = store._campaign(session, campaign)
        settings = stored_settings(row)
        found = _candidates(store, session, row.id, now, now.date().isoformat(),
                            settings.max_attempts_per_day, limit + 1, lock=False)
        callbacks = _pending_callbacks(session, [c.id for c in found[:limit]], now)
        views = [_claimed(lead, row.name, callbacks.get(lead.id), "preview", None)
                 for lead in found[:limit]]
        _prepare(check, views, settings, now)
        for view in views:
            verdict = selection_verdict(view, settings, now, check)
            if verdict.allowed:
                allowed += 1
                continue
            permanent += verdict.permanent
            for reason in verdict.reasons:
                rule = reason.split(":", 1)[0].strip()
                refused[rule] = refused.get(rule, 0) + 1
                examples.setdefault(rule, reason)
    return SelectionPreview(min(len(found), limit), allowed, refused, examples, permanent,
                            len(found) > limit)


def _pending_callbacks(session: Any, lead_ids: list[int], now: datetime
                       ) -> dict[int, Callback]:
    rows = session.exec(select(Callback).where(
        Callback.lead_id.in_(lead_ids), Callback.status == CallbackStatus.PENDING,
        Callback.due_at <= now).order_by(Callback.due_at))
    found: dict[int, Callback] = {}
    for callback in rows:
        found.setdefault(callback.lead_id, callback)
    return found


def release_lead(self: CampaignStore, lead_id: int, *, owner: str | None = None) -> bool:
    """Give back a claimed lead that was not dialed. False if ``owner`` no longer holds it."""
    with self.session() as session:
        query = sa.update(Lead).where(Lead.id == lead_id)
        if owner is not None:
            query = query.where(Lead.claimed_by == owner)
        result = session.execute(query.values(claimed_by=None, claim_expires_at=None))
        session.commit()
        return bool(result.rowcount)


def release_claims(self: CampaignStore, owner: str) -> int:
    """Give back every claim ``owner`` holds (clean shutdown of a dialer process)."""
    with self.session() as session:
        result = session.execute(sa.update(Lead).where(Lead.claimed_by == owner).values(
            claimed_by=None, claim_expires_at=None))
        session.commit()
        return int(result.rowcount or 0)


def renew_claims(self: CampaignStore, owner: str, lead_ids: Sequence[int], *, until: datetime
                 ) -> set[int]:
    """Extend ``owner``'s claims on ``lead_ids`` to ``until``; returns the ids it still held.

    A dialer process renews what it holds in memory well before the claims expire, so a
    lead waiting in its hopper is never taken by another process; a lead missing from the
    answer was lost (expired and claimed elsewhere) and must not be dialed.
    """
    held: set[int] = set()
    ids = list(lead_ids)
    with self.session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            session.execute(sa.update(Lead).where(
                Lead.id.in_(chunk), Lead.claimed_by == owner).values(claim_expires_at=until))
            held.update(session.exec(select(Lead.id).where(
                Lead.id.in_(chunk), Lead.claimed_by == owner)))
        session.commit()
    return held
