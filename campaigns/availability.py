"""Which of a campaign's leads can be dialed now, and when the others can.

``dialer run`` asks this when its hopper runs dry and ``dialer doctor`` asks it without
running, so both say the same thing in plain words: no leads at all, every lead done,
every lead outside calling hours until a given time (the campaign's own schedule in the
callee's local time, within the federal 08:00–21:00 window), leads waiting for their retry
time, leads held by another dialer process, leads at their daily cap. Counting is done in
SQL; only one row per status, time zone and waiting reason comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from campaigns.models import DIALABLE_STATUSES, Lead, LeadList, LeadStatus
from campaigns.settings import CallingWindow
from campaigns.stored_settings import stored_settings
from dnc.rules.zones import zone_loads

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

FEDERAL_EARLIEST = time(8, 0)
FEDERAL_LATEST = time(21, 0)
"""47 CFR 64.1200(c)(1), 16 CFR 310.4(c): no telephone solicitation before 8 am or after
9 pm at the called party's location (states may be stricter; the rules engine knows them)."""
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class ZoneHours:
    """Dialable leads in one time zone (or set of zones, for an area code spanning several)."""

    zones: str
    leads: int
    due: int
    """Of ``leads``, those due now (not held, under the daily cap)."""
    open_now: bool
    opens_at: datetime | None
    """When the calling hours next open there (None: open now, or never within a week)."""
    known: bool = True
    """False: a zone name that cannot be loaded. The callee's local time cannot be placed,
    so these leads never open (the hopper suppresses them with the reason)."""


@dataclass(frozen=True, slots=True)
class LeadAvailability:
    """A campaign's leads as the hopper sees them at ``at``."""

    at: datetime
    by_status: dict[str, int]
    dialable: int
    """Leads that may still be dialed some day (status new, retry or callback)."""
    due: int
    """Dialable now: due, not held by a claim, under the daily cap."""
    claimed: int
    """Dialable but held by an unexpired claim of a dialer process."""
    capped: int
    """Due but at the daily attempt cap for today."""
    next_due_at: datetime | None
    """The earliest time a dialable lead that is not due yet becomes due."""
    waiting_reasons: dict[str, int] = field(default_factory=dict)
    """Why dialable leads not due were last refused (the hopper's ``block_reason``)."""
    zones: tuple[ZoneHours, ...] = ()
    schedule: CallingWindow = field(default_factory=CallingWindow)
    disabled: int = 0
    """Leads that could be dialed but are in lists the campaign manager disabled."""

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def callable_now(self) -> int:
        """Due leads whose zone is inside the calling hours now (unknown zones count)."""
        return self.due - sum(z.due for z in self.zones if not z.open_now)

    def reason(self) -> str | None:
        """Why nothing can be dialed now, in one sentence; None when some lead can be."""
        if self.total == 0:
            return "the campaign has no leads: import some with `dialer leads import`"
        if self.dialable == 0 and self.disabled:
            return (f"all {self.disabled:,} leads left to dial are in disabled lists "
                    "(`dialer leads enable CAMPAIGN LIST`)")
        if self.dialable == 0:
            done = ", ".join(f"{status} {n:,}" for status, n in sorted(self.by_status.items()))
            return f"no lead is left to dial ({done})"
        unplaceable = [z for z in self.zones if not z.known]
        closed = [z for z in self.zones if not z.open_now and z.known]
        if (closed or unplaceable) and \
                sum(z.leads for z in (*closed, *unplaceable)) >= self.dialable:
            return "; ".join(
                ([self._outside_hours(closed)] if closed else [])
                + ([self._unplaceable(unplaceable)] if unplaceable else []))
        if self.callable_now > 0:
            return None
        parts = []
        if unplaceable:
            parts.append(self._unplaceable(unplaceable))
        if self.claimed:
            parts.append(f"{self.claimed:,} held by a dialer process")
        if self.capped:
            parts.append(f"{self.capped:,} at the daily cap of attempts")
        if self.next_due_at is not None:
            waiting = self.dialable - self.due - self.claimed
            why = max(self.waiting_reasons, key=self.waiting_reasons.__getitem__,
                      default="their retry time")
            parts.append(f"{waiting:,} waiting until {_hhmm(self.next_due_at, self.at)} "
                         f"({why})")
        if closed:
            parts.append(self._outside_hours(closed))
        detail = "; ".join(parts) or "none is due"
        return f"no lead is callable now: {detail}"

    @staticmethod
    def _unplaceable(zones: list[ZoneHours]) -> str:
        names = ", ".join(sorted({z.zones for z in zones})[:3])
        return (f"{sum(z.leads for z in zones):,} leads name a time zone that cannot be "
                f"loaded ({names}): their local time cannot be placed, so they are never "
                "dialed (correct the zone in the lead file)")

    def _outside_hours(self, closed: list[ZoneHours]) -> str:
        leads = sum(z.leads for z in closed)
        opening = min((z.opens_at for z in closed if z.opens_at is not None), default=None)
        until = f"until {_hhmm(opening, self.at)}" if opening else "all week"
        zones = sorted({name for z in closed for name in z.zones.split(",")})
        shown = ", ".join(zones[:3]) + (f" and {len(zones) - 3} more" if len(zones) > 3 else "")
        every = "all " if leads >= self.dialable else ""
        return (f"{every}{leads:,} leads are outside calling hours {until} "
                f"(campaign schedule {describe_window(self.schedule)} in {shown})")


def describe_window(window: CallingWindow) -> str:
    days = sorted(window.days)
    if days == list(range(7)):
        span = "every day"
    elif len(days) == 1:
        span = f"{DAY_NAMES[days[0]]} only"
    elif days == list(range(days[0], days[-1] + 1)):
        span = f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    else:
        span = ", ".join(DAY_NAMES[d] for d in days)
    return f"{window.start:%H:%M}–{window.end:%H:%M} {span}"


def _hhmm(moment: datetime, now: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.date() == now.astimezone(UTC).date():
        return f"{moment:%H:%M} UTC"
    return f"{moment:%a %H:%M} UTC"


def _open_in(window: CallingWindow, zone: ZoneInfo, at: datetime) -> bool:
    local = at.astimezone(zone)
    start = max(window.start, FEDERAL_EARLIEST)
    end = min(window.end, FEDERAL_LATEST)
    return local.weekday() in window.days and start <= local.time() < end


def next_opening(window: CallingWindow, zone_names: str, at: datetime) -> datetime | None:
    """The first moment from ``at`` when every zone of ``zone_names`` is inside the window
    (the campaign's schedule within the federal hours); None if not within 8 days, or never
    (a zone that cannot be loaded: its local time cannot be placed, so it never opens)."""
    zones = []
    for name in filter(None, zone_names.split(",")):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    if not zones:
        return at
    # Minute steps over the candidate openings: each zone's window start, on each day.
    candidates = sorted({datetime.combine(at.astimezone(z).date() + timedelta(days=d),
                                          max(window.start, FEDERAL_EARLIEST), z)
                         .astimezone(UTC) for z in zones for d in range(9)})
    for moment in [at, *candidates]:
        if moment >= at and all(_open_in(window, z, moment) for z in zones):
            return moment
    return None


def lead_availability(store: CampaignStore, campaign: CampaignRef, now: datetime
                      ) -> LeadAvailability:
    """Count the campaign's leads by what stands between them and a dial at ``now``."""
    row = store.campaign(campaign)
    settings = stored_settings(row)
    dialable_status = Lead.status.in_([s.value for s in DIALABLE_STATUSES])
    disabled_lists = sa.select(LeadList.id).where(LeadList.campaign_id == row.id,
                                                  LeadList.active == sa.false())
    dialable = sa.and_(dialable_status, Lead.list_id.not_in(disabled_lists))
    unclaimed = sa.or_(Lead.claimed_by.is_(None), Lead.claim_expires_at < now)
    today = now.date().isoformat()
    capped = sa.and_(Lead.attempts_day == today,
                     Lead.attempts_today >= settings.max_attempts_per_day)
    due_time = Lead.next_attempt_at <= now
    mine = Lead.campaign_id == row.id
    with store.read_session() as session:
        by_status = {status: int(n) for status, n in session.execute(
            sa.select(Lead.status, sa.func.count()).where(mine).group_by(Lead.status))}
        disabled = int(session.execute(sa.select(sa.func.count()).where(
            mine, dialable_status, Lead.list_id.in_(disabled_lists))).scalar_one())
        counts = session.execute(sa.select(
            sa.func.sum(sa.case((sa.and_(due_time, unclaimed, sa.not_(capped)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(sa.not_(unclaimed)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(due_time, unclaimed, capped), 1), else_=0)),
            sa.func.min(sa.case((sa.not_(due_time), Lead.next_attempt_at), else_=None)),
        ).where(mine, dialable)).one()
        reasons = session.execute(
            sa.select(Lead.block_reason, sa.func.count()).where(
                mine, dialable, sa.not_(due_time), Lead.block_reason.is_not(None))
            .group_by(Lead.block_reason).order_by(sa.func.count().desc()).limit(5)).all()
        zone_rows = session.execute(
            sa.select(Lead.timezone, sa.func.count(), sa.func.sum(sa.case(
                (sa.and_(due_time, unclaimed, sa.not_(capped)), 1), else_=0)))
            .where(mine, dialable).group_by(Lead.timezone)).all()
    next_due = counts[3]
    if isinstance(next_due, str):  # SQLite's MIN over a CASE loses the column type
        next_due = datetime.fromisoformat(next_due)
    if next_due is not None and next_due.tzinfo is None:
        next_due = next_due.replace(tzinfo=UTC)
    zones = tuple(_zone_hours(settings.schedule, name, int(n), int(due or 0), now)
                  for name, n, due in zone_rows if name)
    return LeadAvailability(
        at=now, by_status=by_status, disabled=disabled,
        dialable=sum(by_status.get(s.value, 0) for s in DIALABLE_STATUSES) - disabled,
        due=int(counts[0] or 0), claimed=int(counts[1] or 0), capped=int(counts[2] or 0),
        next_due_at=next_due, waiting_reasons={_short(r): int(n) for r, n in reasons},
        zones=zones, schedule=settings.schedule)


def _zone_hours(window: CallingWindow, zone_names: str, leads: int, due: int, now: datetime
                ) -> ZoneHours:
    opening = next_opening(window, zone_names, now)
    open_now = opening is not None and opening <= now
    return ZoneHours(zone_names, leads, due, open_now, None if open_now else opening,
                     known=all(zone_loads(name) for name in filter(None, zone_names.split(","))))


def _short(reason: str | None) -> str:
    """A stored block reason, without the per-zone detail that makes each one unique."""
    text = (reason or "").split(";")[0].strip()
    return text[:80] or "no reason recorded"


__all__ = ["LeadAvailability", "LeadStatus", "ZoneHours", "describe_window",
           "lead_availability", "next_opening"]
