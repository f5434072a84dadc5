"""Which dialer processes run a campaign, as far as this host and the database can tell.

A runner leaves two traces: the control socket it listens on (``<data>/run/<campaign>.sock``,
or ``<campaign>@<instance>.sock`` for a named instance) and the claims it renews in the
database (its campaign's leads, its queues' callbacks, each with the owner id and an
expiry). A socket is seen only under the same data directory; a claim is seen from any
host sharing the database, but only while the process holds something. ``sightings``
gathers both; ``Sightings.unknowable`` says when neither can settle it (the campaign may
run, and nothing here would show it), so a caller can say so plainly rather than imply
that nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from campaigns.models import Campaign, Lead, QueueCallback
from campaigns.settings import CampaignState
from campaigns.store import CampaignStore
from dialer.runner.settings import control_socket_path


@dataclass(frozen=True, slots=True)
class Sightings:
    """The processes found for one campaign."""

    campaign: str
    sockets: tuple[str, ...] = ()
    """Instances answering on a control socket here ('' for the unnamed one)."""
    owners: tuple[str, ...] = ()
    """Owner ids holding a live claim (a lead of the campaign, a callback of the queue)."""
    can_run: bool = False
    """The campaign's state lets ``dialer run`` start (running or paused)."""
    run_dir: Path = field(default_factory=Path)

    @property
    def found(self) -> bool:
        return bool(self.sockets or self.owners)

    @property
    def unknowable(self) -> bool:
        """It may run (its state allows it), and nothing seen here says whether it does."""
        return self.can_run and not self.found


def running_snapshot(data: Path, campaign: str,
                     instance: str | None = None) -> dict[str, Any] | None:
    """The snapshot of the process running ``campaign`` under ``data``, asked through the
    control socket that ``dialer run`` (with the same ``--instance``) opened; None when no
    process answers there (no socket, a stale one, a refusal).

    A socket file alone proves nothing (a killed process leaves it behind): a process is
    seen running only when it answers, which is why ``sightings`` and ``dialer doctor``
    both ask through here rather than look for the file."""
    from dialer.runner.control import request_sync
    from dialer.runner.errors import ControlSocketError

    try:
        answer = request_sync(control_socket_path(data, campaign, instance),
                              {"op": "snapshot"}, timeout=2.0)
    except ControlSocketError:
        return None
    return answer.get("snapshot") if answer.get("ok") else None


def _answering(data: Path, campaign: str) -> tuple[str, ...]:
    """Every instance of ``campaign`` answering on a control socket under ``data``."""
    unnamed = control_socket_path(data, campaign)
    candidates = {"": unnamed}
    if unnamed.parent.is_dir():
        for path in unnamed.parent.glob(f"{unnamed.stem}@*.sock"):
            candidates[path.stem.partition("@")[2]] = path
    # An instance name is sanitised into the socket's name; the snapshot is asked of the
    # very path found, through the instance that maps onto it.
    return tuple(sorted(name for name in candidates
                        if running_snapshot(data, campaign, name or None) is not None))


def sightings(store: CampaignStore, data: Path, campaign: str, *, now: datetime,
              queue: str | None = None) -> Sightings:
    """The processes running ``campaign`` (and holding ``queue``'s callbacks), by socket
    under ``data`` and by live claim in the database."""
    with store.session() as session:
        row = session.execute(sa.select(Campaign.id, Campaign.state).where(
            Campaign.name == campaign)).one()
        owners = set(session.execute(sa.select(Lead.claimed_by).where(
            Lead.campaign_id == row.id, Lead.claimed_by.is_not(None),  # type: ignore[union-attr]
            Lead.claim_expires_at >= now).distinct()).scalars())
        if queue is not None:
            owners |= set(session.execute(sa.select(QueueCallback.claimed_by).where(
                QueueCallback.queue == queue,
                QueueCallback.claimed_by.is_not(None),  # type: ignore[union-attr]
                QueueCallback.claim_expires_at >= now).distinct()).scalars())
    return Sightings(campaign, _answering(data, campaign), tuple(sorted(owners)),
                     row.state in (CampaignState.RUNNING, CampaignState.PAUSED),
                     control_socket_path(data, campaign).parent)
