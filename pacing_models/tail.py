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

from scipy.special import gammainc, gammaincinv


def poisson_sf(count: int, mean: float) -> float:
    """P(X > count) for X ~ Poisson(mean): the regularised lower incomplete gamma
    P(count + 1, mean), read directly (no 1 − cdf cancellation in the far tail)."""
    if mean <= 0.0:
        return 0.0
    if count < 0:
        return 1.0
    return float(gammainc(count + 1, mean))


@lru_cache(maxsize=4096)
def poisson_room(free: int, risk: float) -> float:
    """The largest mean m with P(Poisson(m) > free) ≤ risk: how many answers, in
    expectation, ``free`` agents can take while the chance that one finds none stays ≤
    ``risk``. 0 with no agent free or no risk allowed; increasing in both. P(X > free) =
    P(free + 1, m) rises in m, so m is that gamma function's inverse at ``risk``."""
    if free <= 0 or risk <= 0.0:
        return 0.0
    if risk >= 1.0:
        return math.inf
    return float(gammaincinv(free + 1, risk))
