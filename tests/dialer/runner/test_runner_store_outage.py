"""The live runner through a store outage, against the switch simulator over loopback.

The campaign store (SQLite) refuses every write of the journal, the agents' history and the
leads for a few seconds while calls are up, then takes them again (triggers abort the
statements inside the runner's own transactions, as a locked file or a failed-over server
does). Checked: the process goes on; no customer originate reaches the switch while the
store cannot be written; the calls up go on and their outcomes, agent history and
dispositions are written when it is back, none lost and none twice; one alert names the
outage and ``dialer status``'s held reason says it; dialing resumes on its own. Before,
the first write-only batch that failed ended the run (the writer task raised).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from dialer.runner.demo import SimulatedDesk, demo_switch_files
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

FAULTED = (
    ("call_attempt", "INSERT"),
    ("call_attempt", "UPDATE"),
    ("agent_state_change", "INSERT"),
    ("lead", "UPDATE"),
    ("callback", "INSERT"),
)


def install_store_fault(store) -> None:  # type: ignore[no-untyped-def]
    """While ``store_fault`` has a row, the database refuses the runner's writes."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE store_fault (why TEXT)"))
        for table, what in FAULTED:
            connection.execute(
                sa.text(
                    f"CREATE TRIGGER store_fault_{table}_{what.lower()} BEFORE {what} ON {table} "
                    "WHEN EXISTS (SELECT 1 FROM store_fault) "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error: injected'); END"
                )
            )


def store_down(store, down: bool) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO store_fault VALUES ('down')" if down else "DELETE FROM store_fault"
            )
        )


def test_the_runner_holds_dialing_through_a_store_outage_and_loses_no_outcome(tmp_path):
    store = make_store(tmp_path, agents=4, pacing_policy="progressive", amd_enabled=False)
    install_store_fault(store)
    originated: list[tuple[float, str]] = []
    """(wall time, call uuid) of every customer originate the switch received."""
    outage: list[tuple[str, float]] = []
    """The runner's outage transitions as it announced them ("down"/"up", wall time)."""
    seen: dict[str, object] = {}

    async def scenario() -> Runner:
        callees = SimpleCallees(
            live_answer=0.8,
            machine=0.0,
            busy=0.1,
            failed=0.1,
            talk=4.0,
            time_to_answer=1.0,
            patience=4.0,
        )
        settings = SwitchSettings(speed=3.0, playback_seconds=1.0, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=7) as sim:
            create = sim.switch.create

            def watched_create(name, role, destination, variables, channel_uuid=None):
                if name.startswith("sofia/gateway/"):
                    originated.append((time.time(), channel_uuid))
                return create(name, role, destination, variables, channel_uuid)

            sim.switch.create = watched_create
            runner = Runner(
                settings_for(tmp_path, sim.url, stop_grace=20.0), store, login_agents=True
            )
            runner.on_agent_change = SimulatedDesk(
                runner.dispose, runner.clock, (0.3, 0.8), random.Random(4)
            )
            runner.db.retry_first, runner.db.retry_longest = 0.2, 0.8
            announce = runner.db.on_outage

            def told(state) -> None:  # type: ignore[no-untyped-def]
                outage.append(("down" if state is not None else "up", time.time()))
                announce(state)

            runner.db.on_outage = told

            async def outage_and_back() -> None:
                try:
                    await runner.ready.wait()
                    while not any(call.bridged_at for call in runner.engine.calls.values()):
                        await asyncio.sleep(0.05)  # a call is up, with its agent
                    store_down(store, True)
                    while runner.db.outage is None:
                        await asyncio.sleep(0.05)
                    ends_before = len(runner.db.held)
                    # Down long enough for calls up to end and agents to wrap up.
                    while (
                        len([op for op in runner.db.held if type(op).__name__ == "FinishOp"]) < 2
                        or time.time() - outage[0][1] < 3.0
                    ):
                        await asyncio.sleep(0.1)
                        assert runner.db.outage is not None
                    seen["held"] = len(runner.db.held) - ends_before
                    seen["paused"] = runner.engine.dialing_paused
                    seen["reason"] = runner.state_follow.held_reason()
                    while "campaign/demo/store_writes" not in runner.alerts.book.active:
                        await asyncio.sleep(0.1)
                    seen["alerts"] = sorted(runner.alerts.book.active)
                    store_down(store, False)
                    while runner.db.outage is not None:
                        await asyncio.sleep(0.05)
                    dials = runner.stats.dials
                    while runner.stats.dials < dials + 3:
                        await asyncio.sleep(0.05)  # dialing resumed on its own
                    seen["after"] = runner.state_follow.held_reason()
                finally:
                    runner.stop()

            async with asyncio.TaskGroup() as group:
                group.create_task(outage_and_back())
                group.create_task(runner.run(duration=180.0))
        return runner

    asyncio.run(scenario())
    (down, down_at), (up, up_at) = outage
    assert (down, up) == ("down", "up")
    during = [uuid for at, uuid in originated if down_at + 0.5 < at < up_at]
    assert during == [], "a dial reached the switch while the store could not be written"
    assert any(at > up_at for at, _ in originated), "dialing did not resume"
    assert seen["held"] > 0 and seen["paused"] is True
    assert "campaign store cannot be written" in str(seen["reason"])
    assert seen["after"] is None
    # One alert for the outage: not the pause, the hopper or the dial records as well.
    assert [key for key in seen["alerts"] if key.startswith("campaign/")] == [  # type: ignore[union-attr]
        "campaign/demo/store_writes"
    ]
    # Nothing lost: every call the switch was asked for is journaled and closed; the
    # calls that ended while the store was down have their outcome (written after).
    rows = check_journal_invariants(store)
    by_uuid = {row["call_uuid"]: row for row in rows}
    assert {uuid for _, uuid in originated} <= set(by_uuid)
    assert all(row["outcome"] is not None for row in rows), "an outcome was lost"
    ended_down = [
        row
        for row in rows
        if row["ended_at"] is not None and down_at < row["ended_at"].timestamp() < up_at
    ]
    assert ended_down, "no call ended during the outage: the test proved nothing"
    connected = [row for row in rows if row["bridged_at"] is not None]
    assert all(row["disposition"] for row in connected), "a disposition was lost"
    # Nothing twice: no agent state change stored twice.
    history = Counter((h["agent_id"], h["state"], h["at"]) for h in agent_history(store))
    assert max(history.values()) == 1
    assert store.lead_status_counts("demo").get("in_call", 0) == 0
    store.close()


def test_an_outage_past_its_limit_stops_the_run_and_keeps_the_writes_for_the_next(tmp_path):
    """The store stays down past ``--store-outage-limit``: the run stops as a stop does
    (calls in progress finish), says why, and the writes it could not write are kept in the
    spill file, not lost; the next run writes them before it dials (their outcomes, not
    the recovery's guesses), and removes the file."""

    from campaigns.journal_batch import FinishOp
    from dialer.runner.errors import RunnerError
    from dialer.runner.journal_spill import load

    store = make_store(tmp_path, agents=3, pacing_policy="progressive", amd_enabled=False)
    install_store_fault(store)

    async def scenario(down_at_start: bool, duration: float) -> Runner:
        callees = SimpleCallees(
            live_answer=0.8,
            machine=0.0,
            busy=0.1,
            failed=0.1,
            talk=2.0,
            time_to_answer=1.0,
            patience=4.0,
        )
        settings = SwitchSettings(speed=3.0, playback_seconds=1.0, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=8) as sim:
            base = settings_for(tmp_path, sim.url, stop_grace=15.0)
            from dataclasses import replace

            runner = Runner(replace(base, store_outage_limit=1.5), store, login_agents=True)
            runner.on_agent_change = SimulatedDesk(
                runner.dispose, runner.clock, (0.3, 0.6), random.Random(5)
            )
            runner.db.retry_first, runner.db.retry_longest = 0.2, 0.5

            async def outage() -> None:
                await runner.ready.wait()
                while not any(call.bridged_at for call in runner.engine.calls.values()):
                    await asyncio.sleep(0.05)
                store_down(store, True)

            fault = asyncio.create_task(outage()) if down_at_start else None
            try:
                await runner.run(duration=duration)  # its own error, not a group's
            finally:
                if fault is not None:
                    fault.cancel()
        return runner

    with pytest.raises(RunnerError, match="cannot be written") as raised:
        asyncio.run(scenario(True, 120.0))
    path = tmp_path / "journal-spill"
    (spill,) = path.glob("*.pickle")
    assert str(spill) in str(raised.value)
    kept = load(spill)
    ends = {op.call_uuid: op for op in kept if isinstance(op, FinishOp)}
    assert ends, "no call's end was kept"
    store_down(store, False)
    asyncio.run(scenario(False, 1.0))
    assert not spill.exists()
    rows = {row["call_uuid"]: row for row in check_journal_invariants(store)}
    for call_uuid, op in ends.items():
        assert rows[call_uuid]["outcome"] == str(op.outcome), call_uuid
    store.close()
