"""Time distributions named in scenario files, behind one small protocol.

Every distribution is a scipy.stats frozen law (or a degenerate/empirical one with the same
face): ``sample(rng, n)`` draws a numpy vector from a ``numpy.random.Generator`` and
``mean`` is its expectation (closed forms in the validation tests use it). Lognormal and
gamma are given by mean and standard deviation, as analysts measure them, and converted
to scipy's shape/scale here (lognormal: σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2;
gamma: k = (mean/sd)², θ = sd²/mean). A Weibull law is given by its shape k and its mean
(scale = mean ÷ Γ(1 + 1/k)) or its scale.

``shift`` (exponential, lognormal, gamma, Weibull; seconds ≥ 0) moves the whole law right:
no draw is below it. ``mean`` (and ``sd``) stay those of the drawn times, so the law of the
other keys is that of (time − shift). A patience law for people in silence wants one of
these two forms (little mass under a second or two; docs/simulations.md, "Patience").
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from simulations.errors import ScenarioError


class Distribution(Protocol):
    """A non-negative time law in seconds."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    def spec(self) -> Any:
        """The scenario value that ``parse_distribution`` reads back as this law."""
        ...


@dataclass(frozen=True, slots=True)
class Fixed:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def spec(self) -> Any:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)


@dataclass(frozen=True, slots=True)
class ScipyLaw:
    """A scipy.stats frozen distribution, clipped at zero (times are never negative).

    ``params`` are the scenario's own (``mean``, ``sd``, ``low`` ...): two laws are equal
    when their names and parameters are, and ``spec`` writes them back as given."""

    name: str
    frozen: Any = field(compare=False)
    params: tuple[tuple[str, float], ...] = ()

    def spec(self) -> Any:
        return {"dist": self.name, **dict(self.params)}

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

    def spec(self) -> Any:
        return {"dist": "empirical", "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class EmpiricalQuantiles:
    """An observed law kept as ``k`` quantiles at equally spaced probabilities 0, 1/(k−1),
    …, 1 (the minimum, …, the maximum): drawn by linear interpolation of the quantile
    function, so a month of talk times fits in a line of a scenario file."""

    quantiles: tuple[float, ...]

    @property
    def mean(self) -> float:
        q = np.asarray(self.quantiles, float)
        return float(np.mean((q[:-1] + q[1:]) / 2.0))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        q = np.asarray(self.quantiles, float)
        return np.interp(rng.random(n), np.linspace(0.0, 1.0, len(q)), q)

    def spec(self) -> Any:
        return {"dist": "empirical", "quantiles": list(self.quantiles)}


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
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise ScenarioError(f"{where}.csv: cannot read {path}: {error}") from None
    except UnicodeDecodeError as error:  # was a traceback
        raise ScenarioError(f"{where}.csv: {path} is not UTF-8 text (byte "
                            f"0x{error.object[error.start]:02x}): save it as UTF-8") from None
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


_KEYS = {"fixed": {"value"}, "exponential": {"mean", "shift"},
         "lognormal": {"mean", "sd", "shift"}, "gamma": {"mean", "sd", "shift"},
         "weibull": {"shape", "mean", "scale", "shift"}, "uniform": {"low", "high"}}
"""The keys each parametric law accepts besides ``dist`` (a typo is refused, never ignored)."""

_MAX_WEIBULL_SHAPE = 100.0
"""Beyond this a Weibull law is a fixed time in all but name (and Γ(1 + 1/k) is 1)."""


def _shift(spec: Mapping[str, Any], where: str) -> float:
    return _number(spec, "shift", where) if "shift" in spec else 0.0


def _above_shift(spec: Mapping[str, Any], where: str, shift: float) -> float:
    """The law's mean, which must exceed its shift (a law all at the shift is ``fixed``)."""
    mean = _number(spec, "mean", where, positive=True)
    if shift and not mean > shift:
        raise ScenarioError(f"{where}.mean: must be > shift ({shift:g}): the shift is the "
                            "law's smallest time (use a fixed law for a constant)")
    return mean


def _params(**given: float) -> tuple[tuple[str, float], ...]:
    """A law's scenario parameters, with ``shift`` written only when it is set."""
    return tuple((k, v) for k, v in given.items() if k != "shift" or v)


def _weibull(spec: Mapping[str, Any], where: str, shift: float) -> ScipyLaw:
    from scipy import stats
    from scipy.special import gamma as gamma_function

    shape = _number(spec, "shape", where, positive=True)
    if shape > _MAX_WEIBULL_SHAPE:
        raise ScenarioError(f"{where}.shape: must be <= {_MAX_WEIBULL_SHAPE:g} (use a fixed "
                            "law for a constant)")
    given = [key for key in ("mean", "scale") if key in spec]
    if len(given) != 1:
        raise ScenarioError(f"{where}: weibull needs exactly one of 'mean' or 'scale'"
                            f"{', got both' if len(given) == 2 else ''}")
    if given[0] == "mean":
        mean = _above_shift(spec, where, shift)
        scale = (mean - shift) / float(gamma_function(1.0 + 1.0 / shape))
        params = _params(shape=shape, mean=mean, shift=shift)
    else:
        scale = _number(spec, "scale", where, positive=True)
        params = _params(shape=shape, scale=scale, shift=shift)
    return ScipyLaw("weibull", stats.weibull_min(c=shape, loc=shift, scale=scale), params)


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
    extra = sorted(set(spec) - {"dist"} - _KEYS.get(kind, set(spec)))
    if extra:
        raise ScenarioError(f"{where}.{extra[0]}: unknown key of a {kind} law; known: "
                            f"{', '.join(sorted(_KEYS[kind]))}")
    if kind == "fixed":
        return Fixed(_number(spec, "value", where))
    shift = _shift(spec, where) if kind in _KEYS and "shift" in _KEYS[kind] else 0.0
    if kind == "exponential":
        mean = _above_shift(spec, where, shift)
        return ScipyLaw(kind, stats.expon(loc=shift, scale=mean - shift),
                        _params(mean=mean, shift=shift))
    if kind in ("lognormal", "gamma"):
        mean = _above_shift(spec, where, shift)
        sd = _number(spec, "sd", where)
        if sd == 0:
            return Fixed(mean)
        base = mean - shift  # the law of (time − shift): same sd, mean less the shift
        params = _params(mean=mean, sd=sd, shift=shift)
        if kind == "lognormal":
            sigma2 = math.log1p((sd / base) ** 2)
            return ScipyLaw(kind, stats.lognorm(s=math.sqrt(sigma2), loc=shift,
                                                scale=math.exp(math.log(base) - sigma2 / 2)),
                            params)
        return ScipyLaw(kind, stats.gamma(a=(base / sd) ** 2, loc=shift, scale=sd * sd / base),
                        params)
    if kind == "weibull":
        return _weibull(spec, where, shift)
    if kind == "uniform":
        low, high = _number(spec, "low", where), _number(spec, "high", where)
        if high < low:
            raise ScenarioError(f"{where}.high: must be >= low ({low})")
        return ScipyLaw(kind, stats.uniform(loc=low, scale=high - low),
                        (("low", low), ("high", high)))
    if kind == "empirical":
        return _empirical(spec, where, base_dir)
    raise ScenarioError(f"{where}.dist: unknown {kind!r}; choose fixed, exponential, "
                        "lognormal, gamma, weibull, uniform or empirical")


def _empirical(spec: Mapping[str, Any], where: str, base_dir: Path | None
               ) -> Empirical | EmpiricalQuantiles:
    given = [key for key in ("values", "quantiles", "csv") if key in spec]
    if len(given) != 1:
        raise ScenarioError(f"{where}: empirical needs exactly one of 'values', 'quantiles' "
                            f"or 'csv'{', got ' + ' and '.join(given) if given else ''}")
    extra = set(spec) - {"dist", given[0]}
    if extra:
        raise ScenarioError(f"{where}.{sorted(extra)[0]}: unknown key of an empirical law")
    if given[0] == "quantiles":
        raw = spec["quantiles"]
        if not isinstance(raw, list) or len(raw) < 2:
            raise ScenarioError(f"{where}.quantiles: expected a list of at least 2 numbers "
                                "(the minimum, equally spaced quantiles, the maximum)")
        quantiles = tuple(_number({"v": v}, "v", f"{where}.quantiles") for v in raw)
        if any(b < a for a, b in itertools.pairwise(quantiles)):
            raise ScenarioError(f"{where}.quantiles: must not decrease (quantiles at "
                                "equally spaced probabilities 0 … 1)")
        return EmpiricalQuantiles(quantiles)
    if given[0] == "values":
        raw = spec["values"]
        if not isinstance(raw, list) or not raw:
            raise ScenarioError(f"{where}.values: expected a non-empty list of numbers")
        values = tuple(_number({"v": v}, "v", f"{where}.values") for v in raw)
    else:
        path = Path(str(spec["csv"]))
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        values = _read_csv(path, where)
        if not values:
            raise ScenarioError(f"{where}.csv: {path} holds no values")
        if min(values) < 0:
            raise ScenarioError(f"{where}: empirical times must be >= 0")
    return Empirical(values)
