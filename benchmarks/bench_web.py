"""``dialer web`` under load: 250 agent pages and 5 supervisor pages on one web process while
a runner dials 100 calls per second against the switch simulator.

Target (issue 14): page update latency (an agent's state change in the runner to the page
receiving it) p99 under 500 ms; print the web process's CPU and memory.

Four processes, as in production: the switch simulator (benchmarks/bench_runner_load.py's
simulator mode), the runner (``Runner`` with a fixed attempt rate and simulated agents on
nailed-up legs who dispose 0.5-1.5 s into wrap-up), ``dialer web`` (the real command, its own
process, CPU and memory read from /proc), and this process holding the 255 pages.

How pages are simulated: each page is an HTTP client on the page's own event stream (the
Server-Sent Events a browser's ``EventSource`` reads: ``/agent/events`` for an agent's own
page, ``/supervisor/events`` for a wallboard), signed in with a session cookie made in the
store (so 255 argon2 sign-ins are not part of the measure). Latency of one update: the time
this process reads an ``agent`` event whose state differs from the last one that page saw,
minus that state's ``since`` (the runner's clock when the engine changed the state); all
processes share the machine's clock. A browser would add its own rendering (a few ms in the
browser test).

Run: python benchmarks/bench_web.py [--duration 60] [--cps 100] [--agents 250]
     [--supervisors 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.leads import LeadInput  # noqa: E402
from campaigns.store import CampaignStore  # noqa: E402
from dialer.runner.demo import choose_zones, demo_settings, seed_demo_registry  # noqa: E402

MEAN_LIFETIME_AT_SPEED_1 = 15.0
"""Mean customer-channel life of bench_runner_load's callees at speed 1 (its figure)."""
WARM_UP = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, data: Path, args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The campaign, its agents and leads, users and a session cookie for every page."""
    store = CampaignStore.open(url)
    zones, _ = choose_zones(time.time())
    now = datetime.now(UTC)
    name = "webload"
    agents = [f"a{i:03d}" for i in range(args.agents)]
    store.create_campaign(name, {
        "caller_ids": ["+12015550100"], "ring_timeout": 20.0, "wrap_up_timeout": 5.0,
        "pacing_policy": "progressive", "decision_interval": 0.1, "max_attempts_per_day": 10,
        "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]},
        "compliance": demo_settings()["compliance"],
        # The message the simulator (bench_runner_load's) has on its disk.
        "safe_harbor_message": demo_settings()["safe_harbor_message"]},
        at=now, agents=[(a, f"user/{2000 + i}") for i, a in enumerate(agents)])
    leads = int(args.cps * (args.duration + 30) * 1.2) + 1000
    store.add_leads(name, [LeadInput(f"+1{201 + i // 8_000_000}{200 + i // 10000 % 800}"
                                     f"{i % 10000:04d}", timezone=zones[i % len(zones)])
                           for i in range(leads)], at=now)
    store.transition_campaign(name, "running", at=now)
    seed_demo_registry(data, time.time(), ["+13125550100"])
    cookies: dict[str, str] = {}
    password = "benchmark password"
    for agent in agents:
        view = store.add_user(agent, "agent", password, at=now)
        cookies[agent] = store.create_session(view.id, at=now)[0]
    for i in range(args.supervisors):
        view = store.add_user(f"sup{i}", "supervisor", password, at=now, campaigns=[name])
        cookies[f"sup{i}"] = store.create_session(view.id, at=now)[0]
    store.close()
    return name, cookies


class Page:
    """One simulated browser page on its event stream."""

    def __init__(self, who: str, agent: str | None) -> None:
        self.who = who
        self.agent = agent
        self.last: dict[str, str] = {}
        self.latencies: list[float] = []
        self.runner_part: list[float] = []
        """Of each latency: the runner's share (state change to its feed line)."""
        self.web_part: list[float] = []
        """Of each latency: the rest (feed line to this page: web process and sockets)."""
        self.events = 0
        self.reconnects = 0
        self.snapshots: list[dict] = []

    def on_agent(self, view: dict, received: float) -> None:
        agent = view.get("agent", "")
        state = view.get("state", "")
        if self.last.get(agent) != state:
            previous = self.last.get(agent)
            self.last[agent] = state
            since = view.get("since")
            if previous is not None and since:
                self.latencies.append(received - float(since))
                self.runner_part.append(float(view.get("at") or since) - float(since))
                self.web_part.append(received - float(view.get("at") or since))


async def follow(client, page: Page, url: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with client.stream("GET", url) as response:
                event = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "agent":
                        page.events += 1
                        page.on_agent(json.loads(line[5:]), time.time())
                    elif line.startswith("data:") and event == "snapshot" and not page.agent:
                        snapshot = json.loads(line[5:])
                        page.snapshots.append({"at": time.time(),
                                               "dials": snapshot.get("dials", 0)})
                    if stop.is_set():
                        return
        except Exception:  # a dropped page reconnects, as EventSource does
            page.reconnects += 1
            await asyncio.sleep(0.5)


def _proc_times(pid: int) -> tuple[float, float]:
    """(CPU seconds used, resident memory in MiB) of ``pid``, read from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    return cpu, rss


async def sample_process(pid: int, samples: dict[str, list[float]], stop: asyncio.Event
                         ) -> None:
    """Every second: the process's CPU over that second (percent of one core) and its RSS."""
    cpu, _ = _proc_times(pid)
    then = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(1.0)
        try:
            used, rss = _proc_times(pid)
        except OSError:  # the process ended
            return
        now = time.monotonic()
        samples["cpu"].append(100 * (used - cpu) / (now - then))
        samples["rss"].append(rss)
        cpu, then = used, now


async def run(args: argparse.Namespace) -> None:
    import httpx

    workdir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = f"sqlite:///{workdir / 'web.db'}"
    print(f"load average at start {os.getloadavg()[0]:.2f} (2 cores shared: figures taken "
          "while others run are noisy)")
    name, cookies = prepare(url, workdir, args)
    switch_port, web_port = _free_port(), _free_port()
    speed = MEAN_LIFETIME_AT_SPEED_1 * args.cps / max(1000 - args.agents, 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bench_runner_load.py"), "--serve-switch",
         str(switch_port), "--speed", f"{speed:.3f}", "--talk", "8"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        await asyncio.sleep(2.0)
        processes.append(subprocess.Popen(
            [sys.executable, __file__, "--serve-runner", name, "--db", url, "--data",
             str(workdir), "--switch-port", str(switch_port), "--cps", str(args.cps),
             # Runs past the measure (it is stopped at the end): start-up takes a while.
             "--duration", str(args.duration + WARM_UP + 120)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=(workdir / "runner.log").open("w")))
        web = subprocess.Popen(
            [sys.executable, "-m", "cli", "web", "--listen", f"127.0.0.1:{web_port}",
             "--db", url, "--home", str(workdir)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(web)
        base = f"http://127.0.0.1:{web_port}"
        async with httpx.AsyncClient(timeout=None, limits=httpx.Limits(
                max_connections=args.agents + args.supervisors + 10)) as probe:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"{base}/health")).json().get("runners"):
                        break
                await asyncio.sleep(0.2)
        await asyncio.sleep(2.5)  # the web's directory has found and followed the runner
        for _ in range(300):  # the runner's agents are logged in and taking calls
            if b"logged in" in (workdir / "runner.log").read_bytes() or _runner_busy(base):
                break
            await asyncio.sleep(0.2)
        stop = asyncio.Event()
        pages = [Page(agent, agent) for agent in cookies if not agent.startswith("sup")]
        pages += [Page(who, None) for who in cookies if who.startswith("sup")]
        samples: dict[str, list[float]] = {"cpu": [], "rss": []}
        clients = []
        tasks = []
        for page in pages:
            client = httpx.AsyncClient(base_url=base, timeout=None,
                                       cookies={"dialer_session": cookies[page.who]})
            clients.append(client)
            path = (f"/agent/events?campaign={name}" if page.agent
                    else f"/supervisor/events?campaign={name}")
            tasks.append(asyncio.create_task(follow(client, page, path, stop)))
        await asyncio.sleep(WARM_UP)
        for page in pages:
            page.runner_part.clear()
            page.web_part.clear()
            page.latencies.clear()
            page.events = 0
            page.snapshots.clear()
        sampler = asyncio.create_task(sample_process(web.pid, samples, stop))
        runner_samples: dict[str, list[float]] = {"cpu": [], "rss": []}
        runner_sampler = asyncio.create_task(sample_process(processes[1].pid, runner_samples,
                                                            stop))
        own_cpu = time.process_time()
        started = time.time()
        await asyncio.sleep(args.duration)
        stop.set()
        elapsed = time.time() - started
        own_cpu = time.process_time() - own_cpu
        runner_sampler.cancel()
        samples["runner_cpu"] = runner_samples["cpu"]
        samples["clients_cpu"] = [100 * own_cpu / elapsed]
        for task in tasks:
            task.cancel()
        sampler.cancel()
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
        report(args, pages, samples, elapsed, workdir)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)


def _runner_busy(base: str) -> bool:
    import httpx

    try:
        return bool(httpx.get(f"{base}/health", timeout=2).json().get("runners"))
    except httpx.HTTPError:
        return False


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] if ordered else 0.0


def report(args: argparse.Namespace, pages: list[Page], samples: dict[str, list[float]],
           elapsed: float, workdir: Path) -> None:
    agent_pages = [p for p in pages if p.agent]
    sup_pages = [p for p in pages if not p.agent]
    agent_lat = [v for p in agent_pages for v in p.latencies]
    sup_lat = [v for p in sup_pages for v in p.latencies]
    print(f"pages               {len(agent_pages)} agent, {len(sup_pages)} supervisor; "
          f"{elapsed:.0f} s measured after {WARM_UP:.0f} s warm-up at {args.cps:g} calls/s")
    for label, values, group in (("agent pages", agent_lat, agent_pages),
                                 ("supervisor pages", sup_lat, sup_pages)):
        events = sum(p.events for p in group)
        if values:
            print(f"{label:<19} {len(values)} state changes seen ({events / elapsed:.0f} "
                  f"events/s in all): latency median {statistics.median(values) * 1000:.0f} "
                  f"ms, p99 {_pct(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} "
                  f"ms (target p99 < 500 ms)")
        else:
            print(f"{label:<19} no state change seen")
    snapshots = sup_pages[0].snapshots if sup_pages else []
    if len(snapshots) > 1:
        first, last = snapshots[0], snapshots[-1]
        rate = (last["dials"] - first["dials"]) / max(last["at"] - first["at"], 1e-9)
        print(f"runner              {rate:.1f} dials/s during the measure (from the "
              f"wallboard's snapshots; target {args.cps:g})")
    runner_part = [v for p in agent_pages for v in p.runner_part]
    if runner_part:
        print(f"  of which runner   state change to its feed line: median "
              f"{statistics.median(runner_part) * 1000:.0f} ms, p99 "
              f"{_pct(runner_part, 0.99) * 1000:.0f} ms (its event loop's backlog)")
        web_part = [v for p in agent_pages for v in p.web_part]
        print(f"  of which web      feed line to the page: median "
              f"{statistics.median(web_part) * 1000:.0f} ms, p99 "
              f"{_pct(web_part, 0.99) * 1000:.0f} ms (web process, sockets, this client)")
    reconnects = sum(p.reconnects for p in pages)
    print(f"reconnects          {reconnects}")
    if samples["cpu"]:
        print(f"web process         CPU mean {statistics.fmean(samples['cpu']):.0f} % of one "
              f"core (max {max(samples['cpu']):.0f} %), memory RSS max "
              f"{max(samples['rss']):.0f} MiB")
    if samples.get("runner_cpu"):
        print(f"runner process      CPU mean {statistics.fmean(samples['runner_cpu']):.0f} % "
              f"of one core; page clients (this process) {samples['clients_cpu'][0]:.0f} %")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


class LoadGate:
    """The dial-time gate of a load run: every dial allowed, nothing recorded."""

    campaign_state = None

    def check(self, target, at):
        from dialer.ports import GateVerdict

        return GateVerdict(True, ("benchmark: load generator",))

    def check_message(self, target, dialed_at, at):
        return self.check(target, at)

    def prefetch(self, items, at) -> None:
        pass

    def record_dial(self, *args, **kwargs) -> None:
        pass

    def record_outcome(self, *args, **kwargs) -> None:
        pass

    def forget(self, lead_id: str) -> None:
        pass

    def flush_audit(self) -> int:
        return 0

    def close(self) -> None:
        pass


async def serve_runner(args: argparse.Namespace) -> None:
    from campaigns.hopper import allow_all
    from dialer.esl.url import EslUrl
    from dialer.runner.demo import SimulatedDesk
    from dialer.runner.pacing import FixedRate
    from dialer.runner.runner import Runner
    from dialer.runner.settings import RunnerSettings

    store = CampaignStore.open(args.db)
    url = EslUrl("127.0.0.1", args.switch_port, "ClueCon")
    settings = RunnerSettings(args.serve_runner, args.db, Path(args.data),
                              ((f"127.0.0.1:{args.switch_port}", url),), stop_grace=5.0)
    # A load generator, like bench_runner_load: a fixed attempt rate, and no compliance
    # verdicts (the numbers are synthetic and only the simulator is called; the point is the
    # web tier's load, not the rules, which bench_dial_gate measures).
    runner = Runner(settings, store, policy=FixedRate(args.cps), login_agents=True,
                    hopper_low_water=max(50, int(args.cps)),
                    control_socket=settings.control_socket, claim_check=allow_all,
                    gate=LoadGate())
    runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.5, 1.5),
                                           random.Random(1))
    await runner.run(args.duration)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--cps", type=float, default=100.0)
    parser.add_argument("--agents", type=int, default=250)
    parser.add_argument("--supervisors", type=int, default=5)
    parser.add_argument("--serve-runner", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--switch-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_runner:
        asyncio.run(serve_runner(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
