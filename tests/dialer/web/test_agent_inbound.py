"""The agent page for an inbound call: the queue, the caller's wait and the IVR choices.

Twice: once through the runner's own objects (an engine serving a queue with a menu takes a
caller who presses keys and is bridged; the runner's view code, ``agent_view``, makes the
agent's feed line, which ``dialer web``'s runner link holds; the page is loaded in process),
and once live: a caller placed on the switch simulator reaches a real runner over ESL (the
live inbound path), ``dialer web`` follows the runner's watch feed, and the agent loads the
page over HTTP."""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

from web_kit import Browserless, create_campaigns

from campaigns.store import CampaignStore
from dialer.commands import Bridge
from dialer.engine import CampaignConfig, Engine
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet
from dialer.events import AgentLegUp, AgentLoggedIn, CallBridged, DtmfReceived, InboundCallArrived
from dialer.ports import AllowAllGate, ListLeadSource
from dialer.runner.dispose_checks import WrapBook
from dialer.runner.watch import Watchers, agent_view
from dialer.web.live import RunnerLink
from dialer.web.server import WebSettings, build_app
from pacing_models.policies import ProgressivePolicy

with warnings.catch_warnings():  # starlette prefers httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MENU = {"start": "main", "menus": {
    "main": {"prompt": "main_menu", "options": {"1": "queue:sales", "2": "menu:billing"},
             "timeout": 5, "retries": 1},
    "billing": {"prompt": ["welcome"], "options": {"1": "queue:sales"}, "timeout": 5,
                "retries": 0}}}


def _agent_on_an_inbound_call() -> dict:
    """The runner's view of agent ann bridged to a caller who went through two menus."""
    queues = QueueSet([QueueConfig.model_validate({"name": "sales", "ivr": MENU,
                                                   "announcements": {"every": None}})],
                      PromptSet.standard(seconds=1.0))
    engine = Engine(CampaignConfig("spring", "+12015550000"), ProgressivePolicy(),
                    ListLeadSource([]), AllowAllGate(), assume_switches_up=True,
                    queues=queues)
    engine.handle(AgentLoggedIn(0.0, "ann", "user/1001"))
    engine.handle(AgentLegUp(0.0, "ann"))
    engine.handle(InboundCallArrived(10.0, "in-1", "sales", "+12025550123"))
    engine.handle(DtmfReceived(12.0, "in-1", "2"))
    out = engine.handle(DtmfReceived(14.5, "in-1", "1"))
    (bridge,) = [c for c in out if isinstance(c, Bridge)]
    engine.handle(CallBridged(14.6, "in-1", bridge.agent_id))
    runner = SimpleNamespace(engine=engine, campaign="spring", owner="test/spring",
                             clock=lambda: 20.0, to_dispose={}, watchers=Watchers(),
                             link=SimpleNamespace(agents={}),
                             execution=SimpleNamespace(wraps=WrapBook()))
    return agent_view(runner, "ann")  # type: ignore[arg-type]


def test_the_agent_page_shows_the_queue_the_wait_and_the_menu_path(tmp_path: Path) -> None:
    view = _agent_on_an_inbound_call()
    call = view["call"]
    assert view["state"] == "on_call" and call["direction"] == "inbound"
    assert call["queue"] == "sales"
    assert call["waited_s"] is not None and 0.0 <= call["waited_s"] <= 4.6
    assert call["ivr"] == ["main", "billing", "keys 21"]
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    create_campaigns(store, time.time())
    app = build_app(WebSettings(database="", data=tmp_path, port=0), store=store)
    link = RunnerLink(tmp_path / "run" / "spring.sock", app.state.web.hub)
    link.campaign, link.instance, link.connected = "spring", "test/spring", True
    link.agents = {"ann": view}
    app.state.web.directory.links[link.path] = link
    # No lifespan: the directory's scan would drop a link without a socket behind it.
    ann = Browserless(TestClient(app, base_url="http://127.0.0.1"))
    assert ann.sign_in("ann").status_code == 200
    page = ann.http.get("/agent?campaign=spring")
    store.close()
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "inbound · queue sales" in text
    assert f"waited {call['waited_s']:.0f} s" in text
    assert "IVR main › billing › keys 21" in text


def test_live_an_inbound_caller_pops_on_the_agent_page_with_queue_wait_and_menu(
        tmp_path: Path) -> None:
    """The same, live: a caller placed on the switch simulator goes through two menus
    (keys 2 then 1), reaches the runner over ESL (the live inbound path), is bridged to the
    agent, and ``dialer web`` (following the runner's watch feed) shows it on the agent's
    page."""
    import asyncio
    import socket
    from datetime import UTC, datetime

    import uvicorn
    from web_kit import PASSWORD

    from campaigns.queue_store import QueueStore
    from dialer.runner.runner import Runner
    from simulations.switch.embedded import running_switch
    from simulations.switch.fates import SimpleCallees
    from simulations.switch.switch import SwitchSettings
    from tests.dialer.runner.runner_inbound_kit import place, short_prompts
    from tests.dialer.runner.runner_kit import make_store, settings_for

    store = make_store(tmp_path, agents=1, leads=0, amd_enabled=False, queues=["sales"],
                       abandon_target=0.02)
    QueueStore(store).create({"name": "sales", "ivr": {"start": "main", "menus": {
        "main": {"prompt": "main_menu", "timeout": 5,
                 "options": {"1": "queue", "2": "menu:billing"}},
        # The simulated caller presses its next key when it hears a *_menu prompt.
        "billing": {"prompt": "main_menu", "timeout": 5, "options": {"1": "queue"}}}},
        "announcements": {"every": None}}, at=datetime.now(UTC))
    store.add_user("agent1", "agent", PASSWORD, at=datetime.now(UTC))
    files = short_prompts(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])

    def agent_page() -> str:
        import httpx

        agent = Browserless(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10))
        assert agent.sign_in("agent1").status_code == 200
        return re.sub(r"\s+", " ", agent.http.get("/agent?campaign=demo").text)

    async def scenario() -> str:
        settings = SwitchSettings(sound_files=files, wav_lengths=True)
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=1.0,
                                time_to_answer=0.5, patience=30.0)
        async with running_switch(settings=settings, fate_source=callees, seed=3) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=3.0), store,
                            login_agents=True, control_socket=tmp_path / "run" / "demo.sock")
            app = build_app(WebSettings(database="", data=tmp_path, port=port), store=store)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                   log_level="warning", lifespan="on",
                                                   timeout_graceful_shutdown=1))
            task = asyncio.create_task(runner.run(duration=40.0))
            web = asyncio.create_task(server.serve())
            try:
                await runner.ready.wait()
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 15
                while not (server.started and runner.engine.pool.agents.get("agent1")
                           and runner.engine.pool.agents["agent1"].state.value == "ready"):
                    assert loop.time() < deadline, "the agent never became ready"
                    await asyncio.sleep(0.05)
                caller = place(sim, "sales", number="+13125550161", keys="21", talk=30)
                while not caller.bridged:
                    assert loop.time() < deadline + 15, "the caller was never bridged"
                    await asyncio.sleep(0.05)
                while True:  # dialer web finds the runner's socket and follows its feed
                    text = await asyncio.to_thread(agent_page)
                    if "queue sales" in text or loop.time() > deadline + 30:
                        return text
                    await asyncio.sleep(0.5)
            finally:
                runner.stop()
                await task
                server.should_exit = True
                await web

    text = asyncio.run(scenario())
    store.close()
    assert "inbound · queue sales" in text
    assert re.search(r"waited \d+ s", text)
    assert "IVR main › billing › keys 21" in text
