"""What the strict simulator does that the old one hid (issue 17, each seen on a real switch):
the races of uuid_bridge against the originate, a missing message file, an application no
module provides, a second bridge to a busy agent leg, and the hostile timing mode."""

from __future__ import annotations

import pytest
from flows import differences
from test_switch_sim_real_flows import FLOWS, captured, simulated

from simulations.population import CalleeFate, CalleeKind
from simulations.switch.inprocess import InProcessSwitch
from simulations.switch.switch import PUBLIC_TREE_MODULES, SwitchSettings

AGENT = "00000000-0000-4000-8000-0000000000a1"
CUSTOMER = "00000000-0000-4000-8000-0000000000c1"
SECOND = "00000000-0000-4000-8000-0000000000c2"
QUIET = SwitchSettings(heartbeat_interval=0, early_media_probability=0.0)


def _person(answer_after: float = 1.0):
    return lambda rng: CalleeFate(CalleeKind.LIVE, answer_after, 30.0, 30.0)


def _switch(settings: SwitchSettings = QUIET, answer_after: float = 1.0) -> InProcessSwitch:
    return InProcessSwitch(settings, _person(answer_after), seed=1)


def _originate(sim: InProcessSwitch, uuid: str, endpoint: str, extra: str = "") -> str:
    return sim.bgapi(f"originate {{origination_uuid={uuid},ignore_early_media=true,"
                     f"originate_timeout=20,hangup_after_bridge=true{extra}}}{endpoint} &park()")


def _agent(sim: InProcessSwitch) -> None:
    _originate(sim, AGENT, "loopback/agent-ann/agents",
               ",park_after_bridge=true,hangup_after_bridge=false,dialer_agent_id=ann")
    sim.run_for(1.0)


def _names(sim: InProcessSwitch, uuid: str) -> list[str]:
    return [e.name for e in sim.events if e.get("Unique-ID") == uuid or ((
        e.name == "BACKGROUND_JOB" and uuid in (e.body or "") + (e.get("Job-Command-Arg") or ""))
        and e.name in ("CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_BRIDGE", "BACKGROUND_JOB",
                       "CHANNEL_HANGUP_COMPLETE", "CHANNEL_UNBRIDGE"))]


def _until(sim: InProcessSwitch, name: str, uuid: str) -> None:
    for _ in range(100_000):
        if any(e.name == name and e.get("Unique-ID") == uuid for e in sim.events):
            return
        sim.run_for(0.0005)
    raise AssertionError(f"no {name} for {uuid}")


def _job_body(sim: InProcessSwitch, uuid: str) -> str:
    return next(e.body for e in sim.events if e.name == "BACKGROUND_JOB"
                and uuid in (e.get("Job-Command-Arg") or ""))


def test_bridge_on_answer_races_the_originate_into_originator_cancel() -> None:
    """Race 1: uuid_bridge on CHANNEL_ANSWER, before the job: the call is bridged, yet the
    originate's job says -ERR ORIGINATOR_CANCEL (a dialer reading it as a failure frees the
    agent of a live conversation)."""
    sim = _switch()
    _agent(sim)
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111")
    _until(sim, "CHANNEL_ANSWER", CUSTOMER)
    assert sim.api(f"uuid_bridge {CUSTOMER} {AGENT}") == f"+OK {AGENT}\n"
    sim.run_for(1.0)
    assert _job_body(sim, CUSTOMER) == "-ERR ORIGINATOR_CANCEL\n"
    names = _names(sim, CUSTOMER)
    assert names.index("BACKGROUND_JOB") < names.index("CHANNEL_BRIDGE")
    assert "CHANNEL_HANGUP_COMPLETE" not in names  # the person is up and talking
    assert sim.switch.channels[CUSTOMER].other is sim.switch.channels[AGENT]


def test_bridge_between_job_and_park_is_lost_to_the_park() -> None:
    """Race 2: uuid_bridge in the tick the originate returns: both said +OK, the originate's
    park runs on the customer and the bridge never happens; the agent leg parks again."""
    sim = _switch(SwitchSettings(heartbeat_interval=0, early_media_probability=0.0,
                                 app_start_delay=0.005))
    _agent(sim)
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111")
    for _ in range(100_000):
        if any(e.name == "BACKGROUND_JOB" and CUSTOMER in (e.body or "") for e in sim.events):
            break
        sim.run_for(0.0005)
    assert sim.api(f"uuid_bridge {CUSTOMER} {AGENT}") == f"+OK {AGENT}\n"
    sim.run_for(2.0)
    assert not any(e.name == "CHANNEL_BRIDGE" for e in sim.events)
    parks = [e for e in sim.events if e.name == "CHANNEL_PARK"]
    assert [e.unique_id for e in parks][-2:] == [CUSTOMER, AGENT]
    assert parks[-1]["Channel-State"] == "CS_PARK"
    assert sim.switch.channels[CUSTOMER].other is None


def test_bridge_after_the_customer_parked_is_safe() -> None:
    sim = _switch()
    _agent(sim)
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111")
    _until(sim, "CHANNEL_PARK", CUSTOMER)
    sim.api(f"uuid_bridge {CUSTOMER} {AGENT}")
    sim.run_for(0.5)
    assert _job_body(sim, CUSTOMER) == f"+OK {CUSTOMER}\n"
    bridge = next(e for e in sim.events if e.name == "CHANNEL_BRIDGE")
    assert (bridge["Bridge-A-Unique-ID"], bridge["Bridge-B-Unique-ID"]) == (CUSTOMER, AGENT)


def test_a_second_bridge_to_a_busy_agent_leg_cuts_the_first_conversation() -> None:
    """FreeSWITCH moves the agent leg to the new customer and hangs the first one up
    (hangup_after_bridge): what a dialer freeing an agent too early causes."""
    sim = _switch()
    _agent(sim)
    for uuid in (CUSTOMER, SECOND):
        _originate(sim, uuid, "sofia/gateway/carrier/+15550001111")
        _until(sim, "CHANNEL_PARK", uuid)
        sim.api(f"uuid_bridge {uuid} {AGENT}")
        sim.run_for(0.5)
    assert CUSTOMER not in sim.switch.channels
    hangup = next(e for e in sim.events if e.name == "CHANNEL_HANGUP_COMPLETE"
                  and e.unique_id == CUSTOMER)
    assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"
    assert sim.switch.channels[SECOND].other is sim.switch.channels[AGENT]


def test_missing_message_file_fails_silently_but_for_execute_complete() -> None:
    sim = _switch(SwitchSettings(heartbeat_interval=0, sound_files=frozenset(
        {"/srv/prompts/safe-harbour.wav"})))
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111")
    _until(sim, "CHANNEL_PARK", CUSTOMER)
    assert sim.api(f"uuid_broadcast {CUSTOMER} playback!normal_clearing::ivr/missing.wav aleg"
                   ) == "+OK Message sent\n"
    sim.run_for(1.0)
    names = [e.name for e in sim.events if e.unique_id == CUSTOMER]
    assert "PLAYBACK_START" not in names
    done = next(e for e in sim.events if e.name == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application") == "playback")
    assert done["Application-Response"] == "FILE NOT FOUND"
    assert CUSTOMER not in sim.switch.channels  # !normal_clearing hung up: nothing was heard
    assert sim.api("file_exists /srv/prompts/safe-harbour.wav") == "true"
    assert sim.api("file_exists /srv/prompts/other.wav") == "false"


def test_message_starts_about_120_ms_after_the_broadcast() -> None:
    sim = _switch(SwitchSettings(heartbeat_interval=0, sound_files=frozenset({"/p/s.wav"})))
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111")
    _until(sim, "CHANNEL_PARK", CUSTOMER)
    sent = sim.now()
    sim.api(f"uuid_broadcast {CUSTOMER} playback!normal_clearing::/p/s.wav aleg")
    _until(sim, "PLAYBACK_START", CUSTOMER)
    start = next(e for e in sim.events if e.name == "PLAYBACK_START")
    assert int(start["Event-Date-Timestamp"]) / 1e6 - sent == pytest.approx(0.12, abs=0.002)


@pytest.mark.parametrize("modules", [PUBLIC_TREE_MODULES, PUBLIC_TREE_MODULES | {"mod_amd"}])
def test_amd_on_answer_without_mod_amd_kills_the_call(modules) -> None:
    sim = _switch(SwitchSettings(heartbeat_interval=0, modules=modules))
    _originate(sim, CUSTOMER, "sofia/gateway/carrier/+15550001111", ",execute_on_answer=amd")
    sim.run_for(10.0)
    assert sim.api("module_exists mod_amd") == str("mod_amd" in modules).lower()
    hangups = [e for e in sim.events if e.name == "CHANNEL_HANGUP_COMPLETE"]
    if "mod_amd" in modules:
        assert not hangups
        done = next(e for e in sim.events if e.name == "CHANNEL_EXECUTE_COMPLETE"
                    and e.get("Application") == "amd")
        assert done.variable("amd_result") in ("HUMAN", "MACHINE")
    else:
        assert [e["Hangup-Cause"] for e in hangups] == ["DESTINATION_OUT_OF_ORDER"]
        assert _job_body(sim, CUSTOMER) == "-ERR DESTINATION_OUT_OF_ORDER\n"
        assert any(e.name == "CHANNEL_ANSWER" for e in sim.events)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["03-originate-human-loopback", "17-early-media-then-answer",
                                  "08a-avmd-answering-machine-loopback",
                                  "04b-failures-loopback"])
def test_hostile_timing_keeps_each_legs_story(name: str, seed: int) -> None:
    """Hostile timing reorders events of different channels and jobs (within tens of ms) but
    never a channel's own events: every leg tells the capture's story."""
    hostile = SwitchSettings(heartbeat_interval=0, hostile=True)
    assert name in FLOWS
    problems = differences(captured(name), simulated(name, hostile, seed), cross_legs=False)
    assert not problems, "\n".join(problems)


def test_hostile_timing_does_reorder_across_channels() -> None:
    calm = simulated("05-agent-bridge")
    shuffled = [simulated("05-agent-bridge", SwitchSettings(heartbeat_interval=0, hostile=True),
                          seed) for seed in range(6)]
    assert any(run != calm for run in shuffled)


