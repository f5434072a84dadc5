"""Blended campaigns with and without the promise of ready agents to outbound dials in flight.

    python benchmarks/blend_promises.py [--seeds 5] [--big-seeds 3] [--workers 2] [--no-big]

docs/inbound.md ("Agents promised to outbound dials"): before, a caller arriving while an
outbound call rang for a ready agent took that agent, and the answered call was abandoned.
The same seeded worlds are run twice, with the promise (dialer/engine/promises.py) and
without it (``pool.lines.promised = None``, the engine before), and the outbound
abandonment, the queues' service level and speed of answer, and the outbound talk are
printed side by side (means over the seeds, and the worst seed's abandonment):

- ``first hour``: the field's report: 3 agents, a one-hour run, 20 callers an hour into one
  queue (80 % within 20 s), the arrival rate not learnt yet; progressive and predictive;
- ``blended``: simulations/scenarios/blended.toml (20 agents, 09:00-17:00, two queues,
  40-90 callers an hour), predictive and progressive;
- ``callbacks``: the first hour with the campaign's own due callbacks too (``CallbackDue``:
  30 in the hour at seeded random instants, a third of them personal to one agent), which
  the simulator does not make by itself. Run it with the code before a change and after
  (``PYTHONPATH=<the other checkout> python benchmarks/blend_promises.py --callbacks``)
  to compare the two engines on the same seeds.

Prints the machine's load average (the figures do not depend on it; the time does).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

FIRST_HOUR: dict[str, Any] = {
    "campaign": {"agents": 3, "shift_hours": 1, "days": 1, "abandon_limit": 0.03},
    "callees": {"live_answer": 0.3, "machine": 0.05, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 8.0, "sd": 3.0},
                "patience": {"dist": "exponential", "mean": 4.0}},
    "agents": {"talk": {"dist": "exponential", "mean": 90.0}, "wrap": 5.0},
    "inbound": {"calls_per_hour": 20.0, "patience": {"dist": "exponential", "mean": 180.0}},
    "queues": [{"name": "q", "handle_time": 95.0,
                "service_level": {"target": 0.8, "within": 20},
                "callback": {"enabled": False}, "announcements": {"every": None}}],
}


def _scenario(name: str) -> Any:
    from simulations.scenario import load_scenario, scenario_from_tables

    if name in ("first hour", "callbacks"):
        return scenario_from_tables(FIRST_HOUR)
    return load_scenario(ROOT / "simulations" / "scenarios" / "blended.toml")


CALLBACKS_PER_HOUR = 30


def _schedule_callbacks(simulation: Any, seed: int, agents: int) -> None:
    """The campaign's due callbacks of the ``callbacks`` world, the same for every engine
    on a seed: due instants and agents from their own stream, targets from lead ids the
    campaign's own leads never use (the simulator's fates are per lead id)."""
    import numpy as np

    from dialer.events import CallbackDue
    from dialer.ports import DialTarget

    rng = np.random.default_rng([seed, 4242])
    due = np.sort(rng.uniform(0.0, 3600.0, CALLBACKS_PER_HOUR))
    personal = rng.random(CALLBACKS_PER_HOUR) < 1 / 3
    whose = rng.integers(0, agents, CALLBACKS_PER_HOUR)

    def feed(at: float, event: Any) -> None:
        simulation._feed(event)

    for i, at in enumerate(due):
        target = DialTarget(str(50_000_000 + i), f"+1201777{i:04d}", "sim")
        event = CallbackDue(float(at), f"cb{i}", target,
                            f"a{whose[i]}" if personal[i] else None)
        simulation.kernel.schedule(float(at), feed, event)


def run_one(job: tuple[str, str, int, bool]) -> dict[str, Any]:
    """One seeded run; ``promised`` False runs the engine without the promise."""
    from simulations.driver import Simulation
    from simulations.metrics import run_metrics

    name, policy, seed, promised = job
    scenario = _scenario(name)
    simulation = Simulation(scenario, policy, seed, 0)
    if not promised:
        simulation.engine.pool.lines.promised = None
    if name == "callbacks":
        _schedule_callbacks(simulation, seed, scenario.campaign.agents)
    metrics = run_metrics(scenario, simulation.run())
    queues = metrics["queues"]["queues"]
    answered = sum(q["answered"] for q in queues.values())
    return {
        "abandoned": metrics["abandoned"], "live": metrics["live_answers"],
        "abandon_rate": metrics["abandon_rate"],
        "sl": {n: q["service_level"] for n, q in queues.items()},
        "worst_sl": {n: q["worst_window_service_level"] for n, q in queues.items()},
        "asa": sum(q["asa"] * q["answered"] for q in queues.values()) / answered
        if answered else 0.0,
        "inbound_abandoned": sum(q["abandoned"] for q in queues.values()),
        "offered": sum(q["offered"] for q in queues.values()),
        "outbound_talk": metrics["outbound_talk_fraction"],
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _worst(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{min(known):.1%}" if known else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10, help="seeds of the first hour")
    parser.add_argument("--big-seeds", type=int, default=3, help="seeds of blended.toml")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-big", action="store_true", help="the first hour only")
    parser.add_argument("--callbacks", action="store_true",
                        help="the first hour with due campaign callbacks only")
    args = parser.parse_args()
    cases = [("callbacks" if args.callbacks else "first hour", policy, args.seeds)
             for policy in ("progressive", "predictive")]
    if not args.no_big and not args.callbacks:
        cases += [("blended", policy, args.big_seeds) for policy in ("predictive", "progressive")]
    jobs = [(name, policy, seed, promised) for name, policy, seeds in cases
            for seed in range(1, seeds + 1) for promised in (False, True)]
    load = os.getloadavg()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = dict(zip(jobs, pool.map(run_one, jobs), strict=True))
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end; {time.perf_counter() - started:.0f} s")
    print("| world, policy (seeds) | promise | outbound abandoned (live answers) | rate, mean "
          "/ worst seed | inbound SL per queue (worst window) | ASA | callers gave up / offered "
          "| outbound talk |")
    print("|---|---|---|---|---|---|---|---|")
    for name, policy, seeds in cases:
        for promised in (False, True):
            runs = [results[(name, policy, s, promised)] for s in range(1, seeds + 1)]
            queues = runs[0]["sl"]
            sl = ", ".join(
                f"{q} {_mean([r['sl'][q] for r in runs if r['sl'][q] is not None]):.1%} "
                f"({_worst([r['worst_sl'][q] for r in runs])})" for q in queues)
            print(f"| {name}, {policy} ({seeds}) | {'yes' if promised else 'no (before)'} "
                  f"| {sum(r['abandoned'] for r in runs)} ({sum(r['live'] for r in runs)}) "
                  f"| {_mean([r['abandon_rate'] for r in runs]):.2%} / "
                  f"{max(r['abandon_rate'] for r in runs):.2%} | {sl} "
                  f"| {_mean([r['asa'] for r in runs]):.1f} s "
                  f"| {sum(r['inbound_abandoned'] for r in runs)} / "
                  f"{sum(r['offered'] for r in runs)} "
                  f"| {_mean([r['outbound_talk'] for r in runs]):.1%} |")


if __name__ == "__main__":
    main()
