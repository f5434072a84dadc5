"""Exact Poisson tails for the cold start's look-ahead, where the normal approximation fails.

A young window dials ahead of its agents only on calls almost sure to find one. With few
agents free the count of answers to come is small, and the normal approximation the
forecast uses (``pacing_models.forecast``) under-states its upper tail several-fold (ten
calls ringing at 0.11 each: P(≥ 5 answers) is 2.6e-3 exactly, 4e-4 by the normal), which
is where a young window's first abandon came from. The count of answers from calls that each
answer with a small probability is close to Poisson (Le Cam), and a Poisson-binomial is
never more spread than the Poisson of the same mean, so a bound on the Poisson tail is a
cautious bound on the real one.
"""

from __future__ import annotations

import math
from functools import lru_cache


def poisson_sf(count: int, mean: float) -> float:
    """P(X > count) for X ~ Poisson(mean): 1 − Σ_{j ≤ count} e^(−m) m^j ÷ j!."""
    if mean <= 0.0:
        return 0.0
    if count < 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for j in range(1, count + 1):
        term *= mean / j
        below += term
    return max(0.0, 1.0 - below)


@lru_cache(maxsize=4096)
def poisson_room(free: int, risk: float) -> float:
    """The largest mean m with P(Poisson(m) > free) ≤ risk: how many answers, in
    expectation, ``free`` agents can take while the chance that one finds none stays ≤
    ``risk``. 0 with no agent free or no risk allowed; increasing in both."""
    if free <= 0 or risk <= 0.0:
        return 0.0
    if risk >= 1.0:
        return math.inf
    low, high = 0.0, float(free) + 1.0
    while poisson_sf(free, high) <= risk:
        low, high = high, 2.0 * high
    for _ in range(60):  # bisection to ~1e-15 of the bracket
        middle = 0.5 * (low + high)
        if poisson_sf(free, middle) <= risk:
            low = middle
        else:
            high = middle
    return low
