"""The safe-harbour message of every abandoned call: how it ended and how soon it started.

A call a person answered and no agent took in time is legal only with a prerecorded message
within two seconds (47 CFR 64.1200(a)(7)(i)(A); 16 CFR 310.4(b)(4)(iii)). The runner
journals, on each attempt, what the switch reported of that message (``message_outcome``:
``played`` in full, ``cut_off`` by the person hanging up, ``started`` with its end not
reported, ``failed``, ``unconfirmed``) and when it started (``message_started_at``). This
module reads them back for ``dialer report`` (a summary and the list of abandoned calls)
and the compliance records export, so a compliance officer can show, call by call, that the
message started within two seconds of the answer, or which calls it did not.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from campaigns.models import AnswerKind, CallAttempt

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

MESSAGE_LIMIT_S = 2.0
"""The message must start within two seconds (of the completed greeting; measured here
from the answer, which is earlier, so the proof errs on the strict side)."""
MESSAGE_OUTCOMES = ("played", "cut_off", "started", "failed", "unconfirmed")
ABANDONED_COLUMNS = ("call_uuid", "phone", "answered_at", "message", "message_started_at",
                     "message_after_answer_s", "within_2s", "queue_callback")


def message_delay(answered_at: datetime | None, started_at: datetime | None) -> float | None:
    """Seconds from the answer to the message starting (None when either is unknown)."""
    if answered_at is None or started_at is None:
        return None
    return round((started_at - answered_at).total_seconds(), 3)


def message_label(outcome: str | None) -> str:
    """The record's word for a message (``none``: no message was sent)."""
    return outcome or "none"


def _abandoned(campaign_id: int, start: datetime, end: datetime) -> Any:
    live = sa.or_(CallAttempt.answer_kind.is_(None),
                  CallAttempt.answer_kind != AnswerKind.MACHINE.value)
    return (CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at >= start,
            CallAttempt.dialed_at < end, CallAttempt.abandoned.is_(True),
            CallAttempt.answered_at.is_not(None), live)


def abandoned_calls(store: CampaignStore, campaign_id: int, start: datetime,
                    end: datetime) -> pd.DataFrame:
    """One row per abandoned call dialed in ``[start, end)``, oldest first."""
    query = (sa.select(CallAttempt.call_uuid, CallAttempt.phone, CallAttempt.answered_at,
                       CallAttempt.message_outcome, CallAttempt.message_started_at,
                       CallAttempt.queue_callback_id)
             .where(*_abandoned(campaign_id, start, end))
             .order_by(CallAttempt.answered_at, CallAttempt.id))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        rows = connection.execute(query).all()
    records = []
    for uuid, phone, answered, outcome, started, callback in rows:
        delay = message_delay(answered, started)
        records.append({
            "call_uuid": uuid, "phone": phone,
            "answered_at": answered.isoformat() if answered else None,
            "message": message_label(outcome),
            "message_started_at": started.isoformat() if started else None,
            "message_after_answer_s": delay,
            "within_2s": delay is not None and delay <= MESSAGE_LIMIT_S,
            # A queue callback answered with no agent left to take it is abandoned too.
            "queue_callback": callback})
    return pd.DataFrame(records, columns=list(ABANDONED_COLUMNS))


def message_summary(abandoned: pd.DataFrame) -> dict[str, int]:
    """Abandoned calls by how their message ended, and how many started within 2 s."""
    counts = abandoned["message"].value_counts() if len(abandoned) else pd.Series(dtype=int)
    summary = {f"abandons_message_{outcome}": int(counts.get(outcome, 0))
               for outcome in (*MESSAGE_OUTCOMES, "none")}
    summary["abandons_message_within_2s"] = int(abandoned["within_2s"].sum()) \
        if len(abandoned) else 0
    return summary
