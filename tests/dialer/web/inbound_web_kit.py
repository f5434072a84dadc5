"""A live environment for the inbound browser pass: campaign ``spring`` (progressive,
blended: agents ann and bob take its outbound calls and the calls of queue ``sales``, which
has a two-level menu and offers callbacks), supervisor ``sam``, the switch simulator placing
inbound callers (``InboundWebEnv.place``), a runner on a US-hours clock (queue callbacks keep
the called party's calling hours, so the test passes at any hour) and ``dialer web`` on a free
loopback port, all in one event loop on a background thread; tests drive it from theirs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web_kit import NAMES, PASSWORD, WebEnv, _free_port, patient_callees, serving

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
        from tests.dialer.runner.runner_inbound_kit import place

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
    from simulations.switch.switch import SwitchSettings
    from tests.dialer.runner.runner_inbound_kit import short_prompts
    from tests.dialer.runner.runner_kit import landlines, us_hours_clock

    clock = us_hours_clock()
    now = clock()
    store = CampaignStore.open(f"sqlite:///{tmp / 'dialer.db'}")
    known = _create(store, now)
    seed_demo_registry(tmp, now, ["+13125550100"])
    # The callers who ask for callbacks: a caller's request is an inquiry, not a written
    # consent, so a callback to a line of unknown type (counted as wireless) is refused by
    # the full dial-time gate (docs/compliance.md, "Queue callbacks").
    landlines(tmp, [f"+1312555017{n}" for n in range(5)] + ["+16714771234", "+13055550175"],
              now)
    files = short_prompts(tmp)
    port = _free_port()
    env = InboundWebEnv(tmp, store, f"http://127.0.0.1:{port}", clock=clock,
                        known_caller=known)

    def runners(sim: Any) -> dict[str, Runner]:
        env.sim = sim
        settings = RunnerSettings("spring", f"sqlite:///{tmp / 'dialer.db'}", tmp,
                                  ((f"{sim.url.host}:{sim.url.port}", sim.url),),
                                  stop_grace=2.0)
        return {"spring": Runner(settings, store, clock=clock,
                                 control_socket=env.socket("spring"))}

    async def pause_dialing() -> None:
        # Dialing paused until a test resumes it: inbound first, outbound on demand.
        paused = await control_request(env.socket("spring"),
                                       {"op": "campaign", "action": "pause"})
        assert paused.get("ok"), paused

    with serving(env, port, SwitchSettings(agent_answer_delay=0.05, sound_files=files,
                                           wav_lengths=True),
                 patient_callees, runners, pause_dialing, name="inbound web env"):
        yield env
