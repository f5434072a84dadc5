"""Sign-in, sign-out, the start page, and helpers every page module uses."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from campaigns.models import UserRole
from campaigns.users import LoginRefused
from dialer.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Caller,
    Refused,
    caller,
    check_csrf,
    check_login_csrf,
    login_token,
    now,
    require,
)
from dialer.web.live import Page

if TYPE_CHECKING:
    from dialer.web.server import WebState

log = logging.getLogger("dialer.web")
HEARTBEAT = 15.0


def web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


async def form(request: Request) -> dict[str, Any]:
    data = await request.form()
    return {key: value for key, value in data.items() if isinstance(value, str)}


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def answer(request: Request, result: dict[str, Any], back: str) -> Response:
    """A live page (JSON) gets the result; a plain form post is sent back to the page with
    the outcome in the address (303, so a reload does not post again)."""
    if wants_json(request):
        return JSONResponse(result, status_code=200 if result.get("ok") else 409)
    note = result.get("error") if not result.get("ok") else result.get("message", "done")
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}{urlencode({'msg': str(note)})}", status_code=303)


async def posted(request: Request, *roles: UserRole) -> tuple[Caller, dict[str, Any]]:
    """An authorized state-changing request: a signed-in user of ``roles`` with the CSRF
    token of their session."""
    state = web(request)
    who = await require(request, state.store, *roles)
    data = await form(request)
    check_csrf(who, data, request)
    return who, data


def render(request: Request, template: str, who: Caller | None, **context: Any) -> Response:
    state = web(request)
    return state.templates.TemplateResponse(
        request, template, {"who": who, "msg": request.query_params.get("msg"), **context})


async def event_stream(request: Request, page: Page, first: list[bytes]) -> StreamingResponse:
    """Server-Sent Events for one page until the browser leaves (or falls behind)."""
    hub = web(request).hub

    async def events() -> AsyncIterator[bytes]:
        hub.add(page)
        try:
            yield b"retry: 1000\n\n"
            for data in first:
                yield data
            while True:
                try:
                    data = await asyncio.wait_for(page.queue.get(), HEARTBEAT)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if data is None:
                    return
                yield data
        finally:
            hub.remove(page)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


# --- routes -------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    who = await caller(request, web(request).store)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/agent" if who.role is UserRole.AGENT else "/supervisor",
                            status_code=303)


async def login_page(request: Request) -> Response:
    if not request.query_params.get("msg") and \
            await caller(request, web(request).store) is not None:
        return await index(request)  # signed in (in another tab): the desk, not the form
    # One token per browser, not per page: a second sign-in tab replaced the cookie, and
    # the first tab's form was refused as stale.
    kept = request.cookies.get(LOGIN_COOKIE, "")
    token = kept if _is_login_token(kept) else login_token()
    response = render(request, "login.html", None, login_csrf=token,
                      name=request.query_params.get("name", ""))
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    state = web(request)
    data = await form(request)
    address = request.client.host if request.client else "?"
    name = str(data.get("name", ""))[:120]
    try:
        check_login_csrf(request, data)
        state.limiter.check(address)
    except Refused as refused:
        if wants_json(request):
            raise
        if await caller(request, state.store) is not None:
            return await index(request)  # another tab signed this browser in meanwhile
        # A person at the sign-in form (left open past its hour, or too many tries): the
        # form again with the reason, not a bare text page.
        return RedirectResponse(f"/login?{urlencode({'msg': refused.message, 'name': name})}",
                                status_code=303)
    try:
        user = await asyncio.to_thread(state.store.authenticate, name,
                                       str(data.get("password", "")), at=now())
    except LoginRefused as refused:
        log.warning("sign-in refused from %s: %s", address, refused.reason)
        if wants_json(request):
            return JSONResponse({"ok": False, "error": str(refused)}, status_code=401)
        return RedirectResponse(f"/login?{urlencode({'msg': str(refused), 'name': name})}",
                                status_code=303)
    token, _ = await asyncio.to_thread(state.store.create_session, user.id, at=now())
    log.info("%s (%s) signed in from %s", user.name, user.role.value, address)
    target = "/agent" if user.role is UserRole.AGENT else "/supervisor"
    response: Response = (JSONResponse({"ok": True, "role": user.role.value, "next": target})
                          if wants_json(request) else RedirectResponse(target, status_code=303))
    _set_cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    who, _ = await posted(request)
    await _agent_leaves(request, who)
    await asyncio.to_thread(web(request).store.end_session, who.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _agent_leaves(request: Request, who: Caller) -> None:
    """An agent signing out leaves the dialer too (after the call they are on, as the Log out
    button): otherwise calls keep being dialed for a desk nobody watches."""
    agent = who.user.agent
    if who.role is not UserRole.AGENT or not agent:
        return
    directory = web(request).directory
    for campaign in who.user.campaigns:
        view = directory.agent_view(campaign, agent)
        link = directory.link_for_agent(campaign, agent)
        if link is None or view is None or view.get("state") in (None, "logged_out"):
            continue
        result = await link.request({"op": "agent", "action": "logout", "agent": agent})
        if not result.get("ok"):
            log.warning("%s signed out but stays logged in on %s: %s", agent, campaign,
                        result.get("error"))


def _is_login_token(text: str) -> bool:
    return len(text) == len(login_token()) and \
        all(ch.isalnum() or ch in "-_" for ch in text)


def _set_cookie(request: Request, response: Response, name: str, value: str,
                max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=web(request).settings.cookies_secure)


async def health(request: Request) -> Response:
    state = web(request)
    return JSONResponse({"ok": True, "runners": len(state.directory.links),
                         "pages": state.hub.pages})


PHONE = re.compile(r"(user/[A-Za-z0-9_.+@:-]+"
                   r"|sofia/(?!gateway/)[A-Za-z0-9_.-]+/[A-Za-z0-9_.+@:-]+)\Z")
"""A phone typed on a page (an agent's hot-desk phone, a supervisor's listening phone): one
registered extension (``user/1001``, ``user/1001@pbx``) or a SIP address on a profile
(``sofia/internal/1001@10.0.0.5``). Not a gateway (an outside number nailed up for hours at
the agent's say), and none of FreeSWITCH's dial-string separators (``|``, ``,``, ``:_:``)
or variable blocks, which would ring further destinations."""


def phone_refusal(value: str) -> str | None:
    """Why ``value`` may not be used as a phone from the web, or None if it may."""
    if PHONE.match(value) and ":_:" not in value:
        return None
    return (f"phone {value!r} is not one registered phone: write it as user/1001 (or "
            "sofia/<profile>/<extension>); gateways and several destinations are refused")


def campaign_choice(request: Request, allowed: list[str]) -> str:
    """The page's campaign: the one asked for if allowed, else the first allowed."""
    asked = request.query_params.get("campaign")
    if asked:
        if asked not in allowed:
            raise Refused(403, f"campaign {asked!r} is not one of yours")
        return asked
    if not allowed:
        raise Refused(403, "you have no campaign: ask an admin to assign one")
    return allowed[0]


def routes() -> list[Route]:
    return [
        Route("/", index),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/health", health),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
