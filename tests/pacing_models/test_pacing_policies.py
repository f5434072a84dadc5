"""Pacing policies: invariants (hypothesis) and hand-built scenarios."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models import POLICY_NAMES, make_policy
from pacing_models.adaptive import AdaptivePolicy
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import AttemptResult, PacingPolicy, PacingState
from pacing_models.predictive import PredictivePolicy


def trained_predictive(live_rate: float = 0.2, seed: int = 7, **params) -> PredictivePolicy:
    """A predictive policy that has watched 600 attempts and 200 handled calls."""
    rng = random.Random(seed)
    policy = PredictivePolicy(**params)
    at = 0.0
    for i in range(600):
        at += 1.0
        # deterministic proportions, random ring times
        if (i * live_rate) % 1.0 + live_rate >= 1.0 or (i == 0 and live_rate >= 1.0):
            policy.observe_attempt(AttemptResult.LIVE, rng.lognormvariate(2.1, 0.4), at)
        elif i % 10 == 1:
            policy.observe_attempt(AttemptResult.MACHINE, rng.lognormvariate(2.1, 0.4), at)
        elif i % 20 == 3:
            policy.observe_attempt(AttemptResult.BUSY, 3.0, at)
        else:
            policy.observe_attempt(AttemptResult.NO_ANSWER, 25.0, at)
    for _ in range(200):
        policy.observe_handle(rng.lognormvariate(5.0, 0.5), 15.0, at)
    return policy


def state(
    free: int = 5,
    busy: tuple[float, ...] = (),
    ringing: tuple[float, ...] = (),
    live: int = 1000,
    abandons: int = 10,
    waiting: int = 0,
    wrap: tuple[float, ...] = (),
) -> PacingState:
    return PacingState(
        now=10_000.0, agents_free=free, busy_elapsed=busy, wrap_elapsed=wrap,
        ringing_elapsed=ringing, live_answers_in_window=live, abandons_in_window=abandons,
        answered_waiting=waiting, agents_logged_in=free + len(busy) + len(wrap),
    )


elapsed = st.floats(min_value=0.0, max_value=900.0, allow_nan=False)
ring_elapsed = st.floats(min_value=0.0, max_value=40.0, allow_nan=False)
states = st.builds(
    state,
    free=st.integers(0, 60),
    busy=st.lists(elapsed, max_size=60).map(tuple),
    ringing=st.lists(ring_elapsed, max_size=120).map(tuple),
    live=st.integers(0, 5000),
    abandons=st.integers(0, 300),
    waiting=st.integers(0, 5),
    wrap=st.lists(st.floats(0.0, 60.0), max_size=10).map(tuple),
)

PREDICTIVE = trained_predictive()


def test_registry_names_and_errors() -> None:
    assert set(POLICY_NAMES) == {"preview", "progressive", "power", "ratio", "predictive",
                                 "adaptive"}
    for name in POLICY_NAMES:
        policy = make_policy(name)
        assert isinstance(policy, PacingPolicy)
        assert policy.name == name
    with pytest.raises(InvalidParameterError):
        make_policy("turbo")
    with pytest.raises(InvalidParameterError):
        make_policy("power", ratio=2)
    with pytest.raises(InvalidParameterError):
        make_policy("adaptive", method="ADAPT_FASTER")


@given(states, st.sampled_from(POLICY_NAMES))
@settings(max_examples=120)
def test_no_policy_ever_launches_a_negative_number(s: PacingState, name: str) -> None:
    policy = PREDICTIVE if name == "predictive" else make_policy(name)
    decision = policy.decide(s)
    assert decision.calls_to_launch >= 0
    assert decision.explanation


@given(states)
@settings(max_examples=100)
def test_progressive_never_exceeds_free_agents(s: PacingState) -> None:
    n = make_policy("progressive").decide(s).calls_to_launch
    assert n <= s.agents_free
    assert n == max(0, s.agents_free - len(s.ringing_elapsed) - s.answered_waiting)


def _fields(s: PacingState) -> dict:
    return {name: getattr(s, name) for name in PacingState.__slots__}


# --- scenarios -------------------------------------------------------------------------------


def test_power_dials_its_ratio() -> None:
    assert make_policy("power", lines_per_agent=2.5).decide(state(free=4)).calls_to_launch == 10
    assert make_policy("power", lines_per_agent=2.0).decide(
        state(free=4, ringing=(1.0,) * 3)
    ).calls_to_launch == 5


def test_preview_waits_for_agents_to_read_the_lead() -> None:
    s = PacingState(now=0.0, agents_free=3, free_elapsed=(1.0, 12.0, 30.0))
    assert make_policy("preview", preview_seconds=10.0).decide(s).calls_to_launch == 2


# --- the VICIdial-style baseline -----------------------------------------------------------


def run_adaptive(policy: AdaptivePolicy, seconds: int, **overrides) -> float:
    for t in range(seconds):
        policy.decide(PacingState(**{**_fields(state(**overrides)), "now": float(t)}))
    assert policy.level is not None
    return policy.level


def test_adaptive_raises_level_while_agents_sit_idle() -> None:
    policy = AdaptivePolicy(method="ADAPT_AVERAGE")
    level = run_adaptive(policy, 120, free=10, busy=(30.0,) * 10, live=0, abandons=0)
    assert level > 2.0
    assert level <= policy.maximum_level


def test_adaptive_hard_limit_drops_to_one_over_the_drop_rate() -> None:
    policy = AdaptivePolicy(method="ADAPT_HARD_LIMIT", initial_level=2.5)
    level = run_adaptive(policy, 40, free=0, busy=(30.0,) * 20, waiting=3, live=100, abandons=10)
    assert level == 1.0


def test_adaptive_dials_level_times_active_agents_minus_existing_calls() -> None:
    policy = AdaptivePolicy(initial_level=2.0)
    decision = policy.decide(state(free=4, busy=(10.0,) * 6, ringing=(1.0,) * 5))
    assert decision.calls_to_launch == 2 * 10 - (5 + 6)




def test_calls_in_flight_counts_the_ringing_lines_given_or_the_tuple() -> None:
    from pacing_models.policies import calls_in_flight

    assert calls_in_flight(PacingState(0.0, 3, ringing_elapsed=(1.0, 2.0),
                                       answered_waiting=1)) == 3
    assert calls_in_flight(PacingState(0.0, 3, ringing_lines=4, answered_waiting=1)) == 5
    for policy in ("progressive", "preview", "power"):
        assert "ringing_lines" in make_policy(policy).state_fields
