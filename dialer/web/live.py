"""The web tier's live view of the running campaigns, and its fan-out to browsers.

``Directory`` finds the campaigns' control sockets (``<data>/run/*.sock``: one per runner
process, several campaigns and several processes per campaign alike) and keeps one
``RunnerLink`` per socket following the runner's watch feed (dialer/runner/watch.py). Every
line that arrives updates the link's copy of the agents and the wallboard snapshot and is
handed to the ``Hub``, which writes it once as a Server-Sent Event and queues the same bytes
for the pages entitled to it: an agent's own page, and the supervisor pages of the campaign.
A page that does not keep up is dropped (its browser reconnects by itself and gets the whole
state again), so one slow browser never holds the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.runner.control import request as control_request
from dialer.runner.errors import ControlSocketError

log = logging.getLogger("dialer.web")
SCAN_PERIOD = 2.0
RECONNECT_DELAY = 1.0
PAGE_QUEUE = 2_000
BUSY = ("reserved", "on_call")
"""States where a pause or log-out is only marked pending (the engine's AgentPool)."""
REFRESH_TRIES = 40
REFRESH_STEP = 0.05
"""How long (40 × 50 ms at most) a pause or log-out's answer waits for the runner to apply
it before the agent's view is published anyway unchanged (then nothing is sent)."""


def sse(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n" \
        .encode()


@dataclass(eq=False)
class Page:
    """One connected browser page: its events wait in ``queue`` (None: closed)."""

    campaign: str
    agent: str | None
    """An agent page follows one agent; a supervisor page (None) the whole campaign."""
    queue: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(PAGE_QUEUE))
    dropped: bool = False

    def put(self, data: bytes) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= PAGE_QUEUE - 1:
            self.dropped = True
            self.queue.put_nowait(None)
        else:
            self.queue.put_nowait(data)


class Hub:
    """Pages by what they follow; each message is encoded once for all its pages."""

    def __init__(self) -> None:
        self.agent_pages: dict[tuple[str, str], set[Page]] = {}
        self.campaign_pages: dict[str, set[Page]] = {}

    def add(self, page: Page) -> None:
        if page.agent is None:
            self.campaign_pages.setdefault(page.campaign, set()).add(page)
        else:
            self.agent_pages.setdefault((page.campaign, page.agent), set()).add(page)

    def remove(self, page: Page) -> None:
        pages = (self.campaign_pages.get(page.campaign) if page.agent is None
                 else self.agent_pages.get((page.campaign, page.agent)))
        if pages is not None:
            pages.discard(page)

    @property
    def pages(self) -> int:
        return sum(map(len, self.agent_pages.values())) + sum(
            map(len, self.campaign_pages.values()))

    def dispatch(self, campaign: str, message: dict[str, Any]) -> None:
        kind = message.get("type")
        supervisors = self.campaign_pages.get(campaign)
        agent = message.get("agent")
        agents = self.agent_pages.get((campaign, agent)) if agent else None
        if kind == "link":
            # A runner process came or went: every page of the campaign is told (an agent
            # on that process has no dialer behind their desktop any more).
            data = sse("link", message)
            for (page_campaign, _), pages in self.agent_pages.items():
                if page_campaign == campaign:
                    for page in list(pages):
                        page.put(data)
            for page in list(supervisors or ()):
                page.put(data)
            return
        if kind == "snapshot":
            if supervisors:
                data = sse("snapshot", message)
                for page in list(supervisors):
                    page.put(data)
            return
        if not supervisors and not agents:
            return
        data = sse(str(kind), message)
        if agents:
            for page in list(agents):
                page.put(data)
        if supervisors and kind == "agent":
            for page in list(supervisors):
                page.put(data)


class RunnerLink:
    """One runner process's control socket and what its watch feed said last."""

    def __init__(self, path: Path, hub: Hub) -> None:
        self.path = path
        self.hub = hub
        self.campaign: str | None = None
        self.instance: str | None = None
        self.connected = False
        self.agents: dict[str, dict[str, Any]] = {}
        self.snapshot: dict[str, Any] = {}
        self.received_at = 0.0

    async def run(self) -> None:
        """Follow the feed; reconnect after a drop (the runner restarting, a slow read)."""
        while True:
            try:
                await self._follow()
            except (OSError, ValueError, asyncio.IncompleteReadError) as error:
                log.debug("watch %s: %s", self.path, error)
            except Exception:
                log.exception("watch %s failed; reconnecting", self.path)
            if self.connected and self.campaign:
                self.hub.dispatch(self.campaign, {"type": "link", "connected": False,
                                                  "instance": self.instance})
            self.connected = False
            await asyncio.sleep(RECONNECT_DELAY)

    async def _follow(self) -> None:
        reader, writer = await asyncio.open_unix_connection(str(self.path), limit=2 ** 24)
        try:
            writer.write(b'{"op": "watch"}\n')
            await writer.drain()
            hello = json.loads(await reader.readline() or b"{}")
            if hello.get("type") != "hello":
                raise ValueError(f"no watch feed on {self.path}: {hello}")
            self.campaign, self.instance = hello["campaign"], hello["instance"]
            self.agents = dict(hello.get("agents") or {})
            self.snapshot = dict(hello.get("snapshot") or {})
            self.connected = True
            for view in self.agents.values():
                self.hub.dispatch(self.campaign, view)
            while line := await reader.readline():
                self._apply(json.loads(line))
        finally:
            writer.close()

    def _apply(self, message: dict[str, Any]) -> None:
        self.received_at = time.time()
        kind = message.get("type")
        if kind == "agent":
            self.agents[message["agent"]] = message
        elif kind == "snapshot":
            self.snapshot = message
        assert self.campaign is not None
        self.hub.dispatch(self.campaign, message)

    async def refresh_agent(self, agent: str, was: dict[str, Any] | None,
                            tries: int = REFRESH_TRIES) -> None:
        """Publish the agent's view once the runner has applied a pause or log-out asked
        for during a call. Such a request only marks it pending (no state changes until the
        call ends), so the runner's feed says nothing, and the desktop and the wallboard
        showed no "pause after this call" although the request was taken."""
        if (was or {}).get("state") not in BUSY:
            return  # a free agent's pause or log-out changes its state: the feed says it
        for _ in range(tries):
            answer = await self.request({"op": "agent", "action": "view", "agent": agent})
            view = answer.get("view") if answer.get("ok") else None
            if not isinstance(view, dict):
                return
            if _pending(view) != _pending(was or {}) or view.get("state") != (
                    was or {}).get("state"):
                current = self.agents.get(agent) or {}
                if self.campaign and float(view.get("at") or 0) >= float(
                        current.get("at") or 0):
                    self.agents[agent] = view
                    self.hub.dispatch(self.campaign, view)
                return
            await asyncio.sleep(REFRESH_STEP)

    async def request(self, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        try:
            return await control_request(self.path, payload, timeout)
        except ControlSocketError as error:
            return {"ok": False, "error": str(error)}


def _pending(view: dict[str, Any]) -> tuple[Any, Any]:
    return view.get("pause_pending"), view.get("logout_pending")


class Directory:
    """Every runner on this machine (by its control socket), found and followed."""

    def __init__(self, run_dir: Path, hub: Hub) -> None:
        self.run_dir = run_dir
        self.hub = hub
        self.links: dict[Path, RunnerLink] = {}
        self._tasks: dict[Path, asyncio.Task[None]] = {}

    async def run(self) -> None:
        try:
            while True:
                self.scan()
                await asyncio.sleep(SCAN_PERIOD)
        finally:
            for task in self._tasks.values():
                task.cancel()
            for task in self._tasks.values():
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def scan(self) -> None:
        present = set(self.run_dir.glob("*.sock")) if self.run_dir.is_dir() else set()
        for path in present - set(self.links):
            link = RunnerLink(path, self.hub)
            self.links[path] = link
            self._tasks[path] = asyncio.get_running_loop().create_task(
                link.run(), name=f"watch {path.name}")
        for path in set(self.links) - present:
            self._tasks.pop(path).cancel()
            link = self.links.pop(path)
            if link.connected and link.campaign:
                # A runner that stopped cleanly removes its socket: the scan can see that
                # before its feed's end is read, and the cancelled follow tells nobody, so
                # the pages are told here (else they kept showing it as live).
                link.connected = False
                self.hub.dispatch(link.campaign, {"type": "link", "connected": False,
                                                  "instance": link.instance})

    def of_campaign(self, campaign: str) -> list[RunnerLink]:
        return [link for link in self.links.values()
                if link.connected and link.campaign == campaign]

    def campaigns(self) -> set[str]:
        return {link.campaign for link in self.links.values()
                if link.connected and link.campaign}

    def agent_views(self, campaign: str) -> Iterator[dict[str, Any]]:
        """Every agent of the campaign, logged in on whichever process (logged-in first)."""
        seen: dict[str, dict[str, Any]] = {}
        for link in self.of_campaign(campaign):
            for agent_id, view in link.agents.items():
                if agent_id not in seen or seen[agent_id].get("state") == "logged_out":
                    seen[agent_id] = view
        yield from (seen[a] for a in sorted(seen))

    def agent_view(self, campaign: str, agent: str) -> dict[str, Any] | None:
        found = None
        for link in self.of_campaign(campaign):
            view = link.agents.get(agent)
            if view is not None and (found is None or view.get("state") != "logged_out"):
                found = view
        return found

    def link_for_agent(self, campaign: str, agent: str) -> RunnerLink | None:
        """The process the agent is logged in on; for a login, the least staffed one."""
        links = self.of_campaign(campaign)
        for link in links:
            view = link.agents.get(agent)
            if view is not None and view.get("state") != "logged_out":
                return link
        if not links:
            return None
        return min(links, key=lambda link: sum(
            v.get("state") != "logged_out" for v in link.agents.values()))
