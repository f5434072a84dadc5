"""The engine's and the simulator's speed at an older commit and now, side by side in one run.

    python benchmarks/compare_engine_speed.py [--old COMMIT ...] [--also DIR ...]
        [--accel [DIR] ...] [--rounds 3] [--month]

Checks each old commit (``--old``, repeatable) out into a temporary ``git worktree``
(removed at the end), then runs each case in a fresh process per tree, alternating the old
trees and this one in every round so all see the same machine load, and prints attempts per
CPU second (the best and the median of the rounds), the ratio of this tree to each old one,
and the load average (``os.getloadavg``) before and after. The harness is this tree's for
all (the simulation's scenario, ``bench_engine``'s world); only the packages imported
(``dialer``, ``simulations``, ``pacing_models``) come from each tree. ``--also DIR``
(repeatable): more trees measured in the same rounds, after this one (for instance copies
of this tree whose hot modules were compiled, untyped and typed: benchmarks/
compile_trial.py), each labelled by its directory's name, with its ratio to this one.
``--accel [DIR]`` (repeatable): this tree once more with its compiled engine loaded (the
build of ``dialer accel build``, or of ``compile_trial.py DIR``; ``DIALER_ACCEL=on``, so a
stale or absent build stops the run rather than measure pure Python under its name),
labelled ``accel`` (``accel-NAME`` for several). ``--old-accel DIR``: the first old
commit's tree once more with its own compiled engine (a build of that commit: ``dialer
accel build`` run in a checkout of it, with ``DIALER_ACCEL_DIR=DIR``), labelled
``COMMIT-accel``, so that an old and a new build are compared in the same rounds.

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
    compiled = False
    if os.environ.get("DIALER_ACCEL") == "on":  # only this tree has the loader
        from dialer.accel.loader import activate

        compiled = activate().compiled
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
    result = {"attempts": attempts, "cpu": time.process_time() - cpu,
              "wall": time.perf_counter() - started}
    if compiled:
        from dialer.accel.loader import engine_report

        if not engine_report()["compiled"]:
            raise SystemExit("the compiled engine was asked for and did not run")
    return result


def measure(tree: Path | tuple[Path, Path], case: tuple[str, str, int]) -> dict[str, float]:
    """One case in a child; ``tree`` a directory, or (this tree, a compiled build)."""
    env = {**os.environ, "DIALER_ACCEL": "off"}
    if isinstance(tree, tuple):
        tree, build = tree
        env.update(DIALER_ACCEL="on", DIALER_ACCEL_DIR=str(build))
    env["PYTHONPATH"] = str(tree)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *map(str, case)],
        env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def commit_of(tree: Path) -> str:
    return subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %cs"],
                          capture_output=True, text=True, check=True).stdout.strip()


def also_labels(also: list[Path]) -> dict[str, Path]:
    """Each ``--also`` tree by its directory's name (``alsoN``, N its place, when that name
    is taken)."""
    labels: dict[str, Path] = {}
    for index, tree in enumerate(also):
        label = tree.resolve().name or "also"
        labels[label if label not in labels and label != "new" else f"also{index + 1}"] = tree
    return labels


def accel_labels(builds: list[Path]) -> dict[str, tuple[Path, Path]]:
    """``--accel`` builds: ``accel``, or ``accel-NAME`` (NAME the directory's) for several."""
    if len(builds) == 1:
        return {"accel": (ROOT, builds[0])}
    return {f"accel-{label}": (ROOT, build) for label, build in also_labels(builds).items()}


def compare(old_trees: dict[str, Path | tuple[Path, Path]], rounds: int,
            cases: dict[str, tuple[str, str, int]], also: list[Path] | None = None,
            accel: list[Path] | None = None) -> None:
    extra: dict[str, Path | tuple[Path, Path]] = {**also_labels(also or []),
                                                  **accel_labels(accel or [])}
    trees = {**old_trees, "new": ROOT, **extra}
    for label, tree in old_trees.items():
        if isinstance(tree, tuple):
            print(f"{label}: {commit_of(tree[0])}, compiled engine of {tree[1]}")
        else:
            print(f"{label}: {commit_of(tree)} ({tree})")
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                            "dialer", "simulations", "pacing_models"],
                           capture_output=True, text=True).stdout.strip()
    print(f"new: {commit_of(ROOT)}{' + uncommitted changes' if dirty else ''} ({ROOT})")
    for label, tree in extra.items():
        shown = f"this tree, compiled engine of {tree[1]}" if isinstance(tree, tuple) else tree
        print(f"{label}: {shown}")
    print(f"load average before: {'/'.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores; {rounds} round(s), {', '.join(trees)} alternating")
    print("attempts per CPU second: best, median of the rounds; ratios of the medians")
    for name, case in cases.items():
        rates: dict[str, list[float]] = {label: [] for label in trees}
        attempts: dict[str, int] = {}
        for _ in range(rounds):
            for label, tree in trees.items():
                result = measure(tree, case)
                rates[label].append(result["attempts"] / result["cpu"])
                attempts[label] = int(result["attempts"])
        median = {label: statistics.median(rates[label]) for label in trees}
        print(f"{name} ({attempts['new']} attempts)")
        for label in trees:
            ratios = "" if label in old_trees else "  " + ", ".join(
                f"{median[label] / median[other]:.2f}x vs {other}"
                for other in trees
                if other in old_trees or (label in extra and other == "new"))
            moved = "" if attempts[label] == attempts["new"] else f" ({attempts[label]} attempts)"
            print(f"  {label:>14}: {max(rates[label]):>9,.0f} {median[label]:>9,.0f}{ratios}"
                  f"{moved}", flush=True)
    print(f"load average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


def accel_builds(given: list[Path | None] | None) -> list[Path]:
    """``--accel``'s directories, the default cache's for a bare ``--accel``."""
    if not given:
        return []
    sys.path.insert(0, str(ROOT))  # this tree's dialer, not an installed one
    from dialer.accel.cache import cache_dir

    return [(cache_dir() if path is None else path).resolve() for path in given]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, policy, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
        print(json.dumps(child(kind, policy, size)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", action="append",
                        help=f"a commit to compare with (repeatable; default {DEFAULT_OLD})")
    parser.add_argument("--also", type=Path, action="append",
                        help="one more tree measured in the same rounds (not checked out; "
                             "repeatable)")
    parser.add_argument("--accel", type=Path, action="append", nargs="?",
                        const=None, help="this tree with its compiled engine loaded: the "
                        "build in DIR, or the default one (dialer accel build); repeatable")
    parser.add_argument("--old-accel", type=Path,
                        help="the first old commit once more with its compiled engine: the "
                        "build in DIR (a build of that commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--month", action="store_true",
                        help="also the 30-day, 100-agent predictive run")
    args = parser.parse_args()
    cases = {**CASES, **(MONTH if args.month else {})}
    olds = args.old or [DEFAULT_OLD]
    with tempfile.TemporaryDirectory(prefix="engine-old-") as scratch:
        old_trees = {commit: Path(scratch) / f"tree-{index}" for index, commit in enumerate(olds)}
        try:
            for commit, tree in old_trees.items():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach",
                                "--quiet", str(tree), commit], check=True)
            measured: dict[str, Path | tuple[Path, Path]] = dict(old_trees)
            if args.old_accel is not None:
                measured[f"{olds[0]}-accel"] = (old_trees[olds[0]], args.old_accel.resolve())
            compare(measured, args.rounds, cases, args.also, accel_builds(args.accel))
        finally:
            for tree in old_trees.values():
                if tree.exists():
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(tree)], check=False)


if __name__ == "__main__":
    main()
