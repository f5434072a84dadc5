"""The per-state threshold table (pacing_models/state_thresholds.py): it only scales λ in the
model's own count, never past the budget's guard or the caps, and its values are checked."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models import make_policy
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import PacingState
from pacing_models.state_thresholds import LOG_BOUND, StateThresholds
from tests.pacing_models.test_pacing_policies import state, states, trained_predictive

logs = st.floats(-LOG_BOUND, LOG_BOUND, allow_nan=False)
tables = st.builds(lambda v: StateThresholds.from_vector(v),
                   st.lists(logs, min_size=6, max_size=6))


def _frozen(table: StateThresholds | None = None):
    policy = trained_predictive()
    policy._tuned_at = math.inf  # the loop stopped: every example sees the same λ
    policy.state_thresholds = table
    return policy


BASE = _frozen()


def _with(s: PacingState, **changes) -> PacingState:
    fields = {name: getattr(s, name) for name in PacingState.__slots__}
    return PacingState(**{**fields, **changes})


def _progressive(s: PacingState) -> int:
    return make_policy("progressive").decide(s).calls_to_launch


@given(states, tables, st.integers(0, 5000))
@settings(max_examples=80, deadline=None)
def test_a_spent_budget_is_progressive_whatever_the_table(
    s: PacingState, table: StateThresholds, live: int
) -> None:
    # The guard decides before the table is read: at or over the limit, only calls that
    # each have a free agent waiting.
    spent = _with(s, live_answers_in_window=live,
                  abandons_in_window=max(1, -(-3 * live // 100)))
    assert _frozen(table).decide(spent).calls_to_launch == _progressive(spent)


@given(states, tables, st.integers(1, 40), st.floats(1.0, 5.0))
@settings(max_examples=80, deadline=None)
def test_never_more_lines_than_the_caps_whatever_the_table(
    s: PacingState, table: StateThresholds, per_decision: int, per_agent: float
) -> None:
    policy = _frozen(table)
    policy.max_calls_per_decision = per_decision
    policy.max_lines_per_agent = per_agent
    n = policy.decide(s).calls_to_launch
    assert n <= per_decision
    agents = s.agents_free + len(s.busy_elapsed) + len(s.wrap_elapsed)
    in_flight = len(s.ringing_elapsed) + s.answered_waiting
    assert n <= max(_progressive(s), int(per_agent * agents) - in_flight)


@given(states, tables, st.integers(34, 66))
@settings(max_examples=60, deadline=None)
def test_a_young_window_ignores_the_table(
    s: PacingState, table: StateThresholds, live: int
) -> None:
    # The young look-ahead's own threshold (young_threshold) is not the loop's λ: the table
    # shapes only the budgeted model's count.
    young = _with(s, live_answers_in_window=live, abandons_in_window=0)
    assert (_frozen(table).decide(young).calls_to_launch
            == copy.deepcopy(BASE).decide(young).calls_to_launch)


@given(states)
@settings(max_examples=60, deadline=None)
def test_the_zero_table_is_the_default(s: PacingState) -> None:
    zero = StateThresholds.from_vector([0.0] * 6)
    assert (_frozen(zero).decide(s).calls_to_launch
            == copy.deepcopy(BASE).decide(s).calls_to_launch)


@given(states, st.floats(0.0, LOG_BOUND))
@settings(max_examples=60, deadline=None)
def test_a_higher_multiplier_never_dials_less(s: PacingState, up: float) -> None:
    bolder = StateThresholds.from_vector([up] * 5 + [0.0])
    assert (_frozen(bolder).decide(s).calls_to_launch
            >= copy.deepcopy(BASE).decide(s).calls_to_launch)


def test_the_table_moves_the_count_in_its_state_only() -> None:
    # Two agents free, calls ringing, a budget with room: a multiplier of e^4 in the
    # two-free bucket dials more there than λ alone, and nothing changes at five free.
    two = state(free=2, ringing=(1.0, 2.0), busy=tuple(float(i * 20) for i in range(8)))
    five = state(free=5, ringing=(1.0, 2.0), busy=tuple(float(i * 20) for i in range(8)))
    table = StateThresholds((0.0, 0.0, LOG_BOUND, 0.0, 0.0))
    assert _frozen(table).decide(two).calls_to_launch > BASE.decide(two).calls_to_launch
    assert _frozen(table).decide(five).calls_to_launch == BASE.decide(five).calls_to_launch


@pytest.mark.parametrize("values", [
    [0.0] * 5, [0.0] * 7, [0.0] * 5 + [math.nan], [0.0] * 5 + [math.inf],
    [LOG_BOUND + 0.1] + [0.0] * 5, [0.0] * 5 + [-LOG_BOUND - 1.0],
])
def test_bad_vectors_are_refused(values: list[float]) -> None:
    with pytest.raises(InvalidParameterError):
        StateThresholds.from_vector(values)


def test_bad_tables_are_refused() -> None:
    with pytest.raises(InvalidParameterError):
        StateThresholds((0.0, 0.0, 0.0, 0.0))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        StateThresholds((0.0, 0.0, True, 0.0, 0.0))  # type: ignore[arg-type]


def test_buckets_and_the_ringing_slope() -> None:
    table = StateThresholds((-1.0, -0.5, 0.5, 1.0, 2.0), ringing_slope=0.5)
    assert table.log_multiplier(0, 0) == -1.0
    assert table.log_multiplier(1, 1) == -0.5
    assert table.log_multiplier(2, 2) == 0.5
    assert table.log_multiplier(3, 3) == table.log_multiplier(4, 4) == 1.0
    assert table.log_multiplier(9, 9) == 2.0
    assert table.log_multiplier(1, 7) == pytest.approx(-0.5 + 0.5 * math.log(4.0))
    assert StateThresholds((LOG_BOUND,) * 5, LOG_BOUND).log_multiplier(0, 1000) == LOG_BOUND
    assert table.multiplier(2, 2) == pytest.approx(math.exp(0.5))
