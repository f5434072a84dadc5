"""Shared pieces of the ``campaigns`` commands: database URL, JSON and rich output."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL (default: $DIALER_DB, else sqlite:///<home>/dialer.db).")]
HomeOption = Annotated[Path | None, typer.Option(
    "--home", help="Data directory (default: $DIALER_HOME, $XDG_DATA_HOME/dialer, "
    "~/.local/share/dialer); the default database is <home>/dialer.db.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def check_output_path(option: str, path: Path | None) -> None:
    """Refuse a file to write whose directory is missing, or a directory, before any work is
    done (pandas and matplotlib ended such a run in a traceback, or a simulation ran for
    minutes and then said "No such file or directory")."""
    from campaigns.errors import CampaignError

    if path is None:
        return
    if path.is_dir():
        raise CampaignError(f"{option} {path}: is a directory; name a file in it")
    if not path.parent.is_dir():
        raise CampaignError(f"{option} {path}: no directory {path.parent} (create it first)")


def data_home(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """``$DIALER_HOME``, else ``$XDG_DATA_HOME/dialer``, else ``~/.local/share/dialer``."""
    if environ.get("DIALER_HOME"):
        return Path(environ["DIALER_HOME"])
    if environ.get("XDG_DATA_HOME"):
        return Path(environ["XDG_DATA_HOME"]) / "dialer"
    return Path.home() / ".local" / "share" / "dialer"


def database_url(db: str | None, environ: dict[str, str] | os._Environ[str] = os.environ,
                 home: Path | None = None) -> str:
    """``--db``, else ``$DIALER_DB``, else ``<home>/dialer.db`` (as ``dialer run`` does)."""
    return db or environ.get("DIALER_DB") or \
        f"sqlite:///{(home or data_home(environ)) / 'dialer.db'}"


def existing_database_url(url: str) -> str:
    """``url``, once its SQLite file exists: for a command that needs what is stored (the
    campaigns, the users), where a mistyped ``--db`` or a forgotten ``--home`` would
    otherwise create an empty database and carry on in it. Another backend, or a string
    that is no URL, is left to the store's own opening to judge."""
    from campaigns.db import DatabaseError, sqlite_path

    try:
        path = sqlite_path(url)
    except Exception:  # not a URL: the store's own opening says why
        return url
    if path is not None and not path.exists():
        raise DatabaseError(f"no campaign database at {path}: give the --db or --home your "
                            "campaigns are in (a new one is made with `dialer db upgrade`)")
    return url


def open_store(db: str | None, home: Path | None = None) -> CampaignStore:
    """The store for a command that writes (creates the database, migrates its schema)."""
    from campaigns.store import CampaignStore

    return CampaignStore.open(database_url(db, home=home))


def read_store(db: str | None, home: Path | None = None) -> CampaignStore:
    """The store for a command that only reads: never created nor migrated."""
    from campaigns.store import CampaignStore

    return CampaignStore.open_read_only(database_url(db, home=home))


def now() -> datetime:
    return datetime.now(UTC)


def emit(document: Any) -> None:
    typer.echo(json.dumps(document, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def make_console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr)


