"""Inbound-only scenarios reproduce Erlang C (no abandonment) and Erlang A (exponential
patience) within the replications' 95 % confidence intervals.

The simulated system is M/M/c(+M): Poisson arrivals at λ, exponential talk (rate μ, no
wrap), FIFO routing, bridging at once, exponential patience θ. Its number in system N(t) is
a birth–death chain. Erlang C and Erlang A are that chain's stationary values; a shift,
though, starts empty and lasts T, so the expected finite-shift values are computed exactly
from the same chain (Kolmogorov forward equations, integrated with one matrix exponential:
d/dt [p, P] = [pQ, p], P(T) = ∫₀ᵀ p(t) dt; Van Loan 1978, "Computing integrals involving the
matrix exponential"):

* waited: a caller waits when all c agents are busy at its arrival (decided at arrival, as
  Erlang C defines P(wait)); by PASTA (Wolff 1982) E[waited] = λ ∫₀ᵀ P(N(t) ≥ c) dt;
* abandoned: callers in queue abandon at rate θ each; at closing no one new arrives and
  agents stay for the queued callers (simulations/driver.py, ``_end_shift``), so
  E[abandoned] = θ ∫₀ᵀ E[(N − c)⁺] dt + Σ_n P(N(T) = n)·A(n), A(n) = A(n − 1) +
  (n − c)θ / (cμ + (n − c)θ) the abandonments of the pure-death chain that drains the queue.

Counts are divided by the expected number of callers λT (not each run's own count), which
makes the estimate unbiased for E[count]/(λT) (a ratio of two random counts is not). The
test also checks that the chain's stationary values are Erlang C and Erlang A as the
pacing_models formulas compute them, and that the transient is small beside the interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from pacing_models.erlang import erlang_a, erlang_c
from simulations.metrics import replicate, summarise
from simulations.scenario import scenario_from_tables

AGENTS, CALLS_PER_HOUR, TALK, PATIENCE, HOURS = 3, 120.0, 60.0, 60.0, 24.0
LAM, MU, THETA = CALLS_PER_HOUR / 3600.0, 1.0 / TALK, 1.0 / PATIENCE


def _inbound(patience: bool) -> dict:
    inbound: dict = {"calls_per_hour": CALLS_PER_HOUR}
    if patience:
        inbound["patience"] = {"dist": "exponential", "mean": PATIENCE}
    return {
        # Nothing is dialed, so pacing decisions are idle: a long interval keeps it fast.
        "campaign": {"agents": AGENTS, "shift_hours": HOURS, "outbound": False,
                     "decision_interval": 600.0},
        "callees": {"live_answer": 0.0},
        "agents": {"talk": {"dist": "exponential", "mean": TALK}, "wrap": 0.0},
        "inbound": inbound,
    }


def _generator(theta: float, size: int = 80) -> np.ndarray:
    q = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            q[n, n + 1] = LAM
        if n > 0:
            q[n, n - 1] = min(n, AGENTS) * MU + max(n - AGENTS, 0) * theta
        q[n, n] = -q[n].sum()
    return q


def finite_shift(theta: float, seconds: float) -> tuple[float, float]:
    """Exact expected (waited, abandoned) ÷ λT of a shift of ``seconds`` starting empty."""
    q = _generator(theta)
    size = len(q)
    block = np.zeros((2 * size, 2 * size))
    block[:size, :size] = q.T
    block[size:, :size] = np.eye(size)
    start = np.zeros(2 * size)
    start[0] = 1.0
    state = expm(block * seconds) @ start
    p_end, occupancy = state[:size], state[size:]
    n = np.arange(size)
    waited = LAM * occupancy[AGENTS:].sum()
    drain = np.zeros(size)
    for k in range(AGENTS + 1, size):
        drain[k] = drain[k - 1] + (k - AGENTS) * theta / (AGENTS * MU + (k - AGENTS) * theta)
    abandoned = theta * (np.maximum(n - AGENTS, 0) * occupancy).sum() + p_end @ drain
    return waited / (LAM * seconds), abandoned / (LAM * seconds)


def stationary(theta: float) -> tuple[float, float]:
    """(P(wait), P(abandon)) of the chain's stationary distribution."""
    q = _generator(theta)
    weights = np.ones(len(q))
    for k in range(1, len(q)):
        weights[k] = weights[k - 1] * q[k - 1, k] / q[k, k - 1]
    pi = weights / weights.sum()
    queue = np.maximum(np.arange(len(q)) - AGENTS, 0)
    return float(pi[AGENTS:].sum()), float(theta * (queue @ pi) / LAM)


def _share(key: str, patience: bool, seed: int) -> dict:
    runs = replicate(scenario_from_tables(_inbound(patience)), "progressive", 30, seed)
    assert all(r["dials"] == 0 for r in runs)
    offered = LAM * HOURS * 3600.0
    return summarise([{**r, "dials": r[key] / offered} for r in runs])["dials"]


def test_the_chain_is_erlang_c_and_erlang_a() -> None:
    assert stationary(0.0)[0] == pytest.approx(erlang_c(AGENTS, LAM / MU), rel=1e-9)
    assert stationary(THETA)[1] == pytest.approx(
        erlang_a(AGENTS, LAM / MU, TALK, PATIENCE).p_abandon, rel=1e-6)
    # A long enough shift forgets its empty start.
    assert finite_shift(0.0, 1e7)[0] == pytest.approx(stationary(0.0)[0], rel=1e-3)


def test_erlang_c_probability_of_waiting() -> None:
    waited = _share("inbound_waited", False, 11)
    expected = finite_shift(0.0, HOURS * 3600.0)[0]
    assert 0 < waited["ci95"] < 0.02  # a meaningful interval
    assert abs(expected - erlang_c(AGENTS, LAM / MU)) < 0.25 * waited["ci95"]
    assert abs(waited["mean"] - expected) <= waited["ci95"]


def test_erlang_a_abandonment() -> None:
    abandoned = _share("inbound_abandoned", True, 12)
    expected = finite_shift(THETA, HOURS * 3600.0)[1]
    stationary_value = erlang_a(AGENTS, LAM / MU, TALK, PATIENCE).p_abandon
    assert 0 < abandoned["ci95"] < 0.006
    assert abs(expected - stationary_value) < 0.25 * abandoned["ci95"]
    assert abs(abandoned["mean"] - expected) <= abandoned["ci95"]
    assert math.isclose(expected, stationary_value, rel_tol=0.02)
