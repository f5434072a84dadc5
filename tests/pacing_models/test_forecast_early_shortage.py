"""The forecast counts what new calls add even behind an early shortage (issue 16).

E(n) was max_k E[(A_k(n) − S_k)⁺]: when an early instant already had more answers than
agents, new calls (which reach agents seconds later) added nothing to the max until a later
instant overtook it, so their marginal read 0 and the predictive policy dialed dozens of
calls at once with no agent free. E(n) is now the abandons already due plus what the new
calls add at the instant where they add most.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.forecast import CompactTables, Forecast, _base_excess

_K = 12


def _tables(profile: np.ndarray, profile_variance: np.ndarray) -> CompactTables:
    rows = np.zeros((1, 2 * _K))
    return CompactTables(rows, rows, rows, profile, profile_variance, float(profile[-1]),
                         1.0, 1.0)


def _profile(delay: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """A new call answered live with probability p, never before ``delay`` instants."""
    ramp = np.clip((np.arange(_K) - delay + 1) / 4.0, 0.0, 1.0) * p
    return ramp, ramp * (1.0 - ramp)


def test_an_early_shortage_does_not_hide_the_new_calls_abandons() -> None:
    """Two people about to reach agents and no agent free in the next seconds; agents free
    up later, but fewer than the new calls will bring. Every new call adds abandons."""
    gap = np.concatenate([np.full(4, 2.0), np.linspace(0.0, -3.0, _K - 4)])
    variance = np.full(_K, 0.5)
    profile, profile_variance = _profile(delay=5, p=0.3)
    tables = _tables(profile, profile_variance)
    forecast = Forecast(gap, variance)
    values = [forecast.expected_abandons(tables, n) for n in range(0, 40)]
    marginals = np.diff(values)
    assert values[0] > 1.9  # the two already due
    assert np.all(marginals > 0.0)
    assert marginals[-1] > 0.2  # far past the free agents, most new answers are abandoned
    n, chosen, base = forecast.largest_within(tables, 0.05, 1000)
    assert n <= 2  # the old max of totals dialed 12 here, till a later instant overtook it
    assert base == values[0] and chosen == values[n]


_ARRAYS = st.integers(0, 2**32 - 1).map(np.random.default_rng)


@settings(max_examples=150, deadline=None)
@given(rng=_ARRAYS, delay=st.integers(0, _K - 1), p=st.floats(0.01, 1.0),
       threshold=st.floats(1e-4, 0.9), cap=st.integers(0, 200))
def test_marginals_rise_with_n_and_the_search_finds_the_largest_n_within_the_threshold(
        rng: np.random.Generator, delay: int, p: float, threshold: float, cap: int) -> None:
    gap = rng.normal(0.0, 3.0, _K).cumsum() * rng.uniform(0.0, 1.0)
    variance = rng.uniform(0.01, 5.0, _K)
    profile, profile_variance = _profile(delay, p)
    tables = _tables(profile, profile_variance)
    forecast = Forecast(gap, variance)
    values = np.array([forecast.expected_abandons(tables, n) for n in range(cap + 2)])
    marginals = np.diff(values)
    assert np.all(marginals >= -1e-9)
    assert values[0] == max(_base_excess(gap, variance).max(), 0.0)  # the abandons due
    n, chosen, base = forecast.largest_within(tables, threshold, cap)
    assert chosen == values[n] and base == values[0]
    # The search assumes rising marginals (convex in the fluid limit; the growing Bernoulli
    # variance bends them by a fraction of a percent): where they rise, it is exact.
    rising = np.all(np.diff(marginals) >= 0.0)
    if rising and np.all(np.abs(marginals[:cap] - threshold) > 1e-3 * threshold):
        brute = 0
        while brute < cap and marginals[brute] <= threshold:
            brute += 1
        assert n == brute
