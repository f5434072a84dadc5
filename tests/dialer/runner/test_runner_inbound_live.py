"""The live inbound path, end to end over loopback: callers placed on the switch simulator
(one inbound SIP leg each, the dialplan's set/answer/park as in the real capture
10-inbound-queue) reach a real ``Runner`` on its ESL connection, navigate the menu, wait
hearing where they stand, keep their place and are called back agent-first; the same agents
take outbound calls; a call parked before the runner starts is adopted; a call naming a queue
nobody configured is refused explicitly (prompts, hang-up, a WARNING), one naming another
campaign's queue is left parked."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

import pytest

from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueStore
from dialer.runner.demo import SimulatedDesk
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_inbound_kit import inbound_calls, place, short_prompts
from tests.dialer.runner.runner_kit import (
    attempts,
    landlines,
    make_store,
    settings_for,
    us_hours_clock,
)

LIVE_CALLEES = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=1.0,
                             time_to_answer=0.5, patience=30.0)
MENU = {"start": "main", "menus": {"main": {
    "prompt": "main_menu", "timeout": 5,
    "options": {"1": "queue", "2": "voicemail"}}}}


async def _wait_for(condition, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _runner(tmp_path, sim, store, **kwargs) -> Runner:
    runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store, login_agents=True,
                    **kwargs)
    runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.2),
                                           random.Random(1))
    return runner


def test_a_caller_navigates_the_menu_waits_asks_for_a_callback_and_is_called_back(tmp_path):
    # A US-hours clock: the callback to Chicago keeps the called party's calling hours.
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock)
    QueueStore(store).create({
        "name": "sales", "ivr": MENU,
        "announcements": {"every": 10, "position": True, "estimated_wait": True},
        "callback": {"offer_after": 10}}, at=datetime.fromtimestamp(clock(), UTC))
    landlines(tmp_path, ["+13125550162"], clock())  # no written consent: see landlines
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=3) as sim:
            runner = _runner(tmp_path, sim, store, clock=clock)
            task = asyncio.create_task(runner.run(duration=40.0))
            await runner.ready.wait()
            await _wait_for(lambda: runner.engine.pool.agents.get("agent1") is not None
                            and runner.engine.pool.agents["agent1"].state.value == "ready", 5)
            first = place(sim, "sales", number="+13125550161", keys="1", talk=18)
            await _wait_for(lambda: first.bridged, 5)
            second = place(sim, "sales", number="+13125550162", keys="1", callback="yes")
            await _wait_for(lambda: any(c.status == "completed"
                                        for c in QueueCallbacks(store).callbacks()), 35)
            # An inbound-only campaign (queues, no leads) is not alerted for its empty hopper.
            assert runner.alerts.inbound_only
            assert not any(key.endswith("/hopper") for key in runner.alerts.book.active)
            assert "LEADS" not in {b.name for b in runner.status.current.blockers}
            runner.stop()
            await task
            return first, second

    first, second = asyncio.run(scenario())
    assert first.bridged and first.heard == ["main_menu"]
    # The menu, then the line: position and estimated wait at entry, again ten seconds
    # later with the callback offer, which the caller took.
    assert second.heard[0] == "main_menu"
    assert second.heard.count("you_are_number") >= 2
    assert "wait_about" in second.heard or "wait_under_a_minute" in second.heard
    offer = second.heard.index("callback_offer")
    assert second.heard[offer + 1] == "key_1" and "callback_confirm" in second.heard
    assert not second.bridged  # the dialer hung up after the confirmation
    records = {r["caller_number"]: r for r in inbound_calls(store)}
    assert records["+13125550161"]["outcome"] == "connected"
    assert records["+13125550161"]["ivr_keys"] == "1"
    assert records["+13125550162"]["outcome"] == "callback_requested"
    assert records["+13125550162"]["estimated_wait"] is not None
    (callback,) = QueueCallbacks(store).callbacks()
    assert callback.number == "+13125550162" and callback.status == "completed"
    assert callback.attempts == 1 and callback.completed_call_uuid
    store.close()


def test_a_stopping_runner_keeps_its_waiting_caller_as_a_callback(tmp_path):
    """At a stop the caller waiting in the queue hears the callback confirmation and keeps
    their place in the store for the next start, instead of being hung up when the stop
    grace runs out (QueuesClosing)."""
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, clock=clock)
    QueueStore(store).create({"name": "sales", "callback": {"offer_after": 600}},
                             at=datetime.fromtimestamp(clock(), UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=3) as sim:
            runner = _runner(tmp_path, sim, store, clock=clock)
            task = asyncio.create_task(runner.run(duration=60.0))
            await runner.ready.wait()
            await _wait_for(lambda: runner.engine.pool.agents.get("agent1") is not None
                            and runner.engine.pool.agents["agent1"].state.value == "ready", 5)
            first = place(sim, "sales", number="+13125550171", talk=30)
            await _wait_for(lambda: first.bridged, 5)
            second = place(sim, "sales", number="+13125550172", patience=60)
            await _wait_for(lambda: runner.engine.inbound.waiting("sales") == 1, 5)
            runner.stop()
            await task
            return second

    second = asyncio.run(scenario())
    assert "callback_confirm" in second.heard and not second.bridged
    records = {r["caller_number"]: r for r in inbound_calls(store)}
    assert records["+13125550172"]["outcome"] == "callback_requested"
    (callback,) = QueueCallbacks(store).callbacks()
    assert callback.number == "+13125550172" and callback.status == "pending"
    assert callback.claimed_by is None  # released at the clean stop: the next start claims it
    store.close()


def test_a_blended_campaign_serves_outbound_and_inbound_with_the_same_agents(tmp_path):
    store = make_store(tmp_path, agents=2, leads=40, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02, pacing_policy="progressive")
    QueueStore(store).create({"name": "sales", "announcements": {"every": None}},
                             at=datetime.now(UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        callees = SimpleCallees(live_answer=0.6, machine=0.0, busy=0.2, failed=0.0, talk=1.5,
                                time_to_answer=1.0, patience=30.0)
        settings = SwitchSettings(sound_files=files, wav_lengths=True, speed=1.0)
        async with running_switch(settings=settings, fate_source=callees, seed=8) as sim:
            runner = _runner(tmp_path, sim, store)
            task = asyncio.create_task(runner.run(duration=14.0))
            await runner.ready.wait()
            callers = []
            for i in range(6):
                await asyncio.sleep(1.5)
                callers.append(place(sim, "sales", number=f"+1312555017{i}", talk=1.0))
            assert not runner.alerts.inbound_only  # blended: its leads running out is news
            await task
            return callers

    callers = asyncio.run(scenario())
    names = {a.id: a.name for a in store.agents()}
    inbound = [r for r in inbound_calls(store) if r["outcome"] == "connected"]
    outbound = [a for a in attempts(store) if a["bridged_at"] is not None]
    assert inbound and outbound
    inbound_agents = {names[r["agent_id"]] for r in inbound}
    outbound_agents = {names[a["agent_id"]] for a in outbound}
    assert inbound_agents & outbound_agents  # an agent took calls of both kinds
    assert sum(c.bridged for c in callers) == len(inbound)
    store.close()


def test_a_call_parked_before_the_runner_starts_is_adopted_with_its_wait(tmp_path):
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    QueueStore(store).create({"name": "sales", "announcements": {"every": None}},
                             at=datetime.now(UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=4) as sim:
            early = place(sim, "sales", number="+13125550181", talk=0.5,
                          dialer_priority="3")
            parked_at = sim.switch.clock()
            await asyncio.sleep(1.0)
            runner = _runner(tmp_path, sim, store)
            task = asyncio.create_task(runner.run(duration=30.0))
            await _wait_for(lambda: bool(inbound_calls(store)), 20)
            adopted = runner.inbound_calls.adopted
            runner.stop()
            await task
            return early, parked_at, adopted

    early, parked_at, adopted = asyncio.run(scenario())
    assert adopted == 1 and early.bridged
    (record,) = inbound_calls(store)
    assert record["outcome"] == "connected"
    # Its wait counts from its park, before the runner existed, not from the adoption.
    queued = record["queued_at"].replace(tzinfo=UTC).timestamp()
    bridged = record["bridged_at"].replace(tzinfo=UTC).timestamp()
    assert queued <= parked_at + 0.5 and bridged - queued >= 1.0
    store.close()


def test_an_unknown_queue_is_refused_and_another_campaigns_queue_left_parked(tmp_path, caplog):
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    queues = QueueStore(store)
    queues.create({"name": "sales"}, at=datetime.now(UTC))
    queues.create({"name": "billing"}, at=datetime.now(UTC))  # no campaign of ours serves it
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=5) as sim:
            runner = _runner(tmp_path, sim, store)
            task = asyncio.create_task(runner.run(duration=30.0))
            await runner.ready.wait()
            lost = place(sim, "salse", number="+13125550191")
            theirs = place(sim, "billing", number="+13125550192")
            await _wait_for(lambda: lost.uuid not in sim.switch.channels, 10)
            await asyncio.sleep(0.5)
            still_parked = theirs.uuid in sim.switch.channels
            counts = runner.inbound_calls.snapshot()
            runner.stop()
            await task
            return lost, still_parked, counts

    with caplog.at_level(logging.WARNING, logger="dialer.runner.inbound"):
        lost, still_parked, counts = asyncio.run(scenario())
    assert lost.heard == ["all_busy", "goodbye"] and not lost.bridged
    assert still_parked
    assert counts["refused"] == 1 and counts["left_parked"] == 1 and counts["taken"] == 0
    assert any("'salse', which is not configured" in r.getMessage() for r in caplog.records)
    assert inbound_calls(store) == []  # neither call is this campaign's to record
    store.close()


def test_a_caller_claimed_by_another_process_is_left_to_it(tmp_path):
    """Every process serving a queue sees the same park; mod_hash's insert_ifempty on the
    switch gives each caller to exactly one of them, and the claim goes when the call ends."""
    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    QueueStore(store).create({"name": "sales", "announcements": {"every": None}},
                             at=datetime.now(UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=6) as sim:
            runner = _runner(tmp_path, sim, store)
            task = asyncio.create_task(runner.run(duration=30.0))
            await runner.ready.wait()
            hashes = sim.switch.hash_db
            theirs = place(sim, "sales", number="+13125550171")
            hashes[("dialer_inbound", theirs.uuid)] = "another-process"
            ours = place(sim, "sales", number="+13125550172", talk=0.5)
            await _wait_for(lambda: ours.bridged, 10)
            claimed = hashes.get(("dialer_inbound", ours.uuid))
            await _wait_for(lambda: ours.uuid not in sim.switch.channels
                            and ("dialer_inbound", ours.uuid) not in hashes, 15)
            counts = runner.inbound_calls.snapshot()
            still_parked = theirs.uuid in sim.switch.channels
            runner.stop()
            await task
            return theirs, claimed == runner.owner, counts, still_parked

    theirs, claimed_by_us, counts, still_parked = asyncio.run(scenario())
    assert claimed_by_us
    assert still_parked and not theirs.bridged and theirs.heard == []
    assert counts["claimed_elsewhere"] == 1 and counts["taken"] == 1
    assert [r["caller_number"] for r in inbound_calls(store)] == ["+13125550172"]
    store.close()


def test_a_switch_without_mod_hash_is_refused_for_a_campaign_with_queues(tmp_path):
    from dialer.runner.errors import RunnerError
    from simulations.switch.switch import PUBLIC_TREE_MODULES

    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    QueueStore(store).create({"name": "sales"}, at=datetime.now(UTC))
    files = short_prompts(tmp_path)

    async def scenario():
        settings = SwitchSettings(sound_files=files,
                                  modules=PUBLIC_TREE_MODULES - {"mod_hash"})
        async with running_switch(settings=settings, fate_source=LIVE_CALLEES, seed=7) as sim:
            await _runner(tmp_path, sim, store).run(duration=5.0)

    with pytest.raises(RunnerError, match="has no mod_hash"):
        asyncio.run(scenario())
    store.close()
