"""The engine and the adapter against the ESL switch simulator, over loopback.

Every command goes out as the API line the adapter renders and every engine event comes from
an ESL event the simulator sent, so this proves the two agree on the wire: originate syntax
and variables, agent legs (``variable_dialer_agent_id``), bridges, hangup causes, AMD.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from engine_kit_fs import Progressive

from dialer.commands import AttemptFinished, CallOutcome
from dialer.engine import CampaignConfig, Engine
from dialer.esl.client import EslClient
from dialer.events import AgentLoggedIn, SwitchUp
from dialer.freeswitch import SUBSCRIPTION, DialPlan, FreeSwitchAdapter, MachineDetector
from dialer.ports import AllowAllGate, DialTarget, ListLeadSource
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings

SPEED = 25.0  # simulated seconds per real second


async def _campaign(amd: bool, simulated_seconds: float) -> tuple[Engine, list[AttemptFinished]]:
    settings = SwitchSettings(speed=SPEED, sound_files=frozenset({"/snd/safe_harbor.wav"}))
    async with running_switch(settings=settings, seed=11) as running:
        ids = itertools.count(1)
        leads = ListLeadSource(
            [DialTarget(f"L{i}", f"+1201555{i:04d}", "sim") for i in range(400)]
        )
        config = CampaignConfig(
            "sim", "+12015550000", caller_id_name="Acme Co, Inc.", amd_enabled=amd,
            wrap_up_timeout=3.0, safe_harbor_message="/snd/safe_harbor.wav",
        )
        engine = Engine(config, Progressive(), leads, AllowAllGate(),
                        new_id=lambda: f"00000000-0000-4000-8000-{next(ids):012d}")
        # A public-tree switch: beep detection and the greeting-length check, no mod_amd.
        adapter = FreeSwitchAdapter(DialPlan("sofia/gateway/carrier/{digits}",
                                             detector=MachineDetector.AVMD))
        finished: list[AttemptFinished] = []
        loop = asyncio.get_running_loop()
        start = loop.time()

        def now() -> float:
            return (loop.time() - start) * SPEED

        async def execute(commands: list) -> None:
            finished.extend(c for c in commands if isinstance(c, AttemptFinished))
            for call in adapter.api_calls(commands):
                if call.background:
                    # The job is registered before it is sent: its result can never
                    # arrive before the adapter knows whose it is.
                    job = f"job-{next(ids)}"
                    adapter.register_job(job, call)
                    await client.bgapi(call.command, job)
                else:
                    await client.api(call.command)

        queue: asyncio.Queue = asyncio.Queue()
        async with EslClient(running.url, events=SUBSCRIPTION,
                             on_event=queue.put_nowait) as client:
            await client.wait_connected(5.0)
            await execute(engine.handle(SwitchUp(now())))
            for agent in ("ann", "bob", "cy"):
                await execute(engine.handle(AgentLoggedIn(now(), agent, f"user/{agent}")))
            while now() < simulated_seconds:
                wake = engine.next_wakeup()
                timeout = max(0.0, (wake - now()) / SPEED) if wake is not None else 0.05
                try:
                    esl_event = await asyncio.wait_for(queue.get(), min(timeout, 0.05))
                except TimeoutError:
                    await execute(engine.tick(now()))
                    continue
                for event in adapter.events(esl_event, at=now()):
                    await execute(engine.handle(event))
        return engine, finished


@pytest.mark.timeout(60)
def test_a_campaign_runs_against_the_simulator_without_amd() -> None:
    engine, finished = asyncio.run(_campaign(amd=False, simulated_seconds=150.0))
    outcomes = {f.outcome for f in finished}
    assert engine.dials >= 10
    assert CallOutcome.CONNECTED in outcomes, outcomes
    connected = [f for f in finished if f.outcome is CallOutcome.CONNECTED]
    assert all(f.agent_id in ("ann", "bob", "cy") for f in connected)
    # Every live answer was bridged or got the message within the connect window.
    for record in finished:
        if record.answered_at is not None and record.bridged_at is not None:
            assert record.bridged_at - record.answered_at <= 2.0 + 0.5
    states = {agent.state.value for agent in engine.pool.agents.values()}
    assert "connecting" not in states  # every agent's nailed-up leg came up


@pytest.mark.timeout(60)
def test_amd_results_from_the_simulator_reach_the_engine() -> None:
    engine, finished = asyncio.run(_campaign(amd=True, simulated_seconds=150.0))
    kinds = {f.answer_kind for f in finished if f.answer_kind is not None}
    # With AMD on, an answer kind can only come from the detector (here wait_for_silence's
    # CHANNEL_EXECUTE_COMPLETE, or an avmd beep).
    assert kinds & {"human", "machine"}, kinds
    assert engine.dials >= 10
