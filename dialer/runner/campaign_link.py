"""The runner's view of its campaign in the product's store (``campaigns.CampaignStore``).

One job: translate between the engine's world (float epoch seconds, string ids, engine
commands) and the store's (aware UTC datetimes, integer ids, journal operations). Reads
happen once at start (settings, agents, dispositions); everything the engine emits becomes
a ``campaigns.journal_batch`` operation the database thread applies in order.

Outcomes: the engine's ``CallOutcome`` says how the call went; the store's ``Outcome``
says what the retry rules should do. Connected calls become ``answered`` (the lead waits for
the agent's disposition); calls that never got an answer keep the precise reason from the
hangup cause (busy, no answer, rejected, bad number, network, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import select

from campaigns.compliance_settings import is_uk
from campaigns.hopper import ClaimedLead
from campaigns.journal_batch import (
    AgentStateOp,
    BeginOp,
    DispositionOp,
    FinishOp,
    ReleaseOp,
    UpdateOp,
)
from campaigns.models import AgentState as StoreAgentState
from campaigns.models import CallAttempt
from campaigns.settings import CampaignSettings, CampaignState, Outcome
from campaigns.store import CampaignStore, missing_to_start
from campaigns.stored_settings import stored_settings
from dialer.commands import AgentStateChanged, AttemptFinished, CallOutcome, JournalAttempt
from dialer.engine import CampaignConfig
from dialer.engine.config import MachineAction
from dialer.engine.recordings import ConsentPolicy, RecordingConfig, RecordingMode
from dialer.events import AnswerKind
from dialer.hangup import dial_outcome
from dialer.ports import DialTarget
from dialer.runner.errors import CampaignNotFoundError, RunnerError

_ANSWERED_OUTCOMES = {
    CallOutcome.CONNECTED: Outcome.ANSWERED,
    CallOutcome.ABANDONED: Outcome.ABANDONED,
    CallOutcome.MACHINE: Outcome.MACHINE,
    CallOutcome.MACHINE_MESSAGE: Outcome.MACHINE,
    # A person answered and left before an agent came: counted as abandoned in the ledger
    # (the engine marks it), not a conversation; retried like an unanswered call.
    CallOutcome.HUNG_UP_ANSWERED: Outcome.NO_ANSWER,
    CallOutcome.QUEUE_ABANDONED: Outcome.ABANDONED,
}


MACHINE_DISPOSITIONS = frozenset({"AM"})
"""Codes by which an agent says an answering machine answered (the store's standard
``AM``; campaigns/journal.py retries it as a machine)."""
PERSON_DISPOSITIONS = frozenset({"WRONG"})
"""Codes that say a person answered without being a contact: a wrong number is still a
person who answered (every ``contact`` code says a person too)."""


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)


def store_outcome(finished: AttemptFinished) -> Outcome:
    mapped = _ANSWERED_OUTCOMES.get(finished.outcome)
    if mapped is not None:
        return mapped
    return Outcome(dial_outcome(finished.cause).value)


def campaign_config(name: str, settings: CampaignSettings, switch_ids: tuple[str, ...],
                    abandon_period_start: float | None = None) -> CampaignConfig:
    """The engine's settings for a stored campaign (validated again by the engine).

    ``abandon_period_start``: the campaign's start (``first_attempt_at``), from which its
    successive abandonment periods run."""
    return CampaignConfig(
        campaign_id=name, caller_id_number=settings.caller_ids[0],
        caller_id_name=settings.caller_id_name, ring_timeout=settings.ring_timeout,
        connect_window=settings.connect_window, amd_enabled=settings.amd_enabled,
        machine_action=MachineAction(settings.machine_action),
        machine_message=settings.machine_message,
        machine_to_free_agent=settings.machine_to_free_agent,
        amd_false_positive_estimate=settings.amd_false_positive_estimate or 0.0,
        connect_window_from_answer=is_uk(settings),
        safe_harbor_message=settings.safe_harbor_message, optout_digit=settings.optout_digit,
        recording=recording_config(settings),
        wrap_up_timeout=settings.wrap_up_timeout, abandon_target=settings.abandon_target,
        ledger_window=settings.abandon_window_seconds, pacing_policy=settings.pacing_policy,
        pacing_params=dict(settings.pacing_params),
        decision_interval=settings.decision_interval,
        lines_per_agent=settings.lines_per_agent, max_lines=settings.max_lines,
        switch_ids=switch_ids, agent_preview=settings.preview_dialing,
        abandon_period_start=abandon_period_start,
        agent_guaranteed=settings.compliance.agent_guaranteed)


def first_attempt_at(store: CampaignStore, campaign_id: int, now: float) -> float:
    """When the campaign began: its first attempt's dial time (database thread).

    47 CFR 64.1200(a)(7)(i) measures each successive 30-day period of a campaign, so the
    engine's periods run from here. Fail closed: with no attempt yet (this run begins the
    campaign), or a first attempt dated after ``now`` (another process's clock ahead), the
    campaign begins ``now``, the latest start it can have, whose current period is the
    shortest (a start placed too late never lengthens the period holding ``now``)."""
    with store.read_session() as session:
        first = session.exec(select(sa.func.min(CallAttempt.dialed_at)).where(
            CallAttempt.campaign_id == campaign_id)).first()
    if first is None:
        return now
    if first.tzinfo is None:  # SQLite hands back naive UTC
        first = first.replace(tzinfo=UTC)
    return min(first.timestamp(), now)


def recording_config(settings: CampaignSettings) -> RecordingConfig:
    """The engine's recording settings: the campaign's modes, and the all-party-consent
    jurisdictions from the cited table (``dnc/data/recording_consent.csv``)."""
    from dnc.recording_consent import all_party_states

    recording = settings.recording
    return RecordingConfig(
        RecordingMode(recording.mode), recording.percentage,
        ConsentPolicy(recording.two_party_consent), recording.notice_message,
        all_party_states() - {"UK"}, is_uk(settings), recording.layout, recording.format,
        {queue: RecordingMode(mode) for queue, mode in recording.queues.items()})


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent of the campaign as the runner logs it in."""

    agent_id: str
    """The agent's name in the store; the engine's agent id."""
    endpoint: str
    skills: frozenset[str] = frozenset()
    store_id: int = 0


class CampaignLink:
    """The campaign's row, settings, agents and dispositions, and the op builders."""

    def __init__(self, store: CampaignStore, campaign: str, owner: str) -> None:
        try:
            row = store.campaign(campaign)
        except Exception as error:  # the store's CampaignNotFound names the campaign
            raise CampaignNotFoundError(f"{error}") from None
        if row.state not in (CampaignState.RUNNING, CampaignState.PAUSED):
            raise RunnerError(
                f"campaign {row.name!r} is {row.state}: start it first with "
                f"`dialer campaign start {row.name}`")
        self.store = store
        self.name = row.name
        self.campaign_id: int = row.id  # type: ignore[assignment]
        self.owner = owner
        self.settings = stored_settings(row)
        missing = missing_to_start(row.name, self.settings)
        if missing:
            raise RunnerError("; ".join(missing) + "; it cannot be dialed until then")
        self.agents: dict[str, AgentSpec] = {}
        for agent in store.agents(row.id):
            self._remember(agent.name, agent.endpoint, agent.skills, agent.id)
        self.dispositions = {d.code: d for d in store.dispositions(row.id)}

    def _remember(self, name: str, endpoint: str, skills: Sequence[str], store_id: int | None,
                  ) -> AgentSpec:
        spec = AgentSpec(name, endpoint, frozenset(skills or ()), int(store_id or 0))
        self.agents[name] = spec
        return spec

    def ensure_agent(self, name: str, endpoint: str) -> AgentSpec:
        """The agent, added to the campaign if it logs in with an endpoint of its own
        (database thread)."""
        known = self.agents.get(name)
        if known is not None and known.endpoint == endpoint:
            return known
        agent = self.store.add_agent(name, endpoint, campaign=self.campaign_id,
                                     skills=sorted(known.skills) if known else ())
        return self._remember(agent.name, agent.endpoint, agent.skills, agent.id)

    def agent_store_id(self, name: str | None) -> int | None:
        spec = self.agents.get(name) if name else None
        return spec.store_id if spec is not None else None

    def agent_name(self, store_id: int | None) -> str | None:
        for spec in self.agents.values():
            if spec.store_id == store_id:
                return spec.agent_id
        return None

    def disposition_code(self, text: str) -> str:
        """A disposition as the agent typed it (any case), checked against the campaign."""
        code = text.strip().upper()
        if code not in self.dispositions:
            allowed = ", ".join(sorted(self.dispositions))
            raise RunnerError(f"disposition {text!r} is not allowed in campaign "
                              f"{self.name!r} (allowed: {allowed})")
        return code

    def heard(self, code: str) -> AnswerKind | None:
        """Who answered, by the agent's disposition ``code`` (checked): a machine (``AM``),
        a person (a contact, or a wrong number), or None when the code says neither (no
        answer, dropped, timed out, an unknown code): then nothing is claimed, and a
        machine verdict stays one (fail closed: counting a live answer lowers the rate)."""
        if code in MACHINE_DISPOSITIONS:
            return AnswerKind.MACHINE
        disposition = self.dispositions.get(code)
        if disposition is not None and (disposition.contact or code in PERSON_DISPOSITIONS):
            return AnswerKind.HUMAN
        return None

    # --- leads -----------------------------------------------------------------------------

    def target(self, lead: ClaimedLead) -> DialTarget:
        from dnc.recording_consent import number_states, postal_state

        attributes = {key: value for key, value in (
            ("timezone", lead.timezone or ""), ("state", lead.state or ""),
            ("zip_state", postal_state(lead.postal_code) or ""),
            ("area_state", number_states(lead.phone)),
            ("postal_code", lead.postal_code or "")) if value}
        return DialTarget(
            lead_id=str(lead.lead_id), number_e164=lead.phone, campaign=self.name,
            attempt_number=lead.attempt_number, customer_key=lead.phone,
            previous_agent_id=self.agent_name(lead.owner_agent_id), attributes=attributes)

    # --- journal operations ----------------------------------------------------------------

    def begin_op(self, journal: JournalAttempt) -> BeginOp:
        verdict = journal.verdict
        decision = verdict.decision_id or "; ".join(verdict.reasons) or None
        return BeginOp(call_uuid=journal.call_id, lead_id=int(journal.lead_id),
                       at=utc(journal.at), phone=journal.number_e164,
                       caller_id=journal.caller_id or self.settings.caller_ids[0],
                       switch_node=journal.switch_id,
                       compliance_decision=decision[:120] if decision else None,
                       gateway=journal.gateway, failover_of=journal.failover_of)

    @staticmethod
    def answered_op(call_id: str, at: float) -> UpdateOp:
        return UpdateOp(call_id, {"answered_at": utc(at)})

    def bridged_op(self, call_id: str, at: float, agent: str) -> UpdateOp:
        return UpdateOp(call_id, {"bridged_at": utc(at),
                                  "agent_id": self.agent_store_id(agent)})

    @staticmethod
    def live_answer_op(call_id: str) -> UpdateOp:
        """The attempt was a person after all (``LiveAnswerConfirmed``): a live answer in
        the store's ledger and reports (its connection and outcome are already recorded)."""
        return UpdateOp(call_id, {"answer_kind": "live"})

    @staticmethod
    def machine_answer_op(call_id: str) -> UpdateOp:
        """The attempt's answer was a machine after all (the agent's disposition said so):
        no live answer in the store's ledger and reports."""
        return UpdateOp(call_id, {"answer_kind": "machine"})

    def finish_op(self, finished: AttemptFinished, cause_note: str | None = None) -> FinishOp:
        fields = {"answered_at": utc(finished.answered_at) if finished.answered_at else None,
                  "bridged_at": utc(finished.bridged_at) if finished.bridged_at else None,
                  "agent_id": self.agent_store_id(finished.agent_id),
                  "recording_path": finished.recording_path,
                  "message_outcome": finished.message,
                  "message_started_at": utc(finished.message_started_at)
                  if finished.message_started_at is not None else None,
                  "hangup_side": finished.hangup_side.value}
        kind = finished.answer_kind
        answer_kind = None if kind is None else {"human": "live"}.get(kind.value, kind.value)
        return FinishOp(
            call_uuid=finished.call_id, ended_at=utc(finished.ended_at or finished.at),
            outcome=store_outcome(finished), hangup_cause=cause_note or finished.cause.name,
            abandoned=finished.abandoned, answer_kind=answer_kind,
            fields={k: v for k, v in fields.items() if v is not None},
            suppress_reason="opted out during the call (automated opt-out key)"
            if finished.opted_out else None,
            failed_over=finished.failed_over_to is not None,
            recording=self.recording_row(finished))

    def recording_row(self, finished: AttemptFinished) -> dict | None:
        if finished.recording_path is None or finished.recording_started_at is None:
            return None
        return {"path": finished.recording_path, "format": self.settings.recording.format,
                "started_at": utc(finished.recording_started_at),
                "ended_at": utc(finished.ended_at or finished.at),
                "consent": finished.recording_consent or "not_required",
                "pauses": [[utc(a).isoformat(), utc(b).isoformat()]
                           for a, b in finished.recording_pauses],
                "status": "recorded"}

    def agent_state_op(self, change: AgentStateChanged) -> AgentStateOp | None:
        store_id = self.agent_store_id(change.agent_id)
        if store_id is None:
            return None
        return AgentStateOp(agent_id=store_id, state=StoreAgentState(change.state.value),
                            at=utc(change.at), campaign_id=self.campaign_id,
                            reason=change.reason or None, call_uuid=change.call_id)

    def disposition_op(self, call_id: str, code: str, at: float,
                       callback_at: datetime | None = None, agent: str | None = None,
                       note: str | None = None) -> DispositionOp:
        return DispositionOp(call_uuid=call_id, code=code, at=utc(at), callback_at=callback_at,
                             callback_agent_id=self.agent_store_id(agent) if callback_at
                             else None, note=note)

    @staticmethod
    def release_op(lead_id: str, retry_at: float | None, reason: str | None) -> ReleaseOp:
        return ReleaseOp(int(lead_id), utc(retry_at) if retry_at is not None else None, reason)
