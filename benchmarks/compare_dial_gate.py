"""The dial-time gate's speed on two trees side by side, in one run (run: python
benchmarks/compare_dial_gate.py OLD [--rounds N] [--national N]).

OLD is a source tree or a git revision of this repository (e.g. ``main``, ``2ef9f56``:
exported with ``git archive`` into a temporary directory). Runs
``benchmarks/bench_dial_gate.py`` of OLD and of this tree alternately, ``--rounds`` times
each, on the same machine, and prints each figure's median over the rounds: old, new and
new/old. Each tree runs its own benchmark with its own code (the new one's leads carry line
types and consents, since the new rules need them). The load average is printed with the
figures: on a shared machine they are noisy, wall-clock p99 most of all (it is the OS
pre-empting the process), so the check's CPU time (p50, p99) is measured too, on each
tree's own set-up.

``--instructions`` adds a figure that does not depend on the load at all: the instructions
one check executes, counted by valgrind's callgrind (``apt-get install valgrind``) on each
tree's own set-up (``--instructions-national`` numbers, 2,000 leads), over 2,000 checks with
the audit buffer flushed every 50 as the runner does; with the garbage collector running
(what a check costs on average, the collector's share included) and with it stopped (the
check's own work). Runs once per tree (the count does not vary between runs), about a
minute each.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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


GATE_SETUP = """
import functools, gc, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, "benchmarks")
import bench_dial_gate as bench
from campaigns.compliance import lead_facts
from dialer.ports import DialTarget
from dialer.runner.dial_gate import build_dial_gate
from dnc.internal import InternalDnc
with tempfile.TemporaryDirectory() as directory:
    data = Path(directory)
    store, _ = bench.build(data, LEADS, NATIONAL)
    internal = InternalDnc(data / "dnc" / "internal.db")
    listed = getattr(internal, "is_listed", None)  # the runner's own check, in each tree
    if hasattr(internal, "listing"):  # the runner's call since the gate reads the list itself
        gate = build_dial_gate(store, "bench", data, None, internal)
    else:
        gate = build_dial_gate(store, "bench", data,
                               listed or (lambda n: internal.entry(n) is not None))
    claims = store.claim_leads("bench", LEADS, owner="bench", now=bench.AT)
    items = [(DialTarget(str(c.lead_id), c.phone, "bench"), lead_facts(c)) for c in claims]
    for start in range(0, len(items), 50):
        gate.prefetch(items[start:start + 50], bench.AT)
    targets = [t for t, _ in items]
"""
"""Both probes' set-up, each tree's own benchmark data and gate (LEADS leads, NATIONAL
registry numbers): the probes differ only in what they measure after it."""

CPU_PROBE = GATE_SETUP.replace("LEADS", "4000") + """\
    for target in targets[:200]:
        gate.check(target, bench.AT.timestamp())
    cpu = []
    for _ in range(3):
        for target in targets:
            t0 = time.thread_time()
            gate.check(target, bench.AT.timestamp())
            cpu.append(time.thread_time() - t0)
        gate.flush_audit()
    cpu.sort()
    print(f"cpu p50 {statistics.median(cpu) * 1e6:.0f} us p99 "
          f"{cpu[int(len(cpu) * 0.99)] * 1e6:.0f} us")
"""
"""The check's CPU time (``time.thread_time``: what the check itself costs, without the time
the process waits while the OS runs others), with each tree's own benchmark set-up."""
CPU_FIGURES = {"check CPU p50 (us)": r"cpu p50 (\d+) us", "check CPU p99 (us)": r"p99 (\d+) us"}


INSTRUCTIONS_PROBE = GATE_SETUP.replace("LEADS", "2000") + """\
    at = bench.AT.timestamp()
    for target in targets:
        gate.check(target, at)
    gate.flush_audit()
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
    time.sleep(0.5)

    def step(_, target):
        gate.check(target, at)

    for collector in (True, False):  # counted: the checks, not the flushes between batches
        gc.enable() if collector else gc.disable()
        for start in range(0, len(targets), 50):
            functools.reduce(step, targets[start:start + 50], None)
            gate.flush_audit()
    gc.enable()
    gate.close()
    internal.close()
    store.close()
"""
"""Counted only inside ``functools.reduce`` (callgrind's ``--toggle-collect``), one profile
dumped after each batch of 50 checks (40 with the collector running, then 40 with it
stopped); instrumentation is switched on just before them, so the set-up runs at valgrind's
uninstrumented speed."""
INSTRUCTION_FIGURES = ("check instructions (gc on)", "check instructions (gc off)")


def run_instructions(tree: Path, national: int, scratch: Path) -> dict[str, float]:
    """Instructions per check under callgrind (see ``INSTRUCTIONS_PROBE``)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    out = scratch / f"callgrind-{tree.name}-{os.getpid()}"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
         "--toggle-collect=functools_reduce", "--dump-after=functools_reduce",
         f"--callgrind-out-file={out}", sys.executable, "-c",
         INSTRUCTIONS_PROBE.replace("NATIONAL", str(national))],
        cwd=tree, capture_output=True, text=True, timeout=3600, check=True,
        env={**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"})
    totals = []
    for dump in sorted(scratch.glob(f"{out.name}.*"), key=lambda p: int(p.suffix[1:])):
        match = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.MULTILINE)
        if match and int(match.group(1)):
            totals.append(int(match.group(1)))
    if len(totals) != 80:
        raise SystemExit(f"{tree}: expected 80 callgrind dumps (batches), found {len(totals)}")
    return {INSTRUCTION_FIGURES[0]: sum(totals[:40]) / 2000,
            INSTRUCTION_FIGURES[1]: sum(totals[40:]) / 2000}


def run_cpu(tree: Path, national: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CPU_PROBE.replace("NATIONAL", str(national))], cwd=tree,
        capture_output=True, text=True, timeout=1800,
        env={**os.environ, "PYTHONPATH": str(tree)})
    if result.returncode != 0:
        raise SystemExit(f"{tree}: CPU probe failed:\n{result.stderr[-2000:]}")
    return {name: float(re.search(pattern, result.stdout).group(1))
            for name, pattern in CPU_FIGURES.items()}


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


def old_tree(old: str, scratch: Path) -> Path:
    """``old`` when it is a directory, else that git revision exported into ``scratch``."""
    if Path(old).is_dir():
        return Path(old).resolve()
    scratch.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", old], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    return scratch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", help="The older tree, or a git revision of this repository "
                        "(its own benchmark runs).")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--national", type=int, default=5_000_000)
    parser.add_argument("--instructions", action="store_true",
                        help="Also count each check's instructions under callgrind.")
    parser.add_argument("--instructions-national", type=int, default=100_000,
                        help="National numbers of the callgrind set-up (valgrind is slow).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="compare-gate-") as scratch:
        compare(old_tree(args.old, Path(scratch) / "old"), args, Path(scratch))


def compare(old_root: Path, args: argparse.Namespace, scratch: Path) -> None:
    loads = [os.getloadavg()]
    old: list[dict[str, float]] = []
    new: list[dict[str, float]] = []
    for _ in range(args.rounds):
        old.append({**run(old_root, args.national), **run_cpu(old_root, args.national)})
        loads.append(os.getloadavg())
        new.append({**run(ROOT, args.national), **run_cpu(ROOT, args.national)})
        loads.append(os.getloadavg())
    print(f"dial-time gate, old {args.old} vs this tree, {args.rounds} rounds each, median per "
          "figure; load average (1 min) during the run: "
          + ", ".join(f"{load[0]:.2f}" for load in loads))
    if args.instructions:
        old[0].update(run_instructions(old_root, args.instructions_national, scratch))
        new[0].update(run_instructions(ROOT, args.instructions_national, scratch))
        print(f"instructions counted by callgrind ({args.instructions_national:,} national "
              "numbers, 2,000 checks, once per tree)")
    print(f"{'figure':27} {'old':>10} {'new':>10} {'new/old':>8}")
    for name in [*FIGURES, *CPU_FIGURES, *INSTRUCTION_FIGURES]:
        before = [r[name] for r in old if name in r]
        after = [r[name] for r in new if name in r]
        if not before or not after:
            continue
        a, b = statistics.median(before), statistics.median(after)
        print(f"{name:27} {a:>10,.1f} {b:>10,.1f} {b / a if a else float('nan'):>8.2f}")


if __name__ == "__main__":
    main()
