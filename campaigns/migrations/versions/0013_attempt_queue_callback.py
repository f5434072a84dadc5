"""Queue callback dials in the attempt journal.

``call_attempt.queue_callback_id``: the queue callback a dial called back (its lead is
NULL). A callback's dial was kept only on its ``queue_callback`` row (an attempt count),
so the attempt history every process loads (attempt limits, Regulation F's 7 in 7, Ofcom's
repeat rules, Nevada's second call, the abandonment ledger) counted it only in the process
that made it and only while that process held the number. Journaled as an attempt (a call
is a call), it is counted by every reader, in every process and after a restart. Rows
written before this revision have NULL (campaign dials).

Revision ID: 0013_attempt_queue_callback
Revises: 0012_queue_callback_reason
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_attempt_queue_callback"
down_revision = "0012_queue_callback_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("queue_callback_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_call_attempt_queue_callback_id", ["queue_callback_id"])


def downgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_index("ix_call_attempt_queue_callback_id")
        batch.drop_column("queue_callback_id")
