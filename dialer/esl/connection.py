"""One authenticated event-socket connection (inbound mode) over asyncio.

Replies are matched to commands by order, never by "the next message": FreeSWITCH answers
commands strictly in sequence on one socket but writes queued events in between (libesl keeps a
race queue for the same reason, reference §1.8). ``bgapi`` jobs are matched by ``Job-UUID``:
the client chooses the UUID and sends it as a header, so the future exists before the
BACKGROUND_JOB can arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable

from dialer.esl.errors import EslAuthError, EslCommandError, EslConnectionError, EslProtocolError
from dialer.esl.event import Event
from dialer.esl.protocol import (
    ApiResponse,
    AuthRequest,
    ClientProtocol,
    CommandReply,
    DisconnectNotice,
    EventReceived,
    Message,
    RudeRejection,
    command_bytes,
)
from dialer.esl.url import EslUrl

READ_SIZE = 256 * 1024


def _mark_retrieved(future: asyncio.Future) -> None:
    """A job result nobody awaits must not log "exception was never retrieved" when the
    connection drops; whoever awaits it still gets the exception."""
    if not future.cancelled():
        future.exception()


class EslConnection:
    """An open, authenticated connection; ``run()`` reads until the connection ends.

    ``on_event`` is called for every event in arrival order (after job futures are resolved).
    ``last_heartbeat`` / ``last_read`` are loop times, for liveness supervision.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_event: Callable[[Event], None]) -> None:
        self._reader = reader
        self._writer = writer
        self._protocol = ClientProtocol()
        self._on_event = on_event
        self._replies: deque[asyncio.Future[Message]] = deque()
        self._jobs: dict[str, asyncio.Future[str]] = {}
        self._send_lock = asyncio.Lock()
        self._closed: BaseException | None = None
        loop = asyncio.get_running_loop()
        self.last_read = self.last_heartbeat = loop.time()
        self.partial_since: float | None = None
        """Loop time since which a frame has been partly received (None: at a boundary).
        FreeSWITCH writes each frame in one go: a frame that stays incomplete for seconds
        means a corrupt length or a dead peer (the client's watchdog acts on it)."""

    @classmethod
    async def open(cls, url: EslUrl, on_event: Callable[[Event], None] = lambda event: None,
                   timeout: float = 10.0) -> EslConnection:
        """Connect and authenticate (the greeting, ``auth``, ``+OK accepted``)."""
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(url.host, url.port)
        except (OSError, TimeoutError) as error:
            raise EslConnectionError(f"cannot connect to {url}: {error or 'timed out'}") from None
        connection = cls(reader, writer, on_event)
        try:
            async with asyncio.timeout(timeout):
                greeting = await connection._read_one()
                if isinstance(greeting, RudeRejection):
                    raise EslConnectionError(f"{url} refused us: {greeting.body.strip()}")
                if not isinstance(greeting, AuthRequest):
                    raise EslProtocolError(f"{url} did not ask for auth (sent {greeting!r})")
                writer.write(command_bytes(f"auth {url.password}"))
                reply = await connection._read_one()
                if not isinstance(reply, CommandReply) or not reply.ok:
                    text = reply.reply_text if isinstance(reply, CommandReply) else repr(reply)
                    raise EslAuthError(f"{url} refused the password: {text}")
        except TimeoutError:
            await connection.close()
            raise EslConnectionError(f"{url} did not complete the handshake in {timeout} s"
                                     ) from None
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _read_one(self) -> Message:
        while (message := self._protocol.next_message()) is None:
            data = await self._reader.read(READ_SIZE)
            if not data:
                raise EslConnectionError("connection closed by the switch")
            self._protocol.receive_data(data)
        return message

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def run(self) -> None:
        """Read and dispatch until the connection ends; raises ``EslConnectionError`` then."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await self._reader.read(READ_SIZE)
                if not data:
                    raise EslConnectionError("connection closed by the switch")
                self.last_read = loop.time()
                protocol = self._protocol
                protocol.receive_data(data)
                while (message := protocol.next_message()) is not None:
                    # Only parsing is guarded: an error raised by the event callback is the
                    # caller's and surfaces as itself.
                    self._dispatch(message)
                if protocol.partial:
                    if self.partial_since is None:
                        self.partial_since = self.last_read
                else:
                    self.partial_since = None
        except (OSError, EslProtocolError) as error:
            failure = EslConnectionError(f"connection lost: {error}")
            self._fail(failure)
            raise failure from None
        except EslConnectionError as error:
            self._fail(error)
            raise

    def _dispatch(self, message: Message) -> None:
        if isinstance(message, EventReceived):
            event = message.event
            name = event.name
            if name == "HEARTBEAT":
                self.last_heartbeat = self.last_read
            elif name == "BACKGROUND_JOB":
                future = self._jobs.pop(event.get("Job-UUID") or "", None)
                if future is not None and not future.done():
                    future.set_result(event.body or "")
            self._on_event(event)
        elif isinstance(message, CommandReply | ApiResponse):
            if self._replies:
                future = self._replies.popleft()
                if not future.done():
                    future.set_result(message)
        elif isinstance(message, DisconnectNotice) and not message.linger:
            raise EslConnectionError(f"the switch ended the session: {message.body.strip()}")

    def _fail(self, error: BaseException) -> None:
        if self._closed is None:
            self._closed = error
        while self._replies:
            future = self._replies.popleft()
            if not future.done():
                future.set_exception(error)
        for future in self._jobs.values():
            if not future.done():
                future.set_exception(error)
        self._jobs.clear()

    async def _request(self, wire: bytes, timeout: float | None) -> Message:
        if self._closed is not None:
            raise EslConnectionError(f"connection is closed ({self._closed})")
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_mark_retrieved)
        async with self._send_lock:
            self._replies.append(future)
            self._writer.write(wire)
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        except TimeoutError:
            raise EslConnectionError(f"no reply within {timeout} s") from None

    async def command(self, line: str, headers: tuple[tuple[str, str], ...] = (),
                      body: str | None = None, timeout: float | None = 30.0) -> CommandReply:
        """Send a command that answers with ``command/reply`` (event, filter, sendmsg, ...)."""
        reply = await self._request(command_bytes(line, headers, body), timeout)
        if not isinstance(reply, CommandReply):
            raise EslProtocolError(f"expected a command/reply to {line!r}, got {reply!r}")
        return reply

    async def checked_command(self, line: str, timeout: float | None = 30.0) -> CommandReply:
        reply = await self.command(line, timeout=timeout)
        if not reply.ok:
            raise EslCommandError(f"{line!r}: {reply.reply_text}")
        return reply

    async def api(self, command: str, timeout: float | None = 30.0) -> str:
        """``api <command>``: the command's output. Blocks the switch's socket: not for
        originate (use ``bgapi``)."""
        reply = await self._request(command_bytes(f"api {command}"), timeout)
        if not isinstance(reply, ApiResponse):
            raise EslProtocolError(f"expected an api/response to {command!r}, got {reply!r}")
        return reply.body

    async def bgapi(self, command: str, job_uuid: str | None = None,
                    timeout: float | None = 30.0) -> tuple[str, asyncio.Future[str]]:
        """``bgapi <command>``: returns the Job-UUID and a future of the job's output.

        The future is registered before the command is written, so a BACKGROUND_JOB can never
        arrive unclaimed. It fails with ``EslConnectionError`` if the connection is lost first
        (FreeSWITCH sends the job result only on the socket that started it).
        """
        job_uuid = job_uuid or str(uuid.uuid4())
        result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        result.add_done_callback(_mark_retrieved)
        self._jobs[job_uuid] = result
        try:
            reply = await self._request(
                command_bytes(f"bgapi {command}", (("Job-UUID", job_uuid),)), timeout)
        except BaseException:
            self._jobs.pop(job_uuid, None)
            raise
        if not isinstance(reply, CommandReply) or not reply.ok:
            self._jobs.pop(job_uuid, None)
            raise EslCommandError(f"bgapi {command!r} refused: {reply!r}")
        return job_uuid, result

    async def close(self) -> None:
        """Say ``exit`` if we can, then close the socket."""
        self._fail(EslConnectionError("connection closed by us"))
        with contextlib.suppress(Exception):
            if not self._writer.is_closing():
                self._writer.write(command_bytes("exit"))
            self._writer.close()
            async with asyncio.timeout(1.0):
                await self._writer.wait_closed()
