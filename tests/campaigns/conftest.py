"""A ``store`` fixture run against SQLite and PostgreSQL (each test gets a fresh database:
a temporary SQLite file, or a PostgreSQL schema of its own that is dropped afterwards)."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

# The repository root must come before tests/ on sys.path, or ``tests/dnc`` and
# ``tests/campaigns`` shadow the real packages as namespace packages (pytest's prepend
# import mode puts tests/ first). Asked the lead for ``pythonpath = ["."]`` in pyproject.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from campaigns.store import CampaignStore  # noqa: E402


def pg_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


# Tables emptied between tests (the dispositions seeded by migration 0001 stay).
_DATA_TABLES = ("recording", "gateway_rate", "gateway", "agent_state_change", "call_attempt",
                "callback", "lead", "lead_list", "campaign_agent", "inbound_call",
                "queue_callback", "voicemail", "inbound_queue", "agent", "campaign")


@pytest.fixture(scope="session")
def _pg_session_url(postgres_url: str) -> Iterator[str]:
    """One schema per test run, migrated once (the migration itself is tested here)."""
    import psycopg

    schema = f"test_campaigns_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = pg_schema_url(postgres_url, schema)
    try:
        CampaignStore.open(url).close()
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_url(_pg_session_url: str) -> str:
    import psycopg

    plain = _pg_session_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"TRUNCATE {', '.join(_DATA_TABLES)} RESTART IDENTITY CASCADE")
    return _pg_session_url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "dialer.db"
    CampaignStore.open(f"sqlite:///{path}").close()  # closes cleanly: WAL checkpointed
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "dialer.db"
        shutil.copyfile(_sqlite_template, target)
        return f"sqlite:///{target}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[CampaignStore]:
    opened = CampaignStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()
