"""The safe-harbour message of an abandoned call, on its attempt.

``call_attempt.message_outcome``: what the switch reported of the message played to a person
no agent took in time: ``played`` (in full), ``cut_off`` (they hung up during it),
``started`` (it started; its end was not reported), ``failed`` (the switch could not play
it: not a legal abandon) or ``unconfirmed`` (sent, nothing reported). ``message_started_at``:
when it started (PLAYBACK_START), so the 2-second rule is proved against ``answered_at``
(47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(iii)).

Revision ID: 0009_attempt_message
Revises: 0008_web_users
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_attempt_message"
down_revision = "0008_web_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("message_outcome", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("message_started_at", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_column("message_started_at")
        batch.drop_column("message_outcome")
