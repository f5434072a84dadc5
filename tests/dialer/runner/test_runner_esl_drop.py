"""The switch connection drops mid-run: no dial while it is down, reconnect, carry on.

The simulator closes the runner's socket; the runner's client reconnects after its backoff.
Checked: the engine stops choosing that switch (no attempt journaled while it is down), the
calls whose events were missed are settled from the switch's channel list on reconnect,
dialing resumes afterwards, and every attempt ends with an outcome.
"""

from __future__ import annotations

import asyncio
import random
import time

from dialer.esl.client import Backoff
from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import check_journal_invariants, make_store, settings_for


def test_dropped_switch_connection_pauses_dialing_and_recovers(tmp_path):
    store = make_store(tmp_path, agents=4, pacing_policy="progressive")
    down_periods: list[tuple[float, float]] = []

    async def scenario() -> Runner:
        callees = SimpleCallees(live_answer=0.7, machine=0.0, busy=0.15, failed=0.15,
                                talk=3.0, time_to_answer=2.0, patience=3.0)
        settings = SwitchSettings(speed=3.0, playback_seconds=1.0,
                                  sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=5) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True,
                            backoff=Backoff(initial=1.5, factor=1.0, maximum=1.5, jitter=0.0))
            runner.on_agent_change = desk_for(runner)
            client = next(iter(runner.switches.clients.values()))

            async def drop_once() -> None:
                try:
                    await drop_and_watch()
                finally:
                    runner.stop()

            async def drop_and_watch() -> None:
                await runner.ready.wait()
                await asyncio.sleep(2.0)
                assert runner.stats.dials > 0
                dropped_at = time.time()
                for listener in list(sim.server.listeners):
                    listener.writer.close()
                await asyncio.sleep(0.3)
                assert not client.connected
                await client.wait_connected(timeout=10)
                down_periods.append((dropped_at, time.time()))
                dials_at_reconnect = runner.stats.dials
                await asyncio.sleep(2.5)
                assert runner.stats.dials > dials_at_reconnect, "dialing did not resume"

            async with asyncio.TaskGroup() as group:
                group.create_task(drop_once())
                # The run lasts until drop_once has seen dialing resume (it stops the
                # runner), not a fixed time a loaded machine might not leave it.
                group.create_task(runner.run(duration=120.0))
        return runner

    runner = asyncio.run(scenario())
    assert client_reconnected(runner)
    attempts = check_journal_invariants(store)
    assert all(a["outcome"] is not None for a in attempts), "an attempt was left open"
    (down_from, down_to), = down_periods
    # 0.3 s after the close the client was seen down; no attempt may start while it is down.
    during = [a for a in attempts
              if down_from + 0.3 < a["dialed_at"].timestamp() < down_to - 0.05]
    assert during == [], "dialed while the switch was disconnected"
    assert store.lead_status_counts("demo").get("in_call", 0) == 0
    store.close()


def client_reconnected(runner: Runner) -> bool:
    return all(client.connects >= 2 for client in runner.switches.clients.values())


def desk_for(runner: Runner) -> SimulatedDesk:
    return SimulatedDesk(runner.dispose, runner.clock, (0.2, 0.5), random.Random(2))
