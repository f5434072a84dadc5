"""Simulator speed: dial attempts simulated per second (one core), and a long campaign.

    python benchmarks/bench_simulation.py [--agents 100] [--hours 8] [--days 1] [--policy P]

Prints attempts/s for one run of the documented example population (the whole loop: the
real engine, pacing, the driver and the callee model).
"""

from __future__ import annotations

import argparse
import time

from simulations.driver import Simulation
from simulations.scenario import scenario_from_tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--policy", default="progressive")
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
    started = time.perf_counter()
    tally = Simulation(scenario, args.policy, seed=1).run()
    elapsed = time.perf_counter() - started
    print(f"policy={args.policy} agents={args.agents} hours/day={args.hours} days={args.days}")
    print(f"dial attempts: {tally.dials}  wall time: {elapsed:.2f} s  "
          f"attempts/s: {tally.dials / elapsed:,.0f}")


if __name__ == "__main__":
    main()
