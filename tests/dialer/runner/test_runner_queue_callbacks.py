"""Queue callbacks survive a restart: a pending callback in the store (left by a runner that
stopped, or made from a voicemail) is claimed by the runner serving its queue, dialed
agent-first through the switch, and marked completed; one claimed by another live process is
left alone."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta

from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueStore
from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import landlines, make_store, settings_for, us_hours_clock


def test_a_stored_callback_is_dialed_agent_first_and_completed(tmp_path):
    # abandon_target 0.02: valid under the UK demo profile too (the hours no US zone is open).
    # A US-hours clock: the callback to Chicago keeps the called party's calling hours.
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=2, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock)
    queues, callbacks = QueueStore(store), QueueCallbacks(store)
    now = datetime.fromtimestamp(clock(), UTC)
    queues.create({"name": "sales", "alerts": {"agents_below": 5}}, at=now)
    callbacks.add_callback("cb-ours", "sales", "+13125550177", now - timedelta(minutes=3), at=now)
    callbacks.add_callback("cb-theirs", "sales", "+13125550178", now - timedelta(minutes=4),
                           at=now, owner="another-process", claim_ttl=timedelta(minutes=5))
    landlines(tmp_path, ["+13125550177"], clock())

    async def scenario() -> dict:
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=1.0,
                                time_to_answer=0.5, patience=30.0)
        settings = SwitchSettings(speed=4.0, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=5) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store,
                            login_agents=True, clock=clock)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.2),
                                                   random.Random(1))
            task = asyncio.create_task(runner.run(duration=4.0))
            await runner.ready.wait()
            await asyncio.sleep(0.5)
            from dialer.runner.monitor import runner_snapshot

            snapshot = runner_snapshot(runner)
            await task
            # Every write of the callback's dial (begin, answer, bridge, end, disposition)
            # found its attempt row.
            assert runner.db.problems == 0
            return snapshot

    snapshot = asyncio.run(scenario())
    done = {c.id: c for c in callbacks.callbacks()}
    assert done["cb-ours"].status == "completed" and done["cb-ours"].attempts == 1
    assert done["cb-ours"].completed_call_uuid
    assert done["cb-theirs"].status == "pending" and done["cb-theirs"].attempts == 0
    assert done["cb-theirs"].claimed_by == "another-process"
    # The dial is in the campaign's attempt journal, closed with its outcome (every
    # process's attempt history and the abandonment ledger count it): docs/compliance.md.
    (attempt,) = store.attempts_for_number("+13125550177", now - timedelta(days=1))
    assert attempt.queue_callback_id == "cb-ours" and attempt.lead_id is None
    assert attempt.call_uuid == done["cb-ours"].completed_call_uuid
    assert attempt.outcome == "answered" and attempt.bridged_at is not None
    assert attempt.ended_at is not None and not attempt.abandoned
    assert attempt.compliance_decision.startswith("dial:")
    assert attempt.disposition is not None  # the agent's, on the dial's row
    (queue,) = snapshot["queues"]
    assert queue["name"] == "sales" and queue["agents_logged_in"] == 2
    # 2 agents < 5: the alert is raised at the first look and written to the alerts log.
    log = [json.loads(line) for line in
           (tmp_path / "alerts" / "demo.jsonl").read_text().splitlines()]
    (queue_alert, *_) = [a for a in log if a["key"].startswith("queue/sales/")]
    assert queue_alert["state"] == "raised" and "agents logged in 2" in queue_alert["message"]
    store.close()


def test_a_switch_without_the_queues_prompts_is_refused_naming_the_file(tmp_path):
    """The queues' prompts are checked on the switch at start as the campaign's message is
    (a missing file plays as "+OK" and silence): one line names the prompt, its queue and
    the path the switch was asked about."""
    import pytest

    from dialer.prompt_files import SHIPPED
    from dialer.runner.demo import DEMO_SAFE_HARBOR, SWITCH_SOUNDS_DIR
    from dialer.runner.errors import RunnerError

    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    QueueStore(store).create({"name": "sales"}, at=datetime.now(UTC))
    without = demo_switch_files() - {str(SHIPPED / "you_are_number.wav")}
    assert f"{SWITCH_SOUNDS_DIR}/{DEMO_SAFE_HARBOR}" in without

    async def start() -> None:
        settings = SwitchSettings(speed=4.0, sound_files=without)
        async with running_switch(settings=settings, seed=5) as sim:
            await Runner(settings_for(tmp_path, sim.url, stop_grace=1.0), store).run(1.0)

    with pytest.raises(RunnerError) as refused:
        asyncio.run(start())
    store.close()
    text = str(refused.value)
    assert "\n" not in text
    assert text.startswith("switch 127.0.0.1:") and (
        f"cannot play prompt 'you_are_number' of queue sales (announcements) "
        f"'{SHIPPED / 'you_are_number.wav'}' (file_exists {SHIPPED / 'you_are_number.wav'}: "
        "false)") in text
    assert "cannot play the safe-harbour message" not in text


def test_callbacks_to_listed_numbers_rest_on_the_callers_inquiry_or_are_cancelled(tmp_path):
    """The full gate decides stored callbacks: a voicemail left ten days ago is an inquiry
    (47 CFR 64.1200(f)(5)) that exempts the national registry; a caller's place kept four
    months ago no longer is, so that callback is cancelled with the refusal and the audit id
    of the decision, which the audit log holds (the supervisor's `queue callbacks` reason)."""
    from campaigns.voicemail_store import VoicemailStore
    from dnc.rules.audit import AuditLog

    clock = us_hours_clock()
    listed = ("+13125550100", "+13125550101")
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock, listed=listed)
    now = datetime.fromtimestamp(clock(), UTC)
    QueueStore(store).create({"name": "sales"}, at=now)
    landlines(tmp_path, list(listed), clock())
    callbacks, voicemail = QueueCallbacks(store), VoicemailStore(store)
    callbacks.add_callback("cb-old", "sales", listed[0], now - timedelta(days=120),
                           at=now - timedelta(days=120))
    message = voicemail.add_voicemail("vm-call", "sales", listed[1], "/tmp/vm.wav",
                                      now - timedelta(days=10),
                                      now - timedelta(days=10) + timedelta(seconds=20))
    voicemail.voicemail_to_callback(message.id, "cb-vm", at=now)

    async def scenario() -> None:
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=1.0,
                                time_to_answer=0.5, patience=30.0)
        settings = SwitchSettings(speed=4.0, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=5) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store,
                            login_agents=True, clock=clock)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.2),
                                                   random.Random(1))
            await runner.run(duration=5.0)

    asyncio.run(scenario())
    done = {c.id: c for c in callbacks.callbacks()}
    assert done["cb-vm"].status == "completed" and done["cb-vm"].reason is None
    old = done["cb-old"]
    assert old.status == "cancelled" and old.attempts == 0
    assert old.reason.startswith("compliance dial:") and "us.national_dnc: listed" in old.reason
    decision_id = old.reason.removeprefix("compliance ").split(": ", 1)[0]
    entries = {e["decision_id"]: e for e in AuditLog(tmp_path / "audit").entries(
        number=listed[0])}
    assert entries[decision_id]["lead_id"] == "queue-callback:cb-old"
    assert not entries[decision_id]["allowed"]
    allowed = [e for e in AuditLog(tmp_path / "audit").entries(number=listed[1])
               if e["allowed"]]
    assert allowed and allowed[0]["lead_id"] == "queue-callback:cb-vm"
    assert any(p["permission"].startswith("ebr:inquiry") for p in allowed[0]["permissions"])
    store.close()
