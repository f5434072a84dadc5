"""The predictive policy decides the same from either form of the calls and agents in
progress (the four elapsed-time tuples, or the engine's packed start instants), and a
deferred explanation is the one fixed at the decision, whenever it is read."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.interface import PacingDecision, PacingState
from tests.pacing_models.test_pacing_policies import trained_predictive

NOW = 36_000.0
starts = st.lists(st.floats(NOW - 900.0, NOW, allow_nan=False), max_size=40)


def _both_forms(ringing: list[float], verdict: list[float], busy: list[float],
                wrap: list[float], free: int, live: int, abandons: int,
                at: float) -> tuple[PacingState, PacingState]:
    common = dict(now=at, agents_free=free, live_answers_in_window=live,
                  abandons_in_window=abandons, agents_logged_in=free + len(busy) + len(wrap),
                  ringing_lines=len(ringing) + len(verdict))
    tuples = PacingState(
        **common, ringing_elapsed=tuple(at - t for t in ringing),
        verdict_elapsed=tuple(at - t for t in verdict),
        busy_elapsed=tuple(at - t for t in busy), wrap_elapsed=tuple(at - t for t in wrap))
    everything = ringing + verdict + busy + wrap
    packed = PacingState(
        **common, in_progress_started=struct.pack(f"{len(everything)}d", *everything),
        in_progress_counts=(len(ringing), len(verdict), len(busy), len(wrap)))
    return tuples, packed


@given(starts, starts.map(lambda s: s[:5]), starts, starts.map(lambda s: s[:8]),
       st.integers(0, 30), st.integers(0, 3000), st.integers(0, 90), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_packed_start_instants_decide_as_the_elapsed_tuples(
        ringing: list[float], verdict: list[float], busy: list[float], wrap: list[float],
        free: int, live: int, abandons: int, young: int) -> None:
    # ``young`` picks a policy whose handle fit is not yet trusted: the free agents'
    # look-ahead, which reads the ringing and verdict groups only.
    params = {"ramp_handles": 300} if young == 0 else {}
    one, other = trained_predictive(**params), trained_predictive(**params)
    for step in range(3):  # a few decisions: the loops move alike in both
        tuples, packed = _both_forms(ringing, verdict, busy, wrap, free, live, abandons,
                                     NOW + step)
        by_tuples, by_packed = one.decide(tuples), other.decide(packed)
        assert by_packed == by_tuples
        assert (by_packed.calls_to_launch, by_packed.explanation,
                by_packed.expected_abandons) == (by_tuples.calls_to_launch,
                                                 by_tuples.explanation,
                                                 by_tuples.expected_abandons)


def _busy_state(at: float, free: int = 3) -> PacingState:
    return PacingState(now=at, agents_free=free, busy_elapsed=(30.0, 200.0, 95.0),
                       ringing_elapsed=(1.0, 4.0, 9.5), live_answers_in_window=2000,
                       abandons_in_window=12, agents_logged_in=free + 3)


def test_a_deferred_explanation_is_the_one_fixed_at_the_decision() -> None:
    policy, twin = trained_predictive(), trained_predictive()
    first = policy.decide(_busy_state(50_000.0))
    read_at_once = twin.decide(_busy_state(50_000.0)).explanation
    assert "call(s)" in read_at_once  # a model decision, whose text is deferred
    for step in range(1, 40):  # the policy's loops and window move on meanwhile
        policy.decide(_busy_state(50_000.0 + step, free=step % 5))
    assert first.explanation == read_at_once
    assert first.explanation is first.explanation  # formatted once, then kept


def test_a_deferred_decision_is_an_ordinary_decision_to_every_reader() -> None:
    deferred = trained_predictive().decide(_busy_state(50_000.0))
    eager = PacingDecision(deferred.calls_to_launch,
                           trained_predictive().decide(_busy_state(50_000.0)).explanation,
                           deferred.expected_abandons)
    fresh = trained_predictive().decide(_busy_state(50_000.0))
    assert repr(fresh) == repr(eager)  # repr reads it first
    assert fresh == eager and hash(trained_predictive().decide(_busy_state(50_000.0))) == \
        hash(eager)
    assert pickle.loads(pickle.dumps(trained_predictive().decide(_busy_state(50_000.0)))) \
        == eager
    assert copy.deepcopy(trained_predictive().decide(_busy_state(50_000.0))) == eager
    assert dataclasses.replace(trained_predictive().decide(_busy_state(50_000.0))) == eager
    assert dataclasses.asdict(trained_predictive().decide(_busy_state(50_000.0))) == \
        dataclasses.asdict(eager)
