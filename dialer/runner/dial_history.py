"""The attempt history the dial-time gate decides on, kept in memory (``dialer.runner.dial_gate``).

Per number: the attempts the journal held at the last prefetch (loaded in one batched query)
plus the dials and outcomes this run recorded since, merged so that a dial journaled by this
run and also read back by a later prefetch counts once. It is the ``AttemptHistory`` the
rules engine reads at each check, so no check queries the database. Not thread-safe by
itself: the gate holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dnc.interfaces import AttemptHistory, PastAttempt

SAME_ATTEMPT_TOLERANCE = timedelta(seconds=1)
"""A stored attempt and one recorded in this run are the same dial within this distance."""


class KeptAttempts:
    """``dnc.interfaces.AttemptHistory`` over loaded and recorded attempts, per number."""

    def __init__(self) -> None:
        self._stored: dict[str, list[PastAttempt]] = {}
        self._recorded: dict[str, list[PastAttempt]] = {}
        self._merged: dict[str, tuple[PastAttempt, ...]] = {}

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self._merged.get(number_e164, ()) if a.at >= since]

    def load(self, number: str, stored: list[PastAttempt], since: datetime) -> None:
        """What the journal holds for ``number`` since ``since`` (replaces the last load)."""
        self._stored[number] = stored
        self._merge(number, since)

    def record(self, attempt: PastAttempt, lookback: timedelta) -> None:
        self._recorded.setdefault(attempt.number_e164, []).append(attempt)
        self._merge(attempt.number_e164, attempt.at - lookback)

    def mark(self, number: str, dialed_at: datetime, campaign: str, lookback: timedelta, *,
             answered_live: bool, conversation: bool, abandoned: bool) -> None:
        """Outcome flags of the recorded dial nearest ``dialed_at`` (within the tolerance);
        a dial this run did not record is added, since counting it is the safe side."""
        recorded = self._recorded.setdefault(number, [])
        near = [i for i, a in enumerate(recorded)
                if abs(a.at - dialed_at) <= SAME_ATTEMPT_TOLERANCE]
        index = min(near, key=lambda i: abs(recorded[i].at - dialed_at)) if near else None
        base = recorded[index] if index is not None else PastAttempt(
            at=dialed_at, number_e164=number, campaign=campaign)
        updated = replace(base, answered_live=base.answered_live or answered_live,
                          conversation=base.conversation or conversation,
                          abandoned=base.abandoned or abandoned)
        if index is None:
            recorded.append(updated)
        else:
            recorded[index] = updated
        self._merge(number, dialed_at - lookback)

    def drop(self, number: str) -> None:
        for table in (self._stored, self._recorded, self._merged):
            table.pop(number, None)

    @property
    def numbers(self) -> int:
        return len(self._merged)

    @property
    def size(self) -> int:
        """Attempts held, over every number."""
        return sum(len(v) for v in self._merged.values())

    def _merge(self, number: str, since: datetime) -> None:
        recorded = [a for a in self._recorded.get(number, ()) if a.at >= since]
        if number in self._recorded:
            self._recorded[number] = recorded
        merged = list(self._stored.get(number, ()))
        used: set[int] = set()
        for attempt in recorded:
            match = next((i for i, s in enumerate(merged) if i not in used
                          and abs(s.at - attempt.at) <= SAME_ATTEMPT_TOLERANCE
                          and _same_lead(s, attempt)), None)
            if match is None:
                merged.append(attempt)
                used.add(len(merged) - 1)
                continue
            used.add(match)
            stored = merged[match]
            merged[match] = replace(
                stored, subject=stored.subject or attempt.subject,
                debt_id=stored.debt_id or attempt.debt_id,
                answered_live=stored.answered_live or attempt.answered_live,
                conversation=stored.conversation or attempt.conversation,
                abandoned=stored.abandoned or attempt.abandoned)
        self._merged[number] = tuple(sorted(merged, key=lambda a: a.at))


def _same_lead(stored: PastAttempt, recorded: PastAttempt) -> bool:
    return stored.lead_id is None or recorded.lead_id is None or \
        stored.lead_id == recorded.lead_id


def load_attempts(history: AttemptHistory, numbers: Sequence[str], since: datetime
                  ) -> dict[str, list[PastAttempt]]:
    """Past attempts to each number since ``since``, batched when the source allows it:
    ``attempts_many(numbers, since)`` if it has one, one ``IN`` query per 500 numbers over
    the campaign store's journal, else one ``attempts`` call per number."""
    many = getattr(history, "attempts_many", None)
    if callable(many):
        return {n: list(a) for n, a in many(numbers, since).items()}
    store = getattr(history, "store", None)
    if store is not None and hasattr(store, "session"):
        return _store_attempts_many(store, numbers, since)
    return {number: list(history.attempts(number, since)) for number in numbers}


def _store_attempts_many(store: Any, numbers: Sequence[str], since: datetime
                         ) -> dict[str, list[PastAttempt]]:
    """``campaigns.compliance.StoreAttemptHistory.attempts`` for many numbers at once."""
    from sqlmodel import select

    from campaigns.models import AnswerKind, CallAttempt

    names = {c.id: c.name for c in store.campaigns()}
    found: dict[str, list[PastAttempt]] = {number: [] for number in numbers}
    with store.session() as session:
        for start in range(0, len(numbers), 500):
            part = list(numbers[start:start + 500])
            rows = session.exec(select(CallAttempt).where(
                CallAttempt.phone.in_(part), CallAttempt.dialed_at >= since
            ).order_by(CallAttempt.dialed_at))
            for row in rows:
                if row.dialed_at is None:
                    continue
                at = row.dialed_at if row.dialed_at.tzinfo else row.dialed_at.replace(tzinfo=UTC)
                found.setdefault(row.phone, []).append(PastAttempt(
                    at=at, number_e164=row.phone, campaign=names.get(row.campaign_id, ""),
                    lead_id=str(row.lead_id) if row.lead_id is not None else None,
                    answered_live=row.answered_at is not None
                    and row.answer_kind != AnswerKind.MACHINE.value,
                    conversation=row.bridged_at is not None, abandoned=row.abandoned))
    return found
