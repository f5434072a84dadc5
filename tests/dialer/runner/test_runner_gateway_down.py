"""A gateway that is down (mod_sofia's ``-ERR GATEWAY_DOWN``, before any channel) beside a
healthy one, through the live runner and the switch simulator's carriers.

Every attempt's first leg is refused on the cheap gateway before any INVITE left the
switch, and fails over to the healthy one. The refused leg reached nobody: it is journaled
(every originate is) but closed as never sent, so the compliance history (attempt limits,
per-person caps) does not count it as a call to the person, and the caller IDs' daily use
read back from the journal at the next start counts each attempt that reached the network
once. Before, each refused leg was a call of the person's for the caps (its row closed
``GATEWAY_DOWN``) and the caller-ID count at the next start missed the attempts whose
first leg was refused (it counted first legs only).
"""

from __future__ import annotations

import asyncio
import random

import sqlalchemy as sa

from campaigns.compliance import past_attempts
from campaigns.gateways import RateRow, add_gateway
from campaigns.models import CallAttempt
from dialer.runner.carriers import caller_id_usage_today
from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.gateways import CarrierGateway
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import (
    attempts,
    check_journal_invariants,
    make_store,
    settings_for,
    us_hours_clock,
)

CALLER_ID = "+12015550100"


def test_legs_refused_by_a_down_gateway_are_no_calls_of_the_persons(tmp_path) -> None:
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=4, leads=200, amd_enabled=False, clock=clock,
                       caller_ids=(CALLER_ID,))
    seen: dict[str, object] = {}

    async def scenario() -> None:
        callees = SimpleCallees(live_answer=0.7, machine=0.0, busy=0.3, failed=0.0,
                                talk=1.0, time_to_answer=0.5, patience=2.0)
        carriers = (CarrierGateway("cheap", down=True), CarrierGateway("steady"))
        settings = SwitchSettings(speed=3.0, playback_seconds=1.0,
                                  sound_files=demo_switch_files(), gateways=carriers)
        async with running_switch(settings=settings, fate_source=callees, seed=7) as sim:
            switch_id = f"{sim.url.host}:{sim.url.port}"
            add_gateway(store, {"name": "cheap", "switch": switch_id, "channels": 10,
                                "cps": 10}, [RateRow("1", 0.004, 6, 6),
                                             RateRow("44", 0.004, 6, 6)], "cheap.csv")
            add_gateway(store, {"name": "steady", "switch": switch_id, "channels": 10,
                                "cps": 10, "priority": 1},
                        [RateRow("1", 0.010, 6, 6), RateRow("44", 0.010, 6, 6)], "steady.csv")
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store,
                            login_agents=True, clock=clock)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.3),
                                                   random.Random(2))

            runner.sends.holds.tune(1.0, 4.0)  # probes within the test's patience

            async def until(done, seconds: float) -> None:
                for _ in range(int(seconds / 0.05)):
                    if done():
                        return
                    await asyncio.sleep(0.05)

            async def watch() -> None:
                try:
                    await runner.ready.wait()
                    await until(lambda: runner.stats.failovers >= 4, 20.0)
                    # A moment with every gateway down: attempts neither gateway placed.
                    book = sim.switch.gateways
                    book.refuse_all("GATEWAY_DOWN")
                    await until(lambda: book.refused_in_spell >= 2, 10.0)
                    seen["spell"] = book.refused_in_spell
                    book.refuse_all(None)
                    failovers = runner.stats.failovers
                    await until(lambda: runner.stats.failovers >= failovers + 4, 20.0)
                finally:
                    runner.stop()

            async with asyncio.TaskGroup() as group:
                group.create_task(runner.run(duration=60.0))
                group.create_task(watch())
            seen["used"] = dict(runner.engine.dialer.caller_ids.used)

    asyncio.run(scenario())
    legs = attempts(store)
    refused = [row for row in legs if row["gateway"] == "cheap"]
    placed = [row for row in legs if row["hangup_cause"] != "NOT_SENT"]
    spell = [row for row in legs if row["gateway"] == "steady" and row not in placed]
    assert len(refused) >= 8 and placed and spell, (len(refused), len(placed), len(spell))
    # Journaled, closed as never sent: no GATEWAY_DOWN call of the person's.
    assert {row["hangup_cause"] for row in refused} == {"NOT_SENT"}, \
        sorted({row["hangup_cause"] for row in refused})
    check_journal_invariants(store)
    # Every leg that reached the network went through the healthy gateway, after a
    # refusal (the lead's own counter counts each attempt once: check_journal_invariants).
    assert all(row["gateway"] == "steady" and row["failover_of"] for row in placed)
    # What the compliance rules read: only the legs that reached the network.
    campaign_id = store.campaign("demo").id
    with store.read_session() as session:
        journal = session.execute(sa.select(CallAttempt).where(
            CallAttempt.campaign_id == campaign_id)).scalars().all()
        history = past_attempts([(row, None, None) for row in journal], {})
    assert len(history) == len(placed), (len(history), len(placed), len(refused))
    # The caller ID's use today, as the next start reads it, is the attempts that reached
    # the network, as the engine counted them in the run.
    shown = caller_id_usage_today(store, campaign_id, clock())
    assert shown.get(CALLER_ID, 0) == len(placed) == seen["used"].get(CALLER_ID, 0), \
        (shown, len(placed), seen["used"])
    store.close()

