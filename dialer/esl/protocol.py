"""The event-socket wire protocol, sans I/O (bytes in, messages out; messages in, bytes out).

Modelled on h11: ``ClientProtocol.receive_data(bytes)`` then ``next_message()`` until ``None``;
``ServerProtocol`` does the same for the commands a client sends, and the module-level
``*_bytes`` functions produce exactly the envelopes ``mod_event_socket.c`` writes (reference
§1.3: events put ``Content-Length`` before ``Content-Type``, ``api/response`` the other way
round, ``command/reply`` has no length, server lines end in ``\\n`` only).

Neither side assumes that one read is one message: frames are cut from a buffer by the blank
line and the byte count of ``Content-Length``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from dialer.esl.errors import EslProtocolError
from dialer.esl.event import Event, Header, parse_json, parse_plain, parse_xml, url_decode

# mod_event_socket's MAX_CONTENT_LENGTH (16 MiB): an ``api/response`` (``show channels as
# json`` on a busy switch) may come close to it.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
# An event is a few KiB (the largest in the real captures: 7 KiB, a HANGUP_COMPLETE with its
# CDR variables); a claimed length far above that is a corrupt or hostile frame, and trusting
# it would swallow every frame behind it until the link is declared dead.
MAX_EVENT_LENGTH = 1024 * 1024
# FreeSWITCH's envelopes are ~150 bytes (an outbound ``connect`` reply carries the channel
# data, a few KiB). A longer block without its blank line is not event-socket framing.
MAX_HEADER_BLOCK = 64 * 1024
# Commands a server reads: ``sendmsg`` headers can be long, never this long.
MAX_COMMAND_BLOCK = 1024 * 1024
_EVENT_TYPES = frozenset({"text/event-plain", "text/event-json", "text/event-xml", "log/data"})

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
SHUTDOWN = "The system is being shut down.\n"


class ContentType(StrEnum):
    AUTH_REQUEST = "auth/request"
    COMMAND_REPLY = "command/reply"
    API_RESPONSE = "api/response"
    EVENT_PLAIN = "text/event-plain"
    EVENT_JSON = "text/event-json"
    EVENT_XML = "text/event-xml"
    DISCONNECT_NOTICE = "text/disconnect-notice"
    LOG_DATA = "log/data"
    RUDE_REJECTION = "text/rude-rejection"


@dataclass(frozen=True, slots=True)
class Frame:
    """One message as framed on the wire: envelope headers in order, then the body bytes."""

    headers: tuple[Header, ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""


# --- typed messages (server → client) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """The greeting: the switch wants ``auth <password>``."""


@dataclass(frozen=True, slots=True)
class CommandReply:
    """``command/reply``: ``Reply-Text`` plus any extra headers (``Job-UUID`` after bgapi)."""

    reply_text: str
    headers: tuple[Header, ...] = ()

    @property
    def ok(self) -> bool:
        return self.reply_text.startswith("+OK")

    @property
    def job_uuid(self) -> str | None:
        for key, value in self.headers:
            if key.lower() == "job-uuid":
                return value
        return None


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """``api/response``: the command's output (``+OK …``, ``-ERR …``, or data)."""

    body: str

    @property
    def ok(self) -> bool:
        return not self.body.startswith(("-ERR", "-USAGE"))


@dataclass(frozen=True, slots=True)
class EventReceived:
    """An event in one of the three formats, parsed into an ``Event``."""

    event: Event
    format: str  # "plain" | "json" | "xml"


@dataclass(frozen=True, slots=True)
class DisconnectNotice:
    """``text/disconnect-notice``; ``linger`` notices do not end the connection."""

    body: str
    headers: tuple[Header, ...] = ()

    @property
    def linger(self) -> bool:
        return any(k.lower() == "content-disposition" and v == "linger" for k, v in self.headers)


@dataclass(frozen=True, slots=True)
class LogData:
    """``log/data`` after the ``log`` command."""

    text: str
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class RudeRejection:
    """``text/rude-rejection``: the switch's ACL refused this address."""

    body: str


@dataclass(frozen=True, slots=True)
class UnknownMessage:
    """A frame of a content type this module does not know (kept, never dropped)."""

    frame: Frame


Message = (
    AuthRequest
    | CommandReply
    | ApiResponse
    | EventReceived
    | DisconnectNotice
    | LogData
    | RudeRejection
    | UnknownMessage
)


# --- framing -------------------------------------------------------------------------------


class FrameReader:
    """Cuts frames out of a byte stream fed in arbitrary pieces.

    ``decode_values`` URL-decodes envelope header values as libesl does (FreeSWITCH only
    encodes them in the outbound ``connect`` reply, where ``Reply-Text: %2BOK%0A`` means
    ``+OK\\n``); a server reading commands keeps them raw, as mod_event_socket does.
    Empty lines before a header block are skipped.

    The search for a header block's blank line resumes where the previous read left it, so a
    block arriving in many small reads costs linear, not quadratic, time; a block longer than
    ``MAX_HEADER_BLOCK`` and a body longer than its content type allows are refused at once
    (``EslProtocolError``) instead of being waited for.
    """

    __slots__ = ("_buffer", "_decode_values", "_pending", "_position", "_scanned")

    def __init__(self, *, decode_values: bool = True) -> None:
        self._buffer = bytearray()
        self._position = 0
        self._scanned = 0
        """Where the search for the current header block's blank line resumes."""
        self._pending: tuple[tuple[Header, ...], int] | None = None
        self._decode_values = decode_values

    def feed(self, data: bytes) -> None:
        if self._position and self._position > len(self._buffer) // 2:
            del self._buffer[: self._position]
            self._scanned = max(0, self._scanned - self._position)
            self._position = 0
        self._buffer += data

    @property
    def buffered(self) -> int:
        return len(self._buffer) - self._position

    @property
    def partial(self) -> bool:
        """A frame is partly received (its header block or its body is incomplete)."""
        return self._pending is not None or any(
            byte not in (10, 13) for byte in self._buffer[self._position : self._position + 64])

    def next_frame(self) -> Frame | None:
        """The next complete frame, or ``None`` when more bytes are needed."""
        buffer = self._buffer
        while self._pending is None:
            start = self._position
            while start < len(buffer) and buffer[start] in (10, 13):
                start += 1
            self._position = start
            end = buffer.find(b"\n\n", max(start, self._scanned - 1))
            if end < 0:
                self._scanned = len(buffer)
                if len(buffer) - start > MAX_HEADER_BLOCK:
                    raise EslProtocolError(
                        f"header block longer than {MAX_HEADER_BLOCK} bytes without a blank line")
                return None
            if end - start > MAX_HEADER_BLOCK:
                raise EslProtocolError(f"header block of {end - start} bytes (at most "
                                       f"{MAX_HEADER_BLOCK})")
            block = bytes(buffer[start:end]).decode("utf-8", "replace")
            self._position = self._scanned = end + 2
            headers = self._parse_block(block)
            if headers:
                self._pending = (headers, _declared_length(headers, _limit_for(headers)))
        headers, length = self._pending
        if len(buffer) - self._position < length:
            return None
        body = bytes(buffer[self._position : self._position + length])
        self._position += length
        self._scanned = self._position
        self._pending = None
        return Frame(headers, body)

    def _parse_block(self, block: str) -> tuple[Header, ...]:
        headers = []
        for line in block.split("\n"):
            name, colon, value = line.rstrip("\r").partition(":")
            if not colon:
                continue
            value = value.lstrip(" ")
            headers.append((name, url_decode(value) if self._decode_values else value))
        return tuple(headers)


def _limit_for(headers: tuple[Header, ...]) -> int:
    for name, value in headers:
        if name.lower() == "content-type":
            return MAX_EVENT_LENGTH if value.strip() in _EVENT_TYPES else MAX_CONTENT_LENGTH
    return MAX_CONTENT_LENGTH


def _declared_length(headers: tuple[Header, ...], limit: int = MAX_CONTENT_LENGTH) -> int:
    for name, value in headers:
        if name.lower() == "content-length":
            try:
                length = int(value)
            except ValueError:
                raise EslProtocolError(f"Content-Length is not a number: {value!r}") from None
            if not 0 <= length <= limit:
                raise EslProtocolError(f"Content-Length out of range: {length} (at most {limit})")
            return length
    return 0


def message_from_frame(frame: Frame) -> Message:
    """Give a frame its meaning by its ``Content-Type``.

    A body that does not parse (malformed JSON or XML, an unknown XML encoding, nesting
    deeper than the parser's stack) is an ``EslProtocolError`` like any other bad framing,
    never an arbitrary exception out of the client.
    """
    try:
        return _message(frame)
    except EslProtocolError:
        raise
    except (ValueError, TypeError, LookupError, RecursionError, MemoryError) as error:
        raise EslProtocolError(
            f"unreadable {frame.content_type or 'frame'} body: {type(error).__name__}: "
            f"{str(error)[:200]}") from None


def _message(frame: Frame) -> Message:
    content_type = frame.content_type
    if content_type == ContentType.EVENT_PLAIN:
        return EventReceived(parse_plain(frame.body), "plain")
    if content_type == ContentType.EVENT_JSON:
        return EventReceived(parse_json(frame.body), "json")
    if content_type == ContentType.COMMAND_REPLY:
        extra = tuple(h for h in frame.headers if h[0] not in ("Content-Type", "Reply-Text"))
        return CommandReply(frame.header("Reply-Text") or "", extra)
    if content_type == ContentType.API_RESPONSE:
        return ApiResponse(frame.body.decode("utf-8", "replace"))
    if content_type == ContentType.AUTH_REQUEST:
        return AuthRequest()
    if content_type == ContentType.DISCONNECT_NOTICE:
        return DisconnectNotice(frame.body.decode("utf-8", "replace"), frame.headers)
    if content_type == ContentType.LOG_DATA:
        return LogData(frame.body.decode("utf-8", "replace"), frame.headers)
    if content_type == ContentType.RUDE_REJECTION:
        return RudeRejection(frame.body.decode("utf-8", "replace"))
    if content_type == ContentType.EVENT_XML:
        return EventReceived(parse_xml(frame.body), "xml")
    return UnknownMessage(frame)


class ClientProtocol:
    """The client side: server bytes in, ``Message`` objects out; commands out as bytes."""

    __slots__ = ("_reader",)

    def __init__(self) -> None:
        self._reader = FrameReader(decode_values=True)

    def receive_data(self, data: bytes) -> None:
        self._reader.feed(data)

    @property
    def partial(self) -> bool:
        """A frame has started arriving and is not complete yet (for stall detection)."""
        return self._reader.partial

    def next_message(self) -> Message | None:
        frame = self._reader.next_frame()
        return None if frame is None else message_from_frame(frame)

    def messages(self) -> list[Message]:
        """Every complete message now buffered."""
        result = []
        while (frame := self._reader.next_frame()) is not None:
            result.append(message_from_frame(frame))
        return result


def command_bytes(line: str, headers: tuple[Header, ...] = (), body: str | None = None) -> bytes:
    """A client command: the command line, ``Name: value`` lines, a blank line, a body.

    A newline inside the command line would start a second command on the server, so it is
    refused here rather than sent.
    """
    if "\n" in line or "\r" in line:
        raise EslProtocolError(f"a command line cannot contain a newline: {line!r}")
    parts = [line, "\n"]
    for name, value in headers:
        if "\n" in value or "\n" in name:
            raise EslProtocolError(f"header {name!r} contains a newline; send it as a body")
        parts.append(f"{name}: {value}\n")
    encoded_body = body.encode() if body else b""
    if encoded_body:
        parts.append(f"Content-Length: {len(encoded_body)}\n")
    parts.append("\n")
    return "".join(parts).encode() + encoded_body


# --- server side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientCommand:
    """A command as mod_event_socket's ``read_packet`` sees it (values not URL-decoded)."""

    line: str
    headers: tuple[Header, ...] = ()
    body: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


_BLANK_LINE = re.compile(rb"\n\r?\n")


class ServerProtocol:
    """The server side: client bytes in, ``ClientCommand`` objects out.

    As in ``read_packet``: stray ``\\r``/``\\n`` before a command are discarded, ``\\r`` is
    ignored when looking for the blank line, and ``Content-Length: N`` makes the next N bytes
    the command's body.
    """

    __slots__ = ("_buffer", "_pending", "_scanned")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0
        self._pending: tuple[str, tuple[Header, ...], int] | None = None

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_command(self) -> ClientCommand | None:
        buffer = self._buffer
        if self._pending is None:
            start = 0
            while start < len(buffer) and buffer[start] in (10, 13):
                start += 1
            if start:
                del buffer[:start]
                self._scanned = max(0, self._scanned - start)
            # Resume the search a few bytes back (a "\n\r\n" may straddle two reads).
            match = _BLANK_LINE.search(buffer, max(0, self._scanned - 2))
            if match is None:
                self._scanned = len(buffer)
                if len(buffer) > MAX_COMMAND_BLOCK:
                    raise EslProtocolError(
                        f"command longer than {MAX_COMMAND_BLOCK} bytes without a blank line")
                return None
            self._scanned = 0
            lines = bytes(buffer[: match.start()]).decode("utf-8", "replace").split("\n")
            del buffer[: match.end()]
            line = lines[0].rstrip("\r")
            headers = []
            for raw in lines[1:]:
                name, colon, value = raw.rstrip("\r").partition(":")
                if colon and name:
                    headers.append((name, value.lstrip(" ")))
            self._pending = (line, tuple(headers), _declared_length(tuple(headers)))
        line, headers, length = self._pending
        if len(buffer) < length:
            return None
        body = bytes(buffer[:length]).decode("utf-8", "replace") if length else None
        del buffer[:length]
        self._pending = None
        return ClientCommand(line, headers, body)


def auth_request_bytes() -> bytes:
    return b"Content-Type: auth/request\n\n"


def command_reply_bytes(reply_text: str, extra: tuple[Header, ...] = ()) -> bytes:
    lines = [f"Content-Type: command/reply\nReply-Text: {reply_text}\n"]
    lines.extend(f"{name}: {value}\n" for name, value in extra)
    lines.append("\n")
    return "".join(lines).encode()


def bgapi_reply_bytes(job_uuid: str) -> bytes:
    """The bgapi reply: ``Reply-Text: +OK Job-UUID: <uuid>`` and a ``Job-UUID`` header."""
    return command_reply_bytes(f"+OK Job-UUID: {job_uuid}", (("Job-UUID", job_uuid),))


def api_response_bytes(output: str) -> bytes:
    """``api_exec``: empty output becomes ``-ERR no reply\\n``."""
    body = (output or "-ERR no reply\n").encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body


def event_bytes(serialized: bytes, event_format: str = "plain") -> bytes:
    """The envelope of a serialized event: ``Content-Length`` first, then ``Content-Type``."""
    return b"Content-Length: %d\nContent-Type: text/event-%s\n\n" % (
        len(serialized), event_format.encode()) + serialized


def disconnect_notice_bytes(text: str = GOODBYE, session_uuid: str | None = None) -> bytes:
    body = text.encode()
    if session_uuid is None:
        head = b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(body)
    else:
        head = (
            b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\n"
            b"Content-Disposition: disconnect\nContent-Length: %d\n\n"
        ) % (session_uuid.encode(), len(body))
    return head + body


def log_data_bytes(text: str, level: int, *, channel: int = 0, file: str = "", func: str = "",
                   line: int = 0, user_data: str = "") -> bytes:
    body = text.encode()
    head = (
        f"Content-Type: log/data\nContent-Length: {len(body)}\nLog-Level: {level}\n"
        f"Text-Channel: {channel}\nLog-File: {file}\nLog-Func: {func}\nLog-Line: {line}\n"
        f"User-Data: {user_data}\n\n"
    )
    return head.encode() + body


def rude_rejection_bytes() -> bytes:
    return b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
