"""SimpleCallees' patience law: exponential by default (every draw as before), Weibull with
the same mean when a shape is given, and a refusal of a shape or mean that is no law."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulations.population import CalleeKind
from simulations.switch.fates import SimpleCallees


def _patience_draws(callees: SimpleCallees, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [f.patience for f in (callees(rng) for _ in range(n))
            if f.kind is CalleeKind.LIVE]


@given(seed=st.integers(0, 2**32 - 1))
def test_the_default_shape_draws_exactly_the_old_exponential_population(seed):
    """Shape 1 is the old law, draw for draw: every test and demo seeded before it keeps its
    callees."""
    callees = SimpleCallees(live_answer=0.6, patience=7.0)
    rng, old = random.Random(seed), random.Random(seed)
    for _ in range(20):
        fate = callees(rng)
        draw = old.random()
        ring = callees.time_to_answer * math.exp(old.gauss(0.0, 0.4))
        if draw < callees.live_answer:
            assert fate.kind is CalleeKind.LIVE and fate.answer_after == ring
            assert fate.talk_time == old.expovariate(1 / callees.talk)
            assert fate.patience == old.expovariate(1 / callees.patience)
        else:
            return  # the other kinds draw nothing more here


@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([1.0, 2.0, 3.0]))
def test_a_shape_changes_patience_only(seed, shape):
    """The kinds, rings and talk of a population do not depend on its patience shape."""
    plain = SimpleCallees(live_answer=0.5, patience=9.0)
    shaped = SimpleCallees(live_answer=0.5, patience=9.0, patience_shape=shape)
    a, b = random.Random(seed), random.Random(seed)
    for _ in range(30):
        x, y = plain(a), shaped(b)
        assert (x.kind, x.answer_after, x.talk_time) == (y.kind, y.answer_after, y.talk_time)


def test_weibull_patience_keeps_its_mean_and_leaves_no_one_gone_at_once():
    exponential = _patience_draws(SimpleCallees(live_answer=1.0, patience=12.0), 40_000, 1)
    weibull = _patience_draws(SimpleCallees(live_answer=1.0, patience=12.0,
                                            patience_shape=3.0), 40_000, 1)
    assert statistics.fmean(weibull) == pytest.approx(12.0, rel=0.02)
    # Within 2 s: 1 − e^(−(2/13.44)³) ≈ 0.33 % against the exponential's 15 %.
    early_w = sum(p < 2.0 for p in weibull) / len(weibull)
    early_e = sum(p < 2.0 for p in exponential) / len(exponential)
    assert early_w < 0.01 and early_e > 0.12
    assert min(weibull) > 0.05


@pytest.mark.parametrize("field,value", [("patience_shape", 0.0), ("patience_shape", -1.0),
                                         ("patience_shape", math.nan),
                                         ("patience_shape", math.inf), ("patience", 0.0),
                                         ("patience", math.inf)])
def test_a_law_that_is_no_law_is_refused(field, value):
    with pytest.raises(ValueError, match=field):
        SimpleCallees(**{field: value})
