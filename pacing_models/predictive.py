"""The predictive policy: the most calls whose expected abandons fit the abandonment budget.

Model (docs/pacing.md has the derivation and references). Time from now is cut into slots of
δ = 0.5 s. For every slot k until the ring timeout:

* demand ``A_k``: live answers by slot k, from calls already ringing (P(live answer by k |
  still ringing after its elapsed time), from the ring-time and outcome estimators), from
  the ``n`` calls launched now (``n·G_k``, G the profile of a fresh dial) and the calls
  already answered and waiting;
* supply ``S_k``: agents free by slot k: free now, plus agents on a call whose residual talk
  plus wrap-up ends by then (talk law conditioned on the elapsed talk), plus agents finishing
  wrap-up.

A live answer in slot k is abandoned if no agent is free by k + connect window, so in the
fluid limit the abandons over the horizon are sup_k (A_k − S_{k+c})⁺ (the deadline-queue
reflection). Both sides are sums of independent Bernoulli variables, so each difference is
taken as normal (mean and variance add; Poisson-binomial → normal) and

    E[abandons](n) ≈ max_k E[(A_k(n) − S_{k+c})⁺],  E[X⁺] = m·Φ(m/σ) + σ·φ(m/σ).

The policy launches the largest n with E[abandons](n) ≤ allowance = r* × g × (expected
agents available over the horizon): r* is a setpoint abandonment rate (safety × target,
raised when the measurement window has budget to spend, lowered when it has not, 0 — i.e.
progressive — from ``ceiling`` × target on), and g a gain calibrated online on the
campaign's realised abandons (the max over slots under-states the expected supremum).
Progressive is always the floor: a call per uncovered free agent can never be abandoned.

References: Samuelson, "Predictive dialing for outbound telephone call centers", Interfaces
29(5), 1999 (pacing on agent-availability and answer-time forecasts); Koole, *Call Center
Optimization* (2013), on outbound dialing under an abandonment constraint; Mandelbaum &
Zeltyn (2004) for the deadline (connect-window) view of abandonment.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from pacing_models.errors import InvalidParameterError
from pacing_models.estimators import RING_GRID_STEP, DurationEstimator, OutcomeMix, RingTimes
from pacing_models.interface import AttemptResult, PacingDecision, PacingState
from pacing_models.policies import calls_in_flight, progressive_count
from pacing_models.tables import (
    AGENT_GRID_STEP,
    JOINT_MIN_PAIRS,
    AgentTable,
    RingTable,
    build_busy_table,
    build_busy_table_joint,
    build_ring_table,
    build_wrap_table,
    gather_sum,
)

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class PredictivePolicy:
    """Model-based, abandonment-constrained pacing (see the module docstring)."""

    name = "predictive"

    def __init__(
        self,
        *,
        safety: float = 0.7,
        max_spend: float = 2.0,
        prior_live_answer: float = 0.2,
        prior_talk_mean: float = 180.0,
        prior_talk_sd: float = 120.0,
        prior_wrap_mean: float = 15.0,
        prior_wrap_sd: float = 5.0,
        min_live_answers: int = 20,
        min_handles: int = 10,
        half_life: float = 3600.0,
        rate_prior_answers: float = 100.0,
        ceiling: float = 0.85,
        gain_rate: float = 0.1,
        initial_gain: float = 0.1,
        ring_refresh_attempts: int = 50,
        max_calls_per_decision: int = 100_000,
    ) -> None:
        if not 0.0 < safety <= 1.0:
            raise InvalidParameterError(f"safety must be in (0, 1], got {safety}")
        if max_spend < 1.0:
            raise InvalidParameterError(f"max_spend must be ≥ 1, got {max_spend}")
        self.safety = safety
        self.max_spend = max_spend
        self.min_live_answers = min_live_answers
        self.min_handles = min_handles
        self.rate_prior_answers = rate_prior_answers
        if not 0.0 < ceiling <= 1.0:
            raise InvalidParameterError(f"ceiling must be in (0, 1], got {ceiling}")
        self.ceiling = ceiling
        self.gain_rate = gain_rate
        if initial_gain <= 0:
            raise InvalidParameterError(f"initial_gain must be > 0, got {initial_gain}")
        # Start cautious: the normal approximation under-states abandons (see _learn_gain),
        # and a young window has the least room for a burst.
        self._log_gain = math.log(initial_gain)
        self._last_counts: tuple[float, int, int] | None = None
        self.ring_refresh_attempts = ring_refresh_attempts
        self.max_calls_per_decision = max_calls_per_decision
        self.outcomes = OutcomeMix(prior_live=prior_live_answer, half_life=half_life)
        self.ring_times = RingTimes(half_life=half_life)
        self.talk = DurationEstimator(prior_talk_mean, prior_talk_sd)
        self.wrap = DurationEstimator(prior_wrap_mean, prior_wrap_sd)
        self._ring: RingTable | None = None
        self._busy: AgentTable | None = None
        self._wrap: AgentTable | None = None
        self._key: tuple[int, int, int, int] | None = None
        self._compact: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.zeros((1, 0)), np.zeros((1, 0)), np.zeros((1, 0))
        )
        self._compact_for: tuple[RingTable, AgentTable] | None = None
        self._attempts_since_ring = 0
        self._pairs: list[tuple[float, float]] = []
        self._talk_q90 = math.inf

    # --- learning -------------------------------------------------------------------------

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self.outcomes.observe(result, at)
        self.ring_times.observe(result, ring_seconds, at)
        self._attempts_since_ring += 1

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self.talk.observe(talk_seconds)
        self.wrap.observe(wrap_seconds)
        self._pairs.append((max(0.0, talk_seconds), max(0.0, wrap_seconds)))
        if len(self._pairs) > self.talk.window:
            del self._pairs[: len(self._pairs) - self.talk.window]

    @property
    def warmed_up(self) -> bool:
        """Enough of the campaign's own outcomes to trust the model over progressive."""
        return (
            self.outcomes.live_observed >= self.min_live_answers
            and self.talk.count >= self.min_handles
        )

    # --- tables ---------------------------------------------------------------------------

    def _tables(self, state: PacingState) -> tuple[RingTable, AgentTable, AgentTable, int]:
        step = RING_GRID_STEP
        timeout = self.ring_times.no_answer_timeout
        demand = math.ceil((timeout + state.decision_interval) / step) + 1
        window = max(1, math.ceil(state.connect_window / step))
        key = (demand, window, self.talk.version, self.wrap.version)
        if self._ring is None or self._attempts_since_ring >= self.ring_refresh_attempts or (
            self._key is None or key[:2] != self._key[:2]
        ):
            self._ring = build_ring_table(
                self.outcomes.probabilities(), self.ring_times.cdfs(), timeout, demand
            )
            self._attempts_since_ring = 0
        if self._key != key or self._busy is None or self._wrap is None:
            supply = demand + window
            self._busy = build_busy_table(self.talk.fitted, self.wrap.fitted, supply)
            if len(self._pairs) >= JOINT_MIN_PAIRS:
                pairs = np.asarray(self._pairs)
                self._busy = build_busy_table_joint(pairs[:, 0], pairs[:, 1], self._busy, supply)
            self._wrap = build_wrap_table(self.wrap.fitted, supply)
            self._talk_q90 = float(self.talk.fitted.distribution.ppf(0.9))  # type: ignore[attr-defined]
            self._key = key
            self._compact_for = None
        built_for = self._compact_for
        if built_for is None or built_for[0] is not self._ring or built_for[1] is not self._busy:
            self._compact = self._compact_tables(self._ring, self._busy, self._wrap, window)
            self._compact_for = (self._ring, self._busy)
        return self._ring, self._busy, self._wrap, window

    @staticmethod
    def _compact_tables(
        ring: RingTable, busy: AgentTable, wrap: AgentTable, window: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Only the columns a decision reads, side by side, so each is one gather.

        Ring: [P(live by eval slot) | variance]. Agents: [P(free by eval slot + connect
        window) | P(free by the horizon's end) | variances in the same order].
        """
        cols = ring.eval_slots
        ring_at = np.hstack([ring.table[:, cols], ring.variance[:, cols]])

        def agent_at(table: AgentTable) -> np.ndarray:
            picked = np.append(cols + window, table.width - 1)
            return np.hstack([table.table[:, picked], table.variance[:, picked]])

        return ring_at, agent_at(busy), agent_at(wrap)

    # --- decision -------------------------------------------------------------------------

    def setpoint(self, state: PacingState) -> float:
        """The abandonment rate to aim at now (0 … ceiling × target).

        The aim (safety × target) moves by the window's distance from it: below the aim the
        saved budget is spent, above it the policy holds back, and from ``ceiling × target``
        on it is 0 (progressive). The window rate is shrunk towards the aim by
        ``rate_prior_answers`` pseudo-answers so a young window does not swing it.
        """
        target = state.abandon_target
        if target <= 0:
            return 0.0
        aim = self.safety * target
        pseudo = self.rate_prior_answers
        rate = (state.abandons_in_window + aim * pseudo) / (state.live_answers_in_window + pseudo)
        measured = state.abandons_in_window / max(1, state.live_answers_in_window)
        if max(rate, measured) >= self.ceiling * target:
            return 0.0  # at the ceiling: progressive until the window recovers
        spend = min(self.max_spend * aim, aim + (aim - rate))
        return max(0.0, min(spend, self.ceiling * target))

    def _learn_gain(self, state: PacingState, setpoint: float) -> float:
        """Calibrate the model on realised abandons (integral control on log gain).

        max_k E[(·)⁺] under-estimates E[sup_k (·)⁺]; rather than guess the factor, every new
        live answer raises log(gain) by κ·r*/(50·aim) and every abandon lowers it by
        κ/(50·aim), so realised abandons per live answer settle on the setpoint r*.
        Learned only when time has moved on, so repeated decisions on one snapshot agree.
        """
        live, abandons = state.live_answers_in_window, state.abandons_in_window
        last = self._last_counts
        if last is None or state.now > last[0]:
            if last is not None and live >= last[1] and abandons >= last[2]:
                aim = max(self.safety * state.abandon_target, 1e-6)
                new_live, new_abandons = live - last[1], abandons - last[2]
                step = self.gain_rate / (50.0 * aim) * (new_live * setpoint - new_abandons)
                self._log_gain = min(3.0, max(-7.0, self._log_gain + step))
            self._last_counts = (state.now, live, abandons)
        return math.exp(self._log_gain)

    @staticmethod
    def _expected_abandons(
        ring: RingTable, gap: np.ndarray, gap_var: np.ndarray, demand: np.ndarray,
        counts: np.ndarray,
    ) -> np.ndarray:
        """max_k E[(A_k − S_{k+c})⁺] for each candidate number of new calls (normal approx)."""
        column = counts[:, None]
        arrivals = column * ring.new_call_at
        mean = gap + arrivals
        sd = np.sqrt(gap_var + column * ring.new_call_variance_at)
        z = mean / sd
        # E[X⁺] = σ·ψ(m/σ), ψ(z) = z·Φ(z) + φ(z); few numpy calls matter more than elements here.
        excess = mean * special.ndtr(z) + sd * np.exp(-0.5 * z * z) * _INV_SQRT_2PI
        # Abandons never exceed the live answers themselves (the normal law knows no floor).
        return np.minimum(excess, demand + arrivals).max(axis=1)

    def _largest_within(
        self, ring: RingTable, gap: np.ndarray, gap_var: np.ndarray, demand: np.ndarray,
        allowance: float, cap: int,
    ) -> tuple[int, float]:
        """Largest n with E[abandons](n) ≤ allowance (0 if even n = 0 exceeds it).

        E[abandons] rises with n, so the feasible n form a prefix. Start at the fluid guess
        (mean demand = mean supply in the binding slot) and bracket around it, so a decision
        costs one or two small vectorised evaluations instead of a scan.
        """
        profile = ring.new_call_at
        ratio = -gap[ring.answering] / profile[ring.answering]
        guess = int(min(max(float(ratio.min()), 0.0), cap)) if ratio.size else 0
        # One evaluation usually suffices: every n near the guess, a few far ones around.
        near = set(range(max(0, guess - 4), min(cap, guess + 4) + 1))
        near.update(max(0, min(cap, guess + step)) for step in (-64, -16, -8, 8, 16, 64))
        near.add(0)
        candidates = np.array(sorted(near), dtype=float)
        low, low_value = -1, math.inf
        while True:
            values = self._expected_abandons(ring, gap, gap_var, demand, candidates)
            ok = values <= allowance
            if not ok[0] and candidates[0] == 0:
                return 0, float(values[0])
            if ok.any():
                last = int(np.flatnonzero(ok)[-1])
                if int(candidates[last]) > low:
                    low, low_value = int(candidates[last]), float(values[last])
            above = candidates[candidates > low]
            if above.size and above[0] == low + 1:
                return low, low_value
            if above.size == 0:  # feasible up to the largest candidate: gallop upward
                if low >= cap:
                    return low, low_value
                candidates = np.unique(np.minimum(low + (1 << np.arange(16)), cap)).astype(float)
            else:  # bracketed: every integer in between
                candidates = np.arange(low + 1, int(above[0]), dtype=float)

    def decide(self, state: PacingState) -> PacingDecision:
        floor = progressive_count(state)
        if not self.warmed_up:
            return PacingDecision(
                floor,
                f"predictive (warming up: {self.outcomes.live_observed} live answers, "
                f"{self.talk.count} handled calls observed) → progressive {floor}",
            )
        ring = self._tables(state)[0]
        busy_elapsed = np.asarray(state.busy_elapsed)
        # Short calls finish first, so an early talk-time fit is biased short. The calls in
        # progress are the censored evidence: if too many outlast the fit's 90th percentile
        # (in equilibrium only a few per cent do), the fit is not trusted yet.
        if busy_elapsed.size >= 10:
            outlasting = np.count_nonzero(busy_elapsed > self._talk_q90) / busy_elapsed.size
            if outlasting > 0.3:
                return PacingDecision(
                    floor,
                    f"predictive: {outlasting:.0%} of calls in progress outlast the fitted "
                    f"talk time's 90th percentile ({self._talk_q90:.0f} s): estimate not yet "
                    f"trustworthy → progressive {floor}",
                )
        ring_at, busy_at, wrap_at = self._compact
        width = ring.eval_slots.size
        demand_sums = gather_sum(ring_at, np.asarray(state.ringing_elapsed), RING_GRID_STEP)
        supply_sums = gather_sum(busy_at, busy_elapsed, AGENT_GRID_STEP)
        if state.wrap_elapsed:
            supply_sums = supply_sums + gather_sum(
                wrap_at, np.asarray(state.wrap_elapsed), AGENT_GRID_STEP
            )
        demand = demand_sums[:width] + state.answered_waiting
        gap = demand - (supply_sums[:width] + state.agents_free)
        gap_var = demand_sums[width:] + supply_sums[width + 1 : 2 * width + 1] + 1e-9
        expected_supply = float(supply_sums[width]) + state.agents_free
        setpoint = self.setpoint(state)
        allowance = setpoint * self._learn_gain(state, setpoint) * expected_supply
        # No decision needs more calls than could feed ten times the agents of the horizon.
        live_per_call = float(ring.new_call[-1])
        cap = min(
            self.max_calls_per_decision,
            int(10.0 * (expected_supply + 5.0) / max(live_per_call, 0.005)),
        )
        if allowance <= 0.0:  # braking: nothing beyond progressive can fit a zero budget
            n_model = 0
            chosen = float(self._expected_abandons(ring, gap, gap_var, demand, np.array([0.0]))[0])
        else:
            n_model, chosen = self._largest_within(ring, gap, gap_var, demand, allowance, cap)
        n = min(max(n_model, floor), self.max_calls_per_decision)
        if n != n_model:
            chosen = float(
                self._expected_abandons(ring, gap, gap_var, demand, np.array([float(n)]))[0]
            )
        rate = state.abandons_in_window / max(1, state.live_answers_in_window)
        return PacingDecision(
            n,
            f"predictive: {n} call(s) (model {n_model}, progressive {floor}); "
            f"live-answer p={live_per_call:.3f}, free {state.agents_free}, "
            f"ringing {len(state.ringing_elapsed)}, in flight {calls_in_flight(state)}, "
            f"agents free within horizon ≈{expected_supply:.1f}; E[abandons] {chosen:.3f} "
            f"≤ allowance {allowance:.3f}; window abandon rate {rate:.2%} "
            f"(target {state.abandon_target:.2%})",
            expected_abandons=float(chosen),
        )
