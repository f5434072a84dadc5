"""Queue callbacks nobody will call back: those of a retired queue, or of a queue no
campaign that can run serves.

A runner claims the pending callbacks of the queues it serves (its campaign's ``queues``
and every queue they send callers to); a callback of any other queue stays pending for
ever, and nothing said so. ``unserved_callbacks`` names them (queue, how many, the oldest
due time, why) for ``dialer doctor``, ``dialer queue list`` and the reports, each with its
repair (``dialer queue callbacks --queue Q --move-to OTHER`` or ``--cancel``, or a campaign
serving the queue). It reads only: raw configurations, so that a queue stored before a
check this version makes still counts as sending callers where it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from campaigns.models import Campaign, InboundQueue, QueueCallback, QueueCallbackStatus
from campaigns.queue_store import raw_queue_targets
from campaigns.settings import CampaignState
from campaigns.store import CampaignStore

CAN_RUN = (CampaignState.RUNNING, CampaignState.PAUSED)
"""The states ``dialer run`` accepts (``CampaignLink``): only their runners claim."""


@dataclass(frozen=True, slots=True)
class UnservedCallbacks:
    """Pending callbacks of one queue that no runner will claim."""

    queue: str
    pending: int
    oldest_due: datetime
    retired: bool

    @property
    def why(self) -> str:
        return "retired" if self.retired else "served by no running or paused campaign"

    @property
    def repair(self) -> str:
        moves = (f"`dialer queue callbacks --queue {self.queue} --move-to OTHER_QUEUE` "
                 f"keeps their places in a served queue, `--cancel` cancels them")
        if self.retired:
            return moves
        return (f"add it to a campaign's queues (`dialer campaign edit CAMPAIGN --set "
                f"'queues=[\"{self.queue}\"]'`) and run it, or {moves}")

    def sentence(self) -> str:
        return (f"queue {self.queue} ({self.why}): {self.pending} pending callback(s), the "
                f"oldest due {self.oldest_due:%Y-%m-%d %H:%M} UTC, that nobody will call "
                f"back; {self.repair}")

    def to_json(self) -> dict[str, object]:
        return {"queue": self.queue, "pending": self.pending,
                "oldest_due": self.oldest_due.isoformat(), "retired": self.retired,
                "why": self.why, "repair": self.repair}


def served_queues(campaign_queues: Iterable[Iterable[str]],
                  configs: Mapping[str, Mapping[str, object]]) -> set[str]:
    """Every queue the runners of these campaigns serve: their queues and, transitively,
    the queues those send callers to (as ``QueueStore.queue_set`` builds them)."""
    served: set[str] = set()
    stack = [name for names in campaign_queues for name in names]
    while stack:
        name = stack.pop()
        if name in served or name not in configs:
            continue
        served.add(name)
        stack += [target for _, target in raw_queue_targets(configs[name])]
    return served


def unserved_callbacks(store: CampaignStore) -> list[UnservedCallbacks]:
    """Pending queue callbacks no runner will claim, per queue (oldest due first)."""
    with store.session() as session:
        backlog = session.execute(
            sa.select(QueueCallback.queue, sa.func.count(), sa.func.min(QueueCallback.place_at))
            .where(QueueCallback.status == QueueCallbackStatus.PENDING)
            .group_by(QueueCallback.queue)).all()
        if not backlog:
            return []
        active = {row.name: row.config or {} for row in session.exec(
            select(InboundQueue).where(InboundQueue.active))}
        campaigns = [list((c.settings or {}).get("queues") or ()) for c in session.exec(
            select(Campaign).where(Campaign.state.in_(CAN_RUN)))]  # type: ignore[attr-defined]
    served = served_queues(campaigns, active)
    found = [UnservedCallbacks(queue, int(count), oldest, queue not in active)
             for queue, count, oldest in backlog if queue not in served]
    return sorted(found, key=lambda u: (u.oldest_due, u.queue))
