"""Per-person and per-number call limits re-counted where a batch of dials is journaled.

The dial-time gate decides on the attempt journal as read at a lead's prefetch plus its own
process's dials; a dial another dialer process (another campaign, or another instance of this
one) journals after that prefetch is not in it. Florida's, Maryland's and Oklahoma's 3 calls
in 24 hours to a person (Fla. Stat. 501.616(6)(b)), Regulation F's 7 in 7 days (12 CFR
1006.14(b)(2)(i)), a campaign's per-person caps, Ofcom's repeat-call rules and the exempt
prerecorded 3 in 30 days (47 CFR 64.1200(a)(3)) all count every process's calls.

So ``journal_batch`` re-counts, in the very transaction that writes the batch's attempt
rows, before any of its originates is sent: it serialises the batch against every other
writer of those people (the dials' own, and whoever else's leads have the batch's numbers)
and numbers (SQLite: the transaction began ``IMMEDIATE``, one writer
at a time; PostgreSQL: a transaction-scoped advisory lock per person and per number, taken
in one sorted order so two batches never deadlock on them), reads their attempts since the
longest lookback in one query, and asks the ``AttemptRecount`` (the runner's dial-time gate)
about each dial in batch order. A dial it refuses is not journaled and its lead is released
with the retry time it names, in the same transaction: nothing is half-written.

One query per batch, none per dial: the gate's own check stays a memory look-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import Session, select

from campaigns.models import CallAttempt, Campaign, Lead
from dnc.interfaces import PastAttempt


@dataclass(frozen=True, slots=True)
class JournalDial:
    """A dial about to be journaled, as the recount sees it."""

    call_uuid: str
    lead_id: str
    number_e164: str
    contact_id: str | None
    at: datetime
    compliance_decision: str | None = None
    """The dial-time decision the dial rests on (its audit id)."""


@dataclass(frozen=True, slots=True)
class RecountRefusal:
    """Why a dial may not be made after all, and when its lead may be offered again."""

    reason: str
    retry_at: datetime | None
    reasons: tuple[str, ...] = ()
    """The failing rules as the gate gives them (``rule: reason`` each)."""
    earliest_allowed: datetime | None = None
    """The first instant the rules would allow the dial (None: they name none)."""
    decision_id: str | None = None
    """The audit id of the refusal (``journal:<run>:<n>``), when it was audited."""


class AttemptRecount(Protocol):
    """Decides a batch's dials again on the journal as it stands in the batch's transaction
    (``dialer.runner.dial_gate.DialTimeGate`` implements it)."""

    lookback: timedelta
    """The longest history any of the campaign's rules counts (zero: nothing to re-count)."""

    def recount(self, history: Sequence[PastAttempt],
                people: Mapping[str, frozenset[str]] | None = None
                ) -> Callable[[JournalDial], RecountRefusal | None]:
        """A judge of this batch's dials over ``history`` (the attempts to the batch's
        numbers and people since its earliest dial less ``lookback``); each dial it admits
        counts for the dials after it. ``people``: each person of the batch -> every
        number of theirs, as read in the transaction."""
        ...


def lock_key(kind: str, value: str) -> int:
    """A signed 64-bit advisory lock key for a person or a number (stable across processes
    and versions: a hash of the text, not Python's salted ``hash``)."""
    digest = hashlib.blake2b(f"dialer.attempts.{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_people_and_numbers(session: Session, numbers: Sequence[str],
                            contacts: Sequence[str]) -> None:
    """Serialise this transaction against every other batch that journals a dial to one of
    ``numbers`` or ``contacts`` until it commits. PostgreSQL: advisory transaction locks in
    sorted key order (one statement); SQLite: nothing to do, the write transaction began
    ``IMMEDIATE`` and holds the database's one write lock already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({lock_key("number", n) for n in numbers} |
                  {lock_key("person", c) for c in contacts})
    if keys:
        session.execute(sa.text(
            "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": keys})


def attempts_in_session(session: Session, numbers: Sequence[str], contacts: Sequence[str],
                        since: datetime, their_numbers: Sequence[str] = ()) -> list[PastAttempt]:
    """Every attempt since ``since`` to one of ``numbers`` or ``their_numbers`` (the people's
    other numbers as the caller read and locked them) or to any number of one of
    ``contacts``, read in the caller's transaction (one statement)."""
    from campaigns.compliance import attempt_campaign, past_attempts

    if not numbers and not contacts:
        return []
    ids = select(CallAttempt.id).where(
        CallAttempt.phone.in_(sorted({*numbers, *their_numbers})),
        CallAttempt.dialed_at >= since)
    if contacts:
        # The people's calls: through their leads, and to their numbers through any lead
        # (one of another campaign that names no person: Fla. Stat. 501.616(6)(b) counts
        # calls to the person "regardless of the number of telephone numbers").
        person = sa.orm.aliased(Lead)
        theirs = select(person.phone).where(person.contact_key.in_(list(contacts)))
        ids = sa.union(ids, select(CallAttempt.id).join(Lead, Lead.id == CallAttempt.lead_id)
                       .where(Lead.contact_key.in_(list(contacts)),
                              CallAttempt.dialed_at >= since),
                       select(CallAttempt.id).where(CallAttempt.phone.in_(theirs),
                                                    CallAttempt.dialed_at >= since))
    rows = list(session.exec(
        select(CallAttempt, Lead.contact_key, Lead.custom)
        .join(Lead, Lead.id == CallAttempt.lead_id, isouter=True)
        .where(CallAttempt.id.in_(ids))
        .order_by(CallAttempt.dialed_at)))
    campaign_ids = {row[0].campaign_id for row in rows}
    names = {c.id: attempt_campaign(c)
             for c in session.exec(select(Campaign).where(Campaign.id.in_(campaign_ids)))} \
        if campaign_ids else {}
    return past_attempts(rows, names)


def owners_of_numbers(session: Session, numbers: Sequence[str]) -> dict[str, set[str]]:
    """Number -> the people whose leads (in any campaign) have it (one statement)."""
    found: dict[str, set[str]] = {}
    if numbers:
        for phone, person in session.exec(select(Lead.phone, Lead.contact_key).where(
                Lead.phone.in_(list(numbers)), Lead.contact_key.is_not(None))):  # type: ignore
            if person:
                found.setdefault(phone, set()).add(person)
    return found


def numbers_of_people(session: Session, people: Sequence[str]) -> dict[str, frozenset[str]]:
    """Person -> every number of theirs (their leads in any campaign; one statement)."""
    found: dict[str, set[str]] = {}
    if people:
        for person, phone in session.exec(select(Lead.contact_key, Lead.phone).where(
                Lead.contact_key.in_(list(people)))):  # type: ignore[union-attr]
            found.setdefault(person, set()).add(phone)
    return {person: frozenset(numbers) for person, numbers in found.items()}


def recount_batch(session: Session, recount: AttemptRecount, dials: Sequence[JournalDial]
                  ) -> Callable[[JournalDial], RecountRefusal | None] | None:
    """Lock the batch's people, numbers and the people's other numbers, and read their
    attempts; the judge of its dials (None when the campaign's rules count no history, or
    there is no dial).

    The people are the dials' own and **every person whose lead has one of the batch's
    numbers**: a dial through a lead that names no person (another campaign's) is still a
    call to the person whose number it is, so it takes that person's lock (two processes
    dialling two numbers of one person are serialised whichever leads they dial through)
    and is judged against that person's limits too (once per such person)."""
    if not dials or recount.lookback <= timedelta(0):
        return None
    numbers = sorted({dial.number_e164 for dial in dials})
    owners = owners_of_numbers(session, numbers)
    contacts = sorted({dial.contact_id for dial in dials if dial.contact_id} |
                      {person for people in owners.values() for person in people})
    # The people's other numbers are counted, so they are locked too (before any is
    # read): a batch of another process journaling a call to one of them, through a lead
    # that names no person, or before the lead linking it to the person was visible to
    # it, takes that number's lock, and whichever batch comes second counts the other's
    # call (the sixth pass's open race: the numbers were read, not locked).
    people = numbers_of_people(session, contacts) if contacts else {}
    theirs = sorted({n for person_numbers in people.values() for n in person_numbers}
                    - set(numbers))
    lock_people_and_numbers(session, [*numbers, *theirs], contacts)
    since = min(dial.at for dial in dials) - recount.lookback
    history = attempts_in_session(session, numbers, contacts, since, theirs)
    if contacts:
        # Read again under the locks: a number linked to a person since is counted too
        # (as before this lock was added), never fewer than were locked.
        again = numbers_of_people(session, contacts)
        people = {person: people.get(person, frozenset()) | again.get(person, frozenset())
                  for person in {*people, *again}}
    judge = recount.recount(history, people) if contacts else recount.recount(history)
    if not any(not dial.contact_id and dial.number_e164 in owners for dial in dials):
        return judge

    def as_each_owner(dial: JournalDial) -> RecountRefusal | None:
        if dial.contact_id or dial.number_e164 not in owners:
            return judge(dial)
        for person in sorted(owners[dial.number_e164]):
            refusal = judge(replace(dial, contact_id=person))
            if refusal is not None:
                return refusal
        return None
    return as_each_owner


__all__ = ["AttemptRecount", "JournalDial", "RecountRefusal", "attempts_in_session",
           "lock_key", "lock_people_and_numbers", "numbers_of_people", "owners_of_numbers",
           "recount_batch"]
