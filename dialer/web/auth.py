"""Who is asking, and may they: sessions, CSRF, sign-in rate limits, authorization.

Every request is authorized here on the server, whatever the page showed:
- an agent sees and acts on their own agent only, and reads a lead or call only while it is
  theirs (on their screen, in their call or wrap-up) and their own callbacks;
- a supervisor sees and acts on the campaigns they are assigned; an admin on every campaign.
Every state-changing request carries the session's CSRF token (form field ``csrf`` or header
``X-CSRF-Token``), compared in constant time; the session cookie is HttpOnly and
SameSite=Strict besides. Sign-in is limited per client address (``LOGIN_ATTEMPTS`` per
``LOGIN_WINDOW``) on top of the store's per-user lockout.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from campaigns.models import UserRole
from campaigns.store import CampaignStore
from campaigns.users import UserView

SESSION_COOKIE = "dialer_session"
LOGIN_COOKIE = "dialer_login"
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = 60.0


class Refused(Exception):
    """An HTTP refusal: ``status`` and a message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user of a request and their session's CSRF token."""

    user: UserView
    csrf: str
    token: str

    @property
    def role(self) -> UserRole:
        return self.user.role

    def may_supervise(self, campaign: str) -> bool:
        return self.role is UserRole.ADMIN or (
            self.role is UserRole.SUPERVISOR and campaign in self.user.campaigns)

    def may_work(self, campaign: str) -> bool:
        return self.role is UserRole.AGENT and self.user.agent is not None \
            and campaign in self.user.campaigns


def now() -> datetime:
    return datetime.now(UTC)


async def caller(request: Request, store: CampaignStore) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    found = await asyncio.to_thread(store.session_user, token, at=now())
    if found is None:
        return None
    user, csrf = found
    return Caller(user, csrf, token)


async def require(request: Request, store: CampaignStore, *roles: UserRole) -> Caller:
    who = await caller(request, store)
    if who is None:
        raise Refused(401, "sign in first")
    if roles and who.role not in roles:
        raise Refused(403, f"this page is not for your role ({who.role.value}): "
                      "sign in as someone who may use it")
    return who


def check_csrf(who: Caller, form: dict[str, Any], request: Request) -> None:
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not sent or not hmac.compare_digest(sent, who.csrf):
        raise Refused(403, "the form is stale or forged (CSRF check failed): reload the page")


def login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, form: dict[str, Any]) -> None:
    """Before a session exists: the form's token must equal the cookie set with the form
    (double submit), so another site cannot sign a browser in as someone else."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = str(form.get("csrf") or "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Refused(403, "the sign-in form is stale (CSRF check failed): reload the page")


class LoginLimiter:
    """At most ``attempts`` sign-ins per client address per ``window`` seconds."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = {}

    def check(self, address: str, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        recent = self._seen.setdefault(address, deque())
        while recent and recent[0] <= at - self.window:
            recent.popleft()
        if len(recent) >= self.attempts:
            raise Refused(429, f"too many sign-in attempts from this address: wait "
                          f"{int(recent[0] + self.window - at) + 1} s")
        recent.append(at)
        if len(self._seen) > 10_000:  # forget idle addresses (bounded memory)
            for key in [k for k, v in self._seen.items() if not v][:5_000]:
                del self._seen[key]
