"""A ``store`` fixture run against SQLite and PostgreSQL (each test gets a fresh database:
a temporary SQLite file, or a PostgreSQL schema of its own that is dropped afterwards)."""

from __future__ import annotations

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
from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402

from campaigns.store import CampaignStore  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York


def pg_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"test_campaigns_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield pg_schema_url(postgres_url, schema)
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dialer.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[CampaignStore]:
    opened = CampaignStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()
