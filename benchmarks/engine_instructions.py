"""Instructions per attempt of the simulated day's first hour, counted by callgrind.

    python benchmarks/engine_instructions.py [--old COMMIT ...] [--also DIR ...]
        [--accel [DIR] ...] [--policy progressive] [--hours 1] [--agents 100]

Deterministic whatever the machine's load (valgrind's callgrind, ``apt-get install
valgrind``): the simulation of ``bench_simulation.py``'s population (100 agents, the
first simulated hour by default) is built uninstrumented, then only ``Simulation.run`` is
counted (callgrind's ``--toggle-collect`` on the ``functools.reduce`` that calls it), so
the interpreter's start-up, the imports and the set-up are left out. Each old commit
(``--old``, repeatable) is checked out into a temporary ``git worktree``; the harness is
this tree's, the packages each tree's own. ``--also DIR`` counts another tree as it is
(a compiled copy of ``benchmarks/compile_trial.py``), after this one; ``--accel [DIR]``
counts this tree with its compiled engine loaded (the build in DIR, default ``dialer accel
build``'s; ``DIALER_ACCEL=on``: a stale or absent build stops the count). Prints the attempts,
the instructions of the run, per attempt, and the ratio of each tree's count to this one's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

PROBE = """\
import functools, os, subprocess, sys, time
sys.path.insert(0, HARNESS)
if os.environ.get("DIALER_ACCEL") == "on":
    from dialer.accel.loader import activate
    activate()
from engine_streams import POPULATION
from simulations.driver import Simulation
from simulations.scenario import scenario_from_tables

tables = {**POPULATION, "campaign": {"agents": AGENTS, "shift_hours": HOURS}}
simulation = Simulation(scenario_from_tables(tables), POLICY, seed=1)
subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
time.sleep(0.5)
tally = functools.reduce(lambda _, s: s.run(), [simulation], None)
print("ATTEMPTS", tally.dials)
if os.environ.get("DIALER_ACCEL") == "on":
    from dialer.accel.loader import engine_report
    assert engine_report()["compiled"], "the compiled engine did not run"
"""


def count(tree: Path, policy: str, hours: float, agents: int, scratch: Path,
          build: Path | None = None) -> tuple[int, int]:
    """(attempts, instructions) of one run in ``tree`` (with the compiled engine of
    ``build`` loaded, when given)."""
    out = scratch / f"callgrind-{tree.name}-{'accel-' if build else ''}{os.getpid()}"
    accel = {"DIALER_ACCEL": "off"} if build is None else {"DIALER_ACCEL": "on",
                                                           "DIALER_ACCEL_DIR": str(build)}
    probe = (PROBE.replace("HARNESS", repr(str(HERE))).replace("AGENTS", str(agents))
             .replace("HOURS", repr(hours)).replace("POLICY", repr(policy)))
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
         "--toggle-collect=functools_reduce", f"--callgrind-out-file={out}",
         sys.executable, "-c", probe],
        cwd=tree, capture_output=True, text=True, timeout=3600, check=True,
        env={**os.environ, **accel, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"})
    attempts = int(re.search(r"^ATTEMPTS (\d+)", result.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{tree}: no callgrind total in {out}")
    return attempts, int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", action="append", default=[], help="a commit (repeatable)")
    parser.add_argument("--also", type=Path, action="append", default=[],
                        help="another tree to count as it is, e.g. a compiled copy of "
                             "benchmarks/compile_trial.py (repeatable)")
    parser.add_argument("--accel", type=Path, action="append", nargs="?", const=None,
                        help="this tree with its compiled engine loaded: the build in DIR, "
                             "or the default one (dialer accel build); repeatable")
    parser.add_argument("--policy", default="progressive")
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--agents", type=int, default=100)
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("needs valgrind's callgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="engine-instr-") as scratch_dir:
        scratch = Path(scratch_dir)
        trees = {commit: scratch / f"tree-{index}" for index, commit in enumerate(args.old)}
        try:
            for commit, tree in trees.items():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach",
                                "--quiet", str(tree), commit], check=True)
            dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                    "dialer", "simulations", "pacing_models"],
                                   capture_output=True, text=True).stdout.strip()
            head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h"],
                                  capture_output=True, text=True).stdout.strip()
            trees["new"] = ROOT
            for extra in args.also:
                trees[str(extra.resolve())] = extra.resolve()
            builds: dict[str, Path] = {}
            if args.accel:
                sys.path.insert(0, str(ROOT))  # this tree's dialer, not an installed one
                from dialer.accel.cache import cache_dir

                for given in args.accel:
                    build = (cache_dir() if given is None else given).resolve()
                    builds[f"accel {build.name}"] = build
                    trees[f"accel {build.name}"] = ROOT
            print(f"{args.policy}, {args.agents} agents, first {args.hours:g} h; "
                  f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} "
                  f"(callgrind counts do not depend on it)")
            counts = {}
            for label, tree in trees.items():
                counts[label] = count(tree, args.policy, args.hours, args.agents, scratch,
                                      builds.get(label))
                print(f"  ({label}: {counts[label][1]:,} instructions, {counts[label][0]} "
                      "attempts)", flush=True)  # kept should a later tree fail
            new_per = counts["new"][1] / counts["new"][0]
            for label, (attempts, instructions) in counts.items():
                per = instructions / attempts
                name = f"{head}{' + changes' if dirty else ''}" if label == "new" else label
                print(f"  {name:>18}: {attempts:>7} attempts {instructions / 1e6:>9,.1f} M "
                      f"instructions {per / 1e3:>7,.1f} k per attempt"
                      f"  ({per / new_per:.2f}x of new)", flush=True)
        finally:
            for label, tree in trees.items():
                if label in args.old and tree.exists():
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(tree)], check=False)


if __name__ == "__main__":
    main()
