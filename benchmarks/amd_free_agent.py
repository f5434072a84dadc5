"""Machine verdicts to free agents, off and on, on the pacing suite's AMD cells (issue 16;
docs/pacing.md, "Machine verdicts to free agents").

    python benchmarks/amd_free_agent.py [--agents 50,100] [--live 0.10,0.20] [--talk 180]
        [--machine 0.15] [--replications 3] [--policy predictive] [--workers 2]

benchmarks/pacing_quality.py's scenario with ``--amd`` (3 s detection, 2 % false positives,
10 % false negatives, the AMD patience law; cold start, one 8-hour day, ground truth), each
cell and replication run with ``[amd].to_free_agent`` off (the campaign hangs up on every
machine verdict, as today) and on (a machine verdict goes to an agent free at that instant,
else it is hung up), on the same common random numbers, the two interleaved in the job list.

Per cell, the mean over replications of: the share of the practical limit
(``practical_talk_limit``, the formula without routing, which still bounds the talk fraction),
the share of limit(ρ) (the same formula with the measured routed share ρ of machine verdicts:
the agent time the routed machines took is taken out), the worst-window abandonment, the
people AMD classed as machines and how many of them were abandoned (not connected), and ρ.
The figures are simulated: they do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pacing_quality as suite


def _amd(on: bool, machine: float) -> dict:
    return {"machine": machine, "patience": suite.AMD_PATIENCE,
            "amd": {"enabled": True, "detect_time": 3.0, "false_positive": 0.02,
                    "false_negative": 0.1, "silence_before_verdict": 0.8,
                    "to_free_agent": on}}


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _one(job: tuple) -> tuple:
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    agents, live, talk, on, replication, policy, machine = job
    scenario = suite._scenario(agents, live, talk, (8.0, 1), _amd(on, machine))
    started = time.process_time()
    tally = Simulation(scenario, policy, seed=1, replication=replication).run()
    seconds = time.process_time() - started
    m = run_metrics(scenario, tally)
    rho = (tally.machine_verdicts_routed / tally.machine_verdicts
           if tally.machine_verdicts else 0.0)
    share = m["talk_fraction"] / practical_talk_limit(scenario)
    share_rho = m["talk_fraction"] / practical_talk_limit(scenario, rho)
    fp_abandoned = tally.false_positives - tally.false_positives_connected
    return (agents, live, talk, on, replication, share, share_rho,
            m["max_window_abandon_rate"], m["abandon_rate"], tally.false_positives,
            fp_abandoned, m["live_answers"], rho, seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", default="50,100")
    parser.add_argument("--live", default="0.10,0.20")
    parser.add_argument("--talk", default="180")
    parser.add_argument("--machine", type=float, default=0.15)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--policy", default="predictive")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    agents = [int(a) for a in args.agents.split(",")]
    lives = [float(x) for x in args.live.split(",")]
    talks = [float(x) for x in args.talk.split(",")]
    jobs = [(a, p, t, on, r, args.policy, args.machine)
            for a, p, t in itertools.product(agents, lives, talks)
            for r in range(args.replications) for on in (False, True)]
    jobs.sort(key=lambda j: -j[0])
    print(f"start {time.strftime('%H:%M:%S', time.gmtime())} UTC, load average "
          f"{_load()}", flush=True)
    started = time.time()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    wall = time.time() - started
    by_cell: dict[tuple, list[tuple]] = {}
    for row in rows:
        by_cell.setdefault(row[:4], []).append(row)
    print(f"{'agents':>6} {'live':>5} {'talk':>5} {'limit':>6} {'to free agent':>13} "
          f"{'share':>6} {'worst':>6} {'share/lim(ρ)':>12} {'ρ':>5} {'abandon':>7} "
          f"{'FP people':>9} {'FP abandoned':>12} {'min share':>9}")
    from simulations.metrics import practical_talk_limit

    for key in sorted(by_cell):
        a, p, t, on = key
        runs = by_cell[key]
        limit = practical_talk_limit(suite._scenario(a, p, t, (8.0, 1), _amd(on, args.machine)))
        mean = statistics.fmean
        print(f"{a:>6} {p:>5.2f} {t:>5.0f} {limit:>6.3f} {'on' if on else 'off':>13} "
              f"{mean(r[5] for r in runs):>6.3f} {max(r[7] for r in runs):>6.2%} "
              f"{mean(r[6] for r in runs):>12.3f} {mean(r[12] for r in runs):>5.3f} "
              f"{mean(r[8] for r in runs):>7.2%} {mean(r[9] for r in runs):>9.1f} "
              f"{mean(r[10] for r in runs):>12.1f} {min(r[5] for r in runs):>9.3f}")
    cpu = sum(r[13] for r in rows)
    print(f"policy {args.policy}, machines {args.machine:g} of dials, AMD 3 s / fp 0.02 / "
          f"fn 0.1, {args.replications} replication(s) per cell (common random numbers), "
          f"{args.workers} worker(s), wall {wall:.0f} s, CPU {cpu:.0f} s, end "
          f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, load average "
          f"{_load()}")


if __name__ == "__main__":
    main()
