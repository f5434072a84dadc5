"""Small pieces of the runner: settings, the calling-hours gate, API lines, event mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialer.commands import Bridge, Hangup, Originate, PlayMessage
from dialer.esl.event import Event as EslEvent
from dialer.events import AgentLegUp, CallAnswered, CallBridged, CallHungUp
from dialer.hangup import HangupCause
from dialer.ports import DialTarget
from dialer.runner.errors import RunnerSettingsError
from dialer.runner.fsmap import EventTranslator, api_line, job_failure_cause
from dialer.runner.gate import CallingHoursGate
from dialer.runner.settings import control_socket_path, data_dir, database_url, parse_switches


def test_data_dir_and_database_follow_the_conventions():
    assert data_dir({"DIALER_HOME": "/srv/d"}) == Path("/srv/d")
    assert data_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/dialer")
    assert database_url(None, Path("/srv/d"), {}) == "sqlite:////srv/d/dialer.db"
    assert database_url(None, Path("/srv/d"), {"DIALER_DB": "sqlite:///a.db"}) == "sqlite:///a.db"
    assert database_url("sqlite:///b.db", Path("/srv/d"), {"DIALER_DB": "x"}) == "sqlite:///b.db"


def test_switch_urls_get_stable_ids_and_duplicates_are_refused():
    switches = parse_switches(["esl://:secret@10.0.0.5:8022", "10.0.0.6"])
    assert [sid for sid, _ in switches] == ["10.0.0.5:8022", "10.0.0.6:8021"]
    assert switches[0][1].password == "secret"
    with pytest.raises(RunnerSettingsError):
        parse_switches(["esl://a:1", "esl://a:1"])


def test_control_socket_path_too_long_for_unix_sockets_is_refused():
    with pytest.raises(RunnerSettingsError):
        control_socket_path(Path("/" + "d" * 120), "spring")


def _target(zone: str) -> DialTarget:
    return DialTarget("1", "+12015550123", "c", attributes={"timezone": zone})


def test_gate_enforces_the_local_calling_window_and_opt_outs():
    opted: set[str] = set()
    gate = CallingHoursGate(opted.__contains__)
    noon_ny = datetime(2026, 11, 23, 17, 0, tzinfo=UTC).timestamp()      # 12:00 EST
    late_ny = datetime(2026, 11, 24, 2, 30, tzinfo=UTC).timestamp()      # 21:30 EST
    assert gate.check(_target("America/New_York"), noon_ny).allowed
    refused = gate.check(_target("America/New_York"), late_ny)
    assert not refused.allowed and "64.1200(c)(1)" in refused.reasons[0]
    assert not gate.check(_target(""), noon_ny).allowed          # unknown zone: not provable
    opted.add("+12015550123")
    assert not gate.check(_target("America/New_York"), noon_ny).allowed


def test_api_lines_use_the_engine_ids():
    originate = Originate(0.0, "c-1", "+12015550123", "+12015550100", "Acme, Inc", 20.0,
                          {"dialer_lead_id": "7"})
    line = api_line(originate, "carrier", "spring")
    assert line is not None
    assert line.startswith("originate {origination_uuid=c-1,")
    assert "dialer_lead_id=7" in line and "originate_timeout=20" in line
    assert line.endswith("}sofia/gateway/carrier/+12015550123 &park()")
    assert api_line(Bridge(0.0, "c-1", "ann", "leg-1"), "g", "s") == "uuid_bridge c-1 leg-1"
    assert api_line(PlayMessage(0.0, "c-1", "sh.wav"), "g", "s") == (
        "uuid_broadcast c-1 playback!normal_clearing::sh.wav aleg")
    assert api_line(Hangup(0.0, "c-1"), "g", "s") == "uuid_kill c-1 NORMAL_CLEARING"


def test_events_map_to_the_call_or_the_agent_leg():
    calls = {"c-1"}
    translator = EventTranslator(calls.__contains__, lambda: 5.0)
    translator.add_agent_leg("leg-1", "ann")

    def event(name: str, uuid: str, *extra: tuple[str, str]) -> EslEvent:
        return EslEvent.build(name, [("Unique-ID", uuid), *extra])

    assert translator.translate(event("CHANNEL_ANSWER", "c-1")) == [CallAnswered(5.0, "c-1")]
    assert translator.translate(event("CHANNEL_ANSWER", "leg-1")) == [AgentLegUp(5.0, "ann")]
    assert translator.translate(event("CHANNEL_BRIDGE", "c-1", ("Bridge-A-Unique-ID", "c-1"),
                                      ("Bridge-B-Unique-ID", "leg-1"))) == [
        CallBridged(5.0, "c-1", "ann")]
    assert translator.translate(event("CHANNEL_HANGUP_COMPLETE", "c-1",
                                      ("Hangup-Cause", "USER_BUSY"))) == [
        CallHungUp(5.0, "c-1", HangupCause.USER_BUSY)]
    assert translator.translate(event("CHANNEL_ANSWER", "someone-else")) == []
    assert job_failure_cause("-ERR NO_ANSWER\n") is HangupCause.NO_ANSWER
    assert job_failure_cause("+OK c-1\n") is None
