"""The queue store's writes (inbound call records, queue callbacks, voicemails), as data.

A ``QueueStoreOp`` is what the inbound side leaves for the database thread, in order with
the journal: a kind and plain values (no closure over a live store), so that during a store
outage it is held and tried again like the journal's own writes, and kept in the spill file
when the run ends with the store still down (dbworker.py, journal_spill.py). Before
(2026-12-07's outage pass) these were closures, applied apart from the journal and only
logged when they failed: an outage dropped the inbound records, queue callbacks and
voicemails of the calls it spanned.

``QueueWrites`` applies them (database thread). ``again``: the op may have been applied
before (a commit lost with its connection, a spill file replayed after a crash): an insert
finds its row and is skipped; the updates set values, so a second one changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from campaigns.inbound_records import InboundRecord, InboundRecords
from campaigns.models import InboundCall, QueueCallback, Voicemail
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.store import CampaignStore
from campaigns.voicemail_store import VoicemailStore

log = logging.getLogger("dialer.runner")


@dataclass(slots=True, eq=False)
class QueueStoreOp:
    """A write to the queue store, applied on the database thread in journal order.

    ``kind`` names it (``QueueWrites`` has a method of that name), ``args`` its values;
    ``writes`` the applier it was made by (not kept in a spill file: the next run's
    applies it); ``applied`` is set once it is written (a failed batch holds only what
    was not)."""

    kind: str
    args: tuple[Any, ...]
    writes: QueueWrites | None = field(default=None, repr=False)
    applied: bool = False
    spillable: bool = True

    def apply(self, again: bool = False, writes: QueueWrites | None = None) -> None:
        applier = self.writes or writes
        if applier is None:
            raise RuntimeError(f"queue store write {self.kind}: no store to write it to")
        getattr(applier, self.kind)(*self.args, again=again)
        self.applied = True

    def __getstate__(self) -> tuple[str, tuple[Any, ...]]:
        return self.kind, self.args

    def __setstate__(self, state: tuple[str, tuple[Any, ...]]) -> None:
        self.kind, self.args = state
        self.writes, self.applied, self.spillable = None, False, True


def apply_queue_writes(ops: Sequence[QueueStoreOp], again: bool = False,
                       writes: QueueWrites | None = None) -> None:
    """Database thread (``JournalStep``): every write in order. One that fails raises, as a
    journal write does: the batch is held (the writes not applied yet, in order) and tried
    again while the store is down, never dropped (dbworker.py)."""
    for op in ops:
        if not op.applied:
            op.apply(again, writes)


class QueueWrites:
    """The runner's queue store writes (database thread): records, callbacks, voicemails.

    ``prefetch`` and ``flush_callback_audit`` are the live run's hooks (the callbacks' gate
    learns a new callback's facts; a refusal's decision on disk before the row says it);
    a spill file replayed at a start runs without them (no gate yet, and its callbacks are
    claimed and prefetched anew)."""

    def __init__(self, store: CampaignStore) -> None:
        self.records = InboundRecords(store)
        self.callbacks = QueueCallbacks(store)
        self.voicemail = VoicemailStore(store)
        self.store = store
        self.prefetch: Callable[[str, str, float | None, float], None] | None = None
        self.flush_callback_audit: Callable[[], None] | None = None
        self.not_ours: Callable[[str, str], None] = _not_ours

    def op(self, kind: str, *args: Any) -> QueueStoreOp:
        if not callable(getattr(self, kind, None)):
            raise AttributeError(f"no queue store write named {kind}")
        return QueueStoreOp(kind, args, self)

    def _exists(self, column: Any, value: object) -> bool:
        with self.store.read_session() as session:
            return session.execute(sa.select(column).where(column == value)).first() is not None

    # --- the writes (each one transaction) --------------------------------------------------

    def inbound_call(self, record: InboundRecord, agent: str | None, *,
                     again: bool = False) -> None:
        if again and self._exists(InboundCall.call_uuid, record.call_uuid):
            return
        self.records.record_calls([_with_agent(self.records, record, agent)])

    def wrapped(self, call_id: str, at: datetime, *, again: bool = False) -> None:
        self.records.wrapped(call_id, at)

    def disposed(self, call_id: str, code: str, note: str | None, *,
                 again: bool = False) -> None:
        self.records.disposed(call_id, code, note)

    def voicemail_recorded(self, call_id: str, queue: str, caller: str, path: str,
                           started: datetime, ended: datetime, *, again: bool = False) -> None:
        if again and self._exists(Voicemail.call_uuid, call_id):
            return
        self.voicemail.add_voicemail(call_id, queue, caller, path, started, ended)

    def callback_requested(self, callback_id: str, queue: str, number: str,
                           place_at: float, at: float, priority: int, call_id: str | None,
                           customer_key: str | None, owner: str, claim_ttl: Any, *,
                           again: bool = False) -> None:
        """A caller kept their place; the gate loads the number's history (their inquiry is
        the moment they took the place: ``QueueCallback.inquiry_at``)."""
        from campaigns.inbound_records import utc

        if not (again and self._exists(QueueCallback.id, callback_id)):
            self.callbacks.add_callback(
                callback_id, queue, number, utc(place_at), at=utc(at), priority=priority,
                call_uuid=call_id, customer_key=customer_key, owner=owner,
                claim_ttl=claim_ttl)
        if self.prefetch is not None:
            self.prefetch(callback_id, number, place_at, at)

    def callback_attempted(self, callback_id: str, attempts: int, retry_at: datetime,
                           at: datetime, owner: str, *, again: bool = False) -> None:
        """The callback's attempts and next try, while this process holds it (another live
        process's claim is never written over)."""
        if not self.callbacks.callback_attempted(callback_id, attempts, retry_at,
                                                 owner=owner, at=at):
            self.not_ours(callback_id, f"attempt {attempts}")

    def callback_finished(self, callback_id: str, status: str, attempts: int, at: datetime,
                          call_id: str | None, reason: str | None, owner: str, *,
                          again: bool = False) -> None:
        """A callback the gate refused is written with the refusal, after the decision
        itself is in the audit log (the proof the reason names)."""
        if reason and self.flush_callback_audit is not None:
            try:
                self.flush_callback_audit()
            except Exception as error:  # kept in the gate's buffer for its next write
                log.error("audit log write failed for callback %s: %s", callback_id, error)
        if not self.callbacks.finish_callback(callback_id, status, attempts, at=at,
                                              call_uuid=call_id, reason=reason, owner=owner):
            self.not_ours(callback_id, f"its end ({status})")

    def callback_verdicts(self, records: dict[str, dict[str, Any]], *,
                          again: bool = False) -> None:
        self.callbacks.record_verdicts(records)


def _not_ours(callback_id: str, what: str) -> None:
    log.warning("queue callback %s: %s not written: another live dialer process holds it "
                "now (this process's claim ran out); it is that process's to finish",
                callback_id, what)


def _with_agent(store: InboundRecords, record: InboundRecord, agent: str | None) -> InboundRecord:
    if agent is None:
        return record
    from dataclasses import replace

    from sqlmodel import select

    from campaigns.models import Agent

    with store.store.session() as session:
        row = session.exec(select(Agent).where(Agent.name == agent)).first()
    return replace(record, agent_id=row.id if row is not None else None)
