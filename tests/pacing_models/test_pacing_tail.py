"""The Poisson tail behind the cold start's free-agent look-ahead (pacing_models/tail.py)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pacing_models.tail import poisson_room, poisson_sf

risks = st.floats(1e-6, 0.01)


@given(st.integers(0, 150), st.floats(0.0, 120.0))
@settings(max_examples=200)
def test_the_tail_is_the_poisson_survival_function(count: int, mean: float) -> None:
    assert math.isclose(poisson_sf(count, mean), stats.poisson.sf(count, mean),
                        rel_tol=1e-6, abs_tol=1e-12)


def test_closed_form_small_cases() -> None:
    # One agent free: P(X > 1) = 1 − e^(−m)(1 + m); no agent free: P(X > 0) = 1 − e^(−m).
    assert math.isclose(poisson_sf(1, 0.5), 1 - math.exp(-0.5) * 1.5)
    assert math.isclose(poisson_room(0, 0.01), 0.0)  # no agent, no room
    assert math.isclose(poisson_sf(0, -math.log(0.99)), 0.01)
    # Ten calls ringing at 0.11 for four free agents: P(one too many) is 2e-3 by Poisson,
    # above the 1e-3 the look-ahead allows, so that many calls are not all dialed.
    assert poisson_room(4, 1e-3) < 1.1


@given(st.integers(1, 100), risks)
@settings(max_examples=200)
def test_the_room_is_the_largest_mean_within_the_risk(free: int, risk: float) -> None:
    room = poisson_room(free, risk)
    assert 0.0 < room < free + 1
    assert poisson_sf(free, room) <= risk * (1 + 1e-9)
    assert poisson_sf(free, room * (1 + 1e-6) + 1e-9) > risk


@given(st.integers(0, 99), risks, risks)
@settings(max_examples=200)
def test_more_agents_or_more_risk_never_leave_less_room(free: int, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert poisson_room(free, low) <= poisson_room(free, high)
    assert poisson_room(free, low) <= poisson_room(free + 1, low)
    assert poisson_room(free, 0.0) == 0.0
