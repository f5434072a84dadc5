"""Small pieces of the runner: settings, API lines, event mapping, the store mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.commands import Bridge, Hangup, Originate, PlayMessage
from dialer.esl.event import Event as EslEvent
from dialer.events import AgentLegUp, CallAnswered, CallBridged, CallHungUp, CallParked
from dialer.hangup import HangupCause
from dialer.runner.errors import RunnerSettingsError
from dialer.runner.fsmap import EventTranslator, api_line, job_failure_cause
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
    translator = EventTranslator(lambda: 5.0)
    translator.add_call("c-1", "job-1")
    translator.add_agent_leg("leg-1", "ann")

    def event(name: str, uuid: str, *extra: tuple[str, str]) -> EslEvent:
        return EslEvent.build(name, [("Unique-ID", uuid), *extra])

    assert translator.translate(event("CHANNEL_ANSWER", "c-1")) == [
        CallAnswered(5.0, "c-1", False)]
    assert translator.translate(event("CHANNEL_PARK", "c-1")) == [CallParked(5.0, "c-1")]
    assert translator.translate(event("CHANNEL_ANSWER", "leg-1")) == []
    assert translator.translate(event("CHANNEL_PARK", "leg-1")) == [
        AgentLegUp(5.0, "ann", "leg-1")]
    assert translator.translate(event("CHANNEL_BRIDGE", "c-1", ("Bridge-A-Unique-ID", "c-1"),
                                      ("Bridge-B-Unique-ID", "leg-1"))) == [
        CallBridged(5.0, "c-1", "ann")]
    assert translator.translate(event("CHANNEL_HANGUP_COMPLETE", "c-1",
                                      ("Hangup-Cause", "USER_BUSY"))) == [
        CallHungUp(5.0, "c-1", HangupCause.USER_BUSY)]
    assert translator.translate(event("CHANNEL_ANSWER", "someone-else")) == []
    assert job_failure_cause("-ERR NO_ANSWER\n") is HangupCause.NO_ANSWER
    assert job_failure_cause("+OK c-1\n") is None


def test_instances_get_their_own_owner_and_control_socket():
    from dialer.runner.settings import RunnerSettings

    plain = RunnerSettings("spring", "sqlite:///x.db", Path("/d"), ())
    named = RunnerSettings("spring", "sqlite:///x.db", Path("/d"), (), instance="east-1")
    assert plain.owner.endswith("/spring") and named.owner == "east-1"
    assert plain.control_socket == Path("/d/run/spring.sock")
    assert named.control_socket == Path("/d/run/spring_east-1.sock")
    with pytest.raises(RunnerSettingsError):
        RunnerSettings("spring", "sqlite:///x.db", Path("/d"), (), instance="")


def test_stored_settings_map_onto_the_engine_config():
    from campaigns.settings import CampaignSettings
    from dialer.engine.config import MachineAction
    from dialer.runner.campaign_link import campaign_config

    settings = CampaignSettings(caller_ids=("+12015550100", "+12015550101"), ring_timeout=18,
                                connect_window=1.5, amd_enabled=True,
                                machine_action="leave_message", machine_message="vm.wav",
                                pacing_policy="predictive", pacing_params={"x": 1},
                                jurisdiction="uk", optout_digit="8", wrap_up_timeout=12,
                                abandon_target=0.02, amd_false_positive_estimate=0.04)
    config = campaign_config("spring", settings, ("sw1", "sw2"))
    # Ofcom: the two seconds run from the start of the greeting, AMD's listening included.
    assert config.connect_window_from_answer and config.amd_false_positive_estimate == 0.04
    assert (config.caller_id_number, config.ring_timeout, config.connect_window) == (
        "+12015550100", 18, 1.5)
    assert config.machine_action is MachineAction.LEAVE_MESSAGE and config.amd_enabled
    assert config.ledger_window == 24 * 3600  # Ofcom measures over 24 hours
    assert config.optout_digit == "8" and config.wrap_up_timeout == 12
    assert config.switch_ids == ("sw1", "sw2") and dict(config.pacing_params) == {"x": 1}
    us = campaign_config("s", CampaignSettings(caller_ids=("+12015550100",)), ("a",))
    assert us.ledger_window == 30 * 86400 and not us.connect_window_from_answer
    assert not us.machine_to_free_agent and not config.machine_to_free_agent


def test_machine_verdicts_to_free_agents_is_a_stored_setting_that_needs_amd():
    from pydantic import ValidationError

    from campaigns.settings import CampaignSettings
    from dialer.runner.campaign_link import campaign_config

    routed = CampaignSettings(caller_ids=("+12015550100",), amd_enabled=True,
                              machine_to_free_agent=True)
    assert campaign_config("s", routed, ("a",)).machine_to_free_agent
    with pytest.raises(ValidationError, match="machine_to_free_agent needs amd_enabled"):
        CampaignSettings(caller_ids=("+12015550100",), machine_to_free_agent=True)
    # Fail closed: only true or false, not a word that might mean either.
    with pytest.raises(ValidationError, match="machine_to_free_agent"):
        CampaignSettings(caller_ids=("+12015550100",), amd_enabled=True,
                         machine_to_free_agent="sometimes")
    with pytest.raises(ValidationError, match="machine_to_free_agent"):
        CampaignSettings(caller_ids=("+12015550100",), amd_enabled=True,
                         machine_to_free_agent="yes")


@pytest.mark.parametrize(("outcome", "cause", "expected"), [
    ("connected", HangupCause.NORMAL_CLEARING, "answered"),
    ("abandoned", HangupCause.NORMAL_CLEARING, "abandoned"),
    ("machine_message", HangupCause.NORMAL_CLEARING, "machine"),
    ("busy", HangupCause.USER_BUSY, "busy"),
    ("no_answer", HangupCause.NO_ANSWER, "no_answer"),
    ("failed", HangupCause.UNALLOCATED_NUMBER, "bad_number"),
    ("failed", HangupCause.NORMAL_TEMPORARY_FAILURE, "network"),
])
def test_engine_outcomes_become_retry_outcomes(outcome, cause, expected):
    from dialer.commands import AttemptFinished, CallOutcome, Direction
    from dialer.runner.campaign_link import store_outcome

    finished = AttemptFinished(0.0, "c", "s", Direction.OUTBOUND, CallOutcome(outcome), cause)
    assert store_outcome(finished).value == expected


def test_an_adopted_call_whose_hangup_was_missed_is_finished_at_the_next_reconcile():
    # Recovery adopted a call from before the restart, then its CHANNEL_HANGUP went to a
    # lost link. The next listing of the switch's channels (a reconnect, or the settle at a
    # stop) must finish it; before, it was skipped, and a stop exited with its attempt open.
    import asyncio
    from types import SimpleNamespace

    from dialer.runner.recovery import Orphan

    finished: list[tuple[str, HangupCause]] = []

    async def no_attempts(*_args, **_kwargs):
        return []

    async def channels(switch_id):
        return {"still-up": {"uuid": "still-up", "callstate": "ACTIVE"}}

    call_switch = {"gone": "fs1", "still-up": "fs1", "elsewhere": "fs2"}
    recovery = _recovery(call_switch, channels, no_attempts, post=None)
    for call_id in call_switch:
        recovery.orphans[call_id] = Orphan(SimpleNamespace(call_uuid=call_id, answered_at=None))
    recovery._finish = lambda orphan, at, cause: finished.append((orphan.call_id, cause))
    asyncio.run(recovery.reconcile_switch("fs1"))
    assert finished == [("gone", HangupCause.NORMAL_TEMPORARY_FAILURE)]
    assert set(recovery.orphans) == {"still-up", "elsewhere"}


def test_an_unanswered_call_the_switch_lost_with_the_link_is_not_failed_over():
    # The originate was written, then the link dropped before its answer (or the call's
    # end) came back: the switch may have placed it. At the reconnect the switch no longer
    # has it. It was ended with NORMAL_TEMPORARY_FAILURE, a carrier cause: the engine
    # failed the attempt over, dialing the same person again at once, and charged the
    # gateway for the link's outage. Now: the dialer's own cancel (LOST_WITH_LINK); an
    # answered call whose end was missed keeps its cause (no failover after an answer).
    import asyncio
    from types import SimpleNamespace

    from dialer.engine.gateways import CARRIER_CAUSES, OUR_CAUSES
    from dialer.events import CallHungUp
    from dialer.runner.recovery import LOST_WITH_LINK

    posted: list[object] = []

    async def no_attempts(*_args, **_kwargs):
        return []

    async def channels(switch_id):
        return {}

    engine = SimpleNamespace(calls={"ringing": SimpleNamespace(answered_at=None),
                                    "talking": SimpleNamespace(answered_at=90.0)},
                             pool=SimpleNamespace(agents={}))
    recovery = _recovery({"ringing": "fs1", "talking": "fs1"}, channels, no_attempts,
                         post=posted.append, clients={"fs1": None})
    recovery.attach(engine)  # type: ignore[arg-type]
    asyncio.run(recovery.reconcile_switch("fs1"))
    assert posted == [CallHungUp(100.0, "ringing", LOST_WITH_LINK),
                      CallHungUp(100.0, "talking", HangupCause.NORMAL_TEMPORARY_FAILURE)]
    assert LOST_WITH_LINK not in CARRIER_CAUSES and LOST_WITH_LINK in OUR_CAUSES


async def _no_inbound(switch_id, rows, followed) -> None:
    """No parked inbound caller to adopt (dialer/runner/inbound_calls.py)."""


def _recovery(call_switch, channels, open_attempts, *, post, clients=None):  # type: ignore[no-untyped-def]
    """A ``Recovery`` given only what it reads: the legs' switches, the switch's channel
    list, the journal's open attempts (none), no parked inbound caller."""
    from types import SimpleNamespace

    from dialer.runner.recovery import Recovery
    from dialer.runner.wiring import CommandRelay, SwitchSide

    switches = SwitchSide(SimpleNamespace(live_channel_rows=channels, clients=clients or {}),
                          SimpleNamespace(agent_legs={}), call_switch)  # type: ignore[arg-type]
    link = SimpleNamespace(campaign_id=1, owner="me", store=SimpleNamespace(open_attempts=None))
    return Recovery(link, SimpleNamespace(call=open_attempts), switches,  # type: ignore[arg-type]
                    config=None, stats=None, commands=CommandRelay(),  # type: ignore[arg-type]
                    adopt_inbound=_no_inbound, relogin=lambda agent: None,
                    clock=lambda: 100.0, post=post)


def test_a_pinned_runner_clock_is_in_us_calling_hours_at_every_hour_of_the_year():
    # Runner tests that must not depend on the hour pin their clock (us_hours_clock): at
    # any wall-clock hour, in winter and in summer time, the pinned instant is within
    # 12 hours of it and the demo's zones for it are American (never the UK profile).
    from datetime import UTC, datetime

    from dialer.runner.demo import choose_zones, is_uk_demo
    from tests.dialer.runner.runner_kit import us_hours_clock

    for month, day in ((1, 15), (3, 9), (6, 21), (11, 2), (12, 6)):
        for hour in range(24):
            for minute in (0, 59):
                wall = datetime(2026, month, day, hour, minute, tzinfo=UTC).timestamp()
                pinned = us_hours_clock(wall=lambda wall=wall: wall)()
                assert abs(pinned - wall) <= 12 * 3600
                zones, _ = choose_zones(pinned)
                assert not is_uk_demo(zones) and len(zones) >= 6, (month, day, hour, zones)
