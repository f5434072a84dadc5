"""A bad frame is a clean protocol error: the parser raises nothing else, header blocks and
bodies are bounded, and the client drops the link, reconnects and keeps its state right.

The fuzz test mutates the real FreeSWITCH captures (tests/fixtures/esl/real-fs) with the
kinds of damage seen in the field and by fuzzing (wrong lengths, JSON nested thousands deep,
non-object JSON, XML with unknown or multi-byte encodings, cut and duplicated bytes)."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from real_fs import names, raw

from dialer.esl.client import Backoff, ConnectionState, EslClient
from dialer.esl.errors import EslProtocolError
from dialer.esl.protocol import (
    MAX_EVENT_LENGTH,
    MAX_HEADER_BLOCK,
    ClientProtocol,
    EventReceived,
    FrameReader,
    ServerProtocol,
    auth_request_bytes,
    command_reply_bytes,
    event_bytes,
)
from dialer.esl.url import EslUrl
from dialer.freeswitch import FreeSwitchAdapter

QUICK = Backoff(initial=0.02, factor=1.0, maximum=0.02, jitter=0.0)

HOSTILE_BODIES = {
    "json-array": event_bytes(b"[1]", "json"),
    "json-nested": event_bytes(b"[" * 3000 + b"]" * 3000, "json"),
    "json-object-nested": event_bytes(b'{"a":' * 3000 + b"1" + b"}" * 3000, "json"),
    "xml-unknown-encoding": event_bytes(
        b'<?xml version="1.0" encoding="x-bogus"?><event><headers/></event>', "xml"),
    "xml-multibyte-encoding": event_bytes(
        b'<?xml version="1.0" encoding="shift_jis"?><event><headers/></event>', "xml"),
    "xml-entities": event_bytes(
        b'<!DOCTYPE e [<!ENTITY a "aaaa">]><event><headers><x>&a;</x></headers></event>',
        "xml"),
    "huge-length": b"Content-Length: 999999999999\nContent-Type: text/event-plain\n\n",
    "negative-length": b"Content-Length: -5\nContent-Type: text/event-plain\n\n",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_a_hostile_frame_is_a_protocol_error(kind: str) -> None:
    protocol = ClientProtocol()
    protocol.receive_data(HOSTILE_BODIES[kind])
    with pytest.raises(EslProtocolError):
        protocol.messages()


def test_event_bodies_are_capped_below_api_responses() -> None:
    protocol = ClientProtocol()
    protocol.receive_data(b"Content-Length: %d\nContent-Type: text/event-plain\n\n"
                          % (MAX_EVENT_LENGTH + 1))
    with pytest.raises(EslProtocolError, match="at most"):
        protocol.messages()
    # A large api/response (show channels on a busy switch) is still fine.
    protocol = ClientProtocol()
    body = b"x" * (MAX_EVENT_LENGTH + 10)
    protocol.receive_data(b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body)
                          + body)
    assert protocol.messages()[0].body == body.decode()


def test_header_block_scan_resumes_and_is_bounded() -> None:
    """A block fed one small read at a time is scanned once (the search resumes where it
    stopped), and a block past the bound is refused before it grows further."""
    reader = FrameReader()
    fed = 0
    with pytest.raises(EslProtocolError, match="header block"):
        while fed < 4 * MAX_HEADER_BLOCK:
            reader.feed(b"X-Padding: " + b"a" * 1000 + b"\n")
            fed += 1012
            assert reader.next_frame() is None
            assert reader._scanned == reader._position + reader.buffered  # nothing re-read
    assert fed <= MAX_HEADER_BLOCK + 2024
    server = ServerProtocol()
    server.receive_data(b"api status\n")
    assert server.next_command() is None
    server.receive_data(b"\n")
    assert server.next_command().line == "api status"


def test_partial_frame_is_reported_for_stall_detection() -> None:
    protocol = ClientProtocol()
    assert not protocol.partial
    protocol.receive_data(b"Content-Length: 50\nContent-Type: text/event-plain\n\nEvent-")
    assert protocol.messages() == [] and protocol.partial
    protocol.receive_data(b"Name: HEARTBEAT\n" + b" " * 28 + b"\n\n")
    assert len(protocol.messages()) == 1 and not protocol.partial


_DAMAGE = [b"Content-Length: 4000000\n", b"Content-Length: 12\n\n", b"\n\n", b"%", b"%ZZ",
           b"Content-Type: text/event-json\n\n", b"Content-Type: text/event-xml\n\n",
           b"Event-Name: CHANNEL_ANSWER\n", b"\x00\xff\xfe", b"[" * 2000,
           b'<?xml version="1.0" encoding="utf-16"?>', b"Content-Length: x\n"]


@st.composite
def damaged_captures(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    name = draw(st.sampled_from(names()))
    data = raw(name)
    start = draw(st.integers(0, max(0, len(data) - 1)))
    piece = bytearray(data[start : start + draw(st.integers(200, 30_000))])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(piece)))
        how = draw(st.sampled_from(["insert", "frame", "flip", "cut", "repeat", "digit"]))
        if how == "frame":
            boundary = piece.find(b"\n\nContent-", where)
            at = len(piece) if boundary < 0 else boundary + 2
            piece[at:at] = HOSTILE_BODIES[draw(st.sampled_from(sorted(HOSTILE_BODIES)))]
        elif how == "insert":
            piece[where:where] = draw(st.sampled_from(_DAMAGE))
        elif how == "flip" and where < len(piece):
            piece[where] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del piece[where : where + draw(st.integers(1, 500))]
        elif how == "repeat":
            piece[where:where] = piece[max(0, where - 300) : where]
        else:
            found = piece.find(b"Content-Length: ", where)
            if found >= 0:
                at = found + len(b"Content-Length: ")
                piece[at:at] = str(draw(st.integers(0, 9))).encode()
    cuts = draw(st.lists(st.integers(1, 5000), min_size=1, max_size=30))
    return bytes(piece), cuts


@settings(max_examples=60)
@given(damaged_captures())
def test_damaged_real_traffic_gives_frames_or_a_protocol_error(case) -> None:
    """Whatever the damage, the parser yields messages or raises EslProtocolError, nothing
    else; and every event it yields goes through the FreeSWITCH adapter without an error."""
    data, cuts = case
    protocol = ClientProtocol()
    adapter = FreeSwitchAdapter()
    position, turn = 0, 0
    try:
        while position < len(data):
            size = cuts[turn % len(cuts)]
            protocol.receive_data(data[position : position + size])
            position, turn = position + size, turn + 1
            while (message := protocol.next_message()) is not None:
                if isinstance(message, EventReceived):
                    adapter.events(message.event, at=0.0)
    except EslProtocolError:
        pass


# --- the client against a switch that sends one bad frame -----------------------------------


class HostileSwitch:
    """Speaks just enough ESL; on the first link it sends ``poison`` after the subscription."""

    def __init__(self, poison: bytes) -> None:
        self.poison = poison
        self.links = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.links += 1
        link = self.links
        writer.write(auth_request_bytes())
        server = ServerProtocol()
        try:
            while True:
                command = server.next_command()
                if command is None:
                    data = await reader.read(4096)
                    if not data:
                        return
                    server.receive_data(data)
                    continue
                writer.write(command_reply_bytes("+OK accepted" if command.line.startswith(
                    "auth") else "+OK event listener enabled plain"))
                if command.line.startswith("event") and link == 1:
                    # A moment later: the client is connected and subscribed by then.
                    asyncio.get_running_loop().call_later(0.05, writer.write, self.poison)
                await writer.drain()
        except ConnectionError:
            return
        finally:
            writer.close()


@pytest.mark.parametrize("kind", ["json-array", "json-nested", "xml-multibyte-encoding",
                                  "huge-length"])
def test_client_reconnects_after_a_bad_frame_with_its_state_right(kind: str, caplog) -> None:
    async def scenario() -> None:
        hostile = HostileSwitch(HOSTILE_BODIES[kind])
        server = await asyncio.start_server(hostile.serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        states: list[ConnectionState] = []
        try:
            async with EslClient(EslUrl("127.0.0.1", port, "ClueCon"), events=["ALL"],
                                 backoff=QUICK) as client:
                client.add_state_listener(states.append)
                async with asyncio.timeout(5):
                    while client.connects < 2:
                        await asyncio.sleep(0.01)
                    await client.wait_connected()
                assert client.connected and client.state is ConnectionState.CONNECTED
                assert client.losses == 1 and "connection lost" in (client.last_error or "")
        finally:
            server.close()
        assert ConnectionState.DISCONNECTED in states
        assert states[-1] is ConnectionState.CLOSED

    with caplog.at_level(logging.INFO, logger="dialer.esl"):
        asyncio.run(scenario())
    lost = [r for r in caplog.records if "link lost" in r.getMessage()]
    assert lost and lost[0].levelno == logging.WARNING
    assert any("connected again" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)


def test_a_frame_longer_than_its_data_is_detected_as_a_stall() -> None:
    """A Content-Length a little larger than the data swallows the frames behind it: the
    watchdog drops the link after ``stall_timeout``, not after the heartbeat timeout."""
    async def scenario() -> None:
        event = b"Event-Name: HEARTBEAT\n\n"
        poison = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % (len(event) + 500)
        hostile = HostileSwitch(poison + event)
        server = await asyncio.start_server(hostile.serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with EslClient(EslUrl("127.0.0.1", port, "ClueCon"), events=["ALL"],
                                 backoff=QUICK, heartbeat_timeout=60.0,
                                 stall_timeout=0.2) as client:
                async with asyncio.timeout(5):
                    while client.connects < 2:
                        await asyncio.sleep(0.01)
                assert "incomplete" in (client.last_error or "")
        finally:
            server.close()

    asyncio.run(scenario())


def test_random_reads_never_see_a_non_protocol_error() -> None:
    """Random bytes (not only damaged traffic) either frame or raise EslProtocolError."""
    rng = random.Random(7)
    for _ in range(200):
        protocol = ClientProtocol()
        try:
            for _ in range(20):
                protocol.receive_data(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
                                      + rng.choice([b"", b"\n\n", b"Content-Length: 3\n"]))
                protocol.messages()
        except EslProtocolError:
            pass
