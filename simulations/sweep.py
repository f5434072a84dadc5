"""Parameter grids: every combination of ``--vary key=v1,v2`` × policies, run in processes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulations.errors import SimulationError


def parse_vary(specs: list[str]) -> list[tuple[str, list[float]]]:
    axes: list[tuple[str, list[float]]] = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        try:
            numbers = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            numbers = []
        if not sep or not key.strip() or not numbers:
            raise SimulationError(f"--vary {spec!r}: expected KEY=V1,V2,... with numbers")
        axes.append((key.strip(), numbers))
    return axes


def grid(axes: list[tuple[str, list[float]]]) -> Iterator[dict[str, float]]:
    names = [name for name, _ in axes]
    for combo in itertools.product(*(values for _, values in axes)):
        yield dict(zip(names, combo, strict=True))


def run_point(job: tuple[str, dict[str, float], str, int, int]) -> dict[str, Any]:
    from simulations.metrics import METRICS, replicate, summarise
    from simulations.scenario import load_scenario

    path, point, policy, replications, seed = job
    scenario = load_scenario(Path(path))
    for key, value in point.items():
        scenario = scenario.varied(key, value)
    summary = summarise(replicate(scenario, policy, replications, seed))
    row: dict[str, Any] = {**point, "policy": policy}
    for key in METRICS:
        row[key] = summary[key]["mean"]
        row[f"{key}_ci95"] = summary[key]["ci95"]
    return row
