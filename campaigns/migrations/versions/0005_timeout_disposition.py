"""The ``TIMEOUT`` disposition: wrap-up ended without one (timeout, agent logged out).

Until now such a call got ``NA`` ("no answer (agent)"), the same code an agent sets for a
call nobody answered, so a report could not tell an unanswered call from a conversation
nobody disposed of. ``TIMEOUT`` is not final and not a contact (the lead is retried as
``NA`` was); new campaigns use it as ``wrap_up_timeout_disposition`` and allow it.

Revision ID: 0005_timeout_disposition
Revises: 0004_lead_line_type_contact
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_timeout_disposition"
down_revision = "0004_lead_line_type_contact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    disposition = sa.table(
        "disposition", sa.column("code", sa.String), sa.column("label", sa.String),
        sa.column("final", sa.Boolean), sa.column("contact", sa.Boolean),
        sa.column("sale", sa.Boolean), sa.column("callback", sa.Boolean),
        sa.column("dnc", sa.Boolean),
    )
    exists = op.get_bind().execute(
        sa.select(disposition.c.code).where(disposition.c.code == "TIMEOUT")).first()
    if exists is None:
        op.bulk_insert(disposition, [dict(
            code="TIMEOUT", label="No disposition (wrap-up timed out)", final=False,
            contact=False, sale=False, callback=False, dnc=False)])


def downgrade() -> None:
    op.execute("DELETE FROM disposition WHERE code = 'TIMEOUT'")
