"""The engine's and the simulator's speed at an older commit and now, side by side in one run.

    python benchmarks/compare_engine_speed.py [--old COMMIT] [--rounds 3] [--month]

Checks the old commit out into a temporary ``git worktree`` (removed at the end), then runs
each case in a fresh process per tree, alternating old and new in every round so both
see the same machine load, and prints attempts per CPU second (the best and the median of
the rounds), the ratio, and the load average (``os.getloadavg``) before and after. The
harness is this tree's for both (the simulation's scenario, ``bench_engine``'s world); only
the packages imported (``dialer``, ``simulations``, ``pacing_models``) come from each tree.

Cases: the simulated day of ``bench_simulation.py`` (100 agents, 8 h) with the
progressive and the predictive policy, and ``bench_engine.py``'s world (200,000 attempts);
``--month``: the 30-day, 100-agent predictive run too (about a minute or two per run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OLD = "b4cd29b"
"""main before the per-attempt speed work of issue 18."""

CASES = {
    "simulate progressive 100 agents x 1 day": ("simulate", "progressive", 1),
    "simulate predictive 100 agents x 1 day": ("simulate", "predictive", 1),
    "bench_engine world 200k attempts": ("world", "progressive", 200_000),
}
MONTH = {"simulate predictive 100 agents x 30 days": ("simulate", "predictive", 30)}


def child(kind: str, policy: str, size: int) -> dict[str, float]:
    """Run one case in this process (its packages from PYTHONPATH): attempts, CPU, wall."""
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "simulate":
        from engine_streams import POPULATION

        from simulations.driver import Simulation
        from simulations.scenario import scenario_from_tables

        tables = {**POPULATION, "campaign": {"agents": 100, "shift_hours": 8, "days": size}}
        simulation = Simulation(scenario_from_tables(tables), policy, seed=1)
        started, cpu = time.perf_counter(), time.process_time()
        attempts = simulation.run().dials
    else:
        import bench_engine

        with contextlib.redirect_stdout(io.StringIO()):
            attempts = bench_engine.run(size, 100, 1)
    return {"attempts": attempts, "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - started}


def measure(tree: Path, case: tuple[str, str, int]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *map(str, case)],
        env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def commit_of(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %cs"],
                          capture_output=True, text=True, check=True).stdout.strip()


def compare(old_tree: Path, rounds: int, cases: dict[str, tuple[str, str, int]]) -> None:
    trees = {"old": old_tree, "new": ROOT}
    print(f"old: {commit_of(old_tree)} ({old_tree})")
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                            "dialer", "simulations", "pacing_models"],
                           capture_output=True, text=True).stdout.strip()
    print(f"new: {commit_of(ROOT)}{' + uncommitted changes' if dirty else ''} ({ROOT})")
    print(f"load average before: {'/'.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores; {rounds} round(s), old and new alternating")
    print(f"{'case':44} {'attempts':>9} {'old /CPU s (best, median)':>27} "
          f"{'new /CPU s (best, median)':>27} {'ratio':>6}")
    for name, case in cases.items():
        rates: dict[str, list[float]] = {"old": [], "new": []}
        attempts: dict[str, int] = {}
        for _ in range(rounds):
            for label, tree in trees.items():
                result = measure(tree, case)
                rates[label].append(result["attempts"] / result["cpu"])
                attempts[label] = int(result["attempts"])
        cells = [f"{max(rates[k]):>12,.0f} {statistics.median(rates[k]):>12,.0f}"
                 for k in ("old", "new")]
        ratio = statistics.median(rates["new"]) / statistics.median(rates["old"])
        same = "" if attempts["old"] == attempts["new"] else f" (old: {attempts['old']})"
        print(f"{name:44} {attempts['new']:>9}{same} {cells[0]:>27} {cells[1]:>27} "
              f"{ratio:>5.2f}x", flush=True)
    print(f"load average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, policy, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
        print(json.dumps(child(kind, policy, size)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=DEFAULT_OLD, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--month", action="store_true",
                        help="also the 30-day, 100-agent predictive run")
    args = parser.parse_args()
    cases = {**CASES, **(MONTH if args.month else {})}
    with tempfile.TemporaryDirectory(prefix="engine-old-") as scratch:
        old_tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                        str(old_tree), args.old], check=True)
        try:
            compare(old_tree, args.rounds, cases)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old_tree)], check=False)


if __name__ == "__main__":
    main()
