"""Erlang B, Erlang C and Erlang A (M/M/n+M) in a numerically stable form.

Conventions: ``traffic`` is the offered load in Erlangs (arrival rate × mean handle time),
``agents`` the number of servers, ``aht`` the mean handle time in seconds, ``patience`` the
mean time a waiting caller stays before abandoning (exponential, Palm's model).

Stability (correct to ~1e-12 relative for up to 5,000 agents and 4,000 Erlangs):

* Erlang B for ``agents >= traffic`` is ``pmf(n) / cdf(n)`` of a Poisson(A) variable, taken in
  log space with the regularised upper incomplete gamma ``Q(n + 1, A)`` (``cdf`` ≥ ½ there,
  so nothing underflows; the numerator may underflow to a true 0 only below 1e-308).
* For ``agents < traffic`` it uses the classic recursion on ``1/B``:
  ``1/B(k) = 1 + (k/A)·1/B(k−1)``, which contracts (k/A < 1) so rounding errors never grow,
  and ``1/B`` stays below ``A/(A − n)``-ish, far from overflow.
* Erlang A uses the Kummer function ``S(a, x) = Σ_j x^j / (a+1)_j = 1F1(1; a+1; x)`` with
  ``a = nμ/θ`` and ``x = λ/θ``: a positive series when ``x < a`` (ratio < 1, geometric
  convergence), and ``Γ(a+1) x^(−a) e^x P(a, x)`` (regularised lower incomplete gamma, never
  small there) otherwise. Every measure is a ratio of positive quantities, so no
  cancellation produces a negative probability.

References: A. K. Erlang (1917); Cooper, *Introduction to Queueing Theory* (1981), §3.4–3.5;
Palm (1943, 1946) for M/M/n+M; Garnett, Mandelbaum & Reiman, "Designing a Call Center with
Impatient Customers", MSOM 4(3), 2002; Mandelbaum & Zeltyn, "The M/M/n+G Queue: Summary of
Performance Measures" (Technion, 2004) for the virtual-wait distribution used below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from pacing_models.errors import InvalidParameterError

_SERIES_MAX_TERMS = 400_000


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, (int, np.integer)) or agents < 0:
        raise InvalidParameterError(f"agents must be a whole number ≥ 0, got {agents!r}")


def _check_positive(name: str, value: float, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not (math.isfinite(value) and ok):
        bound = "≥ 0" if allow_zero else "> 0"
        raise InvalidParameterError(f"{name} must be a finite number {bound}, got {value!r}")


def _clip01(p: float) -> float:
    return 0.0 if p < 0.0 else 1.0 if p > 1.0 else p


# --- Erlang B ----------------------------------------------------------------------------------


def inverse_erlang_b(agents: int, traffic: float) -> float:
    """``1/B(n, A)`` = Σ_{k≤n} (A^k/k!) / (A^n/n!), possibly +inf when B underflows."""
    _check_agents(agents)
    _check_positive("traffic", traffic, allow_zero=True)
    n = int(agents)
    if n == 0:
        return 1.0
    if traffic == 0.0:
        return math.inf
    if n >= traffic:
        log_b = _log_erlang_b_closed(n, traffic)
        return math.exp(-log_b) if -log_b < 709.0 else math.inf
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + (k / traffic) * inverse
    return inverse


def _log_erlang_b_closed(n: int, traffic: float) -> float:
    log_pmf = n * math.log(traffic) - traffic - math.lgamma(n + 1)
    cdf = float(special.gammaincc(n + 1, traffic))
    return log_pmf - math.log(cdf)


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of M/M/n/n (Erlang's loss formula), in [0, 1]."""
    inverse = inverse_erlang_b(agents, traffic)
    return 0.0 if math.isinf(inverse) else _clip01(1.0 / inverse)


# --- Erlang C ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    """M/M/n (delay system) measures. Times in seconds."""

    agents: int
    traffic: float
    aht: float
    p_wait: float
    """Probability that a call waits at all (Erlang C)."""
    asa: float
    """Average speed of answer: mean wait over all calls (inf when traffic ≥ agents)."""
    service_level: float
    """P(wait ≤ within)."""
    within: float
    occupancy: float
    """Traffic ÷ agents (agent utilisation), capped at 1."""


def erlang_c(agents: int, traffic: float) -> float:
    """Probability of waiting in M/M/n; 1 when the queue is unstable (traffic ≥ agents).

    Uses the Erlang-B transform C = n·B / (n − A·(1 − B)) (Cooper 1981, eq. 3.5.13).
    """
    _check_agents(agents)
    _check_positive("traffic", traffic, allow_zero=True)
    n = int(agents)
    if traffic >= n:
        return 1.0
    if traffic == 0.0:
        return 0.0
    b = erlang_b(n, traffic)
    return _clip01(n * b / (n - traffic + traffic * b))


def erlang_c_measures(
    agents: int, traffic: float, aht: float, within: float = 20.0
) -> ErlangCResult:
    """Erlang C probability of waiting, ASA and service level P(wait ≤ within)."""
    _check_positive("aht", aht)
    _check_positive("within", within, allow_zero=True)
    c = erlang_c(agents, traffic)
    n = int(agents)
    if traffic >= n:
        asa, service = math.inf, 0.0
    else:
        drain = (n - traffic) / aht
        asa = c / drain
        service = _clip01(1.0 - c * math.exp(-drain * within))
    occupancy = min(1.0, traffic / n) if n else 1.0
    return ErlangCResult(n, float(traffic), float(aht), c, asa, service, float(within), occupancy)


# --- Erlang A (M/M/n+M) ---------------------------------------------------------------------


def log_kummer(a: float, x: float) -> float:
    """log S(a, x) with S(a, x) = Σ_{j≥0} x^j / ((a+1)(a+2)…(a+j)) = 1F1(1; a+1; x).

    S is the normalised mass of the queue states of M/M/n+M (a = nμ/θ, x = λ/θ).
    """
    if x <= 0.0:
        return 0.0
    ratio = x / (a + 1.0)
    if ratio < 1.0:
        terms = math.ceil(-41.5 / math.log(ratio)) + 2 if ratio > 0 else 1
        if terms <= _SERIES_MAX_TERMS:
            return math.log1p(float(np.sum(np.cumprod(x / (a + 1.0 + np.arange(terms))))))
    # S = Γ(a+1) x^(−a) e^x P(a, x); P(a, x) ≥ ~½ here, so its log is exact enough.
    return (
        math.lgamma(a + 1.0) - a * math.log(x) + x + math.log(float(special.gammainc(a, x)))
        if a > 0
        else x  # a = 0: no service, S = e^x
    )


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """M/M/n+M (Palm / Erlang A) measures. Times in seconds."""

    agents: int
    traffic: float
    aht: float
    patience: float
    p_wait: float
    """Probability that an arriving call finds every agent busy."""
    p_abandon: float
    """Probability that a call hangs up before reaching an agent."""
    asa: float
    """Mean wait over all calls, including the waits of those who abandon (E[Q]/λ)."""
    service_level: float
    """Share of all calls answered by an agent within ``within`` seconds."""
    p_wait_within: float
    """P(offered wait ≤ within): the wait a caller with infinite patience would have."""
    within: float
    occupancy: float
    """Agent utilisation: carried traffic (1 − P(abandon))·A ÷ n."""


def erlang_a(
    agents: int, traffic: float, aht: float, patience: float, within: float = 20.0
) -> ErlangAResult:
    """Erlang A measures (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2004)."""
    _check_agents(agents)
    _check_positive("traffic", traffic, allow_zero=True)
    _check_positive("aht", aht)
    _check_positive("patience", patience)
    _check_positive("within", within, allow_zero=True)
    n = int(agents)
    if traffic == 0.0:
        return ErlangAResult(n, 0.0, aht, patience, 0.0, 0.0, 0.0, 1.0, 1.0, within, 0.0)
    if n == 0:
        return ErlangAResult(0, traffic, aht, patience, 1.0, 1.0, patience, 0.0, 0.0, within, 1.0)
    theta = 1.0 / patience
    lam = traffic / aht
    a = n / (aht * theta)  # nμ/θ
    x = lam / theta  # λ/θ
    log_s = log_kummer(a, x)
    # Normalised by π_n: the states below n weigh 1/B − 1, the states ≥ n weigh S.
    inverse_b = inverse_erlang_b(n, traffic)
    p_wait = 0.0 if math.isinf(inverse_b) else _clip01(
        1.0 / (1.0 + (inverse_b - 1.0) * math.exp(-log_s))
    )
    # P(abandon | wait) = 1 − a/x + a/(x·S) (GMR 2002). For x ≥ a every part is ≥ 0; for
    # x < a the same quantity is the queue's first moment over S, summed directly.
    if x >= a:
        p_ab_given_wait = _clip01(1.0 - a / x + (a / x) * math.exp(-log_s))
    else:
        p_ab_given_wait = _clip01(_queue_mean_over_s(a, x) / x)
    p_abandon = _clip01(p_wait * p_ab_given_wait)
    asa = p_abandon * patience  # E[W] = E[Q]/λ = P(abandon)/θ (Little)
    tail = _virtual_wait_tail(a, x, theta * within, log_s)
    # Served after waiting within t: (P(wait) − P(ab)) − P(wait)·(a/x)·R·(1 − 1/S(y)),
    # from integrating the virtual-wait density times the survival of patience.
    y = x * math.exp(-theta * within)
    late_served = p_wait * (a / x) * tail * -math.expm1(-log_kummer(a, y))
    served_within = max(0.0, (p_wait - p_abandon) - late_served)
    service_level = _clip01((1.0 - p_wait) + served_within)
    occupancy = min(1.0, (1.0 - p_abandon) * traffic / n)
    return ErlangAResult(
        n, float(traffic), float(aht), float(patience), p_wait, p_abandon, asa,
        service_level, _clip01(1.0 - p_wait * tail), float(within), occupancy,
    )


def _queue_mean_over_s(a: float, x: float) -> float:
    """Σ j·t_j / Σ t_j for t_j = x^j/(a+1)_j (the mean queue given ≥ n in system), x < a."""
    ratio = x / (a + 1.0)
    terms = min(_SERIES_MAX_TERMS, math.ceil(-41.5 / math.log(ratio)) + 2) if ratio > 0 else 1
    t = np.cumprod(x / (a + 1.0 + np.arange(terms)))
    return float(np.sum(np.arange(1, terms + 1) * t) / (1.0 + np.sum(t)))


def _virtual_wait_tail(a: float, x: float, theta_t: float, log_s_x: float) -> float:
    """P(V > t | V > 0) = P(a, x e^{−θt}) / P(a, x) (Mandelbaum & Zeltyn 2004, M/M/n+M).

    Written with S: P(a, y)/P(a, x) = (y/x)^a e^{x−y} S(a, y)/S(a, x), with y = x e^{−θt}.
    """
    if theta_t <= 0.0:
        return 1.0
    y = x * math.exp(-theta_t)
    log_ratio = -a * theta_t + (x - y) + log_kummer(a, y) - log_s_x
    return _clip01(math.exp(log_ratio)) if log_ratio < 0 else 1.0


def traffic_from_rate(calls_per_hour: float, aht: float) -> float:
    """Offered load in Erlangs from an hourly call rate and a mean handle time in seconds."""
    _check_positive("calls per hour", calls_per_hour, allow_zero=True)
    _check_positive("aht", aht)
    return calls_per_hour * aht / 3600.0
