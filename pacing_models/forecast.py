"""Per-decision forecast: will a person who answers find an agent within the connect window?

At whole seconds t_k = 1, 2, … s after now (up to the ring timeout):

* demand A_k = live answers by t_k: each ringing call with P(live answer by t_k | still
  ringing after its elapsed ring time), plus the calls answered and already waiting, plus
  n·G_k for n calls dialed now (G the profile of a fresh dial);
* supply S_k = agents free by t_k + w, w the effective connect window (the window itself,
  or E[min(window, patience)] when a patience law is given): free now, each agent on a call
  with P(residual talk + wrap-up ≤ t | elapsed), each agent in wrap-up with P(residual wrap
  ≤ t | elapsed).

In a first-come deadline queue the abandons of the horizon are sup_k (A_k − S_k)⁺ (the
reflection of the arrival-minus-service path; Mandelbaum & Zeltyn 2004 for the deadline view).
Both sides are Poisson-binomial sums, taken as normal, and E[abandons](n) ≈ max_k E[(A_k −
S_k)⁺] with E[X⁺] = m·Φ(m/σ) + σ·φ(m/σ). The marginal call's expected abandons
E(n) − E(n − 1), divided by its live-answer probability, is the probability that the
person it reaches is abandoned (including the person it displaces); the policy dials while
that stays under its threshold.

Cost: one gather and sum per group (ringing, on call, wrap-up) and one vectorised evaluation
of ~20 candidate counts × ~25 instants (about fifteen numpy calls in all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class CompactTables:
    """The columns a decision reads: [mean at t_1..t_K | Bernoulli variance at t_1..t_K]."""

    ring: np.ndarray
    """Rows: ring elapsed on ``ring_step`` grid; −P(live answer by t_k | still ringing)
    (negated: demand counts against supply) beside its variance."""
    busy: np.ndarray
    """Rows: talk elapsed on ``agent_step`` grid; P(free by t_k + w | on call that long)."""
    wrap: np.ndarray
    """Rows: wrap-up elapsed; P(free by t_k + w | in wrap-up that long)."""
    new_call: np.ndarray
    """G_k: P(a call dialed now is answered live by t_k)."""
    new_call_variance: np.ndarray
    inverse_profile: np.ndarray
    """1 ÷ G_k where a fresh dial can be answered by t_k, else 1e12 (those instants never
    bind the fluid guess unless already overflowing, when the guess is 0)."""
    live_answer: float
    """P(a call dialed now ends in a live answer at all)."""
    ring_step: float
    agent_step: float

    @property
    def instants(self) -> int:
        return self.new_call.size


def _row_sums(table: np.ndarray, elapsed: np.ndarray, inverse_step: float) -> np.ndarray:
    """Σ over items of the table row for each item's elapsed time (rows clamp at the end)."""
    index = (elapsed if inverse_step == 1.0 else elapsed * inverse_step).astype(np.intp)
    np.minimum(index, table.shape[0] - 1, out=index)
    # take + sum, never a matrix product: BLAS would start threads for a 50×52 product.
    return table.take(index, axis=0).sum(axis=0)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Mean and variance of (answers − agents) at each instant, before any new call."""

    gap: np.ndarray
    variance: np.ndarray

    @classmethod
    def build(
        cls, tables: CompactTables, agents_free: int, answered_waiting: int,
        ringing: np.ndarray | None, busy: np.ndarray | None, wrap: np.ndarray | None,
    ) -> Forecast:
        """``ringing``, ``busy``, ``wrap``: elapsed seconds (None or empty when there are none)."""
        k = tables.instants
        # ``ring`` holds −P(live by t_k) beside +variance, so one running sum gives
        # [supply − demand | total variance].
        total = np.zeros(2 * k)
        if ringing is not None and ringing.size:
            total += _row_sums(tables.ring, ringing, 1.0 / tables.ring_step)
        if busy is not None and busy.size:
            total += _row_sums(tables.busy, busy, 1.0 / tables.agent_step)
        if wrap is not None and wrap.size:
            total += _row_sums(tables.wrap, wrap, 1.0 / tables.agent_step)
        gap = (answered_waiting - agents_free) - total[:k]
        return cls(gap, total[k:] + 1e-9)

    def expected_abandons(self, tables: CompactTables, counts: np.ndarray) -> np.ndarray:
        """max_k E[(A_k(n) − S_k)⁺] for each candidate n (normal approximation)."""
        column = counts[:, None]
        mean = column * tables.new_call
        mean += self.gap
        sd = column * tables.new_call_variance
        sd += self.variance
        np.sqrt(sd, out=sd)
        z = mean / sd
        # E[X⁺] = m·Φ(m/σ) + σ·φ(m/σ), in place (np.interp on a ψ table is slower).
        excess = special.ndtr(z)
        excess *= mean
        z *= z
        z *= -0.5
        np.exp(z, out=z)
        z *= sd
        z *= _INV_SQRT_2PI
        excess += z
        return excess.max(axis=1)

    def fluid_guess(self, tables: CompactTables) -> int:
        """Calls that make mean answers equal mean agents at the tightest instant."""
        # min_k (−gap_k ÷ G_k) = −max_k (gap_k ÷ G_k)
        tightest = float((self.gap * tables.inverse_profile).max())
        return max(0, int(-tightest)) if tightest < 0 else 0

    def largest_within(
        self, tables: CompactTables, threshold: float, cap: int
    ) -> tuple[int, float, float]:
        """Largest n ≤ cap whose last call's marginal abandons stay ≤ threshold.

        Returns (n, E[abandons](n), E[abandons](0)). E(n) is convex in n in the fluid
        limit, so the marginals rise with n: one evaluation of 0…8 nearly always settles
        it; otherwise the bracket moves up (towards the fluid guess) and widens.
        """
        # Most decisions add a handful of calls or none (the fluid guess, mean answers =
        # mean agents, is usually far above the threshold's answer): try 0…8 first, then
        # jump towards the fluid guess.
        guess = min(self.fluid_guess(tables), cap)
        low, high = 1, min(cap, 8)
        too_many = cap + 1  # the smallest n known to break the threshold
        base: float | None = None
        while low <= high:
            start = low - 1
            counts = (
                _FIRST_COUNTS[high] if start == 0 and high < len(_FIRST_COUNTS)
                else np.arange(start, high + 1, dtype=float)
            )
            if base is None and start > 0:
                counts = np.concatenate((_ZERO, counts))
            values = self.expected_abandons(tables, counts).tolist()
            if base is None:
                base = values[0]
            if start > 0 and counts[0] == 0.0:
                values = values[1:]
            # values[i] = E(start + i)
            for i in range(1, len(values)):
                if values[i] - values[i - 1] > threshold:
                    if i == 1 and start > 0:  # even the bracket's first call is too many
                        too_many, high, low = start + 1, start, max(1, start - 31)
                        break
                    return start + i - 1, values[i - 1], base
            else:
                if high >= cap or high + 1 >= too_many:
                    return high, values[-1], base
                low = high + 1
                high = min(cap, too_many - 1, max(high + 16, guess + 4))
        return 0, (base if base is not None else 0.0), (base if base is not None else 0.0)


_ZERO = np.zeros(1)
_FIRST_COUNTS = tuple(np.arange(0, high + 1, dtype=float) for high in range(9))
"""The first bracket's candidate counts 0…high (read only), built once."""
