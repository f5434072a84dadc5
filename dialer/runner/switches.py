"""The runner's switches: one supervised ESL client each, reporting up/down and events.

Each ``EslClient`` owns its reconnects (dialer.esl); this module turns a lost link into
``SwitchDown`` for the engine at once (it stops sending calls there), queues every
(re)connection on ``reconnected`` for the runner, which checks the switch (prompts,
detector), reconciles its calls and only then says ``SwitchUp``, and forwards its events,
translated, to the runner's inbox. Losing and regaining a switch is logged at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from dialer.esl.client import Backoff, ConnectionState, EslClient
from dialer.esl.errors import EslConnectionError
from dialer.esl.url import EslUrl
from dialer.events import Event, SwitchDown, SwitchUp
from dialer.runner.fsmap import SUBSCRIBED_EVENTS, EventTranslator

log = logging.getLogger("dialer.runner")


class SwitchPool:
    def __init__(self, switches: tuple[tuple[str, EslUrl], ...], campaign: str,
                 translator: EventTranslator, inbox: Callable[[Event], None],
                 clock: Callable[[], float], heartbeat_timeout: float = 45.0,
                 backoff: Backoff = Backoff()) -> None:
        self.translator = translator
        self.inbox = inbox
        self.clock = clock
        self.events_received = 0
        self.clients: dict[str, EslClient] = {
            switch_id: EslClient(url, events=SUBSCRIBED_EVENTS,
                                 heartbeat_timeout=heartbeat_timeout, backoff=backoff)
            for switch_id, url in switches}
        self.reconnected: asyncio.Queue[str] = asyncio.Queue()
        self.up: set[str] = set()
        """Switches checked and announced up to the engine."""
        for switch_id, client in self.clients.items():
            client.add_state_listener(self._listener(switch_id))

    def _listener(self, switch_id: str) -> Callable[[ConnectionState], None]:
        def changed(state: ConnectionState) -> None:
            if state is ConnectionState.CONNECTED:
                # SwitchUp comes from the runner once the switch is checked and reconciled.
                self.reconnected.put_nowait(switch_id)
            elif state in (ConnectionState.DISCONNECTED, ConnectionState.FAILED,
                           ConnectionState.CLOSED):
                if switch_id in self.up:
                    level = logging.INFO if state is ConnectionState.CLOSED else logging.WARNING
                    log.log(level, "switch %s: %s; no new calls there until it is back",
                            switch_id, state.value)
                self.up.discard(switch_id)
                self.inbox(SwitchDown(self.clock(), switch_id))
        return changed

    def mark_up(self, switch_id: str) -> None:
        """The runner checked and reconciled the switch: calls may go there again."""
        self.up.add(switch_id)
        self.inbox(SwitchUp(self.clock(), switch_id))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SwitchPool]:
        async with contextlib.AsyncExitStack() as stack:
            for client in self.clients.values():
                await stack.enter_async_context(client)
            yield self

    async def wait_connected(self, timeout: float) -> set[str]:
        """Wait up to ``timeout`` seconds (one deadline for all) until every switch is
        connected and subscribed; returns the ids of those that are. A switch that refused
        the password raises its ``EslAuthError`` at once: waiting would not help."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for client in self.clients.values():
            with contextlib.suppress(TimeoutError, EslConnectionError):
                await client.wait_connected(max(0.0, deadline - loop.time()))
        return {sid for sid, client in self.clients.items() if client.connected}

    def connected(self, switch_id: str) -> bool:
        client = self.clients.get(switch_id)
        return client is not None and client.connected

    async def pump(self, switch_id: str) -> None:
        """Forward one switch's events until its client closes (run as a task)."""
        translate = self.translator.translate
        inbox = self.inbox
        async for esl_event in self.clients[switch_id].events():
            self.events_received += 1
            for event in translate(esl_event, switch_id):
                inbox(event)

    async def live_channels(self, switch_id: str) -> set[str] | None:
        """Unique-IDs of the channels on a switch (``show channels as json``); None if down."""
        states = await self.live_channel_states(switch_id)
        return None if states is None else set(states)

    async def live_channel_states(self, switch_id: str) -> dict[str, str] | None:
        """Unique-ID → call state (``RINGING``, ``EARLY``, ``ACTIVE``, ``HELD``...) of every
        channel on a switch; None if it is down. After a reconnect this tells which legs were
        answered while the link was away (their CHANNEL_ANSWER went to the lost socket)."""
        rows = await self.live_channel_rows(switch_id)
        return None if rows is None else {uuid: row.get("callstate", "")
                                           for uuid, row in rows.items()}

    async def live_channel_rows(self, switch_id: str) -> dict[str, dict[str, str]] | None:
        """Unique-ID → the ``show channels as json`` row (callstate, application, name...)."""
        client = self.clients[switch_id]
        if not client.connected:
            return None
        import json

        text = await client.api("show channels as json", timeout=15.0)
        try:
            rows = json.loads(text).get("rows", [])
        except (ValueError, AttributeError):
            return None
        return {row.get("uuid", ""): row for row in rows if isinstance(row, dict)}
