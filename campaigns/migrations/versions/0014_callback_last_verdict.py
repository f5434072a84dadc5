"""The compliance gate's last verdict on each queue callback, kept with the callback.

``queue_callback.last_verdict`` (JSON): what the dialer did with the gate's last answer at
the callback's turn (its kind: allowed, wait, retry, final; the gate's reasons; when it was
decided; the audit id; the instant it named; when the dialer asks again; an allowance not
dialed on), written by the runner as the engine acts on it. The console showed it only from
the running engine's memory, so after a restart a callback the gate had held read "not yet
asked" until its next check; now the verdict from before the restart is shown, marked so,
until the next check replaces it. NULL: never checked (rows written before this revision).

Revision ID: 0014_callback_last_verdict
Revises: 0013_attempt_queue_callback
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_callback_last_verdict"
down_revision = "0013_attempt_queue_callback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_callback") as batch:
        batch.add_column(sa.Column("last_verdict", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_callback") as batch:
        batch.drop_column("last_verdict")
