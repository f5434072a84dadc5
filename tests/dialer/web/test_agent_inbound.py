"""The agent page for an inbound call: the queue, the caller's wait and the IVR choices.

The live inbound path (FreeSWITCH channels parked with ``dialer_queue`` becoming engine
arrivals) is not on this branch yet, so the runner's side is driven through its own objects:
an engine serving a queue with a menu takes an inbound caller who presses keys and is
bridged to the agent; the runner's view code (``dialer.runner.watch.agent_view``) turns that
state into the agent's feed line, which ``dialer web``'s runner link holds as it would from
the watch feed; then the agent signs in and loads their page over HTTP (in process)."""

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
                             link=SimpleNamespace(agents={}))
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
