"""pacing_models.chain_policy: the constrained MDP's decision rule as a pacing policy.

Its tables are the Lagrangian optimum of the chain (brute force over every deterministic
policy of a tiny cell, and the linear program's own actions), the engine's snapshot maps
onto the chain's state as documented, and the rails hold: progressive when the budget is
spent, never below progressive, the batch guard's room, and no simulated window past 3 %.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.linalg import spsolve

from pacing_models.bound import _program, solve
from pacing_models.bound_chain import BoundCell
from pacing_models.budget import batch_room
from pacing_models.chain_policy import (
    LAMBDA_GRID,
    AnswerByAge,
    ChainPolicy,
    ChainRates,
    ChainTables,
    chain_state,
    lagrangian_table,
)
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import AttemptResult, PacingState
from pacing_models.policies import progressive_count


def _tiny(**given: float) -> BoundCell:
    laws = {"agents": 1, "live_share": 0.3, "answer_mean": 9.0, "ring_phases": 1,
            "handle_mean": 60.0, "handle_phases": 1, "wait_mean": 1.5, "abandon_limit": 0.03,
            "max_ringing": 2, "max_waiting": 1, "max_launch": 2}
    return BoundCell(**{**laws, **given})


def _lagrangian_score(tables: ChainTables, launches: np.ndarray, multiplier: float) -> float:
    """Long-run average of busy/agents − λ·(abandons − limit·live answers) per second of the
    deterministic policy ``launches``: the stationary law of its pre-decision chain."""
    t, n = tables.t, len(tables.chain)
    post = np.array([tables.chain.launched(s, int(k)) for s, k in enumerate(launches)])
    step = sparse.csr_matrix((np.ones(n), (np.arange(n), post)), shape=(n, n)) @ t.matrix
    system = (step.T - sparse.identity(n)).tolil()
    system[0, :] = np.ones(n)
    rhs = np.zeros(n)
    rhs[0] = 1.0
    pi = spsolve(system.tocsc(), rhs)
    reward = (t.busy_agents / tables.cell.agents - multiplier
              * (t.abandon_rate - tables.cell.abandon_limit * t.live_answer_rate))
    return float(pi @ reward[post])


@pytest.mark.parametrize("multiplier", [0.0, 2.0, 20.0, 200.0])
def test_the_table_is_the_best_deterministic_policy_for_its_multiplier(multiplier) -> None:
    # 9 states, 216 deterministic policies: none has a higher long-run Lagrangian reward
    # than the table's (policies that are not unichain are skipped).
    tables = ChainTables(_tiny())
    chain = tables.chain
    table, _ = lagrangian_table(tables, multiplier)
    choices = [[k for k in range(chain.cell.max_launch + 1) if chain.launched(s, k) is not None]
               for s in range(len(chain))]
    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for launches in itertools.product(*choices):
            try:
                scores.append(_lagrangian_score(tables, np.array(launches), multiplier))
            except (RuntimeError, ValueError, Warning):
                continue
    assert len(scores) > 100
    assert _lagrangian_score(tables, table, multiplier) >= max(scores) - 1e-9


def test_the_tables_actions_are_the_linear_programs_at_its_multiplier() -> None:
    # The LP over occupation measures (bound.solve's program) with the 3 % limit binding;
    # its dual price of the limit is the multiplier λ*. In every state the LP visits, the
    # table at λ* launches what the LP launches, or a count of the same Lagrangian value
    # (a tie: the state where the LP randomises between two counts).
    cell = _tiny(agents=2, max_ringing=4, max_launch=3)
    tables = ChainTables(cell)
    chain, t = tables.chain, tables.t
    program = _program(chain)
    n, v = len(chain), len(program.pre)
    cols = np.arange(v)
    into = sparse.csr_matrix((np.ones(v), (program.pre, cols)), shape=(n, v))
    after = sparse.csr_matrix((np.ones(v), (program.post, cols)), shape=(n, v))
    a_eq = sparse.vstack([(into - t.matrix.T.tocsr() @ after).tocsr(),
                          sparse.csr_matrix(np.ones((1, v)))]).tocsr()
    b_eq = np.zeros(n + 1)
    b_eq[-1] = 1.0
    busy = t.busy_agents[program.post] / cell.agents
    excess = t.abandon_rate[program.post] - cell.abandon_limit * t.live_answer_rate[program.post]
    found = linprog(-busy, A_ub=excess.reshape(1, -1), b_ub=[0.0], A_eq=a_eq, b_eq=b_eq,
                    bounds=(0, None), method="highs")
    assert found.status == 0
    assert found.fun == pytest.approx(-solve(cell).busy_share, abs=1e-9)
    multiplier = -float(found.ineqlin.marginals[0])
    assert multiplier > 0  # the limit binds
    table, h = lagrangian_table(tables, multiplier)
    reward = (t.busy_agents / cell.agents - multiplier
              * (t.abandon_rate - cell.abandon_limit * t.live_answer_rate)) / t.rate
    value = reward + t.matrix @ h
    visited = same = 0
    for s in range(n):
        mass = found.x[program.pre == s]
        if mass.sum() <= 1e-9:
            continue
        visited += 1
        lp_launch = int(program.launches[program.pre == s][int(np.argmax(mass))])
        if lp_launch == table[s]:
            same += 1
            continue
        tie = value[chain.launched(s, lp_launch)] - value[chain.launched(s, int(table[s]))]
        assert abs(tie) < 1e-7, (s, lp_launch, table[s])
    assert visited >= 5
    assert same >= visited - 1  # at most one randomised state (one constraint)


def test_state_mapping_counts_busy_agents_effective_calls_and_waiting() -> None:
    by_age = AnswerByAge(prior=0.2, refresh=1)
    # Calls end as live answers at 8 s, others at 25 s: a call still ringing at 10 s
    # can no longer answer (q = 0), a fresh one has q(0) = p = 0.5.
    for _ in range(10):
        by_age.observe(AttemptResult.LIVE, 8.0)
        by_age.observe(AttemptResult.NO_ANSWER, 25.0)
    by_age.observe(AttemptResult.BUSY, 4.0)  # busy lines are not tracked
    assert by_age.p == pytest.approx(0.5)
    state = PacingState(now=100.0, agents_free=3, ringing_elapsed=(1.0, 2.0, 12.0, 20.0),
                        answered_waiting=2, agents_logged_in=10)
    busy, ringing, waiting = chain_state(state, 10, by_age)
    assert busy == (7,)
    assert ringing == 2  # the two young calls; the two old ones cannot answer
    assert waiting == 0  # an agent is free: the chain connects at once
    full = PacingState(now=100.0, agents_free=0, ringing_elapsed=(1.0,), answered_waiting=2,
                       agents_logged_in=10)
    assert chain_state(full, 10, by_age) == ((10,), 1, 2)
    assert chain_state(full, 10, None) == ((10,), 1, 2)
    raw = PacingState(now=100.0, agents_free=3, ringing_elapsed=(1.0, 2.0, 12.0, 20.0),
                      agents_logged_in=10)
    assert chain_state(raw, 10, None)[1] == 4  # without ages every call counts once


def test_two_handle_phases_put_late_calls_and_wrap_up_in_the_second() -> None:
    policy = ChainPolicy(ChainRates(0.2, 9.0, 100.0), agents=4, handle_phases=2)
    for talk in (80.0, 85.0, 90.0, 95.0) * 5:  # talk times 80–95 s, wrap-up 10 s
        policy.observe_handle(talk, 10.0, 0.0)
    state = PacingState(now=1.0, agents_free=0, busy_elapsed=(1.0, 70.0),
                        wrap_elapsed=(3.0,), agents_logged_in=4)
    # mean left: 1 s in → ~96 s (phase 1); 70 s in → ~27.5 s < 75 (phase 2); wrap-up →
    # phase 2; the fourth busy agent, reserved for a connecting call, is in phase 1.
    busy, _, _ = chain_state(state, 4, None, 2, policy.residual, 100.0)
    assert busy == (2, 2)


def _state(free: int, ringing: int, live: int, abandons: int, waiting: int = 0,
           agents: int = 10) -> PacingState:
    return PacingState(now=1000.0, agents_free=free, ringing_elapsed=(3.0,) * ringing,
                       ringing_lines=ringing, answered_waiting=waiting,
                       live_answers_in_window=live, abandons_in_window=abandons,
                       agents_logged_in=agents, live_answers_seen=live, abandons_seen=abandons)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10), st.integers(0, 30), st.integers(0, 3000), st.integers(0, 100),
       st.integers(0, 3))
def test_rails_never_below_progressive_and_progressive_once_the_budget_is_spent(
        free, ringing, live, abandons, waiting) -> None:
    policy = ChainPolicy(ChainRates.of_suite_cell(0.2, 90.0), agents=10, by_age=False)
    state = _state(free, ringing, live, abandons, waiting)
    n = policy.decide(state).calls_to_launch
    floor = progressive_count(state)
    assert n >= floor
    if policy.budget.spent(live, abandons, 0.03) or live == 0:
        assert n == floor
    tables = policy._tables
    if n > floor:
        # the batch guard: the calls in flight after the decision carry at most the room
        busy, mapped, wait = chain_state(state, 10, None)
        s = tables.state_index(busy, mapped, wait)
        post = tables.chain.launched(s, n)
        assert post is not None
        assert tables.drain_abandons[post] <= batch_room(0.03 * live - abandons,
                                                         policy.bias, 2.0) + 1e-12


def test_the_loop_picks_the_least_multiplier_within_the_goal() -> None:
    tables = ChainTables.for_rates(10, ChainRates.of_suite_cell(0.2, 90.0))
    index = tables.index_for(0.02)
    assert tables.worth(index)[1] <= 0.02
    assert index == 0 or tables.worth(index - 1)[1] > 0.02
    assert 0 < index < len(LAMBDA_GRID) - 1


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InvalidParameterError):
        ChainPolicy(handle_phases=3)
    with pytest.raises(InvalidParameterError):
        ChainPolicy(aim_cap=1.5)
    with pytest.raises(InvalidParameterError):
        ChainPolicy(fixed_lambda=-1.0)


def test_the_busy_horizon_counts_agents_about_to_free_as_less_busy() -> None:
    # Talk 100 s, wrap-up 10 s, every call alike: with a 20-s horizon an agent 95 s into a
    # call frees within it (F = 1), one 5 s in does not. b = (busy − F) ÷ e^(−τ/h).
    policy = ChainPolicy(ChainRates(0.2, 9.0, 110.0), agents=4, busy_horizon=20.0)
    for _ in range(20):
        policy.observe_handle(100.0, 10.0, 0.0)
    stay = np.exp(-20.0 / 110.0)
    late = PacingState(now=1.0, agents_free=2, busy_elapsed=(95.0, 96.0), agents_logged_in=4)
    assert chain_state(late, 4, None, 1, policy.residual, 110.0)[0] == (0,)
    early = PacingState(now=1.0, agents_free=2, busy_elapsed=(5.0, 6.0), agents_logged_in=4)
    assert chain_state(early, 4, None, 1, policy.residual, 110.0)[0] == (
        min(4, round(2 / stay)),)
    waiting = PacingState(now=1.0, agents_free=0, busy_elapsed=(95.0,) * 4, answered_waiting=1,
                          agents_logged_in=4)
    assert chain_state(waiting, 4, None, 1, policy.residual, 110.0)[0] == (4,)


def test_two_ring_phases_put_calls_due_soon_in_the_second() -> None:
    # Live answers at 8 s (bin 8: due at 8.5 s on average), no answers at 25 s, A = 9 s:
    # a call 1 s old has 7.5 s to go (≥ 3A/4 = 6.75: phase 1), one 3 s old 5.5 s (phase 2),
    # one 12 s old can no longer answer (weight 0).
    by_age = AnswerByAge(prior=0.2, refresh=1)
    for _ in range(10):
        by_age.observe(AttemptResult.LIVE, 8.0)
        by_age.observe(AttemptResult.NO_ANSWER, 25.0)
    assert by_age.effective_phases((1.0, 3.0, 12.0), 9.0) == (1, 1)
    state = PacingState(now=5.0, agents_free=1, ringing_elapsed=(1.0, 3.0, 12.0),
                        agents_logged_in=3)
    assert chain_state(state, 3, by_age, ring_phases=2, answer_mean=9.0) == ((2,), (1, 1), 0)
    tables = ChainTables.for_rates(3, ChainRates(0.3, 9.0, 60.0), ring_phases=2, ring_cap=4)
    # beyond the ring cap the youngest calls are dropped first
    assert tables.chain.states[tables.state_index((3,), (4, 3), 0)][1] == (1, 3)
    with pytest.raises(InvalidParameterError):
        ChainPolicy(ring_phases=2, by_age=False)
