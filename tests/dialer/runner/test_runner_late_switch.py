"""Agents' nailed-up legs survive a switch that is late or drops at the wrong moment.

- The switch answers only after recovery gave up waiting for it: the agents logged in at
  start get their legs once it is connected (before, the legs were dropped for good and the
  campaign sat idle with every agent ``connecting``: the start-up stall of ``dialer demo``).
- The link drops just as an agent's leg is answered: the CHANNEL_ANSWER is lost with the
  socket, and the reconnect reconciliation reads the leg's state from the switch.
"""

from __future__ import annotations

import asyncio

import dialer.esl.connection as connection
import dialer.runner.recovery as recovery
import simulations.switch.server as server
from dialer.commands import AgentState
from dialer.runner.demo import demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import make_store, settings_for

WAITING = (AgentState.LOGGED_OUT, AgentState.CONNECTING)


async def _agents_become_ready(runner: Runner, agents: int, timeout: float = 10.0) -> None:
    main = asyncio.create_task(runner.run(None))
    try:
        async with asyncio.timeout(timeout):
            while (runner.engine is None or len(runner.engine.pool.agents) < agents
                   or any(a.state in WAITING for a in runner.engine.pool.agents.values())):
                await asyncio.sleep(0.05)
    finally:
        runner.stop()
        await asyncio.wait_for(main, 20)


def _run_until_two_agents_are_ready(tmp_path, store) -> None:
    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(sound_files=demo_switch_files())) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=0.5), store,
                            login_agents=True)
            await _agents_become_ready(runner, 2)

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_agents_logged_in_before_the_switch_is_up_get_their_legs(tmp_path, monkeypatch):
    monkeypatch.setattr(recovery, "SWITCH_WAIT", 0.2)
    original = connection.EslConnection.open.__func__
    delays = [0.6]

    async def late_open(cls, *args, **kwargs):
        if delays:
            await asyncio.sleep(delays.pop())
        return await original(cls, *args, **kwargs)

    monkeypatch.setattr(connection.EslConnection, "open", classmethod(late_open))
    store = make_store(tmp_path, agents=2, leads=20)

    _run_until_two_agents_are_ready(tmp_path, store)
    assert not delays, "the switch was not late"


def test_an_agent_leg_answered_while_the_link_was_down_is_taken_as_up(tmp_path, monkeypatch):
    store = make_store(tmp_path, agents=2, leads=20)
    offer = server.Listener.offer
    lost: list[str] = []

    def lossy_offer(self, event, cache):
        if (not lost and event.name == "CHANNEL_ANSWER"
                and (event.get("Channel-Name") or "").startswith("user/")):
            lost.append(event.get("Unique-ID") or "")
            self.writer.transport.abort()  # the answer goes down with the socket
            return
        offer(self, event, cache)

    monkeypatch.setattr(server.Listener, "offer", lossy_offer)

    _run_until_two_agents_are_ready(tmp_path, store)
    assert lost, "no agent leg answer was lost"
