"""Carriers under load: 100 calls per second spread over 4 gateways, one failing half its calls.

The live runner (this process) dials the switch simulator (its own process) at a fixed
attempt rate (a load generator, as bench_runner_load.py) through four gateways in the store,
each with its own channels and calls per second; the simulator's carriers enforce the same
limits and one of them (``gw2``) refuses half the calls it takes with
NORMAL_TEMPORARY_FAILURE (SIP 500), which the runner retries at once on another gateway.
The same load is then run without gateways (one ``--gateway``, no limits), for the runner's
CPU with and without the router.

Run: python benchmarks/bench_gateways.py [--duration 60] [--cps 100] [--channels 1000]
Prints, per gateway: attempts (legs sent there), failovers (legs refused there and retried
elsewhere), the carriers' refusals and peaks, answer→bridge p50/p99 of the calls it carried;
then the runner's CPU with and without gateways, with the load average (``uptime``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sqlalchemy as sa  # noqa: E402
from bench_runner_load import MEAN_LIFETIME_AT_SPEED_1, _campaign, _free_port  # noqa: E402

from campaigns.gateways import RateRow, add_gateway  # noqa: E402
from campaigns.models import CallAttempt  # noqa: E402
from dialer.esl.url import EslUrl  # noqa: E402
from dialer.runner.demo import SimulatedDesk, demo_switch_files  # noqa: E402
from dialer.runner.pacing import FixedRate  # noqa: E402
from dialer.runner.runner import Runner  # noqa: E402
from dialer.runner.settings import RunnerSettings  # noqa: E402

# name, channels, calls per second, cost per minute (least cost fills gw1 first), failing
GATEWAYS = (("gw1", 400, 30, 0.004, 0.0), ("gw2", 400, 30, 0.005, 0.5),
            ("gw3", 400, 30, 0.006, 0.0), ("gw4", 400, 30, 0.007, 0.0))


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


async def _listening(port: int, within: float = 60.0) -> None:
    """Wait until the simulator process accepts connections (slow to start under load)."""
    deadline = time.time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.time() > deadline:
                raise
            await asyncio.sleep(0.2)
            continue
        writer.close()
        return


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


async def _run_once(args: argparse.Namespace, with_gateways: bool) -> dict:
    speed = MEAN_LIFETIME_AT_SPEED_1 * args.cps / max(args.channels - args.agents, 1)
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, __file__, "--serve-switch", str(port), "--speed", f"{speed:.3f}",
         *(["--with-gateways"] if with_gateways else [])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-gateways-"))
    try:
        await _listening(port)
        db = f"sqlite:///{workdir / 'load.db'}"
        store = _campaign(db, workdir, int(args.cps * args.duration * 1.3) + 1000, args.agents)
        name = store.campaigns()[-1].name
        switch_id = f"127.0.0.1:{port}"
        if with_gateways:
            for gateway, channels, cps, cost, failing in GATEWAYS:
                # The failing gateway's quarantine threshold is above its failure rate, so
                # it stays in service and the run measures failover at a steady state. The
                # simulated people are impatient by design (5 s mean, short talks): the
                # short-call test (false answer supervision) would take every gateway out.
                health = {"max_short_calls": 1.0,
                          **({"max_carrier_failures": 0.75} if failing else {})}
                add_gateway(store, {"name": gateway, "switch": switch_id, "channels": channels,
                                    "cps": cps, "health": health},
                            [RateRow("1", cost, 6, 6), RateRow("44", cost, 6, 6)], "bench")
        url = EslUrl("127.0.0.1", port, "ClueCon")
        settings = RunnerSettings(name, db, workdir, ((switch_id, url),), stop_grace=5.0)
        runner = Runner(settings, store, policy=FixedRate(args.cps), login_agents=True,
                        hopper_low_water=max(50, int(args.cps)))
        runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.5, 1.5),
                                               random.Random(1))
        load_before = _uptime()
        cpu0, wall0 = time.process_time(), time.time()
        await runner.run(args.duration)
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        with store.read_session() as session:
            rows = session.execute(sa.select(
                CallAttempt.gateway, CallAttempt.call_uuid, CallAttempt.failover_of,
                CallAttempt.hangup_cause, CallAttempt.answered_at, CallAttempt.bridged_at)
            ).all()
        store.close()
    finally:
        switch.terminate()
        carriers = switch.communicate(timeout=10)[0]
    gateway_of = {row.call_uuid: row.gateway for row in rows}
    per: dict[str, dict] = {}
    for row in rows:
        entry = per.setdefault(row.gateway or "(--gateway)", {"attempts": 0, "failovers": 0,
                                                             "latencies": []})
        entry["attempts"] += 1
        if row.answered_at is not None and row.bridged_at is not None:
            entry["latencies"].append((row.bridged_at - row.answered_at).total_seconds())
        if row.failover_of is not None:
            per.setdefault(gateway_of.get(row.failover_of) or "?", {
                "attempts": 0, "failovers": 0, "latencies": []})["failovers"] += 1
    return {"cpu": cpu, "wall": wall, "dials": runner.stats.dials, "per": per,
            "bridges": runner.stats.bridges, "load_before": load_before,
            "load_after": _uptime(), "carriers": carriers.strip(), "speed": speed,
            "waited": (runner.gateway_watch.wire.waited if runner.gateway_watch else 0),
            "latency": runner.stats.latency_summary()}


def _report(title: str, result: dict, duration: float) -> None:
    print(f"== {title}: {result['dials']} attempts in {duration:.0f} s "
          f"({result['dials'] / duration:.1f}/s), {result['bridges']} bridged, simulator "
          f"speed {result['speed']:.2f}")
    print(f"   load before: {result['load_before']}")
    print(f"{'gateway':>12} {'attempts':>9} {'failovers':>10} {'a→b p50':>9} {'a→b p99':>9}")
    for gateway, entry in sorted(result["per"].items()):
        latencies = entry["latencies"]
        print(f"{gateway:>12} {entry['attempts']:>9} {entry['failovers']:>10} "
              f"{_ms(_percentile(latencies, 0.5)):>9} {_ms(_percentile(latencies, 0.99)):>9}")
    latency = result["latency"]
    if latency["count"]:
        print(f"   answer→bridge overall: median {latency['median_s'] * 1000:.1f} ms, p99 "
              f"{latency['p99_s'] * 1000:.1f} ms (n={latency['count']})")
    if result["carriers"]:
        print(f"   carriers (simulator): {result['carriers']}")
    if result["waited"]:
        print(f"   originates held for a carrier's CPS on the wire: {result['waited']}")
    print(f"   runner CPU {result['cpu'] / result['wall']:.0%} of one core "
          f"({result['cpu']:.1f} s CPU in {result['wall']:.0f} s wall)")
    print(f"   load after:  {result['load_after']}")


async def serve_switch(port: int, speed: float, with_gateways: bool) -> None:
    """The simulator process; on SIGTERM it prints its carriers' tallies (one line)."""
    import json
    import signal

    from simulations.switch.embedded import running_switch
    from simulations.switch.fates import SimpleCallees
    from simulations.switch.gateways import CarrierGateway
    from simulations.switch.switch import SwitchSettings

    carriers = tuple(CarrierGateway(name, channels, cps, failing, "NORMAL_TEMPORARY_FAILURE")
                     for name, channels, cps, _, failing in GATEWAYS) if with_gateways else ()
    settings = SwitchSettings(speed=speed, heartbeat_interval=5.0,
                              sound_files=demo_switch_files(), gateways=carriers)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running_switch("127.0.0.1", port, settings=settings,
                              fate_source=SimpleCallees(machine=0.0, talk=8.0), seed=1) as sim:
        # The carriers count calls per second of real time: the simulator's clock runs
        # ``speed`` times faster.
        sim.switch.gateways.window = speed
        await stop.wait()
        if with_gateways:
            print(json.dumps({name: {k: v for k, v in tally.items() if k != "offered"}
                              for name, tally in sim.switch.gateways.summary().items()}),
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--cps", type=float, default=100.0)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=250)
    parser.add_argument("--serve-switch", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--with-gateways", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if args.serve_switch is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_switch(args.serve_switch, args.speed, args.with_gateways))
        return
    with_gateways = asyncio.run(_run_once(args, True))
    _report("4 gateways, gw2 refusing half its calls", with_gateways, args.duration)
    without = asyncio.run(_run_once(args, False))
    _report("no gateways (one --gateway, no limits)", without, args.duration)
    per_dial = [r["cpu"] / max(r["dials"], 1) * 1000 for r in (with_gateways, without)]
    print(f"== runner CPU per attempt: {per_dial[0]:.2f} ms with gateways, {per_dial[1]:.2f} ms "
          f"without ({(per_dial[0] / per_dial[1] - 1) * 100:+.0f} %)")


if __name__ == "__main__":
    main()
