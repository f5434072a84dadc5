"""Real FreeSWITCH events (tests/fixtures/esl, sources in its SOURCES.md) as engine events."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.esl.event import Event as EslEvent
from dialer.esl.event import parse_plain
from dialer.esl.protocol import ClientProtocol, EventReceived
from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallHungUp,
    CallRinging,
    DtmfReceived,
    OriginateFailed,
    PlaybackFinished,
)
from dialer.freeswitch import FreeSwitchAdapter, to_engine_events
from dialer.freeswitch.events import event_time
from dialer.hangup import HangupCause

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "esl"


def _stream_events(name: str) -> list[EslEvent]:
    protocol = ClientProtocol()
    data = (FIXTURES / name).read_bytes()
    if name.endswith(".trimmed.txt"):
        data += b"\n\n"  # the source trimmed the final blank line (SOURCES.md)
    protocol.receive_data(data)
    return [m.event for m in protocol.messages() if isinstance(m, EventReceived)]


def _body(name: str) -> EslEvent:
    return parse_plain((FIXTURES / name).read_bytes())


EXAMPLE6 = "neventsocket__Fixtures_Example6.outbound-stream.txt"


def test_answer_capture() -> None:
    event = _body("cgrates__general_tests_fsevcorelate_test_answerEvent_CHANNEL_ANSWER.body.txt")
    (mapped,) = to_engine_events(event)
    assert isinstance(mapped, CallAnswered)
    assert mapped.call_id == event["Unique-ID"]
    assert mapped.at == int(event["Event-Date-Timestamp"]) / 1e6


def test_hangup_complete_capture_carries_the_cause() -> None:
    event = _body("cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt")
    (mapped,) = to_engine_events(event, at=5.0)
    assert isinstance(mapped, CallHungUp)
    assert mapped.call_id == event["Unique-ID"] and mapped.at == 5.0
    assert mapped.cause is HangupCause.from_name(event["Hangup-Cause"])
    assert mapped.cause is not HangupCause.UNKNOWN


def test_avmd_beep_capture_means_machine() -> None:
    event = _body("freeswitch-docs__mod_avmd_avmd-beep.body.txt")
    (mapped,) = to_engine_events(event, at=1.0)
    assert mapped == CallClassified(1.0, event["Unique-ID"], AnswerKind.MACHINE)
    start = _body("freeswitch-docs__mod_avmd_avmd-start.body.txt")
    assert to_engine_events(start, at=1.0) == []


def test_failed_originate_background_job_capture() -> None:
    (event,) = _stream_events(
        "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt"
    )
    # The captured originate set no origination_uuid: without the runner's Job-UUID map
    # there is nothing to correlate, and the adapter says so by mapping nothing.
    assert to_engine_events(event, at=1.0) == []
    (mapped,) = to_engine_events(event, at=1.0, job_calls={event["Job-UUID"]: "c42"})
    assert mapped == OriginateFailed(1.0, "c42", HangupCause.RECOVERY_ON_TIMER_EXPIRE)


def test_background_job_correlated_by_origination_uuid() -> None:
    (event,) = _stream_events(
        "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt"
    )
    headers = dict(event.headers)
    headers["Job-Command-Arg"] = "{origination_uuid=c7,ignore_early_media=true}sofia/gw/1 &park()"
    (mapped,) = to_engine_events(headers, "-ERR USER_BUSY\n", at=2.0)
    assert mapped == OriginateFailed(2.0, "c7", HangupCause.USER_BUSY)
    assert to_engine_events(headers, "+OK c7\n", at=2.0) == []


def test_example6_call_flow() -> None:
    events = _stream_events(EXAMPLE6)
    adapter = FreeSwitchAdapter()
    mapped = [e for event in events for e in adapter.events(event)]
    kinds = {type(e) for e in mapped}
    assert {CallRinging, CallAnswered, CallBridged, DtmfReceived} <= kinds
    bridge = next(e for e in mapped if isinstance(e, CallBridged))
    first_bridge = next(e for e in events if e.name == "CHANNEL_BRIDGE")
    assert bridge.call_id == first_bridge["Bridge-A-Unique-ID"]
    digits = "".join(e.digit for e in mapped if isinstance(e, DtmfReceived))
    assert digits.startswith("#91234#7")
    times = [e.at for e in mapped]
    assert times == sorted(times)


def test_bridge_names_the_agent_from_the_leg_map() -> None:
    events = _stream_events(EXAMPLE6)
    first_bridge = next(e for e in events if e.name == "CHANNEL_BRIDGE")
    agent_leg = first_bridge["Bridge-B-Unique-ID"]
    (mapped,) = to_engine_events(first_bridge, agent_legs={agent_leg: "ann"})
    assert mapped.agent_id == "ann" and mapped.call_id == first_bridge["Bridge-A-Unique-ID"]


def test_agent_leg_events_become_agent_events() -> None:
    answer = _body("cgrates__general_tests_fsevcorelate_test_answerEvent_CHANNEL_ANSWER.body.txt")
    headers = dict(answer.headers)
    headers["variable_dialer_agent_id"] = "ann"
    assert to_engine_events(headers, at=1.0) == [AgentLegUp(1.0, "ann")]
    hangup = dict(
        _body("cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt")
        .headers
    )
    hangup["variable_dialer_agent_id"] = "ann"
    (down,) = to_engine_events(hangup, at=2.0)
    assert isinstance(down, AgentLegDown) and down.agent_id == "ann"


def test_amd_result_on_execute_complete() -> None:
    # A real CHANNEL_EXECUTE_COMPLETE, with the application and variables mod_amd
    # (seanbright/mod_amd) sets, per reference §3.4.
    (event,) = [
        e for e in _stream_events(
            "neventsocket__TestMessages_PlaybackComplete_CHANNEL_EXECUTE_COMPLETE.trimmed.txt"
        ) if e.name == "CHANNEL_EXECUTE_COMPLETE"
    ]
    assert to_engine_events(event, at=1.0) == []  # a playback finishing is not an AMD result
    headers = dict(event.headers)
    headers["Application"] = "amd"
    for result, kind in [("HUMAN", AnswerKind.HUMAN), ("MACHINE", AnswerKind.MACHINE),
                         ("NOTSURE", AnswerKind.UNKNOWN)]:
        headers["variable_amd_result"] = result
        (mapped,) = to_engine_events(headers, at=1.0)
        assert mapped == CallClassified(1.0, event["Unique-ID"], kind)


def test_playback_stop_and_unknown_events() -> None:
    assert to_engine_events({"Event-Name": "PLAYBACK_STOP", "Unique-ID": "c1"}, at=1.0) == [
        PlaybackFinished(1.0, "c1")
    ]
    assert to_engine_events({"Event-Name": "HEARTBEAT"}, at=1.0) == []
    assert to_engine_events({}, at=1.0) == []


def test_missing_timestamp_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Event-Date-Timestamp"):
        event_time({"Event-Name": "CHANNEL_ANSWER"})


def test_adapter_forgets_a_closed_agent_leg() -> None:
    from dialer.commands import OriginateAgentLeg

    adapter = FreeSwitchAdapter()
    adapter.api_calls([OriginateAgentLeg(0.0, "ann", "leg-1", "user/1001")])
    events = adapter.events(
        {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "leg-1",
         "Hangup-Cause": "NORMAL_CLEARING"}, at=3.0,
    )
    assert events == [AgentLegDown(3.0, "ann", HangupCause.NORMAL_CLEARING)]
    assert adapter.agent_legs == {}
