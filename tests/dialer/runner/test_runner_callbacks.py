"""A due callback promised to an agent is dialed agent-first for that agent.

The hopper hands the due callback out first; the runner gives it to the engine as
``CallbackDue`` (reserve the promised agent, then dial), the journal links the attempt to
the callback and marks it kept, and the customer is connected to the promised agent.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import attempts, callable_lead, make_store, settings_for


def test_a_personal_callback_is_dialed_for_its_agent(tmp_path):
    store = make_store(tmp_path, agents=3, leads=10, amd_enabled=False)
    lead = callable_lead(store, tmp_path)
    promised = store.agent("agent2")
    now = datetime.now(UTC)
    callback = store.schedule_callback(lead.id, now - timedelta(minutes=1), at=now,
                                       agent_id=promised.id)

    async def scenario() -> None:
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=2.0,
                                time_to_answer=1.0, patience=5.0)
        settings = SwitchSettings(speed=4.0, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=2) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store,
                            login_agents=True)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.2),
                                                   random.Random(3))
            await runner.run(duration=3.0)

    asyncio.run(scenario())
    rows = [r for r in attempts(store) if r["lead_id"] == lead.id]
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["callback_id"] == callback.id and row["outcome"] == "answered"
    assert row["agent_id"] == promised.id, "the callback went to another agent"
    assert store.due_callbacks("demo", now=datetime.now(UTC)) == []
    with store.session() as session:
        from campaigns.models import Callback

        assert session.get(Callback, callback.id).status == "kept"
    store.close()
