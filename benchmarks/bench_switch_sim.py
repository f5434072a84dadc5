"""Switch simulator under dialer load: originates per second, concurrent channels, events/s,
bgapi reply latency and the simulator's own CPU use (it runs in its own process).

Run: python benchmarks/bench_switch_sim.py [--rate 100] [--seconds 60] [--format plain]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

from dialer.esl.client import EslClient
from dialer.esl.url import EslUrl


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def load(url: EslUrl, rate: float, seconds: float, event_format: str, pid: int) -> None:
    latencies: list[float] = []
    events = 0
    peak = 0
    async with EslClient(url, events=["ALL"], event_format=event_format) as client:
        await client.wait_connected(10)

        async def consume() -> None:
            nonlocal events
            async for _ in client.events():
                events += 1

        async def originate(n: int) -> None:
            started = time.perf_counter()
            await client.bgapi(
                f"originate {{origination_uuid={uuid.uuid4()},ignore_early_media=true,"
                f"originate_timeout=30,origination_caller_id_number=15550000000,"
                f"dialer_call_id={n}}}sofia/gateway/gw/1555{n:07d} &park()")
            latencies.append(time.perf_counter() - started)

        async def sample() -> None:
            nonlocal peak
            while True:
                await asyncio.sleep(2)
                status = await client.api("status")
                count = int(status.split("\n")[3].split(" ", 1)[0])  # "N session(s) - peak"
                peak = max(peak, count)

        async with asyncio.TaskGroup() as group:
            consumer = group.create_task(consume())
            sampler = group.create_task(sample())
            cpu0, wall0 = _cpu_seconds(pid), time.perf_counter()
            launched = 0
            pending: set[asyncio.Task[None]] = set()
            while (elapsed := time.perf_counter() - wall0) < seconds:
                due = int(elapsed * rate) + 1
                while launched < due:
                    task = group.create_task(originate(launched))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    launched += 1
                await asyncio.sleep(0.005)
            if pending:
                await asyncio.wait(pending)
            wall = time.perf_counter() - wall0
            cpu = _cpu_seconds(pid) - cpu0
            sampler.cancel()
            consumer.cancel()
    latencies.sort()
    print(f"originates: {launched} in {wall:.1f} s = {launched / wall:.1f}/s (target {rate}/s)")
    print(f"peak concurrent channels (api status): {peak}")
    print(f"events received ({event_format}): {events} = {events / wall:,.0f}/s")
    print(f"bgapi reply latency: median {statistics.median(latencies) * 1000:.2f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms")
    print(f"simulator CPU: {cpu:.1f} s over {wall:.1f} s = {100 * cpu / wall:.0f}% of one core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--format", default="plain", choices=["plain", "json"])
    arguments = parser.parse_args()
    port = _free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "switch-sim", "--listen",
         f"127.0.0.1:{port}", "--seed", "1", "--json"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        asyncio.run(load(EslUrl("127.0.0.1", port), arguments.rate, arguments.seconds,
                         arguments.format, simulator.pid))
    finally:
        simulator.terminate()
        simulator.wait(10)


if __name__ == "__main__":
    main()
