"""Where the runner keeps things, read once at the edge (the only runner module reading env).

Conventions (notes/conventions.md): data directory ``$DIALER_HOME``, else
``$XDG_DATA_HOME/dialer``, else ``~/.local/share/dialer``; default database
``sqlite:///<data>/dialer.db`` unless ``--db`` or ``$DIALER_DB``. Each running campaign
listens on a control socket ``<data>/run/<campaign>.sock`` (agents, dashboard, stop), or
``<data>/run/<campaign>@<instance>.sock`` for a named instance (several dialer processes
on one campaign).

Process owner: every claim and attempt a dialer process makes carries its owner id, so that
after a crash it reconciles only what it owns. The id must be the same across restarts of
one process and different between processes: ``--instance NAME``, by default
``<host name>/<campaign>``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dialer.esl.errors import EslUrlError
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


def default_owner(campaign: str) -> str:
    return f"{socket.gethostname()}/{campaign}"[:120]


def control_socket_path(data: Path, campaign: str, instance: str | None = None) -> Path:
    name = campaign if not instance else f"{campaign}@{instance}"
    path = data / "run" / f"{_SAFE_NAME.sub('_', name)}.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        raise RunnerSettingsError(
            f"control socket path {path} is longer than {_MAX_SOCKET_PATH} bytes "
            "(a Unix socket limit): set DIALER_HOME to a shorter directory"
        )
    return path


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


DEFAULT_SWITCH = "esl://:ClueCon@127.0.0.1:8021"
"""FreeSWITCH's own event-socket defaults (event_socket.conf.xml), used when no --switch."""


def parse_switches(values: list[str] | None) -> tuple[tuple[str, EslUrl], ...]:
    """``--switch`` values to (switch_id, url); ids are ``host:port`` (stable across restarts,
    so an attempt journaled on a switch is reconciled with that same switch).

    A value is ``esl://[:PASSWORD@]HOST[:PORT]``, ``HOST:PORT`` or an IP address; a bare
    word (``--switch not-a-url``) is refused rather than taken for a host name to retry
    forever."""
    parsed: list[tuple[str, EslUrl]] = []
    seen: set[str] = set()
    for value in values or []:
        text = value.strip()
        if "://" not in text and ":" not in text and not _is_ip(text):
            raise RunnerSettingsError(
                f"--switch {value!r} is not a switch address: write esl://[:PASSWORD@]HOST"
                f"[:PORT] or HOST:PORT (e.g. {DEFAULT_SWITCH})")
        try:
            url = parse_esl_url(text)
        except EslUrlError as error:
            raise RunnerSettingsError(f"--switch: {error}") from None
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
    instance: str | None = None
    """This process's name among the processes dialing the campaign (``--instance``)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    audit_anchor_interval: float = 600.0
    """Seconds between automatic anchors of the audit log (and one at every stop), so a cut
    tail is detected without a manual step (``dialer compliance audit verify``)."""
    audit_anchor_copy: Path | None = None
    """A second file (another disk, a mounted share) every anchor is appended to as well."""
    alerts_webhook: str | None = None
    """URL every queue alert raised or cleared is POSTed to (JSON), besides the alerts log."""
    metrics: str | None = None
    """``HOST:PORT`` the Prometheus endpoint listens on (``--metrics``); None: no endpoint."""
    prompts_on_switch: str | None = None
    """Directory of the prompt files as FreeSWITCH sees it, when it runs on another host
    (the shipped prompts and ``<data>/prompts`` copied there); None: the local paths."""
    store_outage_limit: float = 600.0
    """Seconds the campaign store may stay unwritable before the run stops (dialing is held
    from the first failed write; calls in progress go on and their outcomes are kept in
    order; ``--store-outage-limit``; docs/operations.md, "When the store is down")."""
    switch_refusal_limit: int = 5
    """Originates the switch refuses in a row (a gateway down, no route, a profile not
    running, the event socket refusing) before dialing is held until a probe call is taken
    (``--switch-refusal-limit``; dialer/runner/send_hold.py; docs/operations.md, "When the
    switch refuses every call")."""

    def __post_init__(self) -> None:
        if self.instance is not None and not 0 < len(self.instance) <= 120:
            raise RunnerSettingsError("--instance must be 1 to 120 characters")
        if not 0 < self.store_outage_limit <= 86_400:  # NaN too: it compares false
            raise RunnerSettingsError(f"--store-outage-limit {self.store_outage_limit:g}: "
                                      "seconds the store may stay unwritable before the run "
                                      "stops, more than 0 and at most a day (86,400)")
        if isinstance(self.switch_refusal_limit, bool) or not isinstance(
                self.switch_refusal_limit, int) or not 1 <= self.switch_refusal_limit <= 1000:
            raise RunnerSettingsError(f"--switch-refusal-limit {self.switch_refusal_limit}: "
                                      "originates the switch may refuse in a row before "
                                      "dialing is held, a whole number from 1 to 1,000")
        if not self.audit_anchor_interval > 0:
            raise RunnerSettingsError("the audit anchor interval must be positive seconds")
        if self.metrics is not None:
            from dialer.runner.metrics import parse_metrics_address

            parse_metrics_address(self.metrics)  # refused here, before anything starts
        if self.alerts_webhook is not None and not self.alerts_webhook.startswith(
                ("http://", "https://")):
            raise RunnerSettingsError(f"--alerts-webhook {self.alerts_webhook!r}: an "
                                      "http:// or https:// URL")

    @property
    def owner(self) -> str:
        """The process owner id written on this process's claims and attempts."""
        return self.instance or default_owner(self.campaign)

    @property
    def control_socket(self) -> Path:
        return control_socket_path(self.data, self.campaign, self.instance)
