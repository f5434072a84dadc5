"""``dialer switch-sim --scenario``: callees come from the lab's population model."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest
from switch_wire import RawClient

from simulations.errors import ScenarioError
from simulations.population import CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.scenario import fate_source_for
from simulations.switch.switch import SwitchSettings

SCENARIO = """
[campaign]
agents = 5

[callees]
live_answer = 0.30
machine = 0.10
busy = 0.10
time_to_answer = { dist = "lognormal", mean = 9.0, sd = 4.0 }
no_answer_timeout = 25
busy_time = 4
patience = { dist = "exponential", mean = 5.0 }

[agents]
talk = { dist = "lognormal", mean = 180.0, sd = 90.0 }
wrap = { dist = "fixed", value = 15.0 }
"""


def test_no_scenario_uses_the_built_in_population() -> None:
    source = fate_source_for(None)
    assert isinstance(source, SimpleCallees)
    assert {source(random.Random(seed)).kind for seed in range(300)} == set(CalleeKind)


def test_scenario_population_drives_the_fates(tmp_path: Path) -> None:
    scenario = tmp_path / "campaign.toml"
    scenario.write_text(SCENARIO)
    source = fate_source_for(scenario)
    rng = random.Random(11)
    fates = [source(rng) for _ in range(4000)]
    shares = Counter(fate.kind for fate in fates)
    assert abs(shares[CalleeKind.LIVE] / 4000 - 0.30) < 0.03
    assert abs(shares[CalleeKind.MACHINE] / 4000 - 0.10) < 0.02
    assert abs(shares[CalleeKind.BUSY] / 4000 - 0.10) < 0.02
    assert all(f.answer_after == 4 for f in fates if f.kind is CalleeKind.BUSY)
    again = fate_source_for(scenario)
    rng = random.Random(11)
    assert [again(rng) for _ in range(300)] == fates[:300]  # same seed, same callees


def test_bad_scenario_is_a_scenario_error(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text("[callees]\nlive_answer = 0.9\nmachine = 0.5\n")
    with pytest.raises(ScenarioError):
        fate_source_for(scenario)


def test_simulator_dials_a_scenario_population(tmp_path: Path) -> None:
    scenario = tmp_path / "campaign.toml"
    scenario.write_text(SCENARIO)

    async def run() -> Counter:
        settings = SwitchSettings(speed=200.0, heartbeat_interval=0)
        async with running_switch(settings=settings, fate_source=fate_source_for(scenario),
                                  seed=3) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain CHANNEL_HANGUP_COMPLETE\n\n")
            for n in range(60):
                await client.send(f"bgapi originate {{origination_uuid=s{n},originate_timeout=25}}"
                                  f"sofia/gateway/gw/1555{n:07d} &park()\n\n")
            causes: Counter = Counter()
            while sum(causes.values()) < 60:
                event, _ = await client.until_event("CHANNEL_HANGUP_COMPLETE", timeout=20)
                causes[event["Hangup-Cause"]] += 1
            return causes

    causes = asyncio.run(run())
    assert causes["NO_ANSWER"] > 0 and causes["NORMAL_CLEARING"] > 0 and causes["USER_BUSY"] > 0
