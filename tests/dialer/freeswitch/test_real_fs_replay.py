"""Every real FreeSWITCH capture (tests/fixtures/esl/real-fs) through the parser, in random
read sizes, and the FreeSWITCH adapter: the engine events each flow yields, per leg.

The adapter follows the legs the recorder's originates created (their ``origination_uuid``;
an originate with ``dialer_agent=`` is an agent's leg) and reads each job result with them,
as the runner does; everyone else's channels (the test harness's callee legs, loopback
b-legs) map to nothing."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from dialer.esl.protocol import ClientProtocol, EventReceived
from dialer.freeswitch import SwitchCalls

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "esl"))
import real_fs

_JOB = re.compile(r"Job-UUID: (\S+)")
_AGENT = re.compile(r"dialer_agent=(\w+)")
_TIME = re.compile(r"^\| (\d+) \| (\d+\.\d+) \|")

EXPECTED: dict[str, list[str]] = {
    "02-originate-human-sip": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallHungUp CUST-a NORMAL_CLEARING callee"],
    "03-originate-human-loopback": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallHungUp CUST-a NORMAL_CLEARING unknown"],
    "04a-failures-sip": [
        # The far end refused (recv_refuse) busy, unallocated, congestion and rejected
        # alike; the dialer gave up ringing (send_cancel).
        "CallHungUp busy-a USER_BUSY callee", "CallRinging noanswer-a",
        "CallHungUp noanswer-a NO_ANSWER dialer",
        "CallRinging unallocated-a", "CallHungUp unallocated-a UNALLOCATED_NUMBER callee",
        "CallHungUp congestion-a NORMAL_CIRCUIT_CONGESTION callee",
        "CallHungUp rejected-a CALL_REJECTED callee"],
    "04b-failures-loopback": [
        "CallHungUp busy-a USER_BUSY unknown", "CallRinging noanswer-a",
        "CallHungUp noanswer-a NO_ANSWER unknown", "CallRinging unallocated-a",
        "CallHungUp unallocated-a UNALLOCATED_NUMBER unknown",
        "CallHungUp congestion-a NORMAL_CIRCUIT_CONGESTION unknown",
        "CallHungUp rejected-a CALL_REJECTED unknown"],
    "05-agent-bridge": [
        "AgentLegUp ann AGENT-a",
        "CallRinging CUST1-a", "CallAnswered CUST1-a", "CallParked CUST1-a",
        "CallBridged CUST1-a ann", "AgentLegUp ann AGENT-a",
        "CallHungUp CUST1-a NORMAL_CLEARING unknown",
        "CallRinging CUST2-a", "CallAnswered CUST2-a", "CallParked CUST2-a",
        "CallBridged CUST2-a ann", "AgentLegUp ann AGENT-a",
        "CallHungUp CUST2-a NORMAL_CLEARING unknown",
        "AgentLegDown ann AGENT-a NORMAL_CLEARING"],
    "06-safe-harbour-broadcast": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "PlaybackStarted CUST-a", "PlaybackFinished CUST-a",
        "PlaybackFailed CUST-a FILE NOT FOUND", "CallHungUp CUST-a NORMAL_CLEARING dialer"],
    # Recorded without CHANNEL_PARK in the subscription: never safe to bridge (the runner
    # subscribes to it, dialer.freeswitch.SUBSCRIPTION).
    "07-dtmf-from-callee": [
        "CallAnswered SIP-a", "DtmfReceived SIP-a 3", "DtmfReceived SIP-a 1",
        "DtmfReceived SIP-a 2", "CallHungUp SIP-a NORMAL_CLEARING dialer",
        "CallAnswered LB-a", "DtmfReceived LB-a 3", "DtmfReceived LB-a 1",
        "DtmfReceived LB-a 2", "CallHungUp LB-a NORMAL_CLEARING unknown"],
    "08a-avmd-answering-machine-loopback": [
        "CallRinging LB-a", "CallAnswered LB-a", "CallParked LB-a",
        "CallClassified LB-a machine", "CallHungUp LB-a NORMAL_CLEARING unknown"],
    "08b-avmd-answering-machine-sip": [
        "CallAnswered SIP-a", "CallClassified SIP-a machine",
        "CallHungUp SIP-a NORMAL_CLEARING dialer"],
    "09-uuid-record": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallHungUp CUST-a NORMAL_CLEARING unknown"],
    # The inbound leg is reported once, at its CHANNEL_PARK (its CHANNEL_ANSWER already has
    # dialer_queue, but only the park means the dialplan has handed it over); the harness's
    # caller a-leg parks too, without the variable: nothing.
    "10-inbound-queue": [
        "AgentLegUp ann AGENT-a", "InboundCallArrived INBOUND-b sales +12025550123",
        "CallBridged INBOUND-b ann", "AgentLegUp ann AGENT-a",
        "CallHungUp INBOUND-b NORMAL_CLEARING unknown",
        "AgentLegDown ann AGENT-a NORMAL_CLEARING"],
    "13a-originate-human-sip-json": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallHungUp CUST-a NORMAL_CLEARING callee"],
    "13b-event-xml": ["CallAnswered CUST-a", "CallHungUp CUST-a NORMAL_CLEARING unknown"],
    "16-filter-unique-id": [
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallHungUp CUST-a NORMAL_CLEARING callee"],
    "17-early-media-then-answer": [
        "CallRinging EM1-a", "CallAnswered EM1-a", "CallParked EM1-a",
        "CallHungUp EM1-a NORMAL_CLEARING callee",
        "CallRinging EM2-a", "CallAnswered EM2-a", "CallParked EM2-a",
        "CallHungUp EM2-a NORMAL_CLEARING callee"],
}
"""What each flow means to the engine, leg by leg (aliases from the sidecars). A hang-up
names who ended the leg (``variable_sip_hangup_disposition``): ``callee`` (recv_bye, the
far end's refusal), ``dialer`` (send_bye: the recorder's ``uuid_kill`` in 06, 07, 08b;
send_cancel), ``unknown`` on loopback legs, which carry no such variable."""


def _describe(event, alias: dict[str, str]) -> str:
    parts = [type(event).__name__]
    for field in ("call_id", "queue", "caller_number", "agent_id", "leg_id", "digit", "kind",
                  "cause", "side", "reason"):
        value = getattr(event, field, None)
        if value is None or value == "":
            continue
        if field in ("call_id", "leg_id"):
            value = alias.get(value, value)
        parts.append(getattr(value, "name", None) if field == "cause" else str(value))
    return " ".join(str(p) for p in parts)


def replay(name: str, chunks: list[int]) -> list[str]:
    legs = SwitchCalls()
    alias = {uuid: a for a, uuid in real_fs.legs(name).items()}
    for sent in real_fs.sent(name):
        uuid = sent.origination_uuid
        job = _JOB.search(sent.text)
        if uuid is None or not sent.text.startswith("bgapi originate"):
            continue
        if "/inbound " in sent.text:
            continue  # the test harness's caller: the dialer sees only the parked b-leg
        agent = _AGENT.search(sent.text)
        if agent:
            legs.track_agent_leg(uuid, agent.group(1), job.group(1) if job else None)
        else:
            legs.track_call(uuid, job.group(1) if job else None)
    md = (real_fs.REAL_FS / f"{name}.md").read_text(encoding="utf-8")
    times = [float(m.group(2)) for line in md.split("## Received frames", 1)[1].splitlines()
             if (m := _TIME.match(line))]
    protocol = ClientProtocol()
    data = real_fs.raw(name)
    out, frame, position = [], 0, 0
    for size in chunks:
        protocol.receive_data(data[position:position + size])
        position += size
        while (message := protocol.next_message()) is not None:
            if isinstance(message, EventReceived):
                event = message.event
                for mapped in legs.events(event, event.body, times[frame]):
                    out.append(_describe(mapped, alias))
            frame += 1
        if position >= len(data):
            break
    assert frame == real_fs.FRAMES[name]
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_capture_tells_the_engine_its_story(name: str) -> None:
    rng = random.Random(name)
    chunks = [rng.choice([1, 5, 64, 700, 4096, 1 << 20]) for _ in range(1 << 16)]
    assert replay(name, chunks) == EXPECTED[name]


def test_flows_the_dialer_does_not_drive_map_to_nothing() -> None:
    """Protocol-only captures (auth, api, heartbeat, filters, callcenter): no leg of ours."""
    for name in ("01a-auth-wrong-password", "01b-api-basics", "12-callcenter-config",
                 "14-heartbeat"):
        assert replay(name, [1 << 20] * 64) == []
