"""Online estimators and the lookup tables built from them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pacing_models.estimators import (
    DurationEstimator,
    FittedDuration,
    FixedLaw,
    OutcomeMix,
    RingTimes,
    fit_duration,
    lognormal_from_moments,
)
from pacing_models.interface import AttemptResult
from pacing_models.tables import build_busy_table, build_ring_table, build_wrap_table


def test_outcome_mix_learns_and_follows_drift() -> None:
    mix = OutcomeMix(half_life=600.0)
    rng = np.random.default_rng(1)
    for t in range(3000):
        live = rng.random() < 0.30
        mix.observe(AttemptResult.LIVE if live else AttemptResult.NO_ANSWER, float(t))
    assert mix.live_answer_rate == pytest.approx(0.30, abs=0.04)
    low, high = mix.live_answer_interval()
    assert low < mix.live_answer_rate < high
    for t in range(3000, 6000):  # the list turns bad: 10 % live
        live = rng.random() < 0.10
        mix.observe(AttemptResult.LIVE if live else AttemptResult.NO_ANSWER, float(t))
    assert mix.live_answer_rate == pytest.approx(0.10, abs=0.03)


_RESULTS = (AttemptResult.LIVE, AttemptResult.MACHINE, AttemptResult.NO_ANSWER,
            AttemptResult.BUSY)


@given(st.lists(st.tuples(st.sampled_from(_RESULTS), st.floats(0.0, 1e6), st.floats(0, 60)),
                min_size=1, max_size=60))
@settings(max_examples=60, deadline=None)
def test_decayed_counts_equal_the_direct_sum_of_halved_weights(observations) -> None:
    # The estimators store counts divided by a running scale (one multiplication per
    # observation); the counts they report must equal Σ 0.5^((now − t_i) ÷ half-life) over
    # the observations, across gaps long enough (up to 10⁶ s) to force the scale's rescaling.
    mix, ring = OutcomeMix(half_life=600.0), RingTimes(half_life=600.0)
    at = 0.0
    mix_times: list[tuple[int, float]] = []
    ring_times: list[tuple[int, float]] = []
    index = {AttemptResult.LIVE: 0, AttemptResult.MACHINE: 1, AttemptResult.NO_ANSWER: 2,
             AttemptResult.BUSY: 3}
    for result, gap, ring_seconds in observations:
        at += gap
        mix.observe(result, at)
        ring.observe(result, ring_seconds, at)
        mix_times.append((index[result], at))
        if result is not AttemptResult.NO_ANSWER:  # no-answers feed the timeout only
            ring_times.append((min(index[result], 2), at))
    expected, expected_ring = np.zeros(4), np.zeros(3)
    for row, t in mix_times:
        expected[row] += 0.5 ** ((at - t) / 600.0)
    last_ring = ring_times[-1][1] if ring_times else at
    for row, t in ring_times:
        expected_ring[row] += 0.5 ** ((last_ring - t) / 600.0)
    assert mix.counts == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert ring.hist.sum(axis=1) == pytest.approx(expected_ring, rel=1e-9, abs=1e-300)


def test_ring_times_and_timeout() -> None:
    ring = RingTimes(prior_strength=1.0)
    rng = np.random.default_rng(2)
    for t, seconds in enumerate(rng.uniform(4.0, 6.0, size=2000)):
        ring.observe(AttemptResult.LIVE, float(seconds), float(t))
    for t in range(10):
        ring.observe(AttemptResult.NO_ANSWER, 30.0, float(t))
    cdf = ring.cdfs()[0]
    assert cdf[int(4.0 / 0.5)] < 0.05 and cdf[int(6.0 / 0.5)] > 0.95
    assert ring.no_answer_timeout == 30.0


@pytest.mark.parametrize(
    ("family", "draw"),
    [
        ("lognormal", lambda rng: rng.lognormal(5.0, 0.6, 3000)),
        ("gamma", lambda rng: rng.gamma(2.0, 90.0, 3000)),
    ],
)
def test_fit_picks_the_likelier_family(family: str, draw) -> None:
    fitted = fit_duration(draw(np.random.default_rng(3)))
    assert fitted.family == family


def test_duration_estimator_refits_periodically_not_per_call() -> None:
    est = DurationEstimator(prior_mean=100.0, prior_sd=50.0, refit_every=50, min_samples=20)
    rng = np.random.default_rng(4)
    refits = sum(est.observe(float(x)) for x in rng.gamma(3.0, 60.0, 520))
    assert est.version == refits
    assert 8 <= refits <= 11  # at 20 samples, then every 50 (later every tenth of the window)
    assert est.fitted.mean == pytest.approx(180.0, rel=0.1)


def test_ring_table_probabilities() -> None:
    ring = RingTimes()
    probabilities = np.array([0.2, 0.1, 0.65, 0.05])
    table = build_ring_table(probabilities, ring.cdfs(), 25.0, 60).table
    assert np.all((table >= 0) & (table <= 1))
    assert np.all(np.diff(table, axis=1) >= -1e-12)  # cumulative in time
    assert table[0, -1] == pytest.approx(0.2, abs=1e-9)  # a fresh dial: the live rate
    assert table[-1].max() == 0.0  # past the timeout nothing answers


def _law(mean: float, sd: float) -> FittedDuration:
    return FittedDuration("lognormal", lognormal_from_moments(mean, sd), 0.0, mean, 0)


def test_busy_table_matches_monte_carlo() -> None:
    talk, wrap = _law(180.0, 90.0), _law(15.0, 3.0)
    slots = 60  # 30 s
    table = build_busy_table(talk, wrap, slots).table
    rng = np.random.default_rng(5)
    talk_draws = talk.distribution.rvs(size=400_000, random_state=rng)
    wrap_draws = wrap.distribution.rvs(size=400_000, random_state=rng)
    for elapsed in (0.0, 120.0, 300.0):
        alive = talk_draws > elapsed
        free_at = talk_draws[alive] - elapsed + wrap_draws[alive]
        for k in (19, 39, 59):
            want = float(np.mean(free_at <= (k + 1) * 0.5))
            assert table[int(elapsed), k] == pytest.approx(want, abs=0.01)


def test_wrap_table_fixed_wrap_ends_on_time() -> None:
    wrap = _law(15.0, 0.01)
    table = build_wrap_table(wrap, 60).table
    assert table[0, 27] < 0.01 and table[0, 30] > 0.99  # 15 s = slot 29
    assert table[14, 2] > 0.99  # 14 s in: done within 1.5 s
    assert table[14, 0] < 0.01


def test_mixture_of_machine_releases_and_conversations_uses_the_empirical_law() -> None:
    # Agents releasing answering machines after ~5 s among ~3-minute conversations: neither
    # lognormal nor gamma fits, so the empirical law is used and the busy table stays right.
    rng = np.random.default_rng(6)
    machines = 5.0 + rng.uniform(0.0, 1.0, 30_000)
    talks = rng.lognormal(5.0, 0.5, 70_000)
    sample = np.concatenate([machines, talks])
    fitted = fit_duration(rng.choice(sample, 2000, replace=False))
    assert fitted.family == "empirical"
    table = build_busy_table(fitted, _law(15.0, 3.0), 60).table
    wrap_draws = _law(15.0, 3.0).distribution.rvs(size=sample.size, random_state=rng)
    for elapsed in (3.0, 100.0):
        alive = sample > elapsed
        free_at = sample[alive] - elapsed + wrap_draws[alive]
        want = float(np.mean(free_at <= 30.0))
        assert table[int(elapsed), 59] == pytest.approx(want, abs=0.04)


def test_joint_busy_table_keeps_wrap_tied_to_its_call() -> None:
    # Machines: 5 s, no wrap-up; conversations: ~3 min then 15 s wrap-up. An agent 60 s into
    # a call is in a conversation, so cannot be free within 10 s (wrap-up alone is 15 s); the
    # independent model would mix in the machines' zero wrap-up.
    from pacing_models.tables import build_busy_table_joint

    rng = np.random.default_rng(7)
    talk = np.concatenate([np.full(700, 5.0), rng.lognormal(5.0, 0.3, 1300)])
    wrap = np.concatenate([np.zeros(700), np.full(1300, 15.0)])
    independent = build_busy_table(fit_duration(talk), fit_duration(wrap), 60)
    joint = build_busy_table_joint(talk, wrap, independent, 60).table
    assert joint[60, 19] < 0.01  # by 10 s: nobody
    assert independent.table[60, 19] > joint[60, 19]
    # by 30 s: those whose talk ends within 15 s of the 60 s mark
    alive = talk > 60.0
    want = float(np.mean(talk[alive] + wrap[alive] <= 90.0))
    assert joint[60, 59] == pytest.approx(want, abs=0.02)


def _sorted_median(window: list[float], prior: float) -> float:
    """The no-answer timeout as it was computed before the window was kept sorted."""
    if len(window) < 3:
        return prior
    ordered = sorted(window)
    middle = len(ordered) // 2
    upper = ordered[middle]
    return upper if len(ordered) % 2 else 0.5 * (ordered[middle - 1] + upper)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from([0.0, -0.0, 25.0, 24.5, 30.0, float("nan")]),
    st.floats(min_value=-5.0, max_value=60.0),
), max_size=160), st.integers(min_value=1, max_value=40))
def test_no_answer_timeout_is_the_sorted_windows_median(times: list[float], every: int) -> None:
    """The window kept sorted as it moves gives, bit for bit, the median of sorting the last
    51 ring times (duplicates, signed zeros and NaNs included), whenever it is read."""
    ring = RingTimes()
    seen: list[float] = []
    for i, seconds in enumerate(times):
        ring.observe(AttemptResult.NO_ANSWER, seconds, float(i))
        seen.append(seconds)
        if i % every == 0 or i == len(times) - 1:
            got = ring.no_answer_timeout
            want = _sorted_median(seen[-51:], ring.no_answer_timeout_prior)
            assert repr(got) == repr(want)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_ring_bin_is_the_clamped_grid_index(seconds: float) -> None:
    """A ring time's histogram bin: the grid index of max(s, 0), at most the last bin."""
    ring = RingTimes()
    last = ring.hist.shape[1] - 1
    assert ring._bin(seconds) == min(int(max(seconds, 0.0) / 0.5), last)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["lognormal", "gamma"]),
       st.floats(min_value=0.05, max_value=3.0), st.floats(min_value=0.5, max_value=600.0))
def test_fixed_law_is_scipys_frozen_law_bit_for_bit(family: str, shape: float,
                                                    scale: float) -> None:
    """A fit's law with its parameters fixed gives every value scipy's frozen law gives."""
    law, parameters = ((stats.lognorm, {"s": shape, "scale": scale}) if family == "lognormal"
                       else (stats.gamma, {"a": shape, "scale": scale}))
    fixed, frozen = FixedLaw(law, parameters), law(**parameters)
    x = np.concatenate(([0.0, -1.0, np.inf], np.linspace(0.0, 4.0 * scale, 57)))
    q = np.array([0.0, 0.1, 0.5, 0.9, 0.999, 1.0])
    for method, argument in (("cdf", x), ("sf", x), ("logsf", x), ("pdf", x), ("ppf", q)):
        with np.errstate(all="ignore"):  # gamma's pdf at x = ∞ computes ∞ − ∞ (NaN) alike
            assert getattr(fixed, method)(argument).tobytes() == \
                getattr(frozen, method)(argument).tobytes(), method
    assert repr(float(fixed.mean())) == repr(float(frozen.mean()))
    assert fixed.rvs(size=5, random_state=np.random.default_rng(1)).tobytes() == \
        frozen.rvs(size=5, random_state=np.random.default_rng(1)).tobytes()
