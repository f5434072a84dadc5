"""Simulator speed: dial attempts simulated per second (one core), and a long campaign.

    python benchmarks/bench_simulation.py [--agents 100] [--hours 8] [--days 1] [--policy P]
        [--by-day]

Prints attempts/s for one run of the documented example population (the whole loop: the
real engine, pacing, the driver and the callee model), the machine's load average (the CPU
is shared: a figure means little without it) and the peak resident memory. ``--by-day``:
also each simulated day's CPU seconds and attempts, to see whether a long run costs more
per day as its history grows (a probe entry in the simulator's kernel at each day's end,
which changes nothing the engine decides).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from simulations.driver import DAY, Simulation
from simulations.scenario import scenario_from_tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--policy", default="progressive",
                        help="any pacing_models policy: progressive, predictive, adaptive, ...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--by-day", action="store_true",
                        help="also print each simulated day's CPU seconds and attempts")
    args = parser.parse_args()
    scenario = scenario_from_tables({
        "campaign": {"agents": args.agents, "shift_hours": args.hours, "days": args.days},
        "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
    })
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    simulation = Simulation(scenario, args.policy, seed=args.seed)
    days: list[tuple[float, int]] = []
    if args.by_day:
        for day in range(1, args.days + 1):
            # Just before the next day's start: after the shift's last call has ended.
            simulation.kernel.schedule(day * DAY - 1.0, lambda at, _: days.append(
                (time.process_time(), simulation.tally.dials)))
    tally = simulation.run()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"policy={args.policy} agents={args.agents} hours/day={args.hours} days={args.days}")
    print(f"dial attempts: {tally.dials}  wall time: {elapsed:.2f} s  "
          f"attempts/s: {tally.dials / elapsed:,.0f}  (CPU time {cpu:.2f} s: "
          f"{tally.dials / cpu:,.0f}/s)")
    print(f"load average (1 min) before/after: {load_before:.2f}/{os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores; peak RSS {peak:,.0f} MiB")
    before = (cpu_started, 0)
    for day, (cpu_at, dials) in enumerate(days, start=1):
        print(f"day {day}: CPU {cpu_at - before[0]:.2f} s, {dials - before[1]} attempts")
        before = (cpu_at, dials)


if __name__ == "__main__":
    main()
