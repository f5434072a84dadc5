"""The attempt journal in batches: many journal writes in one transaction.

A live dialer at 100 attempts per second writes several records per attempt (begin, answer,
bridge, end, agent states, dispositions); one transaction each would spend the database
thread on commits. ``journal_batch`` applies an ordered list of operations in one
transaction with exactly the semantics of the single-call methods (``begin_attempt``,
``update_attempt``, ``finish_attempt``, ``set_disposition``, ``record_agent_state``,
``release_lead``): the same session-level helpers do the work.

Attempts are named by ``call_uuid`` (the switch channel id, unique per attempt), so a batch
may begin an attempt and close it too. A begin is refused, not raised, when the lead is not
the process's to dial any more (already in a call, or claimed by another live process):
the caller must then not send the originate. This is the last guard against one lead being
dialed twice by two processes.

With a ``recount`` (the runner's dial-time gate), the per-person and per-number call limits
are counted again inside this transaction, over every process's journal, before a dial is
journaled (``campaigns.attempt_recount``): a dial that would break one is refused like a
begin, and its lead is released with the retry time the recount names, in this transaction.

This function is a method of ``CampaignStore`` (bound there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.attempt_recount import AttemptRecount, JournalDial, RecountRefusal, recount_batch
from campaigns.errors import CampaignError
from campaigns.journal import (
    _UPDATABLE,
    NOT_SENT_CAUSE,
    SettingsCache,
    begin_in_session,
    dispose_in_session,
    finish_in_session,
)
from campaigns.models import (
    AgentState,
    AgentStateChange,
    AnswerKind,
    CallAttempt,
    Callback,
    CallbackStatus,
    Disposition,
    Lead,
    LeadStatus,
    QueueCallback,
    QueueCallbackStatus,
    Recording,
)
from campaigns.settings import Outcome
from dnc.interfaces import contact_key

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

_DIALABLE = frozenset({LeadStatus.NEW.value, LeadStatus.RETRY.value, LeadStatus.CALLBACK.value})


@dataclass(frozen=True, slots=True)
class BeginOp:
    """``begin_attempt``: journal a dial before its originate is sent."""

    call_uuid: str
    lead_id: int
    at: datetime
    phone: str | None = None
    caller_id: str | None = None
    switch_node: str | None = None
    compliance_decision: str | None = None
    gateway: str | None = None
    failover_of: str | None = None
    """The leg a gateway refused (same lead, same attempt number): the lead is in that
    call already and stays so; this leg is journaled as a call of its own."""


@dataclass(frozen=True, slots=True)
class CallbackDialOp:
    """A queue callback's dial, journaled before its originate like a campaign dial: a
    ``call_attempt`` row of the campaign serving the queue, with no lead and the callback's
    id (``queue_callback_id``), so every reader of the journal counts it (attempt limits,
    Regulation F, Ofcom, the abandonment ledger, reports). Refused, not raised, when the
    callback is no longer pending or another live process holds it."""

    call_uuid: str
    queue_callback_id: str
    campaign_id: int
    phone: str
    at: datetime
    attempt_number: int = 1
    caller_id: str | None = None
    switch_node: str | None = None
    compliance_decision: str | None = None
    gateway: str | None = None

    @property
    def lead_key(self) -> str:
        """The callback as the dial-time gate names it (``queue-callback:<id>``)."""
        return f"{QUEUE_CALLBACK_LEAD}{self.queue_callback_id}"


QUEUE_CALLBACK_LEAD = "queue-callback:"
"""The lead id of a queue callback's dial at the gate (``dialer.runner.callback_gate``)."""


@dataclass(frozen=True, slots=True)
class UpdateOp:
    """``update_attempt``: call progress (answered_at, bridged_at, agent_id, ...)."""

    call_uuid: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FinishOp:
    """``finish_attempt``, with the progress fields the call's end brings at once.

    ``suppress_reason``: the callee opted out during the call, so the lead is suppressed
    (never dialed again in this campaign) whatever the retry rules say.
    """

    call_uuid: str
    ended_at: datetime
    outcome: Outcome
    hangup_cause: str | None = None
    abandoned: bool | None = None
    answer_kind: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    suppress_reason: str | None = None
    failed_over: bool = False
    """The leg was refused by its gateway and the attempt goes on as another leg: close
    this record, leave the lead in its call (no retry rule applies yet)."""
    recording: Mapping[str, Any] | None = None
    """The call's recording (``campaigns.models.Recording`` fields: path, format,
    started_at, ended_at, consent, pauses), catalogued with the attempt."""
    never_sent: bool = False
    """Journaled, but its originate certainly never reached the switch (the switch's link
    was down at the send, its turn came past the send allowance, no API line could carry
    it): the record is closed (its outcome, ``cancelled``, as given; its hangup cause
    ``NOT_SENT_CAUSE``, so the compliance limits no longer count it) and the lead is not
    charged it (``_not_charged``)."""


@dataclass(frozen=True, slots=True)
class DispositionOp:
    """``set_disposition`` of the attempt ``call_uuid``."""

    call_uuid: str
    code: str
    at: datetime
    callback_at: datetime | None = None
    callback_agent_id: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AgentStateOp:
    """``record_agent_state`` (``call_uuid``: the attempt the change concerns, if any)."""

    agent_id: int
    state: AgentState
    at: datetime
    campaign_id: int | None = None
    reason: str | None = None
    call_uuid: str | None = None
    disposition: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseOp:
    """``release_lead`` for ``owner``; ``retry_at`` postpones the lead (refused at dial time)."""

    lead_id: int
    retry_at: datetime | None = None
    reason: str | None = None


JournalOp = (BeginOp | CallbackDialOp | UpdateOp | FinishOp | DispositionOp | AgentStateOp
             | ReleaseOp)


@dataclass(frozen=True, slots=True)
class BatchResult:
    begun: dict[str, int]
    """call_uuid → attempt id of the attempts begun."""
    refused: dict[str, str]
    """call_uuid → why its begin was refused (do not dial it)."""
    problems: tuple[str, ...] = ()
    """Operations skipped because their attempt is unknown or a disposition is not allowed."""
    recounted: Mapping[str, RecountRefusal] = field(default_factory=dict)
    """Of ``refused``, the dials the recount refused over every process's journal (its
    reasons, the instant its rules allow, its audit id): not a failed call, none was made.
    A queue callback's dial refused there is held until that instant, as at the gate."""
    unwritten: str | None = None
    """Set when the batch's dials were not journaled because a record they rest on could
    not be written (the audit log of their gate decisions: the caller's journal step says
    so): each is in ``refused`` with this text. A store failure, not the dials' fault: the
    runner holds them, no attempt charged, and tries again when the store works."""


def journal_batch(self: CampaignStore, ops: Sequence[JournalOp], *, owner: str | None = None,
                  now: datetime | None = None, recount: AttemptRecount | None = None,
                  again: bool = False) -> BatchResult:
    """Apply ``ops`` in order in one transaction (see the module docstring).

    ``owner`` is the dialer process: recorded as each attempt's ``process_owner``, and a
    lead claimed by someone else (claim not expired at ``now``) is refused. ``recount``:
    the attempt limits are counted again here, over every process's journal, and a dial
    they refuse is not journaled (its lead released with the recount's retry time).

    ``again``: the batch is tried again after a failure (the runner's store outage,
    ``dialer.runner.dbworker``), and a transaction whose commit failed may have landed
    all the same (a connection lost during COMMIT): what it finds written already is
    skipped, so nothing is written twice (an agent state change stored at the same
    instant, a call's end on a closed attempt, the same disposition at the same instant).
    Empty and ``again``: a probe, one write that changes nothing, which fails as the
    journal's writes would (the outage goes on) or says the store is written again.
    """
    begun: dict[str, int] = {}
    refused: dict[str, str] = {}
    recounted: dict[str, RecountRefusal] = {}
    problems: list[str] = []
    if not ops:
        if again:
            _probe(self)
        return BatchResult(begun, refused)
    cache: SettingsCache = {}
    with self.session() as session, session.no_autoflush:
        # ``leads`` holds the rows so the identity map keeps them for the whole batch.
        leads, attempts = _prefetch(self, session, ops)
        # Held like ``leads``: each disposition's look-up then finds its row in the map.
        _dispositions = list(session.exec(select(Disposition))) if any(
            isinstance(op, DispositionOp) for op in ops) else []
        judge = recount_batch(session, recount, _dials(ops, leads)) \
            if recount is not None else None
        if judge is not None:
            judge = _noting(judge, recounted)
        new: list[CallAttempt] = []
        changes: list[AgentStateOp] = []
        for op in ops:
            if isinstance(op, BeginOp):
                reason = _begin(self, session, op, owner, now, leads, attempts, cache, judge)
                if reason is None:
                    new.append(attempts[op.call_uuid])
                else:
                    refused[op.call_uuid] = reason
            elif isinstance(op, CallbackDialOp):
                reason = _begin_callback(session, op, owner, now, attempts, judge)
                if reason is None:
                    new.append(attempts[op.call_uuid])
                else:
                    refused[op.call_uuid] = reason
            elif isinstance(op, ReleaseOp):
                _release(session, op, owner)
            elif isinstance(op, AgentStateOp):
                changes.append(op)
            else:
                attempt = attempts.get(op.call_uuid)
                if attempt is None:
                    problems.append(f"{type(op).__name__}: no attempt {op.call_uuid}")
                    continue
                if again and _written_already(op, attempt):
                    continue
                problem = _apply_to_attempt(self, session, op, attempt, cache)
                if problem:
                    problems.append(problem)
        session.flush()
        if changes and again:
            changes = _not_stored(session, changes)
        if changes:
            _agent_states(session, changes, attempts)
        begun = {attempt.call_uuid: attempt.id for attempt in new}  # type: ignore[misc]
        session.commit()
    return BatchResult(begun, refused, tuple(problems), recounted)


def _probe(self: CampaignStore) -> None:
    """A write to the journal's own table that changes nothing (its newest row's id set to
    itself), committed: it takes the write lock and fails where the journal's writes fail."""
    with self.session() as session:
        newest = sa.select(sa.func.max(CallAttempt.id)).scalar_subquery()
        session.execute(sa.update(CallAttempt).where(CallAttempt.id == newest)
                        .values(id=CallAttempt.id))
        session.commit()


def _utc(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _written_already(op: JournalOp, attempt: CallAttempt) -> bool:
    """Of a batch tried again: this call's end or disposition is the attempt's already."""
    if isinstance(op, FinishOp):
        return attempt.ended_at is not None
    if isinstance(op, DispositionOp):
        return attempt.disposition == op.code and _utc(attempt.wrapped_at) == _utc(op.at)
    return False


def _not_stored(session: Session, ops: list[AgentStateOp]) -> list[AgentStateOp]:
    """Of a batch tried again: the agent state changes not stored already (the same agent,
    state and instant)."""
    agents = sorted({op.agent_id for op in ops})
    earliest = min(op.at for op in ops)
    stored = {(row.agent_id, row.state, _utc(row.at)) for row in session.exec(
        select(AgentStateChange).where(AgentStateChange.agent_id.in_(agents),  # type: ignore[attr-defined]
                                       AgentStateChange.at >= earliest))}  # type: ignore[operator]
    return [op for op in ops
            if (op.agent_id, AgentState(op.state).value, _utc(op.at)) not in stored]


def _noting(judge: Callable[[JournalDial], RecountRefusal | None],
            recounted: dict[str, RecountRefusal]
            ) -> Callable[[JournalDial], RecountRefusal | None]:
    """``judge``, each refusal kept by its dial's call uuid (``BatchResult.recounted``)."""
    def noted(dial: JournalDial) -> RecountRefusal | None:
        refusal = judge(dial)
        if refusal is not None:
            recounted[dial.call_uuid] = refusal
        return refusal
    return noted


def _prefetch(self: CampaignStore, session: Session, ops: Sequence[JournalOp]
              ) -> tuple[dict[int, Lead], dict[str, CallAttempt]]:
    """The batch's leads and attempts in three queries at most."""
    lead_ids = sorted({op.lead_id for op in ops if isinstance(op, BeginOp)})
    leads: dict[int, Lead] = {}
    if lead_ids:
        query = select(Lead).where(Lead.id.in_(lead_ids))
        if self.is_postgres:
            query = query.with_for_update()
        leads.update((lead.id, lead) for lead in session.exec(query))  # type: ignore[misc]
    uuids = {op.call_uuid for op in ops
             if isinstance(op, UpdateOp | FinishOp | DispositionOp | AgentStateOp)
             and op.call_uuid}
    uuids.update(op.failover_of for op in ops if isinstance(op, BeginOp) and op.failover_of)
    found: dict[str, CallAttempt] = {}
    if uuids:
        for attempt in session.exec(select(CallAttempt).where(CallAttempt.call_uuid.in_(uuids))):
            found[attempt.call_uuid] = attempt  # type: ignore[index]
    finishing = sorted({a.lead_id for a in found.values() if a.lead_id is not None}
                       - set(lead_ids))
    if finishing:
        leads.update((lead.id, lead) for lead in  # type: ignore[misc]
                     session.exec(select(Lead).where(Lead.id.in_(finishing))))
    return leads, found


def _dials(ops: Sequence[JournalOp], leads: dict[int, Lead]) -> list[JournalDial]:
    """The batch's new dials (not a failover's leg: the same attempt) as the recount sees
    them, with each lead's person as stored; a queue callback's dial has no person."""
    return [_callback_dial(op) if isinstance(op, CallbackDialOp) else _dial(op, leads[op.lead_id])
            for op in ops
            if isinstance(op, CallbackDialOp) or (
                isinstance(op, BeginOp) and op.failover_of is None and op.lead_id in leads)]


def _callback_dial(op: CallbackDialOp) -> JournalDial:
    return JournalDial(op.call_uuid, op.lead_key, op.phone, None, op.at, op.compliance_decision)


def _dial(op: BeginOp, lead: Lead) -> JournalDial:
    return JournalDial(op.call_uuid, str(lead.id), op.phone or lead.phone,
                       contact_key(lead.contact_id), op.at, op.compliance_decision)


def _begin(self: CampaignStore, session: Session, op: BeginOp, owner: str | None,
           now: datetime | None, leads: dict[int, Lead], attempts: dict[str, CallAttempt],
           cache: SettingsCache,
           judge: Callable[[JournalDial], RecountRefusal | None] | None = None) -> str | None:
    lead = leads.get(op.lead_id)
    if lead is None:
        return f"no lead with id {op.lead_id}"
    if op.failover_of is not None:
        return _begin_failover(session, op, owner, lead, attempts)
    if lead.status not in _DIALABLE:
        return f"lead {op.lead_id} is {lead.status}, not dialable"
    moment = now or op.at
    if _held_by_another(lead.claimed_by, lead.claim_expires_at, owner, moment):
        return f"lead {op.lead_id} is claimed by {lead.claimed_by}"
    if judge is not None:
        refusal = judge(_dial(op, lead))
        if refusal is not None:
            # Not dialed: the lead is this process's (or no one's) and goes back to the
            # hopper at the recount's time, as a refusal at the gate would send it.
            lead.claimed_by = lead.claim_expires_at = None
            if refusal.retry_at is not None:
                lead.next_attempt_at = refusal.retry_at
            lead.block_reason = refusal.reason[:500]
            session.add(lead)
            return refusal.reason
    attempts[op.call_uuid] = attempt = begin_in_session(
        self, session, lead, at=op.at, phone=op.phone, call_uuid=op.call_uuid,
        caller_id=op.caller_id, switch_node=op.switch_node, process_owner=owner,
        compliance_decision=op.compliance_decision, settings=cache)
    attempt.gateway = op.gateway
    return None


def _held_by_another(claimed_by: str | None, expires_at: datetime | None,
                     owner: str | None, moment: datetime) -> bool:
    """A lead's or a queue callback's claim is another live process's (unexpired): this
    one must not dial it."""
    return (owner is not None and claimed_by not in (None, owner)
            and expires_at is not None and expires_at > moment)


def _begin_callback(session: Session, op: CallbackDialOp, owner: str | None,
                    now: datetime | None, attempts: dict[str, CallAttempt],
                    judge: Callable[[JournalDial], RecountRefusal | None] | None) -> str | None:
    """A queue callback's dial: refused when the callback is not pending any more or held
    by another live process (the last guard against calling a caller back twice), or when
    the recount refuses it over every process's journal; else its attempt row."""
    callback = session.get(QueueCallback, op.queue_callback_id)
    if callback is None:
        return f"no queue callback {op.queue_callback_id}"
    if callback.status != QueueCallbackStatus.PENDING.value:
        return f"queue callback {op.queue_callback_id} is {callback.status}, not pending"
    moment = now or op.at
    if _held_by_another(callback.claimed_by, callback.claim_expires_at, owner, moment):
        return f"queue callback {op.queue_callback_id} is held by {callback.claimed_by}"
    if judge is not None:
        refusal = judge(_callback_dial(op))
        if refusal is not None:
            # No call: the runner holds the callback until the instant the rules allow
            # (``BatchResult.recounted``), not a used attempt.
            return refusal.reason
    attempts[op.call_uuid] = attempt = CallAttempt(
        campaign_id=op.campaign_id, lead_id=None, phone=op.phone, call_uuid=op.call_uuid,
        attempt_number=op.attempt_number, dialed_at=op.at, caller_id=op.caller_id,
        switch_node=op.switch_node, process_owner=owner,
        compliance_decision=op.compliance_decision, gateway=op.gateway,
        queue_callback_id=op.queue_callback_id)
    session.add(attempt)
    return None


def _begin_failover(session: Session, op: BeginOp, owner: str | None, lead: Lead,
                    attempts: dict[str, CallAttempt]) -> str | None:
    """A new leg of an attempt a gateway refused: allowed only while the lead is in that
    attempt's call, journaled by the same process."""
    previous = attempts.get(op.failover_of or "")
    if previous is None or previous.lead_id != lead.id:
        return f"failover of unknown attempt {op.failover_of}"
    if lead.status != LeadStatus.IN_CALL.value or previous.process_owner != owner:
        return f"lead {op.lead_id} is not in the call of {op.failover_of} any more"
    attempt = CallAttempt(
        campaign_id=lead.campaign_id, lead_id=lead.id, phone=op.phone or lead.phone,
        call_uuid=op.call_uuid, attempt_number=previous.attempt_number, dialed_at=op.at,
        caller_id=op.caller_id, switch_node=op.switch_node, process_owner=owner,
        compliance_decision=op.compliance_decision, callback_id=previous.callback_id,
        gateway=op.gateway, failover_of=op.failover_of)
    session.add(attempt)
    attempts[op.call_uuid] = attempt
    return None


NEVER_SENT_RETRY = timedelta(minutes=1)
"""How soon a lead whose journaled dial was never sent is offered again: no call was made,
so no retry rule's wait applies; the minute lets a switch's link come back."""


def _not_charged(session: Session, attempt: CallAttempt, at: datetime) -> None:
    """A lead's journaled dial that never reached the switch: the attempt counts it took at
    the journal (``begin_in_session``) are given back and the lead goes back to the hopper
    ``NEVER_SENT_RETRY`` later, as it was: a scheduled callback the dial was to keep is
    pending again. The attempt's row stays, closed, with the decision it rested on (the
    compliance history counts it: a count of calls never lower than the calls made)."""
    lead = session.get(Lead, attempt.lead_id) if attempt.lead_id is not None else None
    if lead is None or lead.status != LeadStatus.IN_CALL.value:
        return
    lead.attempts = max(lead.attempts - 1, 0)
    if lead.attempts_day == attempt.dialed_at.date().isoformat():
        lead.attempts_today = max(lead.attempts_today - 1, 0)
    callback = session.get(Callback, attempt.callback_id) \
        if attempt.callback_id is not None else None
    if callback is not None and callback.status in (CallbackStatus.KEPT, CallbackStatus.MISSED):
        callback.status, callback.done_at = CallbackStatus.PENDING, None
        session.add(callback)
        lead.status = LeadStatus.CALLBACK
    else:
        lead.status = LeadStatus.RETRY if lead.attempts else LeadStatus.NEW
    lead.next_attempt_at = at + NEVER_SENT_RETRY
    session.add(lead)


def _release(session: Session, op: ReleaseOp, owner: str | None) -> None:
    values: dict[str, Any] = {"claimed_by": None, "claim_expires_at": None}
    if op.retry_at is not None:
        values["next_attempt_at"] = op.retry_at
    if op.reason is not None:
        values["block_reason"] = op.reason[:500]
    query = sa.update(Lead).where(Lead.id == op.lead_id)
    if owner is not None:
        query = query.where(Lead.claimed_by == owner)
    session.execute(query.values(**values))


def _agent_states(session: Session, ops: Sequence[AgentStateOp],
                  attempts: dict[str, CallAttempt]) -> None:
    """The batch's agent state changes, in their order, in one statement once every
    attempt of the batch has its id (nothing in a batch depends on these rows, and a
    flush for each change that names a new attempt cost most of a busy batch)."""
    rows = []
    for op in ops:
        attempt = attempts.get(op.call_uuid) if op.call_uuid else None
        rows.append({"agent_id": op.agent_id, "campaign_id": op.campaign_id,
                     "state": AgentState(op.state).value,
                     "reason": (op.reason or None) and op.reason[:80], "at": op.at,
                     "attempt_id": attempt.id if attempt is not None else None,
                     "disposition": op.disposition})
    session.execute(sa.insert(AgentStateChange), rows)


def _apply_to_attempt(self: CampaignStore, session: Session,
                      op: UpdateOp | FinishOp | DispositionOp, attempt: CallAttempt,
                      cache: SettingsCache) -> str | None:
    if isinstance(op, UpdateOp | FinishOp):
        unknown = set(op.fields) - _UPDATABLE
        if unknown:
            raise CampaignError(f"journal_batch: unknown attempt fields {sorted(unknown)}")
        for name, value in op.fields.items():
            if name == "answer_kind" and value is not None:
                value = AnswerKind(value).value
            setattr(attempt, name, value)
    if isinstance(op, UpdateOp):
        session.add(attempt)
        return None
    if isinstance(op, FinishOp):
        if attempt.ended_at is not None:
            return f"FinishOp: attempt {op.call_uuid} is already closed"
        if op.recording is not None:
            if attempt.id is None:
                session.flush()
            session.add(Recording(campaign_id=attempt.campaign_id, attempt_id=attempt.id,
                                  call_uuid=op.call_uuid, **op.recording))
        if op.failed_over or op.never_sent:
            attempt.ended_at = op.ended_at
            attempt.outcome = Outcome(str(op.outcome)).value
            attempt.hangup_cause = NOT_SENT_CAUSE if op.never_sent else (
                op.hangup_cause or attempt.hangup_cause)
            session.add(attempt)
            if op.never_sent and not op.failed_over:
                # (A gateway leg refused before any channel whose attempt went on through
                # another gateway: the lead's one charge is the attempt's, kept.)
                _not_charged(session, attempt, op.ended_at)
            return None
        lead = finish_in_session(self, session, attempt, ended_at=op.ended_at,
                                 outcome=op.outcome, hangup_cause=op.hangup_cause,
                                 abandoned=op.abandoned, answer_kind=op.answer_kind,
                                 settings=cache)
        if lead is not None and op.suppress_reason:
            lead.status, lead.next_attempt_at = LeadStatus.SUPPRESSED, None
            lead.block_reason = op.suppress_reason[:500]
            session.add(lead)
        return None
    try:
        # Every check comes before the first change, so a refusal leaves nothing half done.
        dispose_in_session(self, session, attempt, op.code, at=op.at,
                           callback_at=op.callback_at, callback_agent_id=op.callback_agent_id,
                           note=op.note, settings=cache)
    except CampaignError as error:
        return f"DispositionOp: {error}"
    return None
