"""Migration 0016 (``lead.contact_key``): rows stored before it get their person key folded
from their ``contact_id`` (nothing else changes, no row is lost), the import and the ORM
write the same key, the schema has a single head, and the downgrade drops only the key.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from campaigns import db
from campaigns.leads import LeadInput
from campaigns.models import Lead
from campaigns.store import CampaignStore
from dnc.interfaces import contact_key
from tests.campaigns.ready import STARTABLE
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)
IDS = ["C-77", " c-77 ", "Anne  Marie", "ÉTÉ-1", "STRASSE", None]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dialer.db'}"
    return request.getfixturevalue("pg_schema_url")


def _rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(
            "SELECT id, phone, contact_id FROM lead ORDER BY id"))]


def test_a_single_head() -> None:
    heads = ScriptDirectory.from_config(db._alembic_config(None)).get_heads()
    assert heads == ["0017_slack_claims"]


def test_rows_stored_before_are_folded_and_nothing_is_lost(url) -> None:
    store = CampaignStore.open(url)
    store.create_campaign("spring", STARTABLE, at=AT)
    store.add_leads("spring", [LeadInput(f"20155501{i:02d}", contact_id=c)
                               for i, c in enumerate(IDS)], at=AT)
    store.close()
    engine = db.open_engine(url)
    try:
        before = _rows(engine)
        # The database as 0015 left it: the key column gone, the people as imported.
        with engine.begin() as connection:
            command.downgrade(db._alembic_config(connection), "0015_campaign_versions")
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("lead")}
        assert "contact_key" not in columns and "contact_id" in columns
        assert _rows(engine) == before
        assert db.upgrade(engine) == "0017_slack_claims"
        assert _rows(engine) == before  # contact_id kept as imported, every row there
        with engine.connect() as connection:
            keys = dict(connection.execute(sa.text("SELECT contact_id, contact_key FROM lead "
                                                   "WHERE contact_id IS NOT NULL")).all())
            empty = connection.execute(sa.text(
                "SELECT count(*) FROM lead WHERE contact_id IS NULL AND contact_key IS NULL"
            )).scalar_one()
        stored = [row[2] for row in before if row[2] is not None]
        assert len(stored) == 5 and keys == {c: contact_key(c) for c in stored}
        assert keys["C-77"] == keys["c-77"] == "c-77" and keys["STRASSE"] == "strasse"
        assert keys["ÉTÉ-1"] == "été-1"
        assert empty == 1
    finally:
        engine.dispose()


def test_the_import_and_the_orm_write_the_key(url) -> None:
    store = CampaignStore.open(url)
    try:
        store.create_campaign("spring", STARTABLE, at=AT)
        store.add_leads("spring", [LeadInput("2015550101", contact_id="  C-77")], at=AT)
        lead = store.lead_by_phone("spring", "+12015550101")
        assert (lead.contact_id, lead.contact_key) == ("C-77", "c-77")
        with store.session() as session:
            row = session.get(Lead, lead.id)
            row.contact_id = "P  9"
            session.add(row)
            session.commit()
        assert store.lead_by_phone("spring", "+12015550101").contact_key == "p 9"
    finally:
        store.close()
