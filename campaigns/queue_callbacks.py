"""Queue callbacks in the store (``queue_callback``): callers who kept their place in a
queue and are called back, held by one dialer process at a time.

Every callback the engine keeps is a row with its place, priority, attempts and the process
holding it (``claimed_by``, a claim renewed every few seconds and released at a clean
stop; a process that died lets its claims run out). ``QueueCallbacks`` is composed over a
``CampaignStore`` (its sessions) and owns only that table. Retiring a queue moves or
cancels its pending callbacks in the same transaction (``QueueStore.delete`` uses
``pending_callbacks`` and ``resettle`` on its own session), and a voicemail turned into a
callback writes its row with ``callback_row`` (``campaigns/voicemail_store.py``). Times are
timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from campaigns.models import InboundQueue, QueueCallback, QueueCallbackStatus, Voicemail
from campaigns.queue_errors import QueueError, active_queue
from campaigns.store import CampaignStore

REASON_LENGTH = 1000
"""``queue_callback.reason``'s length (migration 0012)."""


def _cut(text: str | None, length: int) -> str | None:
    return text if text is None or len(text) <= length else text[:length - 1] + "…"


def callback_row(callback_id: str, queue: str, number: str, place_at: datetime, *,
                 at: datetime, priority: int = 0, call_uuid: str | None = None,
                 customer_key: str | None = None, source: str = "caller",
                 owner: str | None = None, claim_ttl: timedelta | None = None
                 ) -> QueueCallback:
    """A new pending callback (not yet added to a session); held by ``owner`` until
    ``at + claim_ttl`` when both are given (the process whose engine keeps it)."""
    return QueueCallback(
        id=callback_id, queue=queue, number=number, customer_key=customer_key,
        place_at=place_at, priority=priority, status=QueueCallbackStatus.PENDING,
        source=source, requested_at=at, call_uuid=call_uuid, claimed_by=owner,
        claim_expires_at=at + claim_ttl if owner and claim_ttl else None)


def pending_callbacks(session: Any, queue: str) -> list[QueueCallback]:
    """The pending callbacks of ``queue`` in ``session``, by place."""
    return list(session.exec(select(QueueCallback).where(
        QueueCallback.queue == queue, QueueCallback.status == QueueCallbackStatus.PENDING)
        .order_by(QueueCallback.place_at)))


def resettle(pending: list[QueueCallback], to: str | None, at: datetime) -> None:
    """``pending`` moved to queue ``to`` (places kept), or cancelled when ``to`` is None;
    refused while a live process holds one."""
    held = [c for c in pending if c.claimed_by and c.claim_expires_at is not None
            and c.claim_expires_at >= at]
    if held:
        # Its process has them in its engine: moved or cancelled here, they could be
        # called twice (by it and by a runner of the other queue) or after a cancel.
        until = max(c.claim_expires_at for c in held)  # type: ignore[type-var]
        raise QueueError(
            f"{len(held)} of queue {held[0].queue}'s pending callbacks are held by a "
            f"running dialer process ({held[0].claimed_by}) until {until:%H:%M:%S} UTC: "
            "stop it first (a clean stop releases them; a crashed one's claim runs out)")
    for callback in pending:
        if to is not None:
            callback.queue = to
        else:
            callback.status, callback.finished_at = QueueCallbackStatus.CANCELLED, at
        callback.claimed_by, callback.claim_expires_at = None, None


def _ours(owner: str | None, at: datetime | None) -> tuple[Any, ...]:
    """The condition under which process ``owner`` may write a callback's row at ``at``:
    it holds the claim, or nobody does, or the holder's claim ran out. A process whose
    claim lapsed while another live process took the callback must not write over that
    process's attempts or end it (both would act on one callback). No owner: no
    condition (the command line's own writes)."""
    if owner is None:
        return ()
    free = [QueueCallback.claimed_by.is_(None), QueueCallback.claimed_by == owner]
    if at is not None:
        free.append(QueueCallback.claim_expires_at < at)
    return (sa.or_(*free),)


class QueueCallbacks:
    """Queue callbacks in the campaign database."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def add_callback(self, callback_id: str, queue: str, number: str, place_at: datetime, *,
                     at: datetime, priority: int = 0, call_uuid: str | None = None,
                     customer_key: str | None = None, source: str = "caller",
                     owner: str | None = None, claim_ttl: timedelta | None = None
                     ) -> QueueCallback:
        row = callback_row(callback_id, queue, number, place_at, at=at, priority=priority,
                           call_uuid=call_uuid, customer_key=customer_key, source=source,
                           owner=owner, claim_ttl=claim_ttl)
        with self.store.session() as session:
            session.add(row)
            session.commit()
        return row

    def callback_attempted(self, callback_id: str, attempts: int, retry_at: datetime, *,
                           owner: str | None = None, at: datetime | None = None) -> bool:
        """The callback's attempts and next try; with ``owner``, only while no other live
        process holds it (``_ours``). Returns whether the row was written."""
        with self.store.session() as session:
            result = session.execute(sa.update(QueueCallback).where(
                QueueCallback.id == callback_id, *_ours(owner, at))
                .values(attempts=attempts, next_attempt_at=retry_at))
            session.commit()
            return bool(result.rowcount)

    def record_verdicts(self, verdicts: Mapping[str, dict[str, Any]]) -> None:
        """Callback id → the gate's last verdict on it (``last_verdict``, migration 0014),
        each replacing the one before, in one transaction."""
        if not verdicts:
            return
        with self.store.session() as session:
            for callback_id, record in verdicts.items():
                session.execute(sa.update(QueueCallback).where(QueueCallback.id == callback_id)
                                .values(last_verdict=record))
            session.commit()

    def finish_callback(self, callback_id: str, status: QueueCallbackStatus | str,
                        attempts: int, *, at: datetime, call_uuid: str | None = None,
                        reason: str | None = None, owner: str | None = None) -> bool:
        """``reason``: why it ended without a call (the compliance refusal and its audit
        id), cut to the column's length. With ``owner``, only while no other live process
        holds it (``_ours``). Returns whether the row was written."""
        with self.store.session() as session:
            result = session.execute(sa.update(QueueCallback).where(
                QueueCallback.id == callback_id, *_ours(owner, at))
                .values(status=str(status), attempts=attempts, finished_at=at,
                                    completed_call_uuid=call_uuid, claimed_by=None,
                                    claim_expires_at=None,
                                    reason=_cut(reason, REASON_LENGTH)))
            session.commit()
            return bool(result.rowcount)

    def inquiries(self, rows: Iterable[QueueCallback]) -> dict[str, float | None]:
        """When each callback's caller phoned us (epoch seconds): the place they kept (a
        caller's request), or the voicemail they left (``source`` voicemail, by its call);
        None when unknown (no relationship is relied on then)."""
        rows = list(rows)
        calls = [row.call_uuid for row in rows if row.source == "voicemail" and row.call_uuid]
        left: dict[str, datetime | None] = {}
        if calls:
            with self.store.read_session() as session:
                left = dict(session.execute(sa.select(Voicemail.call_uuid, Voicemail.started_at)
                                            .where(Voicemail.call_uuid.in_(calls))).all())
        found: dict[str, float | None] = {}
        for row in rows:
            when = left.get(row.call_uuid) if row.source == "voicemail" and row.call_uuid \
                else row.place_at if row.source != "voicemail" else None
            found[row.id] = when.timestamp() if when is not None else None
        return found

    def claim_callbacks(self, queues: Iterable[str], owner: str, *, now: datetime,
                        ttl: timedelta) -> list[QueueCallback]:
        """Pending callbacks of ``queues`` not held by another live process, now held by
        ``owner`` until ``now + ttl`` (renew before then). Already held ones are renewed."""
        names = list(queues)
        with self.store.session() as session:
            free = sa.or_(QueueCallback.claimed_by.is_(None), QueueCallback.claimed_by == owner,
                          QueueCallback.claim_expires_at < now)
            rows = list(session.exec(select(QueueCallback).where(
                QueueCallback.queue.in_(names),  # type: ignore[attr-defined]
                QueueCallback.status == QueueCallbackStatus.PENDING, free)
                .order_by(QueueCallback.place_at)))
            for row in rows:
                row.claimed_by, row.claim_expires_at = owner, now + ttl
                session.add(row)
            session.commit()
            return rows

    def release_callbacks(self, owner: str) -> int:
        with self.store.session() as session:
            result = session.execute(sa.update(QueueCallback).where(
                QueueCallback.claimed_by == owner,
                QueueCallback.status == QueueCallbackStatus.PENDING)
                .values(claimed_by=None, claim_expires_at=None))
            session.commit()
            return int(result.rowcount or 0)

    def callbacks(self, queue: str | None = None, status: str | None = None
                  ) -> list[QueueCallback]:
        with self.store.session() as session:
            query = select(QueueCallback).order_by(QueueCallback.place_at)
            if queue is not None:
                query = query.where(QueueCallback.queue == queue)
            if status is not None:
                query = query.where(QueueCallback.status == status)
            return list(session.exec(query))

    def resettle_callbacks(self, queue: str, *, to: str | None, at: datetime) -> int:
        """The pending callbacks of ``queue`` (retired or not) moved to queue ``to`` (their
        places kept), or cancelled when ``to`` is None: the repair of callbacks that no
        runner serves. Returns how many."""
        with self.store.session() as session:
            if to is not None:
                if to == queue:
                    raise QueueError(f"--move-to {to}: the callbacks are in that queue")
                active_queue(session, to)
            pending = pending_callbacks(session, queue)
            if not pending and not session.exec(select(InboundQueue.name).where(
                    InboundQueue.name == queue)).first():
                raise QueueError(f"no queue named {queue!r} (see `dialer queue list`)")
            resettle(pending, to, at)
            session.add_all(pending)
            session.commit()
            return len(pending)

    def cancel_callbacks(self, callback_ids: Iterable[str], *, at: datetime) -> list[str]:
        """Cancel these pending callbacks (a caller who phoned in again, or asked by other
        means not to be called), each named by its id or the start of it that ``dialer
        queue callbacks`` shows: all or none. An id matching no callback or several, or
        one no longer pending, is refused, and so is one a running process holds (its
        engine would call anyway: stop it first). Returns the ids cancelled."""
        with self.store.session() as session:
            chosen: dict[str, QueueCallback] = {}
            for given in dict.fromkeys(callback_ids):
                row = session.get(QueueCallback, given)
                matches = [row] if row is not None else list(session.exec(
                    select(QueueCallback).where(QueueCallback.id.startswith(  # type: ignore[attr-defined]
                        given, autoescape=True)).limit(3)))
                if not matches:
                    raise QueueError(f"no queue callback with id {given!r} (see `dialer queue "
                                     "callbacks`; nothing cancelled)")
                if len(matches) > 1:
                    raise QueueError(f"{given!r} starts the ids of several queue callbacks: "
                                     "give more of it (nothing cancelled)")
                (row,) = matches
                if row.status != QueueCallbackStatus.PENDING:
                    raise QueueError(f"queue callback {row.id} is {row.status}, not pending "
                                     "(nothing cancelled)")
                chosen[row.id] = row
            pending = list(chosen.values())
            resettle(pending, None, at)
            session.add_all(pending)
            session.commit()
            return list(chosen)
