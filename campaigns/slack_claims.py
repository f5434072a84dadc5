"""Claims on a campaign's abandonment slack, one row per dialer process (migration 0017).

Several dialer processes may dial one campaign against one store; the law's limit (47 CFR
64.1200(a)(7)) is the campaign's, so the slack r·L − A the safety rails spend is shared by
claims (pacing_models/slack_share.py has the arithmetic and why the claims never sum past
the slack). This module is the store's side: ``share_slack`` takes the campaign's claim
lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write transaction begins
``IMMEDIATE`` and holds the database's one write lock), drops the records that have
expired, reads every other live record (its claim and its own counts at one instant), the
store's counts of every process without a live record, computes the grant and writes this
process's record, all in one transaction.

Expiry is judged on the database's clock (PostgreSQL's ``clock_timestamp()``; SQLite's
file is on one host), so no process's clock moves another's record. A record counts until
it expires, a stale one at its last published value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.journal import ledger_counts_in_session
from pacing_models.slack_share import PeerClaim, PublishedCounts, grant_for

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

_metadata = sa.MetaData()

slack_claim = sa.Table(
    "slack_claim", _metadata,
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaign.id"), primary_key=True),
    sa.Column("process_owner", sa.String(120), primary_key=True),
    sa.Column("remaining", sa.Integer, nullable=True),
    sa.Column("window_live", sa.Integer, nullable=False),
    sa.Column("window_abandons", sa.Integer, nullable=False),
    sa.Column("period_start", sa.Float, nullable=True),
    sa.Column("period_live", sa.Integer, nullable=True),
    sa.Column("period_abandons", sa.Integer, nullable=True),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
"""The table as migration 0017 creates it. ``remaining`` NULL: the process holds the whole
slack (it was alone when granted); times are seconds since the epoch on the database's
clock."""


@dataclass(frozen=True, slots=True)
class OwnSlackView:
    """What a process publishes with its claim, read from its engine at one instant: its
    own counts, the start of its current period (None: no period counted), its excess lines
    in flight, and its claim left (∞: the whole slack)."""

    counts: PublishedCounts
    period_start: float | None
    exposure: int
    remaining: float


@dataclass(frozen=True, slots=True)
class SlackGrant:
    """The claim granted (None: the whole slack, no other live record), the other live
    records seen, and the campaign's slack the grant was computed against."""

    remaining: int | None
    peers: int
    slack: float


@dataclass(frozen=True, slots=True)
class SlackClaimRecord:
    """One live record, for reports and tests."""

    process_owner: str
    remaining: int | None
    heartbeat_at: float
    expires_at: float


def _lock_key(campaign_id: int) -> int:
    digest = hashlib.blake2b(f"dialer.slack_claim:{campaign_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _database_now(session: Session) -> float:
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(sa.text("SELECT EXTRACT(EPOCH FROM clock_timestamp())"))
    else:
        value = session.execute(sa.text("SELECT (julianday('now') - 2440587.5) * 86400.0"))
    return float(value.scalar_one())


def _lock_campaign(session: Session, campaign_id: int) -> None:
    """Serialise this transaction against every other grant of the campaign. SQLite: the
    session's transaction began IMMEDIATE (campaigns/db.py) and holds the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": _lock_key(campaign_id)})


def share_slack(store: CampaignStore, campaign_id: int, owner: str, *, own: OwnSlackView,
                target: float, now: datetime, window: timedelta, ttl: float) -> SlackGrant:
    """Grant ``owner`` its claim on the campaign's slack and publish its record (expiring
    ``ttl`` seconds after this transaction, on the database's clock); one transaction."""
    if not ttl > 0.0:
        raise ValueError(f"ttl must be > 0 seconds, got {ttl}")
    with store.session() as session:
        _lock_campaign(session, campaign_id)
        clock = _database_now(session)
        mine = sa.and_(slack_claim.c.campaign_id == campaign_id,
                       slack_claim.c.process_owner == owner)
        session.execute(sa.delete(slack_claim).where(
            slack_claim.c.campaign_id == campaign_id, slack_claim.c.expires_at <= clock))
        peers = session.execute(sa.select(slack_claim).where(
            slack_claim.c.campaign_id == campaign_id,
            slack_claim.c.process_owner != owner)).all()
        period = own.period_start
        # Every process without a live record: its attempts as the store holds them.
        rest = ledger_counts_in_session(
            session, campaign_id, now=now, window=window,
            exclude_owners={owner, *(peer.process_owner for peer in peers)},
            period_since=None if period is None else datetime.fromtimestamp(period, now.tzinfo))
        claims = [PeerClaim(peer.remaining, PublishedCounts(
            peer.window_live, peer.window_abandons,
            peer.period_live if period is not None and peer.period_start == period else None,
            peer.period_abandons if period is not None and peer.period_start == period
            else None)) for peer in peers]
        remaining, slack = grant_for(
            target, own.counts, own.exposure, own.remaining, claims,
            PublishedCounts(rest.live_answers, rest.abandons, rest.period_live_answers,
                            rest.period_abandons), periods=period is not None)
        session.execute(sa.delete(slack_claim).where(mine))
        session.execute(sa.insert(slack_claim).values(
            campaign_id=campaign_id, process_owner=owner, remaining=remaining,
            window_live=own.counts.window_live, window_abandons=own.counts.window_abandons,
            period_start=period, period_live=own.counts.period_live,
            period_abandons=own.counts.period_abandons, heartbeat_at=clock,
            expires_at=clock + ttl))
        session.commit()
    return SlackGrant(remaining, len(peers), slack)


def slack_claims(store: CampaignStore, campaign_id: int) -> list[SlackClaimRecord]:
    """The campaign's live records (expired ones left out), by process."""
    with store.read_session() as session:
        clock = _database_now(session)
        rows = session.execute(sa.select(slack_claim).where(
            slack_claim.c.campaign_id == campaign_id, slack_claim.c.expires_at > clock)
            .order_by(slack_claim.c.process_owner)).all()
    return [SlackClaimRecord(row.process_owner, row.remaining, row.heartbeat_at,
                             row.expires_at) for row in rows]
