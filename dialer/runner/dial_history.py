"""The attempt history the dial-time gate decides on, kept in memory (``dialer.runner.dial_gate``).

Per number: the attempts the journal held at the last prefetch (loaded in one batched query)
plus the dials and outcomes this run recorded since, merged so that a dial journaled by this
run and also read back by a later prefetch counts once. It is the ``AttemptHistory`` the
rules engine reads at each check, so no check queries the database. Not thread-safe by
itself: the gate holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dnc.interfaces import AttemptHistory, PastAttempt

_EVER = datetime.min.replace(tzinfo=UTC)
SAME_ATTEMPT_TOLERANCE = timedelta(seconds=1)
"""A stored attempt and one recorded in this run are the same dial within this distance."""


def _by_number(attempt: PastAttempt) -> str | None:
    return attempt.number_e164


class KeptAttempts:
    """``dnc.interfaces.AttemptHistory`` over loaded and recorded attempts, per key: the
    number (default), or the person (``KeptAttempts(key=lambda a: a.contact_id)``)."""

    def __init__(self, key: Callable[[PastAttempt], str | None] = _by_number) -> None:
        self.key = key
        self._stored: dict[str, list[PastAttempt]] = {}
        self._recorded: dict[str, list[PastAttempt]] = {}
        self._merged: dict[str, tuple[PastAttempt, ...]] = {}

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        merged = self._merged.get(number_e164)
        if not merged:  # most numbers: no attempt kept (no list comprehension to run)
            return []
        return [a for a in merged if a.at >= since]

    def __contains__(self, key: str) -> bool:
        return key in self._merged

    def load(self, number: str, stored: list[PastAttempt], since: datetime) -> None:
        """What the journal holds for ``number`` since ``since`` (replaces the last load)."""
        self._stored[number] = stored
        self._merge(number, since)

    def record(self, attempt: PastAttempt, lookback: timedelta) -> None:
        key = self.key(attempt)
        if key is None:
            return
        self._recorded.setdefault(key, []).append(attempt)
        self._merge(key, attempt.at - lookback)

    def mark(self, key: str, dialed_at: datetime, template: PastAttempt, lookback: timedelta,
             *, answered_live: bool, conversation: bool, abandoned: bool,
             machine: bool = False, prerecorded_hang_up: bool | None = None) -> None:
        """Outcome flags of the recorded dial nearest ``dialed_at`` (within the tolerance);
        a dial this run did not record is added (as ``template``), since counting it is the
        safe side. ``prerecorded_hang_up`` replaces the dial's (counted until its outcome
        was known) when given."""
        recorded = self._recorded.setdefault(key, [])
        near = [i for i, a in enumerate(recorded)
                if abs(a.at - dialed_at) <= SAME_ATTEMPT_TOLERANCE
                and a.number_e164 == template.number_e164]
        index = min(near, key=lambda i: abs(recorded[i].at - dialed_at)) if near else None
        base = recorded[index] if index is not None else template
        updated = replace(base, answered_live=base.answered_live or answered_live,
                          conversation=base.conversation or conversation,
                          abandoned=base.abandoned or abandoned,
                          machine=base.machine or machine,
                          prerecorded_hang_up=base.prerecorded_hang_up
                          if prerecorded_hang_up is None else prerecorded_hang_up)
        if index is None:
            recorded.append(updated)
        else:
            recorded[index] = updated
        self._merge(key, dialed_at - lookback)

    def unrecord(self, key: str, at: datetime, number_e164: str, lead_id: str | None) -> bool:
        """A dial certainly never sent is no attempt: the one journaled at exactly ``at``
        for ``lead_id`` to ``number_e164`` leaves the history (recorded by this run, and
        its journal row if a prefetch read it back). Only an exact match goes: anything
        less certain stays counted (the safe side). Returns whether it was found."""
        found = False
        for table in (self._recorded, self._stored):
            kept = table.get(key)
            if not kept:
                continue
            index = next((i for i, a in enumerate(kept) if a.at == at
                          and a.number_e164 == number_e164 and a.lead_id == lead_id), None)
            if index is not None:
                table[key] = [a for i, a in enumerate(kept) if i != index]
                found = True
        if found:
            self._merge(key, _EVER)
        return found

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
                          and s.number_e164 == attempt.number_e164
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
                abandoned=stored.abandoned or attempt.abandoned,
                machine=stored.machine or attempt.machine,
                prerecorded_hang_up=stored.prerecorded_hang_up or attempt.prerecorded_hang_up,
                contact_id=stored.contact_id or attempt.contact_id)
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
        return _store_attempts_many(history, store, "phone", numbers, since)
    return {number: list(history.attempts(number, since)) for number in numbers}


def load_contact_attempts(history: AttemptHistory, contacts: Sequence[str], since: datetime
                          ) -> dict[str, list[PastAttempt]]:
    """Past attempts to every number of each person since ``since`` (batched like
    ``load_attempts``); empty when the source knows no people."""
    if not contacts:
        return {}
    many = getattr(history, "contact_attempts_many", None)
    if callable(many):
        return {c: list(a) for c, a in many(contacts, since).items()}
    store = getattr(history, "store", None)
    if store is not None and hasattr(store, "session"):
        return _store_attempts_many(history, store, "contact", contacts, since)
    one = getattr(history, "attempts_for_contact", None)
    if not callable(one):
        return {}
    return {contact: list(one(contact, since)) for contact in contacts}


def _store_attempts_many(history: Any, store: Any, by: str, keys: Sequence[str],
                         since: datetime) -> dict[str, list[PastAttempt]]:
    """``campaigns.compliance.StoreAttemptHistory`` for many numbers or people at once."""
    from sqlmodel import select

    from campaigns.compliance import past_attempts
    from campaigns.models import CallAttempt, Lead

    column = CallAttempt.phone if by == "phone" else Lead.contact_key
    found: dict[str, list[PastAttempt]] = {key: [] for key in keys}
    rows: list[Any] = []
    with store.read_session() as session:
        for start in range(0, len(keys), 500):
            part = list(keys[start:start + 500])
            rows.extend(session.exec(
                select(CallAttempt, Lead.contact_key, Lead.custom)
                .join(Lead, Lead.id == CallAttempt.lead_id, isouter=True)
                .where(column.in_(part), CallAttempt.dialed_at >= since)
                .order_by(CallAttempt.dialed_at)))
    names = history.campaign_names({row[0].campaign_id for row in rows})
    for attempt in past_attempts(rows, names):
        key = attempt.number_e164 if by == "phone" else attempt.contact_id
        if key is not None:
            found.setdefault(key, []).append(attempt)
    return found


class JournalHistory:
    """``dnc.interfaces.AttemptHistory`` at a batch's journaling (``DialTimeGate.recount``):
    the journal as read inside the batch's transaction, with every process's dials, plus
    the batch's dials admitted so far (not in the journal yet: nothing to merge).

    ``at`` is the instant of the dial being judged: an attempt dated after it (another
    process checked later but journaled first, or its clock runs ahead) is counted as made
    at that instant, which is the safe side for every limit (inside every window that ends
    there, and after, not before, an abandoned or answered call)."""

    def __init__(self, history: Sequence[PastAttempt], at: datetime) -> None:
        self.at = at
        self.by_number: dict[str, list[PastAttempt]] = {}
        """The journal's attempts (as read) per number."""
        self.by_contact: dict[str, list[PastAttempt]] = {}
        """The journal's attempts (as read) per person."""
        self._batch: list[PastAttempt] = []
        for attempt in history:
            self.by_number.setdefault(attempt.number_e164, []).append(attempt)
            if attempt.contact_id:
                self.by_contact.setdefault(attempt.contact_id, []).append(attempt)

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        found = self._since(self.by_number.get(number_e164, ()), since)
        found.extend(self._no_later(a) for a in self._batch if a.number_e164 == number_e164)
        return found

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        found = self._since(self.by_contact.get(contact_id, ()), since)
        found.extend(self._no_later(a) for a in self._batch if a.contact_id == contact_id)
        return found

    def record(self, attempt: PastAttempt) -> None:
        """A dial of the batch admitted: the batch's later dials count it."""
        self._batch.append(attempt)

    def _since(self, found: Sequence[PastAttempt], since: datetime) -> list[PastAttempt]:
        at = self.at
        return [a if a.at <= at else replace(a, at=at) for a in found if a.at >= since]

    def _no_later(self, attempt: PastAttempt) -> PastAttempt:
        return attempt if attempt.at <= self.at else replace(attempt, at=self.at)
