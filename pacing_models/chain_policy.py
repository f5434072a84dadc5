"""The chain's own policy: the decision rule of issue 16's constrained MDP, run as a dialer.

Why: ``pacing_models.bound`` says how high any policy that knows the past can go on a Markov
model of a cell (docs/pacing.md, "An upper bound for non-anticipating policies"), and at ten
agents predictive stays 0.024–0.036 below that optimum. Whether the optimum's *decision
rule* closes that gap on the suite's real laws (lognormal ring and talk times, fixed wrap-up,
a ring timeout) is an experiment, not a theorem: this module runs it.

The rule. For a multiplier λ ≥ 0, relative value iteration on the chain
(``pacing_models.bound_chain``: exponential ring times, one or two Erlang phases of handle
time) gives the policy that maximises busy share − λ·(abandons − limit·live answers); its
launch count in each state (agents busy per phase, calls ringing, callers waiting) is a
table (``lagrangian_table``; on a tiny cell, the linear program's own actions at its dual
price). The constrained optimum mixes the tables of two neighbouring λ's; here λ follows
the budget instead: at each decision the policy takes the table of the least λ on a grid
(``LAMBDA_GRID``) whose abandons per live answer on the chain (its stationary law) are at
most the budget's aim divided by the model's bias, realised ÷ the chain's expected abandons
of the tables used (``ChainTables.index_for``).

The state mapping (``chain_state``). Agents busy = the chain's agents − agents free (an agent
reserved for a connecting call is busy; with two handle phases, ``busy_phases``); callers
waiting = ``answered_waiting`` (none while an agent is free: the chain connects at once).
Calls ringing are *effective* calls: a real call's chance of still becoming a live answer
falls with its age (a no-answer rings to the timeout, a live answer comes at 9 ± 4 s), while
the chain's ringing calls are memoryless; each ringing call counts q(age) ÷ p, q(age) the
empirical share of calls still ringing at that age that end as live answers
(``AnswerByAge``), p that share at age 0, so the chain expects as many answers from the
calls ringing as the calls' ages say.

The rails, as predictive's: progressive while the budget is spent (``AbandonBudget``, the
same defaults), the chain's table at a very cautious λ while a young window pays for no
abandon beyond the reserve (progressive once it has one), and a batch guard: the calls in
flight after the decision may carry, by the chain's expected abandons until the calls in
flight are done (``ChainTables.drain_abandons``), inflated by the bias and z = 2 Poisson
deviations, at most the window's slack r·L − A (``budget.batch_room``); never fewer than
progressive's one call per free agent. Late calls are shed at 15 s when a decision launches
nothing (``hang_up_after``), as predictive does.

Rates: ``rates`` (a ``ChainRates``) fixes them (the "oracle of rates, not of fates" that
measures what the decision rule alone costs); without it they are learnt online (live share
per non-busy attempt, mean ring time of live answers, mean talk + wrap-up) and the chain is
solved again when one of them has moved by ``resolve_change`` (and at most every
``resolve_seconds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

from pacing_models.bound import lagrangian_bound, policy_value
from pacing_models.bound_chain import BoundCell, BoundChain, suite_cell
from pacing_models.budget import AbandonBudget, batch_room
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import (
    MIN_RING_SECONDS,
    AttemptResult,
    PacingDecision,
    PacingState,
    shedding_late_calls,
)
from pacing_models.policies import calls_in_flight

LAMBDA_GRID = tuple(float(x) for x in np.geomspace(0.25, 1024.0, 37))
"""The multipliers the loop moves over (×1.26 apart); tables are solved lazily, warm-started
from a neighbour's relative values."""
_BATCH_Z = 2.0
_AGE_BINS = 64


@dataclass(frozen=True)
class ChainRates:
    """The chain's rates for one cell: p = live answers per non-busy call, mean ring time
    of a live answer, mean handle time (talk + wrap-up), mean wait of an unserved caller."""

    live_share: float
    answer_mean: float
    handle_mean: float
    wait_mean: float = 5.0 * (1.0 - math.exp(-2.0 / 5.0))

    @classmethod
    def of_suite_cell(cls, live: float, talk: float, wrap: float = 15.0,
                      ring_phases: int = 1) -> ChainRates:
        """The suite's cell as ``bound_chain.suite_cell`` writes it."""
        cell = suite_cell(1, live, talk, wrap=wrap, ring_phases=ring_phases)
        return cls(cell.live_share, cell.answer_mean, cell.handle_mean, cell.wait_mean)


def max_ringing(agents: int, live: float) -> int:
    """The ring cap ``benchmarks/pacing_bound.py`` checked does not bind."""
    return max(25, math.ceil(0.4 * agents / max(live, 1e-3)))


class ChainTables:
    """The 1x1 chain of one cell and its Lagrangian tables, λ by λ."""

    def __init__(self, cell: BoundCell, rates: ChainRates | None = None,
                 tolerance: float = 1e-6) -> None:
        if cell.ring_phases not in (1, 2) or cell.may_cancel:
            raise InvalidParameterError("ChainTables: one or two ring phases, no cancelling")
        self.cell = cell
        self.rates = rates
        self.chain = BoundChain(self.cell)
        self.t = self.chain.transitions
        self.tolerance = tolerance
        n = len(self.chain)
        pre, post, launches = [], [], []
        for s in range(n):
            for k in range(self.cell.max_launch + 1):
                y = self.chain.launched(s, k)
                if y is None:
                    break
                pre.append(s)
                post.append(y)
                launches.append(k)
        self.pre, self.post = np.array(pre), np.array(post)
        self.launches = np.array(launches)
        self.starts = np.flatnonzero(np.r_[True, self.pre[1:] != self.pre[:-1]])
        self._tables: dict[int, np.ndarray] = {}
        self._values: dict[int, np.ndarray] = {}
        self._worth: dict[int, tuple[float, float]] = {}
        self.drain_abandons = self._drain()

    @classmethod
    def for_rates(cls, agents: int, rates: ChainRates, handle_phases: int = 1,
                  ring_cap: int | None = None, ring_phases: int = 1) -> ChainTables:
        """The chain of a cell with ``agents`` agents and these rates."""
        cap = ring_cap if ring_cap is not None else max_ringing(agents, rates.live_share)
        return cls(BoundCell(agents=agents, live_share=min(1.0, rates.live_share),
                             answer_mean=rates.answer_mean, ring_phases=ring_phases,
                             handle_mean=rates.handle_mean, handle_phases=handle_phases,
                             wait_mean=rates.wait_mean, max_ringing=cap), rates)

    def _drain(self) -> np.ndarray:
        """Expected abandons from each state if nothing more is launched (the calls in flight
        run out): (I − M) A = abandons per epoch on the states with calls in flight."""
        t = self.t
        live = np.array([c[0] + q > 0 for _, c, q in self.chain.states])
        idx = np.flatnonzero(live)
        m = t.matrix[idx][:, idx]
        rhs = t.abandon_rate[idx] / t.rate
        out = np.zeros(len(self.chain))
        out[idx] = spsolve((sparse.identity(len(idx)) - m).tocsc(), rhs)
        return out

    def table(self, index: int) -> np.ndarray:
        """Launches per state of the Lagrangian policy at ``LAMBDA_GRID[index]``."""
        found = self._tables.get(index)
        if found is None:
            near = min(self._values, key=lambda i: abs(i - index), default=None)
            start = None if near is None else self._values[near]
            found, h = lagrangian_table(self, LAMBDA_GRID[index], start)
            self._tables[index], self._values[index] = found, h
        return found

    def worth(self, index: int) -> tuple[float, float]:
        """(busy share, abandons ÷ live answers) of the table at ``LAMBDA_GRID[index]`` on
        the chain: its stationary law (``bound.policy_value``)."""
        found = self._worth.get(index)
        if found is None:
            found = self._worth[index] = policy_value(self.chain, self.table(index))
        return found

    def index_for(self, goal: float) -> int:
        """The most aggressive table (least λ) whose abandons per live answer on the chain
        are at most ``goal``: a bisection over the grid (the rate falls as λ rises)."""
        low, high = 0, len(LAMBDA_GRID) - 1
        if self.worth(low)[1] <= goal:
            return low
        if self.worth(high)[1] > goal:
            return high
        while high - low > 1:
            middle = (low + high) // 2
            if self.worth(middle)[1] <= goal:
                high = middle
            else:
                low = middle
        return high

    def state_index(self, busy: tuple[int, ...], ringing: int | tuple[int, ...],
                    waiting: int) -> int:
        """The chain's state for agents busy per handle phase (1x1: one count), calls
        ringing and callers waiting, clipped to the chain's truncations."""
        agents = self.cell.agents
        phases = [max(0, b) for b in busy]
        over = sum(phases) - agents
        for i in range(len(phases)):  # more busy than the chain's agents: the earliest go
            if over <= 0:
                break
            cut = min(over, phases[i])
            phases[i] -= cut
            over -= cut
        waiting = 0 if sum(phases) < agents else min(max(0, waiting), self.cell.max_waiting)
        rings = [max(0, r) for r in ((ringing,) if isinstance(ringing, int) else ringing)]
        over = sum(rings) - self.cell.max_ringing
        for i in range(len(rings)):  # beyond the ring cap: the youngest go first
            if over <= 0:
                break
            cut = min(over, rings[i])
            rings[i] -= cut
            over -= cut
        return self.chain.index[(tuple(phases), tuple(rings), waiting)]


def lagrangian_table(tables: ChainTables, multiplier: float,
                     start: np.ndarray | None = None,
                     max_iterations: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """(launches per state, relative values) of the policy maximising the long-run average
    of busy/agents − λ·(abandon rate − limit·live answer rate): the bound's relative value
    iteration (``bound.lagrangian_bound``) to MacQueen's span ``tolerance``, then the greedy
    action, the fewest launches among the best (within 1e-9 of the best value per epoch)."""
    _, h = lagrangian_bound(tables.cell, multiplier, tolerance=tables.tolerance,
                            max_iterations=max_iterations, start=start)
    t, cell = tables.t, tables.cell
    reward = (t.busy_agents / cell.agents - multiplier
              * (t.abandon_rate - cell.abandon_limit * t.live_answer_rate)) / t.rate
    after = reward + t.matrix @ h
    values = after[tables.post]
    best = np.maximum.reduceat(values, tables.starts)
    chosen = np.where(values >= best[tables.pre] - 1e-9, tables.launches, 1 << 30)
    return np.minimum.reduceat(chosen, tables.starts), h


class AnswerByAge:
    """q(age): of the calls still ringing at an age (1-s bins), the share that end as live
    answers, from the campaign's own finished attempts (under its own shedding)."""

    def __init__(self, prior: float, refresh: int = 200) -> None:
        self.live = np.zeros(_AGE_BINS)
        self.other = np.zeros(_AGE_BINS)
        self.refresh = refresh
        self._since = 0
        self.q = np.full(_AGE_BINS, prior)
        self.p = prior

    def observe(self, result: AttemptResult, ring_seconds: float) -> None:
        b = min(_AGE_BINS - 1, max(0, int(ring_seconds)))
        if result is AttemptResult.BUSY or result is AttemptResult.FAILED:
            return
        if result is AttemptResult.LIVE:
            self.live[b] += 1
        else:
            self.other[b] += 1
        self._since += 1
        if self._since >= self.refresh:
            self._since = 0
            live_after = np.cumsum(self.live[::-1])[::-1]
            all_after = live_after + np.cumsum(self.other[::-1])[::-1]
            if all_after[0] > 0:
                self.q = np.where(all_after > 0, live_after / np.maximum(all_after, 1), 0.0)
                self.p = float(self.q[0])

    def effective_phases(self, ringing_elapsed: tuple[float, ...],
                         answer_mean: float) -> tuple[int, int]:
        """Effective calls in the two ring phases of an Erlang-2 ring time (each of mean
        A/2: a call in phase 1 has A to go, one in phase 2 A/2): a call is in phase 2 when
        its live answer, if it comes, is due within 3A/4 on average, from the live answers'
        ring times (``q`` weights as ``effective``)."""
        if not ringing_elapsed:
            return (0, 0)
        live_after = np.cumsum(self.live[::-1])[::-1]
        weighted = np.cumsum((self.live * (np.arange(_AGE_BINS) + 0.5))[::-1])[::-1]
        left = np.where(live_after > 0, weighted / np.maximum(live_after, 1)
                        - np.arange(_AGE_BINS), 0.0)
        ages = np.maximum(np.minimum(np.asarray(ringing_elapsed, dtype=int), _AGE_BINS - 1), 0)
        weight = self.q[ages] / self.p if self.p > 0.0 else np.ones(len(ages))
        late = left[ages] < 0.75 * answer_mean if live_after[0] > 0 else ages > answer_mean / 2
        return (round(float(weight[~late].sum())), round(float(weight[late].sum())))

    def effective(self, ringing_elapsed: tuple[float, ...]) -> float:
        """The chain's count of ringing calls with the answers the real ones' ages carry."""
        if not ringing_elapsed or self.p <= 0.0:
            return float(len(ringing_elapsed))
        ages = np.minimum(np.asarray(ringing_elapsed, dtype=int), _AGE_BINS - 1)
        return float(self.q[np.maximum(ages, 0)].sum()) / self.p


class HandleResidual:
    """The mean time left of an agent's handle (talk + wrap-up) after ``e`` seconds on a
    call, from the campaign's own finished handles: what puts a busy agent in the 2x1
    chain's first or second handle phase (``chain_state``)."""

    def __init__(self, keep: int = 2000, refresh: int = 100) -> None:
        self.samples: list[tuple[float, float]] = []
        self.keep, self.refresh = keep, refresh
        self._since = 0
        self.residual: np.ndarray | None = None
        self.wrap_mean = 0.0
        self.horizon = 0.0
        self.free_on_call: np.ndarray | None = None
        """P(handle over within ``horizon`` s | e s on a call), by whole seconds of e."""
        self.free_in_wrap: np.ndarray | None = None
        """P(wrap-up over within ``horizon`` s | w s into it), by whole seconds of w."""

    def observe(self, talk: float, wrap: float) -> None:
        self.samples.append((talk, wrap))
        if len(self.samples) > self.keep:
            del self.samples[: len(self.samples) - self.keep]
        self._since += 1
        if self._since >= self.refresh or (self.residual is None and len(self.samples) >= 10):
            self._since = 0
            talk_s = np.array([t for t, _ in self.samples])
            self.wrap_mean = float(np.mean([w for _, w in self.samples]))
            grid = np.arange(0.0, float(talk_s.max()) + 2.0)
            ordered = np.sort(talk_s)
            above = len(ordered) - np.searchsorted(ordered, grid, side="right")
            tail_sum = np.concatenate([np.cumsum(ordered[::-1])[::-1], [0.0]])
            sums = tail_sum[np.searchsorted(ordered, grid, side="right")]
            self.residual = np.where(above > 0, sums / np.maximum(above, 1) - grid, 0.0) \
                + self.wrap_mean
            if self.horizon > 0.0:
                self._free_within(talk_s, grid)

    def _free_within(self, talk_s: np.ndarray, grid: np.ndarray) -> None:
        wrap_s = np.array([w for _, w in self.samples])
        handle = talk_s + wrap_s
        alive = talk_s[None, :] > grid[:, None]
        done = handle[None, :] <= grid[:, None] + self.horizon
        count = alive.sum(axis=1)
        self.free_on_call = np.where(count > 0, (alive & done).sum(axis=1)
                                     / np.maximum(count, 1), 1.0)
        wgrid = np.arange(0.0, float(wrap_s.max()) + 2.0)
        walive = wrap_s[None, :] > wgrid[:, None]
        wdone = wrap_s[None, :] <= wgrid[:, None] + self.horizon
        wcount = walive.sum(axis=1)
        self.free_in_wrap = np.where(wcount > 0, (walive & wdone).sum(axis=1)
                                     / np.maximum(wcount, 1), 1.0)

    def freeing(self, state: PacingState) -> float | None:
        """Expected agents of the snapshot's on-call and wrap-up agents free within
        ``horizon`` seconds (None before the first fit)."""
        if self.free_on_call is None or self.free_in_wrap is None:
            return None
        on, wrap = self.free_on_call, self.free_in_wrap
        total = 0.0
        for e in state.busy_elapsed:
            i = int(e)
            total += float(on[i]) if i < len(on) else 1.0
        for w in state.wrap_elapsed:
            i = int(w)
            total += float(wrap[i]) if i < len(wrap) else 1.0
        return total

    def on_call(self, elapsed: float) -> float:
        if self.residual is None:
            return math.inf
        i = int(elapsed)
        return float(self.residual[i]) if i < len(self.residual) else self.wrap_mean


def busy_phases(state: PacingState, agents: int, phases: int,
                residual: HandleResidual | None, handle_mean: float) -> tuple[int, ...]:
    """Agents busy per handle phase. One phase: agents − free. Two (Erlang, each phase of
    mean h/2, so an agent in phase 1 has h to go and one in phase 2 h/2): an agent goes in
    phase 2 when its mean time left, from its elapsed time (``HandleResidual``), is under
    3h/4, and every agent in wrap-up does; busy agents the snapshot does not list (reserved
    for a connecting call) are in phase 1."""
    busy = agents - state.agents_free
    if phases == 1:
        if residual is not None and residual.horizon > 0.0 and state.answered_waiting == 0:
            freeing = residual.freeing(state)
            if freeing is not None:
                # The chain's free agents in ``horizon`` s, (A − b) + b·(1 − e^(−τ/h)), are
                # the real ones, free now + those the elapsed times say will free (F):
                # b = (busy − F) ÷ e^(−τ/h) (``busy_horizon``).
                stay = math.exp(-residual.horizon / handle_mean)
                return (max(0, min(agents, round((busy - freeing) / stay))),)
        return (busy,)
    late = sum(1 for e in state.busy_elapsed
               if residual is not None and residual.on_call(e) < 0.75 * handle_mean)
    late += len(state.wrap_elapsed)
    late = min(late, max(busy, 0))
    return (busy - late, late)


def chain_state(state: PacingState, agents: int, by_age: AnswerByAge | None,
                phases: int = 1, residual: HandleResidual | None = None,
                handle_mean: float = 0.0, ring_phases: int = 1, answer_mean: float = 9.0
                ) -> tuple[tuple[int, ...], int | tuple[int, int], int]:
    """(agents busy per handle phase, calls ringing (per ring phase with two), callers
    waiting) of the chain for an engine snapshot."""
    busy = agents - state.agents_free
    ringing: int | tuple[int, int]
    if ring_phases == 2 and by_age is not None:
        early, late = by_age.effective_phases(state.ringing_elapsed, answer_mean)
        ringing = (early + len(state.verdict_elapsed), late)
    elif by_age is None:
        ringing = (state.ringing_lines if state.ringing_lines is not None
                   else len(state.ringing_elapsed)) + len(state.verdict_elapsed)
    else:
        ringing = round(by_age.effective(state.ringing_elapsed)) + len(
            state.verdict_elapsed)
    waiting = state.answered_waiting if busy >= agents else 0
    return busy_phases(state, agents, phases, residual, handle_mean), ringing, waiting


class ChainPolicy:
    """Pacing by the constrained MDP's decision rule on the 1x1 chain (module docstring)."""

    name = "chain"
    state_fields = frozenset({"now", "agents_free", "agents_logged_in", "ringing_elapsed",
                              "verdict_elapsed", "ringing_lines", "answered_waiting",
                              "live_answers_in_window", "abandons_in_window",
                              "abandon_target", "live_answers_seen", "abandons_seen",
                              "busy_elapsed", "wrap_elapsed"})

    def __init__(self, rates: ChainRates | None = None, *, agents: int | None = None,
                 margin_z: float = 4.0, aim_cap: float = 0.8, reserve_abandons: float = 2.0,
                 hang_up_after: float | None = MIN_RING_SECONDS, by_age: bool = True,
                 batch_guard: bool = True, min_live_answers: int = 20,
                 min_handles: int = 10, resolve_change: float = 0.05,
                 resolve_seconds: float = 900.0, fixed_lambda: float | None = None,
                 prior_bias: float = 1.0, bias_pseudo_abandons: float = 5.0,
                 handle_phases: int = 1, busy_horizon: float | None = None,
                 ring_phases: int = 1) -> None:
        if not 0.0 < aim_cap <= 1.0 or margin_z < 0 or reserve_abandons < 0:
            raise InvalidParameterError("chain: aim_cap in (0, 1], margin_z and "
                                        "reserve_abandons ≥ 0")
        if fixed_lambda is not None and not fixed_lambda >= 0:
            raise InvalidParameterError(f"chain: fixed_lambda must be ≥ 0, got {fixed_lambda}")
        if handle_phases not in (1, 2):
            raise InvalidParameterError(f"chain: handle_phases is 1 or 2, got {handle_phases}")
        if ring_phases not in (1, 2) or (ring_phases == 2 and not by_age):
            raise InvalidParameterError("chain: ring_phases is 1 or 2 (2 needs by_age)")
        self.fixed_rates = rates
        self.handle_phases = handle_phases
        self.ring_phases = ring_phases
        self.residual = (HandleResidual() if handle_phases == 2 or busy_horizon is not None
                         else None)
        if busy_horizon is not None:
            if handle_phases != 1 or not busy_horizon > 0:
                raise InvalidParameterError("chain: busy_horizon > 0, with one handle phase")
            self.residual.horizon = busy_horizon
        self.agents = agents
        self.budget = AbandonBudget(margin_z, 200.0, aim_cap, reserve_abandons)
        self.hang_up_after = hang_up_after
        self.batch_guard = batch_guard
        self.min_live_answers, self.min_handles = min_live_answers, min_handles
        self.resolve_change, self.resolve_seconds = resolve_change, resolve_seconds
        self.fixed_lambda = fixed_lambda
        self.prior_bias, self.k = prior_bias, bias_pseudo_abandons
        self.by_age = AnswerByAge(rates.live_share if rates else 0.2) if by_age else None
        self._tables: ChainTables | None = None
        self._solved_at = -math.inf
        # Learning: counts for the rates, and the loop's sums.
        self._live = self._calls = 0
        self._ring_live = 0.0
        self._handles = 0
        self._handle_sum = 0.0
        self._realised = self._expected = 0.0
        self._rate_in_use = 0.0
        self._last: tuple[float, int, int] | None = None
        self.solves = 0
        self.guard_cuts = 0

    # --- learning -----------------------------------------------------------------------

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        if result is not AttemptResult.BUSY and result is not AttemptResult.FAILED:
            self._calls += 1
            if result is AttemptResult.LIVE:
                self._live += 1
                self._ring_live += ring_seconds
        if self.by_age is not None:
            self.by_age.observe(result, ring_seconds)

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self._handles += 1
        self._handle_sum += talk_seconds + wrap_seconds
        if self.residual is not None:
            self.residual.observe(talk_seconds, wrap_seconds)

    def learnt_rates(self) -> ChainRates | None:
        if self._live < self.min_live_answers or self._handles < self.min_handles:
            return None
        return ChainRates(self._live / self._calls, self._ring_live / self._live,
                          self._handle_sum / self._handles)

    # --- the chain ------------------------------------------------------------------------

    def _chain(self, state: PacingState) -> ChainTables | None:
        agents = self.agents or state.agents_logged_in or state.agents_free
        rates = self.fixed_rates or self.learnt_rates()
        if rates is None or agents < 1:
            return None
        current = self._tables
        if current is not None and current.cell.agents == agents:
            if self.fixed_rates is not None:
                return current
            old = current.rates
            moved = max(abs(rates.live_share / old.live_share - 1.0),
                        abs(rates.answer_mean / old.answer_mean - 1.0),
                        abs(rates.handle_mean / old.handle_mean - 1.0))
            if moved < self.resolve_change or state.now - self._solved_at < self.resolve_seconds:
                return current
        self._tables = ChainTables.for_rates(agents, rates, self.handle_phases,
                                             ring_phases=self.ring_phases)
        self._solved_at = state.now
        self.solves += 1
        return self._tables

    def _observe(self, state: PacingState) -> None:
        """The bias's evidence since the last decision: realised abandons, and the abandons
        the chain expected of the table in use (its rate × the live answers that came)."""
        live = state.live_answers_seen
        abandons = state.abandons_seen
        if live is None or abandons is None:
            live, abandons = state.live_answers_in_window, state.abandons_in_window
        last = self._last
        if last is not None and state.now > last[0]:
            self._realised = self._realised * 0.9998 + max(0, abandons - last[2])
            self._expected = self._expected * 0.9998 + self._rate_in_use * max(0, live - last[1])
        if last is None or state.now > last[0]:
            self._last = (state.now, live, abandons)

    @property
    def bias(self) -> float:
        """Realised ÷ the chain's expected abandons, shrunk towards ``prior_bias``."""
        bias = (self._realised + self.k * self.prior_bias) / (self._expected + self.k)
        return min(10.0, max(0.3, bias))

    # --- decision ---------------------------------------------------------------------------

    def decide(self, state: PacingState) -> PacingDecision:
        decision = self._decide(state)
        if self.hang_up_after is not None and decision.calls_to_launch == 0:
            return shedding_late_calls(decision, self.hang_up_after)
        return decision

    def _decide(self, state: PacingState) -> PacingDecision:
        floor = max(0, state.agents_free - calls_in_flight(state))
        tables = self._chain(state)
        self._observe(state)
        self._rate_in_use = 0.0
        if tables is None:
            return PacingDecision(floor, f"chain (warming up: {self._live} live answers, "
                                         f"{self._handles} handled calls) → progressive "
                                         f"{floor}")
        live, abandons = state.live_answers_in_window, state.abandons_in_window
        target = state.abandon_target
        aim = self.budget.setpoint(live, abandons, target)
        young = (aim <= 0.0 and abandons <= self.budget.reserve
                 and target * live >= abandons + 1.0)
        if aim <= 0.0 and not young:
            return PacingDecision(floor, f"chain: budget spent (window {abandons}/{live}) → "
                                         f"progressive {floor}")
        bias = self.bias
        if young:
            index = len(LAMBDA_GRID) - 1
        elif self.fixed_lambda is not None:
            index = min(range(len(LAMBDA_GRID)), key=lambda i: abs(
                math.log(LAMBDA_GRID[i]) - math.log(max(self.fixed_lambda, 1e-9))))
        else:
            index = tables.index_for(aim / bias)
        self._rate_in_use = tables.worth(index)[1]
        table = tables.table(index)
        busy, ringing, waiting = chain_state(state, tables.cell.agents, self.by_age,
                                             self.handle_phases, self.residual,
                                             tables.cell.handle_mean, self.ring_phases,
                                             tables.cell.answer_mean)
        s = tables.state_index(busy, ringing, waiting)
        n = int(table[s])
        n = max(n, floor)
        if self.batch_guard and n > floor:
            room = batch_room(target * live - abandons, bias, _BATCH_Z)
            while n > floor:
                y = tables.chain.launched(s, n)
                if y is not None and tables.drain_abandons[y] <= room:
                    break
                n -= 1
                self.guard_cuts += 1
        return PacingDecision(n, f"chain λ {LAMBDA_GRID[index]:.3g}: busy {busy}, ringing "
                                 f"{ringing}, waiting {waiting} → {n} (floor {floor}, bias "
                                 f"{bias:.2f}, aim {aim:.2%})")
