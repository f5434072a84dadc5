"""FreeSWITCH events: the header list, and its event-plain and event-json forms.

Byte rules come from FreeSWITCH's own source (see ../shared/reference/freeswitch-esl.md §1.4):

* ``switch_event_serialize`` writes ``Name: urlencode(value)\\n`` per header in order (an empty
  value becomes ``_undef_``), then ``\\n`` when there is no body, else
  ``Content-Length: <len>\\n\\n<body>`` with nothing after the body.
* ``switch_url_encode`` escapes bytes < 0x20, > 0x7E and ``\\r\\n #%&+:;<=>?@[\\]^`{|}"`` as
  ``%XX`` with uppercase hex, and copies a ``%`` already followed by two uppercase hex digits.
* ``switch_event_serialize_json`` prints one flat object (duplicate names stay duplicate keys),
  ``Content-Length`` as a string and ``_body`` last, ``cJSON_PrintUnformatted`` style.

Header values are kept as ``str``; array headers keep FreeSWITCH's ``ARRAY::a|:b`` spelling so
that the plain and the json forms of one event compare equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

from dialer.esl.errors import EslProtocolError

# Printable ASCII that SWITCH_URL_UNSAFE leaves alone, beyond quote()'s own alnum and "_.-~".
_ARRAY_PREFIX = "ARRAY::"
_ARRAY_SEPARATOR = "|:"

Header = tuple[str, str]


_NEEDS_ENCODING = re.compile(r"[^A-Za-z0-9_.\-~!$'()*,/]")
# One header line of an event-plain block: name, colon, spaces (libesl skips them), value.
_HEADER_LINE = re.compile(r"^([^:\n]+): *([^\n]*)$", re.MULTILINE)


_TO_ESCAPE = re.compile(r"%[0-9A-F]{2}|[^A-Za-z0-9_.\-~!$'()*,/]")
_ESCAPED: dict[str, str] = {}


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    escaped = _ESCAPED.get(text)
    if escaped is None:
        # An already-encoded "%XX" is copied; anything else becomes its UTF-8 bytes as %XX.
        escaped = text if len(text) == 3 else "".join(f"%{byte:02X}" for byte in text.encode())
        if len(_ESCAPED) < 4096:
            _ESCAPED[text] = escaped
    return escaped


def url_encode(value: str) -> str:
    """Encode a header value exactly as ``switch_url_encode`` does (no double encoding)."""
    if not _NEEDS_ENCODING.search(value):
        return value
    return _TO_ESCAPE.sub(_escape, value)


def url_decode(value: str) -> str:
    """Decode ``%XX`` escapes as libesl's ``esl_url_decode`` does (``+`` stays ``+``).

    Fast path in C codecs: FreeSWITCH escapes ``\\`` and every non-ASCII byte, so an encoded
    value is ASCII without backslashes and ``%XX`` can be rewritten as ``\\xXX`` for the
    ``unicode_escape`` codec. Anything else goes through ``urllib.parse.unquote``.
    """
    if "%" not in value:
        return value
    if "\\" not in value:
        try:
            return (value.replace("%", "\\x").encode("ascii").decode("unicode_escape")
                    .encode("latin-1").decode("utf-8"))
        except (UnicodeError, ValueError):
            pass
    return unquote(value)


class Event:
    """One FreeSWITCH event: its headers in wire order (duplicates kept) and its body.

    ``event["Unique-ID"]`` and ``event.get(...)`` return the first value of a header, looked up
    case-sensitively first and then case-insensitively (FreeSWITCH compares names without
    case); ``get_all`` returns every value, e.g. both ``Hangup-Cause`` of
    CHANNEL_HANGUP_COMPLETE.
    """

    __slots__ = ("_first", "body", "headers")

    def __init__(self, headers: Iterable[Header], body: str | None = None) -> None:
        self.headers: tuple[Header, ...] = tuple(headers)
        self.body = body
        # Reversed so that the first occurrence of a duplicated name wins.
        self._first: dict[str, str] = dict(reversed(self.headers))

    @classmethod
    def build(cls, name: str, headers: Iterable[Header] = (), body: str | None = None) -> Event:
        """An event named ``name`` (``Event-Name`` first, the rest after it)."""
        return cls((("Event-Name", name), *headers), body)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._first.get(name)
        if value is not None:
            return value
        lowered = name.lower()
        for key, candidate in self.headers:
            if key.lower() == lowered:
                return candidate
        return default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def name(self) -> str:
        """``Event-Name`` (``CUSTOM`` for custom events; see ``subclass``)."""
        return self._first.get("Event-Name", "")

    @property
    def subclass(self) -> str | None:
        """``Event-Subclass`` of a CUSTOM event, e.g. ``avmd::beep``."""
        return self._first.get("Event-Subclass")

    @property
    def unique_id(self) -> str | None:
        return self._first.get("Unique-ID")

    def variable(self, name: str) -> str | None:
        """The channel variable ``name`` as carried in ``variable_<name>``."""
        return self._first.get("variable_" + name)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form: duplicate names become lists, the body is ``_body``."""
        result: dict[str, object] = {}
        for key, value in self.headers:
            if key in result:
                previous = result[key]
                if isinstance(previous, list):
                    previous.append(value)
                else:
                    result[key] = [previous, value]
            else:
                result[key] = value
        if self.body is not None:
            result["_body"] = self.body
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.headers == other.headers and self.body == other.body

    def __hash__(self) -> int:
        return hash((self.headers, self.body))

    def __repr__(self) -> str:
        label = self.subclass or self.name
        return f"<Event {label} {len(self.headers)} headers body={len(self.body or '')}>"


# --- event-plain ---------------------------------------------------------------------------


def encode_plain_headers(headers: Iterable[Header]) -> bytes:
    """The URL-encoded header lines of ``switch_event_serialize`` (without the terminator).

    Exposed so that a server can pre-encode the static part of a channel's header block once.
    """
    return "".join(
        f"{name}: {url_encode(value) if value else '_undef_'}\n" for name, value in headers
    ).encode()


def plain_terminator(body: str | None) -> bytes:
    """What ``switch_event_serialize`` writes after the header lines."""
    if not body:
        return b"\n"
    encoded = body.encode()
    return b"Content-Length: %d\n\n" % len(encoded) + encoded


def serialize_plain(event: Event) -> bytes:
    """``switch_event_serialize(event, &buf, SWITCH_TRUE)`` byte for byte."""
    return encode_plain_headers(event.headers) + plain_terminator(event.body)


def parse_plain(data: bytes) -> Event:
    """Parse an event-plain body (inverse of ``serialize_plain``), as libesl does.

    Header values are URL-decoded after splitting lines; an inner ``Content-Length`` marks a
    body that follows the blank line.
    """
    end = data.find(b"\n\n")
    if end < 0:
        block, rest = data, b""
    else:
        block, rest = data[:end], data[end + 2 :]
    body_length: int | None = None
    headers: list[Header] = []
    for name, value in _HEADER_LINE.findall(block.decode("utf-8", "replace")):
        if name == "Content-Length":
            body_length = _content_length(value)
        else:
            headers.append((name, url_decode(value) if "%" in value else value))
    body = None
    if body_length is not None:
        body = rest[:body_length].decode("utf-8", "replace")
    return Event(headers, body)


def _content_length(value: str) -> int:
    try:
        length = int(value)
    except ValueError:
        raise EslProtocolError(f"Content-Length is not a number: {value!r}") from None
    if length < 0:
        raise EslProtocolError(f"negative Content-Length: {value!r}")
    return length


# --- event-json ----------------------------------------------------------------------------


# json's C string encoder (what json.dumps(ensure_ascii=False) uses for a str).
_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _json_value(value: str) -> str:
    if value.startswith(_ARRAY_PREFIX):
        items = value[len(_ARRAY_PREFIX) :].split(_ARRAY_SEPARATOR)
        return "[" + ",".join(map(_json_string, items)) + "]"
    return _json_string(value)


def serialize_json(event: Event) -> bytes:
    """``switch_event_serialize_json`` + ``cJSON_PrintUnformatted`` (duplicate keys kept)."""
    members = [f"{_json_string(name)}:{_json_value(value)}" for name, value in event.headers]
    if event.body:
        members.append(f'"Content-Length":"{len(event.body.encode())}"')
        members.append(f'"_body":{_json_string(event.body)}')
    return ("{" + ",".join(members) + "}").encode()


class _Members(list):
    """The members of one JSON object, in order (a list, so duplicate keys survive)."""


def _pairs(pairs: Sequence[tuple[str, object]]) -> _Members:
    return _Members(pairs)


def _json_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, _Members | dict | list):
        # FreeSWITCH writes strings and arrays of strings only; keep anything else readable.
        return json.dumps(value if not isinstance(value, _Members) else dict(value))
    return str(value)


def parse_json(data: bytes) -> Event:
    """Parse an event-json body; duplicate keys and their order survive.

    Anything but one JSON object (an array, a number, nesting deeper than the parser's
    stack) is an ``EslProtocolError``.
    """
    try:
        pairs = json.loads(data, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as error:
        raise EslProtocolError(f"event-json body is not JSON: {str(error)[:200]}") from None
    if not isinstance(pairs, _Members):
        raise EslProtocolError("event-json body is not a JSON object")
    headers: list[Header] = []
    body: str | None = None
    for name, value in pairs:
        if name == "_body":
            body = _json_text(value)
        elif name == "Content-Length":
            continue
        elif isinstance(value, list) and not isinstance(value, _Members):
            headers.append((name, _ARRAY_PREFIX + _ARRAY_SEPARATOR.join(map(_json_text, value))))
        else:
            headers.append((name, _json_text(value)))
    return Event(headers, body)


# --- event-xml -----------------------------------------------------------------------------


def serialize_xml(event: Event) -> bytes:
    """``switch_event_xmlize`` + ``switch_xml_toxml``: URL-encoded header values as elements."""
    from xml.sax.saxutils import escape

    lines = ["<event>\n  <headers>\n"]
    lines.extend(f"    <{name}>{url_encode(value)}</{name}>\n" for name, value in event.headers)
    lines.append("  </headers>\n")
    if event.body:
        lines.append(f"  <Content-Length>{len(event.body.encode())}</Content-Length>\n")
        # The closing tag is indented after a text that ends a line (capture 13b:
        # ``<body>+OK <uuid>\n  </body>``); readers cut the text at <Content-Length>.
        indent = "  " if event.body.endswith("\n") else ""
        lines.append(f"  <body>{escape(event.body)}{indent}</body>\n")
    lines.append("</event>\n")
    return "".join(lines).encode()


_XML_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xml(data: bytes) -> Event:
    """Parse an event-xml body (rarely used; kept for ``event xml`` subscribers).

    ``switch_xml_toxml`` never writes a DTD, so a body with ``<!DOCTYPE``/``<!ENTITY`` (the
    entity-expansion attacks) is refused; so is one the XML parser cannot read (an unknown
    or multi-byte declared encoding, deep nesting): ``EslProtocolError`` in every case.
    """
    from xml.etree import ElementTree

    if _XML_DECLARATIONS.search(data):
        raise EslProtocolError("event-xml body declares a DTD or entities")
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError, LookupError, RecursionError) as error:
        raise EslProtocolError(f"event-xml body is not XML: {str(error)[:200]}") from None
    headers = root.find("headers")
    pairs = [] if headers is None else [
        (child.tag, url_decode(child.text or "")) for child in headers
    ]
    body_element = root.find("body")
    body = None if body_element is None else (body_element.text or "")
    length = root.findtext("Content-Length")
    if body is not None and length is not None:
        # FreeSWITCH indents the closing tag after the text (``...\n  </body>``, capture
        # 13b): the body is the first <Content-Length> bytes, as in plain and json.
        body = body.encode()[:_content_length(length.strip())].decode("utf-8", "replace")
    return Event(pairs, body)
