"""pacing_models.bound_age: the age-aware ring law answers as often as the suite's law, hangs up
only old calls, never lowers the optimum by offering hang-ups, and with one phase and
hang-ups at the threshold is a one-phase ``BoundCell``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.linalg import spsolve

from pacing_models.bound import _program, lagrangian_bound, solve
from pacing_models.bound_age import AgeCell, HangUp, suite_age_cell
from pacing_models.bound_chain import BoundCell, BoundChain
from pacing_models.errors import InvalidParameterError


def _cell(**given) -> AgeCell:
    laws = {"agents": 1, "live": 0.3, "age_phases": 2, "hang_up": HangUp.NEVER,
            "handle_mean": 60.0, "handle_phases": 1, "wait_mean": 1.5, "max_ringing": 4,
            "max_waiting": 1, "max_launch": 3}
    return AgeCell(**{**laws, **given})


def _answered_by_the_chain(cell: AgeCell) -> float:
    """Probability that one call launched with the agent free ends as a live answer, from
    the chain's own transition matrix (absorption in 'agent busy' versus 'empty')."""
    chain = BoundChain(dataclasses.replace(cell, agents=1, max_ringing=1, max_waiting=0))
    matrix = chain.transitions.matrix.tocsr()
    ringing = np.flatnonzero((chain.busy == 0) & (chain.ringing == 1))
    busy = chain.busy >= 1
    inner = matrix[ringing][:, ringing]
    into_busy = np.asarray(matrix[ringing][:, np.flatnonzero(busy)].sum(axis=1)).ravel()
    absorbed = spsolve((sparse.identity(len(ringing)) - inner).tocsc(), into_busy)
    first = chain.launch_targets(1)[0]
    return float(absorbed[np.searchsorted(ringing, first)])


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.sampled_from(list(HangUp)), st.floats(0.02, 1.0))
def test_a_call_answers_with_the_suites_probability(phases, hang_up, live) -> None:
    # Conservation: however many age phases, a call answers with the suite's probability
    # G(timeout) = live × F(25 s) if let ring, G(15 s) if hung up at the threshold.
    cell = _cell(age_phases=phases, hang_up=hang_up, live=live)
    expected = cell.answered_by(cell.threshold if hang_up is HangUp.AT_THRESHOLD
                                else cell.timeout)
    assert cell.answer_probability() == pytest.approx(expected, rel=1e-12)
    assert _answered_by_the_chain(cell) == pytest.approx(expected, rel=1e-9)


def test_old_calls_answer_less_often_than_new_ones() -> None:
    # The information the age carries: a call still ringing at the threshold answers with a
    # far smaller chance than a new one (live 0.3: 0.3 new, about 0.03 past 15 s).
    _, share = _cell(age_phases=3).ring_law()
    assert share[-1] < 0.15 * 0.3
    assert _cell().live_share == pytest.approx(_cell().answered_by(25.0))


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2), st.integers(1, 2), st.floats(0.1, 0.6), st.floats(0.0, 0.1))
def test_hanging_up_old_calls_never_lowers_the_optimum(agents, phases, live, limit) -> None:
    cells = {h: _cell(agents=agents, age_phases=phases, live=live, abandon_limit=limit,
                      hang_up=h) for h in HangUp}
    best = {h: solve(c).busy_share for h, c in cells.items()}
    assert best[HangUp.CHOICE] >= max(best[HangUp.NEVER], best[HangUp.AT_THRESHOLD]) - 1e-7


def test_only_calls_past_the_threshold_can_be_hung_up() -> None:
    # Every action keeps every young call: the young phases after the decision hold what
    # they held before, plus the launches in the first phase.
    cell = _cell(agents=2, age_phases=3, hang_up=HangUp.CHOICE, max_ringing=5)
    chain = BoundChain(cell)
    prog = _program(chain)
    young = slice(cell.handle_phases, cell.handle_phases + cell.age_phases)
    before, after = chain.counts[prog.pre, young], chain.counts[prog.post, young]
    assert np.array_equal(after[:, 0] - before[:, 0], prog.launches)
    assert np.array_equal(after[:, 1:], before[:, 1:])
    old = cell.handle_phases + cell.age_phases
    hung = chain.counts[prog.pre, old] - chain.counts[prog.post, old]
    assert np.array_equal(hung, prog.hang_ups) and hung.max() > 0


def test_one_phase_hung_up_at_the_threshold_is_a_one_phase_bound_cell() -> None:
    cell = _cell(agents=2, age_phases=1, hang_up=HangUp.AT_THRESHOLD, max_ringing=6)
    (leave,), (share,) = cell.ring_law()
    known = BoundCell(agents=2, live_share=share, answer_mean=1.0 / leave, ring_phases=1,
                      handle_mean=60.0, handle_phases=1, wait_mean=1.5, max_ringing=6,
                      max_waiting=1, max_launch=3)
    assert share == pytest.approx(cell.answered_by(15.0), rel=1e-12)
    assert 1.0 / leave == pytest.approx(15.0 * (1.0 - share), rel=1e-12)
    mine, theirs = BoundChain(cell).transitions, BoundChain(known).transitions
    assert abs(mine.matrix - theirs.matrix).max() <= 1e-15
    assert solve(cell).busy_share == pytest.approx(solve(known).busy_share, abs=1e-9)


def test_the_value_iteration_bounds_the_age_program_with_hang_ups() -> None:
    cell = _cell(agents=2, age_phases=2, hang_up=HangUp.CHOICE, max_ringing=5)
    found, _ = lagrangian_bound(cell, 10.0, tolerance=1e-9)
    assert found.upper >= solve(cell).busy_share - 1e-9


def test_suite_age_cell_translates_the_suite_laws() -> None:
    cell = suite_age_cell(10, 0.10, 90.0, age_phases=4, hang_up=HangUp.AT_THRESHOLD)
    assert cell.live == pytest.approx(0.10 / 0.95)
    assert cell.handle_mean == 105.0
    assert cell.ring_phases == 4
    # lognormal 9 ± 4 s: about 7.8 % of answers come after 15 s, 0.5 % after 25 s.
    assert 1 - cell.answered_by(15.0) / cell.live == pytest.approx(0.078, abs=0.005)
    assert cell.answered_by(25.0) / cell.live == pytest.approx(0.995, abs=0.004)


@pytest.mark.parametrize("field, value", [("age_phases", 0), ("live", 0.0),
                                          ("timeout", 10.0), ("hang_up", "always")])
def test_out_of_range_age_cells_are_refused(field, value) -> None:
    with pytest.raises(InvalidParameterError, match=field):
        _cell(**{field: value})


def _benchmark():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pacing_bound.py"
    spec = importlib.util.spec_from_file_location("pacing_bound_age_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reads_age_models() -> None:
    import argparse

    models = _benchmark()._models(argparse.ArgumentParser(), "1x2,age3,2xage4")
    assert models == [(1, 2, False), (1, 3, True), (2, 4, True)]


@pytest.mark.parametrize("argv", [["--models", "age0"], ["--models", "agex2"],
                                  ["--models", "xage2"], ["--models", "age2x1"],
                                  ["--hang-up", "sometimes"], ["--hang-up-after", "30"]])
def test_the_benchmark_refuses_a_malformed_age_option(argv) -> None:
    with pytest.raises(SystemExit):
        _benchmark().main([*argv, "--no-simulate"])
