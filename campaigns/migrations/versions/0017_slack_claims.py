"""Claims on a campaign's abandonment slack, one row per dialer process.

Several dialer processes of one campaign each spent the whole of the campaign's slack r·L − A
(the limit guard's excess lines, predictive's batch guard), N times the slack in the worst
case. Each process now holds a claim on it, granted under a lock on the campaign and
published here with its own counts and an expiry (campaigns/slack_claims.py,
pacing_models/slack_share.py). A table of its own: nothing stored before changes, and a
downgrade drops only the claims (processes of an older version share no slack).

Revision ID: 0017_slack_claims
Revises: 0016_contact_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_slack_claims"
down_revision = "0016_contact_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_claim",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=False),
        sa.Column("process_owner", sa.String(length=120), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("window_live", sa.Integer(), nullable=False),
        sa.Column("window_abandons", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Float(), nullable=True),
        sa.Column("period_live", sa.Integer(), nullable=True),
        sa.Column("period_abandons", sa.Integer(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "process_owner"),
    )


def downgrade() -> None:
    op.drop_table("slack_claim")
