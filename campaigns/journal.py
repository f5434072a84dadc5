"""The attempt journal, the abandonment ledger and agent state history (callbacks:
``campaigns.callbacks``).

These functions are methods of ``CampaignStore`` (bound there); ``self`` is the store.

Journal rule for the live runner: ``begin_attempt`` is written *before* the originate is
sent, so a crash can never leave a dial the database does not know about; the attempt is
then updated as the call progresses and closed by ``finish_attempt``. ``open_attempts``
lists attempts never closed (for reconciliation with the switch after a restart).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.errors import CampaignError
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
)
from campaigns.settings import CampaignSettings, Outcome

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

NOT_SENT_CAUSE = "NOT_SENT"
"""The hangup cause of a journaled attempt whose originate certainly never reached the switch
(the link down before it was written, its turn past the send allowance, a switch command
no API line could carry: ``FinishOp.never_sent``). Not a FreeSWITCH cause, so no call the
switch ended can carry it: the compliance history leaves exactly these rows out
(``campaigns.compliance.past_attempts``). A dial that may have reached the switch (its
link dropped while the originate was written) is never closed so: it counts."""

# What a non-final disposition means for the next retry.
_DISPOSITION_RETRY_OUTCOME = {"NA": Outcome.NO_ANSWER, "AM": Outcome.MACHINE,
                              "DROP": Outcome.ABANDONED}

_UPDATABLE = frozenset({
    "answered_at", "bridged_at", "answer_kind", "agent_id", "recording_path", "switch_node",
    "call_uuid", "hangup_cause", "abandoned", "caller_id", "compliance_decision", "gateway",
    "message_outcome", "message_started_at", "hangup_side",
})


@dataclass(frozen=True, slots=True)
class LedgerCounts:
    """Live answers and abandons of one campaign in ``[since, until)``."""

    live_answers: int
    abandons: int
    since: datetime
    until: datetime
    period_live_answers: int = 0
    """Live answers in ``[period_since, until)`` (0 when no period was asked)."""
    period_abandons: int = 0
    """Abandons in ``[period_since, until)`` (0 when no period was asked)."""
    period_since: datetime | None = None
    """Start of the campaign's current period, when asked (within the window)."""

    @property
    def rate(self) -> float:
        """Abandonment rate: abandons ÷ live answers (47 CFR 64.1200(a)(7)(i))."""
        return self.abandons / self.live_answers if self.live_answers else 0.0


def begin_attempt(self: CampaignStore, lead_id: int, *, at: datetime, phone: str | None = None,
                  call_uuid: str | None = None, caller_id: str | None = None,
                  switch_node: str | None = None, process_owner: str | None = None,
                  compliance_decision: str | None = None) -> CallAttempt:
    """Journal a dial before its originate is sent; the lead goes ``in_call``."""
    with self.session() as session:
        lead = session.get(Lead, lead_id, with_for_update=self.is_postgres)
        if lead is None:
            raise CampaignError(f"no lead with id {lead_id}")
        attempt = begin_in_session(self, session, lead, at=at, phone=phone,
                                   call_uuid=call_uuid, caller_id=caller_id,
                                   switch_node=switch_node, process_owner=process_owner,
                                   compliance_decision=compliance_decision)
        session.commit()
        return attempt


def begin_in_session(self: CampaignStore, session: Session, lead: Lead, *, at: datetime,
                     phone: str | None = None, call_uuid: str | None = None,
                     caller_id: str | None = None, switch_node: str | None = None,
                     process_owner: str | None = None, compliance_decision: str | None = None,
                     settings: SettingsCache | None = None) -> CallAttempt:
    """``begin_attempt`` inside an open session (shared by the batch form)."""
    day = at.date().isoformat()
    # A pending callback always puts its lead in ``callback`` status (schedule_callback,
    # set_disposition), so other leads need no look-up (it is one query per dial).
    callback = session.exec(select(Callback).where(
        Callback.lead_id == lead.id, Callback.status == CallbackStatus.PENDING,
        Callback.due_at <= at)).first() if lead.status == LeadStatus.CALLBACK else None
    lead.attempts_today = (lead.attempts_today if lead.attempts_day == day else 0) + 1
    lead.attempts_day = day
    lead.attempts += 1
    lead.last_attempt_at = at
    lead.status = LeadStatus.IN_CALL
    lead.claimed_by = None
    lead.claim_expires_at = None
    attempt = CallAttempt(
        campaign_id=lead.campaign_id, lead_id=lead.id, phone=phone or lead.phone,
        call_uuid=call_uuid, attempt_number=lead.attempts, dialed_at=at,
        caller_id=caller_id, switch_node=switch_node, process_owner=process_owner,
        compliance_decision=compliance_decision,
        callback_id=callback.id if callback else None)
    if callback is not None:
        grace = timedelta(minutes=campaign_settings(self, session, lead.campaign_id,
                                                    settings).callback_grace_minutes)
        callback.status = (CallbackStatus.KEPT if at <= callback.due_at + grace
                           else CallbackStatus.MISSED)
        callback.done_at = at
        session.add(callback)
    session.add(lead)
    session.add(attempt)
    return attempt


SettingsCache = dict[int, CampaignSettings]
"""Campaign id → validated settings, kept for the length of one batch."""


def campaign_settings(self: CampaignStore, session: Session, campaign_id: int,
                      cache: SettingsCache | None = None) -> CampaignSettings:
    if cache is not None and campaign_id in cache:
        return cache[campaign_id]
    settings = CampaignSettings.model_validate(self._campaign(session, campaign_id).settings)
    if cache is not None:
        cache[campaign_id] = settings
    return settings


def update_attempt(self: CampaignStore, attempt_id: int, **fields: Any) -> CallAttempt:
    """Record call progress: ``answered_at``, ``answer_kind`` (live/machine/unknown),
    ``bridged_at``, ``agent_id``, ``recording_path``, ``switch_node``, ``call_uuid``, ...
    """
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise CampaignError(f"update_attempt: unknown fields {sorted(unknown)}")
    if "answer_kind" in fields and fields["answer_kind"] is not None:
        fields["answer_kind"] = AnswerKind(fields["answer_kind"]).value
    with self.session() as session:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None:
            raise CampaignError(f"no call attempt with id {attempt_id}")
        for name, value in fields.items():
            setattr(attempt, name, value)
        session.add(attempt)
        session.commit()
        return attempt


def finish_attempt(self: CampaignStore, attempt_id: int, *, ended_at: datetime,
                   outcome: Outcome | str, hangup_cause: str | None = None,
                   abandoned: bool | None = None, answer_kind: str | None = None
                   ) -> CallAttempt:
    """Close the attempt and reschedule its lead by the campaign's retry rules.

    ``outcome`` is an ``Outcome`` (``dialer.hangup.DialOutcome`` values are accepted).
    For ``answered`` the lead waits in ``in_call`` for ``set_disposition``.
    """
    with self.session() as session:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None:
            raise CampaignError(f"no call attempt with id {attempt_id}")
        finish_in_session(self, session, attempt, ended_at=ended_at, outcome=outcome,
                          hangup_cause=hangup_cause, abandoned=abandoned,
                          answer_kind=answer_kind)
        session.commit()
        return attempt


def finish_in_session(self: CampaignStore, session: Session, attempt: CallAttempt, *,
                      ended_at: datetime, outcome: Outcome | str,
                      hangup_cause: str | None = None, abandoned: bool | None = None,
                      answer_kind: str | None = None, settings: SettingsCache | None = None
                      ) -> Lead | None:
    """``finish_attempt`` inside an open session; returns the lead it rescheduled."""
    outcome = Outcome(str(outcome))
    attempt.ended_at = ended_at
    attempt.outcome = outcome.value
    attempt.hangup_cause = hangup_cause or attempt.hangup_cause
    if answer_kind is not None:
        attempt.answer_kind = AnswerKind(answer_kind).value
    if abandoned is not None:
        attempt.abandoned = abandoned
    if outcome is Outcome.ABANDONED:
        attempt.abandoned = True
    session.add(attempt)
    lead = session.get(Lead, attempt.lead_id) if attempt.lead_id else None
    if lead is not None and outcome is not Outcome.ANSWERED:
        _reschedule(lead, outcome, campaign_settings(self, session, lead.campaign_id,
                                                     settings), ended_at)
        session.add(lead)
    return lead


def _reschedule(lead: Lead, outcome: Outcome, settings: CampaignSettings, at: datetime) -> None:
    rule = settings.retry_rule(outcome)
    lead.last_outcome = outcome.value
    if outcome is Outcome.BAD_NUMBER:
        lead.status = LeadStatus.INVALID
        lead.next_attempt_at = None
    elif rule.delay_minutes is None or lead.attempts >= rule.max_attempts:
        lead.status = LeadStatus.DONE
        lead.next_attempt_at = None
    else:
        lead.status = LeadStatus.RETRY
        lead.next_attempt_at = at + timedelta(minutes=rule.delay_minutes)


def set_disposition(self: CampaignStore, attempt_id: int, code: str, *, at: datetime,
                    callback_at: datetime | None = None, callback_agent_id: int | None = None,
                    note: str | None = None) -> CallAttempt:
    """The agent's disposition of an answered attempt; decides the lead's future.

    Final → done; DNC → suppressed (the runner also adds the number to the internal DNC);
    callback (needs ``callback_at``) → a callback row; other non-final → retry rules.
    """
    with self.session() as session:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None:
            raise CampaignError(f"no call attempt with id {attempt_id}")
        dispose_in_session(self, session, attempt, code, at=at, callback_at=callback_at,
                           callback_agent_id=callback_agent_id, note=note)
        session.commit()
        return attempt


def dispose_in_session(self: CampaignStore, session: Session, attempt: CallAttempt, code: str,
                       *, at: datetime, callback_at: datetime | None = None,
                       callback_agent_id: int | None = None, note: str | None = None,
                       settings: SettingsCache | None = None) -> None:
    """``set_disposition`` inside an open session."""
    settings_now = campaign_settings(self, session, attempt.campaign_id, settings)
    disposition = session.get(Disposition, code)
    if disposition is None or code not in settings_now.allowed_dispositions:
        name = self._campaign(session, attempt.campaign_id).name
        raise CampaignError(
            f"disposition {code!r} is not allowed in campaign {name!r} "
            f"(allowed: {', '.join(settings_now.allowed_dispositions)})")
    if disposition.callback and callback_at is None:
        raise CampaignError(f"disposition {code!r} needs a callback time")
    attempt.disposition = code
    attempt.wrapped_at = at
    if note:
        attempt.note = note
    session.add(attempt)
    lead = session.get(Lead, attempt.lead_id) if attempt.lead_id else None
    if lead is None:
        return
    lead.last_outcome = attempt.outcome or lead.last_outcome
    if disposition.dnc:
        lead.status, lead.next_attempt_at = LeadStatus.SUPPRESSED, None
        lead.block_reason = "disposition:DNC"
    elif disposition.callback:
        session.add(Callback(campaign_id=lead.campaign_id, lead_id=lead.id,
                             due_at=callback_at, agent_id=callback_agent_id,
                             note=note, created_at=at))
        lead.status, lead.next_attempt_at = LeadStatus.CALLBACK, callback_at
    elif disposition.final:
        lead.status, lead.next_attempt_at = LeadStatus.DONE, None
    else:
        _reschedule(lead, _DISPOSITION_RETRY_OUTCOME.get(code, Outcome.NO_ANSWER),
                    settings_now, at)
    session.add(lead)


def attempt(self: CampaignStore, attempt_id: int) -> CallAttempt:
    with self.session() as session:
        found = session.get(CallAttempt, attempt_id)
        if found is None:
            raise CampaignError(f"no call attempt with id {attempt_id}")
        return found


def open_attempts(self: CampaignStore, *, process_owner: str | None = None,
                  campaign: CampaignRef | None = None) -> list[CallAttempt]:
    """Attempts journaled but never finished (a crashed process leaves these)."""
    with self.session() as session:
        query = select(CallAttempt).where(CallAttempt.ended_at.is_(None))
        if process_owner is not None:
            query = query.where(CallAttempt.process_owner == process_owner)
        if campaign is not None:
            query = query.where(CallAttempt.campaign_id == self._campaign(session, campaign).id)
        return list(session.exec(query.order_by(CallAttempt.id)))


def undisposed_attempts(self: CampaignStore, *, process_owner: str | None = None,
                        campaign: CampaignRef | None = None) -> list[CallAttempt]:
    """Connected attempts (closed as ``answered``) still waiting for a disposition: their
    leads stay ``in_call`` until one is set (a dialer process that crashed during the
    agent's wrap-up leaves these)."""
    with self.session() as session:
        query = select(CallAttempt).where(CallAttempt.ended_at.is_not(None),
                                          CallAttempt.outcome == Outcome.ANSWERED.value,
                                          CallAttempt.disposition.is_(None))
        if process_owner is not None:
            query = query.where(CallAttempt.process_owner == process_owner)
        if campaign is not None:
            query = query.where(CallAttempt.campaign_id == self._campaign(session, campaign).id)
        return list(session.exec(query.order_by(CallAttempt.id)))


def attempts_for_number(self: CampaignStore, phone_e164: str, since: datetime
                        ) -> list[CallAttempt]:
    with self.read_session() as session:
        return list(session.exec(select(CallAttempt).where(
            CallAttempt.phone == phone_e164, CallAttempt.dialed_at >= since
        ).order_by(CallAttempt.dialed_at)))


def _live_condition() -> Any:
    # A person answered: live, or unknown (AMD undecided or off) which counts as live.
    return sa.and_(CallAttempt.answered_at.is_not(None),
                   sa.or_(CallAttempt.answer_kind.is_(None),
                          CallAttempt.answer_kind != AnswerKind.MACHINE.value))


def ledger_counts(self: CampaignStore, campaign: CampaignRef, *, now: datetime,
                  window: timedelta = timedelta(days=30), exclude_owner: str | None = None,
                  period_since: datetime | None = None) -> LedgerCounts:
    """Live answers and abandons answered in ``[now - window, now)``, shared by every
    process dialing this campaign (US: 30 days; Ofcom: 24 hours).

    ``exclude_owner``: leave out one process's attempts — what a dialer process adds to its
    own in-memory ledger to see the campaign's whole rate. ``period_since``: also count
    ``[period_since, now)``, the campaign's current period (47 CFR 64.1200(a)(7)(i): each
    successive 30-day period), in the same query."""
    with self.session() as session:
        campaign_id = self._campaign(session, campaign).id
        return ledger_counts_in_session(
            session, campaign_id, now=now, window=window,
            exclude_owners=() if exclude_owner is None else (exclude_owner,),
            period_since=period_since)


def ledger_counts_in_session(session: Session, campaign_id: int, *, now: datetime,
                             window: timedelta, exclude_owners: Collection[str] = (),
                             period_since: datetime | None = None) -> LedgerCounts:
    """``ledger_counts`` read in the caller's transaction, leaving out the attempts of every
    process in ``exclude_owners`` (attempts journaled by no named process always count):
    the slack claims (campaigns/slack_claims.py) read the processes without a live claim
    here, under the campaign's claim lock, and take the others' counts from their claims."""
    since = now - window
    start = since if period_since is None else min(since, period_since)
    in_window = CallAttempt.answered_at >= since
    in_period = CallAttempt.answered_at >= (period_since or since)
    conditions = [CallAttempt.campaign_id == campaign_id, _live_condition(),
                  CallAttempt.answered_at >= start, CallAttempt.answered_at < now]
    if exclude_owners:
        conditions.append(sa.or_(CallAttempt.process_owner.is_(None),
                                 CallAttempt.process_owner.not_in(sorted(exclude_owners))))
    row = session.exec(select(
        sa.func.coalesce(sa.func.sum(sa.case((in_window, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(in_window, CallAttempt.abandoned), 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((in_period, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(in_period, CallAttempt.abandoned), 1), else_=0)), 0),
    ).where(*conditions)).one()
    counts = LedgerCounts(live_answers=int(row[0]), abandons=int(row[1]), since=since,
                          until=now)
    if period_since is None:
        return counts
    return replace(counts, period_live_answers=int(row[2]), period_abandons=int(row[3]),
                   period_since=period_since)


def ledger_entries(self: CampaignStore, campaign: CampaignRef, *, since: datetime,
                   process_owner: str | None = None) -> list[tuple[datetime, bool]]:
    """(answered_at, abandoned) of every live answer since ``since`` — the seed of the
    engine's ``AbandonLedger`` when a process starts (``process_owner``: only the attempts
    that process journaled; it learns the others' through ``ledger_counts``)."""
    with self.session() as session:
        campaign_id = self._campaign(session, campaign).id
        query = select(CallAttempt.answered_at, CallAttempt.abandoned).where(
            CallAttempt.campaign_id == campaign_id, _live_condition(),
            CallAttempt.answered_at >= since)
        if process_owner is not None:
            query = query.where(CallAttempt.process_owner == process_owner)
        rows = session.exec(query.order_by(CallAttempt.answered_at))
        return [(at, bool(abandoned)) for at, abandoned in rows]


def record_agent_state(self: CampaignStore, agent: int | str, state: AgentState | str, *,
                       at: datetime, reason: str | None = None,
                       campaign: CampaignRef | None = None, attempt_id: int | None = None,
                       disposition: str | None = None) -> AgentStateChange:
    """Append to the agent's state history (pause reasons in ``reason``)."""
    state = AgentState(state)
    with self.session() as session:
        agent_id = agent if isinstance(agent, int) else self.agent(agent).id
        campaign_id = self._campaign(session, campaign).id if campaign is not None else None
        change = AgentStateChange(agent_id=agent_id, campaign_id=campaign_id, state=state.value,
                                  reason=reason, at=at, attempt_id=attempt_id,
                                  disposition=disposition)
        session.add(change)
        session.commit()
        return change


def agent_states(self: CampaignStore, agent: int | str | None = None, *,
                 since: datetime | None = None) -> list[AgentStateChange]:
    with self.session() as session:
        query = select(AgentStateChange)
        if agent is not None:
            agent_id = agent if isinstance(agent, int) else self.agent(agent).id
            query = query.where(AgentStateChange.agent_id == agent_id)
        if since is not None:
            query = query.where(AgentStateChange.at >= since)
        return list(session.exec(query.order_by(AgentStateChange.at, AgentStateChange.id)))
