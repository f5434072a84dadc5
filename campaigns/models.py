"""The campaign database schema (SQLModel tables).

Every change here needs a new Alembic revision under ``campaigns/migrations/versions``.
Times are timezone-aware UTC ``datetime`` in Python; ``UTCDateTime`` keeps them so on
SQLite too (which stores text and would otherwise hand back naive values).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kw)


def utcnow() -> datetime:
    return datetime.now(UTC)


class LeadStatus(StrEnum):
    NEW = "new"              # never dialed
    RETRY = "retry"          # dialed, due again at next_attempt_at
    CALLBACK = "callback"    # a callback is scheduled at next_attempt_at
    IN_CALL = "in_call"      # an attempt is in progress
    DONE = "done"            # final disposition or out of attempts
    SUPPRESSED = "suppressed"  # the compliance engine forbids calling (e.g. DNC)
    INVALID = "invalid"      # bad number


DIALABLE_STATUSES = (LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK)


class AnswerKind(StrEnum):
    LIVE = "live"
    MACHINE = "machine"
    UNKNOWN = "unknown"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    CONNECTING = "connecting"  # logged in, the nailed-up leg to the phone is being set up
    READY = "ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class CallbackStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    state: str = Field(default="draft", max_length=16)
    settings: dict = Field(default_factory=dict, sa_type=sa.JSON)
    """``CampaignSettings`` as JSON (validated on every write by the store)."""
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    state_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Bumped by every stored state change (``campaigns.store``, migration 0015)."""
    pacing_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Bumped by every change of a pacing setting (``campaigns.store``)."""
    state_changed_at: datetime | None = _ts()
    """When the state last changed (``updated_at`` also moves with settings edits)."""
    pacing_changed_at: datetime | None = _ts()
    """When a pacing setting last changed."""
    state_changed_by: str | None = Field(default=None, max_length=120)
    """The console supervisor who last changed the state (None: the command line)."""
    pacing_changed_by: str | None = Field(default=None, max_length=120)
    """The console supervisor who last changed a pacing setting (None: the command line)."""


class LeadList(SQLModel, table=True):
    __tablename__ = "lead_list"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str = Field(max_length=200)
    source_file: str | None = None
    created_at: datetime | None = _ts()
    imported_rows: int = 0
    rejected_rows: int = 0
    active: bool = True


class Lead(SQLModel, table=True):
    __table_args__ = (
        # A named unique index (not a table constraint) so a bulk load on SQLite can drop
        # and rebuild it inside its transaction (migration 0002).
        sa.Index("uq_lead_campaign_phone", "campaign_id", "phone", unique=True),
        sa.Index("ix_lead_hopper", "campaign_id", "status", "next_attempt_at"),
        # The hopper's order over dialable leads (migration 0003).
        sa.Index("ix_lead_dial_order", "campaign_id", sa.text("priority DESC"),
                 "next_attempt_at", "id",
                 postgresql_where=sa.text("status IN ('new', 'retry', 'callback')"),
                 sqlite_where=sa.text("status IN ('new', 'retry', 'callback')")),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    list_id: int = Field(foreign_key="lead_list.id", index=True)
    phone: str = Field(max_length=20)
    """E.164, e.g. +12015550123."""
    alt_phones: list = Field(default_factory=list, sa_type=sa.JSON)
    first_name: str | None = None
    last_name: str | None = None
    custom: dict = Field(default_factory=dict, sa_type=sa.JSON)
    timezone: str | None = None
    """IANA zone; several candidates are joined with "," when the area code spans zones."""
    state: str | None = Field(default=None, max_length=8)
    postal_code: str | None = Field(default=None, max_length=16)
    consent: list = Field(default_factory=list, sa_type=sa.JSON)
    """Consent records: [{"kind": "prior_express_written", "given_at": "...", "seller":
    "...", "number": "+1...", "source": "..."}, ...] (``campaigns.compliance``)."""
    line_type: str | None = Field(default=None, max_length=10)
    """wireless / landline / voip / unknown, from the import (None: not given)."""
    contact_id: str | None = Field(default=None, max_length=200, index=True)
    """The person: leads with the same contact share per-person call limits (FL 3 in 24 h,
    Reg F 7 in 7) across their numbers and campaigns (migration 0004)."""
    contact_key: str | None = Field(default=None, max_length=200, index=True)
    """``contact_id`` folded (``dnc.interfaces.contact_key``: spaces collapsed, case folded):
    what identifies the person wherever the store compares people (per-person limits, the
    person lock, revocations), so ``C-77`` and ``c-77`` are one person (migration 0016).
    Kept in step with ``contact_id`` on every write (the import, ``_fold_contact``)."""
    status: str = Field(default="new", max_length=16)
    attempts: int = 0
    attempts_today: int = 0
    attempts_day: str | None = Field(default=None, max_length=10)
    """UTC date (YYYY-MM-DD) ``attempts_today`` counts for."""
    last_attempt_at: datetime | None = _ts()
    last_outcome: str | None = Field(default=None, max_length=16)
    next_attempt_at: datetime | None = _ts()
    """When the lead is next due: its import time for a new lead, the retry or callback
    time after that; None once it is done, suppressed or invalid."""
    priority: int = 0
    owner_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    claimed_by: str | None = Field(default=None, max_length=120)
    claim_expires_at: datetime | None = _ts()
    block_reason: str | None = None
    source_line: int | None = None


def _fold_contact(mapper: Any, connection: Any, lead: Lead) -> None:
    """A lead written through the ORM (the Python API, tests, edits) gets its person key
    from its ``contact_id``; the bulk import writes the same key itself (leads.py)."""
    from dnc.interfaces import contact_key

    lead.contact_key = contact_key(lead.contact_id)


sa.event.listen(Lead, "before_insert", _fold_contact)
sa.event.listen(Lead, "before_update", _fold_contact)


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    endpoint: str = Field(max_length=255)
    """FreeSWITCH dial string of the agent's phone, e.g. "user/1001"."""
    skills: list = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = True


class CampaignAgent(SQLModel, table=True):
    __tablename__ = "campaign_agent"
    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)


class CallAttempt(SQLModel, table=True):
    __tablename__ = "call_attempt"
    __table_args__ = (
        sa.Index("ix_attempt_campaign_dialed", "campaign_id", "dialed_at"),
        sa.Index("ix_attempt_phone_dialed", "phone", "dialed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    phone: str = Field(max_length=20)
    call_uuid: str | None = Field(default=None, max_length=64, index=True)
    attempt_number: int = 1
    dialed_at: datetime | None = _ts()
    answered_at: datetime | None = _ts()
    bridged_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    wrapped_at: datetime | None = _ts()
    outcome: str | None = Field(default=None, max_length=16)
    hangup_cause: str | None = Field(default=None, max_length=40)
    answer_kind: str | None = Field(default=None, max_length=8)
    abandoned: bool = False
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    disposition: str | None = Field(default=None, max_length=16)
    recording_path: str | None = None
    switch_node: str | None = Field(default=None, max_length=120)
    caller_id: str | None = Field(default=None, max_length=20)
    process_owner: str | None = Field(default=None, max_length=120)
    """Which dialer process journaled the attempt (reconciliation after a crash)."""
    compliance_decision: str | None = Field(default=None, max_length=120)
    callback_id: int | None = Field(default=None, foreign_key="callback.id")
    gateway: str | None = Field(default=None, max_length=80)
    """The carrier gateway the call went out through (migration 0007)."""
    failover_of: str | None = Field(default=None, max_length=64)
    """``call_uuid`` of the leg a gateway refused, when this leg retried the same attempt
    on another gateway (each leg is a call of its own for the compliance counts)."""
    note: str | None = None
    """The agent's notes with the disposition (migration 0008)."""
    message_outcome: str | None = Field(default=None, max_length=16)
    """The safe-harbour message of an abandoned call (migration 0009): ``played`` in full,
    ``cut_off`` by the person hanging up, ``started`` (end not reported), ``failed`` (not a
    legal abandon) or ``unconfirmed`` (sent, never reported); None when none was sent."""
    message_started_at: datetime | None = _ts()
    """When the switch reported the message playing (the 2-second rule's proof)."""
    hangup_side: str | None = Field(default=None, max_length=8)
    """Who ended the call, as the switch said (migration 0011; ``dialer.hangup.HangupSide``):
    ``callee``, ``dialer`` or ``unknown``; NULL on rows written before it (unknown)."""
    queue_callback_id: str | None = Field(default=None, max_length=64, index=True)
    """The queue callback this dial called back (migration 0013; no lead then): a callback
    dial is a call of the campaign serving the queue, journaled here like any attempt so
    every history reader (attempt limits, Regulation F, Ofcom, the abandonment ledger,
    reports) counts it in every process and after a restart."""


class Gateway(SQLModel, table=True):
    """A carrier gateway (SIP trunk) of one switch (``dialer gateway``, migration 0006)."""

    __table_args__ = (sa.UniqueConstraint("switch", "name", name="uq_gateway_switch_name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    switch: str = Field(max_length=120)
    """``host:port`` of the switch's event socket, as ``dialer run --switch`` names it."""
    channels: int
    cps: int
    priority: int = 0
    enabled: bool = True
    dial_string: str = Field(default="sofia/gateway/{gateway}/{number}", max_length=255)
    variables: dict = Field(default_factory=dict, sa_type=sa.JSON)
    health: dict = Field(default_factory=dict, sa_type=sa.JSON)
    """Health thresholds that differ from the defaults (``dialer.engine.gateways``)."""
    rates_source: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class GatewayRate(SQLModel, table=True):
    """One row of a gateway's cost table (least-cost routing)."""

    __tablename__ = "gateway_rate"
    __table_args__ = (sa.UniqueConstraint("gateway_id", "prefix", name="uq_gateway_rate"),)
    id: int | None = Field(default=None, primary_key=True)
    gateway_id: int = Field(foreign_key="gateway.id", index=True)
    prefix: str = Field(max_length=15)
    cost_per_minute: float
    first_increment: int = 60
    next_increment: int = 60


class Recording(SQLModel, table=True):
    """A call recording: where it is, what it contains and its checksum (migration 0007)."""

    __table_args__ = (sa.Index("ix_recording_campaign_started", "campaign_id", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    attempt_id: int | None = Field(default=None, foreign_key="call_attempt.id")
    call_uuid: str = Field(max_length=64, index=True, unique=True)
    """The attempt's channel id: the stable key pages and reports link by."""
    path: str = Field(max_length=500)
    """Relative to the recordings directory: ``campaign/YYYY-MM-DD/...``."""
    format: str = Field(default="wav", max_length=8)
    started_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    consent: str = Field(default="not_required", max_length=16)
    """``not_required``, ``notice`` (played before recording started) or ``on_demand``."""
    pauses: list = Field(default_factory=list, sa_type=sa.JSON)
    """[[paused_at, resumed_at or null], ...] as ISO times (card numbers are not kept)."""
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    status: str = Field(default="recorded", max_length=12)
    """``recorded`` (the call ended; no checksum yet), ``sealed`` (file found, size and
    SHA-256 kept), ``missing`` (no file where the switch should have written it) or
    ``purged`` (deleted after the retention period)."""
    purged_at: datetime | None = _ts()


class AgentStateChange(SQLModel, table=True):
    __tablename__ = "agent_state_change"
    __table_args__ = (sa.Index("ix_agent_state_agent_at", "agent_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    state: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=80)
    """Pause reason (e.g. "break", "lunch", "training") or other detail."""
    at: datetime | None = _ts()
    attempt_id: int | None = Field(default=None, foreign_key="call_attempt.id")
    disposition: str | None = Field(default=None, max_length=16)


class Disposition(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)
    label: str = Field(max_length=120)
    final: bool = True
    """A final disposition ends the lead (no more dials)."""
    contact: bool = True
    """Counts as a contact (a conversation with the right party)."""
    sale: bool = False
    callback: bool = False
    dnc: bool = False
    """The callee asked not to be called again."""


class Callback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    due_at: datetime | None = _ts()
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    """The agent who must take it, or None for anyone."""
    status: str = Field(default="pending", max_length=16)
    note: str | None = None
    created_at: datetime | None = _ts()
    done_at: datetime | None = _ts()


class UserRole(StrEnum):
    """Who a user of ``dialer web`` is: what they may see and do."""

    AGENT = "agent"
    """Their own calls, leads on their screen and their own callbacks only."""
    SUPERVISOR = "supervisor"
    """The campaigns they are assigned to: wallboard, agent control, pacing, reports."""
    ADMIN = "admin"
    """Every campaign."""


class WebUser(SQLModel, table=True):
    """A person who signs in to ``dialer web`` (migration 0008)."""

    __tablename__ = "web_user"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    """argon2id hash (argon2-cffi's encoded form, parameters included)."""
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    """For agents: the campaign agent this user acts as."""
    active: bool = True
    failed_logins: int = 0
    """Consecutive failed sign-ins (reset by a successful one)."""
    locked_until: datetime | None = _ts()
    created_at: datetime | None = _ts()
    password_changed_at: datetime | None = _ts()


class WebUserCampaign(SQLModel, table=True):
    """A supervisor's campaigns."""

    __tablename__ = "web_user_campaign"
    user_id: int = Field(foreign_key="web_user.id", primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so
    a copy of the database does not let anyone sign in."""

    __tablename__ = "web_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="web_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime | None = _ts()
    expires_at: datetime | None = _ts()
    last_seen_at: datetime | None = _ts()


class AuditEntry(SQLModel, table=True):
    """One supervisor or admin action (and every refused one): who, when, what, before and
    after."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_campaign_at", "campaign", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts()
    user_name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    action: str = Field(max_length=40)
    campaign: str | None = Field(default=None, max_length=120)
    target: str | None = Field(default=None, max_length=120)
    before: dict = Field(default_factory=dict, sa_type=sa.JSON)
    after: dict = Field(default_factory=dict, sa_type=sa.JSON)
    ok: bool = True
    detail: str | None = None


STANDARD_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(code="SALE", label="Sale", final=True, contact=True, sale=True),
    Disposition(code="NI", label="Not interested", final=True, contact=True),
    Disposition(code="CALLBK", label="Call back", final=False, contact=True, callback=True),
    Disposition(code="DNC", label="Do not call", final=True, contact=True, dnc=True),
    Disposition(code="WRONG", label="Wrong number", final=True, contact=False),
    Disposition(code="NA", label="No answer (agent)", final=False, contact=False),
    Disposition(code="AM", label="Answering machine (agent)", final=False, contact=False),
    Disposition(code="DROP", label="Dropped / abandoned", final=False, contact=False),
    Disposition(code="TIMEOUT", label="No disposition (wrap-up timed out)", final=False,
                contact=False),
)


# --- inbound queues (docs/inbound.md) -----------------------------------------------------


class QueueCallbackStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"


class VoicemailStatus(StrEnum):
    NEW = "new"
    CALLBACK = "callback"    # turned into a queue callback
    DONE = "done"


class InboundQueue(SQLModel, table=True):
    """An inbound queue's configuration (``dialer.engine.queue_config.QueueConfig`` as JSON,
    validated on every write by ``campaigns.queue_store``)."""

    __tablename__ = "inbound_queue"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    config: dict = Field(default_factory=dict, sa_type=sa.JSON)
    active: bool = True
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class InboundCall(SQLModel, table=True):
    """One inbound call as it ended (the queue reports' source)."""

    __tablename__ = "inbound_call"
    __table_args__ = (
        sa.Index("ix_inbound_call_queue_arrived", "queue", "arrived_at"),
        sa.Index("ix_inbound_call_caller_arrived", "caller_number", "arrived_at"),
        sa.Index("ix_inbound_call_agent_bridged", "agent_id", "bridged_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_uuid: str = Field(max_length=64, unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    """The campaign whose runner took the call."""
    queue: str = Field(max_length=64)
    """Where the call ended (after menus and overflows)."""
    caller_number: str = Field(default="", max_length=32)
    arrived_at: datetime | None = _ts()
    queued_at: datetime | None = _ts()
    bridged_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    wrapped_at: datetime | None = _ts()
    outcome: str = Field(max_length=24)
    hangup_cause: str | None = Field(default=None, max_length=40)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    estimated_wait: float | None = None
    overflowed_from: str | None = Field(default=None, max_length=64)
    ivr_keys: str | None = Field(default=None, max_length=64)
    opted_out: bool = False
    disposition: str | None = Field(default=None, max_length=16)
    """The agent's disposition code (migration 0010: before, an inbound call's was lost)."""
    note: str | None = None
    """The agent's notes with the disposition."""


class QueueCallback(SQLModel, table=True):
    """A caller's kept place in a queue until they are called back (survives restarts)."""

    __tablename__ = "queue_callback"
    __table_args__ = (sa.Index("ix_queue_callback_queue_status", "queue", "status"),)
    id: str = Field(primary_key=True, max_length=64)
    queue: str = Field(max_length=64)
    number: str = Field(max_length=32)
    customer_key: str | None = Field(default=None, max_length=120)
    place_at: datetime | None = _ts()
    priority: int = 0
    attempts: int = 0
    status: str = Field(default="pending", max_length=16)
    source: str = Field(default="caller", max_length=16)
    """``caller`` (asked while waiting or in the menu) or ``voicemail``."""
    requested_at: datetime | None = _ts()
    next_attempt_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    call_uuid: str | None = Field(default=None, max_length=64)
    """The inbound call it came from."""
    completed_call_uuid: str | None = Field(default=None, max_length=64)
    claimed_by: str | None = Field(default=None, max_length=120)
    """The dialer process that holds it (only that one may dial it)."""
    claim_expires_at: datetime | None = _ts()
    reason: str | None = Field(default=None, max_length=1000)
    """Why it ended without reaching the caller when a rule decided it (migration 0012):
    the compliance gate's refusal with its audit id (``compliance dial:...: ...``)."""
    last_verdict: dict | None = Field(default=None, sa_type=sa.JSON)
    """The compliance gate's last verdict the dialer acted on at this callback's turn
    (migration 0014; ``dialer.runner.kept_verdicts`` writes and reads it): shown on the
    console after a restart until the next check replaces it. None: never checked."""


class Voicemail(SQLModel, table=True):
    __tablename__ = "voicemail"
    __table_args__ = (sa.Index("ix_voicemail_queue_started", "queue", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    call_uuid: str = Field(max_length=64, unique=True)
    queue: str = Field(max_length=64)
    caller_number: str = Field(default="", max_length=32)
    path: str
    """Where the switch recorded it."""
    started_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    seconds: float = 0.0
    status: str = Field(default="new", max_length=16)
    callback_id: str | None = Field(default=None, max_length=64)
