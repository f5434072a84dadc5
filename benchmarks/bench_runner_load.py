"""One live runner process under load against the switch simulator (in its own process).

Target (issue 5): sustain 1,000 concurrent channels and 100 call attempts/s for 5 minutes on
a 2-core machine. The runner runs the real code path: the campaign store
(``campaigns.CampaignStore`` on SQLite, or ``--db URL``), hopper claims with the compliance
check at selection, the dial-time gate (full rules engine, audit log), the journal committed
before each originate, ESL client, engine, agents on nailed-up legs; pacing is a fixed
attempt rate (a load generator: the point is the process, not the policy). The simulator's
``--speed`` is chosen so the callee population keeps about ``--channels`` channels up.

Run: python benchmarks/bench_runner_load.py [--duration 300] [--cps 100] [--channels 1000]
     [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--profile out.pstats]
Prints: attempts/s achieved, concurrent channels (mean, peak), answer-to-bridge latency
(median, p99), events processed per second, event-loop lag, runner CPU use, database batches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from dialer.esl.url import EslUrl  # noqa: E402
from dialer.runner.demo import (  # noqa: E402
    DEMO_SAFE_HARBOR,
    SimulatedDesk,
    _area_zones,
    choose_zones,
    demo_settings,
    demo_switch_files,
    is_uk_demo,
    seed_demo_registry,
)
from dialer.runner.pacing import FixedRate  # noqa: E402
from dialer.runner.runner import Runner  # noqa: E402
from dialer.runner.settings import RunnerSettings  # noqa: E402

# Mean customer-channel lifetime of the simulator's callees (8 s talk, no machines) at
# speed 1 with a 20 s ring timeout: about 15 s (55 % ring out, 30 % answer and talk).
MEAN_LIFETIME_AT_SPEED_1 = 15.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _campaign(url: str, data: Path, leads: int, agents: int) -> CampaignStore:
    store = CampaignStore.open(url)
    zones, _ = choose_zones(time.time())
    uk = is_uk_demo(zones)
    now = datetime.now(UTC)
    name = f"load-{now:%H%M%S}"
    store.create_campaign(name, {
        "caller_ids": ["+12015550100"], "ring_timeout": 20.0, "wrap_up_timeout": 5.0,
        # The stored policy is a real one; the load generator is passed to the runner.
        "pacing_policy": "progressive", "decision_interval": 0.1, "max_attempts_per_day": 10,
        "schedule": {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]},
        "safe_harbor_message": DEMO_SAFE_HARBOR,  # a file the simulated switch has
        # What a sales campaign declares before it may dial (docs/compliance.md).
        "compliance": demo_settings(uk)["compliance"],
        **({"jurisdiction": "uk", "abandon_target": 0.02} if uk else {})}, at=now,
        agents=[(f"{name}-a{i}", f"user/{2000 + i}") for i in range(agents)])
    # Valid numbers in an area code whose zone is open now (or UK numbers in the hours no US
    # zone is), known landlines; only the simulator is ever "called".
    npa = next(iter(_area_zones()[zones[0]])) if not uk else None
    def number(i: int) -> str:
        if uk:
            return f"+44207{i:07d}"
        return f"+1{npa}{200 + i // 10000 % 800}{i % 10000:04d}"
    store.add_leads(name, [LeadInput(number(i), timezone=zones[0], line_type="landline")
                           for i in range(leads)], at=now)
    store.transition_campaign(name, "running", at=now)
    seed_demo_registry(data, time.time(), ["+13125550100"])
    return store


async def _measure(runner: Runner, samples: dict[str, list[float]], period: float) -> None:
    loop = asyncio.get_running_loop()
    await runner.ready.wait()
    while True:
        before = loop.time()
        await asyncio.sleep(period)
        samples["lag"].append(loop.time() - before - period)
        if not runner.stopping:
            samples["dials"].append(runner.stats.dials)
        engine = runner.engine
        if engine is not None:
            samples["channels"].append(len(engine.calls) + len(runner.translator.agent_legs))


async def run(args: argparse.Namespace) -> None:
    # Agents' nailed-up legs are channels too: the callees make up the rest.
    speed = MEAN_LIFETIME_AT_SPEED_1 * args.cps / max(args.channels - args.agents, 1)
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, __file__, "--serve-switch", str(port), "--speed", f"{speed:.3f}",
         "--talk", str(args.talk)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    try:
        await asyncio.sleep(2.0)
        db = args.db or f"sqlite:///{workdir / 'load.db'}"
        store = _campaign(db, workdir, int(args.cps * args.duration * 1.2) + 1000, args.agents)
        name = store.campaigns()[-1].name
        url = EslUrl("127.0.0.1", port, "ClueCon")
        settings = RunnerSettings(name, db, workdir, ((f"127.0.0.1:{port}", url),),
                                  stop_grace=5.0)
        runner = Runner(settings, store, policy=FixedRate(args.cps), login_agents=True,
                        hopper_low_water=max(50, int(args.cps)))
        runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.5, 1.5),
                                               random.Random(1))
        samples: dict[str, list[float]] = {"lag": [], "channels": [], "dials": []}
        cpu0, wall0 = time.process_time(), time.time()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        async with asyncio.TaskGroup() as group:
            measure = group.create_task(_measure(runner, samples, 0.5))
            await runner.run(args.duration)
            measure.cancel()
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        stats = runner.stats
        latency = stats.latency_summary()
        steady = samples["channels"][len(samples["channels"]) // 5:] or [0]
        lags = sorted(samples["lag"]) or [0.0]
        print(f"duration            {args.duration:.0f} s (wall {wall:.0f} s incl. drain), "
              f"simulator speed {speed:.2f}")
        dials = samples["dials"]
        warm = len(dials) // 5
        steady_rate = (dials[-1] - dials[warm]) / ((len(dials) - 1 - warm) * 0.5) if len(
            dials) > warm + 1 else 0.0
        print(f"attempts            {stats.dials} (steady {steady_rate:.1f}/s after warm-up, "
              f"target {args.cps:g}/s)")
        print(f"concurrent channels mean {statistics.fmean(steady):.0f} (after warm-up), "
              f"peak {max(samples['channels'] or [0]):.0f}, target {args.channels}")
        print(f"answers / bridges   {stats.answers} / {stats.bridges} "
              f"({args.agents} agents), abandoned {stats.abandons}")
        if latency["count"]:
            print(f"answer→bridge       median {latency['median_s'] * 1000:.1f} ms, "
                  f"p99 {latency['p99_s'] * 1000:.1f} ms, max {latency['max_s'] * 1000:.1f} ms "
                  f"(n={latency['count']}; includes waiting for a free agent)")
            switch_rt = stats.latency_summary(bridge_only=True)
            print(f"uuid_bridge→BRIDGE  median {switch_rt['median_s'] * 1000:.1f} ms, "
                  f"p99 {switch_rt['p99_s'] * 1000:.1f} ms (the bridge itself)")
            immediate = [v for v in stats.latencies if v < 0.25]
            print(f"answer→bridge, agent free at answer: n={len(immediate)}, median "
                  f"{statistics.median(immediate or [0]) * 1000:.1f} ms")
        print(f"events processed    {stats.events_handled} engine events "
              f"({stats.events_handled / wall:.0f}/s), {runner.switches.events_received} ESL "
              f"events ({runner.switches.events_received / wall:.0f}/s)")
        print(f"event-loop lag      median {statistics.median(lags) * 1000:.1f} ms, "
              f"p99 {lags[int(0.99 * (len(lags) - 1))] * 1000:.1f} ms")
        print(f"runner CPU          {cpu / wall:.0%} of one core (event loop and database "
              f"thread); send failures {stats.send_failures}")
        print(f"database            {db.split(':')[0]}: {runner.db.batches} batches, "
              f"{runner.db.ops_written} journal operations, {runner.db.problems} problems")
        open_left = len(store.open_attempts(campaign=name))
        print(f"journal             {open_left} attempts left open, leads "
              f"{store.lead_status_counts(name)}")
        store.close()
    finally:
        switch.terminate()
        switch.wait(10)


async def serve_switch(port: int, speed: float, talk: float) -> None:
    """The simulator process: default callees without answering machines (with AMD off a
    machine is connected to an agent and holds it for its whole greeting and recording,
    which measures the population, not the runner), conversations of ``talk`` seconds."""
    from simulations.switch.embedded import running_switch
    from simulations.switch.fates import SimpleCallees
    from simulations.switch.switch import SwitchSettings

    settings = SwitchSettings(speed=speed, heartbeat_interval=5.0, sound_files=demo_switch_files())
    async with running_switch("127.0.0.1", port, settings=settings,
                              fate_source=SimpleCallees(machine=0.0, talk=talk), seed=1):
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--cps", type=float, default=100.0)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=250)
    parser.add_argument("--talk", type=float, default=8.0,
                        help="Mean conversation seconds of the simulated callees.")
    parser.add_argument("--db", default=None, help="Campaign database URL (default: a "
                        "temporary SQLite file).")
    parser.add_argument("--profile", default=None, help="Write a cProfile of the runner here.")
    parser.add_argument("--serve-switch", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if args.serve_switch is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_switch(args.serve_switch, args.speed, args.talk))
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
