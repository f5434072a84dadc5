"""``dialer demo``: a whole campaign in one process, nothing to configure.

A temporary SQLite campaign store (``campaigns.CampaignStore``, the same store as
``dialer campaign``) with a campaign, its agents and sample leads, a small national DNC
registry (fictional numbers; one demo lead is listed and is suppressed at selection), the
FreeSWITCH switch simulator in-process on a free loopback port, simulated agents on nailed-up
legs (they set a disposition after a wrap time), predictive pacing for ``duration`` seconds
with the live dashboard, then the campaign report (``campaigns.reports``) with the runner's
answer-to-bridge latency.

Calling hours: the leads' numbers are in US area codes (US territories included) whose zones
are inside 08:00-21:00 *now* (47 CFR 64.1200(c)(1) is checked at every dial in every zone
the number's area code and the lead's record give, so leads in a closed zone would all be
refused). When no US zone is open (about 10:00-12:00 UTC) the demo uses the UK profile with
numbers from Ofcom's drama ranges, and says so. The demo leads are an opt-in list: each
carries a written consent naming the demo seller and its number (the wireless and state
autodialer rules need it), and the campaign declares its seller, do-not-call number and
abandoned-call message.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from dialer.commands import AgentState, AgentStateChanged
from dialer.runner.errors import RunnerError
from dialer.runner.report import run_report
from dialer.runner.runner import Runner
from dialer.runner.settings import RunnerSettings

US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "America/Adak", "Pacific/Honolulu",
            "America/Puerto_Rico", "America/St_Thomas", "Pacific/Guam", "Pacific/Saipan")
EARLIEST_HOUR = 8
LATEST_HOUR = 21
"""The federal calling window, 08:00-21:00 at the called party's location (47 CFR
64.1200(c)(1), 16 CFR 310.4(c)); the rules engine enforces it, the demo picks zones in it."""
UK_ZONE = "Europe/London"
DEMO_SELLER = "Demo Dialer Inc."
DEMO_DNC_NUMBER = "+18005550100"
UK_PREFIXES = ("+44207946", "+44113496", "+44114496", "+44116496", "+44117496", "+44118496",
               "+44121496", "+44131496", "+44141496", "+44151496", "+44161496")
"""Ofcom's numbers for drama (020 7946 0xxx, 0113 496 0xxx, ...): never a real subscriber."""
DISPOSITIONS = ("SALE", "NI", "CALLBK", "NA")
DEMO_SAFE_HARBOR = "ivr/demo_safe_harbor.wav"
"""The demo campaign's safe-harbour message, relative to the switch's sounds_dir."""
DEMO_MESSAGE_FILE = Path(__file__).resolve().parent / "data" / "demo_safe_harbor.wav"
"""The recording shipped with the dialer (8 kHz mono): copy it to
``<sounds_dir>/ivr/demo_safe_harbor.wav`` on a real switch (docs/operations.md)."""
SWITCH_SOUNDS_DIR = "/usr/share/freeswitch/sounds"


def demo_switch_files(sounds_dir: str = SWITCH_SOUNDS_DIR) -> frozenset[str]:
    """The files a switch needs for the demo campaign (what the simulator is given): its
    message, and the shipped queue prompts where the runner's host has them (a switch on
    the same machine plays them from there; the runner checks every one at start)."""
    from dialer.prompt_files import SHIPPED, prompt_files

    return frozenset({f"{sounds_dir}/{DEMO_SAFE_HARBOR}",
                      *(str(path) for path in prompt_files([SHIPPED]).values())})
"""What the simulated agents set (store codes: sale, not interested, call back, no answer)."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    duration: float = 120.0
    agents: int = 8
    leads: int = 2000
    speed: float = 1.0
    seed: int = 7
    wrap_time: tuple[float, float] = (3.0, 8.0)
    keep: bool = False
    web: bool = True
    """Serve ``dialer web`` on loopback while the demo runs (a supervisor page to open)."""


def open_zones(at: float, zones: tuple[str, ...]) -> list[str]:
    """Zones where ``at`` is inside the calling window, with an hour of margin at the end."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    try:
        return [z for z in zones
                if EARLIEST_HOUR <= moment.astimezone(ZoneInfo(z)).hour < LATEST_HOUR - 1]
    except ZoneInfoNotFoundError:
        raise RunnerError(
            "no time-zone database on this system: `pip install tzdata` (calling hours are "
            "checked in the called party's zone)") from None


def choose_zones(at: float) -> tuple[list[str], str]:
    """Lead time zones open now, and a sentence explaining the choice."""
    us = [z for z in open_zones(at, US_ZONES) if z in _area_zones()]
    if us:
        return us, ("leads are in US area codes whose time zones are within 08:00-21:00 now: "
                    + ", ".join(us))
    return [UK_ZONE], ("no US time zone (territories included) is inside the 08:00-21:00 "
                       "calling window now, so the demo uses the UK profile (Ofcom) with "
                       "numbers from Ofcom's drama ranges")


def is_uk_demo(zones: list[str]) -> bool:
    return zones == [UK_ZONE]


def demo_settings(uk: bool = False) -> dict[str, Any]:
    """The demo campaign's settings (``campaigns.settings.CampaignSettings``)."""
    compliance = {
        "seller_name": DEMO_SELLER, "dnc_number": DEMO_DNC_NUMBER,
        "safe_harbor": {"states_telemarketing_purpose": True, "names_seller": True,
                        "gives_dnc_number": True, "no_marketing_content": True}}
    profile: dict[str, Any] = {"jurisdiction": "us"}
    if uk:
        # Ofcom: aim well below 3 % abandoned calls (3 % or more is refused).
        profile = {"jurisdiction": "uk", "abandon_target": 0.02,
                   "caller_ids": ["+442079460999"]}
    # The profile last: the UK's lower abandonment target and caller ID win over the
    # defaults below.
    return {"caller_ids": ["+12015550100"], "caller_id_name": "Demo Dialer",
            "compliance": compliance,
            "ring_timeout": 20.0, "connect_window": 2.0, "wrap_up_timeout": 20.0,
            "abandon_target": 0.03, "pacing_policy": "predictive", "decision_interval": 1.0,
            **profile,  # after the defaults: the UK profile's lower target must win
            # No AMD: with mod_amd's ~2.5 s decision a fifth of this population (12 s mean
            # patience) hangs up in the silence, each an abandoned call in law, and the demo
            # campaign would break the 3 % limit (docs/operations.md).
            "amd_enabled": False, "safe_harbor_message": DEMO_SAFE_HARBOR,
            # The business schedule as wide as the law allows; calling hours are checked
            # in the callee's zone at selection and again at every dial.
            "schedule": {"start": "08:00", "end": "21:00", "days": [0, 1, 2, 3, 4, 5, 6]},
            "retry_rules": {"no_answer": {"delay_minutes": 60, "max_attempts": 2},
                            "busy": {"delay_minutes": 60, "max_attempts": 2}},
            # Priors that match the demo population, a short warm-up and the smallest
            # small-sample margin a live campaign may run (docs/pacing.md, "The live
            # envelope"). The setpoint still pays abandons only from the window's slack beyond
            # its 2-abandon reserve (docs/pacing.md, Setpoint), so a two-minute demo (a few
            # dozen live answers) dials progressively throughout; a campaign whose window
            # holds about 67 live answers at 3 % starts to aim above zero. A real
            # campaign keeps the policy's defaults (margin_z 4).
            "pacing_params": {"prior_live_answer": 0.3, "prior_talk_mean": 20.0,
                              "prior_talk_sd": 15.0, "prior_wrap_mean": 5.0,
                              "prior_wrap_sd": 2.0, "min_live_answers": 5, "min_handles": 3,
                              "half_life": 600.0, "margin_z": 2.0, "planning_answers": 20,
                              "prior_bias": 1.0}, **profile}


# US area codes only (the NANP also spans Canada and the Caribbean, other rule books), the
# territories US law covers included (Guam, Saipan, Puerto Rico, the Virgin Islands).
DEMO_AREA_CODES = (201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216,
                   217, 218, 219, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252,
                   253, 254, 256, 260, 262, 267, 269, 270, 272, 276, 281, 301, 302, 303,
                   304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319,
                   907, 808, 787, 939, 340, 671, 670)


def _area_zones() -> dict[str, list[int]]:
    """Zone -> the demo area codes whose numbers the compliance rules place in it alone
    (``dnc.rules.zones.place``: a 555 exchange the numbering plan places no closer than
    its state is in every zone of the state, e.g. 305 in Eastern and Central)."""
    from dnc.rules.model import LeadFacts
    from dnc.rules.tables import RuleTables
    from dnc.rules.zones import place

    tables = RuleTables()
    found: dict[str, list[int]] = {}
    for npa in DEMO_AREA_CODES:
        zones = place(LeadFacts(f"+1{npa}5550100"), tables).zones
        if len(zones) == 1:
            found.setdefault(zones[0], []).append(npa)
    return found


def demo_numbers(count: int, seed: int, zones: list[str] | None = None) -> list[str]:
    """Fictional numbers (NANPA reserves NPA-555-0100…0199 for fiction; Ofcom's drama ranges
    in the UK profile), shuffled; with ``zones``, only numbers whose area code is in one of
    them (fewer than ``count`` when they have fewer)."""
    if zones is not None and is_uk_demo(zones):
        pool = [f"{prefix}0{i:03d}" for prefix in UK_PREFIXES for i in range(1000)]
    else:
        by_zone = _area_zones()
        codes = [npa for zone in (zones or list(by_zone)) for npa in by_zone.get(zone, [])] \
            if zones is not None else list(DEMO_AREA_CODES)
        pool = [f"+1{npa}5550{100 + i:03d}" for npa in codes for i in range(100)]
    if zones is None and count > len(pool):
        raise RunnerError(f"the demo has {len(pool)} fictional numbers")
    rng = random.Random(seed)
    numbers = pool[:count] if zones is None else pool
    rng.shuffle(numbers)
    return numbers[:count]


def number_zone(number: str) -> str:
    """The zone the numbering plan gives a demo number."""
    if number.startswith("+44"):
        return UK_ZONE
    from phonenumbers import parse
    from phonenumbers.timezone import time_zones_for_number

    return time_zones_for_number(parse(number))[0]


def demo_consent(number: str, at: datetime) -> list[dict[str, str]]:
    """The demo list's opt-in: written consent naming the demo seller and the number."""
    return [{"kind": "prior_express_written",
             "given_at": (at - timedelta(days=30)).isoformat(), "seller": DEMO_SELLER,
             "number": number, "source": "demo opt-in list"}]


def create_demo_campaign(store: CampaignStore, options: DemoOptions, zones: list[str],
                         at: float, name: str = "demo", settings: dict[str, Any] | None = None,
                         ) -> None:
    """The campaign, its agents and leads, started (state running)."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    agents = [(f"agent{i + 1}", f"user/{1000 + i + 1}") for i in range(options.agents)]
    store.create_campaign(name, {**demo_settings(is_uk_demo(zones)), **(settings or {})},
                          at=moment, agents=agents)
    leads = [LeadInput(number, timezone=number_zone(number),
                       consent=demo_consent(number, moment))
             for number in demo_numbers(options.leads, options.seed, zones)]
    store.add_leads(name, leads, at=moment, list_name="demo sample")
    store.transition_campaign(name, "running", at=moment)


def seed_demo_registry(data: Path, at: float, listed: list[str]) -> None:
    """A national DNC registry, the lists of the states that keep their own and a TPS list
    of fictional numbers, current as of today (the federal rules refuse every dial without a
    registry fresher than 31 days, 16 CFR 310.4(b)(3)(iv); the state rules a telemarketing
    call into a state whose own list was never loaded; the UK profile without TPS data
    screened within 28 days)."""
    from dnc.registry.importer import import_numbers
    from dnc.rules.tables import RuleTables

    moment = datetime.fromtimestamp(at, tz=UTC)
    data.mkdir(parents=True, exist_ok=True)
    # The demo's listed numbers go on the national list; each state list holds one
    # fictional number (the one the national list holds when nothing is listed).
    lists = [("national", [n for n in listed if n.startswith("+1")] or ["+13125550100"]),
             *((f"state:{state}", ["+13125550100"])
               for state in sorted(RuleTables().state_dnc_lists)),
             ("tps", [n for n in listed if n.startswith("+44")] or ["+442079460999"])]
    for registry, numbers in lists:
        source = data / f"demo-{registry.replace(':', '-')}-dnc.txt"
        source.write_text("".join(f"{number}\n" for number in numbers))
        import_numbers(data / "dnc" / "registries", registry, [source], moment, moment)


Dispose = Callable[[str, str, str, datetime | None], object]
"""``Runner.dispose(agent, call, disposition, callback_at)``."""


class SimulatedDesk:
    """Agents who set a disposition a few seconds into wrap-up (timer handles, no tasks)."""

    def __init__(self, dispose: Dispose, clock: Callable[[], float],
                 wrap_time: tuple[float, float], rng: random.Random) -> None:
        self.dispose = dispose
        self.clock = clock
        self.wrap_time = wrap_time
        self.rng = rng
        self._timers: list[asyncio.TimerHandle] = []
        self.dispositions: dict[str, int] = {}

    def __call__(self, change: AgentStateChanged) -> None:
        if change.state is not AgentState.WRAP_UP:
            return
        loop = asyncio.get_running_loop()
        disposition = self.rng.choice(DISPOSITIONS)
        call_id = change.call_id or ""

        def dispose() -> None:
            callback_at = (datetime.fromtimestamp(self.clock(), tz=UTC) + timedelta(hours=1)
                           if disposition == "CALLBK" else None)
            chosen = disposition
            try:
                self.dispose(change.agent_id, call_id, chosen, callback_at)
            except RunnerError:
                if callback_at is None:
                    return  # wrap-up already ended (timeout or logout): the fallback applied
                # The hour is one the dialer could not keep (late in the lead's day): the
                # agent is told so and chooses again, as a person at the desktop would.
                chosen = "NI"
                try:
                    self.dispose(change.agent_id, call_id, chosen, None)
                except RunnerError:
                    return
            self.dispositions[chosen] = self.dispositions.get(chosen, 0) + 1

        self._timers = [t for t in self._timers if not t.cancelled()][-1000:]
        self._timers.append(loop.call_later(self.rng.uniform(*self.wrap_time), dispose))

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


STARTUP_TIMEOUT = 60.0


class DemoStartupError(RunnerError):
    """The demo's runner never became ready."""


WEB_PORT = 8080


@dataclass(frozen=True, slots=True)
class DemoWeb:
    """Where the demo's supervisor page is, and how to sign in (a generated password)."""

    url: str
    user: str
    password: str


def _web_port(preferred: int = WEB_PORT) -> int:
    import socket

    for port in (preferred, 0):
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", port))
            return int(probe.getsockname()[1])
    raise RunnerError("no free loopback port for the demo's web page")


def _demo_web(store: CampaignStore, workdir: Path, url: str) -> tuple[Any, DemoWeb]:
    """``dialer web`` for the demo: a supervisor of campaign demo with a fresh password."""
    import uvicorn

    from campaigns.users import generate_password
    from dialer.web.server import WebSettings, build_app

    password = generate_password()
    store.add_user("supervisor", "supervisor", password, at=datetime.now(UTC),
                   campaigns=["demo"])
    port = _web_port()
    app = build_app(WebSettings(database=url, data=workdir, port=port), store=store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=1))
    return server, DemoWeb(f"http://127.0.0.1:{port}/supervisor?campaign=demo", "supervisor",
                           password)


async def run_demo(options: DemoOptions, *, on_frame: Callable[[Runner], None] | None = None,
                   home: Path | None = None,
                   on_web: Callable[[DemoWeb], None] | None = None) -> dict[str, Any]:
    """Run the demo; returns the report (also the ``--json`` document).

    Without ``home`` everything lives in a temporary directory removed at the end (unless
    ``keep``). With ``home`` (``dialer demo --home DIR``) the demo's data go where every other
    command reads them, ``DIR/dialer.db`` and its registries, and stay: ``dialer monitor demo
    --home DIR`` follows it, ``dialer report demo --home DIR`` reads it afterwards."""
    from simulations.switch.embedded import running_switch
    from simulations.switch.fates import SimpleCallees
    from simulations.switch.switch import SwitchSettings

    workdir = home or Path(tempfile.mkdtemp(prefix="dialer-demo-"))
    now = time.time()
    zones, zone_note = choose_zones(now)
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / ('dialer.db' if home is not None else 'demo.db')}"
    store = CampaignStore.open(url)
    try:
        if home is not None and any(c.name == "demo" for c in
                                    store.campaigns(include_deleted=True)):
            raise RunnerError(f"{home} already has a campaign named demo (an earlier "
                              "`dialer demo --home`?): give the demo a new directory")
        create_demo_campaign(store, options, zones, now)
        # One sample lead is on the (fictional) national registry: suppressed, never dialed.
        seed_demo_registry(workdir, now, demo_numbers(options.leads, options.seed, zones)[:1])
        # The demo population: shorter conversations than a real list so a two-minute demo
        # shows many calls per agent; people who wait as people do (Weibull patience, shape
        # 3: next to no one hangs up in the first seconds; the exponential law had one demo
        # callee gone 4 ms after answering, an abandon in a two-minute demo that no pacing
        # could avoid); everything else as SimpleCallees' defaults.
        callees = SimpleCallees(live_answer=0.35, machine=0.10, busy=0.10, failed=0.10,
                                talk=20.0, time_to_answer=6.0, patience=12.0,
                                patience_shape=3.0)
        # The simulated switch has the demo's message, as a real one must (the runner checks
        # with file_exists and refuses a campaign whose message it cannot play).
        settings = SwitchSettings(speed=options.speed, sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees,
                                  seed=options.seed) as sim:
            runner_settings = RunnerSettings(
                campaign="demo", database=url, data=workdir,
                switches=((f"{sim.url.host}:{sim.url.port}", sim.url),), stop_grace=30.0)
            # The runner keeps the simulator's time (its clock, waits at its speed): the
            # engine's ring time, connect window and wrap-up are simulated seconds, as the
            # callees' are. On the wall clock at --speed 10 every unanswered call rang to
            # the switch's backstop (tests/dialer/runner/test_runner_sim_speed.py).
            speed = options.speed
            runner = Runner(runner_settings, store, login_agents=True,
                            control_socket=workdir / "run" / "demo.sock",
                            clock=sim.switch.clock, clock_rate=speed)
            desk = SimulatedDesk(runner.dispose, runner.clock,
                                 (options.wrap_time[0] / speed, options.wrap_time[1] / speed),
                                 random.Random(options.seed))
            runner.on_agent_change = desk
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError, RuntimeError):
                # Ctrl-C: stop dialing, let the calls in progress finish, then report.
                loop.add_signal_handler(signal.SIGINT, runner.stop)
            web_server, web = _demo_web(store, workdir, url) if options.web else (None, None)
            async with asyncio.TaskGroup() as group:
                # --duration is real seconds of dialing: the runner's clock runs ``speed``
                # times as fast.
                main = group.create_task(runner.run(options.duration * speed))
                if web_server is not None:
                    serving = group.create_task(web_server.serve())
                    if on_web is not None:
                        on_web(web)
                ready = group.create_task(runner.ready.wait())
                # A start-up that never completes (switch never answering, a stuck recovery
                # query) must end with an error, not leave the README's main command hanging.
                done, _ = await asyncio.wait([main, ready], timeout=STARTUP_TIMEOUT,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    main.cancel()
                    ready.cancel()
                    raise DemoStartupError(
                        f"the demo campaign did not start within {STARTUP_TIMEOUT:.0f} s "
                        "(switch simulator or recovery did not answer); run it again, and "
                        "report it with the output of `dialer demo --json` if it repeats")
                if on_frame is not None:
                    frames = group.create_task(_frames(runner, on_frame))
                    await asyncio.wait([main])
                    frames.cancel()
                if web_server is not None:
                    await asyncio.wait([main])
                    web_server.should_exit = True
                    await serving
            desk.cancel()
        # Up to the runner's (the simulator's) clock: at --speed X the run's rows are
        # stamped in simulated time, ahead of the wall clock.
        report = run_report(store, "demo", runner, since=now - 60, until=runner.clock())
        report["time_zones"] = zone_note
        report["database"] = url if options.keep or home is not None else None
        report["web"] = {"url": web.url, "user": web.user} if web is not None else None
        return report
    finally:
        store.close()
        if not options.keep and home is None:
            shutil.rmtree(workdir, ignore_errors=True)


async def _frames(runner: Runner, on_frame: Callable[[Runner], None]) -> None:
    while True:
        on_frame(runner)
        await asyncio.sleep(0.5)
