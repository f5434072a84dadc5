"""Online estimators a campaign learns from its own outcomes.

* ``OutcomeMix``: how dial attempts end (live, machine, no answer, busy/failed) as a
  Dirichlet posterior whose pseudo-counts decay with a half-life in seconds, so that drift
  (time of day, list quality) is followed. Its live-answer marginal is a Beta posterior.
* ``RingTimes``: time from dial to answer (per outcome) as a decayed histogram on a fine grid,
  plus the no-answer timeout; ring times are bounded by the timeout, so an empirical
  distribution is both exact and cheap to turn into conditional probabilities.
* ``DurationEstimator``: talk and wrap-up times, fitted by maximum likelihood with scipy.stats
  (lognormal and gamma, the one with the higher likelihood wins) on a window of recent
  samples, refitted every ``refit_every`` samples, never per call and never inside a
  pacing decision.
* ``VerdictDelays``: time from an answer to AMD's verdict, a decayed histogram.

None of them reads a clock: every observation carries its time.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from pacing_models.interface import AttemptResult

RING_GRID_STEP = 0.5
"""Seconds per bin of the ring-time histograms (and of the predictive lookup tables)."""

_TIMEOUTS_KEPT = 51
"""No-answer ring times behind ``RingTimes.no_answer_timeout`` (their median)."""

# Members read once per attempt, as module constants: in CPython 3.11 every
# ``AttemptResult.MEMBER`` read goes through EnumType's slow attribute hook, and a dict
# keyed by members hashes each through ``Enum.__hash__``, a Python call.
_LIVE, _MACHINE, _NO_ANSWER = AttemptResult.LIVE, AttemptResult.MACHINE, AttemptResult.NO_ANSWER
_BUSY, _FAILED = AttemptResult.BUSY, AttemptResult.FAILED


def _outcome_index(result: AttemptResult) -> int:
    """Row of ``OutcomeMix`` counts: live, machine, no answer, busy or failed."""
    if result is _LIVE:
        return 0
    if result is _MACHINE:
        return 1
    if result is _NO_ANSWER:
        return 2
    if result is _BUSY or result is _FAILED:
        return 3
    return _OUTCOME_INDEX[result]  # anything else: the table's own KeyError


def _decay(half_life: float, dt: float) -> float:
    return 1.0 if dt <= 0 or not math.isfinite(half_life) else 0.5 ** (dt / half_life)


_RESCALE_BELOW = 1e-200
"""Decayed counts are stored divided by a running scale (one multiplication per
observation instead of one per bin); below this the scale is folded back into them."""


@dataclass(slots=True)
class OutcomeMix:
    """Decayed Dirichlet posterior over attempt outcomes.

    The prior is ``prior_strength`` pseudo-attempts split by the prior rates; observations
    add 1 to their outcome; every count (prior included) decays by ½ each ``half_life``
    seconds, and the prior is re-added so it never vanishes entirely.
    """

    prior_live: float = 0.2
    prior_machine: float = 0.1
    prior_fast_fail: float = 0.05
    prior_strength: float = 10.0
    half_life: float = 3600.0
    observed: int = 0
    live_observed: int = 0
    _last: float | None = None
    _stored: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    _scale: float = 1.0
    _routed: float = 0.0
    """Decayed count (÷ scale) of the machines among ``_stored[1]`` that reached agents."""

    @property
    def counts(self) -> np.ndarray:
        """Decayed counts of (live, machine, no answer, busy/failed), prior excluded."""
        return np.array(self._stored) * self._scale

    def _prior(self) -> np.ndarray:
        other = max(0.0, 1.0 - self.prior_live - self.prior_machine - self.prior_fast_fail)
        return self.prior_strength * np.array(
            [self.prior_live, self.prior_machine, other, self.prior_fast_fail]
        )

    def _advance(self, at: float) -> None:
        last = self._last
        if last is None:
            self._last = at
        elif at > last:
            decay = _decay(self.half_life, at - last)
            if self._scale * decay < _RESCALE_BELOW:  # fold the scale in before it underflows
                scale = self._scale
                self._stored = [count * scale * decay for count in self._stored]
                self._routed *= scale * decay
                self._scale = 1.0
            else:
                self._scale *= decay
            self._last = at

    def observe(self, result: AttemptResult, at: float) -> None:
        # ``_advance`` and ``_outcome_index`` written out (once per attempt: two Python calls
        # and ``_decay``'s less; the same operations on the same doubles).
        last = self._last
        if last is None:
            self._last = at
        elif at > last:
            half_life = self.half_life
            # ``_decay``: at > last, so the interval is > 0.
            decay = 0.5 ** ((at - last) / half_life) if math.isfinite(half_life) else 1.0
            if self._scale * decay < _RESCALE_BELOW:  # fold the scale in before it underflows
                scale = self._scale
                self._stored = [count * scale * decay for count in self._stored]
                self._routed *= scale * decay
                self._scale = 1.0
            else:
                self._scale *= decay
            self._last = at
        if result is _LIVE:
            self._stored[0] += 1.0 / self._scale
            self.live_observed += 1
        else:
            self._stored[_outcome_index(result)] += 1.0 / self._scale
        self.observed += 1

    def observe_machine_routed(self, at: float) -> None:
        """An attempt observed as live was a machine that reached (or queued for) an agent:
        its count moves from live to machine, and it is counted as routed."""
        self._advance(at)
        one = 1.0 / self._scale
        self._stored[0] = max(0.0, self._stored[0] - one)
        self._stored[1] += one
        self._routed += one
        self.live_observed = max(0, self.live_observed - 1)

    @property
    def routed_machine_rate(self) -> float:
        """P(an attempt is answered by a machine that reaches an agent): the machine rate
        times the decayed share of machines seen reaching agents (0 until one is seen)."""
        machines = self._stored[1]
        if machines <= 0.0 or self._routed <= 0.0:
            return 0.0
        return self.machine_rate * min(1.0, self._routed / machines)

    def probabilities(self) -> np.ndarray:
        """Posterior means of (live, machine, no answer, busy/failed)."""
        total = self.counts + self._prior()
        return total / total.sum()

    @property
    def live_answer_rate(self) -> float:
        """Posterior mean of the Beta marginal for a live (human) answer."""
        return float(self.probabilities()[0])

    @property
    def machine_rate(self) -> float:
        return float(self.probabilities()[1])

    def live_answer_interval(self, level: float = 0.9) -> tuple[float, float]:
        """Equal-tailed credible interval of the live-answer rate (Beta marginal)."""
        total = self.counts + self._prior()
        alpha, beta = total[0], total.sum() - total[0]
        tail = (1.0 - level) / 2.0
        low, high = stats.beta.ppf([tail, 1.0 - tail], alpha, beta)
        return float(low), float(high)


_RING_ROW = {AttemptResult.LIVE: 0, AttemptResult.MACHINE: 1}

_OUTCOME_INDEX = {
    AttemptResult.LIVE: 0,
    AttemptResult.MACHINE: 1,
    AttemptResult.NO_ANSWER: 2,
    AttemptResult.BUSY: 3,
    AttemptResult.FAILED: 3,
}


@dataclass(slots=True)
class RingTimes:
    """Decayed histograms of ring time for live answers, machines and fast failures."""

    max_seconds: float = 120.0
    prior_answer_mean: float = 9.0
    prior_answer_sd: float = 4.0
    prior_fail_mean: float = 4.0
    prior_strength: float = 5.0
    half_life: float = 3600.0
    no_answer_timeout_prior: float = 25.0
    _stored: np.ndarray = field(init=False)
    _scale: float = 1.0
    _prior_hist: np.ndarray = field(init=False)
    _timeouts: list[float] = field(default_factory=list)
    _ordered: list[float] | None = field(default_factory=list)
    """``_timeouts`` kept sorted (equal values in arrival order: ``sorted``'s own order), so
    the median is read without sorting at every decision; None while a NaN is in the window
    (unordered: the median then sorts, as before)."""
    _nans: int = 0
    _timeout: float | None = None
    _longest: float = 0.0
    """The longest no-answer ring time seen, rounded up to the grid (``longest_no_answer``)."""
    _last_bin: int = field(init=False)
    """The histograms' last bin (a ring time beyond it falls in it)."""
    _last: float | None = None

    def __post_init__(self) -> None:
        bins = math.ceil(self.max_seconds / RING_GRID_STEP)
        edges = np.arange(bins + 1) * RING_GRID_STEP
        self._stored = np.zeros((3, bins))
        self._last_bin = bins - 1
        sigma2 = math.log1p((self.prior_answer_sd / self.prior_answer_mean) ** 2)
        answer = stats.lognorm(
            s=math.sqrt(sigma2), scale=self.prior_answer_mean * math.exp(-sigma2 / 2)
        )
        fail = stats.expon(scale=self.prior_fail_mean)
        prior = np.vstack([np.diff(answer.cdf(edges)), np.diff(answer.cdf(edges)),
                           np.diff(fail.cdf(edges))])
        prior /= prior.sum(axis=1, keepdims=True)
        self._prior_hist = prior * self.prior_strength

    def observe(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        if result is _NO_ANSWER:
            self._observe_timeout(float(ring_seconds))
            return
        # ``_advance`` and ``_bin`` written out (once per answered or failed attempt: the
        # same operations on the same doubles, two Python calls and ``_decay``'s less).
        last = self._last
        if last is None:
            self._last = at
        elif at > last:
            half_life = self.half_life
            # ``_decay``: at > last, so the interval is > 0.
            decay = 0.5 ** ((at - last) / half_life) if math.isfinite(half_life) else 1.0
            if self._scale * decay < _RESCALE_BELOW:  # fold the scale in before it underflows
                self._stored *= self._scale
                self._stored *= decay
                self._scale = 1.0
            else:
                self._scale *= decay
            self._last = at
        row = 0 if result is _LIVE else 1 if result is _MACHINE else _RING_ROW.get(result, 2)
        index = int((0.0 if ring_seconds < 0.0 else ring_seconds) / RING_GRID_STEP)
        last_bin = self._last_bin
        self._stored[row, last_bin if last_bin < index else index] += 1.0 / self._scale

    def move_to_machine(self, ring_seconds: float, at: float) -> None:
        """A ring time observed as a live answer's was a machine's (``observe_machine_routed``)."""
        self._advance(at)
        index = self._bin(ring_seconds)
        one = 1.0 / self._scale
        self._stored[0, index] = max(0.0, self._stored[0, index] - one)
        self._stored[1, index] += one

    def _observe_timeout(self, seconds: float) -> None:
        """One more no-answer ring time in the window of the last ``_TIMEOUTS_KEPT``.

        The window is kept sorted as it moves (an insertion after its equals and a removal
        of the oldest, the first of its equals: the list ``sorted`` would make), so the
        median costs no sort at the next decision (sorting 51 floats at every decision was
        about 1 % of a 30-day predictive run)."""
        timeouts, ordered = self._timeouts, self._ordered
        timeouts.append(seconds)
        if seconds > self._longest:
            self._longest = math.ceil(seconds / RING_GRID_STEP) * RING_GRID_STEP
        if seconds != seconds:
            self._nans += 1
            self._ordered = ordered = None
        elif ordered is not None:
            insort(ordered, seconds)
        if len(timeouts) > _TIMEOUTS_KEPT:
            oldest = timeouts.pop(0)
            if oldest != oldest:
                self._nans -= 1
                if not self._nans:
                    self._ordered = sorted(timeouts)
            elif ordered is not None:
                del ordered[bisect_left(ordered, oldest)]
        self._timeout = None

    def _bin(self, ring_seconds: float) -> int:
        # min(int(max(s, 0.0) / δ), last) without the builtins' generic argument handling
        # (once per answered attempt): the same value, and a NaN still raises in int().
        index = int((0.0 if ring_seconds < 0.0 else ring_seconds) / RING_GRID_STEP)
        last = self._last_bin
        return last if last < index else index

    def _advance(self, at: float) -> None:
        last = self._last
        if last is None:
            self._last = at
        elif at > last:
            decay = _decay(self.half_life, at - last)
            if self._scale * decay < _RESCALE_BELOW:  # fold the scale in before it underflows
                self._stored *= self._scale
                self._stored *= decay
                self._scale = 1.0
            else:
                self._scale *= decay
            self._last = at

    @property
    def hist(self) -> np.ndarray:
        """Decayed ring-time counts per bin: rows live, machine, fast failure (no prior)."""
        return self._stored * self._scale

    @property
    def no_answer_timeout(self) -> float:
        """Median ring time of recent no-answer attempts (the dialer's effective timeout)."""
        if self._timeout is None and len(self._timeouts) >= 3:
            ordered = self._ordered
            if ordered is None:
                ordered = sorted(self._timeouts)
            middle = len(ordered) // 2
            upper = ordered[middle]
            self._timeout = upper if len(ordered) % 2 else 0.5 * (ordered[middle - 1] + upper)
        return self.no_answer_timeout_prior if self._timeout is None else self._timeout

    @property
    def longest_no_answer(self) -> float:
        """The longest no-answer ring time seen (rounded up to the grid): the ring timeout
        of the calls nobody hung up early. While predictive sheds late calls, the recent
        no-answers mix the shed ones (15-16 s) and those that rang to the timeout, and their
        median flips between the two; each flip rebuilt the ring tables (1,734 times in a
        100-agent day, 2.7x the day's CPU). A call not shed rings to the timeout, so the
        tables plan for it. The prior until a no-answer is seen."""
        return self._longest if self._longest > 0.0 else self.no_answer_timeout_prior

    def cdfs(self) -> np.ndarray:
        """CDFs at the bin edges 0, δ, 2δ, …: rows live, machine, fast failure."""
        counts = self.hist + self._prior_hist
        cdf = np.cumsum(counts, axis=1) / counts.sum(axis=1, keepdims=True)
        return np.hstack([np.zeros((3, 1)), cdf])


@dataclass(slots=True)
class VerdictDelays:
    """Decayed histogram of the time from an answer to AMD's verdict (``observe_verdict``).

    With AMD an answered call needs an agent at the verdict: the calls awaiting it
    (``PacingState.verdict_elapsed``) are read with this law. Detection takes a nearly
    fixed time (a greeting, then the silence AMD waits for), so the grid's histogram is
    exact enough and cheap to read.
    """

    max_seconds: float = 30.0
    prior_mean: float = 3.0
    prior_sd: float = 1.0
    prior_strength: float = 2.0
    half_life: float = 3600.0
    observed: int = 0
    _stored: np.ndarray = field(init=False)
    _prior_hist: np.ndarray = field(init=False)
    _scale: float = 1.0
    _last: float | None = None

    def __post_init__(self) -> None:
        bins = math.ceil(self.max_seconds / RING_GRID_STEP)
        edges = np.arange(bins + 1) * RING_GRID_STEP
        self._stored = np.zeros(bins)
        prior = np.diff(lognormal_from_moments(self.prior_mean, self.prior_sd).cdf(edges))  # type: ignore[attr-defined]
        self._prior_hist = prior / prior.sum() * self.prior_strength

    def observe(self, delay_seconds: float, at: float) -> None:
        if self._last is not None and at > self._last:
            decay = _decay(self.half_life, at - self._last)
            if self._scale * decay < _RESCALE_BELOW:
                self._stored *= self._scale * decay
                self._scale = 1.0
            else:
                self._scale *= decay
        self._last = at if self._last is None else max(self._last, at)
        index = min(int(max(delay_seconds, 0.0) / RING_GRID_STEP), self._stored.size - 1)
        self._stored[index] += 1.0 / self._scale
        self.observed += 1

    def cdf(self) -> np.ndarray:
        """P(delay < j·δ) at the bin edges j = 0, 1, …, the prior included."""
        counts = self._stored * self._scale + self._prior_hist
        return np.concatenate(([0.0], np.cumsum(counts) / counts.sum()))


class FixedLaw:
    """A scipy.stats family with its parameters fixed: what ``family(**parameters)``
    (scipy's freezing) gives, without the copy of the family freezing makes.

    Each method is the one scipy's frozen law calls, ``family.method(x, **parameters)``, so
    every value is the frozen law's, bit for bit; freezing also builds a new instance of the
    family, docstrings and all (~0.7 ms, once per refit: most of a fit's cost).
    """

    __slots__ = ("family", "parameters")

    def __init__(self, family: Any, parameters: dict[str, float]) -> None:
        self.family = family
        self.parameters = parameters

    def cdf(self, x: Any) -> Any:
        return self.family.cdf(x, **self.parameters)

    def sf(self, x: Any) -> Any:
        return self.family.sf(x, **self.parameters)

    def logsf(self, x: Any) -> Any:
        return self.family.logsf(x, **self.parameters)

    def ppf(self, q: Any) -> Any:
        return self.family.ppf(q, **self.parameters)

    def pdf(self, x: Any) -> Any:
        return self.family.pdf(x, **self.parameters)

    def mean(self) -> Any:
        return self.family.mean(**self.parameters)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        return self.family.rvs(size=size, random_state=random_state, **self.parameters)


@dataclass(frozen=True, slots=True)
class FittedDuration:
    """A fitted duration law: a distribution with scipy's frozen-law methods (a scipy frozen
    law, an ``rv_histogram`` or a ``FixedLaw``) plus the point mass at zero."""

    family: str
    distribution: object  # sf, cdf, logsf, ppf, mean, rvs of scipy's frozen laws
    zero_mass: float
    mean: float
    samples: int

    def sf(self, t: np.ndarray) -> np.ndarray:
        """P(duration > t) for t ≥ 0."""
        return (1.0 - self.zero_mass) * self.distribution.sf(t)  # type: ignore[attr-defined]


def lognormal_from_moments(mean: float, sd: float) -> object:
    sigma2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(s=math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2))


EMPIRICAL_MIN_SAMPLES = 200
EMPIRICAL_KS_DISTANCE = 0.06
"""Kolmogorov–Smirnov distance above which the best parametric fit is rejected."""


def _histogram_law(positive: np.ndarray) -> object:
    """A continuous law from a histogram with one bin per 2 % of the sample (quantile bins)."""
    edges = np.unique(np.quantile(positive, np.linspace(0.0, 1.0, 51)))
    if edges.size < 2:
        edges = np.array([positive.min() * 0.999, positive.max() * 1.001 + 1e-9])
    counts, edges = np.histogram(positive, bins=edges)
    return stats.rv_histogram((counts, edges), density=False)


def _ks_distance(sample: np.ndarray, cdf: object) -> float:
    """The Kolmogorov–Smirnov statistic sup |F_n − F|, as ``scipy.stats.kstest`` computes it
    (same operations, same result) without its exact p-value, which costs ~1 ms and is unused.
    """
    ordered = np.sort(sample)
    n = ordered.size
    values = cdf(ordered)  # type: ignore[operator]
    above = float((np.arange(1.0, n + 1) / n - values).max())
    below = float((values - np.arange(0.0, n) / n).max())
    return above if above > below else below


def fit_duration(samples: np.ndarray) -> FittedDuration:
    """Maximum-likelihood lognormal and gamma (location 0); keep the likelier one."""
    positive = samples[samples > 0]
    zero_mass = 1.0 - positive.size / samples.size
    logs = np.log(positive)
    mu, sigma = float(logs.mean()), max(float(logs.std()), 1e-3)
    # Likelihoods on the unfrozen families; the winner's parameters are fixed (``FixedLaw``:
    # scipy's freezing copies the distribution object, ~0.7 ms, more than the rest of a fit).
    lognormal = {"s": sigma, "scale": math.exp(mu)}
    candidates = [("lognormal", stats.lognorm, lognormal,
                   float(stats.lognorm.logpdf(positive, **lognormal).sum()))]
    # Gamma's MLE solves log(a) − ψ(a) = log(mean) − mean(log); it needs a spread.
    spread = math.log(float(positive.mean())) - mu
    if positive.size >= 5 and spread > 1e-9:
        try:
            with np.errstate(all="ignore"):
                shape, _, scale = stats.gamma.fit(positive, floc=0)
            gamma = {"a": shape, "scale": scale}
            candidates.append(("gamma", stats.gamma, gamma,
                               float(stats.gamma.logpdf(positive, **gamma).sum())))
        except (ValueError, RuntimeError, FloatingPointError):
            pass  # degenerate sample: the lognormal alone stands
    family, law, parameters, _ = max(candidates, key=lambda c: c[3])
    distribution: object = FixedLaw(law, parameters)
    # Neither family fits a mixture (e.g. agents releasing answering machines in 5 s among
    # 3-minute conversations); then the empirical law (a fine histogram) serves the tables.
    if positive.size >= EMPIRICAL_MIN_SAMPLES:
        distance = _ks_distance(positive, distribution.cdf)
        if distance > EMPIRICAL_KS_DISTANCE:
            family, distribution = "empirical", _histogram_law(positive)
    mean = (1.0 - zero_mass) * float(distribution.mean())  # type: ignore[attr-defined]
    return FittedDuration(family, distribution, zero_mass, mean, int(samples.size))


@dataclass(slots=True)
class DurationEstimator:
    """Talk or wrap-up time: a window of recent samples, refitted every ``refit_every``."""

    prior_mean: float
    prior_sd: float
    window: int = 2000
    refit_every: int = 50
    min_samples: int = 20
    fitted: FittedDuration = field(init=False)
    _samples: deque[float] = field(init=False)
    _since_fit: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        # A deque drops the oldest sample in O(1); deleting a list's head moved 2,000 floats
        # at every call.
        self._samples = deque(maxlen=self.window)
        if self.prior_mean <= 0:
            prior = stats.uniform(loc=0.0, scale=1e-9)
            self.fitted = FittedDuration("zero", prior, 1.0, 0.0, 0)
        else:
            prior = lognormal_from_moments(self.prior_mean, max(self.prior_sd, 1e-3))
            self.fitted = FittedDuration("prior-lognormal", prior, 0.0, self.prior_mean, 0)

    def observe(self, seconds: float) -> bool:
        """Add a sample; refit when due. Returns True when the law changed."""
        seconds = float(seconds)
        # max(0.0, seconds) as a conditional (NaN and −0.0 give 0.0 alike), once per call:
        # the oldest falls out (maxlen).
        self._samples.append(seconds if seconds > 0.0 else 0.0)
        self._since_fit += 1
        # Refit every ``refit_every`` samples while the window is young, then every tenth of
        # it, and every half of a full window (the fit then spans two windows' worth of
        # overlap): later fits move little, and each costs ~3 ms with the pacing tables it
        # rebuilds (at 100 agents a tenth of a full window passes every five minutes).
        filled = len(self._samples)
        if filled >= self.window:
            every = self.window // 2
        else:
            every = filled // 10
            every = self.refit_every if not every > self.refit_every else every
        due = filled >= self.min_samples and (
            self._since_fit >= every or self.fitted.samples < self.min_samples
        )
        if not due:
            return False
        data = np.fromiter(self._samples, np.float64, len(self._samples))
        if np.all(data <= 0):
            self.fitted = FittedDuration("zero", self.fitted.distribution, 1.0, 0.0, data.size)
        else:
            self.fitted = fit_duration(data)
        self._since_fit = 0
        self.version += 1
        return True

    def samples(self) -> np.ndarray:
        """The window's samples, oldest first (each clipped at 0 s)."""
        return np.fromiter(self._samples, np.float64, len(self._samples))

    @property
    def count(self) -> int:
        return len(self._samples)
