"""The agent's disposition and notes of an inbound call, on its record.

``inbound_call.disposition`` and ``inbound_call.note``: an inbound call has no
``call_attempt`` row, so the disposition an agent chose for it (and their notes) had nowhere
to go and was dropped while the desktop said "done".

Revision ID: 0010_inbound_disposition
Revises: 0009_attempt_message
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_inbound_disposition"
down_revision = "0009_attempt_message"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_call") as batch:
        batch.add_column(sa.Column("disposition", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("note", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_call") as batch:
        batch.drop_column("note")
        batch.drop_column("disposition")
