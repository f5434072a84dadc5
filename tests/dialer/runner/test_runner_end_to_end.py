"""The live runner against the switch simulator over loopback (accelerated callees), on
the campaign store (``campaigns.CampaignStore``).

Checks the runner's promises: every originate reaching the switch was journaled (committed)
first; every attempt gets an outcome; connected calls were bridged to an agent's nailed-up
leg and got a disposition; agents' history is stored; a graceful stop leaves no call or
claimed lead behind.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3

import pytest

from dialer.runner.control import request
from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.errors import RunnerError
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import (
    agent_history,
    check_journal_invariants,
    make_store,
    settings_for,
)


def test_campaign_runs_end_to_end_with_journal_before_originate(tmp_path):
    store = make_store(tmp_path, agents=4, amd_enabled=False,
                       recording={"mode": "all", "notice_message": "ivr/recorded.wav"})
    unjournaled: list[str] = []
    originated: list[str] = []
    recorded: list[str] = []

    async def scenario() -> Runner:
        callees = SimpleCallees(live_answer=0.7, machine=0.0, busy=0.15, failed=0.15, talk=3.0,
                                time_to_answer=2.0, patience=3.0)
        settings = SwitchSettings(speed=3.0, playback_seconds=1.0,
                                  sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=3) as sim:
            switch = sim.switch
            create = switch.create
            reader = sqlite3.connect(tmp_path / "dialer.db")

            def checked_create(name, role, destination, variables, channel_uuid=None):
                if name.startswith("sofia/gateway/"):
                    originated.append(channel_uuid)
                    row = reader.execute("SELECT 1 FROM call_attempt WHERE call_uuid = ?",
                                         (channel_uuid,)).fetchone()
                    if row is None:
                        unjournaled.append(channel_uuid)
                return create(name, role, destination, variables, channel_uuid)

            switch.create = checked_create
            start_recording = switch.media.start_recording

            def noted_recording(channel, path):
                recorded.append(path)
                return start_recording(channel, path)

            switch.media.start_recording = noted_recording
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True,
                            control_socket=tmp_path / "run" / "demo.sock")
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.2, 0.5),
                                                   random.Random(1))
            async with asyncio.TaskGroup() as group:
                group.create_task(runner.run(duration=4.0))
                group.create_task(use_the_control_socket(runner, tmp_path / "run" / "demo.sock"))
            reader.close()
            assert not switch.channels or all(
                c.name.startswith("user/") for c in switch.channels.values())
        return runner

    runner = asyncio.run(scenario())
    assert originated, "the runner dialed nothing"
    assert unjournaled == [], "an originate reached the switch before its journal was committed"
    attempts = check_journal_invariants(store)
    assert {a["call_uuid"] for a in attempts} == set(originated)
    assert all(a["outcome"] is not None for a in attempts), "an attempt was left open"
    assert all(a["process_owner"] == runner.owner for a in attempts)
    connected = [a for a in attempts if a["outcome"] == "answered"]
    assert connected and all(a["bridged_at"] and a["agent_id"] for a in connected)
    # Every connected call got a disposition (the agent's, or the wrap-up fallback) and
    # its lead left the call; no lead is still claimed after a graceful stop.
    assert all(a["disposition"] for a in connected)
    counts = store.lead_status_counts("demo")
    assert counts.get("in_call", 0) == 0
    # The stop anchored the audit log's head (no manual step): a cut tail would be detected.
    from dnc.rules.audit import AuditLog
    audit = AuditLog(tmp_path / "audit")
    report = audit.verify()
    assert report.ok and report.anchors_checked >= 1, report
    assert json.loads(audit.anchor_path.read_text().splitlines()[-1])["seq"] == \
        report.entries - 1
    assert store.leads("demo", limit=1000) and not [
        lead for lead in store.leads("demo", limit=1000) if lead.claimed_by]
    # Recording per campaign setting: uuid_record with a path per attempt, kept on it.
    assert all(a["recording_path"] and a["call_uuid"] in a["recording_path"]
               for a in connected)
    assert recorded and set(recorded) >= {a["recording_path"] for a in connected}
    for row in attempts:
        if row["abandoned"]:
            assert row["answered_at"] is not None
    history = agent_history(store)
    assert {"connecting", "ready", "on_call", "wrap_up", "logged_out"} <= {
        h["state"] for h in history}
    assert runner.stats.latency_summary()["count"] == len(connected)
    paused = [h for h in history if h["state"] == "paused"]
    assert [(h["agent"], h["reason"]) for h in paused] == [("agent2", "coaching")]
    store.close()


async def use_the_control_socket(runner: Runner, path) -> None:
    """The agent API and the dashboard snapshot, as `dialer agent`/`dialer monitor` use them."""
    await runner.ready.wait()
    await asyncio.sleep(1.0)
    answer = await request(path, {"op": "snapshot"})
    snapshot = answer["snapshot"]
    assert answer["ok"] and snapshot["campaign"] == "demo"
    assert set(snapshot["agents"]) == {"agent1", "agent2", "agent3", "agent4"}
    assert "explanation" in snapshot["pacing"]
    refused = await request(path, {"op": "agent", "action": "ready", "agent": "nobody"})
    assert not refused["ok"] and refused["error"] == (
        "campaign 'demo' has no agent 'nobody' (see `dialer campaign show demo`)")
    # A disposition needs a code the campaign allows and the agent in wrap-up.
    with pytest.raises(RunnerError, match=r"allowed: .*SALE"):
        runner.link.disposition_code("BOGUS")
    assert runner.link.disposition_code("sale") == "SALE"
    with pytest.raises(RunnerError, match="no call"):
        runner.dispose("nobody", "", "SALE")
    paused = await request(path, {"op": "agent", "action": "pause", "agent": "agent2",
                                  "reason": "coaching"})
    assert paused["ok"], paused
    await asyncio.sleep(0.5)
    assert runner.engine.pool.agents["agent2"].state.value in ("paused", "on_call", "wrap_up")
