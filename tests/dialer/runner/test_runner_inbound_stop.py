"""A stopping runner and the callers leaving a voicemail (dialer/runner/inbound_stop.py),
live over loopback with the switch simulator: the caller finishes the message past the
stop grace (the stop waits, bounded by the queue's voicemail.max_seconds, and says so in
the log and the status), and the recording becomes a voicemail like any other; a second
stop hangs them up at once, the recording made so far still kept."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from campaigns.queue_store import QueueStore
from campaigns.voicemail_store import VoicemailStore
from dialer.runner.runner import Runner
from dialer.runner.status import diagnose
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_inbound_kit import inbound_calls, place, short_prompts
from tests.dialer.runner.runner_kit import make_store, settings_for, us_hours_clock

CALLEES = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=1.0,
                        time_to_answer=0.5, patience=30.0)
MENU = {"start": "main", "menus": {"main": {
    "prompt": "main_menu", "timeout": 5, "options": {"1": "queue", "2": "voicemail"}}}}


async def _wait_for(condition, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _recording(runner: Runner) -> bool:
    return any(call.inbound is not None and call.inbound.recording_at is not None
               for call in runner.engine.calls.values())


def _scenario(tmp_path, message: float, stops: int):
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock)
    QueueStore(store).create({"name": "sales", "ivr": MENU,
                              "voicemail": {"max_seconds": 600}},
                             at=datetime.fromtimestamp(clock(), UTC))
    files = short_prompts(tmp_path)
    seen: dict[str, str] = {}

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=CALLEES, seed=3) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=0.5), store,
                            login_agents=True, clock=clock)
            task = asyncio.create_task(runner.run(duration=120.0))
            await runner.ready.wait()
            caller = place(sim, "sales", number="+13125550181", keys="2", message=message)
            await _wait_for(lambda: _recording(runner), 10)
            runner.stop()
            await _wait_for(lambda: runner.phase.stopping, 5)
            seen["status"] = diagnose(runner.status.facts(None)).sentence()
            if stops > 1:
                runner.stop()
            # Bounded either way: a runner that waited for a second stop's voicemail would
            # still be waiting (the message lasts minutes), not cut it.
            await asyncio.wait_for(task, 60)
            return caller

    caller = asyncio.run(scenario())
    return store, caller, seen


def test_a_caller_leaving_a_voicemail_at_a_stop_finishes_it(tmp_path, caplog) -> None:
    """Stop grace 0.5 s, a message of 4 s: before, the caller was hung up at 0.5 s (the
    recording cut); now the stop waits for the message, says so, and stores it."""
    caplog.set_level(logging.INFO, logger="dialer.runner")
    store, caller, seen = _scenario(tmp_path, message=4.0, stops=1)
    assert caller.ended_by == "caller"  # they finished and hung up; nobody cut them
    assert "leaving a voicemail" in seen["status"]
    assert any("waiting for 1 caller leaving a voicemail" in r.getMessage()
               for r in caplog.records)
    (voicemail,) = VoicemailStore(store).voicemails()
    assert voicemail.caller_number == "+13125550181"
    (record,) = inbound_calls(store)
    assert record["outcome"] == "voicemail"
    store.close()


def test_a_second_stop_hangs_up_the_voicemail_at_once_and_keeps_the_recording(
        tmp_path) -> None:
    """A message of five minutes and a second stop: the runner does not wait for it; the
    part recorded is still a voicemail in the store."""
    store, caller, _ = _scenario(tmp_path, message=300.0, stops=2)
    assert caller.ended_by != "caller"  # hung up by the dialer
    (voicemail,) = VoicemailStore(store).voicemails()
    assert voicemail.caller_number == "+13125550181"
    store.close()


def test_a_caller_still_in_the_menu_at_a_stop_keeps_a_place(tmp_path) -> None:
    """A caller who has not chosen in a slow menu when the run stops (stop grace 0.5 s):
    before, hung up mid-menu when the grace ran out; now the queue's closing path at once,
    here a place kept as a callback (confirmed, then hung up), claimable at the next start."""
    from campaigns.queue_callbacks import QueueCallbacks

    clock = us_hours_clock()
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock)
    slow = {"start": "main", "menus": {"main": {
        "prompt": "main_menu", "timeout": 60, "options": {"1": "queue"}}}}
    QueueStore(store).create({"name": "sales", "ivr": slow},
                             at=datetime.fromtimestamp(clock(), UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=CALLEES, seed=3) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=0.5), store,
                            login_agents=True, clock=clock)
            task = asyncio.create_task(runner.run(duration=120.0))
            await runner.ready.wait()
            caller = place(sim, "sales", number="+13125550182")
            await _wait_for(lambda: "main_menu" in caller.heard, 10)
            runner.stop()
            await asyncio.wait_for(task, 60)
            return caller

    caller = asyncio.run(scenario())
    assert "callback_confirm" in caller.heard and not caller.bridged
    (record,) = inbound_calls(store)
    assert record["outcome"] == "callback_requested"
    (callback,) = QueueCallbacks(store).callbacks()
    assert callback.number == "+13125550182" and callback.status == "pending"
    store.close()
