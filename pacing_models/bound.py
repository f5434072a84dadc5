"""The best any non-anticipating pacing policy can do on a Markov cell: a constrained MDP
solved exactly as a linear program over occupation measures (issue 16).

Why: the suite's ten-agent cells stay below 0.85 of the practical limit after every lever
tried (docs/pacing.md, "Small campaigns" to "Policy search over per-state thresholds"). A
policy search can only show that the policies it tried fail; the optimum of the constrained
MDP says what every policy that knows the past (here: the whole state, which is more than a
dialer knows) can reach, so a target above it is infeasible on that model.

The program (Altman, *Constrained Markov Decision Processes*, 1999, ch. 4; uniformised
continuous-time chain, Puterman, *Markov Decision Processes*, 1994, §11.5): one variable
x(s, k) ≥ 0 per state s and launch count k, the long-run share of decision epochs (events,
fictitious ones included) at which the chain is in s and launches k calls; the state y(s, k)
after the launch holds until the next epoch, so a long-run time average is Σ x·f(y).

    maximise   Σ x(s, k) · busy(y(s, k)) / agents
    subject to Σ_k x(s, k) = Σ_{s', k'} x(s', k') · P(y(s', k') → s)   for every state s
               Σ x(s, k) · (abandon_rate(y) − limit · live_answer_rate(y)) ≤ 0
               Σ x = 1,  x ≥ 0

An optimal x gives a stationary randomised policy x(s, k) / Σ_k x(s, k) that is optimal among
all policies, history-dependent ones included, for the long-run average (the chain is
unichain: from any state, launching nothing empties it). The busy share is the share of the
practical limit issue 16 measures: the practical limit is E[talk] ÷ E[talk + wrap] (no
machines), and a day's talk fraction ÷ it is, in expectation, the agents' busy share.
"""

from __future__ import annotations

import functools
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.linalg import MatrixRankWarning, spsolve

from pacing_models.bound_chain import BoundCell, BoundChain
from pacing_models.errors import InvalidParameterError


@dataclass(frozen=True)
class BoundResult:
    """The optimum of one cell and what says whether its truncations bind."""

    cell: BoundCell
    busy_share: float
    """Long-run busy share of the optimal policy: the bound on the share of the limit."""
    abandon_rate: float
    """Abandons ÷ live answers under that policy (≤ the cell's limit)."""
    states: int
    variables: int
    ring_cap_mass: float
    """Share of time with ``max_ringing`` calls ringing (where launches are cut off)."""
    launch_cap_mass: float
    """Share of epochs launching ``max_launch`` calls (the most one epoch may launch)."""
    waiting_cap_mass: float
    """Share of time with ``max_waiting`` callers waiting (a further answer is abandoned)."""
    seconds: float


@dataclass(frozen=True)
class _Program:
    chain: BoundChain
    pre: np.ndarray
    post: np.ndarray
    launches: np.ndarray
    hang_ups: np.ndarray | None = None
    """Calls of the last ring phase hung up with the launch (cells whose hang-ups go with a
    launch, ``hang_up_with_launch``); None where a hang-up is a negative launch."""


def _program(chain: BoundChain) -> _Program:
    """Every (state, launch) pair the truncation allows, as parallel arrays, grouped by
    state and, within a state, by launch count ascending (hang-ups first, as negatives).
    A cell with ``hang_up_with_launch`` pairs every hang-up count with every launch count
    instead (a dialer hangs up its old calls and dials new ones in the same second)."""
    cell = chain.cell
    cancels = int(chain.last_ringing.max()) if cell.may_cancel and len(chain) else 0
    pre, post, launches, hang_ups = [], [], [], []
    combined = bool(getattr(cell, "hang_up_with_launch", False))
    if combined:
        pairs = [(-m, k) for m in range(cancels + 1) for k in range(cell.max_launch + 1)]
    else:
        pairs = [(k if k < 0 else 0, max(k, 0))
                 for k in range(-cancels, cell.max_launch + 1)]
    launch_targets = {k: chain.launch_targets(k) for k in range(cell.max_launch + 1)}
    for cancel, k in pairs:
        z = chain.launch_targets(cancel) if cancel else np.arange(len(chain))
        y = np.where(z >= 0, launch_targets[k][np.maximum(z, 0)], -1)
        ok = np.flatnonzero(y >= 0)
        pre.append(ok)
        post.append(y[ok])
        launches.append(np.full(len(ok), k if combined else k + cancel))
        hang_ups.append(np.full(len(ok), -cancel))
    pre_all, post_all = np.concatenate(pre), np.concatenate(post)
    launch_all, hang_all = np.concatenate(launches), np.concatenate(hang_ups)
    order = np.lexsort((launch_all, hang_all, pre_all) if combined else (launch_all, pre_all))
    return _Program(chain, pre_all[order], post_all[order], launch_all[order],
                    hang_all[order] if combined else None)


def solve(cell: BoundCell) -> BoundResult:
    """The cell's optimal long-run busy share under its abandonment limit (HiGHS)."""
    started = time.perf_counter()
    chain = BoundChain(cell)
    t = chain.transitions
    prog = _program(chain)
    n, v = len(chain), len(prog.pre)
    cols = np.arange(v)
    into = sparse.csr_matrix((np.ones(v), (prog.pre, cols)), shape=(n, v))
    after = sparse.csr_matrix((np.ones(v), (prog.post, cols)), shape=(n, v))
    balance = (into - t.matrix.T.tocsr() @ after).tocsr()
    a_eq = sparse.vstack([balance, sparse.csr_matrix(np.ones((1, v)))]).tocsr()
    b_eq = np.zeros(n + 1)
    b_eq[-1] = 1.0
    excess = t.abandon_rate[prog.post] - cell.abandon_limit * t.live_answer_rate[prog.post]
    busy = t.busy_agents[prog.post] / cell.agents
    result = linprog(-busy, A_ub=excess.reshape(1, -1), b_ub=[0.0], A_eq=a_eq, b_eq=b_eq,
                     bounds=(0, None), method="highs")
    if result.status != 0:
        raise InvalidParameterError(f"bound LP: {result.message}")
    x = np.clip(result.x, 0.0, None)
    live = float(x @ t.live_answer_rate[prog.post])
    abandons = float(x @ t.abandon_rate[prog.post])
    rings = chain.ringing[prog.post]
    waits = chain.waiting[prog.post]
    return BoundResult(
        cell=cell, busy_share=float(x @ busy),
        abandon_rate=abandons / live if live > 0 else 0.0, states=n, variables=v,
        ring_cap_mass=float(x[rings == cell.max_ringing].sum()),
        launch_cap_mass=float(x[prog.launches == cell.max_launch].sum()),
        waiting_cap_mass=float(x[(waits == cell.max_waiting) & (cell.max_waiting > 0)].sum()),
        seconds=time.perf_counter() - started)


def policy_value(chain: BoundChain, launches: np.ndarray) -> tuple[float, float]:
    """(busy share, abandons ÷ live answers) of the deterministic policy that launches
    ``launches[s]`` calls in state s: the stationary law of the chain it induces. For tests
    and brute force on small cells; the policy must keep the chain unichain."""
    t = chain.transitions
    n = len(chain)
    post = np.array([chain.launched(s, int(k)) for s, k in enumerate(launches)])
    if any(p is None for p in post):
        raise InvalidParameterError("policy_value: a launch beyond max_ringing")
    post = post.astype(int)
    step = sparse.csr_matrix((np.ones(n), (np.arange(n), post)), shape=(n, n)) @ t.matrix
    # Stationary law of the pre-decision chain: π (step − I) = 0, Σ π = 1.
    system = (step.T - sparse.identity(n)).tolil()
    system[0, :] = np.ones(n)
    rhs = np.zeros(n)
    rhs[0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", MatrixRankWarning)
        try:
            pi = spsolve(system.tocsc(), rhs)
        except MatrixRankWarning as error:
            raise InvalidParameterError("policy_value: the policy is not unichain") from error
    if not np.all(np.isfinite(pi)) or pi.min() < -1e-9:
        raise InvalidParameterError("policy_value: the policy is not unichain")
    live = float(pi @ t.live_answer_rate[post])
    abandons = float(pi @ t.abandon_rate[post])
    return (float(pi @ t.busy_agents[post]) / chain.cell.agents,
            abandons / live if live > 0 else 0.0)


@dataclass(frozen=True)
class LagrangianBound:
    """Bounds on g(λ) = max over policies of the long-run average of
    busy/agents − λ·(abandon rate − limit · live answer rate), from relative value
    iteration. For λ ≥ 0, every policy within the limit scores at most g(λ) ≤ ``upper``
    (its penalty term is ≤ 0), so ``upper`` bounds the constrained optimum whether or not
    the iteration has converged; min over λ of g(λ) equals it (Lagrangian duality for
    constrained MDPs, Altman 1999, Theorem 12.7)."""

    multiplier: float
    lower: float
    upper: float
    iterations: int
    seconds: float
    empty_gap: float = 0.0
    """h(empty) − min h of relative values h with Th − h ≤ ``upper``, in busy-share seconds:
    what a finite day started empty can gain over ``upper`` × its length (``day_bound``)."""


class _Decisions:
    """The best post-decision value of every state, max over its actions of ``after``,
    without listing the (state, action) pairs: the launch targets per launch count, and
    hang-ups of the last ring phase as a running maximum down that phase's count (one
    layer of states per count), so a chain of millions of states needs a few arrays of
    its length, not one per action."""

    def __init__(self, chain: BoundChain) -> None:
        cell = chain.cell
        n = len(chain)
        # Launch targets with "not allowed" pointing at an extra entry that holds −inf, so
        # each launch count costs one gather and one maximum, with no masks.
        self.launches = []
        for k in range(1, cell.max_launch + 1):
            target = chain.launch_targets(k)
            target[target < 0] = n
            self.launches.append(target)
        self.extended = np.empty(n + 1)
        self.extended[n] = -np.inf
        self.gathered = np.empty(n)
        self.may_cancel = bool(cell.may_cancel)
        self.with_launch = bool(getattr(cell, "hang_up_with_launch", False))
        if self.may_cancel:
            self.down = chain.launch_targets(-1)
            order = np.argsort(chain.last_ringing, kind="stable")
            edges = np.searchsorted(chain.last_ringing[order],
                                    np.arange(cell.max_ringing + 2))
            self.layers = [order[edges[n]:edges[n + 1]] for n in range(1, cell.max_ringing + 1)]
            self.cancellable = np.flatnonzero(self.down >= 0)

    def _down_max(self, values: np.ndarray) -> np.ndarray:
        """max over m ≥ 0 of values(s − m calls of the last ring phase), for every s."""
        out = values.copy()
        for layer in self.layers:
            if len(layer):
                out[layer] = np.maximum(out[layer], out[self.down[layer]])
        return out

    def best(self, after: np.ndarray) -> np.ndarray:
        n = len(after)
        self.extended[:n] = after
        launch = after.copy()
        for target in self.launches:
            np.take(self.extended, target, out=self.gathered)
            np.maximum(launch, self.gathered, out=launch)
        if not self.may_cancel:
            return launch
        if self.with_launch:
            return self._down_max(launch)
        cancelled = self._down_max(after)
        there = self.cancellable
        launch[there] = np.maximum(launch[there], cancelled[self.down[there]])
        return launch


@functools.lru_cache(maxsize=1)
def _chain_and_decisions(cell) -> tuple[BoundChain, _Decisions]:
    """The last cell's chain, kept for the next multiplier (building a chain of a million
    states takes longer than a few value iterations)."""
    chain = BoundChain(cell)
    return chain, _Decisions(chain)


def lagrangian_bound(cell: BoundCell, multiplier: float, *, tolerance: float = 2e-5,
                     max_iterations: int = 200_000,
                     start: np.ndarray | None = None) -> tuple[LagrangianBound, np.ndarray]:
    """Relative value iteration on the uniformised chain for one multiplier λ ≥ 0, with
    MacQueen's bounds min(Th − h) ≤ g(λ) ≤ max(Th − h) (Puterman 1994, Theorem 8.5.5),
    stopped when they are within ``tolerance``. Returns the bounds and the relative values
    (pass them as ``start`` for a neighbouring λ). Scales to chains the LP cannot hold."""
    if multiplier < 0:
        raise InvalidParameterError(f"lagrangian_bound: multiplier {multiplier} < 0")
    started = time.perf_counter()
    chain, decisions = _chain_and_decisions(cell)
    t = chain.transitions
    reward = (t.busy_agents / cell.agents - multiplier
              * (t.abandon_rate - cell.abandon_limit * t.live_answer_rate)) / t.rate
    h = np.zeros(len(chain)) if start is None else start.copy()
    matrix = t.matrix
    lower, upper = -np.inf, np.inf
    iterations = 0
    empty = 0  # the empty state's code is 0, the smallest
    gap = 0.0
    while iterations < max_iterations:
        iterations += 1
        best = decisions.best(reward + matrix @ h)
        step = best - h
        lower, upper = float(step.min()) * t.rate, float(step.max()) * t.rate
        gap = float(h[empty] - h.min())
        h = best - best[0]
        if upper - lower < tolerance:
            break
    return (LagrangianBound(multiplier, lower, upper, iterations,
                            time.perf_counter() - started, gap), h)


def lagrangian_minimum(cell: BoundCell, *, high: float = 80.0, evaluations: int = 14,
                       tolerance: float = 2e-5) -> LagrangianBound:
    """The least upper bound over λ in [0, ``high``]: golden-section search on g(λ), which is
    convex in λ (a maximum of functions affine in λ). Each evaluation's ``upper`` is a valid
    bound, so the least one found is returned even if the search stops early."""
    ratio = (5 ** 0.5 - 1) / 2
    left, right = 0.0, high
    h: np.ndarray | None = None
    seen: list[LagrangianBound] = []

    def g(multiplier: float) -> float:
        nonlocal h
        found, h = lagrangian_bound(cell, multiplier, tolerance=tolerance, start=h)
        seen.append(found)
        return found.upper

    x1, x2 = right - ratio * (right - left), left + ratio * (right - left)
    g1, g2 = g(x1), g(x2)
    for _ in range(max(0, evaluations - 2)):
        if g1 <= g2:
            right, x2, g2 = x2, x1, g1
            x1 = right - ratio * (right - left)
            g1 = g(x1)
        else:
            left, x1, g1 = x1, x2, g2
            x2 = left + ratio * (right - left)
            g2 = g(x2)
    best = min(seen, key=lambda b: b.upper)
    return LagrangianBound(best.multiplier, best.lower, best.upper,
                           sum(b.iterations for b in seen), sum(b.seconds for b in seen),
                           best.empty_gap)


def day_bound(cell: BoundCell, found: LagrangianBound, shift_seconds: float) -> float:
    """A bound on the expected busy share of one shift of ``shift_seconds`` that starts
    empty (a cold start) and keeps its day's abandons ≤ the limit × its live answers.

    Why it holds: with relative values h such that Th − h ≤ g (per uniformised epoch), the
    best expected total of the Lagrangian reward over n epochs from s is at most
    n·g + h(s) − min h (induction on n; Puterman 1994, §8.5), for every policy, including
    ones that know the time of day. Over the shift the reward is busy seconds ÷ agents −
    λ·(abandons − limit · live answers); the day's own limit gives E[abandons in the shift]
    ≤ limit · (E[live answers in the shift] + E[live answers after it]), and after the
    shift at most ``max_ringing`` calls ring, each live with probability ``live_share``.
    So E[busy share] ≤ g + (h(empty) − min h + λ·limit·live_share·max_ringing) ÷ shift."""
    allowance = found.multiplier * cell.abandon_limit * cell.live_share * cell.max_ringing
    return found.upper + (found.empty_gap + allowance) / shift_seconds
