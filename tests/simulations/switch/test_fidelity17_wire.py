"""The simulator's socket-level behaviour against the real captures that no call flow replays
(seventeenth fidelity pass, docs/esl.md): 01a (wrong password), 14 (HEARTBEAT), 15 (myevents)
and 16 (filters): the bytes, reply texts and header names the dialer's client reads."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from switch_wire import RawClient

from dialer.esl.protocol import CommandReply, DisconnectNotice
from simulations.switch.embedded import running_switch
from simulations.switch.subscriptions import Subscription
from simulations.switch.switch import SwitchSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dialer" / "esl"))
import real_fs


def test_wrong_password_is_the_captured_byte_stream() -> None:
    """01a: greeting, ``-ERR invalid``, the 67-byte notice, close: the whole file, exactly."""
    async def scenario() -> bytes:
        async with running_switch() as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.next()
            await client.send("auth WrongPassword\n\n")
            assert isinstance(await client.next(), DisconnectNotice)
            assert await client.closed()
            return bytes(client.raw)
    assert asyncio.run(scenario()) == real_fs.raw("01a-auth-wrong-password")


def test_heartbeat_has_the_captured_headers_in_order() -> None:
    """14: the HEARTBEAT the client's liveness watchdog reads, header for header."""
    real = real_fs.events("14-heartbeat")[0]

    async def scenario() -> list[str]:
        async with running_switch(settings=SwitchSettings(heartbeat_interval=0)) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            reply = await client.send("event plain HEARTBEAT\n\n")
            assert reply.reply_text == "+OK event listener enabled plain"
            sim.server.heartbeat_now()
            beat, _ = await client.until_event("HEARTBEAT")
            assert beat["Event-Info"] == real["Event-Info"] == "System Ready"
            return [name for name, _ in beat.headers]
    assert asyncio.run(scenario()) == [name for name, _ in real.headers]


def test_myevents_replies_and_closing_notice_are_the_captured_bytes() -> None:
    """15: ``+OK Events Enabled``, ``-ERR aready enabled.`` and, when the channel ends, the
    notice with ``Controlled-Session-UUID`` and ``Content-Disposition: disconnect``. (The real
    switch closes after CHANNEL_HANGUP_COMPLETE; the simulator after CHANNEL_DESTROY, with one
    CHANNEL_STATE behind the notice: the dialer never uses ``myevents``, docs/esl.md.)"""
    captured = real_fs.raw("15-myevents")
    captured_notice = captured[captured.rfind(b"Content-Type: text/disconnect-notice"):]
    captured_uuid = real_fs.sent("15-myevents")[1].text.split()[1]

    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(speed=50.0)) as sim:
            control = await RawClient.connect(sim.url.host, sim.url.port)
            await control.login()
            await control.send("api originate {origination_uuid=s-1}user/1001 &park()\n\n")
            watcher = await RawClient.connect(sim.url.host, sim.url.port)
            await watcher.login()
            replies = [await watcher.send("myevents s-1\n\n") for _ in range(2)]
            assert [r.reply_text for r in replies] == ["+OK Events Enabled",
                                                       "-ERR aready enabled."]
            await control.send("api uuid_kill s-1\n\n")
            while not isinstance(await watcher.next(), DisconnectNotice):
                pass
            assert await watcher.closed()
            start = watcher.raw.rfind(b"Content-Type: text/disconnect")
            expected = captured_notice.replace(captured_uuid.encode(), b"s-1")
            assert bytes(watcher.raw[start:start + len(expected)]) == expected
    asyncio.run(scenario())


def test_filter_replies_are_the_captured_texts() -> None:
    """16: each filter command's Reply-Text, in the capture's order."""
    real = [m.reply_text for m in real_fs.messages("16-filter-unique-id")
            if isinstance(m, CommandReply)]
    commands = [s.text for s in real_fs.sent("16-filter-unique-id")]
    subscription = Subscription()
    ours = []
    for command in commands:
        if command.startswith("filter "):
            ours.append(subscription.filter_command(command[len("filter "):]))
        elif command.startswith("event "):
            ours.append(subscription.event_command(command))
        elif command == "noevents":
            ours.append(subscription.noevents())
    # The capture's replies minus auth, bgapi and exit, in order.
    expected = [t for t in real if t.startswith(("+OK filter", "-ERR invalid", "+OK event",
                                                 "+OK no longer"))]
    assert ours == expected


def test_a_unique_id_filter_drops_what_the_real_switch_dropped() -> None:
    """16 (README "Surprises" 7): under ``filter Unique-ID <leg>`` only that leg's events pass,
    the originate's BACKGROUND_JOB (no Unique-ID) is dropped, and ``filter Event-Name
    BACKGROUND_JOB`` lets jobs through again. Applied to the real, unfiltered event stream of
    flow 02, the simulator's filter keeps what capture 16 shows such a filter keeps."""
    events = real_fs.events("02-originate-human-sip")
    leg = real_fs.legs("02-originate-human-sip")["CUST-a"]
    subscription = Subscription()
    subscription.filter_command(f"Unique-ID {leg}")
    passed = [e for e in events if subscription.passes_filters(e)]
    assert passed == [e for e in events if e.get("Unique-ID") == leg]
    assert not any(e.name in ("BACKGROUND_JOB", "API", "HEARTBEAT") for e in passed)
    # Capture 16 under the same filter: only its customer's leg, no job.
    filtered = real_fs.events("16-filter-unique-id")
    customer = real_fs.sent("16-filter-unique-id")[2].text.split()[2]
    assert {e.get("Unique-ID") for e in filtered[:13]} == {customer}
    subscription.filter_command("Event-Name BACKGROUND_JOB")
    jobs = [e for e in events if e.name == "BACKGROUND_JOB"]
    assert jobs and all(subscription.passes_filters(e) for e in jobs)
    assert any(e.name == "BACKGROUND_JOB" for e in filtered)
