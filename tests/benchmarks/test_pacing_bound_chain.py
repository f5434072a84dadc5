"""pacing_models.bound_chain's numpy enumeration against the pure-Python one it replaced:
the same states in the same order, the same transition rates to the last bit, and the same
neighbours, on small cells of every shape (handle phases, ring phases, hang-ups)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.bound import _Decisions, _program, lagrangian_bound
from pacing_models.bound_chain import BoundCell, BoundChain


def _reference_states(cell: BoundCell) -> list[tuple]:
    """The enumeration as it was written before numpy: agents, then rings, then waiting."""
    def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
        return [c for c in itertools.product(range(total + 1), repeat=parts)
                if sum(c) <= total]

    states = []
    for a in compositions(cell.agents, cell.handle_phases):
        waits = range(cell.max_waiting + 1) if sum(a) == cell.agents else range(1)
        states.extend((a, c, q) for c in compositions(cell.max_ringing, cell.ring_phases)
                      for q in waits)
    return states


def _reference_events(cell: BoundCell, state: tuple) -> list[tuple[float, tuple, float]]:
    """(rate, next state, abandons) of each event, as the pure-Python chain listed them."""
    a, c, q = state
    out = []
    handle_rate = cell.handle_phases / cell.handle_mean
    for i, n in enumerate(a):
        if n == 0:
            continue
        nxt = list(a)
        nxt[i] -= 1
        if i + 1 < len(a):
            nxt[i + 1] += 1
            out.append((n * handle_rate, (tuple(nxt), c, q), 0.0))
        elif q > 0:
            nxt[0] += 1
            out.append((n * handle_rate, (tuple(nxt), c, q - 1), 0.0))
        else:
            out.append((n * handle_rate, (tuple(nxt), c, q), 0.0))
    ring_rate = cell.ring_phases / cell.answer_mean
    for j, n in enumerate(c):
        if n == 0:
            continue
        rest = list(c)
        rest[j] -= 1
        if j + 1 < len(c):
            rest[j + 1] += 1
            out.append((n * ring_rate, (a, tuple(rest), q), 0.0))
            continue
        out.append((n * ring_rate * (1.0 - cell.live_share), (a, tuple(rest), q), 0.0))
        live = n * ring_rate * cell.live_share
        if sum(a) < cell.agents:
            out.append((live, ((a[0] + 1, *a[1:]), tuple(rest), q), 0.0))
        elif q < cell.max_waiting:
            out.append((live, (a, tuple(rest), q + 1), 0.0))
        else:
            out.append((live, (a, tuple(rest), q), 1.0))
    if q > 0:
        out.append((q / cell.wait_mean, (a, c, q - 1), 1.0))
    return out


_shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                    st.integers(1, 6), st.integers(0, 3), st.booleans())


@settings(max_examples=25, deadline=None)
@given(_shapes)
def test_the_numpy_chain_is_the_pure_python_chain(shape) -> None:
    agents, handle_phases, ring_phases, max_ringing, max_waiting, may_cancel = shape
    cell = BoundCell(agents=agents, live_share=0.3, answer_mean=9.0, ring_phases=ring_phases,
                     handle_mean=60.0, handle_phases=handle_phases, wait_mean=1.5,
                     max_ringing=max_ringing, max_waiting=max_waiting, max_launch=3,
                     may_cancel=may_cancel)
    chain = BoundChain(cell)
    states = _reference_states(cell)
    assert chain.states == states
    assert np.all(np.diff(chain.codes) > 0)
    index = {s: i for i, s in enumerate(states)}
    n = len(states)
    dense = np.zeros((n, n))
    abandon, totals = np.zeros(n), np.zeros(n)
    t = chain.transitions
    for y, state in enumerate(states):
        events = _reference_events(cell, state)
        totals[y] = sum(r for r, _, _ in events)
        for r, z, abandons in events:
            dense[y, index[z]] += r / t.rate
            abandon[y] += r * abandons
    assert t.rate == float(totals.max()) * 1.0001 + 1e-12
    dense[np.arange(n), np.arange(n)] += 1.0 - totals / t.rate
    assert np.abs(t.matrix.toarray() - dense).max() <= 1e-15
    assert np.array_equal(t.abandon_rate, abandon)
    for k in range(-max_ringing, 4):
        targets = chain.launch_targets(k)
        expected = [chain.launched(s, k) for s in range(n)]
        assert targets.tolist() == [-1 if e is None else e for e in expected]


@pytest.mark.parametrize("may_cancel", [False, True])
def test_the_value_iteration_maximises_over_the_programs_actions(may_cancel) -> None:
    # The value iteration no longer lists (state, action) pairs; its maximum must still be
    # the maximum over the LP's pairs of the post-decision values.
    cell = BoundCell(agents=2, live_share=0.3, answer_mean=9.0, ring_phases=2,
                     handle_mean=60.0, handle_phases=1, wait_mean=1.5, max_ringing=5,
                     max_waiting=1, max_launch=3, may_cancel=may_cancel)
    chain = BoundChain(cell)
    prog = _program(chain)
    _, h = lagrangian_bound(cell, 7.0, max_iterations=40)
    t = chain.transitions
    reward = (t.busy_agents / cell.agents - 7.0
              * (t.abandon_rate - cell.abandon_limit * t.live_answer_rate)) / t.rate
    after = reward + t.matrix @ h
    starts = np.flatnonzero(np.r_[True, prog.pre[1:] != prog.pre[:-1]])
    expected = np.maximum.reduceat(after[prog.post], starts)
    assert np.array_equal(_Decisions(chain).best(after), expected)
