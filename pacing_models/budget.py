"""The abandonment budget: what rate the predictive policy may aim at, given the window so far.

The law caps abandoned calls ÷ live answers over a measurement window (US: 30 days,
47 CFR 64.1200(a)(7)(i); UK Ofcom: 24 hours). Aiming *at* the limit breaks it about half the
time, because abandons are rare events: with L live answers to come at rate r, the count is
about Poisson(rL), so its relative spread is 1/√(rL). A window of 650 answers (five agents
for a day) at 3 % holds ~20 abandons ± 4.4, i.e. ±0.7 points of rate. The aim must sit
below the limit by a margin that shrinks as the window fills.

Setpoint (the rate the model is asked to produce from now on): plan over the next
H = max(L, planning_answers) live answers, so that the window ends z standard deviations
below the limit if the plan is followed:

    A + r*·H + z·√(r·H) ≤ r·(L + H)
    ⇒ r* = (r·(L + H) − A − z·√(r·H)) ÷ H,  clipped to [0, aim_cap·r].

A young window (L small, the first minutes of a campaign) therefore aims low or at zero
(progressive) — a single abandon among 30 answers is already 3.3 % — and a window that has
spent less than its share spends the saving, never above ``aim_cap × r``. In steady state
the window rate settles at about r − (z/2)·√(r/L), i.e. z/2 standard deviations below the
limit. A window above ``aim_cap × r`` lowers the cap by (cap ÷ rate)², so it is brought back
rather than held. When the window is within ``reserve`` abandons of the limit
(A + reserve ≥ r·L) the budget is spent: nothing but progressive (calls that each have an
agent waiting) is allowed. The reserve is for the calls already in flight when the limit is
reached, which still abandon a few: without it, 30-day runs of 5–10 agents, whose windows
hover near the limit, ended 1–3 abandons over it (3.00–3.03 % by ground truth in 4 of 6
runs; 2.85–2.99 % with a reserve of 3, at the same talk).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pacing_models.errors import InvalidParameterError


@dataclass(frozen=True, slots=True)
class AbandonBudget:
    """Setpoint of the abandonment rate from the window's live answers and abandons."""

    z: float = 4.0
    """Standard deviations of Poisson noise the plan keeps below the limit."""
    planning_answers: float = 200.0
    """Smallest number of future live answers a plan spreads the budget over."""
    aim_cap: float = 0.9
    """Never aim above this share of the limit (the model's own error needs room)."""
    reserve: float = 3.0
    """Abandons kept back: the budget is spent this many abandons before the limit."""

    def __post_init__(self) -> None:
        if self.z < 0:
            raise InvalidParameterError(f"z must be ≥ 0, got {self.z}")
        if self.planning_answers <= 0:
            raise InvalidParameterError(
                f"planning_answers must be > 0, got {self.planning_answers}"
            )
        if not 0.0 < self.aim_cap <= 1.0:
            raise InvalidParameterError(f"aim_cap must be in (0, 1], got {self.aim_cap}")
        if self.reserve < 0:
            raise InvalidParameterError(f"reserve must be ≥ 0 abandons, got {self.reserve}")

    def spent(self, live: int, abandons: int, target: float) -> bool:
        """The window is within ``reserve`` abandons of the limit, or over it: no abandon
        can be afforded now (the calls in flight may still bring a few)."""
        if target <= 0.0:
            return True
        return abandons > 0 and abandons + self.reserve >= target * live

    def setpoint(self, live: int, abandons: int, target: float) -> float:
        """Rate of abandons per live answer to aim at from now on (0 = progressive)."""
        if self.spent(live, abandons, target):
            return 0.0
        horizon = max(float(live), self.planning_answers)
        room = target * (live + horizon) - abandons - self.z * math.sqrt(target * horizon)
        cap = self.aim_cap * target
        rate = abandons / live if live else 0.0
        if rate > cap:
            # Above the aim the window is brought back, not held: the further above, the
            # lower the aim (the model's bias is learnt slowly; this acts at once).
            cap *= (cap / rate) ** 2
        return min(max(room / horizon, 0.0), cap)
