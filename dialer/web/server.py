"""``dialer web``: the ASGI application (Starlette on uvicorn) and its settings.

A driver beside cli.py, holding no dialing logic: pages are rendered on the server (Jinja2)
from the campaign store and from the runners' live feeds (``dialer.web.live``); actions go to
the runner the agent is logged in on through its control socket; live updates reach pages
as Server-Sent Events that a small script applies (``static/app.js``). Every action is also
a plain form post answered with a redirect, so the pages work without the script.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from campaigns.store import CampaignStore
from dialer.errors import DialerError
from dialer.web.auth import LoginLimiter, Refused
from dialer.web.campaign_controls import CampaignLocks
from dialer.web.live import Directory, Hub

log = logging.getLogger("dialer.web")
HERE = Path(__file__).parent


class WebSettingsError(DialerError):
    """``dialer web`` cannot start as asked."""


@dataclass(frozen=True, slots=True)
class WebSettings:
    database: str
    data: Path
    host: str = "127.0.0.1"
    port: int = 8080
    secure_cookies: bool | None = None
    """Cookies only over HTTPS. None: on unless listening on loopback (then the browser
    talks to this process directly, without the TLS proxy)."""
    recordings: Path | None = None
    """The directory the switch records into, as this machine sees it (``dialer recordings
    --recordings-dir``); None: ``<data>/recordings``."""

    @property
    def recordings_dir(self) -> Path:
        return self.recordings if self.recordings is not None else self.data / "recordings"

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return not _loopback(self.host)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise WebSettingsError(f"--listen {value!r}: write HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


class WebState:
    """What every request handler shares: the store, the live view, templates."""

    def __init__(self, settings: WebSettings, store: CampaignStore) -> None:
        self.settings = settings
        self.store = store
        self.hub = Hub()
        self.directory = Directory(settings.data / "run", self.hub)
        self.limiter = LoginLimiter()
        self.campaign_locks = CampaignLocks()
        """A console's check and action on a campaign, one at a time (two tabs)."""
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals["mask"] = _mask
        self.templates.env.filters["clock"] = _clock
        self.templates.env.filters["pct"] = _pct


def _mask(number: str | None) -> str:
    from dialer.logs import mask_number

    return mask_number(number or "")


def _clock(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A runner's clock reading (epoch seconds, as its feed sends them).
        value = datetime.fromtimestamp(value, UTC)
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M UTC")  # type: ignore[no-any-return]
    return str(value)


def _pct(value: object) -> str:
    if value is None or isinstance(value, jinja2.Undefined):
        return "—"
    return f"{float(value):.1%}"  # type: ignore[arg-type]


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, scripts from here only."""

    HEADERS = [
        (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
         b"style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
         b"form-action 'self'; base-uri 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.HEADERS)
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


SCRIPT_PATHS = ("/events", "/summary")
"""Addresses only the pages' script reads (a stream, a poll): a refusal there is an answer
the script acts on (401: back to sign-in), never a redirect it would follow blindly."""


def _for_script(request: Request) -> bool:
    path = request.url.path
    return path.endswith(SCRIPT_PATHS) or path.startswith("/agent/lead/")


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refused)
    page = request.method == "GET" and not _for_script(request)
    if error.status == 401 and page:
        return RedirectResponse("/login", status_code=303)
    if page and "text/html" in request.headers.get("accept", ""):
        # A person typed or followed the address: a page saying why, not raw JSON.
        state: WebState = request.app.state.web
        return state.templates.TemplateResponse(
            request, "refused.html", {"who": None, "msg": None, "error": error.message},
            status_code=error.status)
    if "application/json" in request.headers.get("accept", "") or request.method == "GET":
        return JSONResponse({"ok": False, "error": error.message}, status_code=error.status)
    return PlainTextResponse(error.message, status_code=error.status)


def build_app(settings: WebSettings, store: CampaignStore | None = None) -> Starlette:
    """The application; ``store`` given: tests share theirs (it is not closed here)."""
    from dialer.web import pages_agent, pages_common, pages_supervisor

    own_store = store is None
    state = WebState(settings, store or CampaignStore.open(settings.database))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(state.directory.run(),
                                                      name="runner directory")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if own_store:
                state.store.close()

    routes = [*pages_common.routes(), *pages_agent.routes(), *pages_supervisor.routes(),
              Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={Refused: _refused})
    app.state.web = state
    return app


def serve(settings: WebSettings) -> None:
    """Run until Ctrl-C. Logging is the caller's (``dialer.logs.configure``: numbers masked);
    uvicorn's own loggers go through it too (``log_config=None``)."""
    import uvicorn

    if not _loopback(settings.host):
        log.warning("listening on %s: put a TLS reverse proxy in front (docs/web.md); "
                    "cookies are marked Secure", settings.host)
    config = uvicorn.Config(build_app(settings), host=settings.host, port=settings.port,
                            log_config=None, proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1", timeout_graceful_shutdown=2)
    log.info("dialer web on http://%s:%d/ (data %s)", settings.host, settings.port,
             settings.data)
    uvicorn.Server(config).run()
