"""Every real FreeSWITCH capture parses, in any chunking, into the frames FreeSWITCH sent, and
re-serialises byte for byte with the server-side writers."""

from __future__ import annotations

import random

import pytest
from esl_captures import BODIES, STREAMS, body, stream

from dialer.esl.event import parse_plain, serialize_json, serialize_plain
from dialer.esl.protocol import (
    ApiResponse,
    AuthRequest,
    ClientProtocol,
    CommandReply,
    DisconnectNotice,
    EventReceived,
    FrameReader,
    api_response_bytes,
    command_reply_bytes,
    event_bytes,
)


def _parse(data: bytes, chunk_sizes: list[int] | None = None) -> list:
    protocol = ClientProtocol()
    messages = []
    if chunk_sizes is None:
        protocol.receive_data(data)
        messages.extend(protocol.messages())
    else:
        position = 0
        sizes = iter(chunk_sizes)
        while position < len(data):
            size = next(sizes, 1)
            protocol.receive_data(data[position : position + size])
            position += size
            messages.extend(protocol.messages())
    assert protocol._reader.buffered == 0
    return messages


def _events(name: str) -> list:
    return [m.event for m in _parse(stream(name)) if isinstance(m, EventReceived)]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_frame_count(name: str) -> None:
    assert len(_parse(stream(name))) == STREAMS[name]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_random_chunking_gives_the_same_messages(name: str) -> None:
    data = stream(name)
    rng = random.Random(name)
    sizes = [rng.choice([1, 2, 7, 64, 1000, 4096]) for _ in range(len(data))]
    assert _parse(data, sizes) == _parse(data)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_frames_reserialise_byte_for_byte(name: str) -> None:
    """The server-side writers reproduce FreeSWITCH's envelopes and event-plain bodies."""
    data = stream(name)
    reader = FrameReader(decode_values=False)
    reader.feed(data)
    rebuilt = b""
    while (frame := reader.next_frame()) is not None:
        kind = frame.content_type
        if kind == "text/event-plain":
            rebuilt += event_bytes(serialize_plain(parse_plain(frame.body)))
        elif kind == "api/response":
            rebuilt += api_response_bytes(frame.body.decode())
        elif kind == "command/reply" and frame.headers[0][0] == "Content-Type":
            extra = tuple(frame.headers[2:])
            rebuilt += command_reply_bytes(frame.header("Reply-Text") or "", extra)
        else:
            return  # connect replies, disconnect notices: covered by their own tests
    expected = data.lstrip(b"\n").replace(b"\n\n\n", b"\n\n") if "fsock" in name else data
    assert rebuilt == expected


def test_inbound_handshake_bgapi_and_background_job() -> None:
    messages = _parse(stream(
        "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt"))
    assert isinstance(messages[0], AuthRequest)
    assert [m.reply_text for m in messages[1:4]] == [
        "+OK accepted",
        "+OK event listener enabled plain",
        "+OK Job-UUID: 43e14ab9-38b1-4187-9f08-e13f35136bb2",
    ]
    assert messages[3].job_uuid == "43e14ab9-38b1-4187-9f08-e13f35136bb2"
    job = messages[4].event
    assert job.name == "BACKGROUND_JOB"
    assert job["Job-UUID"] == messages[3].job_uuid
    assert job.body == "-ERR RECOVERY_ON_TIMER_EXPIRE\n"
    assert job["Job-Command-Arg"].startswith("sofia/external/1000@10.10.10.108:5070 &playback(")
    assert job["Event-Date-Local"] == "2013-06-06 17:24:02"
    assert "Job-Owner-UUID" not in job


def test_background_job_plain_and_json_carry_the_status_body() -> None:
    plain = _parse(stream("zhifeichen-esl__message_test_msg2_BACKGROUND_JOB_event-plain.txt"))[0]
    json_ = _parse(stream("zhifeichen-esl__message_test_msg7_BACKGROUND_JOB_event-json.txt"))[0]
    assert (plain.format, json_.format) == ("plain", "json")
    for message in (plain, json_):
        assert message.event["Job-Command"] == "status"
        assert len(message.event.body.encode()) == 330
        assert message.event.body.startswith("UP 0 years")
    assert json_.event["FreeSWITCH-IPv6"] == "::1"


def test_event_json_reserialises_byte_for_byte() -> None:
    data = stream("zhifeichen-esl__message_test_msg7_BACKGROUND_JOB_event-json.txt")
    event = _parse(data)[0].event
    assert event_bytes(serialize_json(event), "json") == data


def test_outbound_connect_reply_is_url_decoded_like_libesl() -> None:
    reply = _parse(stream("davec82-outboundsocket__fs_events_connect-reply_CHANNEL_DATA.txt"))[0]
    assert isinstance(reply, CommandReply)
    assert reply.reply_text == "+OK\n"
    assert dict(reply.headers)["Socket-Mode"] == "async"


def test_disconnect_notices_carry_the_goodbye() -> None:
    for name in ("davec82-outboundsocket__fs_events_disconnect-notice.txt",
                 "neventsocket__MessageParsingTests_disconnect-notice.txt"):
        notice = _parse(stream(name))[0]
        assert isinstance(notice, DisconnectNotice)
        assert len(notice.body.encode()) == 67 and not notice.linger


def test_outbound_session_outcomes() -> None:
    example1 = _parse(stream("neventsocket__Fixtures_Example1.outbound-stream.txt"))
    assert any(isinstance(m, DisconnectNotice) and m.linger for m in example1)
    assert any(isinstance(m, ApiResponse) for m in example1)
    example5 = _events("neventsocket__Fixtures_Example5.outbound-stream.txt")
    hangups = [e for e in example5 if e.name == "CHANNEL_HANGUP"]
    assert [e["Hangup-Cause"] for e in hangups] == ["CALL_REJECTED", "NORMAL_TEMPORARY_FAILURE"]
    assert hangups[0].variable("sip_term_status") == "603"
    example4 = _events("neventsocket__Fixtures_Example4.outbound-stream.txt")
    digits = [e["DTMF-Digit"] for e in example4 if e.name == "DTMF"]
    assert len(digits) == 12 and "#" in digits


def test_fsock_stream_has_the_hangup_complete_of_a_cancelled_call() -> None:
    events = [m.event for m in _parse(stream("fsock__test_data.inbound-stream.txt"))]
    complete = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert complete["Hangup-Cause"] == "ORIGINATOR_CANCEL"
    assert complete.variable("hangup_cause_q850") == "16"
    assert sum(e.name == "HEARTBEAT" for e in events) == 4  # 3 + the repaired one


def test_hangup_complete_carries_hangup_cause_twice() -> None:
    event = parse_plain(body(
        "cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt"))
    assert event.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    assert event["Other-Type"] == "originatee"


def test_custom_events_put_the_subclass_first() -> None:
    for name, subclass in (("start", "avmd::start"), ("beep", "avmd::beep"),
                           ("stop", "avmd::stop")):
        event = parse_plain(body(f"freeswitch-docs__mod_avmd_avmd-{name}.body.txt"))
        assert event.headers[0] == ("Event-Subclass", subclass)
        assert event.name == "CUSTOM" and event.subclass == subclass
    beep = parse_plain(body("freeswitch-docs__mod_avmd_avmd-beep.body.txt"))
    assert beep["Beep-Status"] == "DETECTED"


@pytest.mark.parametrize("name", BODIES)
def test_bodies_reserialise(name: str) -> None:
    data = body(name)
    event = parse_plain(data)
    assert event.name
    assert serialize_plain(event).rstrip(b"\n") == data.rstrip(b"\n")
