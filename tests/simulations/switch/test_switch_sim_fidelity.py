"""The simulator's events have the form of real FreeSWITCH traffic (tests/fixtures/esl):
envelope order, core header block, channel header order, encodings, body terminators."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from switch_wire import RawClient, raw_frames

from dialer.esl.event import parse_plain
from dialer.esl.protocol import ClientProtocol, EventReceived
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dialer" / "esl"))
from esl_captures import body, stream

CORE = ["Event-Name", "Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname",
        "FreeSWITCH-IPv4", "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT",
        "Event-Date-Timestamp", "Event-Calling-File", "Event-Calling-Function",
        "Event-Calling-Line-Number", "Event-Sequence"]


def _captured_events(name: str) -> dict[str, list]:
    protocol = ClientProtocol()
    protocol.receive_data(stream(name))
    found: dict[str, list] = {}
    for message in protocol.messages():
        if isinstance(message, EventReceived):
            found.setdefault(message.event.name, message.event)
    return found


async def _record_call(event_format: str = "plain") -> bytes:
    fate = lambda rng: CalleeFate(CalleeKind.LIVE, 1.0, 1.0, 1.0)  # noqa: E731
    settings = SwitchSettings(speed=50.0, heartbeat_interval=0, early_media_probability=1.0)
    async with running_switch(settings=settings, fate_source=fate, seed=3) as sim:
        client = await RawClient.connect(sim.url.host, sim.url.port)
        await client.login()
        await client.send(f"event {event_format} ALL\n\n")
        start = len(client.raw)
        await client.send("bgapi originate {origination_uuid=f-1,originate_timeout=30,"
                          "ringback=%(2000\\,4000\\,440\\,480)}"
                          "sofia/gateway/gw/15551234567 &park()\n\n")
        await client.until_event("CHANNEL_DESTROY", uuid="f-1")
        return bytes(client.raw[start:])


def _names(event) -> list[str]:
    return [name for name, _ in event.headers if not name.startswith("variable_")]


def _same_relative_order(ours: list[str], theirs: list[str]) -> bool:
    common = [name for name in ours if name in theirs]
    positions = [theirs.index(name) for name in common]
    return positions == sorted(positions)


def test_envelopes_and_bodies_are_framed_as_freeswitch_does() -> None:
    data = asyncio.run(_record_call())
    frames = raw_frames(data)
    events = [f for f in frames if f.content_type == "text/event-plain"]
    assert len(events) > 15
    for frame in events:
        assert [name for name, _ in frame.headers] == ["Content-Length", "Content-Type"]
        assert int(frame.headers[0][1]) == len(frame.body)
        event = parse_plain(frame.body)
        if event.body is None:
            assert frame.body.endswith(b"\n\n") and not frame.body.endswith(b"\n\n\n")
        else:
            assert frame.body.endswith(b"Content-Length: %d\n\n" % len(event.body.encode())
                                       + event.body.encode())
        assert _names(event)[:13] == CORE
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", event["Event-Date-Local"])
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", event["Event-Date-GMT"])
        assert re.fullmatch(r"\d{16}", event["Event-Date-Timestamp"])
    raw = b"".join(f.body for f in events)
    assert b"Event-Date-Local: 20" in raw and b"%3A" in raw  # encoded as switch_url_encode does
    assert b"variable_ringback: %25(2000,4000,440,480)" in raw  # as in the captures


def test_channel_headers_follow_the_captured_order() -> None:
    data = asyncio.run(_record_call())
    ours = {}
    for frame in raw_frames(data):
        if frame.content_type == "text/event-plain":
            event = parse_plain(frame.body)
            ours.setdefault(event.name, event)
    captured = _captured_events("neventsocket__Fixtures_Example5.outbound-stream.txt")
    for name in ("CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
                 "CHANNEL_HANGUP"):
        mine, theirs = _names(ours[name]), _names(captured[name])
        assert _same_relative_order(mine, theirs), name
        shared = set(mine) & set(theirs)
        assert {"Channel-State", "Unique-ID", "Answer-State", "Caller-Unique-ID"} <= shared
    hangup_complete = parse_plain(body(
        "cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt"))
    mine = ours["CHANNEL_HANGUP_COMPLETE"]
    for event in (mine, hangup_complete):  # right after Event-Sequence, before the channel block
        assert next(i for i, (n, _) in enumerate(event.headers) if n == "Hangup-Cause") == 13
    assert len(mine.get_all("Hangup-Cause")) == 2
    for variable in ("hangup_cause", "hangup_cause_q850", "billsec", "duration",
                     "sip_hangup_disposition"):
        assert mine.variable(variable) is not None
        assert hangup_complete.variable(variable) is not None
    assert not any(n.startswith("variable_") for n, _ in ours["CHANNEL_STATE"].headers)


def test_event_json_keeps_duplicate_hangup_causes() -> None:
    data = asyncio.run(_record_call("json"))
    frames = [f for f in raw_frames(data) if f.content_type == "text/event-json"]
    complete = next(f.body for f in frames if b'"CHANNEL_HANGUP_COMPLETE"' in f.body)
    assert complete.count(b'"Hangup-Cause":"NORMAL_CLEARING"') == 2
    assert not complete.endswith(b"\n")


def test_replaying_the_captured_inbound_session_gives_the_same_bytes() -> None:
    """The NEventSocket inbound capture, replayed: identical envelopes; the BACKGROUND_JOB has
    the same headers in the same order and the same body (values such as dates differ)."""
    captured = raw_frames(stream(
        "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt"))
    job_uuid = "43e14ab9-38b1-4187-9f08-e13f35136bb2"

    async def replay() -> bytes:
        async with running_switch(password="ClueCon") as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain BACKGROUND_JOB\n\n")
            await client.send("bgapi originate error/RECOVERY_ON_TIMER_EXPIRE &park()\n"
                              f"Job-UUID: {job_uuid}\n\n")
            await client.until_event("BACKGROUND_JOB")
            return bytes(client.raw)

    ours = raw_frames(asyncio.run(replay()))
    assert len(ours) == len(captured) == 5
    for mine, theirs in zip(ours[:4], captured[:4], strict=True):
        assert mine == theirs
    mine_job, their_job = parse_plain(ours[4].body), parse_plain(captured[4].body)
    assert [n for n, _ in mine_job.headers] == [n for n, _ in their_job.headers]
    assert mine_job.body == their_job.body == "-ERR RECOVERY_ON_TIMER_EXPIRE\n"
    assert mine_job["Job-UUID"] == their_job["Job-UUID"] == job_uuid
    assert mine_job["Event-Calling-Function"] == "api_exec"
