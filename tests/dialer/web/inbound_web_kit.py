"""A live environment for the inbound browser pass: campaign ``spring`` (progressive,
blended: agents ann and bob take its outbound calls and the calls of queue ``sales``, which
has a two-level menu and offers callbacks), supervisor ``sam``, the switch simulator placing
inbound callers (``InboundWebEnv.place``), a runner on a US-hours clock (queue callbacks keep
the called party's calling hours, so the test passes at any hour) and ``dialer web`` on a free
loopback port, all in one event loop on a background thread; tests drive it from theirs."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web_kit import NAMES, PASSWORD, WebEnv, _free_port, patient_callees

from campaigns.leads import LeadInput
from campaigns.queue_store import QueueStore
from campaigns.store import CampaignStore
from dialer.runner.control import request as control_request
from dialer.runner.demo import (
    choose_zones,
    demo_consent,
    demo_numbers,
    demo_settings,
    is_uk_demo,
    number_zone,
    seed_demo_registry,
)
from dialer.runner.runner import Runner
from dialer.runner.settings import RunnerSettings
from dialer.web.server import WebSettings, build_app

MENU = {"start": "main", "menus": {
    "main": {"prompt": "main_menu", "timeout": 5,
             "options": {"1": "queue", "2": "menu:billing"}},
    # The simulated caller presses its next key when it hears a *_menu prompt.
    "billing": {"prompt": "main_menu", "timeout": 5, "options": {"1": "queue"}}}}
SALES = {"name": "sales", "ivr": MENU,
         "announcements": {"every": 10, "position": True, "estimated_wait": True},
         "callback": {"offer_after": 1, "retry_after": 60},
         "service_level": {"target": 0.8, "within": 30}}


@dataclass
class InboundWebEnv(WebEnv):
    sim: Any = None
    clock: Callable[[], float] | None = None
    known_caller: str = ""
    """A number of one of spring's leads (a caller the campaign knows)."""

    def on_loop(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` on the environment's loop (the simulator and runner live there)."""
        assert self.loop is not None

        async def run() -> Any:
            return work()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def place(self, queue: str = "sales", **script: Any) -> Any:
        """A caller dials in now (the simulator's ``sim_inbound``)."""
        from tests.dialer.runner.inbound_kit import place

        return self.on_loop(lambda: place(self.sim, queue, **script))

    def request(self, campaign: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.loop is not None
        asked = control_request(self.socket(campaign), payload)
        return asyncio.run_coroutine_threadsafe(asked, self.loop).result(10)

    def monitor(self, campaign: str = "spring") -> dict[str, Any]:
        """What `dialer monitor --once` reads: the runner's status snapshot."""
        return self.request(campaign, {"op": "snapshot"})


def _create(store: CampaignStore, now: float) -> str:
    zones, _ = choose_zones(now)
    moment = datetime.fromtimestamp(now, tz=UTC)
    QueueStore(store).create(SALES, at=moment)
    numbers = demo_numbers(40, 11, zones)
    settings = {**demo_settings(is_uk_demo(zones)), "wrap_up_timeout": 600.0,
                "decision_interval": 0.5, "pacing_policy": "progressive", "pacing_params": {},
                "queues": ["sales"], "amd_enabled": False,
                "agent_script": "Hello {first_name}, thanks for calling."}
    store.create_campaign("spring", settings, at=moment,
                          agents=[("ann", "user/1001"), ("bob", "user/1002")])
    store.add_leads("spring", [
        LeadInput(number, first_name=first, last_name=last, timezone=number_zone(number),
                  consent=demo_consent(number, moment))
        for number, (first, last) in zip(numbers, NAMES, strict=False)],
        at=moment, list_name="named")
    store.transition_campaign("spring", "running", at=moment)
    for name, role, extra in (("ann", "agent", {}), ("bob", "agent", {}),
                              ("sam", "supervisor", {"campaigns": ["spring"]})):
        store.add_user(name, role, PASSWORD, at=moment, **extra)
    return numbers[-1]


@contextlib.contextmanager
def running_inbound_web(tmp: Path) -> Iterator[InboundWebEnv]:
    from simulations.switch.embedded import running_switch
    from simulations.switch.switch import SwitchSettings
    from tests.dialer.runner.inbound_kit import short_prompts
    from tests.dialer.runner.runner_kit import us_hours_clock

    clock = us_hours_clock()
    now = clock()
    store = CampaignStore.open(f"sqlite:///{tmp / 'dialer.db'}")
    known = _create(store, now)
    seed_demo_registry(tmp, now, ["+13125550100"])
    files = short_prompts(tmp)
    port = _free_port()
    env = InboundWebEnv(tmp, store, f"http://127.0.0.1:{port}", clock=clock,
                        known_caller=known)
    started = threading.Event()
    stop: asyncio.Event | None = None
    failure: list[BaseException] = []

    async def main() -> None:
        import uvicorn

        nonlocal stop
        stop = asyncio.Event()
        env.loop = asyncio.get_running_loop()
        async with running_switch(settings=SwitchSettings(agent_answer_delay=0.05,
                                                          sound_files=files, wav_lengths=True),
                                  fate_source=patient_callees, seed=3) as sim:
            env.sim = sim
            settings = RunnerSettings("spring", f"sqlite:///{tmp / 'dialer.db'}", tmp,
                                      ((f"{sim.url.host}:{sim.url.port}", sim.url),),
                                      stop_grace=2.0)
            env.runners["spring"] = Runner(settings, store, clock=clock,
                                           control_socket=env.socket("spring"))
            app = build_app(WebSettings(database="", data=tmp, port=port), store=store)
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
                # Dialing paused until a test resumes it: inbound first, outbound on demand.
                paused = await control_request(env.socket("spring"),
                                               {"op": "campaign", "action": "pause"})
                assert paused.get("ok"), paused
                await asyncio.sleep(2.2)  # the web's directory scan finds the socket
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

    worker = threading.Thread(target=thread, name="inbound web env", daemon=True)
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
        store.close()
        if failure:
            raise failure[0]
