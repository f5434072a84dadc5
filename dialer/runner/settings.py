"""Where the runner keeps things, read once at the edge (the only runner module reading env).

Conventions (notes/conventions.md): data directory ``$DIALER_HOME``, else
``$XDG_DATA_HOME/dialer``, else ``~/.local/share/dialer``; default database
``sqlite:///<data>/dialer.db`` unless ``--db`` or ``$DIALER_DB``. Each running campaign
listens on a control socket ``<data>/run/<campaign>.sock`` (agents, dashboard, stop).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dialer.esl.url import EslUrl, parse_esl_url
from dialer.runner.errors import RunnerSettingsError

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
# AF_UNIX paths are limited to 108 bytes on Linux (sun_path), including the NUL.
_MAX_SOCKET_PATH = 107


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("DIALER_HOME"):
        return Path(env["DIALER_HOME"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "dialer"
    return Path("~/.local/share/dialer").expanduser()


def database_url(cli_value: str | None, data: Path,
                 environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return cli_value or env.get("DIALER_DB") or f"sqlite:///{data / 'dialer.db'}"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL (the embedded store understands only SQLite)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise RunnerSettingsError(
            f"database URL {url!r}: the runner's embedded store needs sqlite:///PATH "
            "(PostgreSQL goes through the campaigns store)"
        )
    path = url[len(prefix):]
    if not path:
        raise RunnerSettingsError(f"database URL {url!r}: no file path after sqlite:///")
    return Path(path)


def control_socket_path(data: Path, campaign: str) -> Path:
    path = data / "run" / f"{_SAFE_NAME.sub('_', campaign)}.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        raise RunnerSettingsError(
            f"control socket path {path} is longer than {_MAX_SOCKET_PATH} bytes "
            "(a Unix socket limit): set DIALER_HOME to a shorter directory"
        )
    return path


def parse_switches(values: list[str] | None) -> tuple[tuple[str, EslUrl], ...]:
    """``--switch`` values to (switch_id, url); ids are ``host:port`` (stable across restarts,
    so an attempt journaled on a switch is reconciled with that same switch)."""
    parsed: list[tuple[str, EslUrl]] = []
    seen: set[str] = set()
    for value in values or []:
        url = parse_esl_url(value)
        switch_id = f"{url.host}:{url.port}"
        if switch_id in seen:
            raise RunnerSettingsError(f"--switch {url} is given twice")
        seen.add(switch_id)
        parsed.append((switch_id, url))
    return tuple(parsed)


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """Everything ``dialer run`` needs, validated once."""

    campaign: str
    database: str
    data: Path
    switches: tuple[tuple[str, EslUrl], ...]
    gateway: str = "default"
    """FreeSWITCH gateway customer calls go out through (``sofia/gateway/NAME/NUMBER``)."""
    stop_grace: float = 60.0
    """Seconds a graceful stop waits for calls in progress before hanging them up."""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def control_socket(self) -> Path:
        return control_socket_path(self.data, self.campaign)
