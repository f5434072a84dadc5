"""The event-socket server of the simulated switch (FreeSWITCH inbound mode).

One ``Listener`` per TCP connection does what mod_event_socket's listener thread does
(reference §1.5-1.8, §6): greeting, ``auth``, command replies with the exact texts, ``api``
that blocks the socket (events queue up until the api/response is written), ``bgapi`` with
Job-UUID, subscriptions (``event``/``nixevent``/``noevents``/``myevents``), filters with
FreeSWITCH's matching rules, ``log``/``nolog``, ``exit``, the 25 s auth timeout.

Writes are batched: everything produced in one event-loop turn goes out in one ``write``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid as uuid_module

from dialer.esl.event import Event, serialize_json, serialize_plain, serialize_xml
from dialer.esl.protocol import (
    GOODBYE,
    ClientCommand,
    ServerProtocol,
    api_response_bytes,
    auth_request_bytes,
    bgapi_reply_bytes,
    command_reply_bytes,
    disconnect_notice_bytes,
    event_bytes,
    log_data_bytes,
)
from simulations.switch.api import SwitchApi
from simulations.switch.origination import JobResult
from simulations.switch.subscriptions import MYEVENTS, Subscription
from simulations.switch.switch import CALLING, Switch

AUTH_TIMEOUT = 25.0  # mod_event_socket closes a socket that has not sent a command by then
# A client that stops reading is dropped once this much is queued for it (FreeSWITCH kills a
# listener after 500 events it could not queue; bytes are the asyncio equivalent).
MAX_UNSENT = 64 * 1024 * 1024
LOST_EVENTS = "killed listener because of lost events\n"
_SERIALIZERS = {"plain": serialize_plain, "json": serialize_json, "xml": serialize_xml}
_LOG_LEVELS = {"console": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4,
               "notice": 5, "info": 6, "debug": 7}
class Listener(Subscription):
    """One client connection."""

    def __init__(self, server: SwitchServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__()
        self.server = server
        self.switch = server.switch
        self.reader = reader
        self.writer = writer
        self.protocol = ServerProtocol()
        self.authed = False
        self.logging = False
        self.log_level = 7
        self.blocked = False           # an ``api`` command is running
        self._held: list[bytes] = []   # events queued while blocked
        self._out = bytearray()
        self._flush_scheduled = False
        self.running = True

    # --- output ----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self._out += data
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.switch.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and not self.writer.is_closing():
            self.writer.write(bytes(self._out))
            if self.writer.transport.get_write_buffer_size() > MAX_UNSENT:
                # mod_event_socket drops a listener that cannot keep up (MAX_MISSED events).
                self.writer.write(disconnect_notice_bytes(LOST_EVENTS))
                self.running = False
                self.writer.transport.abort()
        self._out.clear()

    # --- subscription (Subscriber protocol) --------------------------------------------------

    def offer(self, event: Event, cache: dict[str, bytes]) -> None:
        if self.filters and not self.passes_filters(event):
            return
        if (self.myevents and self.session_uuid is not None
                and event.get("Unique-ID") != self.session_uuid
                and event.name != "BACKGROUND_JOB"):
            return
        data = cache.get(self.format)
        if data is None:
            data = event_bytes(_SERIALIZERS[self.format](event), self.format)
            cache[self.format] = data
        if self.blocked:
            self._held.append(data)
        else:
            self.send(data)
        if (self.session_uuid is not None and event.name == "CHANNEL_DESTROY"
                and event.get("Unique-ID") == self.session_uuid):
            # An attached session ended (no linger): notice, then close, as MES does.
            self.send(disconnect_notice_bytes(GOODBYE, self.session_uuid))
            self.running = False
            self.switch.loop.call_soon(self._close_after_flush)

    def _close_after_flush(self) -> None:
        self._flush()
        self.writer.close()

    # --- command loop ------------------------------------------------------------------------

    async def run(self) -> None:
        self.send(auth_request_bytes())
        try:
            async with asyncio.timeout(AUTH_TIMEOUT) as deadline:
                while self.running:
                    command = self.protocol.next_command()
                    if command is None:
                        data = await self.reader.read(65536)
                        if not data:
                            return
                        self.protocol.receive_data(data)
                        continue
                    deadline.reschedule(None)
                    await self.handle(command)
        except TimeoutError:
            self.send(disconnect_notice_bytes(GOODBYE))
        except (ConnectionError, OSError):
            return
        finally:
            self._stop_logging()
            self._flush()
            with contextlib.suppress(Exception):
                self.writer.close()

    async def handle(self, command: ClientCommand) -> None:
        line = command.line
        lowered = line.lower()
        if lowered.startswith(("exit", "...")):
            self.reply("+OK bye")
            self._goodbye()
            return
        if not self.authed:
            if lowered.startswith("auth "):
                if line[5:] == self.server.password:
                    self.authed = True
                    self.reply("+OK accepted")
                else:
                    self.reply("-ERR invalid")
                    self._goodbye()
                return
            self.reply("-ERR command not found")
            return
        if lowered.startswith("filter "):
            self.reply(self.filter_command(line[7:]))
        elif lowered.startswith("myevents"):
            self.reply(self._myevents(line))
        elif lowered.startswith("api "):
            await self._api(line[4:])
        elif lowered.startswith("bgapi "):
            self._bgapi(line[6:], command.header("Job-UUID"))
        elif lowered.startswith("log"):
            level = line[3:].strip().split(" ")[0] or "debug"
            number = int(level) if level.isdigit() and int(level) <= 7 else (
                _LOG_LEVELS.get(level.lower()))
            if number is None:
                self.reply("-ERR invalid log level")
            else:
                if not self.logging:
                    self.switch.log_sinks.append(self.log_line)
                self.logging, self.log_level = True, number
                self.reply(f"+OK log level {level} [{number}]")
        elif lowered.startswith(("linger", "nolinger")):
            self.reply("-ERR not controlling a session")
        elif lowered.startswith("nolog"):
            self.reply("+OK no longer logging" if self.logging else "-ERR not loging")
            self._stop_logging()
        elif lowered.startswith("event"):
            self.reply(self.event_command(line))
        elif lowered.startswith("nixevent"):
            self.reply(self.nixevent_command(line))
        elif lowered.startswith("noevents"):
            self.reply(self.noevents())
        elif lowered.startswith("sendmsg"):
            self.reply(self._sendmsg(line, command))
        else:
            self.reply("-ERR command not found")

    def log_line(self, level: int, file: str, func: str, line: int, text: str,
                 uuid: str) -> None:
        if level <= self.log_level:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.switch.clock()))
            levels = ("CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG")
            message = f"{stamp} [{levels[level]}] {file}:{line} {text}\n"
            data = log_data_bytes(message, level, file=file, func=func, line=line,
                                  user_data=uuid)
            if self.blocked:
                self._held.append(data)
            else:
                self.send(data)

    def _stop_logging(self) -> None:
        if self.logging:
            self.logging = False
            with contextlib.suppress(ValueError):
                self.switch.log_sinks.remove(self.log_line)

    def reply(self, text: str) -> None:
        self.send(command_reply_bytes(text))

    def _goodbye(self) -> None:
        self.send(disconnect_notice_bytes(GOODBYE))
        self.running = False

    # --- commands --------------------------------------------------------------------------

    def _myevents(self, line: str) -> str:
        if self.myevents:
            return "-ERR aready enabled."
        words = line.split()
        if self.session_uuid is None:
            if len(words) < 2:
                return "-ERR command not found"
            if words[1] not in self.switch.channels:
                if len(words) > 2:
                    return "-ERR invalid uuid"
            else:
                self.session_uuid = words[1]
        if len(words) > 2 and words[2].lower() in _SERIALIZERS:
            self.format = words[2].lower()
        self.names |= MYEVENTS
        self.myevents = self.events_on = True
        return "+OK Events Enabled"

    def _sendmsg(self, line: str, command: ClientCommand) -> str:
        words = line.split()
        channel = self.switch.channels.get(words[1]) if len(words) > 1 else None
        if channel is None:
            return f"-ERR invalid session id [{words[1] if len(words) > 1 else ''}]"
        call_command = (command.header("call-command") or "").lower()
        if call_command == "hangup":
            cause = (command.header("hangup-cause") or "NORMAL_CLEARING").upper()
            self.switch.hangup(channel, cause, "send_bye")
        elif call_command == "execute":
            application = command.header("execute-app-name") or ""
            argument = command.header("execute-app-arg") or command.body or ""
            api = self.server.api
            api.uuid_broadcast(f"{channel.uuid} {application}::{argument}")
        return "+OK"

    async def _api(self, text: str) -> None:
        # api runs on the listener's thread in FreeSWITCH: events fired meanwhile (even by the
        # command itself) are written after the api/response.
        name, _, argument = text.partition(" ")
        self.blocked = True
        try:
            output = self.server.api.execute(name, argument)
            if output is None:
                output = f"-ERR {name} Command not found!\n"
            elif isinstance(output, JobResult):
                waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                output.add_callback(
                    lambda value: waiter.done() or waiter.set_result(value))
                output = await waiter
        finally:
            self.blocked = False
        self.send(api_response_bytes(output))
        held, self._held = self._held, []
        for data in held:
            self.send(data)

    def _bgapi(self, text: str, job_uuid: str | None) -> None:
        job_uuid = job_uuid or str(uuid_module.uuid4())
        self.send(bgapi_reply_bytes(job_uuid))
        name, _, argument = text.partition(" ")
        self.server.api.background(name, argument, job_uuid)


class SwitchServer:
    """The TCP side: accepts connections and runs one ``Listener`` each."""

    def __init__(self, switch: Switch, password: str = "ClueCon") -> None:
        self.switch = switch
        self.password = password
        self.api = SwitchApi(switch)
        self.listeners: set[Listener] = set()
        self._server: asyncio.Server | None = None
        self._heartbeat: asyncio.TimerHandle | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 8021) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._accept, host, port)
        self._schedule_heartbeat()
        address = self._server.sockets[0].getsockname()
        return address[0], address[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener = Listener(self, reader, writer)
        self.listeners.add(listener)
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        self.switch.bus.subscribers.append(listener)
        try:
            await listener.run()
        finally:
            self._connections.discard(task)  # type: ignore[arg-type]
            self.listeners.discard(listener)
            with contextlib.suppress(ValueError):
                self.switch.bus.subscribers.remove(listener)

    def _schedule_heartbeat(self) -> None:
        interval = self.switch.settings.heartbeat_interval
        if interval > 0:
            self._heartbeat = self.switch.loop.call_later(
                interval / self.switch.settings.speed, self._beat)

    def _beat(self) -> None:
        switch = self.switch
        up = switch.uptime()
        switch.bus.fire("HEARTBEAT", CALLING["HEARTBEAT"], lambda: [
            ("Event-Info", "System Ready"), ("Up-Time", self.api.status("").split("\n")[0][3:]),
            ("FreeSWITCH-Version", switch.identity.version),
            ("Uptime-msec", str(int(up * 1000))),
            ("Session-Count", str(len(switch.channels))),
            ("Max-Sessions", str(switch.settings.max_sessions)),
            ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"),
            ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
            ("Session-Since-Startup", str(switch.sessions_since_startup)),
            ("Session-Peak-Max", str(switch.peak_sessions)),
            ("Session-Peak-FiveMin", str(switch.peak_sessions)), ("Idle-CPU", "100.000000")])
        self._schedule_heartbeat()

    def heartbeat_now(self) -> None:
        """Fire a HEARTBEAT immediately (tests, and after a speed change)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._beat()

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._server is not None:
            self._server.close()
            for listener in list(self.listeners):
                listener.running = False
                listener._flush()
                listener.writer.close()
            if self._connections:
                await asyncio.wait(set(self._connections), timeout=2)
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()
