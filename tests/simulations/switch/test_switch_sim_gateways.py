"""The simulator's gateways (simulations/switch/gateways.py): each carrier's channels, calls
per second and failures, reported the way FreeSWITCH reports them (capture 04a for a SIP
refusal; mod_sofia's refusals before any channel for a gateway down or unknown)."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from switch_wire import RawClient

from dialer.esl.protocol import EventReceived
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.gateways import CarrierGateway, GatewayBook
from simulations.switch.switch import SwitchSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dialer" / "esl"))
import real_fs

QUIET = ("CHANNEL_STATE", "CHANNEL_CALLSTATE")


def _ringing(rng: random.Random) -> CalleeFate:
    return CalleeFate(CalleeKind.NO_ANSWER, float("inf"), 0.0, 0.0)


def _captured_congestion() -> list[str]:
    uuid = real_fs.legs("04a-failures-sip")["congestion-a"]
    return [e.name for e in real_fs.events("04a-failures-sip")
            if e.get("Unique-ID") == uuid and e.name not in QUIET]


async def _session(gateways: tuple[CarrierGateway, ...]):
    settings = SwitchSettings(speed=20.0, heartbeat_interval=0, gateways=gateways)
    context = running_switch(settings=settings, fate_source=_ringing, seed=3)
    sim = await context.__aenter__()
    client = await RawClient.connect(sim.url.host, sim.url.port)
    await client.login()
    await client.send("event plain ALL\n\n")
    return context, sim, client


async def _originate(client, uuid: str, gateway: str) -> None:
    reply = await client.send(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true,"
        f"originate_timeout=30}}sofia/gateway/{gateway}/+442079460100 &park()\n"
        f"Job-UUID: job-{uuid}\n\n")
    assert reply.reply_text.startswith("+OK Job-UUID: ")


async def _job(client, uuid: str):
    seen = []
    while True:
        event, messages = await client.until_event("BACKGROUND_JOB")
        seen += messages
        if event.get("Job-UUID") == f"job-{uuid}":
            return event, seen


@pytest.mark.parametrize("cause", ["NORMAL_TEMPORARY_FAILURE", "NORMAL_CIRCUIT_CONGESTION"])
def test_a_carrier_refusal_looks_like_the_captured_503(cause: str) -> None:
    async def scenario() -> None:
        context, _, client = await _session((CarrierGateway("gw", failure_share=1.0,
                                                            failure_cause=cause),))
        try:
            await _originate(client, "u-1", "gw")
            job, seen = await _job(client, "u-1")
            assert job.body == f"-ERR {cause}\n"
            order = [m.event.name for m in seen if isinstance(m, EventReceived)]
            assert "CHANNEL_HANGUP_COMPLETE" in order  # before the job's -ERR
            seen += (await client.until_event("CHANNEL_DESTROY", uuid="u-1"))[1]
            names = [m.event.name for m in seen if isinstance(m, EventReceived)
                     and m.event.get("Unique-ID") == "u-1" and m.event.name not in QUIET]
            # Capture 04a's congestion leg: created, refused without ringing.
            assert names == _captured_congestion()
            complete = next(m.event for m in seen if isinstance(m, EventReceived)
                            and m.event.name == "CHANNEL_HANGUP_COMPLETE")
            assert complete.get("Hangup-Cause") == cause
            assert complete.variable("sip_hangup_disposition") == "recv_refuse"
            assert complete.variable("sip_gateway_name") == "gw"
            assert complete.variable("sip_term_status") == (
                "503" if cause == "NORMAL_CIRCUIT_CONGESTION" else "500")
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


@pytest.mark.parametrize(("gateways", "name", "cause"), [
    ((CarrierGateway("gw", down=True),), "gw", "GATEWAY_DOWN"),
    ((CarrierGateway("gw"),), "other", "INVALID_GATEWAY"),
])
def test_down_or_unknown_gateways_refuse_before_any_channel(gateways, name, cause) -> None:
    async def scenario() -> None:
        context, sim, client = await _session(gateways)
        try:
            await _originate(client, "u-2", name)
            job, seen = await _job(client, "u-2")
            assert job.body == f"-ERR {cause}\n"
            assert not [m for m in seen if isinstance(m, EventReceived)
                        and m.event.get("Unique-ID") == "u-2"]
            assert not sim.switch.channels
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_over_the_channels_the_carrier_answers_503_and_frees_them_at_the_end() -> None:
    async def scenario() -> None:
        context, sim, client = await _session((CarrierGateway("gw", channels=2),))
        try:
            for uuid in ("a", "b", "c"):
                await _originate(client, uuid, "gw")
            job, _ = await _job(client, "c")
            assert job.body == "-ERR NORMAL_CIRCUIT_CONGESTION\n"
            tally = sim.switch.gateways.summary()["gw"]
            assert (tally["peak_in_use"], tally["over_channels"]) == (2, 1)
            await client.send("api uuid_kill a\n\n")
            await _job(client, "a")
            await _originate(client, "d", "gw")  # a's channel is free again
            await asyncio.sleep(0.05)
            assert "d" in sim.switch.channels
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 0.6), min_size=1, max_size=60), st.integers(1, 5),
       st.integers(1, 5))
def test_the_referee_counts_every_invite_over_the_limits(gaps: list[float], channels: int,
                                                         cps: int) -> None:
    """The book's tallies agree with a plain recount: INVITEs over ``cps`` within one
    second and over ``channels`` at once are refused and counted, the others carried."""
    book = GatewayBook([CarrierGateway("gw", channels=channels, cps=cps)])
    rng = random.Random(0)
    now, held, sent, over_cps, over_channels = 0.0, [], [], 0, 0
    for index, gap in enumerate(gaps):
        now += gap
        for uuid, end in list(held):
            if end <= now:
                book.released(uuid)
                held.remove((uuid, end))
        sent = [t for t in sent if t > now - 1.0] + [now]
        admission = book.admit("gw", now, rng)
        if len(sent) > cps:
            over_cps += 1
            assert admission.over_limit and not admission.seizes
        elif len(held) >= channels:
            over_channels += 1
            assert admission.over_limit and not admission.seizes
        else:
            assert admission.cause is None and admission.seizes
            book.seized("gw", str(index))
            held.append((str(index), now + 1.5))
    tally = book.summary()["gw"]
    assert (tally["over_cps"], tally["over_channels"]) == (over_cps, over_channels)
    assert tally["peak_in_use"] <= channels
