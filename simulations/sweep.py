"""Parameter grids: every combination of ``--vary key=v1,v2`` × policies, run in processes.

An axis varies either the scenario (``agents``, ``amd.false_positive`` ...) or one policy's
parameter (``predictive.margin_z=2,3,4``). A policy axis multiplies only the ``--policy``
entries of that policy; the others run once per scenario point, their cell of that axis
empty (None), so a sweep of margin_z beside adaptive does not rerun adaptive three times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pacing_models.params import PARAMETERS, PolicySpec, parse_value
from simulations.errors import SimulationError

if TYPE_CHECKING:
    from simulations.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Axis:
    """One ``--vary``: a key and its values; ``policy`` is set for ``policy.param`` keys."""

    key: str
    values: tuple[Any, ...]
    policy: str | None = None

    @property
    def param(self) -> str:
        return self.key.partition(".")[2]


@dataclass(frozen=True, slots=True)
class Job:
    """One grid point of one policy: what a worker process runs."""

    scenario_path: str
    scenario_point: dict[str, float]
    policy_point: dict[str, Any]
    spec: PolicySpec
    """The policy with its parameters, the point's policy values included."""
    label: str
    """The ``--policy`` entry as given (the row's policy: one series per entry)."""
    replications: int
    seed: int
    limit_guard: bool = False
    """Run a guarded policy (``GUARDED_POLICIES``) behind the limit guard (``--limit-guard``)."""


def parse_vary(specs: list[str]) -> list[Axis]:
    axes: list[Axis] = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        key = key.strip()
        texts = [v for v in values.split(",") if v.strip()]
        if not sep or not key or not texts:
            raise SimulationError(f"--vary {spec!r}: expected KEY=V1,V2,...")
        if any(axis.key == key for axis in axes):
            raise SimulationError(f"--vary {key}: given twice")
        section, _, name = key.partition(".")
        _refuse_policy_slips(key, section, name, values)
        if section.lower() in PARAMETERS and name:
            policy = section.lower()
            parsed = tuple(parse_value(policy, name, t) for t in texts)
            _refuse_repeats(key, texts, parsed)
            axes.append(Axis(f"{policy}.{name}", parsed, policy))
            continue
        try:
            numbers = tuple(float(v) for v in texts)
        except ValueError:
            raise SimulationError(f"--vary {spec!r}: scenario values must be numbers") from None
        if not all(math.isfinite(v) for v in numbers):
            raise SimulationError(f"--vary {spec!r}: scenario values must be finite numbers")
        _refuse_repeats(key, texts, numbers)
        axes.append(Axis(key, numbers))
    return axes


def _refuse_policy_slips(key: str, section: str, name: str, values: str) -> None:
    """A policy's parameter named as a scenario key (``--vary margin_z=2,3``: "no such
    scenario key", or "scenario values must be numbers") or under a misspelt policy
    (``predictve.margin_z``): refused with the key to write."""
    import difflib

    if not name:
        owners = [policy for policy, table in PARAMETERS.items() if section in table]
        if owners:
            keys = " or ".join(f"--vary {policy}.{section}={values.strip()}"
                               for policy in owners)
            raise SimulationError(f"--vary {key}: {section} is a parameter of the "
                                  f"{' and '.join(owners)} pacing "
                                  f"polic{'y' if len(owners) == 1 else 'ies'}, not a "
                                  f"scenario key: write {keys}")
        return
    if section.lower() in PARAMETERS or section in ("campaign", "callees", "population",
                                                     "amd", "inbound"):
        return
    close = difflib.get_close_matches(section.lower(), list(PARAMETERS), 1)
    if close and name in PARAMETERS[close[0]]:
        raise SimulationError(f"--vary {key}: no pacing policy {section!r}; did you mean "
                              f"{close[0]}.{name}?")


def _refuse_repeats(key: str, texts: list[str], values: tuple[Any, ...]) -> None:
    """A value given twice (``agents=2,2``, or ``2,2.0``) would run the same grid point
    twice and table it as two: refused, naming it, rather than silently run or dropped."""
    seen: dict[Any, str] = {}
    for text, value in zip(texts, values, strict=True):
        if value in seen:
            same = "" if seen[value] == text.strip() else f" (as {seen[value]})"
            raise SimulationError(f"--vary {key}: the value {text.strip()} is given twice"
                                  f"{same}; each value is one grid point, name it once")
        seen[value] = text.strip()


def check_points(base: Scenario, axes: list[Axis], path: Path) -> None:
    """Each scenario value of the grid passes the checks its scenario file's value would
    (``agents = -5``, shares above 1, a fraction of an agent): ``varied`` set the value
    as given, so a sweep ran, and tabled figures for, scenarios no file may hold."""
    from simulations.errors import ScenarioError
    from simulations.scenario import scenario_from_tables
    from simulations.scenario_writer import scenario_tables

    for axis in axes:
        if axis.policy is not None:
            continue
        for value in axis.values:
            where = f"--vary {axis.key}={value:g}"
            varied = base.varied(axis.key, value)
            if value != int(value) and varied == base.varied(axis.key, int(value)):
                raise SimulationError(f"{where}: expected a whole number")
            try:
                scenario_from_tables(scenario_tables(varied), path)
            except ScenarioError as error:
                raise SimulationError(f"{where}: {error}") from None


def grid(axes: list[Axis]) -> Iterator[dict[str, Any]]:
    names = [axis.key for axis in axes]
    for combo in itertools.product(*(axis.values for axis in axes)):
        yield dict(zip(names, combo, strict=True))


def plan(path: str, axes: list[Axis], specs: list[PolicySpec], replications: int,
         seed: int, limit_guard: bool = False) -> list[Job]:
    """Every (scenario point, policy, policy point) to run, refused when ambiguous."""
    scenario_axes = [axis for axis in axes if axis.policy is None]
    policy_axes = [axis for axis in axes if axis.policy is not None]
    named = {spec.name for spec in specs}
    for axis in policy_axes:
        if axis.policy not in named:
            raise SimulationError(f"--vary {axis.key}: no --policy {axis.policy} to vary")
        for spec in specs:
            if spec.name == axis.policy and axis.param in spec.params:
                raise SimulationError(f"--vary {axis.key}: --policy {spec.label} already "
                                      f"sets {axis.param}")
    jobs = []
    for scenario_point in grid(scenario_axes):
        for spec in specs:
            mine = [axis for axis in policy_axes if axis.policy == spec.name]
            for policy_point in grid(mine):
                varied = spec
                for axis in mine:
                    varied = varied.with_param(axis.param, policy_point[axis.key])
                shown = {axis.key: policy_point.get(axis.key) for axis in policy_axes}
                jobs.append(Job(path, scenario_point, shown, varied, spec.label,
                                replications, seed, limit_guard))
    return jobs


def run_point(job: Job) -> dict[str, Any]:
    from simulations.metrics import METRICS, replicate, summarise
    from simulations.scenario import load_scenario

    scenario = load_scenario(Path(job.scenario_path))
    for key, value in job.scenario_point.items():
        scenario = scenario.varied(key, value)
    summary = summarise(replicate(scenario, job.spec.name, job.replications, job.seed,
                                  dict(job.spec.params), job.limit_guard))
    row: dict[str, Any] = {**job.scenario_point, **job.policy_point, "policy": job.label}
    for key in METRICS:
        row[key] = summary[key]["mean"]
        row[f"{key}_ci95"] = summary[key]["ci95"]
    return row
