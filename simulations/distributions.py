"""Time distributions named in scenario files, behind one small protocol.

Every distribution is a scipy.stats frozen law (or a degenerate/empirical one with the same
face): ``sample(rng, n)`` draws a numpy vector from a ``numpy.random.Generator`` and
``mean`` is its expectation (closed forms in the validation tests use it). Lognormal and
gamma are given by mean and standard deviation, as analysts measure them, and converted
to scipy's shape/scale here (lognormal: σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2;
gamma: k = (mean/sd)², θ = sd²/mean).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from simulations.errors import ScenarioError


class Distribution(Protocol):
    """A non-negative time law in seconds."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Fixed:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)


@dataclass(frozen=True, slots=True)
class ScipyLaw:
    """A scipy.stats frozen distribution, clipped at zero (times are never negative)."""

    name: str
    frozen: Any

    @property
    def mean(self) -> float:
        return float(self.frozen.mean())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.maximum(np.asarray(self.frozen.rvs(size=n, random_state=rng), float), 0.0)


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resampling of observed values (each equally likely)."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, float), size=n)


def _number(spec: Mapping[str, Any], key: str, where: str, positive: bool = False) -> float:
    if key not in spec:
        raise ScenarioError(f"{where}: missing '{key}'")
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}.{key}: expected a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ScenarioError(f"{where}.{key}: must be {'> 0' if positive else '>= 0'}")
    return float(value)


def _read_csv(path: Path, where: str) -> tuple[float, ...]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise ScenarioError(f"{where}.csv: cannot read {path}: {error}") from None
    values: list[float] = []
    for line, row in enumerate(rows, start=1):
        if not row or not row[0].strip():
            continue
        try:
            values.append(float(row[0]))
        except ValueError:
            if line == 1:
                continue  # a header
            raise ScenarioError(f"{path}:{line}: not a number: {row[0]!r}") from None
    return tuple(values)


def parse_distribution(spec: Any, where: str, base_dir: Path | None = None) -> Distribution:
    """A distribution from a scenario value: a bare number (fixed) or an inline table.

    ``where`` names the file and key for error messages, e.g. ``"shop.toml: [agents].talk"``.
    """
    from scipy import stats

    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Fixed(_number({"value": spec}, "value", where))
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise ScenarioError(f"{where}: expected a number or a table with 'dist', got {spec!r}")
    kind = str(spec["dist"]).lower()
    if kind == "fixed":
        return Fixed(_number(spec, "value", where))
    if kind == "exponential":
        return ScipyLaw(kind, stats.expon(scale=_number(spec, "mean", where, positive=True)))
    if kind in ("lognormal", "gamma"):
        mean = _number(spec, "mean", where, positive=True)
        sd = _number(spec, "sd", where)
        if sd == 0:
            return Fixed(mean)
        if kind == "lognormal":
            sigma2 = math.log1p((sd / mean) ** 2)
            return ScipyLaw(kind, stats.lognorm(s=math.sqrt(sigma2),
                                                scale=math.exp(math.log(mean) - sigma2 / 2)))
        return ScipyLaw(kind, stats.gamma(a=(mean / sd) ** 2, scale=sd * sd / mean))
    if kind == "uniform":
        low, high = _number(spec, "low", where), _number(spec, "high", where)
        if high < low:
            raise ScenarioError(f"{where}.high: must be >= low ({low})")
        return ScipyLaw(kind, stats.uniform(loc=low, scale=high - low))
    if kind == "empirical":
        if "values" in spec:
            raw = spec["values"]
            if not isinstance(raw, list) or not raw:
                raise ScenarioError(f"{where}.values: expected a non-empty list of numbers")
            values = tuple(_number({"v": v}, "v", f"{where}.values") for v in raw)
        elif "csv" in spec:
            path = Path(str(spec["csv"]))
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            values = _read_csv(path, where)
            if not values:
                raise ScenarioError(f"{where}.csv: {path} holds no values")
        else:
            raise ScenarioError(f"{where}: empirical needs 'values' or 'csv'")
        if min(values) < 0:
            raise ScenarioError(f"{where}: empirical times must be >= 0")
        return Empirical(values)
    raise ScenarioError(f"{where}.dist: unknown {kind!r}; choose fixed, exponential, "
                        "lognormal, gamma, uniform or empirical")
