"""Lead line type and person (contact) identity.

``line_type`` (wireless / landline / voip / unknown) is a lead fact the wireless consent
rules read (47 U.S.C. 227(b)(1)(A)(iii)); ``contact_id`` names the person, so per-person
limits (Fla. Stat. 501.616(6)(b), 12 CFR 1006.14(b)(2)) count calls to all their numbers.
The index serves the per-person attempt history (attempts joined to their leads).

Revision ID: 0004_lead_line_type_contact
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_lead_line_type_contact"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): SQLite does it in place, without copying the lead table.
    op.add_column("lead", sa.Column("line_type", sa.String(length=10), nullable=True))
    op.add_column("lead", sa.Column("contact_id", sa.String(length=200), nullable=True))
    op.create_index("ix_lead_contact_id", "lead", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_lead_contact_id", table_name="lead")
    op.drop_column("lead", "contact_id")
    op.drop_column("lead", "line_type")
