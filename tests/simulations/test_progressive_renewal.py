"""Progressive dialing against its renewal–reward closed form, within the 95 % CI.

Derivation (each term is something the simulator really does; nothing is a tolerance):

Under progressive pacing every answered call finds a free agent (one line per free agent),
so the campaign is ``agents`` independent copies of one renewal process (Ross, *Stochastic
Processes*, 2nd ed., 1996, §3.6, renewal–reward). A cycle starts when a line is dialed. The
engine dials only at its pacing ticks, every Δ = ``decision_interval`` seconds from the shift
start (``dialer.engine.Engine.tick``), and an event falling exactly on a tick is handled
before that tick's decision. So, with p = P(live):

* G failed attempts first, P(G = g) = (1 − p)^g p, so E[G] = (1 − p)/p and
  Var G = (1 − p)/p². A failed attempt lasts D = ``busy_time`` (probability busy/(1 − p)) or
  the ring timeout; the next dial waits for the next tick: it occupies Δ⌈D/Δ⌉.
* Then the answered attempt: answer after A, bridged at once (the simulated switch has no
  bridge latency), talk X, wrap W; the agent is free after A + X + W and the next cycle's
  dial is at the next tick, Δ⌈(A + X + W)/Δ⌉ after this attempt's dial.

Hence E[C] = E[X] + E[W] + E[search] with the issue's
E[search] = E[A] + ((1 − p)/p)·E[unsuccessful attempt] plus the two launch delays (rounding
up to the next tick): E[search] = E[A] + E[G]·E[Δ⌈D/Δ⌉] + E[Δ⌈(A + X + W)/Δ⌉ − A − X − W],
and the long-run talk fraction E[X]/E[C] (renewal–reward theorem, Ross 1996 Thm 3.6.1).

A shift is finite and starts with every line dialing at t = 0, so the measured fraction over
[0, T] (talk is counted inside the shift only) carries a transient term κ/T. Work in units of
Δ with A and W multiples of Δ: cycle lengths C = S + m + W are integers, S = A + Σ⌈D_j⌉,
m = ⌈X⌉. With u_n = P(a cycle starts at n), E[talk in [0, T]] = Σ_{n ≤ T} u_n H(T − n),
H(x) = E[talk within the first x of a cycle]. From the generating function U(s) =
1/(1 − F(s)) (Feller, *An Introduction to Probability Theory*, vol. 1, ch. XIII),
Σ_n (u_n − 1/μ) = E[C(C − 1)]/(2μ²) and u_n → 1/μ, so
E[talk in [0, T]] = E[X]·T/μ + κ + o(1) with
κ = E[X](E[C²] + μ)/(2μ²) − Σ_{k ≥ 0}(E[X] − H(k))/μ and
Σ_{k ≥ 0}(E[X] − H(k)) = E[X]E[S] + E[mX] − E[m(m − 1)]/2 (talk runs over [S, S + X]).
For exponential X (mean θ Δ-units) m is geometric, q = 1 − e^{−1/θ}: E m = 1/q,
E m² = (2 − q)/q²; X = m − 1 + V with V independent of m (memorylessness), V exponential
truncated to [0, 1): E V = θ − 1/(e^{1/θ} − 1). E[C²] = Var S + Var m + μ² with
Var S = E[G]·Var⌈D⌉ + Var G·E[⌈D⌉]² (compound geometric sum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from simulations.metrics import replicate, summarise
from simulations.scenario import scenario_from_tables


@dataclass(frozen=True)
class Case:
    live: float
    talk: float       # exponential mean, seconds
    wrap: float       # fixed, a multiple of the interval
    answer: float     # fixed time to answer, a multiple of the interval
    busy: float
    busy_time: float
    timeout: float
    interval: float

    def tables(self, agents: int, hours: float) -> dict:
        return {
            "campaign": {"agents": agents, "shift_hours": hours,
                         "decision_interval": self.interval},
            "callees": {"live_answer": self.live, "busy": self.busy,
                        "time_to_answer": {"dist": "fixed", "value": self.answer},
                        "no_answer_timeout": self.timeout, "busy_time": self.busy_time,
                        "patience": {"dist": "exponential", "mean": 5.0}},
            "agents": {"talk": {"dist": "exponential", "mean": self.talk},
                       "wrap": {"dist": "fixed", "value": self.wrap}},
        }


def _ceil(x: float) -> int:
    return math.ceil(x - 1e-12)


def closed_form(case: Case, hours: float) -> tuple[float, float, float]:
    """(issue's formula without launch delays, long-run value, expected value over a shift)."""
    d, p = case.interval, case.live
    fail = 1.0 - p
    no_answer = fail - case.busy
    # Failed attempts: durations rounded up to the next tick (in units of Δ).
    shares = [(case.busy / fail, _ceil(case.busy_time / d)),
              (no_answer / fail, _ceil(case.timeout / d))]
    mean_d = sum(w * v for w, v in shares)
    var_d = sum(w * v * v for w, v in shares) - mean_d ** 2
    mean_g, var_g = fail / p, fail / p ** 2
    a, w = case.answer / d, case.wrap / d
    mean_s = a + mean_g * mean_d
    var_s = mean_g * var_d + var_g * mean_d ** 2
    theta = case.talk / d
    q = -math.expm1(-1.0 / theta)
    mean_m, mean_m2 = 1.0 / q, (2.0 - q) / q ** 2
    mean_v = theta - 1.0 / math.expm1(1.0 / theta)
    mean_mx = (mean_m2 - mean_m) + mean_v * mean_m
    mu = mean_s + mean_m + w
    mean_c2 = var_s + (mean_m2 - mean_m ** 2) + mu ** 2
    kappa = (theta * (mean_c2 + mu) / (2 * mu ** 2)
             - (theta * mean_s + mean_mx - (mean_m2 - mean_m) / 2) / mu)
    horizon = hours * 3600.0 / d
    naive_failure = (case.busy * case.busy_time + no_answer * case.timeout) / fail
    naive = case.talk / (case.talk + case.wrap + case.answer + mean_g * naive_failure)
    return naive, theta / mu, theta / mu + kappa / horizon


CASES = [
    Case(live=0.3, talk=60.0, wrap=10.0, answer=8.0, busy=0.1, busy_time=4.0, timeout=20.0,
         interval=1.0),
    Case(live=0.5, talk=40.0, wrap=5.0, answer=8.0, busy=0.1, busy_time=2.5, timeout=20.0,
         interval=1.0),
    Case(live=0.2, talk=90.0, wrap=16.0, answer=8.0, busy=0.05, busy_time=4.0, timeout=25.0,
         interval=2.0),
]


@pytest.mark.parametrize("case", CASES)
def test_progressive_talk_fraction_within_the_confidence_interval(case: Case) -> None:
    agents, hours = 20, 8.0
    summary = summarise(replicate(scenario_from_tables(case.tables(agents, hours)),
                                  "progressive", 8, 3))
    measured = summary["talk_fraction"]
    _, _, expected = closed_form(case, hours)
    assert math.isfinite(measured["ci95"]) and measured["ci95"] < 0.01  # a meaningful test
    assert abs(measured["mean"] - expected) <= measured["ci95"]
    assert summary["abandoned"]["mean"] == 0  # progressive never abandons


def test_the_closed_form_reduces_to_the_issue_formula_without_ticks() -> None:
    # With a vanishing interval the launch delays and the lattice vanish: the long-run value
    # is E[talk] / (E[talk] + E[wrap] + E[answer] + (1-p)/p · E[unsuccessful]).
    case = Case(live=0.3, talk=60.0, wrap=10.0, answer=8.0, busy=0.1, busy_time=4.0,
                timeout=20.0, interval=1e-4)
    naive, long_run, _ = closed_form(case, 8.0)
    assert long_run == pytest.approx(naive, rel=1e-5)
    # ... and with the engine's 1 s ticks the delays are not negligible (~0.5 s a cycle).
    ticked = closed_form(CASES[0], 8.0)
    assert ticked[0] - ticked[1] > 0.0015
