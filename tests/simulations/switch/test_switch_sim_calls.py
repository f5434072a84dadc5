"""Call flows of the simulator: the event sequences of reference §2.3 for every callee fate,
agents on nailed-up legs, safe-harbour playback with opt-out, AMD, recording."""

from __future__ import annotations

import asyncio
import math

import pytest
from switch_wire import RawClient

from dialer.esl.protocol import EventReceived
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.switch import PUBLIC_TREE_MODULES, SwitchSettings

FAST = SwitchSettings(speed=50.0, heartbeat_interval=0)


def fixed(kind: CalleeKind, answer_after: float = 2.0, talk: float = 5.0,
          patience: float = 3.0):
    return lambda rng: CalleeFate(kind, answer_after, talk, patience)


async def _session(fate, settings=FAST, events="ALL"):
    context = running_switch(settings=settings, fate_source=fate, seed=7)
    sim = await context.__aenter__()
    client = await RawClient.connect(sim.url.host, sim.url.port)
    await client.login()
    await client.send(f"event plain {events}\n\n")
    return context, sim, client


def _names(messages, uuid):
    return [m.event.name for m in messages if isinstance(m, EventReceived)
            and m.event.get("Unique-ID") == uuid and m.event.name not in (
                "CHANNEL_STATE", "CHANNEL_CALLSTATE")]


async def _originate(client, uuid, endpoint="sofia/gateway/gw/15551230000", extra=""):
    reply = await client.send(
        f"bgapi originate {{origination_uuid={uuid},ignore_early_media=true,"
        f"originate_timeout=20,origination_caller_id_number=15550001111,"
        f"origination_caller_id_name='Acme Co',dialer_call_id=42{extra}}}{endpoint} &park()\n\n")
    assert reply.reply_text.startswith("+OK Job-UUID: ")


@pytest.mark.parametrize(("kind", "answer_after", "cause"), [
    (CalleeKind.NO_ANSWER, math.inf, "NO_ANSWER"),
    (CalleeKind.LIVE, 25.0, "NO_ANSWER"),  # answers after the ring timeout: a no-answer
    (CalleeKind.BUSY, 3.0, "USER_BUSY"),
])
def test_unanswered_calls_end_with_their_cause(kind, answer_after, cause) -> None:
    async def scenario() -> None:
        context, _, client = await _session(fixed(kind, answer_after))
        try:
            await _originate(client, "u-1")
            _, seen = await client.until_event("CHANNEL_DESTROY", uuid="u-1")
            names = _names(seen, "u-1")
            assert names[:3] == ["CHANNEL_OUTGOING", "CHANNEL_CREATE", "CHANNEL_ORIGINATE"]
            assert names[-3:] == ["CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"]
            assert "CHANNEL_ANSWER" not in names
            complete = next(m.event for m in seen if isinstance(m, EventReceived)
                            and m.event.name == "CHANNEL_HANGUP_COMPLETE")
            assert complete.get_all("Hangup-Cause") == [cause, cause]
            assert complete.variable("dialer_call_id") == "42"
            # The job result comes before the a-leg's HANGUP_COMPLETE when the originate
            # itself gave up (NO_ANSWER), after it otherwise (real captures, flow 04a).
            order = [m.event.name for m in seen if isinstance(m, EventReceived)
                     and m.event.name in ("BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE")]
            job = next((m.event for m in seen if isinstance(m, EventReceived)
                        and m.event.name == "BACKGROUND_JOB"), None)
            job = job or (await client.until_event("BACKGROUND_JOB"))[0]
            assert job.body == f"-ERR {cause}\n"
            assert (order[0] == "BACKGROUND_JOB") == (cause == "NO_ANSWER")
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_live_answer_waits_in_silence_then_hangs_up() -> None:
    async def scenario() -> None:
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0, patience=2.0))
        try:
            await _originate(client, "u-2")
            answer, seen = await client.until_event("CHANNEL_ANSWER", uuid="u-2")
            assert answer["Answer-State"] == "answered"
            assert answer.variable("origination_caller_id_name") == "Acme Co"
            assert answer["Caller-Caller-ID-Number"] == "15550001111"
            names = _names(seen, "u-2")
            assert names.index("CHANNEL_PROGRESS") < names.index("CHANNEL_ANSWER")
            hangup, _ = await client.until_event("CHANNEL_HANGUP", uuid="u-2")
            assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"
            # Who hung up: on CHANNEL_HANGUP_COMPLETE only, as a real switch says it (02, 06).
            assert hangup.variable("sip_hangup_disposition") is None
            complete, _ = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="u-2")
            assert complete.variable("sip_hangup_disposition") == "recv_bye"
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_bridge_to_agent_then_agent_returns_to_park() -> None:
    async def scenario() -> None:
        context, sim, client = await _session(fixed(CalleeKind.LIVE, 1.0, talk=3.0))
        try:
            await _originate(client, "agent-1", "user/1001", ",park_after_bridge=true")
            await client.until_event("CHANNEL_PARK", uuid="agent-1")
            await _originate(client, "cust-1")
            # Bridged once parked: on CHANNEL_ANSWER it would race the originate
            # (test_switch_sim_races.py).
            await client.until_event("CHANNEL_PARK", uuid="cust-1")
            bridged = await client.send("api uuid_bridge cust-1 agent-1\n\n")
            assert bridged.body == "+OK agent-1\n"
            bridge, _ = await client.until_event("CHANNEL_BRIDGE")
            assert bridge.headers[13] == ("Bridge-A-Unique-ID", "cust-1")
            assert bridge["Bridge-B-Unique-ID"] == "agent-1"
            assert bridge["Other-Type"] == "originatee"
            assert bridge["Other-Leg-Unique-ID"] == "agent-1"
            _, seen = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="cust-1",
                                               timeout=10)
            names = [(m.event.name, m.event.unique_id) for m in seen
                     if isinstance(m, EventReceived)]
            # park_after_bridge: the agent is parked before the customer's UNBRIDGE (flow 05).
            assert names.index(("CHANNEL_PARK", "agent-1")) < names.index(
                ("CHANNEL_UNBRIDGE", "cust-1"))
            assert "agent-1" in sim.switch.channels and "cust-1" not in sim.switch.channels
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_safe_harbour_playback_with_opt_out_then_hangup() -> None:
    async def scenario() -> None:
        settings = SwitchSettings(speed=50.0, heartbeat_interval=0, opt_out_probability=1.0,
                                  sound_files=frozenset({"/sounds/safe.wav"}))
        context, _, client = await _session(fixed(CalleeKind.LIVE, 1.0, patience=60), settings)
        try:
            await _originate(client, "u-3")
            await client.until_event("CHANNEL_ANSWER", uuid="u-3")
            sent = await client.send(
                "api uuid_broadcast u-3 playback!normal_clearing::/sounds/safe.wav aleg\n\n")
            assert sent.body == "+OK Message sent\n"
            start, _ = await client.until_event("PLAYBACK_START", uuid="u-3")
            assert start["Playback-File-Path"] == "/sounds/safe.wav"
            dtmf, _ = await client.until_event("DTMF", uuid="u-3")
            assert dtmf["DTMF-Digit"] == "9"
            assert not any(name.startswith("variable_") for name, _ in dtmf.headers)
            stop, _ = await client.until_event("PLAYBACK_STOP", uuid="u-3")
            assert stop["Playback-Status"] == "done"
            hangup, _ = await client.until_event("CHANNEL_HANGUP", uuid="u-3")
            assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"
            # Who hung up: on CHANNEL_HANGUP_COMPLETE only, as a real switch says it (02, 06).
            assert hangup.variable("sip_hangup_disposition") is None
            complete, _ = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="u-3")
            assert complete.variable("sip_hangup_disposition") == "send_bye"
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_amd_result_on_execute_complete_and_recording_events() -> None:
    async def scenario() -> None:
        settings = SwitchSettings(speed=50.0, heartbeat_interval=0, amd_false_negative=0.0,
                                  modules=PUBLIC_TREE_MODULES | {"mod_amd"})
        context, _, client = await _session(fixed(CalleeKind.MACHINE, 1.0), settings)
        try:
            await _originate(client, "u-4", extra=",execute_on_answer=amd")
            done, _ = await client.until_event("CHANNEL_EXECUTE_COMPLETE", uuid="u-4")
            assert done["Application"] == "amd"
            assert done.variable("amd_result") == "MACHINE"
            client.writer.write(b"api uuid_record u-4 start /tmp/u-4.wav\n\n")
            record, _ = await client.until_event("RECORD_START", uuid="u-4")
            assert record["Record-File-Path"] == "/tmp/u-4.wav"
            client.writer.write(b"api uuid_kill u-4\n\n")
            stop, _ = await client.until_event("RECORD_STOP", uuid="u-4")
            assert stop["Record-File-Path"] == "/tmp/u-4.wav"
            complete, _ = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="u-4")
            assert complete["Hangup-Cause"] == "NORMAL_CLEARING"
            assert int(complete.variable("billsec")) >= 0
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_uuid_kill_of_a_ringing_leg_is_originator_cancel() -> None:
    async def scenario() -> None:
        context, _, client = await _session(fixed(CalleeKind.NO_ANSWER, math.inf))
        try:
            await _originate(client, "u-5")
            await client.until_event("CHANNEL_CREATE", uuid="u-5")
            value = await client.send("api uuid_getvar u-5 dialer_call_id\n\n")
            assert value.body == "42"
            client.writer.write(b"api uuid_kill u-5\n\n")
            hangup, _ = await client.until_event("CHANNEL_HANGUP", uuid="u-5")
            assert hangup["Hangup-Cause"] == "ORIGINATOR_CANCEL"
            assert hangup.variable("hangup_cause_q850") == "16"
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_avmd_beep_on_a_machine_as_mod_avmd_fires_it() -> None:
    async def scenario() -> None:
        context, sim, client = await _session(fixed(CalleeKind.MACHINE, 1.0, talk=3.0),
                                              events="CHANNEL_ANSWER CUSTOM avmd::start avmd::beep")
        try:
            await _originate(client, "m-1")
            answer, _ = await client.until_event("CHANNEL_ANSWER", uuid="m-1")
            started = await client.send("api avmd m-1 start\n\n")
            assert started.body.startswith("+OK\n [m-1] [")
            assert started.body.endswith("started!\n\n")
            start, _ = await client.until_event("CUSTOM")
            full_start, _ = await client.until_event("CUSTOM")
            beep, _ = await client.until_event("CUSTOM")
            assert start.headers[:2] == (("Event-Subclass", "avmd::start"),
                                         ("Event-Name", "CUSTOM"))
            # mod_avmd delivers every event twice under one Event-Sequence: bare, then full.
            assert full_start.subclass == "avmd::start" and "Channel-State" in full_start
            assert full_start["Event-Sequence"] == start["Event-Sequence"]
            assert beep.subclass == "avmd::beep" and beep["Beep-Status"] == "DETECTED"
            assert beep["Unique-ID"] == "m-1" and "Channel-State" not in beep
            # The beep comes when the 3 s greeting ends, counted from the answer on the
            # switch's clock: bounded by the simulated clock, not by the wall (at 50x speed a
            # busy machine's scheduling delays would stretch any wall-clock bound).
            answered_us = int(answer["Caller-Channel-Answered-Time"])
            beep_us = int(start["Start-time"]) + int(beep["Detection-time"])
            assert int(beep["Detection-time"]) > 0
            assert answered_us + 3_000_000 <= beep_us <= sim.switch.bus.now_us()
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_variables_show_calls_sendmsg_and_hupall() -> None:
    async def scenario() -> None:
        context, _, client = await _session(fixed(CalleeKind.LIVE, 0.5, talk=60, patience=60),
                                            events="CHANNEL_HANGUP_COMPLETE")
        try:
            await client.send("api originate {origination_uuid=a-1}user/1001 &park()\n\n")
            await client.send("api originate {origination_uuid=c-1}"
                              "sofia/gateway/gw/15550001111 &park()\n\n")
            assert (await client.send("api uuid_setvar c-1 lead 7\n\n")).body == "+OK\n"
            assert (await client.send("api uuid_getvar c-1 lead\n\n")).body == "7"
            assert (await client.send("api uuid_getvar c-1 nothing\n\n")).body == "_undef_"
            assert (await client.send("api uuid_setvar nobody x 1\n\n")).body == (
                "-ERR No such channel!\n")
            assert (await client.send("api uuid_bridge c-1 a-1\n\n")).body == "+OK a-1\n"
            await asyncio.sleep(0.05)  # the bridge takes effect ~20 ms (simulated) later
            calls = (await client.send("api show calls\n\n")).body
            header, first_row = calls.split("\n")[:2]
            assert header.startswith("uuid,direction,") and ",b_uuid," in header
            assert first_row.startswith("c-1,outbound,") and ",a-1," in first_row
            assert calls.endswith("\n\n1 total.\n")  # one call: the bridged pair
            await client.send("api originate {origination_uuid=a-2}user/1002 &park()\n\n")
            reply = await client.send("sendmsg a-2\ncall-command: hangup\n"
                                      "hangup-cause: USER_BUSY\n\n")
            assert reply.reply_text == "+OK"
            complete, _ = await client.until_event("CHANNEL_HANGUP_COMPLETE", uuid="a-2")
            assert complete["Hangup-Cause"] == "USER_BUSY"
            assert (await client.send("api hupall MANAGER_REQUEST\n\n")).body == (
                "+OK hangup all channels with cause MANAGER_REQUEST\n")
            assert (await client.send("api show channels\n\n")).body == "\n0 total.\n"
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())


def test_early_media_before_answer() -> None:
    async def scenario() -> None:
        settings = SwitchSettings(speed=50.0, heartbeat_interval=0, early_media_probability=1.0)
        context, _, client = await _session(fixed(CalleeKind.LIVE, 2.0), settings)
        try:
            await _originate(client, "e-1")
            _, seen = await client.until_event("CHANNEL_ANSWER", uuid="e-1")
            names = _names(seen, "e-1")
            assert names.index("CHANNEL_PROGRESS") < names.index("CHANNEL_PROGRESS_MEDIA")
            media = next(m.event for m in seen if isinstance(m, EventReceived)
                         and m.event.name == "CHANNEL_PROGRESS_MEDIA")
            assert media["Answer-State"] == "early"
            assert media.variable("endpoint_disposition") == "EARLY MEDIA"
        finally:
            await context.__aexit__(None, None, None)
    asyncio.run(scenario())
