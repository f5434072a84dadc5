"""Patience laws for people in silence (issue 16): Weibull and shifted laws.

A memoryless patience law loses a share of people in AMD's first fraction of a second of
silence whatever the pacing; these forms keep little mass there. Their draws must respect
their support (never below the shift), their stated mean, and read back as written; bad
values are refused with the key named.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.distributions import parse_distribution
from simulations.errors import ScenarioError
from simulations.scenario import scenario_from_tables

_LAWS = st.one_of(
    st.builds(lambda k, m, s: {"dist": "weibull", "shape": k, "mean": m + s, "shift": s},
              st.floats(0.3, 20.0), st.floats(0.05, 100.0), st.floats(0.0, 10.0)),
    st.builds(lambda k, c, s: {"dist": "weibull", "shape": k, "scale": c, "shift": s},
              st.floats(0.3, 20.0), st.floats(0.05, 100.0), st.floats(0.0, 10.0)),
    st.builds(lambda m, s: {"dist": "exponential", "mean": m + s, "shift": s},
              st.floats(0.05, 100.0), st.floats(0.0, 10.0)),
    st.builds(lambda m, sd, s: {"dist": "lognormal", "mean": m + s, "sd": sd, "shift": s},
              st.floats(0.05, 100.0), st.floats(0.01, 50.0), st.floats(0.0, 10.0)),
    st.builds(lambda m, sd, s: {"dist": "gamma", "mean": m + s, "sd": sd, "shift": s},
              st.floats(0.05, 100.0), st.floats(0.01, 50.0), st.floats(0.0, 10.0)),
)


@settings(max_examples=80, deadline=None)
@given(spec=_LAWS, seed=st.integers(0, 2**32 - 1))
def test_draws_never_fall_below_the_shift_and_the_law_reads_back(spec: dict,
                                                                  seed: int) -> None:
    law = parse_distribution(spec, "t.toml: [callees].patience")
    draws = law.sample(np.random.default_rng(seed), 2000)
    assert np.all(np.isfinite(draws))
    assert draws.min() >= spec["shift"] - 1e-9 * max(1.0, spec["shift"])
    assert law.mean >= spec["shift"]
    if "mean" in spec:
        assert law.mean == pytest.approx(spec["mean"], rel=1e-9)
    written = law.spec()
    assert parse_distribution(written, "again") == law
    assert ("shift" in written) == (spec["shift"] > 0)  # written only when set


def test_the_suites_amd_patience_keeps_little_mass_under_two_seconds() -> None:
    """Weibull shape 3, mean 6 s (benchmarks/pacing_quality.py, AMD_PATIENCE): the closed
    form 1 − exp(−(t/λ)³), λ = 6 ÷ Γ(4/3), and the draws agree."""
    law = parse_distribution({"dist": "weibull", "shape": 3, "mean": 6}, "t")
    draws = law.sample(np.random.default_rng(7), 200_000)
    scale = 6.0 / math.gamma(4.0 / 3.0)
    for seconds, at_most in ((0.8, 0.002), (2.0, 0.03)):
        exact = -math.expm1(-((seconds / scale) ** 3))
        assert exact <= at_most
        assert (draws < seconds).mean() == pytest.approx(exact, abs=0.002)
    # A memoryless law of mean 5 s loses 15 % in the same 0.8 s.
    exponential = parse_distribution({"dist": "exponential", "mean": 5}, "t")
    assert (exponential.sample(np.random.default_rng(7), 200_000) < 0.8).mean() > 0.14
    assert draws.mean() == pytest.approx(6.0, rel=0.01)


def test_a_shifted_exponential_has_no_draw_below_its_shift_and_its_stated_mean() -> None:
    law = parse_distribution({"dist": "exponential", "mean": 5.0, "shift": 1.5}, "t")
    draws = law.sample(np.random.default_rng(3), 100_000)
    assert draws.min() >= 1.5
    assert draws.mean() == pytest.approx(5.0, rel=0.02)
    assert np.median(draws) == pytest.approx(1.5 + 3.5 * math.log(2), rel=0.02)


@pytest.mark.parametrize(("spec", "message"), [
    ({"dist": "weibull", "shape": 3}, r"patience: weibull needs exactly one of 'mean' or "
                                      r"'scale'$"),
    ({"dist": "weibull", "shape": 3, "mean": 6, "scale": 6}, r"one of 'mean' or 'scale', "
                                                              r"got both"),
    ({"dist": "weibull", "mean": 6}, r"patience: missing 'shape'"),
    ({"dist": "weibull", "shape": 0, "mean": 6}, r"patience\.shape: must be > 0"),
    ({"dist": "weibull", "shape": -1, "mean": 6}, r"patience\.shape: must be > 0"),
    ({"dist": "weibull", "shape": 1e3, "mean": 6}, r"patience\.shape: must be <= 100"),
    ({"dist": "weibull", "shape": float("nan"), "mean": 6}, r"patience\.shape: expected a "
                                                              r"number"),
    ({"dist": "weibull", "shape": 3, "mean": 2, "shift": 2}, r"patience\.mean: must be > "
                                                              r"shift \(2\)"),
    ({"dist": "exponential", "mean": 1, "shift": 3}, r"patience\.mean: must be > shift"),
    ({"dist": "lognormal", "mean": 5, "sd": 1, "shift": -1}, r"patience\.shift: must be >= 0"),
    ({"dist": "gamma", "mean": 5, "sd": 1, "shift": True}, r"patience\.shift: expected a "
                                                             r"number"),
    ({"dist": "exponential", "mean": 5, "shfit": 1}, r"patience\.shfit: unknown key of an? "
                                                     r"exponential law"),
    ({"dist": "uniform", "low": 1, "high": 2, "shift": 1}, r"patience\.shift: unknown key"),
    ({"dist": "fixed", "value": 1, "mean": 2}, r"patience\.mean: unknown key of a fixed law"),
])
def test_bad_patience_laws_are_refused_naming_the_key(spec: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_distribution(spec, "s.toml: [callees].patience")


def test_a_scenario_takes_a_weibull_patience_and_people_wait_at_least_its_shift() -> None:
    """In a run, no person's patience hang-up comes sooner than the shift after the answer
    (AMD off: patience runs from the answer)."""
    from simulations.driver import Simulation

    tables = {
        "campaign": {"agents": 2, "shift_hours": 0.25},
        "callees": {"live_answer": 0.5, "busy": 0.0,
                    "time_to_answer": {"dist": "exponential", "mean": 5.0},
                    "patience": {"dist": "weibull", "shape": 2, "mean": 3.0, "shift": 1.0}},
        "agents": {"talk": {"dist": "exponential", "mean": 40.0}, "wrap": 2.0},
    }
    hang_ups: list[float] = []

    class Watched(Simulation):
        def _patience(self, at: float, call_id: str) -> None:
            call = self.calls.get(call_id)
            if call is not None and not call.ended and not call.bridged:
                assert call.answered_at is not None
                hang_ups.append(at - call.answered_at)
            super()._patience(at, call_id)

    Watched(scenario_from_tables(tables), "ratio", 3, params={"dial_level": 8.0}).run()
    assert len(hang_ups) > 10
    assert min(hang_ups) >= 1.0 - 1e-9
