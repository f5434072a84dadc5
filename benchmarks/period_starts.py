"""Predictive pacing across the law's periods: each period's start, and the limit in each.

The ledger measures the rolling window and the campaign's current period (periods of the
window's length from its first attempt: 47 CFR 64.1200(a)(7)(i); Ofcom's 24 hours make them
days). A new period has no answers of its own; without a plan for it, a trusted model dialed
each period's start as a cold start. This runs a campaign over several periods under each
of ``--plans`` (``PLANS``: the period plan off, ``period_answers_share=0``; ``guard``, the
plan at 0.5 spending from the period's 34th answer; ``young``, ``young2`` (the default)
and ``young3``, the plan at 0.5 with its early aim held to the young window's margin on the
period's own answers, one, two or three abandons of reserve), on common random numbers,
and prints by ground truth (the simulator's own count of people who found no agent):

- each period's abandonment rate (must stay ≤ the limit),
- the worst rolling window (the window ending at every answer),
- the worst running portion of a period (a campaign stopped for good at that answer: the
  exposure the period plan takes, docs/pacing.md "Periods"), and the share of the
  period's answers at which its running portion is above the limit,
- the talk share of each period's first hours (agents' talk ÷ their logged-in time).

Usage: ``nice -n 10 python benchmarks/period_starts.py [--agents 10,50] [--live 0.2,0.1]
[--days 4] [--window-days 1] [--first-hours 2] [--replications 2]
[--plans off,guard,young,young2,young3]``
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

from simulations.driver import DAY
from simulations.period_truth import (
    TimedSimulation,
    period_rates,
    running_portions,
    worst_window,
)
from simulations.scenario import scenario_from_tables

LIMIT = 0.03

PLANS: dict[str, dict[str, float | None]] = {
    "off": {"period_answers_share": 0.0, "period_reserve_abandons": None},
    "guard": {"period_answers_share": 0.5, "period_reserve_abandons": None},
    "young": {"period_answers_share": 0.5, "period_reserve_abandons": 1.0},
    "young2": {"period_answers_share": 0.5, "period_reserve_abandons": 2.0},
    "young3": {"period_answers_share": 0.5, "period_reserve_abandons": 3.0},
}
"""The period plans compared, each with every setting it depends on stated (not the
policy's defaults, which may change)."""


def scenario(agents: int, live: float, days: int, window_days: float, talk: float = 180.0):
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 8.0, "days": days,
                     "abandon_limit": LIMIT, "connect_window": 2.0,
                     "window_days": window_days},
        "callees": {"live_answer": live, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": talk, "sd": talk / 2},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5.0},
    })


def measure(job: tuple[int, float, int, float, str, int, float]) -> dict:
    agents, live, days, window_days, plan, replication, first_hours = job
    sc = scenario(agents, live, days, window_days)
    sim = TimedSimulation(sc, "predictive", 1, replication, dict(PLANS[plan]))
    started = time.process_time()
    sim.run()
    cpu = time.process_time() - started
    truth = sim.truth
    period = window_days * DAY
    periods = max(1, round(days / window_days))
    rates = period_rates(truth, period, periods)
    portions = running_portions(truth, period, periods, LIMIT)
    logged = agents * first_hours * 3600.0
    starts = []
    for day in range(days):
        lo = day * DAY
        hi = lo + first_hours * 3600.0
        spoken = sum(max(0.0, min(t + hold, hi) - t) for t, hold in truth.talk if lo <= t < hi)
        starts.append(spoken / logged)
    shift = 8.0 * 3600.0
    total_talk = sum(min(hold, (t // DAY) * DAY + shift - t) for t, hold in truth.talk)
    return {"job": job, "period_rates": rates, "worst_portion": [w for w, _ in portions],
            "exposed": [e for _, e in portions],
            "worst_window": worst_window(truth, period), "first_hours_talk": starts,
            "talk": total_talk / (agents * shift * days), "cpu": cpu,
            "answers": len(truth.answers), "abandons": len(truth.abandons)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="10,50")
    parser.add_argument("--live", default="0.2,0.1")
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--window-days", type=float, default=1.0)
    parser.add_argument("--first-hours", type=float, default=2.0)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plans", default="off,guard,young",
                        help=f"comma-separated, of {', '.join(PLANS)}")
    args = parser.parse_args()
    plans = args.plans.split(",")
    unknown = [p for p in plans if p not in PLANS]
    if unknown:
        parser.error(f"--plans: unknown plan {unknown[0]!r} (known: {', '.join(PLANS)})")
    jobs = [(int(a), float(live), args.days, args.window_days, plan, r, args.first_hours)
            for a in args.agents.split(",") for live in args.live.split(",")
            for r in range(args.replications) for plan in plans]
    wall = time.time()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(measure, jobs))
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {len(jobs)} runs, "
          f"{time.time() - wall:.0f} s wall, load {os.getloadavg()[0]:.2f}; window "
          f"{args.window_days:g} d, {args.days} days, first {args.first_hours:g} h")
    print("| agents | live | rep | plan | periods' rates | worst window | worst portion "
          "| answers exposed | talk, first hours by day | talk |")
    print("|---:|---:|---:|---|---|---:|---|---|---|---:|")
    for m in results:
        agents, live, _, _, plan, r, _ = m["job"]
        print(f"| {agents} | {live:.2f} | {r} | {plan} | "
              + " ".join(f"{x:.2%}" for x in m["period_rates"])
              + f" | {m['worst_window']:.2%} | "
              + " ".join(f"{x:.1%}" for x in m["worst_portion"]) + " | "
              + " ".join(f"{x:.1%}" for x in m["exposed"]) + " | "
              + " ".join(f"{x:.3f}" for x in m["first_hours_talk"])
              + f" | {m['talk']:.3f} |")
    over = [m for m in results if max(m["period_rates"]) > LIMIT or m["worst_window"] > LIMIT]
    print(f"periods or windows above the limit: {len(over)} of {len(results)} runs")


if __name__ == "__main__":
    main()
