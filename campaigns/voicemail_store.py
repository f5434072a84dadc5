"""Voicemail in the store (``voicemail``): the messages callers left in the queues, and a
message turned into a queue callback.

The switch records each message to the queue's ``voicemail.path_template``; the runner
lists it here. ``VoicemailStore`` is composed over a ``CampaignStore`` (its sessions) and
owns that table; a callback for a message is written with ``callback_row`` of
``campaigns/queue_callbacks.py`` in the same transaction as the message's new status, so
neither is half-written. Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from campaigns.models import QueueCallback, Voicemail, VoicemailStatus
from campaigns.queue_callbacks import callback_row
from campaigns.queue_errors import QueueError, active_queue
from campaigns.store import CampaignStore


class VoicemailStore:
    """Voicemail messages in the campaign database."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def add_voicemail(self, call_uuid: str, queue: str, caller_number: str, path: str,
                      started_at: datetime, ended_at: datetime) -> Voicemail:
        row = Voicemail(call_uuid=call_uuid, queue=queue, caller_number=caller_number,
                        path=path, started_at=started_at, ended_at=ended_at,
                        seconds=max(0.0, (ended_at - started_at).total_seconds()))
        with self.store.session() as session:
            session.add(row)
            session.commit()
            return row

    def voicemails(self, queue: str | None = None, status: str | None = None,
                   since: datetime | None = None) -> list[Voicemail]:
        with self.store.session() as session:
            query = select(Voicemail).order_by(Voicemail.started_at, Voicemail.id)
            if queue is not None:
                query = query.where(Voicemail.queue == queue)
            if status is not None:
                query = query.where(Voicemail.status == status)
            if since is not None:
                query = query.where(Voicemail.started_at >= since)
            return list(session.exec(query))

    def voicemail_to_callback(self, voicemail_id: int, callback_id: str, *, at: datetime,
                              priority: int = 0, queue: str | None = None) -> QueueCallback:
        """A callback task for the caller of a voicemail, in its queue's line from now (or
        in ``queue``'s: the message's queue may have been retired since)."""
        with self.store.session() as session:
            message = session.get(Voicemail, voicemail_id)
            if message is None:
                raise QueueError(f"no voicemail with id {voicemail_id}")
            if message.status == VoicemailStatus.CALLBACK:
                raise QueueError(f"voicemail {voicemail_id} already has callback "
                                 f"{message.callback_id}")
            if not message.caller_number:
                raise QueueError(f"voicemail {voicemail_id}: the caller's number is unknown")
            target = queue or message.queue
            try:
                active_queue(session, target)
            except QueueError:
                if queue is not None:
                    raise
                raise QueueError(
                    f"voicemail {voicemail_id}: its queue {target!r} is retired: call the "
                    f"caller back from another queue (`dialer voicemail callback "
                    f"{voicemail_id} --queue OTHER_QUEUE`)") from None
            message.status, message.callback_id = VoicemailStatus.CALLBACK, callback_id
            session.add(message)
            callback = callback_row(callback_id, target, message.caller_number, at,
                                    at=at, priority=priority, call_uuid=message.call_uuid,
                                    source="voicemail")
            session.add(callback)
            session.commit()
            return callback

    def mark_done(self, voicemail_ids: list[int]) -> list[Voicemail]:
        """Messages someone has dealt with (listened to, called back by hand): ``done``, so
        that ``voicemail list --status new`` is what is still to do. All or none: an
        unknown id, or one done already (a typo of another id), is refused and nothing
        is marked."""
        with self.store.session() as session:
            messages = []
            for voicemail_id in dict.fromkeys(voicemail_ids):
                message = session.get(Voicemail, voicemail_id)
                if message is None:
                    raise QueueError(f"no voicemail with id {voicemail_id} (nothing marked)")
                if message.status == VoicemailStatus.DONE:
                    raise QueueError(f"voicemail {voicemail_id} is done already (nothing "
                                     "marked)")
                message.status = VoicemailStatus.DONE
                messages.append(message)
            session.add_all(messages)
            session.commit()
            return messages
