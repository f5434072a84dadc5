"""The predictive policy's model bias learns from abandons that happened, not from the
counts of whichever measurement binds (the window's or the current period's) jumping."""

from __future__ import annotations

import pytest

from pacing_models.interface import PacingState
from pacing_models.predictive import PredictivePolicy


def _state(now: float, binding: tuple[int, int], seen: tuple[int, int]) -> PacingState:
    return PacingState(now=now, agents_free=0, live_answers_in_window=binding[0],
                       abandons_in_window=binding[1], live_answers_seen=seen[0],
                       abandons_seen=seen[1])


def test_a_switch_of_the_binding_measurement_does_not_move_the_bias() -> None:
    policy = PredictivePolicy()
    policy.decide(_state(0.0, (3000, 60), (3000, 60)))
    prior = policy.bias
    # A new period begins (its counts bind: none yet), then the window binds again with the
    # older answers' abandons: the counts jump down by 60, then up by 70. No abandon came.
    policy.decide(_state(1.0, (0, 0), (3001, 60)))
    policy.decide(_state(2.0, (3010, 70), (3010, 60)))
    policy.decide(_state(3.0, (12, 0), (3012, 60)))
    assert policy.bias == pytest.approx(prior)
    # Two abandons that did happen do move it.
    policy.decide(_state(4.0, (14, 2), (3014, 62)))
    assert policy.bias == pytest.approx(prior + 2 / policy.bias_pseudo_abandons)


def test_without_running_totals_the_window_counts_are_read_as_before() -> None:
    """Another driver's state (no running totals): the measurement's differences."""
    policy = PredictivePolicy()
    policy.decide(PacingState(now=0.0, agents_free=0, live_answers_in_window=100,
                              abandons_in_window=1))
    prior = policy.bias
    policy.decide(PacingState(now=1.0, agents_free=0, live_answers_in_window=101,
                              abandons_in_window=3))
    assert policy.bias > prior
