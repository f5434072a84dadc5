"""Campaign names that differ only in case, and renaming a campaign.

Since the eleventh pass a campaign whose name differs from another's only in case is
refused at creation (``Spring`` beside ``spring``: ``dialer run spring`` worked the other
one). Pairs stored before stay two campaigns, each taken by its exact name; this module
finds them (``campaign list`` and ``dialer doctor`` warn, with the repair) and renames one
(``dialer campaign rename``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import Campaign
from campaigns.settings import CampaignState

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore


def alike_groups(store: CampaignStore) -> list[list[str]]:
    """The names of campaigns (not deleted) that differ only in case, in groups of two or
    more, each sorted."""
    groups: dict[str, list[str]] = {}
    for row in store.campaigns():
        groups.setdefault(row.name.casefold(), []).append(row.name)
    return [sorted(names) for names in groups.values() if len(names) > 1]


def alike_warning(names: list[str]) -> str:
    """The warning for one group, with its repair."""
    listed = ", ".join(map(repr, names))
    return (f"campaigns {listed} differ only in case (stored before such names were "
            "refused): each command needs the exact name, and a spelling that fits both "
            f"is refused; rename one, e.g. `dialer campaign rename {names[0]} "
            f"{names[0]}-2`")


def rename_campaign(store: CampaignStore, ref: CampaignRef, new: str, *,
                    at: datetime) -> Campaign:
    """Rename a campaign that is not running (a running process names its socket, logs and
    metrics after it). The new name is checked as a new campaign's: 1 to 120 printable
    characters, no other campaign's name, nor one differing from it only in case."""
    new = new.strip()
    if not new or len(new) > 120 or not new.isprintable():
        raise CampaignError("campaign name must be 1 to 120 printable characters")
    with store.session() as session:
        campaign = store._campaign(session, ref)
        if campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED):
            raise CampaignError(
                f"campaign {campaign.name!r} is {campaign.state}: a process running it "
                f"names its socket, logs and metrics after it; stop it first (dialer "
                f"campaign stop {campaign.name})")
        if campaign.state == CampaignState.DELETED:
            raise CampaignError(f"campaign {campaign.name!r} is deleted")
        for other in session.exec(select(Campaign).where(
                Campaign.id != campaign.id, Campaign.state != CampaignState.DELETED)):
            if other.name == new:
                raise CampaignError(f"campaign {new!r} already exists")
            if other.name.casefold() == new.casefold():
                raise CampaignError(
                    f"campaign {other.name!r} already exists, and {new!r} differs from it "
                    "only in case: every command would need the exact name; choose "
                    "another name")
        campaign.name = new
        campaign.updated_at = at
        session.add(campaign)
        session.commit()
        session.refresh(campaign)
        return campaign
