"""The hindsight anchor: the highest fixed dial level a scenario affords (``--best-static``).

A supervisor with perfect foresight could set one dial level by hand (VICIdial's RATIO
method: lines per active agent, ``pacing_models.policies.RatioPolicy``) and leave it. The
best such level is the highest one whose every replication, on the same common random
numbers as the policies it is compared with, keeps the worst measurement window at or below
the abandonment limit. A pacing model earns its complexity only by talking more than that.

The levels searched are a grid ``1, 1 + step, 1 + 2·step, ... ≤ top``. Level 1 is
progressive dialing. The search brackets the boundary by doubling the step count from the
last feasible level, then bisects: about 2·log₂(levels) evaluations instead of one per
level. It assumes feasibility is monotone in the level (more lines per agent, more people
left waiting), which common random numbers make nearly exact (the same callees answer at
the same moments); ``exhaustive`` evaluates every level, and tests/simulations checks that
the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulations.errors import SimulationError

Runs = Sequence[Mapping[str, Any]]
"""The per-replication metrics (``simulations.metrics.run_metrics``) at one level."""


@dataclass(frozen=True, slots=True)
class LevelGrid:
    """Dial levels ``1 + i·step`` for ``i = 0 … count − 1`` (none above ``top``)."""

    step: float = 0.01
    top: float = 30.0

    def __post_init__(self) -> None:
        if not 0.0 < self.step <= 10.0:
            raise SimulationError(f"--static-step must be in (0, 10], got {self.step}")
        if not 1.0 <= self.top <= 50.0:
            raise SimulationError(f"--static-top must be in [1, 50], got {self.top}")

    @property
    def count(self) -> int:
        return int((self.top - 1.0) / self.step + 1e-9) + 1

    def level(self, index: int) -> float:
        return round(1.0 + index * self.step, 9)


@dataclass(slots=True)
class BestStatic:
    """The result: the best level (None when even level 1 breaks the limit) and what was
    evaluated on the way (level → worst window abandonment over the replications)."""

    level: float | None
    runs: Runs
    """The replications at ``level`` (empty when there is none)."""
    limit: float
    grid: LevelGrid
    worst_by_level: dict[float, float] = field(default_factory=dict)

    @property
    def at_top(self) -> bool:
        """The highest level of the grid was still within the limit (the best is ≥ it)."""
        return self.level is not None and self.level >= self.grid.level(self.grid.count - 1)


class _Evaluations:
    def __init__(self, evaluate: Callable[[float], Runs], limit: float, grid: LevelGrid):
        self.evaluate, self.limit, self.grid = evaluate, limit, grid
        self.runs: dict[int, Runs] = {}
        self.worst: dict[float, float] = {}

    def feasible(self, index: int) -> bool:
        if index not in self.runs:
            level = self.grid.level(index)
            runs = self.evaluate(level)
            self.runs[index] = runs
            self.worst[level] = max(float(r["max_window_abandon_rate"]) for r in runs)
        # At or below the limit, as the law reads (and the quality suite judges).
        return self.worst[self.grid.level(index)] <= self.limit + 1e-12

    def result(self, index: int | None) -> BestStatic:
        if index is None:
            return BestStatic(None, [], self.limit, self.grid, dict(sorted(self.worst.items())))
        return BestStatic(self.grid.level(index), self.runs[index], self.limit, self.grid,
                          dict(sorted(self.worst.items())))


def search(evaluate: Callable[[float], Runs], limit: float,
           grid: LevelGrid = LevelGrid()) -> BestStatic:
    """Highest feasible level by bracketing and bisection (see the module docstring)."""
    ev = _Evaluations(evaluate, limit, grid)
    last = grid.count - 1
    if not ev.feasible(0):
        return ev.result(None)
    good, stride = 0, 1
    bad: int | None = None
    while bad is None:
        probe = min(good + stride, last)
        if probe == good:
            return ev.result(good)  # the top of the grid is feasible
        if ev.feasible(probe):
            good, stride = probe, stride * 2
        else:
            bad = probe
    while bad - good > 1:
        middle = (good + bad) // 2
        if ev.feasible(middle):
            good = middle
        else:
            bad = middle
    return ev.result(good)


def exhaustive(evaluate: Callable[[float], Runs], limit: float,
               grid: LevelGrid = LevelGrid()) -> BestStatic:
    """Every level of the grid evaluated; the highest feasible one (for checking ``search``)."""
    ev = _Evaluations(evaluate, limit, grid)
    feasible = [i for i in range(grid.count) if ev.feasible(i)]
    return ev.result(feasible[-1] if feasible else None)
