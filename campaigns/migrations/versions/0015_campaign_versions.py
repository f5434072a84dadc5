"""A version for each campaign's state and one for its pacing settings.

``campaign.state_version`` is bumped by every stored state change (the console's Pause,
Resume and Stop, ``dialer campaign pause/resume/stop/start/archive``, ``delete``);
``campaign.pacing_version`` by every change of a pacing setting (the console's form,
``dialer campaign edit --pacing/--abandon-target/--set``). The console's controls send the
version their page showed and the store writes only over it (one conditional UPDATE), so of
two tabs in two ``dialer web`` processes exactly one wins, and a tab that saw a state before
a pause-then-resume (or a pacing edit-then-revert) is refused: the state alone looked the
same. Rows written before this revision start at 0.

``state_changed_at`` and ``pacing_changed_at`` say when each last changed (``updated_at``
also moves with any settings edit, so a pacing change made a console pause read "paused
from the command line at" the pacing change's time). NULL: not changed since this revision.
``state_changed_by`` and ``pacing_changed_by``: the console supervisor who made that change
(NULL: the command line or a program), so a conflict names who at once, before the
winner's audit entry is written.

Revision ID: 0015_campaign_versions
Revises: 0014_callback_last_verdict
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_campaign_versions"
down_revision = "0014_callback_last_verdict"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(
            sa.Column("state_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("pacing_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pacing_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("state_changed_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("pacing_changed_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("pacing_changed_by")
        batch.drop_column("state_changed_by")
        batch.drop_column("pacing_changed_at")
        batch.drop_column("state_changed_at")
        batch.drop_column("pacing_version")
        batch.drop_column("state_version")
