"""Ground truth by instant: when each person answered, was abandoned and talked.

The run's ``Tally`` counts per day, which is each period of a 24-hour window but not a
rolling window across two days, nor a period's running portion (a campaign stopped for good
at some answer is measured on the portion up to it: 47 CFR 64.1200(a)(7)(i), "each
successive 30-day period or portion thereof"). ``TimedSimulation`` also notes the instants,
and the functions below measure the limit in every period, every rolling window and every
running portion of a period (benchmarks/period_starts.py, tests of pacing across periods).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from simulations.driver import Simulation
from simulations.streams import LIVE


@dataclass
class Truth:
    """Ground-truth instants of one run."""

    answers: list[float] = field(default_factory=list)
    """When each person answered (the law's denominator)."""
    abandons: list[float] = field(default_factory=list)
    """When each person who found no agent answered (the numerator, dated by the answer)."""
    talk: list[tuple[float, float]] = field(default_factory=list)
    """(bridged at, talk seconds) of every person connected."""


class TimedSimulation(Simulation):
    """The simulator, also noting each live answer, abandon and talk with its instant."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.truth = Truth()

    def _answer(self, at: float, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and not call.ended and call.kind == LIVE:
            self.truth.answers.append(at)
        super()._answer(at, call_id)

    def _finish(self, call: Any, at: float) -> None:
        # Simulation._finish's own test for a person left without an agent.
        counted = (not call.ended and not call.inbound and call.kind == LIVE
                   and call.answered_at is not None and not call.bridged)
        super()._finish(call, at)
        if counted:
            self.truth.abandons.append(call.answered_at)

    def _bridge(self, command: Any) -> None:
        call = self.calls[command.call_id]
        if call.kind == LIVE:
            self.truth.talk.append((command.at, call.talk))
        super()._bridge(command)


def _count(instants: list[float], lo: float, hi: float) -> int:
    """Instants in [lo, hi) (sorted)."""
    return bisect.bisect_left(instants, hi) - bisect.bisect_left(instants, lo)


def period_rates(truth: Truth, period: float, periods: int, origin: float = 0.0
                 ) -> list[float]:
    """Abandons ÷ live answers of each period [origin + k·period, origin + (k+1)·period)."""
    answers, abandons = sorted(truth.answers), sorted(truth.abandons)
    rates = []
    for k in range(periods):
        lo, hi = origin + k * period, origin + (k + 1) * period
        n = _count(answers, lo, hi)
        rates.append(_count(abandons, lo, hi) / n if n else 0.0)
    return rates


def running_portions(truth: Truth, period: float, periods: int, limit: float,
                     origin: float = 0.0) -> list[tuple[float, float]]:
    """Per period: (the worst running portion, the share of its answers at which the portion
    so far is above ``limit``): what a campaign stopped for good at that answer is measured
    on."""
    answers, abandons = sorted(truth.answers), sorted(truth.abandons)
    out = []
    for k in range(periods):
        lo, hi = origin + k * period, origin + (k + 1) * period
        first, n = bisect.bisect_left(answers, lo), _count(answers, lo, hi)
        before = bisect.bisect_left(abandons, lo)
        worst, over = 0.0, 0
        for i in range(first, first + n):
            spent = bisect.bisect_right(abandons, answers[i]) - before
            so_far = i - first + 1
            worst = max(worst, spent / so_far)
            over += spent > limit * so_far
        out.append((worst, over / n if n else 0.0))
    return out


def worst_window(truth: Truth, window: float) -> float:
    """The highest abandons ÷ live answers over every rolling window (t − window, t] that
    ends while the campaign runs (t up to its last answer).

    A window's counts change only when an answer enters it (t at the answer) or leaves it
    (t at the answer + window), so its rate at every instant is its rate after one of those
    events (abandons are dated by their answer). Windows ending after the campaign's last
    answer hold ever shorter suffixes of its last day, down to its last few answers: no
    pacing that may stop at any moment bounds those (the ledger bounds the window ending
    at each instant it runs, and each period: docs/pacing.md, "Periods")."""
    answers, abandons = sorted(truth.answers), sorted(truth.abandons)
    if not answers:
        return 0.0
    last = answers[-1]
    worst = 0.0
    for end in sorted({*answers, *(t + window for t in answers if t + window <= last)}):
        n = bisect.bisect_right(answers, end) - bisect.bisect_right(answers, end - window)
        if n:
            a = bisect.bisect_right(abandons, end) - bisect.bisect_right(abandons, end - window)
            worst = max(worst, a / n)
    return worst
