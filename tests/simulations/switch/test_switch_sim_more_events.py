"""Events a real FreeSWITCH sends that a dialer must read past, as the simulator sends them
(real captures, README "Surprises" 2, 10-12): CODEC (twice per leg; a loopback a-leg's under
its throw-away UUID), CALL_UPDATE with the caller-ID flip on answer, the flip on a bridge,
PRIVATE_COMMAND frames that start with a COMMAND block, and (hostile) an inbound caller's
CHANNEL_ANSWER before its CHANNEL_CREATE. Each fact is checked on the capture too, and the
dialer's adapter is shown to ignore them: the same engine events with or without them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from switch_wire import RawClient
from test_switch_sim_calls import _originate, _session, fixed

from dialer.esl.protocol import ClientProtocol, EventReceived
from dialer.freeswitch import FreeSwitchAdapter
from simulations.population import CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "esl" / "real-fs"
FAST = SwitchSettings(speed=50.0, heartbeat_interval=0)
IGNORED = {"CODEC", "CALL_UPDATE", "COMMAND", "PRIVATE_COMMAND"}


def _captured(name: str) -> list:
    protocol = ClientProtocol()
    protocol.receive_data((CAPTURES / name).read_bytes())
    return [m.event for m in protocol.messages() if isinstance(m, EventReceived)]


def _events(seen: list) -> list:
    return [m.event for m in seen if isinstance(m, EventReceived)]


def test_a_sip_answer_brings_codecs_then_the_caller_id_flip_as_captured() -> None:
    real = [e for e in _captured("02-originate-human-sip.esl")
            if (e.get("Channel-Name") or "") == "sofia/dialer/+442079460215"]
    real_names = [e.name for e in real if e.name in
                  ("CODEC", "CHANNEL_ANSWER", "CALL_UPDATE", "CHANNEL_PARK")]
    assert real_names == ["CODEC", "CODEC", "CHANNEL_ANSWER", "CALL_UPDATE", "CHANNEL_PARK"]
    update = next(e for e in real if e.name == "CALL_UPDATE")
    assert (update["Caller-Caller-ID-Number"], update["Caller-Callee-ID-Number"],
            update["Caller-Orig-Caller-ID-Number"], update["Direction"]) == (
        "+442079460215", "+12015550100", "+12015550100", "RECV")

    async def scenario() -> list:
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0, talk=5.0))
        try:
            await _originate(client, "u-1")
            _, seen = await client.until_event("CHANNEL_PARK", uuid="u-1")
            return _events(seen)
        finally:
            await context.__aexit__(None, None, None)

    ours = [e for e in asyncio.run(scenario()) if e.get("Unique-ID") == "u-1"]
    assert [e.name for e in ours if e.name in ("CODEC", "CHANNEL_ANSWER", "CALL_UPDATE",
                                               "CHANNEL_PARK")] == real_names
    update = next(e for e in ours if e.name == "CALL_UPDATE")
    assert (update["Caller-Caller-ID-Number"], update["Caller-Callee-ID-Number"],
            update["Caller-Orig-Caller-ID-Number"], update["Direction"]) == (
        "15551230000", "15550001111", "15550001111", "RECV")
    park = next(e for e in ours if e.name == "CHANNEL_PARK")
    assert park["Caller-Caller-ID-Number"] == "15551230000"  # the flip stays


def test_loopback_codecs_come_under_the_throwaway_uuid_and_a_bridge_flips_caller_ids() -> None:
    real = _captured("05-agent-bridge.esl")
    first = [e for e in real if e.name in ("CODEC", "CHANNEL_UUID")][:3]
    assert [e.name for e in first] == ["CODEC", "CODEC", "CHANNEL_UUID"]
    assert first[0]["Unique-ID"] == first[2]["Old-Unique-ID"]
    real_bridge = next(e for e in real if e.name == "CHANNEL_BRIDGE")
    assert real_bridge["Caller-Callee-ID-Number"] == "0000000000"  # the agent leg's caller

    async def scenario() -> list:
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0, talk=3.0))
        try:
            await _originate(client, "agent-1", "loopback/agent-ann/agents",
                             ",park_after_bridge=true,origination_caller_id_number=0000000000")
            await client.until_event("CHANNEL_PARK", uuid="agent-1")
            await _originate(client, "cust-1", "loopback/+15551230000/callees")
            _, seen = await client.until_event("CHANNEL_PARK", uuid="cust-1")
            await client.send("api uuid_bridge cust-1 agent-1\n\n")
            _, more = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="cust-1")
            return _events(seen + more)
        finally:
            await context.__aexit__(None, None, None)

    events = asyncio.run(scenario())
    head = [e for e in events if e.name in ("CODEC", "CHANNEL_UUID")
            and e.get("Channel-Name", "").startswith("loopback/+1555")][:3]
    assert [e.name for e in head] == ["CODEC", "CODEC", "CHANNEL_UUID"]
    assert head[0]["Unique-ID"] == head[2]["Old-Unique-ID"] != "cust-1"
    bridge = next(e for e in events if e.name == "CHANNEL_BRIDGE")
    assert bridge["Caller-Caller-ID-Number"] == "callees"
    assert bridge["Caller-Callee-ID-Number"] == "0000000000"
    agent_after = next(e for e in events if e.name == "CHANNEL_PARK"
                       and e["Unique-ID"] == "agent-1")
    assert agent_after["Caller-Caller-ID-Number"] == "callees"  # the customer's, as captured


def test_a_broadcast_ends_with_a_private_command_framed_as_captured() -> None:
    real = next(e for e in _captured("06-safe-harbour-broadcast.esl")
                if "PRIVATE_COMMAND" in e.get_all("Event-Name"))
    assert real.name == "COMMAND"  # first wins: the COMMAND block comes first
    assert real.get_all("Event-Name") == ["COMMAND", "PRIVATE_COMMAND"]

    async def scenario():
        settings = SwitchSettings(speed=50.0, heartbeat_interval=0, playback_seconds=1.0,
                                  sound_files=frozenset({"/snd/safe.wav"}))
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0, talk=30.0,
                                                  patience=100.0), settings=settings)
        try:
            await _originate(client, "u-1")
            await client.until_event("CHANNEL_PARK", uuid="u-1")
            await client.send("api uuid_broadcast u-1 /snd/safe.wav aleg\n\n")
            played, _ = await client.until_event("COMMAND", uuid="u-1")
            await client.send("api uuid_broadcast u-1 /snd/missing.wav aleg\n\n")
            failed, _ = await client.until_event("COMMAND", uuid="u-1")
            return played, failed
        finally:
            await context.__aexit__(None, None, None)

    for event in asyncio.run(scenario()):
        assert event.get_all("Event-Name") == ["COMMAND", "PRIVATE_COMMAND"]
        assert event["execute-app-name"] == "playback" and event["call-command"] == "execute"
        sequences = event.get_all("Event-Sequence")
        assert len(sequences) == 2 and int(sequences[0]) < int(sequences[1])


def test_hostile_inbound_callers_may_be_answered_before_they_are_created() -> None:
    """Flow 10: the inbound caller's a-leg reported CHANNEL_ANSWER before CHANNEL_CREATE."""
    real = [e.name for e in _captured("10-inbound-queue.esl")
            if e.get("Channel-Name", "").startswith("loopback/+18005550199-a")
            and e.name in ("CHANNEL_CREATE", "CHANNEL_ANSWER")]
    assert real == ["CHANNEL_ANSWER", "CHANNEL_CREATE"]

    async def scenario() -> list[list[str]]:
        settings = SwitchSettings(speed=50.0, heartbeat_interval=0, hostile=True)
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0), settings=settings)
        orders = []
        try:
            for n in range(8):
                await _originate(client, f"in-{n}", f"loopback/+1800555019{n}/inbound")
                _, seen = await client.until_event("CHANNEL_PARK", uuid=f"in-{n}")
                orders.append([e.name for e in _events(seen) if e.get("Unique-ID") == f"in-{n}"
                               and e.name in ("CHANNEL_CREATE", "CHANNEL_ANSWER")])
        finally:
            await context.__aexit__(None, None, None)
        return orders

    orders = asyncio.run(scenario())
    assert all(sorted(order) == ["CHANNEL_ANSWER", "CHANNEL_CREATE"] for order in orders)
    assert ["CHANNEL_ANSWER", "CHANNEL_CREATE"] in orders
    assert ["CHANNEL_CREATE", "CHANNEL_ANSWER"] in orders


def test_the_adapter_reads_past_them() -> None:
    """A call on the simulator under ``event plain ALL`` (every event above) gives the
    adapter exactly the engine events it gives under the dialer's own subscription."""
    from dialer.freeswitch import SUBSCRIPTION

    async def run(events: str) -> list:
        async with running_switch(settings=SwitchSettings(
                speed=50.0, heartbeat_interval=0, playback_seconds=1.0,
                sound_files=frozenset({"/snd/safe.wav"})),
                fate_source=fixed(CalleeKind.LIVE, 1.0, talk=2.0), seed=3) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send(f"event plain {events}\n\n")
            await _originate(client, "u-1")
            await client.until_event("CHANNEL_PARK", uuid="u-1")
            await client.send("api uuid_broadcast u-1 /snd/safe.wav aleg\n\n")
            _, seen = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="u-1")
            client.close()
        adapter = FreeSwitchAdapter()
        adapter.legs.track_call("u-1")
        mapped = []
        for event in _events(seen):
            out = adapter.events(event)
            if event.name in IGNORED:
                assert out == [], event.name
            mapped += [type(e).__name__ for e in out]
        return mapped

    narrow = asyncio.run(run(" ".join(SUBSCRIPTION).replace("CUSTOM ", "CUSTOM ")))
    everything = asyncio.run(run("ALL"))
    assert narrow == everything and "PlaybackStarted" in everything
