"""The dial-time gate's speed on two trees side by side, in one run (run: python
benchmarks/compare_dial_gate.py OLD_TREE [--rounds N] [--national N]).

Runs ``benchmarks/bench_dial_gate.py`` of OLD_TREE (e.g. a ``git archive`` of an older
commit) and of this tree alternately, ``--rounds`` times each, on the same machine, and
prints each figure's median over the rounds: old, new and new/old. Each tree runs its own
benchmark with its own code (the new one's leads carry line types and consents, since the
new rules need them). The load average is printed with the figures: on a shared machine
they are noisy, and p99 most of all.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "check p50 (us)": r"check, audit buffered: .*?p50 (\d+) us",
    "check p99 (us)": r"check, audit buffered: .*?p99 (\d+) us",
    "checks/s": r"check, audit buffered: ([\d,]+) checks/s",
    "check+fsync p50 (us)": r"synchronous audit write \(fsync\): .*?p50 (\d+) us",
    "check+write p50 (us)": r"synchronous audit write \(no fsync\): .*?p50 (\d+) us",
    "check+write p99 (us)": r"synchronous audit write \(no fsync\): .*?p99 (\d+) us",
    "prefetch 50 (ms)": r"prefetch of 50 leads: batched ([\d.]+) ms",
    "flush 50 (ms)": r"flush_audit of 50 decisions \(fsync\): median ([\d.]+) ms",
}


def run(tree: Path, national: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, str(tree / "benchmarks" / "bench_dial_gate.py"), "--national",
         str(national)], cwd=tree, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "PYTHONPATH": str(tree)})
    if result.returncode != 0:
        raise SystemExit(f"{tree}: benchmark failed:\n{result.stderr[-2000:]}")
    found = {}
    for name, pattern in FIGURES.items():
        match = re.search(pattern, result.stdout)
        if match:
            found[name] = float(match.group(1).replace(",", ""))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=Path, help="The older tree (its own benchmark runs).")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--national", type=int, default=5_000_000)
    args = parser.parse_args()
    loads = [os.getloadavg()]
    old: list[dict[str, float]] = []
    new: list[dict[str, float]] = []
    for _ in range(args.rounds):
        old.append(run(args.old.resolve(), args.national))
        loads.append(os.getloadavg())
        new.append(run(ROOT, args.national))
        loads.append(os.getloadavg())
    print(f"dial-time gate, {args.rounds} rounds each, median per figure; load average "
          "(1 min) during the run: " + ", ".join(f"{load[0]:.2f}" for load in loads))
    print(f"{'figure':24} {'old':>10} {'new':>10} {'new/old':>8}")
    for name in FIGURES:
        before = [r[name] for r in old if name in r]
        after = [r[name] for r in new if name in r]
        if not before or not after:
            continue
        a, b = statistics.median(before), statistics.median(after)
        print(f"{name:24} {a:>10,.1f} {b:>10,.1f} {b / a if a else float('nan'):>8.2f}")


if __name__ == "__main__":
    main()
