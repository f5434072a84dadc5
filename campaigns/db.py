"""Opening the campaign database by URL and bringing its schema up to date (Alembic).

SQLite is the embedded default: WAL journal, foreign keys on, a busy timeout, and write
transactions that start with ``BEGIN IMMEDIATE`` so two processes never deadlock upgrading
a read lock to a write lock (SQLite's single-writer rule is what makes hopper claims safe
there). PostgreSQL is used as is; hopper claims use ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.errors import CampaignError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class DatabaseError(CampaignError):
    """The campaign database cannot be opened or migrated."""


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser()}"


def shown_url(url: str) -> str:
    """``url`` with its password hidden, for a message (it may be read over a shoulder or
    land in a CI log); the URL as typed otherwise."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def url_hint(url: str) -> str:
    """How to write the URL a mistyped one probably meant ('' when no guess): a bare file
    path, or PostgreSQL's own ``postgres://`` scheme, which SQLAlchemy does not take."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return (f"; a database file is written sqlite:///{url.removeprefix('sqlite:')} "
                "(four slashes before an absolute path)") if url.strip() else ""
    if scheme.lower() in ("postgres", "pgsql", "psql") or \
            scheme.lower().startswith("postgresql+"):
        return f"; write postgresql://{shown_url('x://' + rest)[4:]}"
    return ""


_OPENED: list[str] = []
"""The URL this process opened last (``storage_failure`` names the database in its line:
a command opens one)."""

STORAGE_FAILURES = ("readonly database", "read-only", "disk is full", "disk i/o error",
                    "no space left on device", "unable to open database file",
                    "could not extend file", "database is locked")


def storage_failure(error: BaseException) -> str | None:
    """One line for a database that cannot be written (a read-only file or directory, a
    full disk, a lock held past the busy timeout), None for any other error. The failed
    statement's transaction was rolled back by the database: what it was writing is not
    half-stored. Before, each of these was a SQLAlchemy traceback with the statement and
    its parameters (a campaign's whole settings) on the screen."""
    reason = _driver_reason(error)
    if not reason or not any(phrase in reason.lower() for phrase in STORAGE_FAILURES):
        return None
    where = f" at {shown_url(_OPENED[-1])}" if _OPENED else ""
    advice = ("free space on its disk" if "full" in reason or "space" in reason else
              "another process held it past the 60 s busy timeout; try again"
              if "locked" in reason else
              "check that the file, its -wal and -shm files and its directory can be "
              "written by this user (a read-only copy or mount cannot be)")
    return (f"the campaign database{where} cannot be written: {reason}; the change was "
            f"rolled back, nothing is half-stored ({advice})")


def _driver_reason(error: BaseException) -> str:
    """The database driver's own message: SQLAlchemy's wrapper's, or the driver's error as
    raised through a raw cursor (the lead import's bulk insert)."""
    import sqlite3

    if isinstance(error, sa.exc.DBAPIError):
        error = error.orig
    elif not (isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg")):
        return ""
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def open_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    _OPENED[:] = [url]
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as error:
        raise DatabaseError(f"database URL {shown_url(url)!r} is not valid: {error}{url_hint(url)}"
                            ) from error
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 60})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":  # psycopg2, asyncpg: a traceback
            raise DatabaseError(f"database URL {shown_url(url)!r}: the PostgreSQL driver "
                                f"installed is psycopg (3){url_hint(url)}")
        return sa.create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise DatabaseError(f"database URL {shown_url(url)!r}: only sqlite and postgresql are supported"
                        f"{url_hint(url)}")


def check_connection(engine: Engine) -> None:
    """Connect once, so a server that does not answer (or a password refused) is one line
    naming the database, its password hidden, at the start of a command; before, the
    first query of whatever code ran first raised a SQLAlchemy traceback. Errors after a
    connection was made are not caught here: those keep their traceback."""
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        reason = "; ".join(line.strip() for line in str(error.orig).splitlines() if line.strip())
        raise DatabaseError(f"cannot connect to the database at "
                            f"{engine.url.render_as_string(hide_password=True)}: "
                            f"{reason}") from None


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply every migration up to ``revision``; returns the revision now current."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as error:
        raise DatabaseError(f"cannot migrate {engine.url!r}: {error.orig}") from error
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)  # type: ignore[arg-type]
    return ScriptDirectory.from_config(config).get_current_head()


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for another backend or an in-memory one)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or \
            parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def open_current(url: str) -> Engine:
    """An engine for a command that only reads: nothing is created or migrated.

    A missing SQLite file or a schema behind this version of the dialer is refused with
    the command that fixes it, rather than changed behind the user's back (an upgrade is
    a decision: other processes may run the old version against the same database).
    """
    try:
        path = sqlite_path(url)
    except sa.exc.ArgumentError as error:
        raise DatabaseError(f"database URL {shown_url(url)!r} is not valid: {error}{url_hint(url)}"
                            ) from error
    if path is not None and not path.exists():
        raise DatabaseError(f"no campaign database at {path} yet: create it with "
                            "`dialer db upgrade` (or give --db / --home)")
    engine = open_engine(url)
    check_connection(engine)
    try:
        current = current_revision(engine)
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise DatabaseError(f"cannot read {engine.url!r}: {error.orig}") from error
    head = head_revision()
    if current != head:
        engine.dispose()
        raise DatabaseError(
            f"the campaign database is at schema {current or 'none'} and this dialer needs "
            f"{head}: run `dialer db upgrade` first (read-only commands never migrate)")
    return engine
