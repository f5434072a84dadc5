"""Leads stored with a time zone an import now refuses (``dnc.rules.zone_names``), and their repair.

Leads imported before the eighth pass may keep ``EST``, ``EST5EDT``, ``Etc/GMT+5`` or ``UTC``
as their zone. The compliance rules still combine it with the area code's zones, so calling
hours hold; the campaign's own schedule reads the stored zone alone, so a New York lead
stored as ``EST`` is scheduled an hour off every summer. ``dialer doctor`` and ``dialer run``
name them (``stored_zone_report``: one GROUP BY on the zone column, then one check per
distinct zone, cheap on a million leads); ``dialer leads fix-zones`` rewrites those whose
repair is certain (``plan_fixes``): the one zone the refusal suggests, and only when the
lead's area code agrees. The rest are listed for a human.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from campaigns.errors import CampaignError
from campaigns.models import Lead
from campaigns.phones import lookup_area
from campaigns.store import CampaignStore
from dnc.rules.zone_names import zone_name_problem

EXAMPLES = 3
_ZONE_TOKEN = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+")


def refused_parts(stored: str) -> list[str]:
    """The parts of a stored zone (several candidates are joined with ",") an import
    refuses now."""
    return [name.strip() for name in stored.split(",")
            if name.strip() and zone_name_problem(name.strip()) is not None]


@lru_cache(maxsize=256)
def meant_zone(name: str) -> str | None:
    """The one place's zone ``zone_name_problem`` suggests for ``name``, or None when it
    suggests none, several (``MST``: Denver or Phoenix), or only an example (``UTC``: "e.g.
    America/New_York" is not where the callee is)."""
    problem = zone_name_problem(name)
    if problem is None or "e.g." in problem:
        return None
    zones = {z for z in _ZONE_TOKEN.findall(problem) if zone_name_problem(z) is None}
    return zones.pop() if len(zones) == 1 else None


@dataclass(frozen=True, slots=True)
class StoredZones:
    """The refusable zones of a campaign's leads: each stored value with its lead count."""

    campaign: str
    counts: dict[str, int]
    examples: list[tuple[int, str]] = field(default_factory=list)
    """(lead id, stored zone), a few."""

    @property
    def leads(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """One sentence: how many, a few examples with the zone probably meant, the repair."""
        shown = []
        for lead_id, stored in self.examples:
            meant = ",".join(meant_zone(p) or "?" for p in refused_parts(stored))
            shown.append(f"lead {lead_id} {stored} (probably {meant})")
        return (f"{self.leads:,} leads are stored with a time zone an import now refuses "
                f"({', '.join(sorted(self.counts)[:6])}{' …' if len(self.counts) > 6 else ''}"
                f"; e.g. {'; '.join(shown)}): the calling-hours rules still combine it with "
                "the area code's zones, but the campaign's schedule reads it alone; repair "
                f"them with `dialer leads fix-zones {self.campaign}` (--dry-run to see the "
                "changes first)")


def stored_zone_report(store: CampaignStore, campaign: str) -> StoredZones | None:
    """The campaign's leads stored with a refusable zone, or None when there are none."""
    row = store.campaign(campaign)
    with store.engine.connect() as connection:
        grouped = connection.execute(
            sa.select(Lead.timezone, sa.func.count())  # type: ignore[arg-type]
            .where(Lead.campaign_id == row.id, Lead.timezone.is_not(None))  # type: ignore[union-attr]
            .group_by(Lead.timezone)).all()
        counts = {stored: n for stored, n in grouped if refused_parts(stored)}
        if not counts:
            return None
        examples = [(r[0], r[1]) for r in connection.execute(
            sa.select(Lead.id, Lead.timezone)
            .where(Lead.campaign_id == row.id,
                   Lead.timezone.in_(sorted(counts)))  # type: ignore[union-attr]
            .order_by(Lead.id).limit(EXAMPLES))]
    return StoredZones(row.name, counts, examples)


@dataclass(frozen=True, slots=True)
class ZoneFix:
    lead_id: int
    phone: str
    stored: str
    fixed: str | None
    """The zone written, or None: left for a human (``reason`` says why)."""
    reason: str = ""


def plan_fix(lead_id: int, phone: str, stored: str) -> ZoneFix:
    """Each refused part replaced by the one zone meant, when the area code's zones agree;
    otherwise nothing is changed and the reason is said."""
    area = lookup_area(phone).timezone
    area_zones = set(area.split(",")) if area else set()
    parts = []
    for name in (p.strip() for p in stored.split(",") if p.strip()):
        if zone_name_problem(name) is None:
            parts.append(name)
            continue
        meant = meant_zone(name)
        if meant is None:
            return ZoneFix(lead_id, phone, stored, None,
                           f"{name}: no single zone is meant ({zone_name_problem(name)})")
        if meant not in area_zones:
            return ZoneFix(lead_id, phone, stored, None,
                           f"{name} probably means {meant}, but the number's area code is in "
                           f"{area or 'no known zone'}")
        parts.append(meant)
    return ZoneFix(lead_id, phone, stored, ",".join(dict.fromkeys(parts)))


def plan_fixes(store: CampaignStore, campaign: str) -> list[ZoneFix]:
    """Every lead of the campaign stored with a refusable zone, with its repair or why not."""
    report = stored_zone_report(store, campaign)
    if report is None:
        return []
    row = store.campaign(campaign)
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(Lead.id, Lead.phone, Lead.timezone)
            .where(Lead.campaign_id == row.id,
                   Lead.timezone.in_(sorted(report.counts)))  # type: ignore[union-attr]
            .order_by(Lead.id)).all()
    return [plan_fix(i, phone, stored) for i, phone, stored in rows]


class ZoneFixConflict(CampaignError):
    """A lead's zone changed between the plan and the write: nothing was written."""


def apply_fixes(store: CampaignStore, fixes: Iterable[ZoneFix]) -> int:
    """Write the planned zones in one transaction, each only if the lead still has the zone
    planned from; any lead changed meanwhile rolls the whole write back."""
    chosen = [f for f in fixes if f.fixed is not None]
    table = Lead.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as connection:
        for fix in chosen:
            done = connection.execute(
                table.update().where(table.c.id == fix.lead_id,
                                     table.c.timezone == fix.stored)
                .values(timezone=fix.fixed))
            if done.rowcount != 1:
                raise ZoneFixConflict(f"lead {fix.lead_id}'s zone changed while fixing "
                                      f"(was {fix.stored}); nothing was written, run it again")
    return len(chosen)
