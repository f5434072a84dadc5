"""Digests of the engine's command stream on fixed campaigns: a speed-up must not change it.

    python benchmarks/engine_streams.py [--small] [NAME ...]

Runs fixed, seeded campaigns through the real engine (the simulator's driver and the
minimal world of ``bench_engine.py``) and hashes every command the engine emits, in order,
by its ``repr`` (a command's ``at`` is its time, so the digest covers what was decided and
when). Prints one line per campaign: its name, the number of commands and attempts, and
the SHA-256. ``tests/simulations/test_engine_stream_hashes.py`` holds the digests of the
small campaigns (seconds); the big ones (a simulated day of 20 and 100 agents) are checked
by hand before and after a change to the engine or the driver.

A digest covers what ``Engine.handle`` and ``Engine.tick`` return, whoever calls them: a
driver may call ``tick`` more or less often without changing it, as long as the engine
decides the same things at the same times.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if (os.environ.get("DIALER_ACCEL") or "off") != "off":
    # Pure Python unless asked: DIALER_ACCEL=on (with DIALER_ACCEL_DIR) hashes the compiled
    # engine's streams, which must be the same (docs/engine.md, "Eleventh step"). Imported
    # only then: other benchmarks import this module with an older tree's packages.
    from dialer.accel.loader import activate

    activate()

from dialer.engine import Engine

POPULATION: dict[str, Any] = {
    "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                "no_answer_timeout": 25, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
               "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
}
"""The population of ``bench_simulation.py`` (and of simulations/scenarios/outbound.toml)."""


@dataclass(frozen=True)
class Campaign:
    """One fixed run: a simulated campaign, or ``bench_engine``'s world (``world=True``)."""

    policy: str = "progressive"
    agents: int = 20
    hours: float = 8.0
    seed: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    """The policy's parameters."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Scenario tables merged over the population's (``amd``, ``inbound``)."""
    scenario_file: str | None = None
    """A scenario under simulations/scenarios/ instead (agents and hours ignored)."""
    world: bool = False
    attempts: int = 0
    """``world``: stop after this many attempts."""


_AMD = {"amd": {"enabled": True, "false_positive": 0.05, "false_negative": 0.1}}
_INBOUND = {"inbound": {"calls_per_hour": 60.0,
                        "patience": {"dist": "exponential", "mean": 60.0}}}

CAMPAIGNS: dict[str, Campaign] = {
    # Small: the test's (a few seconds together).
    "progressive-10x1h": Campaign("progressive", 10, 1.0),
    "predictive-20x2h": Campaign("predictive", 20, 2.0),
    "power-10x1h": Campaign("power", 10, 1.0, params={"lines_per_agent": 2.5}),
    "adaptive-10x1h": Campaign("adaptive", 10, 1.0),
    "predictive-amd-10x1h": Campaign("predictive", 10, 1.0, extra=_AMD),
    "progressive-inbound-10x1h": Campaign("progressive", 10, 1.0, extra=_INBOUND),
    "world-100x5k": Campaign(agents=100, world=True, attempts=5_000),
    # Big: the benchmark campaigns (a simulated day).
    "progressive-100x8h": Campaign("progressive", 100, 8.0),
    "predictive-100x8h": Campaign("predictive", 100, 8.0),
    "progressive-20x8h": Campaign("progressive", 20, 8.0),
    "predictive-20x8h": Campaign("predictive", 20, 8.0),
    "predictive-amd-20x8h": Campaign("predictive", 20, 8.0, extra=_AMD),
    "progressive-inbound-20x8h": Campaign("progressive", 20, 8.0, extra=_INBOUND),
    "blended": Campaign("predictive", scenario_file="blended.toml"),
    "world-100x200k": Campaign(agents=100, world=True, attempts=200_000),
}
SMALL = tuple(CAMPAIGNS)[:7]


@dataclass(frozen=True)
class Digest:
    name: str
    commands: int
    attempts: int
    sha256: str


@contextlib.contextmanager
def recording(on_commands: Callable[[list[Any]], None]) -> Iterator[None]:
    """Every ``Engine.handle``/``Engine.tick`` result goes to ``on_commands`` meanwhile."""
    handle, tick = Engine.handle, Engine.tick

    def recorded_handle(self: Engine, event: Any) -> list[Any]:
        out = handle(self, event)
        on_commands(out)
        return out

    def recorded_tick(self: Engine, now: float) -> list[Any]:
        out = tick(self, now)
        on_commands(out)
        return out

    try:
        Engine.handle, Engine.tick = recorded_handle, recorded_tick  # type: ignore[method-assign]
    except TypeError:
        # A native ``Engine`` (the typed copy of benchmarks/compile_trial.py) is an
        # immutable type: the drivers build a recording subclass instead.
        with _recording_subclass(recorded_handle, recorded_tick):
            yield
        return
    try:
        yield
    finally:
        Engine.handle, Engine.tick = handle, tick  # type: ignore[method-assign]


@contextlib.contextmanager
def _recording_subclass(recorded_handle: Callable[..., list[Any]],
                        recorded_tick: Callable[..., list[Any]]) -> Iterator[None]:
    import simulations.driver as driver

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import bench_engine
    finally:
        sys.path.pop(0)
    recorded = type("RecordedEngine", (Engine,),
                    {"handle": recorded_handle, "tick": recorded_tick})
    modules = (driver, bench_engine)
    for module in modules:
        module.Engine = recorded  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in modules:
            module.Engine = Engine  # type: ignore[attr-defined]


def _scenario(campaign: Campaign) -> Any:
    from simulations.scenario import load_scenario, scenario_from_tables

    if campaign.scenario_file is not None:
        root = Path(__file__).resolve().parent.parent
        return load_scenario(root / "simulations" / "scenarios" / campaign.scenario_file)
    tables = {**POPULATION, **campaign.extra,
              "campaign": {"agents": campaign.agents, "shift_hours": campaign.hours}}
    return scenario_from_tables(tables)


def run_campaign(campaign: Campaign) -> int:
    """Run one campaign; the number of dial attempts."""
    if campaign.world:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        try:
            from bench_engine import run
        finally:
            sys.path.pop(0)
        with contextlib.redirect_stdout(io.StringIO()):
            return run(campaign.attempts, campaign.agents, campaign.seed)
    from simulations.driver import Simulation

    return Simulation(_scenario(campaign), campaign.policy, seed=campaign.seed,
                      params=campaign.params).run().dials


ROOT = str(Path(__file__).resolve().parent.parent)
"""The checkout's root: commands that name files (a scenario's prompts) carry absolute paths."""


def digest(name: str) -> Digest:
    """The digest of one named campaign's command stream.

    The checkout's root is written ``<root>`` in each command's ``repr``, so the digest of a
    campaign whose commands name files (the blended scenario plays prompts) is the same in
    every clone.
    """
    sha = hashlib.sha256()
    commands = 0

    def take(out: list[Any]) -> None:
        nonlocal commands
        commands += len(out)
        for command in out:
            sha.update(repr(command).replace(ROOT, "<root>").encode())
            sha.update(b"\n")

    with recording(take):
        attempts = run_campaign(CAMPAIGNS[name])
    return Digest(name, commands, attempts, sha.hexdigest())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*",
                        help=f"campaigns (default: all): {', '.join(CAMPAIGNS)}")
    parser.add_argument("--small", action="store_true", help="only the test's campaigns")
    args = parser.parse_args()
    names = args.names or (SMALL if args.small else tuple(CAMPAIGNS))
    from dialer.accel.loader import engine_line, engine_report

    for name in names:
        started = time.perf_counter()
        d = digest(name)
        print(f"{d.name:28} {d.commands:>9} commands {d.attempts:>8} attempts  {d.sha256}"
              f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    print(engine_line(engine_report()))


if __name__ == "__main__":
    main()
