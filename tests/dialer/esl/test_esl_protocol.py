"""Round-trip invariants of the sans-I/O protocol: whatever a server writes, a client reads back
unchanged, however the bytes are cut into reads."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.esl.errors import EslProtocolError
from dialer.esl.event import (
    Event,
    parse_json,
    parse_plain,
    parse_xml,
    serialize_json,
    serialize_plain,
    serialize_xml,
    url_decode,
    url_encode,
)
from dialer.esl.protocol import (
    GOODBYE,
    ApiResponse,
    AuthRequest,
    ClientProtocol,
    CommandReply,
    DisconnectNotice,
    EventReceived,
    LogData,
    ServerProtocol,
    api_response_bytes,
    auth_request_bytes,
    bgapi_reply_bytes,
    command_bytes,
    command_reply_bytes,
    disconnect_notice_bytes,
    event_bytes,
    log_data_bytes,
)

_ALREADY_ENCODED = re.compile(r"%[0-9A-F]{2}")
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda name: name.lower() != "content-length")
# Values FreeSWITCH can carry through event-plain unchanged: not empty (that becomes
# ``_undef_``) and without an already-encoded ``%XX`` (switch_url_encode never double-encodes).
header_values = st.text(min_size=1, max_size=40).filter(
    lambda value: not _ALREADY_ENCODED.search(value) and "\x00" not in value)
bodies = st.one_of(st.none(), st.text(min_size=1, max_size=200).filter(lambda b: "\x00" not in b))
events = st.builds(
    lambda name, headers, body: Event.build(name, headers, body),
    st.sampled_from(["CHANNEL_ANSWER", "BACKGROUND_JOB", "HEARTBEAT", "CUSTOM"]),
    st.lists(st.tuples(header_names, header_values), max_size=12),
    bodies,
)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


@given(events)
@settings(max_examples=60)
def test_event_plain_round_trip(event: Event) -> None:
    assert parse_plain(serialize_plain(event)) == event


@given(events)
@settings(max_examples=60)
def test_event_json_round_trip(event: Event) -> None:
    assert parse_json(serialize_json(event)) == event


@given(events)
@settings(max_examples=50)
def test_event_xml_round_trip(event: Event) -> None:
    clean = Event([(k, v) for k, v in event.headers if v.isprintable()],
                  event.body if event.body is None or event.body.isprintable() else None)
    assert parse_xml(serialize_xml(clean)) == clean


@given(st.lists(events, min_size=1, max_size=6), st.lists(st.integers(0, 10_000), max_size=20),
       st.sampled_from(["plain", "json"]))
@settings(max_examples=50)
def test_any_chunking_yields_the_same_events(batch: list[Event], cuts: list[int],
                                             event_format: str) -> None:
    serialize = serialize_plain if event_format == "plain" else serialize_json
    stream = b"".join(event_bytes(serialize(event), event_format) for event in batch)
    protocol = ClientProtocol()
    received = []
    for piece in _chunks(stream, cuts):
        protocol.receive_data(piece)
        received.extend(protocol.messages())
    assert [m.event for m in received] == batch
    assert all(m.format == event_format for m in received)


@given(st.text(max_size=60))
def test_url_encoding_only_emits_safe_ascii(value: str) -> None:
    encoded = url_encode(value)
    assert re.fullmatch(r"[A-Za-z0-9!$'()*,\-./_~%]*", encoded)
    if not _ALREADY_ENCODED.search(value):
        assert url_decode(encoded) == value


def test_url_encoding_matches_switch_url_encode() -> None:
    assert url_encode("2015-01-06 15:12:37") == "2015-01-06%2015%3A12%3A37"
    assert url_encode("::1") == "%3A%3A1"
    assert url_encode("#") == "%23"
    assert url_encode("%(2000,4000,440,480)") == "%25(2000,4000,440,480)"
    assert url_encode("a+b") == "a%2Bb"
    assert url_encode("100%2F") == "100%2F"  # already encoded: copied
    assert url_encode("é") == "%C3%A9"
    assert url_decode("a+b%20c") == "a+b c"


def test_empty_value_is_written_as_undef_and_body_with_its_own_length() -> None:
    event = Event.build("BACKGROUND_JOB", [("Job-Command", ""), ("Job-UUID", "x")], "+OK é\n")
    assert serialize_plain(event) == (
        b"Event-Name: BACKGROUND_JOB\nJob-Command: _undef_\nJob-UUID: x\n"
        b"Content-Length: 7\n\n+OK \xc3\xa9\n")
    assert serialize_plain(Event.build("HEARTBEAT")) == b"Event-Name: HEARTBEAT\n\n"


def test_duplicate_headers_survive_both_formats() -> None:
    event = Event.build("CHANNEL_HANGUP_COMPLETE", [
        ("Hangup-Cause", "NORMAL_CLEARING"), ("Unique-ID", "u"),
        ("Hangup-Cause", "NORMAL_CLEARING"), ("variable_legs", "ARRAY::a|:b")])
    for round_trip in (parse_plain(serialize_plain(event)), parse_json(serialize_json(event))):
        assert round_trip.get_all("Hangup-Cause") == ["NORMAL_CLEARING"] * 2
        assert round_trip["variable_legs"] == "ARRAY::a|:b"
    assert b'"variable_legs":["a","b"]' in serialize_json(event)
    assert event.get("unique-id") == "u"  # names compare without case, as in FreeSWITCH


def test_every_server_message_type_is_read_back() -> None:
    stream = b"".join([
        auth_request_bytes(),
        command_reply_bytes("+OK accepted"),
        bgapi_reply_bytes("j-1"),
        api_response_bytes("+OK\n"),
        api_response_bytes(""),
        log_data_bytes("hello\n", 7, file="x.c", func="f", line=3),
        event_bytes(serialize_plain(Event.build("HEARTBEAT", [("Up-Time", "1")]))),
        disconnect_notice_bytes(),
        disconnect_notice_bytes(session_uuid="u-1"),
    ])
    protocol = ClientProtocol()
    protocol.receive_data(stream)
    messages = protocol.messages()
    assert [type(m) for m in messages] == [AuthRequest, CommandReply, CommandReply, ApiResponse,
                                           ApiResponse, LogData, EventReceived,
                                           DisconnectNotice, DisconnectNotice]
    assert messages[2].reply_text == "+OK Job-UUID: j-1" and messages[2].job_uuid == "j-1"
    assert messages[4].body == "-ERR no reply\n" and not messages[4].ok
    assert messages[7].body == GOODBYE and len(GOODBYE) == 67
    assert bgapi_reply_bytes("j") == (
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: j\nJob-UUID: j\n\n")
    assert api_response_bytes("x\n") == b"Content-Type: api/response\nContent-Length: 2\n\nx\n"


@given(st.lists(st.tuples(
    st.from_regex(r"[a-z_]+( [A-Za-z0-9:./_-]+){0,3}", fullmatch=True),
    st.lists(st.tuples(header_names, st.from_regex(r"[ -~]{0,20}", fullmatch=True).map(
        str.strip)), max_size=3),
    st.one_of(st.none(), st.text(min_size=1, max_size=30))), min_size=1, max_size=5),
    st.lists(st.integers(0, 1000), max_size=10), st.booleans())
@settings(max_examples=50)
def test_commands_round_trip_through_the_server_reader(commands, cuts, crlf) -> None:
    wire = b"".join(command_bytes(line, tuple(headers), body) for line, headers, body in commands)
    if crlf:
        wire = wire.replace(b"\n\n", b"\r\n\r\n", 1) if b"\x00" not in wire else wire
    server = ServerProtocol()
    received = []
    for piece in _chunks(wire, cuts):
        server.receive_data(piece)
        while (command := server.next_command()) is not None:
            received.append(command)
    assert [c.line for c in received] == [line for line, _, _ in commands]
    assert [c.body for c in received] == [body for _, _, body in commands]
    for command, (_, headers, body) in zip(received, commands, strict=True):
        expected = list(headers) + ([("Content-Length", str(len(body.encode())))] if body else [])
        assert list(command.headers) == expected


def test_stray_newlines_before_a_command_are_ignored() -> None:
    server = ServerProtocol()
    server.receive_data(b"\r\n\nauth ClueCon\r\n\r\napi status\n\n")
    assert server.next_command().line == "auth ClueCon"
    assert server.next_command().line == "api status"
    assert server.next_command() is None


def test_a_newline_in_a_command_line_is_refused() -> None:
    with pytest.raises(EslProtocolError):
        command_bytes("api status\n\napi shutdown")


def test_bad_content_length_is_a_protocol_error() -> None:
    protocol = ClientProtocol()
    protocol.receive_data(b"Content-Type: api/response\nContent-Length: lots\n\n")
    with pytest.raises(EslProtocolError):
        protocol.messages()
