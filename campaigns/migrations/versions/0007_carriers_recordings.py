"""Carriers and recordings: gateways with their cost tables, the gateway and failover leg of
each attempt, and the recordings' catalogue.

Revision ID: 0007_carriers_recordings
Revises: 0006_inbound_queues
"""
import sqlalchemy as sa
from alembic import op


revision = "0007_carriers_recordings"
down_revision = "0006_inbound_queues"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step is skipped when already done, so a database stamped one revision back (a
    # restored backup of the version table) upgrades cleanly.
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "gateway" not in tables:
        _create_tables()
    columns = {c["name"] for c in inspector.get_columns("call_attempt")}
    # Plain ADD COLUMN (nullable): SQLite does it in place.
    if "gateway" not in columns:
        op.add_column("call_attempt", sa.Column("gateway", sa.String(length=80),
                                                nullable=True))
    if "failover_of" not in columns:
        op.add_column("call_attempt", sa.Column("failover_of", sa.String(length=64),
                                                nullable=True))


def _create_tables() -> None:
    op.create_table(
        "gateway",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("switch", sa.String(length=120), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("cps", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("dial_string", sa.String(length=255), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=True),
        sa.Column("health", sa.JSON(), nullable=True),
        sa.Column("rates_source", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("switch", "name", name="uq_gateway_switch_name"),
    )
    op.create_table(
        "gateway_rate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway_id", sa.Integer(), sa.ForeignKey("gateway.id"), nullable=False),
        sa.Column("prefix", sa.String(length=15), nullable=False),
        sa.Column("cost_per_minute", sa.Float(), nullable=False),
        sa.Column("first_increment", sa.Integer(), nullable=False),
        sa.Column("next_increment", sa.Integer(), nullable=False),
        sa.UniqueConstraint("gateway_id", "prefix", name="uq_gateway_rate"),
    )
    op.create_index("ix_gateway_rate_gateway_id", "gateway_rate", ["gateway_id"])
    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=True),
        sa.Column("attempt_id", sa.Integer(), sa.ForeignKey("call_attempt.id"), nullable=True),
        sa.Column("call_uuid", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_recording_call_uuid", "recording", ["call_uuid"], unique=True)
    op.create_index("ix_recording_campaign_started", "recording",
                    ["campaign_id", "started_at"])


def downgrade() -> None:
    op.drop_column("call_attempt", "failover_of")
    op.drop_column("call_attempt", "gateway")
    op.drop_index("ix_recording_campaign_started", table_name="recording")
    op.drop_index("ix_recording_call_uuid", table_name="recording")
    op.drop_table("recording")
    op.drop_index("ix_gateway_rate_gateway_id", table_name="gateway_rate")
    op.drop_table("gateway_rate")
    op.drop_table("gateway")
