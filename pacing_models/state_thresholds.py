"""Per-state threshold multipliers for the predictive policy: a dial rule learned per state.

The predictive policy dials while one more call's marginal expected overflow (people left
without an agent) is at most λ (``PredictivePolicy.threshold``, tuned by its integral loop
towards the budget's aim). One λ for every state equalises the marginal *cost* of a dial
across states; what a dial *buys* (the talk an otherwise idle agent gets from it) is not the
same in every state, so the Lagrangian rule "dial while cost ≤ benefit ÷ price" has a
threshold that depends on the state. This module is that dependence as a small table: the
threshold used at a decision is λ · exp(θ(state)), with θ a log multiplier by the number of
free agents and a slope in the calls ringing per free agent. The loop still tunes λ on the
abandons the dials cause, so the table moves *where* the budget is spent, not how much of
it; and it changes only the model's count: the budget's guard (no aim: progressive),
the line cap and the young window's look-ahead are the policy's own, before and after.

It is searched by ``benchmarks/pacing_policy_search.py`` and is not a campaign or
``--policy`` parameter: the search found no table that talks more than the default on
held-out days. Tables far from the default broke the abandonment limit before the batch
guard (the budget reads the window at the decision; a table made single decisions launch up
to the line cap, 240–300 calls); the guard (``PredictivePolicy._batch_cut``) now cuts such
a batch to the window's slack whatever the table, and the worst such table stays within the
limit (docs/pacing.md, "Policy search over per-state thresholds (issue 16)", "The batch
guard").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pacing_models.errors import InvalidParameterError

FREE_BUCKETS = ("0", "1", "2", "3-4", "5+")
"""The free-agent buckets of the table, in order (``StateThresholds.bucket``)."""

LOG_BOUND = 4.0
"""|θ| at most this (a multiplier within e^±4 ≈ 0.018–55): the table shapes λ, the loop sets
it; a table that could make the threshold anything would be a second, untuned budget."""


def _bucket(free: int) -> int:
    if free <= 2:
        return free if free > 0 else 0
    return 3 if free <= 4 else 4


@dataclass(frozen=True, slots=True)
class StateThresholds:
    """log multipliers of λ by free agents (``FREE_BUCKETS``), and a slope per unit of
    log((ringing + 1) ÷ (free + 1)): positive dials more where many calls are already
    ringing per free agent, negative less."""

    by_free: tuple[float, float, float, float, float]
    ringing_slope: float = 0.0

    def __post_init__(self) -> None:
        if len(self.by_free) != len(FREE_BUCKETS):
            raise InvalidParameterError(
                f"state thresholds: {len(FREE_BUCKETS)} log multipliers by free agents "
                f"({', '.join(FREE_BUCKETS)}), got {len(self.by_free)}")
        for value in (*self.by_free, self.ringing_slope):
            if not (isinstance(value, int | float) and not isinstance(value, bool)
                    and math.isfinite(value) and -LOG_BOUND <= value <= LOG_BOUND):
                raise InvalidParameterError(
                    f"state thresholds: every value must be a number in [-{LOG_BOUND:g}, "
                    f"{LOG_BOUND:g}], got {value!r}")

    def log_multiplier(self, free: int, ringing: int) -> float:
        """θ(state), clipped to ±``LOG_BOUND``."""
        theta = self.by_free[_bucket(free)]
        slope = self.ringing_slope
        if slope != 0.0:
            theta += slope * math.log((ringing + 1.0) / (free + 1.0))
        if theta > LOG_BOUND:
            return LOG_BOUND
        return theta if theta > -LOG_BOUND else -LOG_BOUND

    def multiplier(self, free: int, ringing: int) -> float:
        """exp(θ(state)): the factor on λ at a decision with ``free`` agents free and
        ``ringing`` calls ringing."""
        return math.exp(self.log_multiplier(free, ringing))

    @classmethod
    def from_vector(cls, values: tuple[float, ...] | list[float]) -> StateThresholds:
        """Five log multipliers by free agents, then the ringing slope (the search's
        parameter vector)."""
        values = [float(v) for v in values]
        if len(values) != len(FREE_BUCKETS) + 1:
            raise InvalidParameterError(
                f"state thresholds: {len(FREE_BUCKETS) + 1} values, got {len(values)}")
        return cls(tuple(values[:5]), values[5])  # type: ignore[arg-type]

    def vector(self) -> tuple[float, ...]:
        return (*self.by_free, self.ringing_slope)
