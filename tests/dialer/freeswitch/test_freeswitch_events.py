"""Real FreeSWITCH events (tests/fixtures/esl, sources in its SOURCES.md) as engine events,
through the stateful adapter: only the legs it follows map to anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    CallParked,
    DtmfReceived,
    OriginateFailed,
    PlaybackFailed,
    PlaybackFinished,
    PlaybackStarted,
)
from dialer.freeswitch import FreeSwitchAdapter, SwitchCalls
from dialer.freeswitch.events import event_time
from dialer.hangup import HangupCause, HangupSide

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


def _following(*calls: str, agents: dict[str, str] | None = None) -> SwitchCalls:
    legs = SwitchCalls()
    for call in calls:
        legs.track_call(call)
    for leg, agent in (agents or {}).items():
        legs.track_agent_leg(leg, agent)
    return legs


def test_answer_capture() -> None:
    event = _body("cgrates__general_tests_fsevcorelate_test_answerEvent_CHANNEL_ANSWER.body.txt")
    adapter = FreeSwitchAdapter()
    assert adapter.events(event) == []  # not a leg this dialer placed
    adapter.legs.track_call(event["Unique-ID"])
    (mapped,) = adapter.events(event)
    # Answered, but not yet safe to bridge: the originate is still returning.
    assert mapped == CallAnswered(int(event["Event-Date-Timestamp"]) / 1e6, event["Unique-ID"],
                                  False)


def test_hangup_complete_capture_carries_the_cause() -> None:
    event = _body("cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt")
    legs = _following(event["Unique-ID"])
    (mapped,) = legs.events(event, None, 5.0)
    assert isinstance(mapped, CallHungUp)
    assert mapped.call_id == event["Unique-ID"] and mapped.at == 5.0
    assert mapped.cause is HangupCause.from_name(event["Hangup-Cause"])
    assert mapped.cause is not HangupCause.UNKNOWN
    assert mapped.side is HangupSide.CALLEE  # variable_sip_hangup_disposition: recv_bye
    assert not legs.owns(event["Unique-ID"])  # the story is over


@pytest.mark.parametrize(("disposition", "side"), [
    ("recv_bye", HangupSide.CALLEE), ("recv_cancel", HangupSide.CALLEE),
    ("recv_refuse", HangupSide.CALLEE), ("send_bye", HangupSide.DIALER),
    ("send_cancel", HangupSide.DIALER), ("send_refuse", HangupSide.DIALER),
    (None, HangupSide.UNKNOWN), ("", HangupSide.UNKNOWN), ("recv_info", HangupSide.UNKNOWN),
    ("bye", HangupSide.UNKNOWN)])
def test_a_hang_up_names_the_side_the_switch_reported(disposition, side) -> None:
    """A CHANNEL_HANGUP_COMPLETE's ``variable_sip_hangup_disposition`` as the side; absent
    (a loopback channel) or a value this build does not know: unknown, never guessed."""
    headers = {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "c1",
               "Hangup-Cause": "NORMAL_CLEARING"}
    if disposition is not None:
        headers["variable_sip_hangup_disposition"] = disposition
    (mapped,) = _following("c1").events(headers, None, 2.0)
    assert mapped == CallHungUp(2.0, "c1", HangupCause.NORMAL_CLEARING, side)


@given(st.text(max_size=12))
def test_only_the_six_dispositions_name_a_side(text: str) -> None:
    known = {"recv_bye", "recv_cancel", "recv_refuse", "send_bye", "send_cancel",
             "send_refuse"}
    side = HangupSide.from_disposition(text)
    if text.strip().lower() not in known:
        assert side is HangupSide.UNKNOWN
    else:
        assert side is (HangupSide.CALLEE if text.strip().lower().startswith("recv")
                        else HangupSide.DIALER)


def test_an_originate_that_made_no_channel_names_no_side() -> None:
    assert OriginateFailed(1.0, "c1", HangupCause.USER_BUSY).side is HangupSide.UNKNOWN


def test_avmd_beep_capture_means_machine_once() -> None:
    event = _body("freeswitch-docs__mod_avmd_avmd-beep.body.txt")
    legs = _following(event["Unique-ID"])
    (mapped,) = legs.events(event, None, 1.0)
    assert mapped == CallClassified(1.0, event["Unique-ID"], AnswerKind.MACHINE)
    assert legs.events(event, None, 1.0) == []  # mod_avmd's second copy, same sequence
    start = _body("freeswitch-docs__mod_avmd_avmd-start.body.txt")
    assert legs.events(start, None, 1.0) == []


def test_failed_originate_without_a_channel_is_an_originate_failure() -> None:
    (event,) = _stream_events(
        "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt"
    )
    legs = SwitchCalls()
    assert legs.events(event, None, 1.0) == []  # a job of nobody's originate
    legs.track_call("c42", event["Job-UUID"])
    (mapped,) = legs.events(event, None, 1.0)
    assert mapped == OriginateFailed(1.0, "c42", HangupCause.RECOVERY_ON_TIMER_EXPIRE)
    assert legs.notes and "refused" in legs.notes[0]


def test_a_job_failure_of_a_call_the_switch_showed_is_not_its_end() -> None:
    """-ERR ORIGINATOR_CANCEL arrives for a call that is up and bridged (issue 17, item 1);
    any -ERR for a channel that exists is followed by its own HANGUP_COMPLETE."""
    legs = _following("c7", agents={"leg-a": "ann"})
    legs.jobs["job-7"] = "c7"
    answer = {"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "c7"}
    assert legs.events(answer, None, 1.0) == [CallAnswered(1.0, "c7", False)]
    job = {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "job-7"}
    assert legs.events(job, "-ERR ORIGINATOR_CANCEL\n", 1.02) == []
    assert "call goes on" in legs.notes[0]
    bridge = {"Event-Name": "CHANNEL_BRIDGE", "Unique-ID": "c7", "Bridge-A-Unique-ID": "c7",
              "Bridge-B-Unique-ID": "leg-a"}
    assert legs.events(bridge, None, 1.03) == [CallBridged(1.03, "c7", "ann")]


def test_park_makes_an_answered_leg_bridgeable_even_in_early_media() -> None:
    legs = _following("c1")
    park = {"Event-Name": "CHANNEL_PARK", "Unique-ID": "c1", "Answer-State": "early"}
    assert legs.events(park, None, 1.0) == []  # parked while it still rings (flow 17)
    answer = {"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "c1"}
    assert legs.events(answer, None, 3.0) == [CallAnswered(3.0, "c1", False),
                                              CallParked(3.0, "c1")]


def test_example6_call_flow() -> None:
    events = _stream_events(EXAMPLE6)
    first_bridge = next(e for e in events if e.name == "CHANNEL_BRIDGE")
    customer = first_bridge["Bridge-A-Unique-ID"]
    keys = {e["Unique-ID"] for e in events if e.name == "DTMF"}  # the caller's keypad leg
    legs = _following(customer, *sorted(keys - {first_bridge["Bridge-B-Unique-ID"]}),
                      agents={first_bridge["Bridge-B-Unique-ID"]: "ann"})
    mapped = [e for event in events for e in legs.events(event, event.body, event_time(event))]
    kinds = {type(e) for e in mapped}
    assert {CallAnswered, CallBridged, DtmfReceived} <= kinds
    bridge = next(e for e in mapped if isinstance(e, CallBridged))
    assert bridge.call_id == customer and bridge.agent_id == "ann"
    digits = "".join(e.digit for e in mapped if isinstance(e, DtmfReceived))
    assert set("#912347") <= set(digits)
    times = [e.at for e in mapped]
    assert times == sorted(times)


def test_agent_leg_park_and_hangup_become_agent_events() -> None:
    legs = _following(agents={"leg-1": "ann"})
    answer = {"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "leg-1"}
    assert legs.events(answer, None, 1.0) == []  # answered is not yet parked
    park = {"Event-Name": "CHANNEL_PARK", "Unique-ID": "leg-1"}
    assert legs.events(park, None, 1.1) == [AgentLegUp(1.1, "ann", "leg-1")]
    assert legs.events(park, None, 9.0) == [AgentLegUp(9.0, "ann", "leg-1")]  # back in park
    hangup = {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "leg-1",
              "Hangup-Cause": "NORMAL_CLEARING"}
    assert legs.events(hangup, None, 12.0) == [
        AgentLegDown(12.0, "ann", HangupCause.NORMAL_CLEARING, "leg-1")]


def test_amd_result_on_execute_complete() -> None:
    # A real CHANNEL_EXECUTE_COMPLETE, with the application and variables mod_amd
    # (seanbright/mod_amd) sets, per reference §3.4.
    (event,) = [
        e for e in _stream_events(
            "neventsocket__TestMessages_PlaybackComplete_CHANNEL_EXECUTE_COMPLETE.trimmed.txt"
        ) if e.name == "CHANNEL_EXECUTE_COMPLETE"
    ]
    legs = _following(event["Unique-ID"])
    assert legs.events(event, None, 1.0) == []  # a playback finishing is not an AMD result
    headers = dict(event.headers)
    headers["Application"] = "amd"
    for result, kind in [("HUMAN", AnswerKind.HUMAN), ("MACHINE", AnswerKind.MACHINE),
                         ("NOTSURE", AnswerKind.UNKNOWN)]:
        headers["variable_amd_result"] = result
        (mapped,) = legs.events(headers, None, 1.0)
        assert mapped == CallClassified(1.0, event["Unique-ID"], kind)
    headers["Application"] = "wait_for_silence"
    for timed_out, kind in [("true", AnswerKind.MACHINE), ("false", AnswerKind.HUMAN)]:
        headers["variable_wait_for_silence_timeout"] = timed_out
        (mapped,) = legs.events(headers, None, 1.0)
        assert mapped == CallClassified(1.0, event["Unique-ID"], kind)


def test_playback_reports() -> None:
    legs = _following("c1")
    assert legs.events({"Event-Name": "PLAYBACK_START", "Unique-ID": "c1"}, None, 1.0) == [
        PlaybackStarted(1.0, "c1")]
    assert legs.events({"Event-Name": "PLAYBACK_STOP", "Unique-ID": "c1"}, None, 9.0) == [
        PlaybackFinished(9.0, "c1")]
    missing = {"Event-Name": "CHANNEL_EXECUTE_COMPLETE", "Unique-ID": "c1",
               "Application": "playback", "Application-Response": "FILE NOT FOUND"}
    assert legs.events(missing, None, 10.0) == [PlaybackFailed(10.0, "c1", "FILE NOT FOUND")]
    assert legs.events({"Event-Name": "HEARTBEAT"}, None, 1.0) == []
    assert legs.events({}, None, 1.0) == []


def test_a_playback_the_hang_up_cut_off_is_told_apart() -> None:
    """Real FreeSWITCH says ``Playback-Status: done`` for a playback the hang-up cut off
    too; the channel's ``Answer-State: hangup`` and ``Hangup-Cause`` tell it apart (capture
    05: the callee legs hang up mid-tone). The message's record depends on it."""
    stops = [e for e in _stream_events("real-fs/05-agent-bridge.esl")
             if e.get("Event-Name") == "PLAYBACK_STOP"]
    assert stops and all(e.get("Playback-Status") == "done" for e in stops)
    for stop in stops:
        uuid = stop["Unique-ID"]
        (finished,) = _following(uuid).events(stop, None, 1.0)
        assert finished == PlaybackFinished(1.0, uuid, cut_off=True)
    up = {"Event-Name": "PLAYBACK_STOP", "Unique-ID": "c1", "Answer-State": "answered",
          "Playback-Status": "done"}
    assert _following("c1").events(up, None, 2.0) == [PlaybackFinished(2.0, "c1")]


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
    assert events == [AgentLegDown(3.0, "ann", HangupCause.NORMAL_CLEARING, "leg-1")]
    assert adapter.agent_legs == {}
