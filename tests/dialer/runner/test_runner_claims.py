"""Leads waiting in the runner's hopper keep their claims for as long as they wait.

A campaign with one agent dials slowly, so most claimed leads sit in memory far longer than
the claim TTL. The runner renews them; none may expire (another process could take it and
both would dial it), and a graceful stop gives every one back.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from dialer.runner.demo import demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import make_store, settings_for


def test_claims_held_in_the_hopper_are_renewed_and_released_at_stop(tmp_path):
    store = make_store(tmp_path, agents=1, leads=80, claim_ttl_seconds=1.5,
                       pacing_policy="progressive")
    checks: list[tuple[int, int]] = []

    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(sound_files=demo_switch_files())) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=2.0), store,
                            login_agents=True)

            async def watch() -> None:
                await runner.ready.wait()
                for _ in range(4):
                    await asyncio.sleep(1.0)
                    held = {int(i) for i in runner.hopper.lead_ids()}
                    now = datetime.now(UTC)
                    alive = sum(1 for lead in store.leads("demo", limit=1000)
                                if lead.id in held and lead.claimed_by == runner.owner
                                and lead.claim_expires_at > now)
                    checks.append((len(held), alive))

            async with asyncio.TaskGroup() as group:
                group.create_task(watch())
                group.create_task(runner.run(duration=5.0))

    asyncio.run(scenario())
    assert checks and all(held > 0 for held, _ in checks), checks
    assert all(alive == held for held, alive in checks), f"a held claim expired: {checks}"
    assert not [lead for lead in store.leads("demo", limit=1000) if lead.claimed_by]
    store.close()
