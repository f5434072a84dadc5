"""pacing_models.bound: the constrained-MDP optimum of a Markov pacing cell, checked against
a closed form (no abandonment allowed: progressive), brute force over every deterministic
policy of a tiny cell, Lagrangian duality, and monotonicity in the abandonment allowance."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.bound import (
    day_bound,
    lagrangian_bound,
    lagrangian_minimum,
    policy_value,
    solve,
)
from pacing_models.bound_chain import BoundCell, BoundChain, suite_cell
from pacing_models.errors import InvalidParameterError


def _cell(**given: float) -> BoundCell:
    laws = {"agents": 1, "live_share": 0.3, "answer_mean": 9.0, "ring_phases": 1,
            "handle_mean": 60.0, "handle_phases": 1, "wait_mean": 1.5, "abandon_limit": 0.03,
            "max_ringing": 6, "max_waiting": 2, "max_launch": 4}
    return BoundCell(**{**laws, **given})


@pytest.mark.parametrize("agents, ring_phases, handle_phases",
                         [(1, 1, 1), (2, 1, 1), (1, 2, 1), (1, 1, 2), (2, 2, 2)])
def test_no_abandonment_allowed_is_progressive(agents, ring_phases, handle_phases) -> None:
    # With a limit of 0 no state may risk a caller waiting, so calls ringing never exceed
    # free agents, and each agent cycles alone: ring (mean A) then, with probability p,
    # handle (mean h). Renewal reward: busy share p·h ÷ (A + p·h), whatever the phases.
    cell = _cell(agents=agents, ring_phases=ring_phases, handle_phases=handle_phases,
                 abandon_limit=0.0)
    p, a, h = cell.live_share, cell.answer_mean, cell.handle_mean
    assert solve(cell).busy_share == pytest.approx(p * h / (a + p * h), abs=1e-6)


def _deterministic_policies(chain: BoundChain):
    choices = [[k for k in range(chain.cell.max_launch + 1) if chain.launched(s, k) is not None]
               for s in range(len(chain))]
    for launches in itertools.product(*choices):
        yield np.array(launches)


def test_the_program_is_the_best_deterministic_policy_by_brute_force() -> None:
    # A tiny cell (9 states, 216 deterministic policies). Without a binding limit the
    # average-reward optimum is attained by a deterministic stationary policy; with the
    # 3 % limit the program may randomise, so it lies between the best deterministic
    # policy within the limit and the unconstrained optimum.
    loose = _cell(max_ringing=2, max_waiting=1, max_launch=2, abandon_limit=1.0)
    chain = BoundChain(loose)
    values = []
    for launches in _deterministic_policies(chain):
        try:
            values.append(policy_value(chain, launches))
        except (InvalidParameterError, RuntimeError, ValueError):
            continue
    values = [v for v in values if np.isfinite(v[0])]
    assert len(values) > 100
    unconstrained = max(busy for busy, _ in values)
    assert solve(loose).busy_share == pytest.approx(unconstrained, abs=1e-7)
    tight = solve(_cell(max_ringing=2, max_waiting=1, max_launch=2))
    feasible = max(busy for busy, rate in values if rate <= 0.03 + 1e-12)
    assert feasible - 1e-7 <= tight.busy_share <= unconstrained + 1e-7
    assert tight.abandon_rate <= 0.03 + 1e-6
    assert feasible < unconstrained  # the limit binds in this cell


def test_policy_value_of_progressive_matches_its_renewal_formula() -> None:
    cell = _cell(agents=1, max_ringing=3)
    chain = BoundChain(cell)
    launches = np.array([1 if sum(a) == 0 and sum(c) == 0 else 0
                         for a, c, _ in chain.states])
    busy, rate = policy_value(chain, launches)
    p, a, h = cell.live_share, cell.answer_mean, cell.handle_mean
    assert busy == pytest.approx(p * h / (a + p * h), rel=1e-9)
    assert rate == 0.0


@settings(max_examples=12, deadline=None)
@given(st.floats(0.0, 0.2), st.floats(0.0, 0.2))
def test_more_abandonment_allowed_never_lowers_the_optimum(first: float, second: float) -> None:
    low, high = sorted((first, second))
    base = {"agents": 2, "max_ringing": 5, "max_waiting": 1, "max_launch": 3}
    assert (solve(_cell(**base, abandon_limit=low)).busy_share
            <= solve(_cell(**base, abandon_limit=high)).busy_share + 1e-7)


@settings(max_examples=8, deadline=None)
@given(st.floats(0.0, 60.0))
def test_every_multiplier_bounds_the_constrained_optimum_from_above(multiplier: float) -> None:
    cell = _cell(agents=2, max_ringing=6)
    found, _ = lagrangian_bound(cell, multiplier)
    assert found.upper >= solve(cell).busy_share - 1e-9
    assert found.lower <= found.upper


def test_the_least_lagrangian_bound_is_the_program_optimum() -> None:
    # Strong duality for constrained MDPs: min over λ of g(λ) is the LP's optimum.
    cell = _cell(agents=2, max_ringing=6)
    best = lagrangian_minimum(cell, evaluations=24, tolerance=1e-8)
    assert best.upper == pytest.approx(solve(cell).busy_share, abs=2e-4)


def test_a_finite_day_from_empty_stays_under_the_day_bound() -> None:
    # Finite-horizon value iteration of the Lagrangian reward from empty (every policy,
    # time-dependent ones included) never beats n·g + h(empty) − min h: day_bound's claim.
    from pacing_models.bound import _program

    cell = _cell(agents=2, max_ringing=6)
    found = lagrangian_minimum(cell)
    chain = BoundChain(cell)
    t = chain.transitions
    prog = _program(chain)
    starts = np.flatnonzero(np.r_[True, prog.pre[1:] != prog.pre[:-1]])
    reward = (t.busy_agents / cell.agents - found.multiplier
              * (t.abandon_rate - cell.abandon_limit * t.live_answer_rate)) / t.rate
    empty = chain.index[((0,), (0,), 0)]
    value = np.zeros(len(chain))
    for n in range(1, 3001):
        value = np.maximum.reduceat((reward + t.matrix @ value)[prog.post], starts)
        if n % 500 == 0:
            assert value[empty] <= n * found.upper / t.rate + found.empty_gap + 1e-9
    assert day_bound(cell, found, 100.0) >= found.upper


def test_hanging_up_ringing_calls_never_lowers_the_optimum_and_can_raise_it() -> None:
    # Hang-ups of the last ring phase are an extra action: the optimum cannot fall. With one
    # ring phase every call may be hung up at any age, so the policy can keep many calls
    # ringing while agents are free and drop them when none is: the optimum rises a lot
    # (why the docs' table leaves shedding out of the chain).
    cell = _cell(agents=2, max_ringing=8)
    plain, hang_ups = solve(cell), solve(dataclasses.replace(cell, may_cancel=True))
    assert hang_ups.busy_share > plain.busy_share + 0.01
    assert hang_ups.abandon_rate <= 0.03 + 1e-6


def test_suite_cell_translates_the_suite_laws() -> None:
    cell = suite_cell(10, 0.10, 90.0)
    assert cell.handle_mean == 105.0
    assert cell.live_share == pytest.approx(0.10 * (1 - math.exp(-25 / 9)) / 0.95)
    assert cell.wait_mean == pytest.approx(5 * (1 - math.exp(-2 / 5)))


@pytest.mark.parametrize("field, value", [("agents", 0), ("live_share", 1.5),
                                          ("abandon_limit", -0.1), ("ring_phases", 0)])
def test_out_of_range_cells_are_refused(field: str, value: float) -> None:
    with pytest.raises(InvalidParameterError, match=field):
        _cell(**{field: value})


def _benchmark():
    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pacing_bound.py"
    spec = importlib.util.spec_from_file_location("pacing_bound_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text", ["1x", "0x1", "ax2", "1x1x1"])
def test_the_benchmark_refuses_a_malformed_model(text: str) -> None:
    with pytest.raises(SystemExit):
        _benchmark().main(["--models", text, "--no-simulate"])
