"""Inbound queue calls in the FreeSWITCH adapter: which parked channels are callers, what
their variables mean, how prompts are played and stopped, and the simulator's inbound
callers against the real capture's event order (10-inbound-queue)."""

from __future__ import annotations

import random

from dialer.commands import PlayPrompt, StopPlayback
from dialer.events import InboundCallArrived
from dialer.freeswitch import DialPlan, SwitchCalls, render
from dialer.freeswitch.inbound import parked_inbound
from simulations.switch.api import SwitchApi
from simulations.switch.callers import InboundScript, place_inbound
from simulations.switch.fates import default_fate_source
from simulations.switch.switch import Switch, SwitchSettings
from simulations.switch.timers import VirtualTimers

PARK = {"Event-Name": "CHANNEL_PARK", "Unique-ID": "in-1", "Call-Direction": "inbound",
        "Caller-Caller-ID-Number": "+12025550123", "Caller-Channel-Created-Time": "1000000",
        "variable_dialer_queue": "sales"}


def test_a_parked_channel_with_dialer_queue_is_an_inbound_call_with_its_caller_data():
    legs = SwitchCalls()
    headers = {**PARK, "variable_dialer_priority": "5", "variable_dialer_tier": "gold",
               "variable_dialer_skills": "fr, billing"}
    (arrival,) = legs.events(headers, None, 7.0, "fs1")
    assert arrival == InboundCallArrived(
        7.0, "in-1", "sales", "+12025550123", 5, None, frozenset({"fr", "billing"}), "fs1",
        {"dialer_tier": "gold"})
    # Followed from now on: its keys reach the engine, its re-park is a CallParked.
    dtmf = legs.events({"Event-Name": "DTMF", "Unique-ID": "in-1", "DTMF-Digit": "1"}, None,
                       8.0)
    assert [type(e).__name__ for e in dtmf] == ["DtmfReceived"]
    assert [type(e).__name__ for e in legs.events(PARK, None, 9.0)] == ["CallParked"]


def test_the_dialers_own_legs_and_channels_without_a_queue_are_not_callers():
    legs = SwitchCalls()
    for extra in ({"variable_dialer_queue_callback": "cb-1"}, {"variable_dialer_leg": "agent"},
                  {"variable_dialer_queue": ""}):
        assert legs.events({**PARK, **extra}, None, 1.0) == []
    assert not legs.owns("in-1")


def test_a_bad_priority_is_reported_and_ignored_not_fatal():
    parked = parked_inbound({**PARK, "variable_dialer_priority": "high"})
    assert parked is not None and parked.priority == 0
    assert parked.problems == ("dialer_priority='high' is not an integer (ignored)",)
    assert parked.created_at == 1.0


def test_prompts_and_music_are_one_broadcast_and_a_stop_breaks_everything_queued():
    plan = DialPlan()
    play = render(PlayPrompt(0.0, "in-1", ("/p/a.wav", "/p/b.wav"), "local_stream://moh"), plan)
    assert play.command == ("uuid_broadcast in-1 playback::file_string:///p/a.wav!/p/b.wav!"
                            "local_stream://moh aleg")
    bye = render(PlayPrompt(0.0, "in-1", ("/p/bye.wav",), None, hangup_after=True), plan)
    assert bye.command == "uuid_broadcast in-1 playback!normal_clearing::/p/bye.wav aleg"
    assert render(StopPlayback(0.0, "in-1"), plan).command == "uuid_break in-1 all"


def _switch() -> tuple[Switch, list]:
    timers = VirtualTimers(1_000_000.0)
    switch = Switch(SwitchSettings(sound_files=frozenset({"/p/a.wav"})), default_fate_source(),
                    random.Random(1), timers=timers)
    seen: list = []
    switch.bus.fire = lambda name, calling, headers, body=None, **kw: seen.append(  # type: ignore[method-assign]
        (name, dict(headers() if callable(headers) else headers)))
    return switch, seen


def test_the_simulators_caller_follows_the_real_inbound_leg_order():
    switch, seen = _switch()
    place_inbound(switch, InboundScript("sales", number="+12025550123"))
    flow = [(name, h.get("Application", "")) for name, h in seen
            if name in ("CHANNEL_CREATE", "CHANNEL_EXECUTE", "CHANNEL_ANSWER", "CHANNEL_PARK")]
    # Capture 10, leg INBOUND-b: CREATE, EXECUTE set, EXECUTE answer, ANSWER, EXECUTE park, PARK.
    assert flow == [("CHANNEL_CREATE", ""), ("CHANNEL_EXECUTE", "set"),
                    ("CHANNEL_EXECUTE", "answer"), ("CHANNEL_ANSWER", ""),
                    ("CHANNEL_EXECUTE", "park"), ("CHANNEL_PARK", "")]
    answer = next(h for name, h in seen if name == "CHANNEL_ANSWER")
    park = next(h for name, h in seen if name == "CHANNEL_PARK")
    assert answer["variable_dialer_queue"] == "sales" and answer["Call-Direction"] == "inbound"
    assert park["Caller-Caller-ID-Number"] == "+12025550123"
    assert parked_inbound(park) is not None


def test_uuid_break_all_stops_the_playback_and_flushes_queued_broadcasts():
    switch, seen = _switch()
    api = SwitchApi(switch)
    channel = place_inbound(switch, InboundScript("sales"))
    api.execute("uuid_broadcast", f"{channel.uuid} playback::file_string:///p/a.wav!"
                                  "local_stream://moh aleg")
    switch.timers.run_until(switch.clock() + 1.0)  # type: ignore[attr-defined]
    api.execute("uuid_broadcast", f"{channel.uuid} /p/a.wav aleg")  # queued behind the music
    assert api.execute("uuid_break", f"{channel.uuid} all") == "+OK\n"
    switch.timers.run_until(switch.clock() + 30.0)  # type: ignore[attr-defined]
    stops = [h["Playback-Status"] for name, h in seen if name == "PLAYBACK_STOP"]
    starts = [name for name, _ in seen if name == "PLAYBACK_START"]
    assert stops == ["break"] and len(starts) == 1
