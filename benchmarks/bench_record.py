"""Recording speed: a simulated day written to the campaign store (simulations/recorder.py).

    python benchmarks/bench_record.py [--agents 100] [--hours 8] [--policy P] [--db URL]
        [--batch-size N]

Runs the documented example population (docs/simulations.md) once without recording and
once recording it (a temporary SQLite store unless ``--db``), and prints for each the wall
and CPU time, attempts per second, the rows written and the machine's load average (the
CPU is shared: a figure means little without it). The difference is the recording's cost.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from campaigns.models import AgentStateChange, CallAttempt
from campaigns.store import CampaignStore
from simulations.driver import Simulation
from simulations.recorder import record_simulation
from simulations.scenario import scenario_from_tables


def _scenario(agents: int, hours: float) -> object:
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": hours},
        "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--policy", default="predictive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--batch-size", type=int, default=20_000)
    args = parser.parse_args()
    scenario = _scenario(args.agents, args.hours)
    with tempfile.TemporaryDirectory(prefix="bench-record-") as folder:
        store = CampaignStore.open(args.db or f"sqlite:///{Path(folder) / 'bench.db'}")
        print(f"policy={args.policy} agents={args.agents} hours={args.hours} "
              f"store={store.engine.dialect.name} batch={args.batch_size}")
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        tally = Simulation(scenario, args.policy, args.seed).run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"simulation only: {tally.dials:,} attempts, wall {wall:.1f} s, CPU {cpu:.1f} s")
        name = f"bench-record-{int(time.time())}"
        wall, cpu = time.perf_counter(), time.process_time()
        run = record_simulation(store, scenario, args.policy, name=name,
                                start=datetime(2026, 12, 1, 9, tzinfo=UTC), seed=args.seed,
                                batch_size=args.batch_size)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with store.engine.connect() as connection:
            changes = connection.execute(sa.select(sa.func.count()).where(
                AgentStateChange.campaign_id == run.campaign_id)).scalar()
            attempts = connection.execute(sa.select(sa.func.count()).where(
                CallAttempt.campaign_id == run.campaign_id)).scalar()
        print(f"simulated and recorded: {run.attempts:,} attempts ({attempts:,} attempt rows, "
              f"{changes:,} agent state rows), wall {wall:.1f} s, CPU {cpu:.1f} s: "
              f"{run.attempts / wall:,.0f} attempts/s of wall, {run.attempts / cpu:,.0f} of CPU")
        print(f"load average (1 min) before/after: {load:.2f}/{os.getloadavg()[0]:.2f} on "
              f"{os.cpu_count()} cores")
        store.close()


if __name__ == "__main__":
    main()
