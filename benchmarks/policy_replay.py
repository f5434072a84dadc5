"""The predictive policy alone: record its calls in a simulated campaign, replay them anywhere.

    python benchmarks/policy_replay.py record TRACE [--agents 100] [--hours 8] [--amd]
    python benchmarks/policy_replay.py replay TRACE [--callgrind]

``record`` runs ``bench_simulation.py``'s population through the real engine and keeps every
call the engine makes into ``PredictivePolicy`` (its parameters, each ``decide`` with its
``PacingState``, each ``observe_*``) with what it returned, in a pickle. ``replay`` feeds the
same calls, in order, to a fresh policy of the tree it runs in (``PYTHONPATH``) and checks
that every decision is the recorded one, explanation and expected abandons included, then
prints the calls' CPU time. The policy sees nothing but these calls, so a change that keeps
the replay identical keeps the campaign's decisions identical (the stream digests of
``engine_streams.py`` say the same of the whole engine, more slowly). With ``--callgrind``
under ``valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce``
only the calls are counted (the policy's own instructions, deterministic whatever the load):

    valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \\
        --toggle-collect=functools_reduce python benchmarks/policy_replay.py replay T --callgrind
"""

from __future__ import annotations

import argparse
import functools
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
METHODS = ("decide", "observe_attempt", "observe_handle", "observe_machine_routed",
           "observe_machine_handle", "observe_verdict")


def record(path: Path, agents: int, hours: float, amd: bool) -> None:
    sys.path.insert(0, str(HERE))
    from engine_streams import _AMD, POPULATION

    from pacing_models.predictive import PredictivePolicy
    from simulations.driver import Simulation
    from simulations.scenario import scenario_from_tables

    calls: list[tuple[str, Any, Any]] = []
    init = PredictivePolicy.__init__

    def recorded_init(self: PredictivePolicy, **params: Any) -> None:
        calls.append(("__init__", params, None))
        init(self, **params)

    def recorded(name: str) -> Any:
        method = getattr(PredictivePolicy, name)

        def call(self: PredictivePolicy, *args: Any) -> Any:
            result = method(self, *args)
            calls.append((name, args, result))
            return result
        return call

    PredictivePolicy.__init__ = recorded_init  # type: ignore[method-assign]
    for name in METHODS:
        setattr(PredictivePolicy, name, recorded(name))
    tables = {**POPULATION, **(_AMD if amd else {}),
              "campaign": {"agents": agents, "shift_hours": hours}}
    attempts = Simulation(scenario_from_tables(tables), "predictive", seed=1).run().dials
    if not calls or calls[0][0] != "__init__":
        raise SystemExit("no predictive policy was built")
    with path.open("wb") as out:
        pickle.dump(calls, out)
    decisions = sum(name == "decide" for name, _, _ in calls)
    print(f"{attempts} attempts, {decisions} decisions, {len(calls) - 1} calls -> {path}")


def _with_new_fields(recorded: list[tuple[str, Any, Any]]) -> None:
    """Give the states of a trace recorded before a ``PacingState`` field existed that
    field's default (a pickled slotted dataclass restores only the fields it had)."""
    import dataclasses

    for name, args, _ in recorded:
        if name != "decide":
            continue
        state = args[0]
        for field in dataclasses.fields(state):
            if not hasattr(state, field.name):
                object.__setattr__(state, field.name, field.default)


def replay(path: Path, callgrind: bool) -> None:
    from pacing_models.predictive import PredictivePolicy

    with path.open("rb") as source:
        recorded = pickle.load(source)
    _with_new_fields(recorded)
    policy = PredictivePolicy(**recorded[0][1])
    calls = [(getattr(policy, name), args) for name, args, _ in recorded[1:]]
    if callgrind:  # counted from here (--toggle-collect=functools_reduce)
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())],
                       capture_output=True, check=False)
    cpu = time.process_time()
    results = functools.reduce(
        lambda _, todo: [method(*args) for method, args in todo], [calls], [])
    cpu = time.process_time() - cpu
    wrong = [(name, want, got)
             for (name, _, want), got in zip(recorded[1:], results, strict=True)
             if got != want]
    decisions = sum(name == "decide" for name, _, _ in recorded[1:])
    print(f"{len(calls)} calls, {decisions} decisions, {len(wrong)} different, "
          f"{cpu:.3f} s CPU; load average "
          f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    if wrong:
        name, want, got = wrong[0]
        raise SystemExit(f"first difference, {name}: recorded {want!r}, now {got!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("trace", type=Path)
    rec.add_argument("--agents", type=int, default=100)
    rec.add_argument("--hours", type=float, default=8.0)
    rec.add_argument("--amd", action="store_true", help="the streams' AMD settings")
    rep = commands.add_parser("replay")
    rep.add_argument("trace", type=Path)
    rep.add_argument("--callgrind", action="store_true",
                     help="turn callgrind's instrumentation on for the calls")
    args = parser.parse_args()
    if args.command == "record":
        record(args.trace, args.agents, args.hours, args.amd)
    else:
        replay(args.trace, args.callgrind)


if __name__ == "__main__":
    main()
