"""The runner's live feed for agent desktops and wallboards (``{"op": "watch"}``).

A client sends one ``{"op": "watch"}`` line on the control socket and then only reads: a
``hello`` line (the campaign, this process, a snapshot and every agent's view), then one JSON
line per change: ``agent`` (an agent's whole view, after any change to it: state, call,
hold, consultation, preview), ``notice`` (why an agent's request was not carried out),
``offer`` (ring-all work offered), and ``snapshot`` once a second (the wallboard's figures).
Views are whole, not deltas, so a client that missed a line is right again at the next one.

A client that does not keep up (its queue of unsent lines is full) is disconnected rather
than slowing the runner down; it reconnects and starts again from a ``hello``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dialer.commands import (
    AgentNotice,
    Bridge,
    BridgeLegs,
    Command,
    HoldCall,
    OfferWork,
    OriginateConsult,
    ParkCall,
    PreviewLead,
    TransferOut,
)
from dialer.runner.callback_board import CallerClock, queue_callbacks

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

log = logging.getLogger("dialer.runner")
QUEUE_LINES = 20_000
SNAPSHOT_PERIOD = 1.0
SERVICE_LEVEL_SECONDS = 20.0
"""Inbound service level: the share of answered queue calls that waited at most this long
(the common 80/20 target's 20 seconds)."""


class Watchers:
    """The watching clients of one runner and what was last published about each agent."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[bytes | None]] = set()
        self.last_call: dict[str, dict[str, Any]] = {}
        """Agent → the call they last had (its details stay on screen during wrap-up)."""
        self.queue_stats: dict[str, list[int]] = {}
        """Queue → [answered, answered within the service-level time] since start."""

        self.caller_clock = CallerClock()
        """Queue callbacks' local times (the wallboard's list, ``callback_board``)."""

    def __bool__(self) -> bool:
        return bool(self._queues)

    def publish(self, message: dict[str, Any]) -> None:
        if not self._queues:
            return
        line = json.dumps(message, default=str, separators=(",", ":")).encode() + b"\n"
        for queue in list(self._queues):
            if queue.qsize() >= QUEUE_LINES - 1:
                self._queues.discard(queue)
                queue.put_nowait(None)  # the writer closes this client: too slow
            else:
                queue.put_nowait(line)

    async def stream(self, runner: Runner, writer: asyncio.StreamWriter) -> None:
        """Serve one watching client until it goes away (or falls behind)."""
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_LINES)
        hello = {"ok": True, "type": "hello", "campaign": runner.campaign,
                 "instance": runner.owner, "snapshot": wallboard(runner),
                 "agents": {a: agent_view(runner, a) for a in _agent_ids(runner)}}
        writer.write(json.dumps(hello, default=str).encode() + b"\n")
        self._queues.add(queue)
        try:
            await writer.drain()
            while (line := await queue.get()) is not None:
                writer.write(line)
                if queue.empty():
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            # The control server is closing (the runner stops): the feed just ends. Not
            # re-raised: asyncio's stream callback would log a cancelled client as an error.
            pass
        finally:
            self._queues.discard(queue)
            writer.close()

    def agents_changed(self, runner: Runner, agent_ids: Iterable[str]) -> None:
        for agent_id in agent_ids:
            self.publish(agent_view(runner, agent_id))

    def bridged(self, runner: Runner, call_id: str, agent_id: str, at: float) -> None:
        """Remember the call's details for the agent (and the queue's service level)."""
        engine = runner.engine
        call = engine.calls.get(call_id) if engine is not None else None
        if call is None:
            return
        details = call_details(call)
        self.last_call[agent_id] = details
        if call.queue and call.direction.value == "inbound" and call.answered_at is not None:
            stats = self.queue_stats.setdefault(call.queue, [0, 0])
            stats[0] += 1
            stats[1] += at - call.answered_at <= SERVICE_LEVEL_SECONDS

    async def publish_snapshots(self, runner: Runner) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_PERIOD)
            if self._queues:
                with contextlib.suppress(Exception):  # a snapshot must never stop the runner
                    self.publish({"type": "snapshot", **wallboard(runner)})


DESK_BOUND = frozenset({PreviewLead, AgentNotice, OfferWork})
"""Commands for agents' screens only."""
DESK_SWITCH = frozenset({HoldCall, ParkCall, TransferOut, OriginateConsult, BridgeLegs, Bridge})
"""Switch commands after which an agent's screen changes (hold, transfer, consultation)."""


class ScreenFeed:
    """The command side's view of the screens (``execution.Screens``): it tells what it
    did, this turns it into the views published to the runner's watchers."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def __bool__(self) -> bool:
        return bool(self.runner.watchers)

    def feed(self, command: Command) -> None:
        desk_feed(self.runner, command)

    def bridged(self, call_id: str, agent_id: str, at: float) -> None:
        self.runner.watchers.bridged(self.runner, call_id, agent_id, at)

    def agents_changed(self, agent_ids: Iterable[str]) -> None:
        self.runner.watchers.agents_changed(self.runner, agent_ids)


def desk_feed(runner: Runner, command: Command) -> None:
    """Publish what ``command`` changes on agents' screens (only called with watchers)."""
    watchers = runner.watchers
    if isinstance(command, AgentNotice):
        watchers.publish({"type": "notice", "campaign": runner.campaign,
                          "agent": command.agent_id, "text": command.text, "at": command.at})
        return
    if isinstance(command, OfferWork):
        for agent_id in command.agent_ids:
            watchers.publish({"type": "offer", "campaign": runner.campaign, "agent": agent_id,
                              "work": command.work_id, "kind": command.kind,
                              "deadline": command.deadline, "at": command.at})
        return
    if isinstance(command, PreviewLead | OriginateConsult):
        watchers.agents_changed(runner, (command.agent_id,))
        return
    legs = {getattr(command, name, None) for name in ("call_id", "leg_a", "leg_b")} - {None}
    engine = runner.engine
    if engine is None:
        return
    watchers.agents_changed(runner, [
        agent_id for agent_id, agent in engine.pool.agents.items()
        if agent.call_id in legs or agent.leg_id in legs])


def _agent_ids(runner: Runner) -> list[str]:
    engine = runner.engine
    known = set(runner.link.agents)
    if engine is not None:
        known |= set(engine.pool.agents)
    return sorted(known)


def _inbound_facts(call: Any) -> tuple[float | None, list[str]]:
    """An inbound call's wait (arrival in the queue to the agent) and IVR path, from the
    engine's inbound state (dialer/engine/inbound.py) when it has one."""
    inbound = getattr(call, "inbound", None)
    if call.direction.value != "inbound" or not call.bridged_at:
        return None, []
    since = call.answered_at
    ivr: list[str] = []
    if inbound is not None:
        since = inbound.line_since if inbound.line_since is not None else since
        session = inbound.session
        if session is not None:
            ivr = [*session.trail, session.menu]
            if session.keys:
                ivr.append(f"keys {session.keys}")
    return (call.bridged_at - since if since is not None else None), ivr


def call_details(call: Any) -> dict[str, Any]:
    target = call.target
    waited, ivr = _inbound_facts(call)
    return {
        "id": call.call_id, "state": call.state.value, "direction": call.direction.value,
        "lead_id": target.lead_id if target is not None else None,
        "number": call.number_e164, "queue": call.queue,
        "dialed_at": call.dialed_at, "answered_at": call.answered_at,
        "bridged_at": call.bridged_at, "held_since": call.held_since,
        "hold_seconds": call.hold_seconds, "transferred_to": call.transferred_to,
        # Inbound: how long the caller waited before an agent took the call, and the menus
        # they went through with the keys they pressed.
        "waited_s": waited, "ivr": ivr,
    }


def agent_view(runner: Runner, agent_id: str) -> dict[str, Any]:
    """Everything an agent's screen shows about them, as one JSON object."""
    engine = runner.engine
    agent = engine.pool.agents.get(agent_id) if engine is not None else None
    view: dict[str, Any] = {"type": "agent", "campaign": runner.campaign,
                            "instance": runner.owner, "agent": agent_id,
                            "at": runner.clock()}
    if agent is None:
        view.update(state="logged_out", since=None, reason="", call=None)
        return view
    call = engine.calls.get(agent.call_id) if agent.call_id else None  # type: ignore[union-attr]
    consult = engine.consults.by_agent.get(agent_id)  # type: ignore[union-attr]
    preview = engine.previews.get(agent_id)  # type: ignore[union-attr]
    wrap_call = runner.to_dispose.get(agent_id)
    last = runner.watchers.last_call.get(agent_id)
    if call is not None and agent.state.value == "on_call":
        current: dict[str, Any] | None = call_details(call)
        runner.watchers.last_call[agent_id] = current  # type: ignore[assignment]
    elif call is not None and agent.state.value == "reserved":
        # The call the agent is reserved for (a queue callback being dialed, an answered
        # call being connected): shown before it connects, so the agent knows what comes.
        current = call_details(call)
    elif wrap_call is not None and last is not None and last["id"] == wrap_call:
        current = {**last, "state": "ended"}
    else:
        current = None
    view.update(
        last_wrap=_last_wrap(runner, agent_id),
        state=agent.state.value, since=agent.since, reason=agent.reason,
        endpoint=agent.endpoint, call=current, wrap_call=wrap_call,
        wrap_deadline=agent.wrap_deadline, pause_pending=agent.pause_pending,
        logout_pending=agent.logout_pending,
        consult=None if consult is None else {"kind": consult.kind, "target": consult.target,
                                              "state": consult.state.value},
        preview=None if preview is None else {"lead_id": preview.lead_id,
                                              "number": preview.number_e164})
    return view


def _last_wrap(runner: Runner, agent_id: str) -> dict[str, Any] | None:
    """How the agent's last wrap-up ended; a fallback's with until when the agent may still
    correct it (``dispose_checks.WrapBook``)."""
    from dialer.runner.dispose_checks import CORRECTION_WINDOW, ClosedBy

    wrap = runner.execution.wraps.last.get(agent_id)
    if wrap is None:
        return None
    return {"call": wrap.call_id, "code": wrap.code, "by": wrap.by.value, "at": wrap.at,
            "correct_until": wrap.at + CORRECTION_WINDOW
            if wrap.by is ClosedBy.FALLBACK else None}


def wallboard(runner: Runner) -> dict[str, Any]:
    """The dashboard snapshot with each agent's row and the queues, for supervisors."""
    from dialer.runner.monitor import runner_snapshot

    snapshot = runner_snapshot(runner)
    engine = runner.engine
    if engine is None:
        return snapshot
    now = runner.clock()
    rows = {}
    for agent_id, agent in engine.pool.agents.items():
        call = engine.calls.get(agent.call_id) if agent.call_id else None
        rows[agent_id] = {"state": agent.state.value, "since": agent.since,
                          "reason": agent.reason, "call": agent.call_id,
                          "held": bool(call is not None and call.held_since is not None),
                          "direction": call.direction.value if call is not None else None}
    snapshot["agents"] = rows
    queues: dict[str, dict[str, Any]] = {}
    inbound = getattr(engine, "inbound", None)
    for queue in (inbound.snapshot(now) if inbound is not None else ()):
        if queue.offered or queue.waiting or queue.agents_logged_in or queue.callbacks_waiting:
            queues[queue.name] = {
                "waiting": queue.waiting, "longest_wait_s": queue.longest_wait,
                "callbacks_waiting": queue.callbacks_waiting,
                "agents_logged_in": queue.agents_logged_in,
                "agents_ready": queue.agents_ready,
                "answered": queue.answered, "abandoned": queue.abandoned,
                "service_level": queue.service_level,
                "service_level_target": queue.service_level_target,
                # The queue's own threshold (``service_level.within``), not the wallboard's
                # 20 s: a queue measured within 30 s must not be labelled "within 20 s".
                "service_level_within": inbound.queues.get(queue.name).config.service_level.within,
                "open": queue.open, "estimated_wait_s": queue.estimated_wait}
    for call in engine.calls.values():
        # Callers sent to a queue by an agent's transfer wait in the scheduler's line.
        if call.state.value == "queued" and getattr(call, "inbound", None) is None:
            entry = queues.setdefault(call.queue or "default", {"waiting": 0,
                                                                "longest_wait_s": 0.0})
            entry["waiting"] += 1
            entry["longest_wait_s"] = max(entry["longest_wait_s"],
                                          now - (call.answered_at or now))
    for name, (answered, in_time) in runner.watchers.queue_stats.items():
        entry = queues.setdefault(name, {"waiting": 0, "longest_wait_s": 0.0})
        if "service_level" not in entry:  # the engine's queues measure their own
            entry.update(answered=answered,
                         service_level=in_time / answered if answered else None)
    snapshot["queues"] = queues
    snapshot["queue_callbacks"] = queue_callbacks(runner, now)
    snapshot["service_level_seconds"] = SERVICE_LEVEL_SECONDS
    snapshot["dialing_paused"] = engine.dialing_paused
    snapshot["previews"] = len(engine.previews)
    return snapshot

