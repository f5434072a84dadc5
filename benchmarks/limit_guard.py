"""Raw against guarded: ``power`` and ``adaptive`` with and without the abandonment-limit
guard (pacing_models/limit_guard.py), on the quality suite's cells.

    python benchmarks/limit_guard.py [--agents 5,10,50] [--live 0.10,0.35] [--talk 180]
        [--hours 8] [--days 1] [--replications 2] [--workers 2] [--power 3]
        [--amd]

The cells are benchmarks/pacing_quality.py's (talk lognormal sd = mean/2, wrap-up 15 s,
patience exponential mean 5 s, time to answer lognormal 9 ± 4 s, busy 0.05, ring timeout
25 s, limit 3 %; ``--amd``: its AMD scenario). Each policy runs raw (what `dialer simulate`
shows) and behind the guard (what a live campaign runs), on the same replications (common
random numbers: seed 1, replication r). Per cell and column: the worst window's
abandonment over the replications (the simulator's ground truth; a one-day run is one
window) and the mean talk share (talk fraction ÷ the practical limit,
``simulations.metrics.practical_talk_limit``), and for the guarded columns the share of
decisions the guard lowered. Progressive is the floor the guard falls back to.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

COLUMNS = ("progressive", "power", "power+guard", "adaptive", "adaptive+guard")


def _one(job: tuple) -> tuple:
    """(agents, live, talk, column, replication, hours, days, power, amd) → the row."""
    import pacing_quality

    from pacing_models.limit_guard import LimitGuard
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    agents, live, talk, column, replication, hours, days, power, amd = job
    if amd:
        pacing_quality.MACHINES.update(
            {"machine": 0.15, "patience": pacing_quality.AMD_PATIENCE,
             "amd": {"enabled": True, "detect_time": 3.0, "false_positive": 0.02,
                     "false_negative": 0.1, "silence_before_verdict": 0.8}})
    policy = column.removesuffix("+guard")
    params = {"lines_per_agent": power} if policy == "power" else {}
    scenario = pacing_quality._scenario(agents, live, talk, (hours, days))
    simulation = Simulation(scenario, policy, seed=1, replication=replication, params=params)
    guard = None
    if column.endswith("+guard"):
        guard = simulation.engine.policy = LimitGuard(simulation.engine.policy)
    started = time.process_time()
    tally = simulation.run()
    seconds = time.process_time() - started
    metrics = run_metrics(scenario, tally)
    share = metrics["talk_fraction"] / practical_talk_limit(scenario)
    clamped = guard.clamped / guard.decisions if guard is not None and guard.decisions else None
    return (agents, live, talk, column, replication, metrics["max_window_abandon_rate"], share,
            clamped, seconds)


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", default="5,10,50")
    parser.add_argument("--live", default="0.10,0.35")
    parser.add_argument("--talk", default="180")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--power", type=float, default=3.0, help="power's lines per agent")
    parser.add_argument("--amd", action="store_true",
                        help="15 %% machines, AMD on (pacing_quality.py --machine 0.15 --amd)")
    args = parser.parse_args()
    cells = list(itertools.product([int(a) for a in _floats(args.agents)],
                                   _floats(args.live), _floats(args.talk)))
    jobs = [(*cell, column, r, args.hours, args.days, args.power, args.amd)
            for cell in cells for column in COLUMNS for r in range(args.replications)]
    load_before = os.getloadavg()[0]
    wall = time.monotonic()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    by_cell: dict[tuple, list[tuple]] = {}
    for row in rows:
        by_cell.setdefault((*row[:3], row[3]), []).append(row)
    print(f"# {args.hours:g} h × {args.days} day(s), {args.replications} replication(s), "
          f"power {args.power:g} lines/agent{', AMD' if args.amd else ''}; worst window "
          "abandonment % / mean talk share (guarded: share of decisions lowered)")
    print("| agents | live | talk | " + " | ".join(COLUMNS) + " |")
    print("|---|---|---|" + "---|" * len(COLUMNS))
    for cell in cells:
        shown = []
        for column in COLUMNS:
            runs = by_cell[(*cell, column)]
            worst = max(r[5] for r in runs)
            share = sum(r[6] for r in runs) / len(runs)
            text = f"{worst:.2%} / {share:.3f}"
            if runs[0][7] is not None:
                text += f" ({sum(r[7] for r in runs) / len(runs):.0%})"
            shown.append(text)
        print(f"| {cell[0]} | {cell[1]:g} | {cell[2]:g} | " + " | ".join(shown) + " |")
    broken = [(cell, column) for cell in cells for column in COLUMNS
              if column.endswith("+guard") and max(r[5] for r in by_cell[(*cell, column)]) > 0.03]
    print(f"# guarded windows over 3 %: {len(broken)} {broken if broken else ''}")
    print(f"# {len(rows)} runs, {sum(r[8] for r in rows):.0f} s CPU, "
          f"{time.monotonic() - wall:.0f} s wall, {args.workers} worker(s); load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
