"""Inbound call records: one row per inbound call as it ended (``inbound_call``), what the
queue reports (``campaigns/queue_reports.py``) count.

``InboundRecords`` is composed over a ``CampaignStore`` (its sessions) and owns only that
table; the runner writes through it on its database thread. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from campaigns.models import InboundCall
from campaigns.store import CampaignStore


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One inbound call as it ended (from the engine's ``AttemptFinished``)."""

    call_uuid: str
    queue: str
    caller_number: str
    arrived_at: datetime
    ended_at: datetime
    outcome: str
    queued_at: datetime | None = None
    bridged_at: datetime | None = None
    hangup_cause: str | None = None
    agent_id: int | None = None
    estimated_wait: float | None = None
    overflowed_from: str | None = None
    ivr_keys: str | None = None
    opted_out: bool = False
    campaign_id: int | None = None
    disposition: str | None = None
    note: str | None = None


class InboundRecords:
    """The inbound call records in the campaign database."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def record_calls(self, records: Iterable[InboundRecord]) -> None:
        with self.store.session() as session:
            for record in records:
                session.add(InboundCall(**{f: getattr(record, f)
                                           for f in InboundRecord.__dataclass_fields__}))
            session.commit()

    def wrapped(self, call_uuid: str, at: datetime) -> None:
        """The agent's wrap-up of the call ended (its handle time's end)."""
        with self.store.session() as session:
            session.execute(sa.update(InboundCall).where(InboundCall.call_uuid == call_uuid)
                            .values(wrapped_at=at))
            session.commit()

    def disposed(self, call_uuid: str, disposition: str, note: str | None) -> None:
        """The agent's disposition of the call (and notes), from their wrap-up."""
        with self.store.session() as session:
            session.execute(sa.update(InboundCall).where(InboundCall.call_uuid == call_uuid)
                            .values(disposition=disposition, note=note))
            session.commit()
