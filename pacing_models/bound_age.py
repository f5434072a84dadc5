"""A pacing cell whose ringing calls carry their age, with hang-ups at 15 s (issue 16's bound).

Why: ``pacing_models.bound_chain``'s ``BoundCell`` ends every ringing call, answered or not,
after the same Erlang time, so a call's age says nothing about its fate and unanswered calls
never linger; and it cannot hang up late calls, which the engine does at 15 s of ringing
(``hang_up_after``, worth +0.014–0.020 to predictive at ten agents, about the margin by which
the bound missed 0.85). In the suite's world an answered call rings a lognormal time (9 ± 4 s)
and an unanswered one rings until the 25-s timeout, so an old call is unlikely to answer, and
hanging it up costs few answers. This cell puts that in the chain.

The ring law. Each ringing call's age runs through ``age_phases`` Erlang phases covering
0–``threshold`` s (each of mean threshold ÷ K), then one "old" phase (past the threshold)
of mean ``timeout − threshold`` s, out of which the call ends unanswered (the timeout). A call
is a live answer with probability ``live`` (its fate is hidden: the policy sees only how many
calls are in each age phase), and then its ring time has the lognormal law ``ring_mean`` ±
``ring_sd`` (answers after the timeout are no-answers, as in the simulator). The answer hazard
of a call still ringing depends on its age only: phase j, standing for ages [t₀, t₁), ends as
a live answer with the probability that a call still ringing at t₀ answers before t₁,

    (G(t₁) − G(t₀)) ÷ (1 − G(t₀)),   G(t) = live × F(t),   F the lognormal law,

so a call that survives to the old phase has exactly the suite's probability 1 − G(threshold)
and the total answer probability is G(timeout) (``answer_probability``, tested): the posterior
of a call that has not answered yet, to the phase's granularity. As ``age_phases`` grows the
age clock becomes the real one (the Erlang clock's spread, threshold ÷ √K, is the only thing
the model adds), so the trend over K is the evidence, not one K.

Hang-ups (``hang_up``): ``never`` (calls ring to the timeout), ``at_threshold`` (the engine's
default: a call reaching the old phase is hung up at once, so there is no old phase), or
``choice`` (at every event the policy may hang up any number of the calls in the old phase,
and launch in the same decision). Only old calls may be hung up: a call may not be dropped
before it has rung ``threshold`` seconds (the law's minimum ring; hanging up young calls in a
memoryless chain let a policy summon and dismiss answers at will, the 0.971 artifact in
docs/pacing.md), and its age is known only to the phase.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from pacing_models.errors import InvalidParameterError


class HangUp(enum.Enum):
    """What happens to a call still ringing when it passes the age threshold."""

    NEVER = "never"
    AT_THRESHOLD = "at_threshold"
    CHOICE = "choice"


@dataclass(frozen=True)
class AgeCell:
    """One cell with the age-aware ring law (seconds; ``live`` per tracked call)."""

    agents: int
    live: float
    """Probability that a tracked ringing call is a live answer if let ring (busy lines
    excluded, answers after the timeout included: ``answer_probability`` removes them)."""
    age_phases: int
    hang_up: HangUp
    handle_mean: float
    handle_phases: int
    wait_mean: float
    ring_mean: float = 9.0
    ring_sd: float = 4.0
    threshold: float = 15.0
    timeout: float = 25.0
    abandon_limit: float = 0.03
    max_ringing: int = 30
    max_waiting: int = 3
    max_launch: int = 8

    hang_up_with_launch = True
    """A hang-up and a launch are one decision (a dialer does both in the same second)."""

    def __post_init__(self) -> None:
        checks = {
            "agents": self.agents >= 1, "live": 0.0 < self.live <= 1.0,
            "age_phases": self.age_phases >= 1, "handle_mean": self.handle_mean > 0,
            "handle_phases": self.handle_phases >= 1, "wait_mean": self.wait_mean > 0,
            "ring_mean": self.ring_mean > 0, "ring_sd": self.ring_sd > 0,
            "threshold": self.threshold > 0, "timeout": self.timeout > self.threshold,
            "abandon_limit": self.abandon_limit >= 0, "max_ringing": self.max_ringing >= 1,
            "max_waiting": self.max_waiting >= 0, "max_launch": self.max_launch >= 1,
            "hang_up": isinstance(self.hang_up, HangUp),
        }
        for name, ok in checks.items():
            if not ok:
                raise InvalidParameterError(f"AgeCell.{name}: out of range "
                                            f"({getattr(self, name)!r})")

    @property
    def ring_phases(self) -> int:
        """Age phases, plus the old phase unless every old call is hung up at once."""
        return self.age_phases + (self.hang_up is not HangUp.AT_THRESHOLD)

    @property
    def may_cancel(self) -> bool:
        return self.hang_up is HangUp.CHOICE

    @property
    def live_share(self) -> float:
        """The most any ringing call, of any age, answers with (``day_bound``'s allowance for
        the calls ringing at closing): a new call's G(timeout); the posterior only falls
        with age."""
        return self.answered_by(self.timeout)

    def answered_by(self, seconds: float) -> float:
        """G(t): probability that a new call has answered live by ``seconds`` of ringing."""
        sigma2 = math.log(1.0 + (self.ring_sd / self.ring_mean) ** 2)
        scale = self.ring_mean / math.sqrt(1.0 + (self.ring_sd / self.ring_mean) ** 2)
        return self.live * float(stats.lognorm.cdf(seconds, math.sqrt(sigma2), scale=scale))

    def ring_law(self) -> tuple[np.ndarray, np.ndarray]:
        """(rate of leaving each ring phase, probability that leaving it is a live answer),
        as ``pacing_models.bound_chain`` reads a cell's ring law."""
        k = self.age_phases
        edges = [self.threshold * j / k for j in range(k + 1)]
        if self.hang_up is not HangUp.AT_THRESHOLD:
            edges.append(self.timeout)
        answered = [self.answered_by(t) for t in edges]
        share = [(answered[j + 1] - answered[j]) / (1.0 - answered[j])
                 for j in range(len(edges) - 1)]
        leave = [1.0 / (edges[j + 1] - edges[j]) for j in range(len(edges) - 1)]
        # Phase j ages at rate 1/(t₁ − t₀) and answers at rate a with a ÷ (a + ageing) =
        # share: each phase's chance matches the suite's exactly, and a call stays in it
        # (t₁ − t₀)(1 − share) on average whatever its fate (competing exponentials), a
        # small speed-up of the clock that vanishes as the phases shorten.
        rate = [leave[j] / (1.0 - share[j]) for j in range(len(share))]
        return np.array(rate), np.array(share)

    def answer_probability(self) -> float:
        """Probability that a call launched into this chain ends as a live answer (no
        hang-up by choice): the product of the phases' chances, from the ring law."""
        _, share = self.ring_law()
        survive, answered = 1.0, 0.0
        for s in share:
            answered += survive * s
            survive *= 1.0 - s
        return answered


def suite_age_cell(agents: int, live: float, talk: float, *, age_phases: int,
                   hang_up: HangUp, wrap: float = 15.0, busy: float = 0.05,
                   window: float = 2.0, patience_mean: float = 5.0, handle_phases: int = 1,
                   **limits: int) -> AgeCell:
    """The pacing suite's cell (benchmarks/pacing_quality.py) with the age-aware ring law:
    busy lines known at the dial (as ``suite_cell``), so a tracked call is live with
    probability live ÷ (1 − busy)."""
    wait_mean = patience_mean * (1.0 - math.exp(-window / patience_mean))
    return AgeCell(agents=agents, live=live / (1.0 - busy), age_phases=age_phases,
                   hang_up=hang_up, handle_mean=talk + wrap, handle_phases=handle_phases,
                   wait_mean=wait_mean, **limits)
