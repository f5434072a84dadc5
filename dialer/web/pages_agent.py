"""The agent desktop: state, the screen pop, disposition, hold, transfers, preview.

An agent user acts as exactly one campaign agent (``UserView.agent``) and only on the
campaigns that agent is on; the agent id is never taken from the request. A lead or call is
shown only while it is the agent's own (their call, their wrap-up, their preview).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from campaigns.models import UserRole
from dialer.web.auth import Caller, Refused, require
from dialer.web.live import Page, sse
from dialer.web.pages_common import (
    answer,
    campaign_choice,
    event_stream,
    phone_refusal,
    posted,
    render,
    web,
)
from dialer.web.records import (
    CallerCard,
    CampaignSheet,
    LeadCard,
    agent_callbacks,
    caller_card,
    campaign_sheet,
    lead_card,
    time_in_states,
)

AGENT = UserRole.AGENT
CALLBACK_SLACK = timedelta(minutes=5)
"""A callback this much in the past is still taken (the agent typed "now" slowly)."""
MAX_OFFSET_MIN = 18 * 60
"""The widest UTC offset a browser can state (ISO 8601 allows ±18:00)."""
SIMPLE_ACTIONS = {"login", "ready", "pause", "logout", "hold", "unhold", "consult_complete",
                  "consult_cancel", "preview_dial", "preview_skip", "dnc", "accept"}


def _campaign(request: Request, who: Caller, asked: str | None = None) -> str:
    allowed = list(who.user.campaigns)
    if asked is not None:
        if asked not in allowed:
            raise Refused(403, f"campaign {asked!r} is not one of yours")
        return asked
    return campaign_choice(request, allowed)


def _back(campaign: str) -> str:
    return f"/agent?campaign={quote(campaign)}"


async def agent_page(request: Request) -> Response:
    state = web(request)
    who = await require(request, state.store, AGENT)
    campaign = _campaign(request, who)
    agent = who.user.agent or ""
    sheet = await asyncio.to_thread(campaign_sheet, state.store, campaign)
    view = state.directory.agent_view(campaign, agent) or {"state": "logged_out"}
    callbacks = await asyncio.to_thread(agent_callbacks, state.store, campaign, agent)
    day = await asyncio.to_thread(time_in_states, state.store, agent, datetime.now(UTC))
    card, caller = await _screen(request, campaign, view)
    correction = correction_of(view, time.time())
    others = sorted(v["agent"] for v in state.directory.agent_views(campaign)
                    if v["agent"] != agent and v.get("state") not in (None, "logged_out"))
    return render(request, "agent.html", who, campaign=campaign, agent=agent, sheet=sheet,
                  view=view, callbacks=callbacks, card=card, caller=caller,
                  screen=screen_key(view), others=others, day=day, correction=correction,
                  running=bool(state.directory.of_campaign(campaign)),
                  campaigns=who.user.campaigns)


def correction_of(view: dict[str, Any], now: float) -> dict[str, Any] | None:
    """The fallback-closed wrap-up the agent may still correct (shown when idle: ready,
    paused, connecting), or None (the page's script keeps the same rule)."""
    last = view.get("last_wrap") or {}
    until = last.get("correct_until")
    if view.get("state") not in ("ready", "paused", "connecting") or not until:
        return None
    return last if now < float(until) else None


def screen_key(view: dict[str, Any]) -> str:
    """What the agent's customer box shows now: a lead id (their outbound call, wrap-up or
    preview), ``call:<id>`` for the caller of an inbound call or a queue callback (no lead:
    the caller is found by their number), or "" (nobody)."""
    call = view.get("call") or {}
    if call:
        lead = str(call.get("lead_id") or "")
        if lead.isdigit():
            return lead
        if call.get("direction") in ("inbound", "callback") and call.get("number"):
            return f"call:{call['id']}"
        return ""
    preview = view.get("preview") or {}
    return str(preview.get("lead_id") or "")


async def _screen(request: Request, campaign: str, view: dict[str, Any]
                  ) -> tuple[LeadCard | None, CallerCard | None]:
    """The lead card and, for a caller found by number, the caller's history."""
    key = screen_key(view)
    store = web(request).store
    try:
        if key.startswith("call:"):
            call = view["call"]
            caller = await asyncio.to_thread(caller_card, store, campaign, call["number"],
                                             call["id"])
            return caller.lead, caller
        if key:
            return await asyncio.to_thread(lead_card, store, int(key), campaign), None
    except (LookupError, ValueError):
        pass
    return None, None


async def lead_fragment(request: Request) -> Response:
    """The screen pop (HTML fragment the page's script fetches when a call arrives): the
    lead, or the caller of an inbound call, only while on the agent's own screen."""
    state = web(request)
    who = await require(request, state.store, AGENT)
    campaign = _campaign(request, who)
    view = state.directory.agent_view(campaign, who.user.agent or "") or {}
    if not request.path_params["key"] or request.path_params["key"] != screen_key(view):
        raise Refused(403, "that lead is not on your screen")
    card, caller = await _screen(request, campaign, view)
    sheet = await asyncio.to_thread(campaign_sheet, state.store, campaign)
    return render(request, "_lead.html", who, card=card, caller=caller, view=view,
                  sheet=sheet, campaign=campaign)


async def agent_events(request: Request) -> Response:
    state = web(request)
    who = await require(request, state.store, AGENT)
    campaign = _campaign(request, who)
    agent = who.user.agent or ""
    view = state.directory.agent_view(campaign, agent)
    first = [sse("agent", view)] if view else []
    return await event_stream(request, Page(campaign, agent), first)


async def agent_action(request: Request) -> Response:
    who, data = await posted(request, AGENT)
    state = web(request)
    campaign = _campaign(request, who, str(data.get("campaign", "")))
    agent = who.user.agent or ""
    action = str(data.get("action", ""))
    payload: dict[str, Any] = {"op": "agent", "action": action, "agent": agent}
    if action in ("transfer", "consult"):
        kind, target = str(data.get("to_kind", "")), str(data.get("to", "")).strip()
        payload["to"] = f"{kind}:{target}"
    elif action == "pause":
        reason = str(data.get("reason", ""))
        sheet = await asyncio.to_thread(campaign_sheet, state.store, campaign)
        if reason not in sheet.pause_reasons:
            return answer(request, {"ok": False, "error": f"pause reason {reason!r} is not "
                                    "one of the campaign's"}, _back(campaign))
        payload["reason"] = reason
    elif action == "login":
        endpoint = str(data.get("endpoint", "")).strip()
        if endpoint:
            refusal = phone_refusal(endpoint)
            if refusal is not None:
                return answer(request, {"ok": False, "error": refusal}, _back(campaign))
            payload["endpoint"] = endpoint
    elif action == "accept":
        payload["work"] = str(data.get("work", ""))
    elif action not in SIMPLE_ACTIONS:
        return answer(request, {"ok": False, "error": f"unknown action {action!r}"},
                      _back(campaign))
    link = state.directory.link_for_agent(campaign, agent)
    if link is None:
        return answer(request, {"ok": False, "error": f"campaign {campaign} is not running "
                                "(`dialer run` it first)"}, _back(campaign))
    was = state.directory.agent_view(campaign, agent)
    result = await link.request(payload)
    if result.get("ok") and action in ("pause", "logout"):
        await link.refresh_agent(agent, was)
    return answer(request, result, _back(campaign))


async def agent_dispose(request: Request) -> Response:
    who, data = await posted(request, AGENT)
    state = web(request)
    campaign = _campaign(request, who, str(data.get("campaign", "")))
    agent = who.user.agent or ""
    view = state.directory.agent_view(campaign, agent) or {}
    call_id = str(data.get("call", ""))
    if not call_id or call_id not in (view.get("wrap_call"),
                                      (view.get("last_wrap") or {}).get("call")):
        return answer(request, {"ok": False, "error": "that call is not in your wrap-up"},
                      _back(campaign))
    # A call no longer in wrap-up goes to the runner too: it says how the call was recorded
    # (a second tab, a double submit) or takes the agent's correction of the fallback the
    # wrap-up timeout recorded; it acts only on this agent's own last call.
    payload: dict[str, Any] = {"op": "agent", "action": "dispose", "agent": agent,
                               "call": call_id, "disposition": str(data.get("disposition", "")),
                               "note": str(data.get("note", ""))[:2000],
                               "callback_for": "anyone" if data.get("callback_for") == "anyone"
                               else "me"}
    sheet = await asyncio.to_thread(campaign_sheet, state.store, campaign)
    callback = _callback_at(data, payload["disposition"], sheet)
    if isinstance(callback, str):
        return answer(request, {"ok": False, "error": callback}, _back(campaign))
    if callback is not None:
        payload["callback_at"] = callback.isoformat()
    link = state.directory.link_for_agent(campaign, agent)
    if link is None:
        return answer(request, {"ok": False, "error": "the campaign is not running"},
                      _back(campaign))
    return answer(request, await link.request(payload), _back(campaign))


def _callback_at(data: dict[str, Any], disposition: str, sheet: CampaignSheet
                 ) -> datetime | str | None:
    """The callback's moment in UTC from the dispose form, None without one, or why not."""
    callback_at = str(data.get("callback_at", "")).strip()
    if not callback_at:
        chosen = next((d for d in sheet.dispositions
                       if d.code.upper() == disposition.upper()), None)
        if chosen is not None and chosen.callback:
            # The runner's refusal names its command-line flag; the agent has a field.
            return f"{chosen.label} needs a time: fill in \"Call back at\""
        return None
    try:
        moment = datetime.fromisoformat(callback_at)
    except ValueError:
        return f"callback time {callback_at!r} is not a date and time"
    offset = str(data.get("tz_offset_min", "")).strip()
    if moment.tzinfo is None and offset.lstrip("-").isdigit() \
            and abs(int(offset)) <= MAX_OFFSET_MIN:
        # A datetime-local field has no zone: the browser says its offset (JS minutes,
        # UTC minus local); without the script the time is taken as UTC.
        try:
            moment = moment + timedelta(minutes=int(offset))
        except OverflowError:  # year 9999 and a zone west of UTC: no such moment
            return f"callback time {callback_at!r} is out of range"
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    if moment < datetime.now(UTC) - CALLBACK_SLACK:
        # A mistyped year or day would make the lead due at once: the agent says again.
        return f"callback time {callback_at!r} is in the past: choose a later time"
    return moment


def routes() -> list[Route]:
    return [
        Route("/agent", agent_page),
        Route("/agent/events", agent_events),
        Route("/agent/lead/{key}", lead_fragment),
        Route("/agent/action", agent_action, methods=["POST"]),
        Route("/agent/dispose", agent_dispose, methods=["POST"]),
    ]
