"""Policy search over per-state thresholds for the predictive policy (issue 16).

    python benchmarks/pacing_policy_search.py [--iterations 6] [--population 10]
        [--elite 3] [--train-seed 2] [--train-reps 2] [--test-seed 1] [--test-reps 5]
        [--cells 10/0.10/90,10/0.10/180,...] [--evaluate V1/V2/.../V6] [--workers 1]

The predictive policy dials while one more call's marginal expected overflow is at most λ,
one threshold for every state, tuned by its loop towards the budget's aim. This searches a
per-state multiplier of that λ (``pacing_models.state_thresholds.StateThresholds``: five
log multipliers by free agents 0, 1, 2, 3–4, 5+, and a slope in log((ringing + 1) ÷ (free +
1))) by the cross-entropy method, on *training* replications (seed ``--train-seed``) of the
cells that miss issue 16's targets, every candidate on the same replications (common random
numbers). Objective: the mean over cells of share ÷ target (0.85 at 10–20 agents, 0.95 at 50
and more; share = talk fraction ÷ the practical limit), minus a penalty of 0.5 + 20 × the
excess if any training replication's worst window is above the 3 % limit. The best
candidate and the final mean are then run beside the default (every multiplier 1: the same
decisions) on *held-out* replications (seed ``--test-seed``, the quality suite's: its
replication 0 is the suite's cell), and the script prints per cell the mean share ± a 95 %
confidence interval, the paired difference to the default ± its interval (the same
replications), the worst window, and the machine load. ``--evaluate`` skips the search and
runs one vector on the held-out replications beside the default.

The budget's guard is untouched: the table only scales λ in the model's own count of a
trusted, budgeted decision (docs/pacing.md, "Policy search over per-state thresholds"). Since
2026-12-07 the policy's batch guard cuts any decision whose calls in flight would carry more
expected abandons than the window's slack, so a candidate is searched with it (the
measurements in docs/pacing.md were taken before it; ``benchmarks/pacing_batch_guard.py``
re-runs a table with and without it).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

LIMIT = 0.03
DEFAULT_CELLS = ("10/0.10/90,10/0.10/180,10/0.20/90,10/0.20/180,"
                 "50/0.10/180,50/0.20/180")
BOUND = 3.0
"""The search's box for every parameter (the table itself accepts ±4)."""


def _cells(text: str) -> list[tuple[int, float, float]]:
    out = []
    for item in text.split(","):
        agents, live, talk = item.split("/")
        out.append((int(agents), float(live), float(talk)))
    return out


def _target(agents: int) -> float:
    return 0.95 if agents >= 50 else 0.85


def _run(job: tuple) -> tuple:
    """(cell, seed, replication, vector or None) → (cell, replication, share, worst, cpu)."""
    from pacing_quality import _scenario

    from pacing_models.state_thresholds import StateThresholds
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    (agents, live, talk), seed, replication, vector = job
    scenario = _scenario(agents, live, talk, (8.0, 1))
    started = time.process_time()
    sim = Simulation(scenario, "predictive", seed=seed, replication=replication, params={})
    if vector is not None:
        sim.engine.policy.state_thresholds = StateThresholds.from_vector(vector)
    tally = sim.run()
    m = run_metrics(scenario, tally)
    share = m["talk_fraction"] / practical_talk_limit(scenario)
    return ((agents, live, talk), replication, share, m["max_window_abandon_rate"],
            time.process_time() - started)


class Runner:
    def __init__(self, workers: int) -> None:
        self.pool = ProcessPoolExecutor(workers) if workers > 1 else None
        self.cpu = 0.0

    def map(self, jobs: list[tuple]) -> list[tuple]:
        rows = list(self.pool.map(_run, jobs)) if self.pool else [_run(j) for j in jobs]
        self.cpu += sum(r[-1] for r in rows)
        return rows


def evaluate(runner: Runner, cells, seed: int, reps: int, vector) -> dict:
    """Per cell: the replications' (share, worst); and the objective."""
    jobs = [(cell, seed, r, None if vector is None else tuple(vector))
            for cell in cells for r in range(reps)]
    out: dict[tuple, list[tuple[float, float]]] = {}
    for cell, _, share, worst, _ in runner.map(jobs):
        out.setdefault(cell, []).append((share, worst))
    return out


def objective(result: dict) -> tuple[float, float]:
    """(score, worst window over every cell and replication)."""
    score = statistics.fmean(
        statistics.fmean(s for s, _ in runs) / _target(cell[0]) for cell, runs in result.items())
    worst = max(w for runs in result.values() for _, w in runs)
    if worst > LIMIT:
        score -= 0.5 + 20.0 * (worst - LIMIT)
    return score, worst


def _ci(values: list[float]) -> float:
    if len(values) < 2:
        return math.nan
    # Student's t at 95 % for small samples (n − 1 ≤ 30), else 1.96.
    t = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26,
         10: 2.23, 11: 2.20, 12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13, 16: 2.12, 17: 2.11,
         18: 2.10, 19: 2.09}.get(len(values) - 1, 2.05 if len(values) <= 31 else 1.96)
    return t * statistics.stdev(values) / math.sqrt(len(values))


def _vec(v) -> str:
    return "/".join(f"{x:+.2f}" for x in v)


def _print(*args) -> None:
    print(*args, flush=True)


def held_out(runner: Runner, cells, seed: int, reps: int, candidates: dict[str, tuple]) -> None:
    results = {"default": evaluate(runner, cells, seed, reps, None)}
    for name, vector in candidates.items():
        results[name] = evaluate(runner, cells, seed, reps, vector)
    base = results["default"]
    _print(f"\nheld-out: seed {seed}, replications 0–{reps - 1}; share of the practical "
           "limit, mean ± 95 % CI; Δ = paired difference to the default ± 95 % CI; worst "
           "window of the replications; passes = replications at or above the target")
    for name, vector in [("default", None), *candidates.items()]:
        result = results[name]
        score, worst = objective(result)
        label = name if vector is None else f"{name} {_vec(vector)}"
        _print(f"  {label}: objective {score:.4f}, worst window {worst:.2%}")
        for cell in cells:
            shares = [s for s, _ in result[cell]]
            cell_worst = max(w for _, w in result[cell])
            diff = [s - b for (s, _), (b, _) in zip(result[cell], base[cell], strict=True)]
            target = _target(cell[0])
            passes = sum(s >= target for s in shares)
            line = (f"    {cell[0]:>3} / {cell[1]:.2f} / {cell[2]:>3.0f} s: "
                    f"{statistics.fmean(shares):.4f} ± {_ci(shares):.4f}, worst "
                    f"{cell_worst:.2%}, ≥ {target:.2f} in {passes}/{len(shares)}")
            if vector is not None:
                line += f"; Δ {statistics.fmean(diff):+.4f} ± {_ci(diff):.4f}"
            _print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--population", type=int, default=10)
    parser.add_argument("--elite", type=int, default=3)
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--train-seed", type=int, default=2)
    parser.add_argument("--train-reps", type=int, default=2)
    parser.add_argument("--test-seed", type=int, default=1)
    parser.add_argument("--test-reps", type=int, default=5)
    parser.add_argument("--cells", default=DEFAULT_CELLS)
    parser.add_argument("--search-seed", type=int, default=16)
    parser.add_argument("--evaluate", default=None,
                        help="six values V/V/V/V/V/V: skip the search, run them held-out")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.train_seed == args.test_seed:
        parser.error("--train-seed and --test-seed must differ (held-out replications)")
    vector = None
    if args.evaluate is not None:
        from pacing_models.errors import InvalidParameterError
        from pacing_models.state_thresholds import StateThresholds

        try:  # fail closed before any run
            vector = StateThresholds.from_vector(
                [float(x) for x in args.evaluate.split("/")]).vector()
        except (ValueError, InvalidParameterError) as error:
            parser.error(f"--evaluate {args.evaluate!r}: {error}")
    import numpy as np

    cells = _cells(args.cells)
    runner = Runner(args.workers)
    started = time.time()
    _print(f"start {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average "
           f"{os.getloadavg()[0]:.1f}; cells {args.cells}")
    if vector is not None:
        held_out(runner, cells, args.test_seed, args.test_reps, {"table": vector})
    else:
        rng = np.random.default_rng(args.search_seed)
        dims = 6
        mean = np.zeros(dims)
        sd = np.full(dims, args.sigma)
        base = evaluate(runner, cells, args.train_seed, args.train_reps, None)
        best_score, best_worst = objective(base)
        best = tuple(float(x) for x in mean)
        _print(f"training: seed {args.train_seed}, replications 0–{args.train_reps - 1}; "
               f"default objective {best_score:.4f}, worst {best_worst:.2%}")
        _print("  default per cell: " + ", ".join(
            f"{c[0]}/{c[1]:.2f}/{c[2]:.0f} {statistics.fmean(s for s, _ in r):.4f}"
            for c, r in base.items()))
        for iteration in range(args.iterations):
            samples = np.clip(mean + sd * rng.standard_normal((args.population, dims)),
                              -BOUND, BOUND)
            scored = []
            for x in samples:
                result = evaluate(runner, cells, args.train_seed, args.train_reps, x)
                score, worst = objective(result)
                scored.append((score, worst, x, result))
                _print(f"  it {iteration} {_vec(x)}: objective {score:.4f}, worst {worst:.2%}"
                       f"  [{time.time() - started:.0f} s, load "
                       f"{os.getloadavg()[0]:.1f}]")
                if score > best_score:
                    best_score, best_worst, best = score, worst, tuple(float(v) for v in x)
            scored.sort(key=lambda item: -item[0])
            elite = np.array([item[2] for item in scored[:args.elite]])
            mean = elite.mean(axis=0)
            sd = np.maximum(0.7 * elite.std(axis=0) + 0.3 * sd, 0.1)
            _print(f"iteration {iteration}: elite mean {_vec(mean)}, sd {_vec(sd)}; best so "
                   f"far {_vec(best)} objective {best_score:.4f} (worst {best_worst:.2%})")
        final = tuple(float(v) for v in mean)
        result = evaluate(runner, cells, args.train_seed, args.train_reps, final)
        score, worst = objective(result)
        _print(f"training: final mean {_vec(final)} objective {score:.4f}, worst {worst:.2%}")
        _print("  best per cell: (training) see held-out below for the same cells")
        held_out(runner, cells, args.test_seed, args.test_reps,
                 {"best": best, "final mean": final})
    _print(f"\nwall {time.time() - started:.0f} s, simulation CPU {runner.cpu:.0f} s, "
           f"{args.workers} worker(s), load average at the end {os.getloadavg()[0]:.1f} "
           f"({time.strftime('%H:%M:%S', time.gmtime())} UTC)")


if __name__ == "__main__":
    main()
