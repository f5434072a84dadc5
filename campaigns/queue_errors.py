"""What every part of the queue store shares: its refusal (``QueueError``) and the one row
they all look up, an active queue by name.

The parts (queue definitions ``campaigns/queue_store.py``, queue callbacks
``campaigns/queue_callbacks.py``, voicemail ``campaigns/voicemail_store.py``, inbound call
records ``campaigns/inbound_records.py``) each own their tables; this module imports none
of them, so none imports another back.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import InboundQueue


class QueueError(CampaignError):
    """A queue that does not exist, or a configuration that cannot be stored.

    Messages about a configuration read ``queue NAME: FIELD: what is wrong``; ``queue`` and
    ``field`` (its path of keys) say the same for a caller holding the configuration's file,
    which can then name the line (``campaigns/queue_files.py``)."""

    def __init__(self, message: str, *, queue: str | None = None,
                 field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.queue, self.field = queue, field
        if queue is None:
            written = _WHERE.match(message)
            if written is not None:
                self.queue, self.field = written[1], tuple(written[2].split("."))


_WHERE = re.compile(r"queue ([A-Za-z0-9_.\-]+): ([A-Za-z0-9_*#\-]+(?:\.[A-Za-z0-9_*#\-]+)*): ")
"""``queue NAME: FIELD: ...``, the form of every configuration refusal."""


def active_queue(session: Any, name: str) -> InboundQueue:
    """The row of the active queue ``name``; none is refused naming where to look."""
    row = session.exec(select(InboundQueue).where(InboundQueue.name == name,
                                                  InboundQueue.active)).first()
    if row is None:
        raise QueueError(f"no queue named {name!r} (see `dialer queue list`)")
    return row
