"""The compiled search's shortcuts give the values of the whole computation, bit for bit.

``forecast._abandons`` skips an instant's ``erfc`` where a bound says its increase cannot
beat the max so far; the threshold loop learns from the floats it returns, so a shortcut
that moved one of them by an ulp would change later decisions. Compared here with the
whole sum (the code before the shortcut, compiled alike) over drawn forecasts, and the
search built on it with a search on the whole sum.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numba import njit

from pacing_models import forecast
from pacing_models.forecast import _base_excess, _excess


@njit(cache=False)
def _abandons_whole(gap, variance, profile, profile_variance, n, base):  # type: ignore[no-untyped-def]
    """``_abandons`` as it was: every instant's ``_excess`` computed whole."""
    due = 0.0
    added = 0.0
    for k in range(gap.shape[0]):
        if base[k] > due:
            due = base[k]
        if n > 0.0:
            more = (
                _excess(gap[k] + n * profile[k], math.sqrt(variance[k] + n * profile_variance[k]))
                - base[k]
            )
            if more > added:
                added = more
    return due + added


def _bits(value: float) -> str:
    return float(value).hex()


_SIZES = st.integers(1, 30)


@st.composite
def forecasts(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """(gap, variance, profile, profile variance): shortages and surpluses, tight and wide
    spreads, at up to 30 instants (a decision has about 26)."""
    k = draw(_SIZES)
    floats = st.floats
    gap = np.array(draw(st.lists(floats(-60.0, 20.0), min_size=k, max_size=k)))
    variance = np.array(draw(st.lists(floats(1e-9, 80.0), min_size=k, max_size=k)))
    profile = np.array(draw(st.lists(floats(0.0, 1.0), min_size=k, max_size=k)))
    spread = np.array(draw(st.lists(floats(0.0, 0.25), min_size=k, max_size=k)))
    return gap, variance, profile, spread


@settings(max_examples=600, deadline=None)
@given(forecasts(), st.integers(0, 400), st.booleans())
@example(
    (
        np.array([-5.0, -1.0, 0.0, 2.0]),
        np.array([1.0, 4.0, 1e-9, 2.0]),
        np.array([0.1, 0.2, 0.3, 0.0]),
        np.array([0.09, 0.16, 0.21, 0.0]),
    ),
    3,
    False,
)
# A later instant with a mean > 0 adds most although its σ·φ(z) alone would not: the bound
# holds only for a mean ≤ 0 (a shortcut taken there too is caught here).
@example(
    (np.array([0.0, 3.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([0.0, 0.0])),
    1,
    False,
)
def test_abandons_equal_the_whole_sum_bit_for_bit(
    drawn: tuple[np.ndarray, ...], n: int, scramble: bool
) -> None:
    gap, variance, profile, spread = drawn
    base = _base_excess(gap, variance)
    if scramble:  # any base, not only the forecast's own: the bound must not rely on it
        base = base[::-1].copy()
    got = forecast._abandons(gap, variance, profile, spread, float(n), base)
    want = _abandons_whole(gap, variance, profile, spread, float(n), base)
    assert _bits(got) == _bits(want)


@settings(max_examples=300, deadline=None)
@given(forecasts(), st.floats(1e-5, 0.5), st.integers(0, 3000))
def test_the_search_picks_the_same_count_and_floats(
    drawn: tuple[np.ndarray, ...], threshold: float, cap: int
) -> None:
    gap, variance, profile, spread = drawn
    got = forecast._largest_within(gap, variance, profile, spread, threshold, cap)
    # The search by hand on the whole sum: the marginals in order (they rise with n).
    base_excess = _base_excess(gap, variance)
    values = [_abandons_whole(gap, variance, profile, spread, 0.0, base_excess)]
    n = 0
    while n < cap and n < 8:
        values.append(_abandons_whole(gap, variance, profile, spread, n + 1.0, base_excess))
        if values[-1] - values[-2] > threshold:
            break
        n += 1
    if n < 8 or n >= cap:
        assert got[0] == n
        assert _bits(got[1]) == _bits(values[n]) and _bits(got[2]) == _bits(values[0])
    else:  # past the linear scan: the count's own value, whatever path found it
        chosen = _abandons_whole(gap, variance, profile, spread, float(got[0]), base_excess)
        assert _bits(got[1]) == _bits(chosen) and _bits(got[2]) == _bits(values[0])


def test_the_shortcut_is_taken() -> None:
    """Most instants of a forecast with agents to spare skip the ``erfc``: the test above
    compares the shortcut's path, not only the whole one."""
    gap = np.array([1.0, -2.0, -4.0, -6.0, -8.0])
    variance = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    profile = np.array([0.2, 0.15, 0.1, 0.05, 0.0])
    spread = profile * (1.0 - profile)
    base = _base_excess(gap, variance)
    skipped = 0
    added = 0.0
    for k in range(gap.size):  # the kernel's condition, by hand
        mean = gap[k] + profile[k]
        sd = math.sqrt(variance[k] + spread[k])
        z = mean / sd
        tail = sd * forecast._INV_SQRT_2PI * math.exp(-0.5 * z * z)
        if mean <= 0.0 and tail - base[k] <= added:
            skipped += 1
            continue
        added = max(added, _excess(mean, sd) - base[k])
    assert skipped >= 3
    assert _bits(forecast._abandons(gap, variance, profile, spread, 1.0, base)) == _bits(
        _abandons_whole(gap, variance, profile, spread, 1.0, base)
    )
