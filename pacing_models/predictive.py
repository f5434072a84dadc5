"""The predictive policy: dial while the person a new call reaches will very likely find an agent.

Four parts (docs/pacing.md has the derivation and the measured figures):

1. **Forecast** (``pacing_models.forecast``): from the calls ringing (their elapsed ring time
   and the learned answer-time law), the agents free now, the agents on a call or in
   wrap-up (their elapsed times and the learned handle-time laws), the expected abandons
   E(n) if n calls are dialed now, and so the marginal call's abandonment probability
   q(n) = (E(n) − E(n − 1)) ÷ P(live answer).
2. **Threshold** λ: dial the largest n with q(n) ≤ λ (the Lagrangian rule for the most talk
   under an average-abandonment constraint: spend abandons where they buy the most calls).
   λ is tuned online so that the model's own expected abandons per expected live answer
   match the model setpoint r*/c (an integral loop on log λ; it needs no realised abandon,
   so it settles in a minute even for five agents).
3. **Setpoint** r* (``pacing_models.budget``): the abandonment rate to aim at, paid for
   by the slack of the answers already in the measurement window (the whole window the
   campaign carries: 30 days of history for a running campaign), with a Poisson margin
   after every answer to come; 0 when the budget is spent. c = (realised + k₀) ÷
   (predicted + k₀) is the model's bias measured on the campaign's own recent abandons
   (shrunk to a prior by k₀ pseudo-abandons), counted by the engine's running totals (not
   the measurement's counts, which jump when the window or a new period starts to bind).
   With ``period_answers_share`` > 0 (0.5 by default) a trusted model past the campaign's
   first period also plans the current period against its end, its aim held to the young
   window's every-instant aim on the period's own answers with ``period_reserve_abandons``
   (2) of reserve (``_period_model_aim``).
4. **Batch guard**: the calls in flight after a decision (those already ringing and the new
   ones) carry at most the window's slack r·L − A of expected abandons, inflated by the bias
   c and ``_BATCH_GUARD_Z`` Poisson deviations (c·E + z·√(c·E) ≤ r·L − A); a larger count
   is cut to the largest that fits, never below progressive's (``_batch_cut``). Whatever a
   parameter or a state table does to λ, one decision cannot launch a batch whose abandons
   the budget would only see after it.

Cold start (a campaign knows none of its rates): progressive until ``min_live_answers`` live
answers and ``min_handles`` handled calls are seen; then the setpoint is scaled by the
confidence in the handle-time fit (handled ÷ ``ramp_handles``, at most 1), and while more
than 30 % of the calls in progress outlast the fitted 90th percentile of talk time (short
calls finish first, so an early fit is biased short) the policy stays progressive. A young
window whose answers pay for no abandon yet, but would stay within the limit after one more
(r·L ≥ A + 1, A ≤ the reserve), dials ahead only on calls almost sure to find an agent:
with no abandon and the fit trusted, calls whose marginal abandonment probability is ≤
``young_threshold``; otherwise (an abandon already, the fit not yet trusted, or the handle
times not yet seen) calls for the agents free now only, while the Poisson chance of one
answer too many stays ≤ ``young_risk`` (``pacing_models.tail``).

References: Samuelson, "Predictive dialing for outbound telephone call centers", Interfaces
29(5), 1999; Koole, *Call Center Optimization* (2013), outbound dialing under an abandonment
constraint; Mandelbaum & Zeltyn (2004), the deadline view of abandonment.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from pacing_models.budget import AbandonBudget, batch_room, guarded_abandons
from pacing_models.errors import InvalidParameterError
from pacing_models.estimators import (
    RING_GRID_STEP,
    DurationEstimator,
    OutcomeMix,
    RingTimes,
    VerdictDelays,
)
from pacing_models.forecast import (
    CompactTables,
    Forecast,
    count_above,
    plan,
    plan_since,
    warm_up,
)
from pacing_models.interface import (
    MIN_RING_SECONDS,
    PERIOD_PLAN_AIM,
    AttemptResult,
    PacingDecision,
    PacingState,
    deferred_decision,
    shedding_late_calls,
)
from pacing_models.policies import calls_in_flight
from pacing_models.state_thresholds import StateThresholds
from pacing_models.tables import (
    AGENT_GRID_STEP,
    JOINT_MIN_PAIRS,
    AgentTable,
    RingTable,
    build_busy_table,
    build_busy_table_joint,
    build_ring_table,
    build_verdict_table,
    build_wrap_table,
    machine_handle_parts,
    mix_machine_handles,
)
from pacing_models.tail import poisson_room

_BIAS_MEMORY = 0.9998
"""Per-decision decay of the realised and expected abandons behind the model bias."""

_AMD_MARGIN_Z = 2.0
"""Default margin on AMD's abandons' noise (never above ``margin_z``). Their rate is measured,
not forecast, and a count that runs high lowers the slack, and so the aim, at the next
decision. 2 rather than the model's 4 gave 0.86–0.94 of the practical limit instead of
0.80–0.93 in the suite's AMD cells, at worst windows of 2.4–2.6 % (docs/pacing.md, "Calls
awaiting the verdict, and AMD's abandons beside the model's")."""

_AMD_RATE_ANSWERS = 20_000.0
"""Live answers of memory behind AMD's abandon rate f (``_unforecast_rate``). f is the
detector's and the people's (false positives, hang-ups while it listens: 2.3 % in the suite),
not the pacing's, and the model aims at what it leaves, r − f (0.7 % of the 3 %): an
estimate whose noise is a fair part of r − f swings the model's aim from the cap to nothing.
Over N answers f's standard error is √(f/N): 0.45 points over the ~1,000 answers of the
80 minutes the bias loop remembers at 50 agents, live 0.10, and in one such run an hour of
false positives at 1.5 × their rate read as f = 3 % and left the model nothing for the last
hour (docs/pacing.md, "Where the talk goes with AMD"); 0.1 point over 20,000 answers. The
slack meets any real drift in f at once: abandons that come faster lower it, and so the aim,
at the next decision."""

_SHORTEST_LEGAL_WINDOW = 86_400.0
"""Seconds: the shortest measurement window of the abandonment rules (Ofcom's 24 hours; the
US one is 30 days). Within it of a cold start no answer has left the window."""

_LOG_THRESHOLD_MIN = math.log(1e-4)
_LOG_THRESHOLD_MAX = math.log(0.9)
"""The threshold loop keeps λ within [1e-4, 0.9] (``_tune_threshold``)."""

_BATCH_GUARD_Z = 2.0
"""Poisson standard deviations the batch guard keeps a decision's expected abandons below
the window's slack (``PredictivePolicy._batch_cut``). A constant, not a parameter: no setting
loosens it (docs/pacing.md, "The batch guard")."""

_MACHINE_PRIOR = (8.0, 6.0)
"""Mean and sd (s) of an agent's time on a machine answer before 20 of them are seen."""


_PACKERS: dict[int, struct.Struct] = {}
"""A ``struct.Struct`` of n doubles by n, for ``_float_array``."""


def _float_array(values: tuple[float, ...]) -> np.ndarray:
    """A new float64 array of ``values`` (the same doubles as ``np.fromiter``).

    Packed in one C call: ``np.fromiter`` converts element by element (~280 instructions
    each, a fifth of a decision at 100 agents), ``Struct.pack_into`` at half that."""
    count = len(values)
    packer = _PACKERS.get(count)
    if packer is None:
        if len(_PACKERS) >= 1024:
            _PACKERS.clear()
        packer = _PACKERS[count] = struct.Struct(f"{count}d")
    array = np.empty(count)
    packer.pack_into(array, 0, *values)
    return array


def _in_progress(state: PacingState) -> tuple[np.ndarray, int, int, int]:
    """(elapsed, r, v, b): the elapsed times of the ringing calls, the calls awaiting the
    verdict, the agents on a call and those in wrap-up as one float64 array, and where the
    second, third and fourth groups start in it.

    From the packed start instants when the state has them (``now − start``, the same
    doubles as the tuples'), else from the four tuples."""
    counts = state.in_progress_counts
    if counts is not None:
        r = counts[0]
        v = r + counts[1]
        return state.now - np.frombuffer(state.in_progress_started), r, v, v + counts[2]
    ringing, verdict, busy = state.ringing_elapsed, state.verdict_elapsed, state.busy_elapsed
    r = len(ringing)
    v = r + len(verdict)
    return (_float_array(ringing + verdict + busy + state.wrap_elapsed), r, v,
            v + len(busy))


def _agents_engaged(state: PacingState) -> int:
    """Agents on a call or in wrap-up."""
    counts = state.in_progress_counts
    if counts is not None:
        return counts[2] + counts[3]
    return len(state.busy_elapsed) + len(state.wrap_elapsed)


def _model_explanation(n: int, n_model: int, floor: int, p_answer: float, people: float,
                       free: int, ringing: int, awaiting: int, threshold: float, base: float,
                       added: float, young: bool, goal: float, setpoint: float, bias: float,
                       rate: float, live: int, target: float,
                       period_plan: tuple[int, int, float] | None = None,
                       batch_cut: tuple[int, float, float, float] | None = None) -> str:
    """A model decision's explanation (``deferred_decision``: formatted when read).

    ``batch_cut``: (the count before the cut, the cut batch's E[abandons] as the guard
    counts them, the slack, the guard's z) when the batch guard cut the decision
    (``PredictivePolicy._batch_cut``).

    ``period_plan``: (the period's abandons, its live answers, the answers counted on to its
    end) when the period plan set the aim (``_period_model_aim``), said in the words of
    ``PERIOD_PLAN_AIM`` so the dashboard can tell a supervisor why the aim is above the
    window's."""
    if young:
        aim = "young window: look-ahead only (the answers pay for no abandon yet)"
    else:
        aim = f"aim {goal:.2%} (setpoint {setpoint:.2%})"
        if period_plan is not None:
            abandons, answered, left = period_plan
            aim += (f", {PERIOD_PLAN_AIM}: period {abandons}/{answered}, "
                    f"{left:.0f} more answers counted on to its end")
    guard = ""
    if batch_cut is not None:
        uncut, guarded, slack, z = batch_cut
        guard = (f"; batch guard: cut {uncut} → {n}, E[abandons] {base + added:.3f} "
                 f"(×{bias:.2f} + {z:g}σ: {guarded:.3f}) within slack {slack:.3f}")
    return (
        f"predictive: {n} call(s) (model {n_model}, progressive {floor}); live-answer "
        f"p={p_answer * people:.3f} (to agents {p_answer:.3f}), free {free}, ringing {ringing}"
        + (f", awaiting AMD {awaiting}; " if awaiting else "; ") +
        f"marginal abandon ≤ {threshold:.3g}, E[abandons] {base:.3f} +{added:.3f}; "
        + aim
        + f", model bias ×{bias:.2f}; window {rate:.2%} of {live} (target {target:.2%})"
        + guard
    )


def _free_agents_explanation(n: int, n_model: int, floor: int, free: int, why: str,
                             expected: float, ringing: int, risk: float, abandons: int,
                             live: int) -> str:
    """A young window's look-ahead for the free agents, explained (formatted when read)."""
    return (
        f"predictive: {n} call(s) (model {n_model}, progressive {floor}); young window: "
        f"look-ahead for the {free} free agent(s) only ({why}), "
        f"{expected:.2f} answers expected from {ringing} ringing, "
        f"P(one too many) ≤ {risk:.2g}; window {abandons}/{live}"
    )


def effective_window(connect_window: float, patience_mean: float | None) -> float:
    """Seconds an answered person can wait for an agent: E[min(window, patience)].

    Exponential patience of mean θ gives θ·(1 − e^(−window/θ)); without a patience law the
    whole connect window counts.
    """
    if patience_mean is None or not math.isfinite(patience_mean):
        return connect_window
    return patience_mean * -math.expm1(-connect_window / patience_mean)


class PredictivePolicy:
    """Model-based, abandonment-constrained pacing (see the module docstring)."""

    name = "predictive"
    state_fields = (
        "now", "agents_free", "live_answers_in_window", "abandons_in_window",
        "abandon_target", "connect_window", "decision_interval", "answered_waiting",
        "agents_logged_in", "amd_abandons", "in_progress_started", "in_progress_counts",
    )
    """The PacingState fields this policy reads (the engine may skip building the others).
    The four elapsed-time tuples are read only from a state without ``in_progress_counts``
    (another driver's, or the engine's under blending's reserve), which has them all."""

    def __init__(
        self,
        *,
        prior_live_answer: float = 0.2,
        prior_talk_mean: float = 180.0,
        prior_talk_sd: float = 120.0,
        prior_wrap_mean: float = 15.0,
        prior_wrap_sd: float = 5.0,
        patience_mean: float | None = None,
        min_live_answers: int = 20,
        min_handles: int = 10,
        ramp_handles: int = 60,
        half_life: float = 3600.0,
        margin_z: float = 4.0,
        amd_margin_z: float | None = None,
        planning_answers: float = 200.0,
        aim_cap: float = 0.8,
        reserve_abandons: float = 2.0,
        bias_pseudo_abandons: float = 5.0,
        prior_bias: float = 2.5,
        threshold_rate: float = 0.01,
        ring_refresh_attempts: int = 50,
        max_calls_per_decision: int = 100_000,
        max_lines_per_agent: float = 30.0,
        young_threshold: float = 1e-4,
        young_risk: float = 1e-3,
        period_answers_share: float = 0.5,
        period_reserve_abandons: float | None = 2.0,
        hang_up_after: float | None = MIN_RING_SECONDS,
    ) -> None:
        if patience_mean is not None and not patience_mean > 0:
            raise InvalidParameterError(f"patience_mean must be > 0, got {patience_mean}")
        if ramp_handles < 1 or min_handles < 0 or min_live_answers < 0:
            raise InvalidParameterError("warm-up counts must be ≥ 0 (ramp_handles ≥ 1)")
        if bias_pseudo_abandons <= 0:
            raise InvalidParameterError("bias_pseudo_abandons must be > 0")
        if not 0.0 < threshold_rate <= 1.0:
            raise InvalidParameterError(f"threshold_rate must be in (0, 1], got {threshold_rate}")
        if max_lines_per_agent < 1.0 or max_calls_per_decision < 0:
            raise InvalidParameterError("max_lines_per_agent must be ≥ 1, max_calls ≥ 0")
        if not 0.0 <= young_threshold <= 0.01:
            raise InvalidParameterError(
                f"young_threshold must be in [0, 0.01], got {young_threshold}")
        self.young_threshold = young_threshold
        if hang_up_after is not None and not MIN_RING_SECONDS <= hang_up_after <= 600.0:
            raise InvalidParameterError(
                f"hang_up_after must be in [{MIN_RING_SECONDS:g}, 600] s or none, got "
                f"{hang_up_after}")
        self.hang_up_after = hang_up_after
        """Seconds (≥ 15, the law's minimum ring) after which a decision that launches no
        call hangs up the calls still ringing (``decide``; None: never)."""
        if amd_margin_z is None:
            amd_margin_z = min(_AMD_MARGIN_Z, margin_z)
        elif not 0.0 <= amd_margin_z <= margin_z:
            raise InvalidParameterError(
                f"amd_margin_z must be in [0, margin_z = {margin_z}], got {amd_margin_z}")
        self.amd_margin_z = amd_margin_z
        """Poisson standard deviations on the noise of AMD's abandons (``_model_aim``)."""
        if not 0.0 <= young_risk <= 0.01:
            raise InvalidParameterError(f"young_risk must be in [0, 0.01], got {young_risk}")
        self.young_risk = young_risk
        if not 0.0 <= period_answers_share <= 1.0:
            raise InvalidParameterError(
                f"period_answers_share must be in [0, 1], got {period_answers_share}")
        self.period_answers_share = period_answers_share
        """Share of the answers the previous period had over the stretch the current one
        has still to run that the period's plan counts on (``_period_answers_left``; 0: no
        period plan, a period binds as a young window does). 0.5 by default, with
        ``period_reserve_abandons`` 2: more talk than without the plan in all four measured
        cells (10 and 20 agents, live 0.10 and 0.20), every period, every rolling window and
        every running portion of a period within the limit (docs/pacing.md, "Periods"; a
        reserve of 1 gained more but left one period's running portion above it). Without
        that reserve's young margin (None) it lost at live 0.10: an early abandon sent the
        period back to progressive."""
        self.budget = AbandonBudget(margin_z, planning_answers, aim_cap, reserve_abandons)
        """The window's budget. Its reserve (``reserve_abandons``, 2 since 2026-12-07, 3
        before) is for the calls in flight when the window reaches its line: with late calls
        shed at 15 s (``hang_up_after``) the cold-start day's three replications at 5–50
        agents and the 30-day runs at 5–20 agents stay within the limit with two (worst
        windows 2.86 % and 2.61 %), and ten agents talk more: the young window pays for its
        first model abandons 33 answers sooner and every later slack is one abandon larger
        (docs/pacing.md, "Where the failing cells lose, and a reserve of two")."""
        if period_reserve_abandons is not None and not 0.0 <= period_reserve_abandons <= 1000.0:
            raise InvalidParameterError(
                f"period_reserve_abandons must be in [0, 1000], got {period_reserve_abandons}")
        self.period_reserve_abandons = period_reserve_abandons
        """A count (1 by default): the period plan's aim is also held to the young window's
        every-instant aim on the period's own answers, with this many abandons of reserve
        instead of ``reserve_abandons`` (``_period_model_aim``). None: the plan spends
        against the period's end from the period's 34th answer (r·L_p ≥ A_p + 1)."""
        self._period_budget = (None if period_reserve_abandons is None else AbandonBudget(
            margin_z, planning_answers, aim_cap, period_reserve_abandons))
        self.patience_mean = patience_mean
        self.min_live_answers = min_live_answers
        self.min_handles = min_handles
        self.ramp_handles = ramp_handles
        self.bias_pseudo_abandons = bias_pseudo_abandons
        if prior_bias < 1.0:
            raise InvalidParameterError(f"prior_bias must be ≥ 1, got {prior_bias}")
        self.prior_bias = prior_bias
        self.threshold_rate = threshold_rate
        self.ring_refresh_attempts = ring_refresh_attempts
        self.max_calls_per_decision = max_calls_per_decision
        self.max_lines_per_agent = max_lines_per_agent
        self.outcomes = OutcomeMix(prior_live=prior_live_answer, half_life=half_life)
        self.ring_times = RingTimes(half_life=half_life)
        self.talk = DurationEstimator(prior_talk_mean, prior_talk_sd)
        self.wrap = DurationEstimator(prior_wrap_mean, prior_wrap_sd)
        self.verdict_delays = VerdictDelays(half_life=half_life)
        """Answer to AMD's verdict (``observe_verdict``): how the calls awaiting it are read."""
        self.machine_handle = DurationEstimator(*_MACHINE_PRIOR)
        """Agent time (talk + wrap-up) on answering machines: apart from people's talk."""
        if self.talk.window != self.wrap.window:  # the windows must hold the same pairs
            raise InvalidParameterError("talk and wrap-up estimators need one window")
        warm_up()  # the compiled forecast, loaded before the campaign's first dial
        self._attempts_since_ring = 0
        self._ring: RingTable | None = None
        self._verdict: RingTable | None = None
        self._busy: AgentTable | None = None
        self._busy_live: AgentTable | None = None
        self._wrap: AgentTable | None = None
        self._compact: CompactTables | None = None
        self._key: tuple[int, int, int, int, int] | None = None
        self._release: tuple[tuple[object, int], np.ndarray] | None = None
        self._machine_parts: tuple[tuple[object, ...], tuple[np.ndarray, ...]] | None = None
        self._laws: tuple[tuple[object, object, int], AgentTable, AgentTable, float] | None = None
        """(talk law, wrap-up law, columns), and the parametric busy and wrap tables and the
        talk's 90th percentile computed from them: kept until a law or the size changes."""
        """The parts of the ring and busy tables that depend on the handle laws alone, and
        the laws (and sizes) they were computed for: a ring table refresh reuses them."""
        self._talk_q90 = math.inf
        self._answer_to_agents = 1.0
        """P(a call dialed now is answered by a person or by a machine that goes to an
        agent), as of the last ring table."""
        self._person_share = 1.0
        """P(an answer that goes to an agent is a person), likewise."""
        self._fresh: tuple[int, int, int, int, float, float, float] | None = None
        """(attempts until the ring table is stale, and the versions and settings the
        tables were built for)."""
        # Threshold loop: log λ, and decayed sums of the model's expected abandons and live
        # answers for the calls it dialed (every decision, so it needs no realised abandon).
        self._log_threshold = math.log(threshold_rate)
        self._model_abandons = 0.0
        self._model_live = 0.0
        # Bias: realised abandons against those the model expected, over the same period.
        self._realised = 0.0
        self._expected = 0.0
        # The abandons AMD charges and the window's live answers, decayed alike per answer
        # (``_AMD_RATE_ANSWERS``): their ratio is the share of the aim those abandons take
        # (``_unforecast_rate``).
        self._amd_abandons = 0.0
        self._answers = 0.0
        self._last: tuple[float, int, int, int] | None = None
        self._cold_start_at: float | None = None
        """The first decision's instant when its window was empty (a cold start), else None:
        for a day after it every answer and abandon of the window is one this policy has
        seen (``_over_by_amd``)."""
        self._tuned_at = -math.inf
        self._aim_key: tuple[object, ...] | None = None
        self._aim = (0.0, 0.0)
        """(aim, setpoint) of ``_model_aim`` for the inputs ``_aim_key``."""
        self._aim_plan: tuple[int, int, float] | None = None
        """(the period's abandons, its live answers, H) when the period plan set ``_aim``
        (the explanation says so), else None."""
        self.batch_guard_z: float | None = _BATCH_GUARD_Z
        """The batch guard's z (``_batch_cut``); None only for a benchmark's unguarded
        comparison (not a campaign or ``--policy`` parameter)."""
        self.state_thresholds: StateThresholds | None = None
        """Per-state multipliers of the loop's λ (``pacing_models.state_thresholds``), or
        None: one λ in every state (the default). Only the model's count in a trusted,
        budgeted decision reads it; the guard around it is the same."""

    # --- learning -------------------------------------------------------------------------

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self.outcomes.observe(result, at)
        self.ring_times.observe(result, ring_seconds, at)
        self._attempts_since_ring += 1

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        # The two estimators' windows hold the recent (talk, wrap-up) pairs, in step.
        self.talk.observe(talk_seconds)
        self.wrap.observe(wrap_seconds)

    def observe_machine_routed(self, ring_seconds: float, at: float) -> None:
        # A machine going to an agent is demand on agents, not a person (MachineObserver).
        self.outcomes.observe_machine_routed(at)
        self.ring_times.move_to_machine(ring_seconds, at)

    def observe_machine_handle(self, talk_seconds: float, wrap_seconds: float,
                               at: float) -> None:
        self.machine_handle.observe(talk_seconds + wrap_seconds)

    def observe_verdict(self, delay_seconds: float, at: float) -> None:
        # With AMD: how long the calls listed in ``verdict_elapsed`` wait (VerdictObserver).
        self.verdict_delays.observe(delay_seconds, at)

    @property
    def warmed_up(self) -> bool:
        """Enough of the campaign's own outcomes to trust the model over progressive."""
        return (
            self.outcomes.live_observed >= self.min_live_answers
            and self.talk.count >= self.min_handles
        )

    @property
    def bias(self) -> float:
        """Realised ÷ expected abandons, shrunk towards 1 (the model's calibration)."""
        # Only ever a correction towards caution: the max-over-instants approximation
        # under-states abandons, and a pessimistic model costs talk, not legality.
        k = self.bias_pseudo_abandons
        ratio = (self._realised + k * self.prior_bias) / (self._expected + k)
        return ratio if ratio > 1.0 else 1.0

    @property
    def threshold(self) -> float:
        return math.exp(self._log_threshold)

    # --- tables ---------------------------------------------------------------------------

    def _tables(self, state: PacingState) -> CompactTables:
        # Fast path, at nearly every decision: nothing the tables depend on has moved
        # (compared one by one, cheapest first: no tuple is built for it).
        fresh = self._fresh
        if (
            fresh is not None
            and self._attempts_since_ring < fresh[0]
            and fresh[1] == self.talk.version and fresh[2] == self.wrap.version
            and fresh[3] == self.machine_handle.version
            and fresh[4] == state.connect_window and fresh[5] == state.decision_interval
            and fresh[6] == self._no_answer_timeout()
        ):
            return self._compact  # type: ignore[return-value]
        compact = self._rebuild_tables(state)
        self._fresh = (
            max(self.ring_refresh_attempts, min(2000, self.outcomes.observed // 50)),
            self.talk.version, self.wrap.version, self.machine_handle.version,
            state.connect_window,
            state.decision_interval, self._no_answer_timeout(),
        )
        return compact

    def _no_answer_timeout(self) -> float:
        """The ring timeout the tables plan with: the median of recent no-answers, or while
        late calls are shed (``hang_up_after``) the longest seen, which the calls not shed
        ring to (``RingTimes.longest_no_answer``: the median then flips between the two)."""
        rings = self.ring_times
        return rings.no_answer_timeout if self.hang_up_after is None \
            else rings.longest_no_answer

    def _rebuild_tables(self, state: PacingState) -> CompactTables:
        step = RING_GRID_STEP
        timeout = self._no_answer_timeout()
        slots = math.ceil((timeout + state.decision_interval) / step) + 1
        window = max(1, round(effective_window(state.connect_window, self.patience_mean) / step))
        key = (slots, window, self.talk.version, self.wrap.version,
               self.machine_handle.version)
        # Refresh the ring tables every so many attempts, less often as evidence piles up
        # (a 2 % change of the sample moves the law little; each rebuild costs ~0.1 ms).
        every = max(self.ring_refresh_attempts, min(2000, self.outcomes.observed // 50))
        stale_ring = self._attempts_since_ring >= every
        if self._compact is not None and key == self._key and not stale_ring:
            return self._compact
        outcomes = self.outcomes
        routed = outcomes.routed_machine_rate
        probabilities = outcomes.probabilities()
        remix = False
        if (self._ring is None or stale_ring or self._key is None or key[:2] != self._key[:2]
                or key[4] != self._key[4]):
            machine = self.machine_handle.fitted
            release_key = (machine, slots + window)
            if self._release is None or self._release[0] != release_key:
                # P(a machine's handle ≤ j·δ): changes only with the machine's law.
                self._release = (release_key, machine.zero_mass + (1.0 - machine.zero_mass) * (
                    1.0 - machine.distribution.sf(np.arange(slots + window + 1) * step)))  # type: ignore[attr-defined]
            release = self._release[1]
            self._ring = build_ring_table(
                probabilities, self.ring_times.cdfs(), timeout, slots, routed, release
            )
            self._attempts_since_ring = 0
            people = float(probabilities[0])
            # With AMD, the calls answered and awaiting the verdict are a group apart, read
            # with P(needs an agent | answered) and the verdict delay's law; the ringing
            # calls keep the ring table (ring times to the verdict), whose rows for the next
            # seconds still hold the share of such calls among those not yet classified: a
            # caution where the model is short (docs/pacing.md, "Calls awaiting the verdict").
            answered = people + float(probabilities[1])
            verdicts = self.verdict_delays
            self._verdict = build_verdict_table(
                verdicts.cdf(), people / answered, routed / answered, slots, release,
            ) if verdicts.observed and answered > 0.0 else None
            self._answer_to_agents = people + routed
            self._person_share = people / (people + routed) if people + routed > 0 else 1.0
            remix = True
        if self._key != key or self._busy_live is None or self._wrap is None:
            laws_key = (self.talk.fitted, self.wrap.fitted, slots + window)
            if self._laws is None or self._laws[0] != laws_key:
                # The parametric tables depend on the two laws alone: a refit of the
                # machines' law (or the joint table's newer pairs) leaves them as they are.
                self._laws = (laws_key, build_busy_table(*laws_key),
                              build_wrap_table(self.wrap.fitted, slots + window),
                              float(self.talk.fitted.distribution.ppf(0.9)))  # type: ignore[attr-defined]
            _, busy, self._wrap, self._talk_q90 = self._laws
            talk, wrap = self.talk.samples(), self.wrap.samples()
            if talk.size >= JOINT_MIN_PAIRS and talk.size == wrap.size:
                # no independence of call and wrap-up
                busy = build_busy_table_joint(talk, wrap, busy, slots + window)
            self._busy_live = busy
            remix = True
        if remix or self._busy is None:
            # Agents on a call may be on a machine answer: the share of connections that
            # are machines weighs the two handle laws (tables.mix_machine_handles). The
            # laws' parts are kept until a law or the table's shape changes (a ring table
            # refresh moves only the share).
            talk_law, machine_law = self.talk.fitted, self.machine_handle.fitted
            parts_key = (self._busy_live.table.shape, talk_law, machine_law)
            machine_share = 1.0 - self._person_share
            if machine_share > 0.0 and (self._machine_parts is None
                                        or self._machine_parts[0] != parts_key):
                self._machine_parts = (parts_key, machine_handle_parts(
                    self._busy_live.table.shape, talk_law, machine_law))
            self._busy = mix_machine_handles(
                self._busy_live, talk_law, machine_law, machine_share,
                None if machine_share <= 0.0 else self._machine_parts[1],  # type: ignore[index]
            )
        self._key = key
        ring = self._ring
        keep = slice(None)
        cols = ring.eval_slots
        picked = cols + window

        def agent_columns(table: AgentTable) -> np.ndarray:
            return np.ascontiguousarray(
                np.hstack([table.table[:, picked], table.variance[:, picked]])
            )

        verdict = None if self._verdict is None else np.ascontiguousarray(
            np.hstack([-self._verdict.table[:, cols], self._verdict.variance[:, cols]]))
        self._compact = CompactTables(
            ring=np.ascontiguousarray(np.hstack([-ring.table[:, cols], ring.variance[:, cols]])),
            verdict=verdict,
            busy=agent_columns(self._busy), wrap=agent_columns(self._wrap),
            new_call=ring.new_call_at[keep].copy(),
            new_call_variance=ring.new_call_variance_at[keep].copy(),
            live_answer=self._answer_to_agents, ring_step=step, agent_step=AGENT_GRID_STEP,
        )
        return self._compact

    # --- control loops --------------------------------------------------------------------

    def _observe_window(self, state: PacingState) -> None:
        """Realised abandons since the last decision feed the bias estimate; those AMD
        charges (``PacingState.amd_abandons``) feed ``_unforecast_rate`` instead.

        Realised means what happened between the two decisions: the differences of the
        running totals (``abandons_seen``, ``live_answers_seen``), not of the measurement's
        counts. Those follow whichever measurement binds, the rolling window or the current
        period (dialer/engine/ledger.py), and jump when it switches or a new period begins:
        read as realised abandons, a jump up made the policy dial less for the loop's ~80
        minutes of memory, and a jump down was dropped. A state without running totals
        (another driver's) is read by the measurement's differences, as before.

        People AMD classes as machines are hung up on, and people who hang up while it
        listens never reach the agents' queue: the ledger counts both as abandoned (the
        budget pays for them), but no forecast of people waiting for an agent places them,
        and no pacing avoids them. Read as the model's own error they inflated the bias
        several-fold, and the more so the less the model dialed (issue 16, docs/pacing.md
        "With AMD")."""
        last = self._last
        live, abandons = state.live_answers_seen, state.abandons_seen
        if live is None or abandons is None:
            live, abandons = state.live_answers_in_window, state.abandons_in_window
        amd = state.amd_abandons
        if last is None or state.now > last[0]:
            # Recent evidence weighs most (~80 minutes of memory at one decision a second):
            # the model's error depends on where it operates, and that moves with λ.
            self._realised *= _BIAS_MEMORY
            self._expected *= _BIAS_MEMORY
            if (last is None and state.live_answers_in_window == 0
                    and state.abandons_in_window == 0 and amd == 0):
                self._cold_start_at = state.now
            if last is not None:
                charged = amd - last[3]
                charged = charged if charged > 0 else 0
                answers = live - last[1]
                answers = answers if answers > 0 else 0
                # f's memory runs in answers, not decisions (_AMD_RATE_ANSWERS).
                keep = math.exp(-answers / _AMD_RATE_ANSWERS) if answers else 1.0
                self._amd_abandons = self._amd_abandons * keep + charged
                self._answers = self._answers * keep + answers
                if abandons >= last[2]:
                    realised = abandons - last[2] - charged
                    self._realised += realised if realised > 0 else 0
            self._last = (state.now, live, abandons, amd)

    def _model_aim(self, live: int, abandons: int, target: float, unforecast: float,
                   budget: AbandonBudget | None = None) -> tuple[float, float]:
        """(the model's own aim, the setpoint it is part of): without AMD's abandons the
        budget's setpoint; beside them (rate f), what the budget leaves the model
        (``AbandonBudget.aim_beside``: the cap keeps room for the model's own error, not
        for f, which is measured; f's noise carries ``amd_margin_z``, the model's
        ``margin_z``), and the setpoint is that plus f. ``budget``: another than the policy's
        own (the period's early aim, ``_period_model_aim``)."""
        if budget is None:
            budget = self.budget
        if unforecast <= 0.0:
            setpoint = budget.setpoint(live, abandons, target)
            return setpoint, setpoint
        aim = budget.aim_beside(live, abandons, target, unforecast, self.amd_margin_z)
        return aim, (aim + unforecast if aim > 0.0 else 0.0)

    def _period_answers_left(self, period: tuple[int | None, ...] | None) -> float:
        """H: the live answers the current period can count on still, or 0 when it cannot
        count on any (the plan then is the window's or the period's own, every instant).

        The period is the window's latest part and as long as it, so the window's answers
        before the period are the previous period's over the very stretch this one has still
        to run (its last hours at this one's first, its evening at this one's morning): what
        the campaign answered there last time, with its nights, pauses and staffing, and no
        clock or answer rate to extrapolate. ``period_answers_share`` of it is counted on (a
        campaign may have fewer agents today). None before the period: the campaign's first
        period, or a campaign back after a pause of a period or more, plans as a young
        window (cautious, as a cold start)."""
        if period is None or None in period or self.period_answers_share <= 0.0:
            return 0.0
        window_live, _, period_live, _ = period
        before = window_live - period_live  # type: ignore[operator]
        return self.period_answers_share * before if before > 0 else 0.0

    def _period_model_aim(self, period: tuple[int | None, ...] | None, target: float,
                          unforecast: float) -> tuple[float, float] | None:
        """(aim, setpoint) planning the current period against its end, or None when there
        is no such plan (``_period_answers_left``: 0).

        The lower of the window's every-instant aim (``_model_aim`` on the window's counts:
        every instant ends a rolling window) and the period's plan to its end
        (``AbandonBudget.period_aim`` over H answers). Without it a new period, with no
        answers of its own, aimed at 0 until a hundred had paid for the reserve: a trusted
        model dialed each period's start as a cold start does, every day under Ofcom's
        24 hours. Held to the young window's every-instant aim on the period's own answers
        with ``period_reserve_abandons`` of reserve (the early aim: low among the period's
        first answers, nothing until they pay for one abandon beyond the reserve); with
        that None, only while one more abandon would leave the period's portion so far
        within the limit. ``decide`` takes it only where it is above the aim on the
        binding counts."""
        answers_left = self._period_answers_left(period)
        if answers_left <= 0.0 or period is None:
            return None
        window_live, window_abandons, period_live, period_abandons = period
        early = self._period_budget
        if early is None:
            if target * period_live < period_abandons + 1.0:  # type: ignore[operator]
                # Until the period's own answers pay for one abandon (34 at 3 %), and again
                # after an early one until they pay for the next: a campaign stopped for
                # good right after an unlucky abandon is measured on the period's portion so
                # far (47 CFR 64.1200(a)(7)(i), "or portion thereof"), and is still legal
                # (as ``_young_look_ahead``). The young window's caution meanwhile.
                return None
            early_aim = math.inf
        else:
            # The young window's every-instant margin on the period's own answers, with
            # ``period_reserve_abandons`` of reserve: the portion so far stays within the
            # limit at every answer (z Poisson deviations), and an abandon lowers the aim
            # through the slack and the cap on the period's rate, as in a young window.
            early_aim = self._model_aim(period_live, period_abandons,  # type: ignore[arg-type]
                                        target, unforecast, early)[0]
            if early_aim <= 0.0:
                return None
        window_aim, window_setpoint = self._model_aim(
            window_live, window_abandons, target, unforecast)  # type: ignore[arg-type]
        aim = self.budget.period_aim(period_live, period_abandons, target,  # type: ignore[arg-type]
                                     answers_left, unforecast)
        aim = early_aim if early_aim < aim else aim
        if window_aim <= aim:
            return window_aim, window_setpoint
        return aim, (aim + unforecast if aim > 0.0 else 0.0)

    @property
    def _unforecast_rate(self) -> float:
        """Abandons per live answer that AMD charged, over the last ~20,000 answers (0
        without AMD)."""
        return self._amd_abandons / self._answers if self._answers > 0.0 else 0.0

    def _tune_threshold(self, now: float, model_abandons: float, model_live: float,
                        goal: float) -> None:
        """Integral loop: the model's abandons per live answer of its dials → ``goal``.

        Learned only when time has moved on, so repeated decisions on one snapshot agree.
        """
        if now <= self._tuned_at:
            return
        self._tuned_at = now
        decay = 0.99  # ~70 decisions of memory: the loop reacts within a minute or two
        self._model_abandons = model_abandons = self._model_abandons * decay + model_abandons
        self._model_live = model_live = self._model_live * decay + model_live
        if model_live <= 1e-9 or goal <= 0.0:
            return
        error = 1.0 - (model_abandons / model_live) / goal
        error = error if error < 1.0 else 1.0
        log_threshold = self._log_threshold + 0.05 * (error if error > -1.0 else -1.0)
        log_threshold = (log_threshold if log_threshold < _LOG_THRESHOLD_MAX
                         else _LOG_THRESHOLD_MAX)
        self._log_threshold = (log_threshold if log_threshold > _LOG_THRESHOLD_MIN
                               else _LOG_THRESHOLD_MIN)

    def _young_look_ahead(self, live: int, abandons: int, target: float,
                          amd: int = 0) -> bool:
        """A window whose answers pay for no abandon yet may still dial ahead of its agents,
        on calls almost sure to find one.

        Only while the window would stay within the limit after one more abandon
        (A + 1 ≤ r·L): a campaign that stops right after an unlucky one is still legal.
        And only in a young window (no more of the model's own abandons than the budget's
        reserve): a long window held near the limit has hundreds, and there the reserve is
        for the calls in flight when it is reached (``AbandonBudget``), not room for
        look-ahead. Abandons AMD charged (``amd``, the engine's running count) are not the
        model's: with AMD's 2 % a young window has a few from its first minutes, whatever
        the pacing, and its answers pay for the model's abandons only after ~700 of them
        (0.01·L > reserve), which held a 50-agent campaign progressive for its first two
        hours (docs/pacing.md). A running count larger than the window's own (a window that
        has dropped old answers) only lets the look-ahead go on where A + 1 ≤ r·L holds.
        """
        return (
            self.young_threshold > 0.0 and abandons - amd <= self.budget.reserve
            and (target * live >= abandons + 1.0 or self._over_by_amd(abandons, amd))
        )

    def _over_by_amd(self, abandons: int, amd: int) -> bool:
        """Every abandon of the window is AMD's (a cold start's window, within a day of its
        start): it may be over the limit, or one abandon short of it, by AMD's alone, and
        then only answers bring it back.

        AMD's abandons come at f per live answer whatever the pacing (false positives,
        people gone while it listens: 2.3 % in the suite), and at 50 agents, live 0.10, a
        run of them put the window at 4 of 133 answers (3.01 %) in its 12th minute. The
        progressive fallback took 15 minutes (at 0.6 of the agents idle) to bring it back
        under, no sooner than answers come; dialing for the agents free now only
        (``_free_agents_look_ahead``: P(one answer too many) ≤ ``young_risk``) brings them
        three times as fast and adds no abandon a window that one more would break could
        see coming. The engine's running count ``amd`` is the window's own only in a window
        that started empty with this policy and has dropped nothing: for 24 hours after a
        cold start (the shortest window the law measures, Ofcom's; the US one is 30 days)
        no answer can have left it. A window with history never qualifies. (A live count
        that falls is no sign: the engine uncounts an answer found to be a machine.)"""
        start = self._cold_start_at
        return (start is not None and self._last is not None
                and self._last[0] - start < _SHORTEST_LEGAL_WINDOW and 0 < abandons <= amd)

    def _model_look_ahead(self, live: int, abandons: int, target: float,
                          amd: int = 0) -> bool:
        """The young look-ahead may use the whole forecast (agents on a call and in wrap-up
        as supply, calls whose marginal abandonment probability is ≤ ``young_threshold``)
        only while none of the window's abandons is the model's own (A ≤ ``amd``) and the
        handle-time fit is trusted (``ramp_handles`` calls seen): the first fits are biased
        short (short calls finish first), and at 50 agents, live 0.20, look-ahead on them
        abandoned two people in its first minute. Nor in a window that one more abandon
        would take over the limit (``_over_by_amd``). Otherwise it dials for the agents
        free now only (``_free_agents_look_ahead``)."""
        return (abandons <= amd and self.talk.count >= self.ramp_handles
                and target * live >= abandons + 1.0)

    # --- decision -------------------------------------------------------------------------

    def _free_agents_look_ahead(self, state: PacingState, floor: int,
                                model: int | None = None) -> PacingDecision:
        """A young window with an abandon already, or before the handle-time fit is
        trusted: calls for the agents free now, none for agents on a call or in wrap-up,
        while P(more answers to come, from every call ringing and those dialed now, than
        agents free now) stays ≤ ``young_risk`` under the Poisson tail.

        An early talk fit is biased short (short calls finish first), so agents on a call
        are counted as never freeing; and with few agents free the normal approximation
        under-states the chance of one answer too many several-fold (``pacing_models.tail``).
        Progressive waited instead: one line per free agent, at live 0.10 seven agents in
        ten idle, for the first 5–35 minutes of a cold start, and after an early abandon
        for an hour or more at ten agents (until the window's answers paid for it).

        ``model``: with a trusted fit, the count the whole forecast allows at
        ``young_threshold``; never more than that (an abandon never makes the policy dial
        more than it would without).
        """
        tables = self._tables(state)
        elapsed, ringing, verdict_end, _ = _in_progress(state)
        elapsed = elapsed[:verdict_end]
        # With no agent given, the forecast's gap is the demand: answers by each instant
        # (with AMD, the calls awaiting the verdict as well).
        demand = Forecast.build(tables, 0, state.answered_waiting, elapsed, ringing,
                                0, verdict_end - ringing).gap
        expected = float(demand[-1]) if demand.size else float(state.answered_waiting)
        per_call = float(tables.new_call[-1]) if tables.new_call.size else 0.0
        room = poisson_room(state.agents_free, self.young_risk) - expected
        n_model = int(room / per_call) if per_call > 0.0 and room > 0.0 else 0
        if model is not None and model < n_model:
            n_model = model
        cap = self._line_cap(state, floor)
        n = floor if floor > n_model else n_model
        n = cap if cap < n else n
        why = ("the answers pay for no abandon yet"
               if state.abandon_target * state.live_answers_in_window
               >= state.abandons_in_window + 1.0
               else "the window is at its limit by AMD's abandons alone")
        return deferred_decision(n, 0.0, _free_agents_explanation, (
            n, n_model, floor, state.agents_free, why, expected, ringing, self.young_risk,
            state.abandons_in_window, state.live_answers_in_window))

    def _line_cap(self, state: PacingState, floor: int, in_flight: int | None = None,
                  engaged: int | None = None) -> int:
        """At most ``max_lines_per_agent`` lines per agent (free, engaged or logged in),
        never fewer than ``floor``. ``in_flight``, ``engaged``: the decision's own counts,
        when it has them (``calls_in_flight``, ``_agents_engaged``)."""
        if engaged is None:
            engaged = _agents_engaged(state)
        agents = state.agents_free + engaged
        if not agents > state.agents_logged_in:
            agents = state.agents_logged_in
        if in_flight is None:
            in_flight = calls_in_flight(state)
        lines = int(self.max_lines_per_agent * agents) - in_flight
        lines = lines if lines > floor else floor
        return lines if lines < self.max_calls_per_decision else self.max_calls_per_decision

    def decide(self, state: PacingState) -> PacingDecision:
        decision = self._decide(state)
        after = self.hang_up_after
        if after is not None and decision.calls_to_launch == 0:
            # Every agent is covered by the calls in flight: those still ringing past the
            # legal minimum are the cheapest demand to shed ("Shedding late calls").
            return shedding_late_calls(decision, after)
        return decision

    def _decide(self, state: PacingState) -> PacingDecision:
        in_flight = calls_in_flight(state)
        # Conditional expressions, not min() and max(): the same objects, without the
        # builtins' generic argument handling (~20 of them per decision).
        floor = state.agents_free - in_flight
        floor = floor if floor > 0 else 0
        most = self.max_calls_per_decision
        floor = most if most < floor else floor
        self._observe_window(state)
        engaged = _agents_engaged(state)
        if not (state.agents_free or engaged):
            return PacingDecision(0, "predictive: no agent free, on a call or in wrap-up → 0")
        live, abandons = state.live_answers_in_window, state.abandons_in_window
        target = state.abandon_target
        # ``warmed_up``, ``_unforecast_rate`` and ``bias`` written out and ``talk.count``
        # read once: the same values, without a property's Python call from C (CPython
        # 3.11) for each of the six reads a decision made.
        talk_count = self.talk.count
        live_observed = self.outcomes.live_observed
        if not (live_observed >= self.min_live_answers and talk_count >= self.min_handles):
            if (live_observed >= self.min_live_answers
                    and self._young_look_ahead(live, abandons, target,
                                               state.amd_abandons)):
                # The answer-time law is known; the look-ahead for free agents needs no
                # handle time (``min_handles`` finished calls are 2–15 minutes away).
                return self._free_agents_look_ahead(state, floor)
            return PacingDecision(
                floor,
                f"predictive (warming up: {self.outcomes.live_observed} live answers, "
                f"{talk_count} handled calls observed) → progressive {floor}",
            )
        answers = self._answers
        unforecast = self._amd_abandons / answers if answers > 0.0 else 0.0
        # The aim moves only with the window's counts (and AMD's rate): most decisions
        # reuse the last one's.
        # A trusted model may plan a period against its end (``_period_model_aim``).
        period = (state.window_live_answers, state.window_abandons,
                  state.period_live_answers, state.period_abandons
                  ) if (self.period_answers_share > 0.0
                        and talk_count >= self.ramp_handles) else None
        aim_key = (live, abandons, target, unforecast, self.budget, self.amd_margin_z, period)
        if aim_key != self._aim_key:
            self._aim = self._model_aim(live, abandons, target, unforecast)
            self._aim_plan = None
            planned = self._period_model_aim(period, target, unforecast)
            if planned is not None and planned[0] > self._aim[0]:
                self._aim = planned
                self._aim_plan = (period[3], period[2],  # type: ignore[index]
                                  self._period_answers_left(period))
            self._aim_key = aim_key
        aim, setpoint = self._aim
        ramp = talk_count / self.ramp_handles
        ramp = ramp if ramp < 1.0 else 1.0
        k = self.bias_pseudo_abandons
        bias = (self._realised + k * self.prior_bias) / (self._expected + k)
        bias = bias if bias > 1.0 else 1.0
        # AMD's abandons take their share of the aim first; the model aims at the rest
        # (its bias learnt without them, _observe_window).
        goal = aim * ramp / bias
        rate = abandons / (live if live > 1 else 1)
        young = goal <= 0.0 and self._young_look_ahead(live, abandons, target,
                                                        state.amd_abandons)
        free_only = young and not self._model_look_ahead(live, abandons, target,
                                                         state.amd_abandons)
        if free_only and talk_count < self.ramp_handles:
            return self._free_agents_look_ahead(state, floor)
        if goal <= 0.0 and not young:
            why = "budget spent" if self.budget.spent(live, abandons, target) else (
                "the window's answers pay for no abandon beyond the reserve yet")
            return PacingDecision(
                floor, f"predictive: {why} (window {abandons}/{live} = {rate:.2%}, target "
                f"{target:.2%}) → progressive {floor}",
            )
        tables = self._tables(state)
        # Answers that need an agent: people, and machines that go to agents (no AMD, or
        # missed by it). The forecast counts a machine only while it holds its agent, so its
        # overflow is people's (a machine left without an agent costs nothing, and one that
        # had an agent is counted back when it frees it): q(n) = ΔE ÷ p_live, and the loops
        # count ΔE abandons per n·p_live live answers.
        p_answer = tables.live_answer
        p_answer = 1e-6 if p_answer < 1e-6 else p_answer
        people = self._person_share
        cap = self._line_cap(state, floor, in_flight, engaged)
        threshold = self.young_threshold if young else math.exp(self._log_threshold)
        counts = state.in_progress_counts
        table = self.state_thresholds
        if counts is not None:
            # The engine's packed start instants: the count of long calls and the plan in
            # one compiled call (the plan is not used when too many calls run long).
            r = counts[0]
            v = r + counts[1]
            b = v + counts[2]
            if table is not None and not young:
                threshold = threshold * table.multiplier(state.agents_free, r)
            above, n_model, chosen, base = plan_since(
                tables, state.agents_free, state.answered_waiting,
                state.in_progress_started, state.now, r, b - v,
                threshold * p_answer * people, cap, v - r, self._talk_q90)
        else:
            # One array for all four groups (views after), fewer numpy calls per decision.
            elapsed, r, v, b = _in_progress(state)
            above = count_above(elapsed, v, b, self._talk_q90) if b - v >= 10 else 0
            if table is not None and not young:
                threshold = threshold * table.multiplier(state.agents_free, r)
        outlasting = above / (b - v) if b - v >= 10 else 0.0
        if outlasting > 0.3:
            return PacingDecision(
                floor,
                f"predictive: {outlasting:.0%} of calls in progress outlast the fitted "
                f"talk time's 90th percentile ({self._talk_q90:.0f} s): estimate not yet "
                f"trustworthy → progressive {floor}",
            )
        if counts is None:
            n_model, chosen, base = plan(
                tables, state.agents_free, state.answered_waiting, elapsed, r, b - v,
                threshold * p_answer * people, cap, v - r,
            )
        if free_only:
            return self._free_agents_look_ahead(state, floor, n_model)
        n = floor if floor > n_model else n_model
        n = cap if cap < n else n
        batch_cut = None
        z = self.batch_guard_z
        if z is not None and n_model > floor:
            # The batch guard: the calls in flight after this decision may carry no more
            # expected abandons (× the bias, + z Poisson deviations) than the window's
            # answers pay for before the limit, r·L − A. Not less the budget's reserve: the
            # reserve is room for these very calls, which the guard counts (with it, the
            # guard cut single calls of ~1e-4 expected abandons at the budget's opening,
            # where z·√(c·E) dwarfs c·E; docs/pacing.md, "The batch guard").
            slack = target * live - abandons
            room = batch_room(slack, bias, z)
            if chosen > room:
                uncut = n
                n, chosen = self._batch_cut(state, tables, floor, n_model, room)
                batch_cut = (uncut, guarded_abandons(chosen, bias, z), slack, z)
        # Calls beyond the model's count are progressive ones (an agent waits for each):
        # they add no abandons, so the model's own count is what the loops learn from.
        added = chosen - base
        added = added if added > 0.0 else 0.0
        if state.now > self._tuned_at:
            self._expected += added
        if young:  # no aim to tune towards: λ waits for the first one
            if state.now > self._tuned_at:
                self._tuned_at = state.now
        else:
            self._tune_threshold(state.now, added, n * p_answer * people, goal)
        # The explanation is formatted only if read (seven float formats, as much as the
        # rest of this method's Python): from these values, fixed now.
        return deferred_decision(n, added, _model_explanation, (
            n, n_model, floor, p_answer, people, state.agents_free, r, v - r, threshold,
            base, added, young, goal, setpoint, bias, rate, live, target, self._aim_plan,
            batch_cut))

    def _batch_cut(self, state: PacingState, tables: CompactTables, floor: int, count: int,
                   room: float) -> tuple[int, float]:
        """(n, E[abandons](n)): the most calls in [``floor``, ``count``) whose E[abandons]
        (the calls in flight and the n new ones, the model's own count) is within ``room``
        (``budget.batch_room``), never fewer than ``floor`` (progressive's calls each have
        an agent free: they are kept even when the calls in flight alone exceed the room).

        E(n) rises with n (each instant's excess is increasing in the calls added), so a
        bisection finds it; only a decision the guard cuts pays for the forecast again.

        Why: the budget reads the window's counts at the decision, and a batch's abandons
        come after it. With a threshold above one person per call (a state table that
        multiplies λ, docs/pacing.md "Policy search over per-state thresholds"), single
        decisions launched 240–300 calls and windows reached 6.4 %."""
        elapsed, r, v, b = _in_progress(state)
        forecast = Forecast.build(tables, state.agents_free, state.answered_waiting, elapsed,
                                  r, b - v, v - r)
        good, bad = floor, count
        while bad - good > 1:
            middle = (good + bad) // 2
            if forecast.expected_abandons(tables, middle) <= room:
                good = middle
            else:
                bad = middle
        return good, forecast.expected_abandons(tables, good)
