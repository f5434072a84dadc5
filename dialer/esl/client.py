"""The supervised event-socket client: one owner task keeps one switch connection alive.

``async with EslClient(url, events=[...]) as client`` starts a supervisor task (inside a
TaskGroup owned by the client) that connects, authenticates, subscribes, reads, watches the
switch's HEARTBEAT (every 20 s by default on FreeSWITCH), and after any loss reconnects with
exponential backoff. ``client.connected`` and ``await client.wait_connected()`` let the runner
stop dialing while the switch is away; every command raises ``EslConnectionError`` at once
while disconnected, so nothing is queued to be sent later by surprise.

A wrong password is not retried: the client enters ``FAILED`` and ``wait_connected``/``events``
raise the ``EslAuthError``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from dialer.esl.connection import EslConnection
from dialer.esl.errors import EslAuthError, EslConnectionError, EslError
from dialer.esl.event import Event
from dialer.esl.url import EslUrl, parse_esl_url

# Events the client itself needs: job results and the liveness signal.
_INTERNAL_EVENTS = ("BACKGROUND_JOB", "HEARTBEAT")
log = logging.getLogger("dialer.esl")


class ConnectionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # lost; a reconnect is scheduled
    FAILED = "failed"              # will not retry (bad password)
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``initial × factor^n`` capped at ``maximum``, ± ``jitter`` share."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor ** attempt)
        return base * (1 + self.jitter * (2 * rng.random() - 1))


class EslClient:
    """A supervised connection to one switch.

    ``events``: event names to subscribe to (``ALL``, ``CHANNEL_ANSWER``, ``CUSTOM avmd::beep``);
    ``filters``: ``(header, value)`` pairs sent as ``filter`` commands; ``event_format``:
    ``plain`` or ``json``. Subscriptions and filters are re-applied after every reconnect.
    ``heartbeat_timeout``: seconds without a HEARTBEAT after which the link is declared dead.
    ``stall_timeout``: seconds a frame may stay half received (FreeSWITCH writes each frame
    at once: a frame that does not complete means a corrupt length or a dead peer).
    ``on_event``: called (on the event loop, in arrival order) for every delivered event; without
    it events wait in an unbounded queue for ``events()``. A callback that raises stops the
    client: the error surfaces from ``async with`` (errors never vanish).
    """

    def __init__(self, url: EslUrl | str, *, events: Iterable[str] = (),
                 filters: Iterable[tuple[str, str]] = (), event_format: str = "plain",
                 heartbeat_timeout: float = 45.0, connect_timeout: float = 10.0,
                 stall_timeout: float = 10.0, backoff: Backoff = Backoff(),
                 rng: random.Random | None = None,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.url = parse_esl_url(url) if isinstance(url, str) else url
        self._events = [name.strip() for name in events if name.strip()]
        self._filters = list(filters)
        self._format = event_format
        self._heartbeat_timeout = heartbeat_timeout
        self._stall_timeout = stall_timeout
        self._connect_timeout = connect_timeout
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._callback = on_event
        self._deliver_all = False
        self._delivered: set[str] = set()
        self._refresh_delivery()
        self._connection: EslConnection | None = None
        self._state = ConnectionState.DISCONNECTED
        self._state_changed = asyncio.Condition()
        self._listeners: list[Callable[[ConnectionState], None]] = []
        self._failure: EslError | None = None
        self._group: asyncio.TaskGroup | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.connects = 0  # successful connections so far (observability, tests)
        self.losses = 0    # links lost after being connected
        self.last_error: str | None = None
        """Why the link was last lost or refused (for status lines and logs)."""

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> EslClient:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._supervisor = self._group.create_task(self._supervise(), name=f"esl {self.url}")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
        assert self._group is not None
        # The body's own exception (if any) propagates unwrapped; only a crash of the
        # supervisor itself surfaces as an ExceptionGroup.
        await self._group.__aexit__(None, None, None)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        await self._set_state(ConnectionState.CLOSED)
        self._queue.put_nowait(None)

    # --- state -----------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        """True only while an authenticated, subscribed connection is up (a lost socket reads
        as disconnected at once, before the supervisor has noticed)."""
        connection = self._connection
        return (self._state is ConnectionState.CONNECTED and connection is not None
                and not connection.closed)

    def add_state_listener(self, listener: Callable[[ConnectionState], None]) -> None:
        """Call ``listener(state)`` on every state change (from the event loop)."""
        self._listeners.append(listener)

    async def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        self._state = state
        for listener in self._listeners:
            listener(state)
        async with self._state_changed:
            self._state_changed.notify_all()

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Return once connected; raise the fatal error if the client gave up."""
        async with asyncio.timeout(timeout), self._state_changed:
            while not self.connected:
                if self._failure is not None:
                    raise self._failure
                if self._state is ConnectionState.CLOSED:
                    raise EslConnectionError(f"client for {self.url} is closed")
                await self._state_changed.wait()

    # --- supervision -----------------------------------------------------------------------

    async def _supervise(self) -> None:
        try:
            await self._supervise_links()
        except BaseException as error:
            # Whatever ends the supervisor (cancellation at close, or a bug), the state must
            # not keep saying "connected" about a link nobody reads any more.
            self._connection = None
            if not isinstance(error, asyncio.CancelledError):
                log.error("event socket %s: supervisor stopped: %r", self.url, error)
                await self._set_state(ConnectionState.FAILED)
            raise

    async def _supervise_links(self) -> None:
        attempt = 0
        while True:
            await self._set_state(ConnectionState.CONNECTING)
            try:
                connection = await EslConnection.open(self.url, self._on_event,
                                                      self._connect_timeout)
            except EslAuthError as error:
                self._failure = error
                self.last_error = str(error)
                log.error("event socket %s: %s (not retrying)", self.url, error)
                await self._set_state(ConnectionState.FAILED)
                self._queue.put_nowait(None)
                return
            except EslError as error:
                await self._set_state(ConnectionState.DISCONNECTED)
                delay = self._backoff.delay(attempt, self._rng)
                if attempt == 0 or str(error) != self.last_error:
                    log.warning("event socket %s: %s; retrying in %.1f s", self.url, error, delay)
                self.last_error = str(error)
                await asyncio.sleep(delay)
                attempt += 1
                continue
            self._connection = connection
            reason = "closed"
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(connection.run())
                    await self._subscribe(connection)
                    if self.connects:
                        log.warning("event socket %s: connected again (link %d)", self.url,
                                    self.connects + 1)
                    else:
                        log.info("event socket %s: connected", self.url)
                    attempt = 0
                    self.connects += 1
                    await self._set_state(ConnectionState.CONNECTED)
                    group.create_task(self._watch_link(connection))
                    # Keep the body waiting until a child ends the link: on Python 3.11 a
                    # child failing while the group is already in ``__aexit__`` cancels this
                    # task without ever un-cancelling it (fixed in 3.12), so every link loss
                    # would leak one pending cancellation request on the supervisor. Failing
                    # during the body, the group un-cancels it as it should.
                    await asyncio.get_running_loop().create_future()
            except* EslError as group:
                reason = "; ".join(str(error) for error in group.exceptions)
            finally:
                self._connection = None
                await connection.close()
            self.losses += 1
            self.last_error = reason
            await self._set_state(ConnectionState.DISCONNECTED)
            delay = self._backoff.delay(attempt, self._rng)
            log.warning("event socket %s: link lost (%s); reconnecting in %.1f s", self.url,
                        reason, delay)
            await asyncio.sleep(delay)
            attempt += 1

    async def _subscribe(self, connection: EslConnection) -> None:
        names = [n for n in self._events if n.split()[0].upper() != "CUSTOM"]
        customs = [n.split(maxsplit=1)[1] for n in self._events
                   if n.split()[0].upper() == "CUSTOM" and len(n.split()) > 1]
        wanted = [*names, *_INTERNAL_EVENTS] + (["CUSTOM", *customs] if customs else [])
        await connection.checked_command(f"event {self._format} {' '.join(wanted)}")
        if self._filters:
            # A filter drops every event it does not match: keep liveness and job results.
            for name in _INTERNAL_EVENTS:
                await connection.checked_command(f"filter Event-Name {name}")
        for header, value in self._filters:
            await connection.checked_command(f"filter {header} {value}")

    async def _watch_link(self, connection: EslConnection) -> None:
        """The liveness watchdog: HEARTBEATs must keep coming, and no frame may stay half
        received (a Content-Length larger than its data would otherwise swallow every
        frame behind it until the heartbeat timeout)."""
        loop = asyncio.get_running_loop()
        connection.last_heartbeat = loop.time()
        period = min(1.0, self._heartbeat_timeout / 4, self._stall_timeout / 4)
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            silent = now - connection.last_heartbeat
            if silent > self._heartbeat_timeout:
                raise EslConnectionError(f"no HEARTBEAT from {self.url} for {silent:.1f} s")
            started = connection.partial_since
            if started is not None and now - started > self._stall_timeout:
                raise EslConnectionError(
                    f"a frame from {self.url} stayed incomplete for {now - started:.1f} s "
                    "(corrupt Content-Length?)")

    def _on_event(self, event: Event) -> None:
        name = event.name
        if self._deliver_all or name in self._delivered or (
                name == "CUSTOM" and "CUSTOM" in self._delivered):
            if self._callback is not None:
                self._callback(event)
            else:
                self._queue.put_nowait(event)

    # --- use -------------------------------------------------------------------------------

    def _live(self) -> EslConnection:
        connection = self._connection
        if connection is None or not self.connected:
            if self._failure is not None:
                raise self._failure
            raise EslConnectionError(f"not connected to {self.url} ({self._state})")
        return connection

    async def api(self, command: str, timeout: float | None = 30.0) -> str:
        return await self._live().api(command, timeout)

    async def bgapi(self, command: str, job_uuid: str | None = None,
                    timeout: float | None = 30.0) -> tuple[str, asyncio.Future[str]]:
        return await self._live().bgapi(command, job_uuid, timeout)

    async def bgapi_result(self, command: str, timeout: float | None = 120.0) -> str:
        """Run ``bgapi`` and wait for the BACKGROUND_JOB's output."""
        _, result = await self.bgapi(command)
        async with asyncio.timeout(timeout):
            return await result

    async def command(self, line: str, timeout: float | None = 30.0) -> str:
        """Any command answered by ``command/reply`` (``filter``, ``nixevent``...); its text."""
        reply = await self._live().command(line, timeout=timeout)
        return reply.reply_text

    async def subscribe(self, *names: str) -> None:
        """``event <format> <names>`` now and after every reconnect."""
        wanted = [name for name in names if name.strip()]
        await self._live().checked_command(f"event {self._format} {' '.join(wanted)}")
        self._events.extend(wanted)
        self._refresh_delivery()

    async def unsubscribe(self, *names: str) -> None:
        """``nixevent <names>`` (the client's own HEARTBEAT/BACKGROUND_JOB stay on)."""
        dropped = {name.upper() for name in names}
        kept = [name for name in dropped if name not in _INTERNAL_EVENTS]
        if kept:
            await self._live().checked_command(f"nixevent {' '.join(kept)}")
        self._events = [n for n in self._events if n.upper() not in dropped]
        self._refresh_delivery()

    async def noevents(self) -> None:
        """``noevents``, then the client's own subscriptions again (liveness, jobs)."""
        connection = self._live()
        await connection.command("noevents")
        await connection.checked_command(f"event {self._format} {' '.join(_INTERNAL_EVENTS)}")
        self._events = []
        self._refresh_delivery()

    async def add_filter(self, header: str, value: str) -> None:
        """``filter <header> <value>`` now and after every reconnect."""
        connection = self._live()
        if not self._filters:
            for name in _INTERNAL_EVENTS:
                await connection.checked_command(f"filter Event-Name {name}")
        await connection.checked_command(f"filter {header} {value}")
        self._filters.append((header, value))

    async def delete_filter(self, header: str, value: str | None = None) -> None:
        connection = self._live()
        await connection.checked_command(
            f"filter delete {header}" + (f" {value}" if value is not None else ""))
        self._filters = [(h, v) for h, v in self._filters
                         if not (h == header and (value is None or v == value))]
        if not self._filters:  # the liveness filters alone would still drop everything else
            for name in _INTERNAL_EVENTS:
                await connection.checked_command(f"filter delete Event-Name {name}")

    def _refresh_delivery(self) -> None:
        self._deliver_all = any(name.upper() == "ALL" for name in self._events)
        self._delivered = {name.split()[0].upper() for name in self._events}

    async def events(self) -> AsyncIterator[Event]:
        """Events in arrival order until the client is closed or fails."""
        while True:
            event = await self._queue.get()
            if event is None:
                if self._failure is not None:
                    raise self._failure
                return
            yield event
