"""Pacing quality suite: talk fraction as a share of its limit, and the worst abandonment.

    python benchmarks/pacing_quality.py [--quick] [--workers N] [--hours H] [--out FILE]

Suite: agents 5/10/20/50/100 × live answer 0.10/0.20/0.35 × mean talk 90/180/300 s
(`--quick`: 10 and 50 agents × 0.10/0.35 × 180 s). Limit = E[talk] ÷ (E[talk] + E[wrap]).
Checks the predictive targets of issue 6: never above the abandonment limit, ≥ 90 % of the
limit at 50 agents and more, more talk than adaptive at equal or lower abandonment.
"""

from __future__ import annotations

import argparse
import itertools
from concurrent.futures import ProcessPoolExecutor

POLICIES = ("progressive", "power", "adaptive", "predictive")
WRAP = 15.0


def _one(job: tuple[int, float, float, float, str]) -> tuple:
    from simulations.driver import Simulation
    from simulations.metrics import run_metrics
    from simulations.scenario import scenario_from_tables

    agents, live, talk, hours, policy = job
    scenario = scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": hours, "abandon_limit": 0.03},
        "callees": {"live_answer": live, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": talk, "sd": talk / 2},
                   "wrap": {"dist": "fixed", "value": WRAP}},
    })
    m = run_metrics(scenario, Simulation(scenario, policy, seed=1).run())
    share = m["talk_fraction"] / (talk / (talk + WRAP))
    return agents, live, talk, policy, share, m["max_window_abandon_rate"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.quick:
        grid = itertools.product((10, 50), (0.10, 0.35), (180.0,))
    else:
        grid = itertools.product((5, 10, 20, 50, 100), (0.10, 0.20, 0.35), (90.0, 180.0, 300.0))
    jobs = [(a, p, t, args.hours, policy) for a, p, t in grid for policy in POLICIES]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    lines = [f"{'agents':>6} {'live':>5} {'talk':>5} {'policy':>12} {'share':>7} {'max_abn':>8}"]
    by_key: dict[tuple, dict[str, tuple[float, float]]] = {}
    for agents, live, talk, policy, share, abandon in rows:
        lines.append(f"{agents:>6} {live:>5.2f} {talk:>5.0f} {policy:>12} {share:>7.3f} "
                     f"{abandon:>8.4f}")
        by_key.setdefault((agents, live, talk), {})[policy] = (share, abandon)
    short: list[str] = []
    for (agents, live, talk), result in by_key.items():
        share, abandon = result["predictive"]
        where = f"agents={agents} live={live} talk={talk:g}"
        if abandon > 0.03:
            short.append(f"{where}: predictive abandonment {abandon:.4f} above 0.03")
        if agents >= 50 and share < 0.90:
            short.append(f"{where}: predictive at {share:.1%} of the talk limit (< 90 %)")
        a_share, a_abandon = result["adaptive"]
        if not (share > a_share and abandon <= max(a_abandon, 0.03)):
            short.append(f"{where}: predictive {share:.3f}/{abandon:.4f} vs adaptive "
                         f"{a_share:.3f}/{a_abandon:.4f}")
    lines.append(f"shift hours per scenario: {args.hours:g}; one replication, seed 1")
    lines.append("predictive short of target:" if short else "predictive meets every target")
    lines.extend("  " + s for s in short)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
