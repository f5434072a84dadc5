"""A live environment for the web tier's tests: the switch simulator, runners for two
campaigns (``spring``: progressive, agents ann and bob; ``look``: preview dialing, agent
pat) and ``dialer web`` on a free loopback port, all in one event loop on a background
thread; tests talk HTTP to it from the test thread."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.runner.control import request as control_request
from dialer.runner.demo import (
    choose_zones,
    demo_consent,
    demo_numbers,
    demo_settings,
    demo_switch_files,
    is_uk_demo,
    number_zone,
    seed_demo_registry,
)
from dialer.runner.runner import Runner
from dialer.runner.settings import RunnerSettings
from dialer.web.server import WebSettings, build_app
from simulations.population import CalleeFate, CalleeKind

PASSWORD = "correct horse battery"
NAMES = [("Maria", "Lopez"), ("Wei", "Chen"), ("Amara", "Okafor"), ("Jonas", "Berg"),
         ("Priya", "Nair"), ("Tom", "Walsh")] * 10


def patient_callees(rng: Any) -> CalleeFate:
    """Everyone answers after a second and talks for ever (calls end when we say so)."""
    return CalleeFate(CalleeKind.LIVE, 1.0, 3600.0, 3600.0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_campaigns(store: CampaignStore, now: float, spring: dict[str, Any] | None = None
                     ) -> None:
    """Campaigns on the demo's compliant footing (declarations, opt-in consents, numbers
    in time zones open now), with named leads, a script, and users of every role;
    ``spring``: settings of campaign ``spring`` over the common ones (a short wrap-up)."""
    zones, _ = choose_zones(now)
    moment = datetime.fromtimestamp(now, tz=UTC)
    common = {**demo_settings(is_uk_demo(zones)), "wrap_up_timeout": 600.0,
              "decision_interval": 0.5,
              "agent_script": "Hello {first_name}, this is the spring offer for {city}."}
    numbers = demo_numbers(140, 11, zones)

    def leads(start: int, count: int, **extra: Any) -> list[LeadInput]:
        return [LeadInput(number, first_name=first, last_name=last,
                          timezone=number_zone(number), consent=demo_consent(number, moment),
                          **extra)
                for number, (first, last) in zip(numbers[start:start + count], NAMES,
                                                  strict=False)]

    store.create_campaign("spring", {**common, "pacing_policy": "progressive",
                                     "pacing_params": {}, **(spring or {})}, at=moment,
                          agents=[("ann", "user/1001"), ("bob", "user/1002")])
    store.add_leads("spring", leads(0, 60, custom={"city": "Springfield"}), at=moment,
                    list_name="named")
    store.transition_campaign("spring", "running", at=moment)
    store.create_campaign("look", {**common, "pacing_policy": "preview", "pacing_params": {},
                                   "preview_dialing": True}, at=moment,
                          agents=[("pat", "user/1003")])
    store.add_leads("look", leads(70, 20), at=moment, list_name="preview")
    store.transition_campaign("look", "running", at=moment)
    store.create_campaign("autumn", {**common}, at=moment, agents=[("carl", "user/1004")])
    for name, role, extra in (("ann", "agent", {}), ("bob", "agent", {}), ("pat", "agent", {}),
                              ("carl", "agent", {}),
                              ("sam", "supervisor", {"campaigns": ["spring", "look"]}),
                              ("sue", "supervisor", {"campaigns": ["autumn"]}),
                              ("root", "admin", {})):
        store.add_user(name, role, PASSWORD, at=moment, **extra)


def callback_moment(store: CampaignStore, lead_id: int | str, near: datetime) -> datetime:
    """A callback moment the dialer can keep for the lead (13:00 its local time, on the first
    Monday-Friday from ``near``'s date), in UTC: the runner refuses a callback outside the
    campaign's hours or 08:00-21:00 in any zone the lead is placed in (dispose_checks)."""
    from datetime import time as clock_time
    from datetime import timedelta

    from campaigns.models import Lead
    from dnc.rules.model import LeadFacts
    from dnc.rules.tables import RuleTables
    from dnc.rules.zones import place

    with store.read_session() as session:
        lead = session.get(Lead, int(lead_id))
        assert lead is not None
        facts = LeadFacts(lead.phone, time_zone=lead.timezone, state=lead.state,
                          postal_code=lead.postal_code)
    zone = place(facts, RuleTables()).zone_infos()[0]
    day = near.astimezone(zone).date()
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(13, 0), zone).astimezone(UTC)


def utc_field(moment: datetime) -> str:
    """``moment`` as the dispose form's field without a zone offset (taken as UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


@dataclass
class WebEnv:
    data: Path
    store: CampaignStore
    base_url: str
    runners: dict[str, Runner] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    app: Any = None

    def socket(self, campaign: str) -> Path:
        return self.data / "run" / f"{campaign}.sock"

    def view(self, campaign: str, agent: str) -> dict[str, Any]:
        """The runner's view of the agent (asked on the environment's own loop: the test
        thread may have one running, Playwright's)."""
        assert self.loop is not None
        asked = control_request(self.socket(campaign), {"op": "agent", "action": "view",
                                                        "agent": agent})
        return asyncio.run_coroutine_threadsafe(asked, self.loop).result(10)["view"]

    def wait(self, what: Callable[[], Any], timeout: float = 15.0, step: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            time.sleep(step)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_state(self, campaign: str, agent: str, *states: str) -> dict[str, Any]:
        return self.wait(lambda: (v := self.view(campaign, agent))["state"] in states and v)

    def hang_up(self, campaign: str, call_id: str) -> None:
        """The customer hangs up (the simulated switch ends the channel)."""
        runner = self.runners[campaign]

        async def kill() -> None:
            client = next(iter(runner.switches.clients.values()))
            await client.bgapi(f"uuid_kill {call_id} NORMAL_CLEARING")

        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(kill(), self.loop).result(5)

    def client(self, name: str | None = None) -> Browserless:
        client = Browserless(httpx.Client(base_url=self.base_url, timeout=10.0))
        if name:
            client.sign_in(name)
        return client


class Browserless:
    """What a browser does for the API tests: cookies, the page's CSRF token, JSON posts."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.csrf = ""

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        page = self.http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = self.http.post("/login", data={"csrf": token, "name": name,
                                                "password": password},
                                headers={"accept": "application/json"})
        if answer.status_code == 200:
            home = self.http.get(answer.json()["next"])
            found = re.search(r'data-csrf="([^"]+)"', home.text)
            self.csrf = found.group(1) if found else ""
        return answer

    def post(self, path: str, csrf: str | None = None, **data: str) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf if csrf is None else csrf, **data},
                              headers={"accept": "application/json"})

    def act(self, campaign: str, action: str, **data: str) -> dict[str, Any]:
        return self.post("/agent/action", campaign=campaign, action=action, **data).json()

    def supervise(self, campaign: str, action: str, **data: str) -> httpx.Response:
        return self.post("/supervisor/action", campaign=campaign, action=action, **data)


@contextlib.contextmanager
def serving(env: WebEnv, port: int, switch: Any, fate_source: Callable[[Any], CalleeFate],
            runners: Callable[[Any], dict[str, Runner]],
            after_start: Callable[[], Awaitable[None]] | None = None,
            name: str = "web env") -> Iterator[WebEnv]:
    """Run the switch simulator, ``runners(sim)``'s runners and the web app on loopback in
    a thread of their own, until the ``with`` ends (both web test kits' environment).

    ``switch`` is the simulator's ``SwitchSettings``; ``after_start`` runs once every
    runner is ready and the server has started, before the web's directory scan is waited
    for (2.2 s) and the tests begin."""
    from simulations.switch.embedded import running_switch

    started = threading.Event()
    stop: asyncio.Event | None = None
    failure: list[BaseException] = []

    async def main() -> None:
        import uvicorn

        nonlocal stop
        stop = asyncio.Event()
        env.loop = asyncio.get_running_loop()
        async with running_switch(settings=switch, fate_source=fate_source, seed=3) as sim:
            env.runners.update(runners(sim))
            app = build_app(WebSettings(database="", data=env.data, port=port),
                            store=env.store)
            # Every test signs in from 127.0.0.1: the per-address limit is tested on its own.
            app.state.web.limiter.attempts = 1000
            env.app = app
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                   log_level="warning", lifespan="on",
                                                   timeout_graceful_shutdown=1))
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(r.run()) for r in env.runners.values()]
                web = group.create_task(server.serve())
                for runner in env.runners.values():
                    await runner.ready.wait()
                while not server.started:
                    await asyncio.sleep(0.02)
                if after_start is not None:
                    await after_start()
                await asyncio.sleep(2.2)  # the web's directory scan finds the sockets
                started.set()
                await stop.wait()
                for runner in env.runners.values():
                    runner.stop()
                await asyncio.wait(tasks)
                server.should_exit = True
                await web

    def thread() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:
            failure.append(error)
            started.set()

    worker = threading.Thread(target=thread, name=name, daemon=True)
    worker.start()
    started.wait(60)
    if failure:
        raise failure[0]
    try:
        yield env
    finally:
        if env.loop is not None and stop is not None:
            env.loop.call_soon_threadsafe(stop.set)
        worker.join(30)
        env.store.close()
        if failure:
            raise failure[0]


@contextlib.contextmanager
def running_web(tmp: Path, fate_source: Callable[[Any], CalleeFate] = patient_callees,
                database: str | None = None, spring: dict[str, Any] | None = None
                ) -> Iterator[WebEnv]:
    """``database``: the store's URL (default a SQLite file in ``tmp``); ``spring``:
    settings of campaign ``spring`` over the common ones."""
    from simulations.switch.switch import SwitchSettings

    now = time.time()
    url = database or f"sqlite:///{tmp / 'dialer.db'}"
    store = CampaignStore.open(url)
    create_campaigns(store, now, spring)
    seed_demo_registry(tmp, now, ["+13125550100"])
    port = _free_port()
    env = WebEnv(tmp, store, f"http://127.0.0.1:{port}")

    def runners(sim: Any) -> dict[str, Runner]:
        switches = ((f"{sim.url.host}:{sim.url.port}", sim.url),)
        return {campaign: Runner(RunnerSettings(campaign, url,
                                                tmp, switches, stop_grace=2.0),
                                 store, control_socket=env.socket(campaign))
                for campaign in ("spring", "look")}

    with serving(env, port, SwitchSettings(agent_answer_delay=0.05,
                                           sound_files=demo_switch_files()),
                 fate_source, runners):
        yield env
