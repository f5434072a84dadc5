"""One live runner process taking inbound calls into 5 queues with 250 agents while it dials.

Target (issue 13): 50 inbound calls per second arriving into 5 queues, 250 agents, the same
runner dialing outbound at the same time, with the answer-to-agent latency printed. The
switch simulator runs in its own process and places the callers itself (Poisson arrivals,
``simulations/switch/callers.py``: one inbound SIP leg each, the dialplan's set/answer/park),
so the runner sees exactly what a FreeSWITCH would send: CHANNEL_PARK with ``dialer_queue``
on its ESL connection. The runner runs the real path: parked channel → ``InboundCallArrived``
→ the engine's queue (no menu, no announcement: the point is the path, not the prompts) →
``uuid_break`` + ``uuid_bridge`` → CHANNEL_BRIDGE; the same agents take outbound calls
(a fixed attempt rate, default 5/s) through the campaign store, the dial gate and the journal.

Answer-to-agent latency is measured by the simulator, on the callers' side: from the
CHANNEL_PARK it fired (the caller answered and handed to the dialer) to the CHANNEL_BRIDGE
that connects them to an agent, both on one host clock. It includes waiting for a free
agent; the share of callers bridged within 0.5 s and the runner's own count of callers who
found an agent ready are printed too.

Run: python benchmarks/bench_inbound.py [--duration 60] [--rate 50] [--queues 5]
     [--agents 250] [--outbound-cps 5] [--talk 2.0]
Prints: inbound offered/answered/abandoned, answer-to-agent latency (median, p99, max),
outbound attempts and bridges, runner CPU, event-loop lag and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_runner_load import _campaign, _free_port  # noqa: E402
from campaigns.queue_store import QueueStore  # noqa: E402
from dialer.esl.url import EslUrl  # noqa: E402
from dialer.runner.demo import SimulatedDesk, demo_switch_files  # noqa: E402
from dialer.runner.pacing import FixedRate  # noqa: E402
from dialer.runner.runner import Runner  # noqa: E402
from dialer.runner.settings import RunnerSettings  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] if ordered else 0.0


async def _lag(samples: list[float], period: float = 0.25) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(period)
        samples.append(loop.time() - before - period)


async def run(args: argparse.Namespace) -> None:
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-inbound-"))
    results = workdir / "callers.json"
    queues = [f"q{i + 1}" for i in range(args.queues)]
    switch = subprocess.Popen(
        [sys.executable, __file__, "--serve-switch", str(port), "--rate", str(args.rate),
         "--queue-names", ",".join(queues), "--talk", str(args.talk),
         "--generate", str(args.duration),
         "--results", str(results)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await asyncio.sleep(2.0)
        db = f"sqlite:///{workdir / 'inbound.db'}"
        leads = int(args.outbound_cps * (args.duration + args.warm_up + 60) * 1.2) + 500
        store = _campaign(db, workdir, leads, args.agents)
        name = store.campaigns()[-1].name
        queue_store = QueueStore(store)
        now = datetime.now(UTC)
        for queue in queues:
            # No announcement, no callback offer: every caller waits in music for an agent.
            queue_store.create({"name": queue, "announcements": {"every": None},
                                "callback": {"enabled": False}, "handle_time": args.talk + 1},
                               at=now)
        store.edit_campaign(name, {"queues": queues}, at=now)
        url = EslUrl("127.0.0.1", port, "ClueCon")
        settings = RunnerSettings(name, db, workdir, ((f"127.0.0.1:{port}", url),),
                                  stop_grace=5.0)
        runner = Runner(settings, store, policy=FixedRate(args.outbound_cps),
                        login_agents=True, hopper_low_water=50)
        runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.3, 0.7),
                                               random.Random(1))
        lags: list[float] = []
        load0 = os.getloadavg()
        cpu0, wall0 = time.process_time(), time.time()
        async with asyncio.TaskGroup() as group:
            lag = group.create_task(_lag(lags))
            running = group.create_task(runner.run())
            await runner.ready.wait()
            await _agents_ready(runner, args.agents, args.warm_up)
            (workdir / "go").touch()  # the simulator starts placing callers
            loop = asyncio.get_running_loop()
            deadline = loop.time() + args.duration + 60.0
            while not results.exists() and loop.time() < deadline:
                await asyncio.sleep(0.5)
            runner.stop()
            await running
            lag.cancel()
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        load1 = os.getloadavg()
        callers = json.loads(results.read_text())
        _report(args, runner, callers, lags, cpu, wall, load0, load1)
        _runner_side(store, runner)
        store.close()
    finally:
        if switch.poll() is None:
            switch.terminate()
            switch.wait(10)


def _runner_side(store, runner) -> None:  # type: ignore[no-untyped-def]
    """The same path seen from the runner: its arrival stamp (the CHANNEL_PARK read off the
    socket) to its bridge stamp (the CHANNEL_BRIDGE read), from the queue store's records;
    and ``uuid_bridge`` sent to CHANNEL_BRIDGE read (both directions' bridges)."""
    import sqlalchemy as sa

    from campaigns.models import InboundCall

    with store.read_session() as session:
        rows = session.execute(sa.select(InboundCall.arrived_at, InboundCall.bridged_at)
                               .where(InboundCall.bridged_at.is_not(None))).all()
    waits = [(bridged - arrived).total_seconds() for arrived, bridged in rows]
    if waits:
        print(f"runner arrival→bridge median {statistics.median(waits) * 1000:.1f} ms, "
              f"p99 {_percentile(waits, 0.99) * 1000:.1f} ms (n={len(waits)}, the runner's "
              f"own stamps: without the socket's delivery delay)")
    bridge = runner.stats.latency_summary(bridge_only=True)
    if bridge["count"]:
        print(f"uuid_bridge→BRIDGE  median {bridge['median_s'] * 1000:.1f} ms, p99 "
              f"{bridge['p99_s'] * 1000:.1f} ms (the switch's round trip, n={bridge['count']})")


async def _agents_ready(runner: Runner, agents: int, at_most: float) -> None:
    """Until every agent is logged in and ready (their legs up), at most ``at_most`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + at_most
    while loop.time() < deadline:
        engine = runner.engine
        if engine is not None and sum(a.state.value == "ready"
                                      for a in engine.pool.agents.values()) >= agents:
            return
        await asyncio.sleep(0.2)


def _report(args, runner, callers, lags, cpu, wall, load0, load1) -> None:  # type: ignore[no-untyped-def]
    waits = [c["bridged"] - c["parked"] for c in callers if c["bridged"] is not None]
    abandoned = sum(1 for c in callers if c["bridged"] is None and c["gave_up"])
    offered = len(callers)
    print(f"inbound             {offered} callers in {args.duration:.0f} s "
          f"({offered / args.duration:.1f}/s, target {args.rate:g}/s) into {args.queues} "
          f"queues, {args.agents} agents")
    print(f"answered            {len(waits)} bridged to an agent, {abandoned} gave up "
          f"waiting, {offered - len(waits) - abandoned} still waiting at the end")
    if waits:
        print(f"answer→agent        median {statistics.median(waits) * 1000:.1f} ms, "
              f"p99 {_percentile(waits, 0.99) * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms "
              f"(CHANNEL_PARK to CHANNEL_BRIDGE, includes waiting for a free agent)")
        quick = sum(1 for w in waits if w <= 0.5)
        print(f"                    {quick / len(waits):.1%} within 0.5 s")
    stats = runner.stats
    print(f"outbound            {stats.dials} attempts ({args.outbound_cps:g}/s asked), "
          f"{stats.answers} answered, {stats.bridges} bridges in all (both directions)")
    counts = runner.inbound_calls.snapshot()
    print(f"runner inbound      taken {counts['taken']}, adopted {counts['adopted']}, "
          f"refused {counts['refused']}")
    print(f"runner CPU          {cpu / wall:.0%} of one core over {wall:.0f} s; event-loop lag "
          f"median {statistics.median(lags or [0]) * 1000:.1f} ms, p99 "
          f"{_percentile(lags, 0.99) * 1000:.1f} ms")
    print(f"events              {stats.events_handled} engine events "
          f"({stats.events_handled / wall:.0f}/s), {runner.switches.events_received} ESL "
          f"events ({runner.switches.events_received / wall:.0f}/s)")
    print(f"load average        {load0[0]:.2f} at start, {load1[0]:.2f} {load1[1]:.2f} "
          f"{load1[2]:.2f} at the end ({os.cpu_count()} cores)")


async def serve_switch(args: argparse.Namespace) -> None:
    """The simulator process: callees for the outbound side, and inbound callers placed at
    ``rate`` per second (Poisson) into the queues in turn for ``generate`` s from when the
    benchmark says go (agents ready); 10 s later it writes each caller's park and bridge
    times."""
    from simulations.switch.callers import InboundScript, place_inbound
    from simulations.switch.embedded import running_switch
    from simulations.switch.fates import SimpleCallees
    from simulations.switch.switch import SwitchSettings

    settings = SwitchSettings(heartbeat_interval=5.0, sound_files=demo_switch_files())
    rng = random.Random(13)
    queues = args.queue_names.split(",")
    scripts: list[tuple[InboundScript, float]] = []
    async with running_switch("127.0.0.1", args.serve_switch, settings=settings,
                              fate_source=SimpleCallees(machine=0.0, talk=args.talk),
                              seed=1) as sim:
        switch = sim.switch
        go = Path(args.results).with_name("go")
        while not go.exists():
            await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        start = loop.time()
        due = 0.0
        i = 0
        while due < args.generate:
            # Arrival times fixed in advance: a loop that falls behind places the late
            # callers at once instead of offering fewer than asked.
            due += rng.expovariate(args.rate)
            delay = start + due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            script = InboundScript(queues[i % len(queues)], number=f"+1312555{i % 10000:04d}",
                                   talk=rng.expovariate(1 / args.talk), patience=60.0)
            place_inbound(switch, script)
            switch.callers[script.uuid] = script
            scripts.append((script, switch.clock()))
            i += 1
        await asyncio.sleep(10.0)
        out = []
        for script, parked in scripts:
            out.append({"parked": script.parked_at or parked, "bridged": script.bridged_at,
                        "gave_up": script.ended_by == "caller" and not script.bridged})
        Path(args.results).write_text(json.dumps(out))
        await asyncio.Event().wait()  # serve on until the benchmark stops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0,
                        help="Seconds of inbound arrivals.")
    parser.add_argument("--warm-up", type=float, default=30.0,
                        help="At most this many seconds for the agents to log in before the "
                        "first caller.")
    parser.add_argument("--rate", type=float, default=50.0, help="Inbound calls per second.")
    parser.add_argument("--queues", type=int, default=5)
    parser.add_argument("--agents", type=int, default=250)
    parser.add_argument("--outbound-cps", type=float, default=5.0)
    parser.add_argument("--talk", type=float, default=2.0,
                        help="Mean conversation seconds (inbound and outbound).")
    parser.add_argument("--serve-switch", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--queue-names", default="", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--results", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if args.serve_switch is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_switch(args))
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
