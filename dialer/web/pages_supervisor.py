"""The supervisor console: wallboard, agent control, eavesdrop, campaign and pacing
actions (every one audited: who, when, what, before and after), reports.

Supervisors act on the campaigns they are assigned (admins on every campaign).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from campaigns.models import UserRole
from dialer.runner.state_follow import from_command_line, from_console
from dialer.web.auth import Caller, Refused, now, require
from dialer.web.campaign_controls import (
    STATE_FIELD,
    STOP_ACTION,
    STOP_CONFIRM,
    dialing,
    seen_version,
    stop,
    stored_state,
)
from dialer.web.live import Page, sse
from dialer.web.pacing_form import (
    SEEN_FIELD,
    PacingRefused,
    describe,
    field_of,
    pacing_changes,
    pacing_seen,
    placeholders,
)
from dialer.web.pages_common import (
    answer,
    campaign_choice,
    event_stream,
    phone_refusal,
    posted,
    render,
    web,
)
from dialer.web.records import abandonment_today, campaign_sheet

SUPERVISORS = (UserRole.SUPERVISOR, UserRole.ADMIN)
AGENT_ACTIONS = ("pause", "logout")
"""Forcing an agent ready is not one: it would dial for someone who may not be at the desk."""
EAVESDROP = ("listen", "whisper", "barge", "stop")
CAMPAIGN_ACTIONS = ("campaign_pause", "campaign_resume", STOP_ACTION, "pacing")
TODAY_CACHE = 5.0
REPORT_RECORDINGS = 200
"""Recordings listed (with their links) under a report: the period's first ones."""


def _campaigns(request: Request, who: Caller) -> list[str]:
    """The campaigns the caller may open: an admin's every one, a supervisor's assigned ones;
    never an archived or deleted one (a deleted campaign keeps its assignments under a
    ``name#deleted-N`` name, and its wallboard opened as if it were live)."""
    names = [c.name for c in web(request).store.campaigns(include_archived=False)]
    if who.role is UserRole.ADMIN:
        return names
    return [name for name in who.user.campaigns if name in names]


async def _campaign(request: Request, who: Caller, asked: str | None = None) -> str:
    allowed = await asyncio.to_thread(_campaigns, request, who)
    if asked is not None:
        if not who.may_supervise(asked) or asked not in allowed:
            raise Refused(403, f"campaign {asked!r} is not one you supervise")
        return asked
    return campaign_choice(request, allowed)


def _back(campaign: str) -> str:
    return f"/supervisor?campaign={quote(campaign)}"


_today: dict[str, tuple[float, dict[str, Any]]] = {}


async def _abandon_today(request: Request, campaign: str) -> dict[str, Any]:
    cached = _today.get(campaign)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    figures = await asyncio.to_thread(abandonment_today, web(request).store, campaign, now())
    _today[campaign] = (time.monotonic() + TODAY_CACHE, figures)
    return figures


def alerts(links: list[Any]) -> list[str]:
    """The active alerts of the campaign's running processes, as ``dialer monitor`` shows
    them: the runner's alert book (``dialer/runner/alerting.py``, the same alerts as its
    alerts log and webhook) publishes them in its snapshot; the web tier adds none."""
    found: list[str] = []
    for link in links:
        for alert in (link.snapshot or {}).get("alerts") or []:
            if alert["message"] not in found:
                found.append(alert["message"])
    return found


async def supervisor_page(request: Request) -> Response:
    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    campaign = await _campaign(request, who)
    links = state.directory.of_campaign(campaign)
    snapshot = links[0].snapshot if links else {}
    today = await _abandon_today(request, campaign)
    sheet = await asyncio.to_thread(campaign_sheet, state.store, campaign)
    views = list(state.directory.agent_views(campaign))
    audit = await asyncio.to_thread(state.store.audit_entries, campaigns=[campaign], limit=15)
    stored = await asyncio.to_thread(stored_state, state.store, campaign)
    row = await asyncio.to_thread(state.store.campaign, campaign)
    return render(request, "supervisor.html", who, campaign=campaign, snapshot=snapshot,
                  stored=stored, stop_confirm=STOP_CONFIRM.format(campaign=campaign),
                  status_words=_status_words(snapshot, stored),
                  today=today, sheet=sheet, views=views, alerts=alerts(links),
                  pacing_seen=row.pacing_version,
                  placeholders=placeholders(sheet.settings),
                  audit=audit, running=bool(links), processes=len(links),
                  campaigns=await asyncio.to_thread(_campaigns, request, who))


def _status_words(snapshot: dict[str, Any], stored: Any) -> str | None:
    """Why the campaign is not dialing, as its runner says it (``dialer status``, the
    status line: who paused and when), or its stored stop when it has stopped."""
    if stored.state == "stopped":
        return str(stored.words)
    status = (snapshot or {}).get("status") or {}
    if status.get("activity") == "paused" and status.get("reasons"):
        return str(status["reasons"][0])
    return None


async def supervisor_events(request: Request) -> Response:
    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    campaign = await _campaign(request, who)
    first = [sse("agent", view) for view in state.directory.agent_views(campaign)]
    links = state.directory.of_campaign(campaign)
    if links:
        today = await _abandon_today(request, campaign)
        first.append(sse("snapshot", {**links[0].snapshot, "today": today,
                                      "alerts": alerts(links)}))
    return await event_stream(request, Page(campaign, None), first)


async def supervisor_summary(request: Request) -> Response:
    """Today's abandonment (from the store) and the runners' alerts (the page polls this
    every few seconds)."""
    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    campaign = await _campaign(request, who)
    links = state.directory.of_campaign(campaign)
    today = await _abandon_today(request, campaign)
    from starlette.responses import JSONResponse

    return JSONResponse({"today": today,
                         "alerts": alerts(links)})


async def supervisor_action(request: Request) -> Response:
    who, data = await posted(request, *SUPERVISORS)
    state = web(request)
    campaign = await _campaign(request, who, str(data.get("campaign", "")))
    action = str(data.get("action", ""))
    agent = str(data.get("agent", ""))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    links = state.directory.of_campaign(campaign)
    if action in CAMPAIGN_ACTIONS:
        # Check and act as one step: a second tab waits, then sees the first's result.
        async with state.campaign_locks(campaign):
            return await _campaign_action(request, who, campaign, action, data)
    if not links:
        return answer(request, {"ok": False, "error": f"campaign {campaign} is not running"},
                      _back(campaign))
    if action in AGENT_ACTIONS:
        link = state.directory.link_for_agent(campaign, agent)
        view = state.directory.agent_view(campaign, agent)
        if link is None or view is None:
            return answer(request, {"ok": False, "error": f"no agent {agent!r} on {campaign}"},
                          _back(campaign))
        before = {"state": view.get("state"), "reason": view.get("reason")}
        if view.get("state") in (None, "logged_out"):
            # A stale row (the agent left a moment ago): nothing to pause or log out.
            result = {"ok": False, "error": f"agent {agent} is logged out: nothing to "
                      f"{'pause' if action == 'pause' else 'log out'}"}
            await _audit(request, who, action, campaign, agent, before, {}, result)
            return answer(request, result, _back(campaign))
        payload = {"op": "agent", "action": action, "agent": agent,
                   "reason": f"by supervisor {who.user.name}"
                   + (f": {data['reason']}" if data.get("reason") else "")}
        result = await link.request(payload)
        if result.get("ok"):
            await link.refresh_agent(agent, view)
            result = {**result, "message": _agent_message(agent, action, result.get("was"))}
        after = {"requested": action}
    elif action == "stop":
        # The supervisor's leg is on whichever process their agent was: ask every one.
        results = [await link.request({"op": "supervise", "action": "stop",
                                       "supervisor": who.user.name}) for link in links]
        result = next((r for r in results if r.get("ok")), results[0])
        after = {"mode": "stop"}
    elif action in EAVESDROP:
        link = state.directory.link_for_agent(campaign, agent) or links[0]
        endpoint = str(data.get("endpoint", "")).strip()
        refusal = phone_refusal(endpoint) if endpoint else None
        result = {"ok": False, "error": refusal} if refusal is not None else \
            await link.request({"op": "supervise", "action": action, "agent": agent,
                                "supervisor": who.user.name, "endpoint": endpoint})
        after = {"mode": action, "endpoint": endpoint}
    else:
        return answer(request, {"ok": False, "error": f"unknown action {action!r}"},
                      _back(campaign))
    await _audit(request, who, action, campaign, agent, before, after, result)
    return answer(request, result, _back(campaign))


async def _campaign_action(request: Request, who: Caller, campaign: str, action: str,
                           data: dict[str, Any]) -> Response:
    """Pause, Resume, Stop and pacing: checked against what the page showed and done
    under the campaign's lock (``campaign_controls``)."""
    state = web(request)
    links = state.directory.of_campaign(campaign)
    seen = str(data.get(STATE_FIELD, "")).strip()
    version = seen_version(data)
    if action == STOP_ACTION:  # as `dialer campaign stop`: also with no process running
        result = await stop(state.store, campaign, seen, links, who.user.name,
                            confirmed=data.get("confirmed") == "yes", version=version)
        before = {"state": result.get("was")}
        after = {"state": "stopped", "at": result.get("at")}
    elif action == "pacing" and not links:
        result = {"ok": False, "error": f"campaign {campaign} is not running"}
        before = after = {}
    elif action == "pacing":
        result = await _pacing(request, campaign, data, links, who.user.name)
        before, after = result.get("before", {}), result.get("after", {})
    else:
        result = await dialing(state.store, campaign, action, seen, links, who.user.name,
                               version)
        before, after = {"dialing": result.get("was")}, {"dialing": result.get("now")}
    await _audit(request, who, action, campaign, "", before, after, result)
    return answer(request, result, _back(campaign))


async def _audit(request: Request, who: Caller, action: str, campaign: str, agent: str,
                 before: dict[str, Any], after: dict[str, Any],
                 result: dict[str, Any]) -> None:
    await asyncio.to_thread(
        web(request).store.audit, at=now(), user_name=who.user.name, role=who.role.value,
        action=action, campaign=campaign, target=agent or None, before=before,
        after=after if result.get("ok") else {}, ok=bool(result.get("ok")),
        detail=None if result.get("ok") else str(result.get("error")))


def _agent_message(agent: str, action: str, was: object) -> str:
    """What a forced pause or log-out did, saying so when it was already done (a double
    click, or two supervisors at once)."""
    if action == "pause":
        return f"agent {agent} was already paused" if was == "paused" else \
            f"agent {agent}: pause asked (after the call, if on one)"
    return f"agent {agent} was already logged out" if was == "logged_out" else \
        f"agent {agent}: log-out asked (after the call, if on one)"


async def _pacing(request: Request, campaign: str, data: dict[str, Any],
                  links: list[Any], supervisor: str) -> dict[str, Any]:
    """A pacing change from the form, refused naming its field; refused too when the
    stored pacing settings changed since the page showed them (their version moved: another
    tab, supervisor, web process or ``dialer campaign edit``): the answer says who and
    when and shows them, and the page's form takes them for the next send. The first
    process writes the store only over the version seen (compare-and-set); the others
    follow that write."""
    store = web(request).store
    try:
        changes = pacing_changes(data)
    except PacingRefused as refused:
        return {"ok": False, "error": str(refused), "field": refused.field}
    version = pacing_seen(data.get(SEEN_FIELD))
    row = await asyncio.to_thread(store.campaign, campaign)
    if version is not None and version != row.pacing_version:
        return await _pacing_conflict(store, campaign)
    results = []
    for link in links:
        result = await link.request({"op": "pacing", "changes": changes,
                                     "supervisor": supervisor, **(
            {} if version is None else {"expected_version": version})})
        results.append(result)
        if result.get("conflict"):
            return await _pacing_conflict(store, campaign)
        if not result.get("ok"):
            break
        if version is not None and isinstance(result.get("pacing_version"), int):
            version = result["pacing_version"]  # the next process follows this write
    result = next((r for r in results if not r.get("ok")), results[0])
    if not result.get("ok"):
        return {**result, "field": field_of(str(result.get("error", "")))}
    row = await asyncio.to_thread(store.campaign, campaign)
    stored = await asyncio.to_thread(store.settings, campaign)
    return {**result, "seen": row.pacing_version, "placeholders": placeholders(stored),
            "message": f"pacing changed: {describe(stored)}"}


def _pacing_words(store: Any, campaign: str) -> tuple[Any, Any, str]:
    """The stored pacing settings, their row, and who changed them last and when
    (database thread)."""
    row = store.campaign(campaign)
    settings = store.settings(campaign)
    changed = row.pacing_changed_at
    if changed is None:
        return row, settings, ""
    at = changed.timestamp()
    if row.pacing_changed_by is not None:
        return row, settings, from_console(row.pacing_changed_by, at)
    return row, settings, from_command_line(at)


async def _pacing_conflict(store: Any, campaign: str) -> dict[str, Any]:
    row, stored, source = await asyncio.to_thread(_pacing_words, store, campaign)
    since = f", changed {source}" if source else ""
    return {"ok": False, "conflict": True, "seen": row.pacing_version,
            "placeholders": placeholders(stored),
            "error": f"nothing changed: the pacing settings were changed since this page "
                     f"showed them (another tab, supervisor or the command line{since}): "
                     f"now {describe(stored)}. Check them and send your change again if it "
                     "still stands"}


async def audit_page(request: Request) -> Response:
    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    campaign = await _campaign(request, who)
    entries = await asyncio.to_thread(state.store.audit_entries, campaigns=[campaign],
                                      limit=500)
    return render(request, "audit.html", who, campaign=campaign, entries=entries,
                  campaigns=await asyncio.to_thread(_campaigns, request, who))


# --- reports ------------------------------------------------------------------------------------


def _period(request: Request) -> tuple[datetime, datetime]:
    def day(name: str) -> datetime | None:
        raw = request.query_params.get(name, "").strip()
        if not raw:
            return None
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise Refused(400, f"{name} {raw!r}: use YYYY-MM-DD") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    end = day("to") or datetime.combine(now().date() + timedelta(days=1), datetime.min.time(),
                                        UTC)
    start = day("from") or end - timedelta(days=7)
    if start >= end:
        raise Refused(400, "'from' must be before 'to'")
    if end - start > timedelta(days=400):
        raise Refused(400, "a report covers at most 400 days")
    return start, end


async def _report(request: Request) -> tuple[Caller, str, Any, datetime, datetime]:
    from campaigns.reports import campaign_report

    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    campaign = await _campaign(request, who)
    start, end = _period(request)
    result = await asyncio.to_thread(campaign_report, state.store, campaign, start, end)
    return who, campaign, result, start, end


async def reports_page(request: Request) -> Response:
    who, campaign, result, start, end = await _report(request)
    sections = {name: frame for name, frame in result.sections().items() if len(frame)}
    return render(request, "reports.html", who, campaign=campaign, result=result,
                  sections=sections, start=start, end=end,
                  recordings=await _report_recordings(request, campaign, start, end),
                  query=f"campaign={quote(campaign)}&from={start.date()}&to={end.date()}",
                  campaigns=await asyncio.to_thread(_campaigns, request, who))


async def report_chart(request: Request) -> Response:
    from campaigns.plot import plot_report

    _, _, result, _, _ = await _report(request)

    def draw() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.png"
            plot_report(result, path)
            return path.read_bytes()

    return Response(await asyncio.to_thread(draw), media_type="image/png")


async def report_download(request: Request) -> Response:
    import pandas as pd

    _, campaign, result, start, end = await _report(request)
    kind = request.query_params.get("format", "csv")
    name = f"{campaign}-{start.date()}-{end.date()}"
    if kind == "csv":
        frames = [frame.assign(section=section)[["section", *frame.columns]]
                  for section, frame in result.sections().items() if len(frame)]
        data = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).to_csv(
            index=False).encode()
        media = "text/csv"
    elif kind == "xlsx":
        def workbook() -> bytes:
            buffer = io.BytesIO()
            with pd.ExcelWriter(buffer) as writer:
                for section, frame in result.sections().items():
                    frame.to_excel(writer, sheet_name=section[:31], index=False)
            return buffer.getvalue()
        data = await asyncio.to_thread(workbook)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Refused(400, "format: csv or xlsx")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return StreamingResponse(iter([data]), media_type=media, headers={
        "content-disposition": f'attachment; filename="{safe}.{kind}"'})


RECORDING_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg",
                   "flac": "audio/flac"}


async def recording_file(request: Request) -> Response:
    """One attempt's recording, found by its call id (the link of reports and lead cards),
    for a supervisor of its campaign; every play or download is audited."""
    from starlette.responses import FileResponse

    from campaigns.recordings import RecordingStoreError, file_of, recording_for_attempt

    state = web(request)
    who = await require(request, state.store, *SUPERVISORS)
    call_uuid = request.path_params["call_uuid"]
    view = await asyncio.to_thread(recording_for_attempt, state.store, call_uuid)
    if view is None:
        raise Refused(404, f"no recording of call {call_uuid}")
    await _campaign(request, who, view.campaign)
    if view.status == "purged":
        raise Refused(404, f"the recording of call {call_uuid} was purged (past its "
                           "retention)")
    try:
        path = file_of(state.settings.recordings_dir, view)
    except RecordingStoreError as error:
        raise Refused(404, str(error)) from None
    if not await asyncio.to_thread(path.is_file):
        raise Refused(404, f"the recording of call {call_uuid} is not on disk ({view.path})")
    await asyncio.to_thread(
        state.store.audit, at=now(), user_name=who.user.name, role=who.role.value,
        action="recording_played", campaign=view.campaign, target=call_uuid,
        after={"path": view.path, "sha256": view.sha256})
    download = request.query_params.get("download") == "1"
    return FileResponse(path, media_type=RECORDING_TYPES.get(view.format,
                                                             "application/octet-stream"),
                        filename=path.name if download else None,
                        content_disposition_type="attachment" if download else "inline")


async def _report_recordings(request: Request, campaign: str, start: datetime,
                             end: datetime) -> list[Any]:
    from campaigns.recordings import recordings

    return await asyncio.to_thread(recordings, web(request).store, campaign, since=start,
                                   until=end, limit=REPORT_RECORDINGS)


def routes() -> list[Route]:
    return [
        Route("/supervisor", supervisor_page),
        Route("/supervisor/events", supervisor_events),
        Route("/supervisor/summary", supervisor_summary),
        Route("/supervisor/action", supervisor_action, methods=["POST"]),
        Route("/supervisor/audit", audit_page),
        Route("/reports", reports_page),
        Route("/reports/chart.png", report_chart),
        Route("/reports/download", report_download),
        Route("/recordings/{call_uuid}", recording_file),
    ]
