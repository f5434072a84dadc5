"""Which pacing policy a live campaign runs: ``pacing_models``' when available.

``build_policy`` asks ``pacing_models`` for the campaign's policy by name. Two small
policies live here because the runner itself needs them whatever ``pacing_models`` offers:
``FixedRate`` (the load benchmark: a steady number of attempts per second, agents or not)
and ``AnswerRatio`` (the fallback when ``pacing_models`` has no policy of that name:
enough lines that the calls ringing are expected to yield one live answer per free agent,
from the campaign's own observed live-answer rate, capped by ``max_ratio``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pacing_models.interface import AttemptResult, PacingDecision, PacingPolicy, PacingState


class FixedRate:
    """Launch ``rate`` calls per second (fractional remainders carried between decisions)."""

    name = "fixed-rate"

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._carry = 0.0
        self._last: float | None = None

    def decide(self, state: PacingState) -> PacingDecision:
        # By the time actually elapsed: decisions come a little later than the interval.
        elapsed = state.decision_interval if self._last is None else state.now - self._last
        self._last = state.now
        wanted = self.rate * min(elapsed, 5 * state.decision_interval) + self._carry
        n = int(wanted)
        self._carry = wanted - n
        return PacingDecision(n, f"load generator: {self.rate:g} attempts/s")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        pass

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass


class AnswerRatio:
    """Lines so that ringing calls are expected to bring one live answer per free agent."""

    name = "answer-ratio"

    def __init__(self, max_ratio: float = 3.0, prior_live_rate: float = 0.3,
                 prior_weight: float = 20.0) -> None:
        self.max_ratio = max_ratio
        self._live = prior_live_rate * prior_weight
        self._attempts = prior_weight

    @property
    def live_rate(self) -> float:
        return self._live / self._attempts

    def decide(self, state: PacingState) -> PacingDecision:
        rate = max(self.live_rate, 1.0 / self.max_ratio)
        over_target = (state.live_answers_in_window > 0 and state.abandons_in_window
                       > state.abandon_target * state.live_answers_in_window)
        free = state.agents_free - state.answered_waiting
        if over_target:
            lines = free  # progressive until the abandonment rate is back under target
        else:
            lines = math.floor(free / rate + 1e-9)
        n = max(0, lines - len(state.ringing_elapsed))
        why = (f"{state.agents_free} agents free, live-answer rate {self.live_rate:.0%}, "
               f"{len(state.ringing_elapsed)} ringing → {n} new"
               + (" (abandon rate over target: 1 line per agent)" if over_target else ""))
        return PacingDecision(n, why)

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self._attempts += 1
        if result is AttemptResult.LIVE:
            self._live += 1

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass


def build_policy(name: str, params: Mapping[str, Any]) -> PacingPolicy:
    if name == FixedRate.name:
        return FixedRate(float(params.get("rate", 10.0)))
    try:
        import pacing_models

        factory = getattr(pacing_models, "make_policy", None)
        if factory is not None:
            return factory(name, **dict(params))  # type: ignore[no-any-return]
    except (ImportError, TypeError, ValueError, KeyError):
        pass
    return AnswerRatio(float(params.get("max_ratio", 3.0)))
