"""The running campaign's control socket: one JSON object per line, one answer per line.

Path: ``<data>/run/<campaign>.sock`` (mode 0600: only the campaign's own user may act for
agents). Requests (the API an agent desktop builds on):

    {"op": "snapshot"}
    {"op": "agent", "action": "login", "agent": "a1", "endpoint": "user/1001"}   # endpoint optional
    {"op": "agent", "action": "ready" | "logout", "agent": "a1"}
    {"op": "agent", "action": "pause", "agent": "a1", "reason": "lunch"}
    {"op": "agent", "action": "dispose", "agent": "a1", "call": "<call id or empty: the
     call in wrap-up>", "disposition": "SALE", "callback_at": "<ISO time, for CALLBK>"}
    {"op": "stop"}
    {"op": "watch"}     # the live feed (dialer/runner/watch.py)

Agent-desktop and supervisor requests (hold, transfers, preview, eavesdrop, campaign pause,
pacing changes) are described in ``dialer/runner/desk.py``.

Answers: ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dialer.events import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReady
from dialer.runner.errors import ControlSocketError, RunnerError

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
_MAX_LINE = 64 * 1024


Watch = Callable[[asyncio.StreamWriter], Awaitable[None]]


class ControlServer:
    def __init__(self, path: Path, handler: Handler, watch: Watch | None = None) -> None:
        self.path = path
        self.handler = handler
        self.watch = watch
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            if await _answers(self.path):
                raise ControlSocketError(
                    f"campaign already running: {self.path} answers (stop it first)")
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                       limit=_MAX_LINE)
        os.chmod(self.path, 0o600)

    async def serve(self) -> None:
        assert self._server is not None
        try:
            async with self._server:
                await self._server.serve_forever()
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ValueError("a request is a JSON object")
                    if request.get("op") == "watch" and self.watch is not None:
                        await self.watch(writer)  # the connection is the feed's from now on
                        return
                    answer = await self.handler(request)
                except (ValueError, KeyError, TypeError) as error:
                    answer = {"ok": False, "error": f"bad request: {error}"}
                writer.write(json.dumps(answer, default=str).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()


async def _answers(path: Path) -> bool:
    try:
        await request(path, {"op": "ping"}, timeout=1.0)
    except ControlSocketError:
        return False
    return True


async def request(path: Path, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Send one request to a running campaign and return its answer."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_unix_connection(str(path), limit=16 * _MAX_LINE)
            writer.write(json.dumps(payload).encode() + b"\n")
            await writer.drain()
            line = await reader.readline()
            writer.close()
    except OSError as error:  # TimeoutError is one
        raise _unanswered(path, error) from None
    return _answer(path, line)


def _unanswered(path: Path, error: OSError) -> ControlSocketError:
    """What a request that got no answer says: no run at all, or a run that did not answer."""
    if isinstance(error, FileNotFoundError | ConnectionRefusedError):
        return ControlSocketError(
            f"no running campaign answers on {path}: start it with `dialer run CAMPAIGN`")
    return ControlSocketError(f"control socket {path} did not answer: {error}")


def _answer(path: Path, line: bytes) -> dict[str, Any]:
    """The answer's line as JSON (empty: the run closed the socket without one)."""
    if not line:
        raise ControlSocketError(f"control socket {path} closed without an answer")
    answer: dict[str, Any] = json.loads(line)
    return answer


def request_sync(path: Path, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """``request`` for the command line, on a blocking socket, without an event loop.

    Not ``asyncio.run(request(...))``: asyncio.run installs its own Ctrl-C handler, which
    only cancels its task, so a Ctrl-C that arrived while the request failed (no run
    answering, the monitor's every refresh while it waits for one) was lost, and
    `dialer monitor` could not be stopped. ``timeout`` bounds the whole exchange.
    """
    deadline = time.monotonic() + timeout
    answer = bytearray()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps(payload).encode() + b"\n")
            while b"\n" not in answer:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
                if len(answer) > 16 * _MAX_LINE:
                    raise ControlSocketError(f"control socket {path} answered too long a line")
    except OSError as error:  # TimeoutError is one
        raise _unanswered(path, error) from None
    return _answer(path, bytes(answer).partition(b"\n")[0])


_AGENT_ACTIONS = ("login", "ready", "pause", "logout", "dispose")
_OPS = ("ping, snapshot, agent, gateways, recording, supervise, campaign, pacing, "
        "campaign_state, watch, stop")


async def dispatch(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "ping":
        return {"ok": True}
    if op == "snapshot":
        from dialer.runner.monitor import runner_snapshot

        return {"ok": True, "snapshot": runner_snapshot(runner)}
    if op == "stop":
        runner.stop()
        return {"ok": True, "stopping": True}
    if op == "campaign_state":
        # The CLI changed the campaign's stored state (`dialer campaign pause/stop/...`):
        # read it now rather than at the next poll (state_follow.py).
        runner.state_follow.poke.set()
        return {"ok": True}
    if op == "agent":
        return await _agent(runner, request)
    if op == "gateways":
        return {"ok": True, "gateways": gateway_figures(runner)}
    if op == "recording":
        return _recording(runner, request)
    if op in ("supervise", "campaign", "pacing"):
        from dialer.runner import desk

        if runner.engine is None:
            return {"ok": False, "error": "the campaign is still starting; try again"}
        handler = {"supervise": desk.supervise, "campaign": desk.campaign_action,
                   "pacing": desk.pacing_change}[op]
        return await handler(runner, request)
    return {"ok": False, "error": f"unknown op {op!r} ({_OPS})"}


def _recording(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    """Start, pause, resume or stop the recording of a call (``call``) or of the call an
    agent is on (``agent``): checked now, so the answer says why when it cannot be done."""
    from dialer.engine.recordings import RecordingError
    from dialer.events import RecordingRequested

    engine = runner.engine
    if engine is None:
        return {"ok": False, "error": "the campaign is still starting; try again"}
    call_id = str(request.get("call") or "")
    agent_id = request.get("agent")
    if not call_id and agent_id:
        agent = engine.pool.agents.get(str(agent_id))
        call_id = (agent.call_id or "") if agent is not None else ""
        if not call_id:
            return {"ok": False, "error": f"agent {agent_id!r} is not on a call"}
    action = str(request.get("action", ""))
    try:
        engine.check_recording(call_id, action)
    except RecordingError as error:
        return {"ok": False, "error": str(error)}
    runner.post(RecordingRequested(runner.clock(), call_id, action))
    return {"ok": True, "call": call_id, "action": action}


def gateway_figures(runner: Runner) -> list[dict[str, Any]]:
    """The engine's gateway router figures (empty when no gateway is configured)."""
    import dataclasses

    engine = runner.engine
    router = engine.gateways if engine is not None else None
    if router is None:
        return []
    return [{**dataclasses.asdict(f), "state": f.state.value}
            for f in router.figures(runner.clock())]


async def _agent(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    action = request.get("action")
    agent_id = str(request.get("agent", ""))
    from dialer.runner import desk

    if action in desk.DESK_ACTIONS:
        if runner.engine is None:
            return {"ok": False, "error": "the campaign is still starting; try again"}
        return await desk.desk_action(runner, request)
    if action not in _AGENT_ACTIONS:
        known_actions = ", ".join((*_AGENT_ACTIONS, *desk.DESK_ACTIONS))
        return {"ok": False, "error": f"unknown agent action {action!r} ({known_actions})"}
    engine = runner.engine
    if engine is None:
        return {"ok": False, "error": "the campaign is still starting; try again"}
    now = runner.clock()
    known = agent_id in engine.pool.agents
    if action == "login":
        spec = runner.agent_spec(agent_id)
        endpoint = str(request.get("endpoint") or (spec.endpoint if spec else ""))
        if not endpoint:
            from dialer.words import did_you_mean

            return {"ok": False, "error": f"agent {agent_id!r} is not on campaign "
                    f"{runner.campaign!r} and no --endpoint was given"
                    f"{did_you_mean(agent_id, sorted(runner.link.agents))}"}
        if spec is None or spec.endpoint != endpoint:
            # Known to the store from now on: its history and calls are journaled.
            spec = await runner.db.call(runner.link.ensure_agent, agent_id, endpoint)
        runner.post(AgentLoggedIn(now, agent_id, endpoint, spec.skills))
        return {"ok": True, "agent": agent_id, "endpoint": endpoint}
    if not known:
        if runner.agent_spec(agent_id) is None:  # a typo: name it, not a login to make
            from dialer.words import did_you_mean

            known_names = sorted({*runner.link.agents, *engine.pool.agents})
            return {"ok": False, "error": f"campaign {runner.campaign!r} has no agent "
                    f"{agent_id!r}{did_you_mean(agent_id, known_names)} "
                    f"(see `dialer campaign show {runner.campaign}`)"}
        return {"ok": False, "error": f"agent {agent_id!r} is not logged in"}
    state = engine.pool.agents[agent_id].state.value
    if action == "ready":
        runner.post(AgentReady(now, agent_id))
    elif action == "pause":
        runner.post(AgentPaused(now, agent_id, str(request.get("reason", ""))))
    elif action == "logout":
        runner.post(AgentLoggedOut(now, agent_id))
    else:
        disposition = str(request.get("disposition", ""))
        if not disposition:
            return {"ok": False, "error": "dispose needs a disposition"}
        call_asked = str(request.get("call") or "")
        wraps = runner.execution.wraps
        correcting = state != "wrap_up" and wraps.correctable(agent_id, call_asked, now)
        if state != "wrap_up" and not correcting:
            # A second tab, a late click after the wrap-up timeout: say how the call was
            # recorded, not only that the agent is no longer in wrap-up.
            return {"ok": False, "error": wraps.refusal(agent_id, call_asked, now) or
                    f"agent {agent_id!r} is {state}, not in wrap-up"}
        callback_at = _time(request.get("callback_at"))
        note = str(request.get("note") or "")[:2000] or None
        # A callback is the agent's own unless they leave it to anyone.
        callback_agent = agent_id if request.get("callback_for", "me") != "anyone" else None
        try:
            code = runner.link.disposition_code(disposition)
            if runner.link.dispositions[code].dnc:
                listed = await desk.desk_action(runner, {"action": "dnc", "agent": agent_id,
                                                         "call": call_asked})
                if not listed.get("ok"):  # never "done" with the number not listed
                    return listed
            call_id = runner.dispose(agent_id, str(request.get("call") or ""), disposition,
                                     callback_at, note=note, callback_agent=callback_agent)
        except RunnerError as error:
            return {"ok": False, "error": str(error)}
        answer = {"ok": True, "agent": agent_id, "was": state, "call": call_id}
        if correcting:
            answer["message"] = (f"saved as {code}: it replaces {correcting.code}, recorded "
                                 "when the wrap-up time ran out")
        return answer
    return {"ok": True, "agent": agent_id, "was": state}


def _time(value: object) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
