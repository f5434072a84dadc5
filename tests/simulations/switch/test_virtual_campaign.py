"""Campaigns of the engine and the FreeSWITCH adapter against the strict switch simulator on
virtual time, in hostile timing (FreeSWITCH's internal delays drawn at random within the
bounds the real captures show, events of different channels and jobs reordered), judged by
the switch's record of what each person heard:

* no conversation is cut off (an agent's leg is never taken while it is in a call);
* every live answer still on the line when the window closes was bridged to an agent, or
  heard the safe-harbour message start, within two seconds (of the answer, or of the end of
  the greeting where a detector listened: 47 CFR 64.1200(a)(7)(i));
* every bridge the switch made is a conversation in the engine's records;
* a message the switch cannot play is an incident, and the attempt says so.

Ten minutes of campaign run in a fraction of a second per seed.
"""

from __future__ import annotations

import pytest

from dialer.commands import CallOutcome, IncidentKind
from dialer.engine import CampaignConfig
from dialer.freeswitch import DialPlan, MachineDetector
from pacing_models import make_policy
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from simulations.switch.virtual_campaign import VirtualCampaign

MESSAGE = "/srv/prompts/safe-harbour.wav"
PEOPLE = SimpleCallees(live_answer=0.45, machine=0.1, busy=0.1, failed=0.05, talk=15.0,
                       time_to_answer=4.0, patience=8.0, greeting=4.0)
AGENTS = [(f"a{i}", f"loopback/agent-{i}/agents") for i in range(4)]


def _campaign(seed: int, *, amd: bool = False, hostile: bool = True, files=(MESSAGE,),
              **switch) -> VirtualCampaign:
    config = CampaignConfig("c1", "+12015550100", amd_enabled=amd, wrap_up_timeout=2.0,
                            safe_harbor_message=MESSAGE)
    settings = SwitchSettings(**{"heartbeat_interval": 0, "hostile": hostile,
                                 "sound_files": frozenset(files), "playback_seconds": 6.0,
                                 **switch})
    return VirtualCampaign(config, make_policy("power", lines_per_agent=2.5), agents=AGENTS,
                           settings=settings, fate_source=PEOPLE, seed=seed,
                           plan=DialPlan(detector=MachineDetector.AVMD))


def _judge(campaign: VirtualCampaign, seconds: float = 600.0) -> dict:
    outcome = campaign.run(seconds)
    truth = outcome.truth
    assert truth["live_answers"] > 20, truth
    assert truth["conversations_cut_off"] == 0, truth
    assert truth["left_waiting_past_window"] == 0, truth
    if truth["answer_to_message_max"] is not None:
        assert truth["answer_to_message_max"] <= 2.0, truth
    records = campaign.switch.switch.truth.records
    bridged = {uuid for uuid, r in records.items() if r.bridged_at is not None}
    connected = {f.call_id for f in outcome.finished if f.bridged_at is not None}
    assert bridged <= connected | {c for c in campaign.engine.calls}
    assert all(f.outcome is CallOutcome.CONNECTED for f in outcome.finished
               if f.call_id in bridged and f.outcome is not CallOutcome.ABANDONED)
    return truth


@pytest.mark.parametrize("seed", range(4))
def test_hostile_timing_campaign_cuts_off_nobody_and_serves_every_answer(seed: int) -> None:
    truth = _judge(_campaign(seed))
    assert truth["bridged"] > 0 and truth["messages_played"] > 0


@pytest.mark.parametrize("seed", range(2))
def test_hostile_timing_campaign_with_beep_and_greeting_detection(seed: int) -> None:
    _judge(_campaign(seed, amd=True))


def test_answer_to_bridge_on_the_calm_switch_is_the_switch_round_trip() -> None:
    """Without hostile timing every bridge of a waiting-free answer takes the originate's
    return (22 ms), the park, and uuid_bridge's own delay (21 ms): ~44 ms, like the real
    switch's 43-64 ms (issue 17)."""
    truth = _judge(_campaign(1, hostile=False))
    assert 0.040 <= truth["answer_to_bridge_median"] <= 0.050


def test_a_slow_switch_gets_a_bigger_message_budget() -> None:
    """A switch that takes 0.45 s to start a message: the measured latency raises the
    budget, so the later messages are still heard inside the window."""
    campaign = _campaign(2, hostile=False, broadcast_delay=0.45)
    outcome = campaign.run(900.0)
    late = [i for i in outcome.incidents if i.kind is IncidentKind.MESSAGE_LATE]
    assert campaign.engine.message_budget["default"] >= 0.45
    records = sorted((r for r in campaign.switch.switch.truth.records.values()
                      if r.message_at is not None and r.answered_at is not None),
                     key=lambda r: r.message_at)
    assert len(records) > 8
    assert all(r.message_at - r.answered_at <= 2.0 for r in records[6:])  # once measured
    assert len(late) <= 5


def test_a_message_the_switch_cannot_play_is_an_incident_not_a_legal_abandon() -> None:
    campaign = _campaign(3, hostile=False, files=())
    outcome = campaign.run(300.0)
    failed = [f for f in outcome.finished if f.message == "failed"]
    assert failed and all(f.abandoned for f in failed)
    incidents = [i for i in outcome.incidents if i.kind is IncidentKind.MESSAGE_FAILED]
    assert {i.call_id for i in incidents} >= {f.call_id for f in failed}
    records = campaign.switch.switch.truth.records.values()
    assert sum(r.message_failed for r in records) == len(failed)
