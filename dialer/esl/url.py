"""``esl://[:PASSWORD@]HOST[:PORT]``: the one place a switch address is parsed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from dialer.esl.errors import EslUrlError

DEFAULT_PORT = 8021          # event_socket.conf.xml listen-port
DEFAULT_PASSWORD = "ClueCon"  # event_socket.conf.xml password


@dataclass(frozen=True, slots=True)
class EslUrl:
    host: str
    port: int = DEFAULT_PORT
    password: str = DEFAULT_PASSWORD

    def __str__(self) -> str:
        """The URL without its password (safe to log and print)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"esl://{host}:{self.port}"


def parse_esl_url(text: str) -> EslUrl:
    """Parse ``esl://[:PASSWORD@]HOST[:PORT]`` (``HOST:PORT`` alone is accepted too)."""
    raw = text.strip()
    if "://" not in raw:
        raw = "esl://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise EslUrlError(f"bad switch URL {text!r}: {error}") from None
    if parts.scheme != "esl":
        raise EslUrlError(f"bad switch URL {text!r}: the scheme must be esl://")
    if not parts.hostname:
        raise EslUrlError(f"bad switch URL {text!r}: no host (expected esl://[:PASSWORD@]HOST[:PORT])")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EslUrlError(f"bad switch URL {text!r}: unexpected path or query")
    password = unquote(parts.password) if parts.password is not None else DEFAULT_PASSWORD
    return EslUrl(parts.hostname, port or DEFAULT_PORT, password)
