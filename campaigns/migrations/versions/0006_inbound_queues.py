"""Inbound queues: their configurations, inbound calls, queue callbacks, voicemails.

Revision ID: 0006_inbound_queues
Revises: 0005_timeout_disposition
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_inbound_queues"
down_revision = "0005_timeout_disposition"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Idempotent: a database whose recorded version was set back keeps these tables.
    if "inbound_queue" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "inbound_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inbound_queue_name", "inbound_queue", ["name"], unique=True)
    op.create_table(
        "inbound_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uuid", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("caller_number", sa.String(length=32), nullable=False),
        sa.Column("arrived_at", _TS, nullable=True),
        sa.Column("queued_at", _TS, nullable=True),
        sa.Column("bridged_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("wrapped_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("hangup_cause", sa.String(length=40), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("estimated_wait", sa.Float(), nullable=True),
        sa.Column("overflowed_from", sa.String(length=64), nullable=True),
        sa.Column("ivr_keys", sa.String(length=64), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_uuid"),
    )
    op.create_index("ix_inbound_call_queue_arrived", "inbound_call", ["queue", "arrived_at"])
    op.create_index("ix_inbound_call_caller_arrived", "inbound_call",
                    ["caller_number", "arrived_at"])
    op.create_index("ix_inbound_call_agent_bridged", "inbound_call", ["agent_id", "bridged_at"])
    op.create_table(
        "queue_callback",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_key", sa.String(length=120), nullable=True),
        sa.Column("place_at", _TS, nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("requested_at", _TS, nullable=True),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("call_uuid", sa.String(length=64), nullable=True),
        sa.Column("completed_call_uuid", sa.String(length=64), nullable=True),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claim_expires_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_callback_queue_status", "queue_callback", ["queue", "status"])
    op.create_table(
        "voicemail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uuid", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("caller_number", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("callback_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_uuid"),
    )
    op.create_index("ix_voicemail_queue_started", "voicemail", ["queue", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_voicemail_queue_started", table_name="voicemail")
    op.drop_table("voicemail")
    op.drop_index("ix_queue_callback_queue_status", table_name="queue_callback")
    op.drop_table("queue_callback")
    for name in ("ix_inbound_call_agent_bridged", "ix_inbound_call_caller_arrived",
                 "ix_inbound_call_queue_arrived"):
        op.drop_index(name, table_name="inbound_call")
    op.drop_table("inbound_call")
    op.drop_index("ix_inbound_queue_name", table_name="inbound_queue")
    op.drop_table("inbound_queue")
