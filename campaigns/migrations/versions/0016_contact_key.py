"""The person's key on each lead: ``lead.contact_key``, its ``contact_id`` folded.

A lead's ``contact_id`` names the person, and per-person limits (Fla. Stat. 501.616(6)(b),
Reg F 1006.14(b)(2)), the person lock of the journaling batches and revocations recorded
for another number of the person read it. Revocations already compared it with spaces
collapsed and case folded (``dnc.interfaces.contact_key``); every other place compared it as
stored, so ``C-77`` on one lead and ``c-77`` on another were two people: a cap reached on
one number of the person let the other be called. ``contact_key`` holds the same folding
for every lead and is what the store compares; ``contact_id`` keeps what the import said
(nothing is lost, and a downgrade drops only the key). Rows written before this revision are
folded here, in batches, by the same Python function the import uses (SQL's ``lower`` is
not ``casefold`` and cannot collapse spaces on SQLite).

Revision ID: 0016_contact_key
Revises: 0015_campaign_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_contact_key"
down_revision = "0015_campaign_versions"
branch_labels = None
depends_on = None

_BATCH = 5000


def _key(contact_id: str | None) -> str | None:
    # dnc.interfaces.contact_key, written out: a migration must not change with the code.
    if contact_id is None:
        return None
    key = " ".join(str(contact_id).split()).casefold()
    return key or None


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("contact_key", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    lead = sa.table("lead", sa.column("id", sa.Integer()),
                    sa.column("contact_id", sa.String()), sa.column("contact_key", sa.String()))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(lead.c.id, lead.c.contact_id)
            .where(lead.c.id > last, lead.c.contact_id.is_not(None))
            .order_by(lead.c.id).limit(_BATCH)).all()
        if not rows:
            break
        bind.execute(lead.update().where(lead.c.id == sa.bindparam("lead_id"))
                     .values(contact_key=sa.bindparam("key")),
                     [{"lead_id": row.id, "key": _key(row.contact_id)} for row in rows])
        last = rows[-1].id
    op.create_index("ix_lead_contact_key", "lead", ["contact_key"])


def downgrade() -> None:
    op.drop_index("ix_lead_contact_key", table_name="lead")
    with op.batch_alter_table("lead") as batch:
        batch.drop_column("contact_key")
