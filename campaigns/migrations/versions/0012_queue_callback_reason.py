"""Why a queue callback ended without reaching the caller, when a rule decided it.

``queue_callback.reason``: the compliance gate's refusal of a callback that no later moment
allows (a registry listing with no exemption, a missing written consent: the callback is
``cancelled``), of one refused until its attempts ran out (``failed``), or the internal
list's (``opted_out``), with the audit id of the decision (``compliance dial:<run>:<n>:
...``), so the supervisor sees why and a compliance officer finds the proof.

Revision ID: 0012_queue_callback_reason
Revises: 0011_attempt_hangup_side
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_queue_callback_reason"
down_revision = "0011_attempt_hangup_side"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_callback") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_callback") as batch:
        batch.drop_column("reason")
