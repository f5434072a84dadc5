"""One lead's time zone, set by hand (``dialer leads edit CAMPAIGN LEAD --timezone ZONE``).

A lead stored with a wrong zone, or none the rules can use, was only repairable in bulk
(``dialer leads fix-zones``, which writes only the zone an abbreviation certainly meant) or
by deleting the lead and importing it again, which a dialed lead does not allow. The zone
is held to an import's names (``dnc.rules.zone_names``: ``EST`` is refused with the zone
probably meant); a zone outside the lead's state is written with the same warning an import
gives (the calling-hours rules use both). The write is a compare-and-set on the zone read,
as ``fix-zones`` writes: a lead changed meanwhile is not overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import Lead
from campaigns.phones import lookup_area
from campaigns.store import CampaignStore
from dnc.rules.zone_names import zone_name_problem


class LeadEditError(CampaignError):
    """A lead that is not there, or a value it cannot take; nothing was written."""


@dataclass(frozen=True, slots=True)
class ZoneEdit:
    lead_id: int
    phone: str
    before: str | None
    after: str
    warnings: tuple[str, ...] = ()


def checked_zone(text: str) -> str:
    """``text`` as a lead's zone (one IANA zone, or several joined with "," as an import
    stores an area code spanning zones), or ``LeadEditError`` naming the zone meant."""
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise LeadEditError("--timezone: empty; write a place's IANA zone, e.g. America/New_York")
    for name in names:
        if not name:
            raise LeadEditError(f"--timezone {text!r}: an empty zone between commas")
        if (problem := zone_name_problem(name)) is not None:
            raise LeadEditError(f"--timezone: {problem}")
    return ",".join(dict.fromkeys(names))


def _lead(store: CampaignStore, campaign_id: int, ref: str) -> Lead:
    """The campaign's lead by id (as ``dialer leads list`` shows it) or by E.164 number."""
    text = ref.strip()
    if text.startswith("+"):
        where = Lead.phone == text
    elif text.isdigit():
        where = Lead.id == int(text)
    else:
        raise LeadEditError(
            f"lead {ref!r}: give its id (`dialer leads list`) or its number in E.164 (+12015550123)"
        )
    with store.read_session() as session:
        found = session.exec(select(Lead).where(Lead.campaign_id == campaign_id, where)).first()
    if found is None:
        raise LeadEditError(
            f"lead {ref!r}: no such lead in this campaign (`dialer leads "
            "list` shows their ids and numbers)"
        )
    return found


def _warnings(lead: Lead, zone: str) -> tuple[str, ...]:
    """What an import says of the same zone on this lead (written all the same)."""
    from dnc.rules.model import LeadFacts
    from dnc.rules.tables import RuleTables
    from dnc.rules.zones import zone_conflict

    found = []
    if conflict := zone_conflict(
        LeadFacts(lead.phone, time_zone=zone, state=lead.state), RuleTables()
    ):
        found.append(conflict)
    area = lookup_area(lead.phone).timezone
    outside = [z for z in zone.split(",") if area and z not in area.split(",")]
    if outside:
        found.append(
            f"time zone {', '.join(outside)} is not a zone of the number's area "
            f"code ({area.replace(',', ', ')}): the calling-hours rules use both"
        )
    return tuple(found)


def edit_lead_zone(store: CampaignStore, campaign: str, ref: str, zone: str) -> ZoneEdit:
    """Set one lead's time zone; refused, with nothing written, when the zone is not a
    place's or the lead changed while this ran."""
    checked = checked_zone(zone)
    row = store.campaign(campaign)
    lead = _lead(store, row.id or 0, ref)
    table = Lead.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(
                table.c.id == lead.id,
                table.c.campaign_id == row.id,
                table.c.timezone.is_(None)
                if lead.timezone is None
                else table.c.timezone == lead.timezone,
            )
            .values(timezone=checked)
        )
        if done.rowcount != 1:
            raise LeadEditError(
                f"lead {lead.id}'s zone changed while editing (was "
                f"{lead.timezone}); nothing was written, run it again"
            )
    return ZoneEdit(lead.id or 0, lead.phone, lead.timezone, checked, _warnings(lead, checked))
