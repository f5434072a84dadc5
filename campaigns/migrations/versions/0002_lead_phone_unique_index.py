"""Lead phone uniqueness as a named unique index instead of a table constraint.

SQLite cannot drop a table constraint, only an index; a bulk import drops the lead indexes
inside its transaction and rebuilds them sorted, which is 3x faster than maintaining them
row by row (see docs/campaigns.md). Uniqueness is unchanged.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.drop_constraint("uq_lead_campaign_phone", type_="unique")
    op.create_index("uq_lead_campaign_phone", "lead", ["campaign_id", "phone"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_lead_campaign_phone", table_name="lead")
    with op.batch_alter_table("lead") as batch:
        batch.create_unique_constraint("uq_lead_campaign_phone", ["campaign_id", "phone"])
