"""Who ended each call, on its attempt.

``call_attempt.hangup_side``: ``callee`` (the far end hung up or refused: FreeSWITCH's
``sip_hangup_disposition`` ``recv_bye``, ``recv_cancel``, ``recv_refuse``), ``dialer``
(this switch did: ``send_bye``, ``send_cancel``, ``send_refuse``) or ``unknown`` (the
switch did not say: a loopback channel, an originate that made no channel). Rows written
before this revision keep NULL, read as unknown: the strict case of NRS 597.814(2)(b)
(``dnc.rules.adad``), so no older call is re-read as ended by the dialer.

Revision ID: 0011_attempt_hangup_side
Revises: 0010_inbound_disposition
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_attempt_hangup_side"
down_revision = "0010_inbound_disposition"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("hangup_side", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_column("hangup_side")
