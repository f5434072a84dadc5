"""The abandonment budget: what rate the predictive policy may aim at, given the window so far.

The law caps abandoned calls ÷ live answers over a measurement window (US: 30 days,
47 CFR 64.1200(a)(7)(i); UK Ofcom: 24 hours). The ledger hands the policy the window's own
counts: L live answers and A abandons over the whole window the campaign carries (30 days of
history for a campaign that has been running, a few minutes for a new one).

**Only answers already observed pay for abandons.** A campaign may stop at any moment, and
the window that ends then must be within the limit: abandons planned now are covered by the
window's slack s = r·L − A − reserve (r the limit), never by answers still to come. Abandons
are rare, random events, so the aim p (abandons per live answer from now on) leaves a
margin: following it, the expected abandons plus z Poisson standard deviations stay within
the slack *after every one* of the next n live answers, each of which adds r to the slack:

    p·n + z·√(p·n) ≤ s + r·n      for every n ≤ H

(H = answers still to come in the current period; unknown or a rolling window: H = ∞.) The
tightest n is n* = z²p ÷ (4(r − p)²), which gives, for H = ∞ (or n* ≤ H),

    p ≤ r ÷ (1 + z² ÷ (4s)),

and for a period that ends within n* answers, the end of the period binds: √(p·H) =
(√(z² + 4(s + r·H)) − z) ÷ 2, the savings spent over the answers left (never over fewer than
``planning_answers``). The aim depends on the slack, not on the window's age: a window of a
few hundred answers (a young campaign) has a few abandons of slack and aims low, or at 0
until r·L exceeds the reserve (a single abandon among 30 answers is already 3.3 %); a window
of 30 days that has spent less than its share has tens of abandons of slack and aims at the
cap from the start of each day instead of re-paying a young window's margin. In a growing
window the slack grows like √(r·z²·L ÷ 2) while the aim approaches r.

This replaces a one-point plan (the window ending z standard deviations below the limit
after H = max(L, 200) more answers, r* = (r(L + H) − A − z√(rH)) ÷ H), which counted the
answers of the plan to cover the abandons of the plan and checked only the plan's end. For
the same z the two aim alike in a cold start (with abandons drawn exactly at the aim, both
spend 0.59 of a day's budget over 1,450 answers; docs/pacing.md), and only the new one keeps
every instant under the limit. The normal band is a little bolder than the exact Poisson
tail for tiny slacks; the reserve and the model-bias loop cover that (docs/pacing.md,
"Setpoint").

The aim is never above ``aim_cap × r`` (the model's own error needs room). A window above
the cap lowers the cap by (cap ÷ rate)², so it is brought back rather than held. When the
window is within ``reserve`` abandons of the limit (A + reserve ≥ r·L) the budget is spent:
nothing but progressive (calls that each have an agent waiting) is allowed. The reserve is
for the calls already in flight when the limit is reached, which still abandon a few:
without it, 30-day runs of 5–10 agents, whose windows hover near the limit, ended 1–3
abandons over it (3.00–3.03 % by ground truth in 4 of 6 runs; 2.85–2.99 % with a reserve of
3, at the same talk).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pacing_models.errors import InvalidParameterError


@dataclass(frozen=True, slots=True)
class AbandonBudget:
    """Setpoint of the abandonment rate from the window's live answers and abandons."""

    z: float = 4.0
    """Poisson standard deviations the plan keeps below the window's slack at every answer."""
    planning_answers: float = 200.0
    """Fewest answers a period's savings are spent over (its end never comes sooner)."""
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

    def slack(self, live: int, abandons: int, target: float) -> float:
        """Abandons the answers already in the window pay for, less the reserve."""
        return target * live - abandons - self.reserve

    def covered_aim(self, slack: float, target: float, answers_left: float = math.inf) -> float:
        """The highest aim p whose abandons, plus z Poisson standard deviations, stay within
        ``slack`` + ``target`` × n after each of the next n ≤ ``answers_left`` answers."""
        if slack <= 0.0 or target <= 0.0:
            return 0.0
        z2 = self.z * self.z
        # n* = z²p ÷ (4(r − p)²) is where the band comes closest to the line; at the aim
        # below it touches the line there.
        endless = target / (1.0 + z2 / (4.0 * slack))
        if not math.isfinite(answers_left):
            return endless
        horizon = max(answers_left, self.planning_answers)
        if z2 > 0.0 and z2 * endless < horizon * 4.0 * (target - endless) ** 2:
            return endless  # n* comes before the period's end: the endless aim binds
        # The period ends first: only its last answer binds, p·H + z√(p·H) = s + r·H.
        root = (math.sqrt(z2 + 4.0 * (slack + target * horizon)) - self.z) / 2.0
        return max(endless, root * root / horizon)

    def setpoint(self, live: int, abandons: int, target: float,
                 answers_left: float = math.inf) -> float:
        """Rate of abandons per live answer to aim at from now on (0 = progressive).

        ``answers_left``: live answers expected in the rest of the measurement period
        (∞ for a rolling window or when unknown; a campaign may stop at any moment)."""
        if self.spent(live, abandons, target):
            return 0.0
        aim = self.covered_aim(self.slack(live, abandons, target), target, answers_left)
        cap = self.aim_cap * target
        rate = abandons / live if live else 0.0
        if rate > cap:
            # Above the aim the window is brought back, not held: the further above, the
            # lower the aim (the model's bias is learnt slowly; this acts at once).
            cap *= (cap / rate) ** 2
        return min(aim, cap)

    def period_aim(self, live: int, abandons: int, target: float, answers_left: float,
                   measured: float = 0.0) -> float:
        """The aim that spends a period's budget by its end: L and A the period's own counts,
        ``answers_left`` = H the live answers it is expected to have still (a fair share of
        what the previous period had over the same stretch), ``measured`` = f the rate of
        other abandons beside the model's (AMD's). Returns p (0 = nothing to spend).

        A period is measured whole while the campaign runs on (47 CFR 64.1200(a)(7)(i):
        "each successive 30-day period"), so its end binds, not each of its answers: with
        s = r·L − A − reserve (negative at a period's start, which has no answers of its
        own and keeps the reserve), the plan keeps

            (p + f)·H + z·√((p + f)·H) ≤ s + r·H,

        f's noise under the model's z (a period's plan may be a day ahead: no feedback
        meets f's drift in time to count on a smaller margin), so p + f = ρ²/H with
        ρ = (√(z² + 4(s + r·H)) − z) ÷ 2. The window's every-instant aim (``setpoint``)
        stays beside it, and the lower of the two is the aim; the cap is ``setpoint``'s,
        on the period's own rate, so an early run of abandons in a period is brought back at
        once. The risk this takes, and what bounds it, is in docs/pacing.md ("Periods")."""
        if target <= 0.0 or not answers_left > 0.0:
            return 0.0
        total = self.slack(live, abandons, target) + target * answers_left
        if total <= 0.0:
            return 0.0
        root = (math.sqrt(self.z * self.z + 4.0 * total) - self.z) / 2.0
        f = min(max(measured, 0.0), target)
        cap = f + self.aim_cap * (target - f)
        rate = abandons / live if live else 0.0
        if rate > cap:
            cap *= (cap / rate) ** 2
        return max(0.0, min(root * root / answers_left, cap) - f)

    def aim_beside(self, live: int, abandons: int, target: float, measured: float,
                   measured_z: float) -> float:
        """The model's own aim when other abandons come at a measured rate f beside it
        (AMD's: false positives, people gone while it listens; ``measured``).

        The window's abandons are then f per answer plus the model's p, and the plan keeps,
        after every one of the next n answers,

            (p + f)·n + √((z²·p + z_f²·f)·n) ≤ s + r·n,

        each source with its own margin: z (``self.z``) on the model's abandons, whose rate
        is a forecast, and z_f (``measured_z``) on f's, whose rate is measured rather than
        forecast and is met by the feedback at once (when they run high the slack, and so
        the aim, falls at the next decision, whatever the model dialed). The tightest n
        gives

            p ≤ (4s·(r − f) − z_f²·f) ÷ (z² + 4s),

        which for z_f = z is the plain setpoint less f (``setpoint``'s endless aim). The cap
        leaves ``aim_cap`` of what f leaves to the model, f + cap·(r − f) in all (brought
        down when the window runs above it, as ``setpoint`` does); a spent window allows
        nothing. Returns p (0 = progressive).
        """
        if self.spent(live, abandons, target):
            return 0.0
        slack = self.slack(live, abandons, target)
        if slack <= 0.0:
            return 0.0
        f = min(max(measured, 0.0), target)
        four_s = 4.0 * slack
        aim = (four_s * (target - f) - measured_z * measured_z * f) / (self.z * self.z + four_s)
        cap = f + self.aim_cap * (target - f)
        rate = abandons / live if live else 0.0
        if rate > cap:
            cap *= (cap / rate) ** 2
        return max(0.0, min(aim, cap - f))


def guarded_abandons(expected: float, bias: float, z: float) -> float:
    """The model's expected abandons ``expected`` as the batch guard counts them: inflated by
    the model's bias c, plus z Poisson standard deviations, c·E + z·√(c·E) (as the setpoint
    keeps its plan z deviations within the slack)."""
    c = bias if bias > 1.0 else 1.0
    inflated = c * expected if expected > 0.0 else 0.0
    return inflated + z * math.sqrt(inflated)


def batch_room(slack: float, bias: float, z: float) -> float:
    """The most expected abandons (the model's own, uninflated) the calls in flight after a
    decision may carry: the largest E with ``guarded_abandons``(E) ≤ ``slack``, 0 when the
    slack is spent (docs/pacing.md, "The batch guard").

    c·E + z·√(c·E) = s is a quadratic in √(c·E): √(c·E) = (√(z² + 4s) − z) ÷ 2."""
    if not slack > 0.0:
        return 0.0
    root = (math.sqrt(z * z + 4.0 * slack) - z) / 2.0
    return root * root / (bias if bias > 1.0 else 1.0)
