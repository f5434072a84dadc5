"""Per-decision forecast: will a person who answers find an agent within the connect window?

At whole seconds t_k = 1, 2, … s after now (up to the ring timeout):

* demand A_k = live answers by t_k: each ringing call with P(live answer by t_k | still
  ringing after its elapsed ring time), each call answered and awaiting AMD's verdict with
  P(needs an agent by t_k | awaiting it since its answer) (its own group: far likelier than
  a ringing call's), plus the calls answered and already waiting, plus n·G_k for n calls
  dialed now (G the profile of a fresh dial);
* supply S_k = agents free by t_k + w, w the effective connect window (the window itself,
  or E[min(window, patience)] when a patience law is given): free now, each agent on a call
  with P(residual talk + wrap-up ≤ t | elapsed), each agent in wrap-up with P(residual wrap
  ≤ t | elapsed).

In a first-come deadline queue the abandons of the horizon are sup_k (A_k − S_k)⁺ (the
reflection of the arrival-minus-service path; Mandelbaum & Zeltyn 2004 for the deadline view).
Both sides are Poisson-binomial sums, taken as normal, with E[X⁺] = m·Φ(m/σ) + σ·φ(m/σ),
and E[abandons](n) ≈ max_k E[(A_k(0) − S_k)⁺] + max_k (E[(A_k(n) − S_k)⁺] − E[(A_k(0) −
S_k)⁺]): the abandons already due, plus what the n new calls add where they add most (a
single max of the totals hid the new calls' share behind an early shortage they cannot
reach; ``_abandons``). The marginal call's expected abandons
E(n) − E(n − 1), divided by its live-answer probability, is the probability that the
person it reaches is abandoned (including the person it displaces); the policy dials while
that stays under its threshold.

Cost: the sums and the search are compiled loops (numba), so a decision is a few
microseconds whatever the campaign size: one pass over the items in progress (rows of ~50
floats), then E(n) at ~25 instants for the few n the search visits. In numpy the same work
was ~15 array calls of small arrays, ~40 µs of call overhead at every decision, which made
the pacing model, not the engine, the cost of a long simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


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
    live_answer: float
    """P(a call dialed now ends in a live answer at all)."""
    ring_step: float
    agent_step: float
    packed: np.ndarray = None  # type: ignore[assignment]
    """ring, verdict, busy and wrap rows stacked, then [new_call | new_call_variance]: one
    array for the compiled decision (each array argument costs a compiled call ~0.3 µs to
    check)."""
    verdict: np.ndarray = None  # type: ignore[assignment]
    """Rows: time since the answer on ``ring_step`` grid, for calls awaiting AMD's verdict;
    −P(needs an agent by t_k | no verdict yet) beside its variance (one row of zeros when
    not given: no AMD)."""
    shape: tuple[int, int, int, int, float, float] = field(init=False, default=(0, 0, 0, 0,
                                                                                 1.0, 1.0))
    """(ring, verdict, busy, wrap rows, 1 ÷ ring_step, 1 ÷ agent_step): what ``plan`` passes
    beside ``packed``, read once here instead of at every decision."""

    def __post_init__(self) -> None:
        if self.verdict is None:
            object.__setattr__(self, "verdict", np.zeros((1, self.ring.shape[1])))
        if self.packed is None:
            profile = np.concatenate((self.new_call, self.new_call_variance))[None, :]
            object.__setattr__(self, "packed", np.ascontiguousarray(
                np.vstack((self.ring, self.verdict, self.busy, self.wrap, profile))))
        object.__setattr__(self, "shape", (
            self.ring.shape[0], self.verdict.shape[0], self.busy.shape[0],
            self.wrap.shape[0], 1.0 / self.ring_step, 1.0 / self.agent_step))

    @property
    def instants(self) -> int:
        return self.new_call.size


# The compiled kernels are cached beside this file (``cache=True``): a new process loads
# them in milliseconds instead of compiling for ~1 s.


@njit(cache=True, nogil=True)
def _add_rows(total: np.ndarray, packed: np.ndarray, first_row: int, rows: int,
              elapsed: np.ndarray, start: int, stop: int, inverse_step: float,
              now: float, since: bool) -> None:
    """total += Σ over items start…stop−1 of the row for the item's elapsed time, in the
    table of ``rows`` rows from ``first_row`` of ``packed``.

    ``since``: ``elapsed`` holds start instants, and the elapsed time is ``now − start``
    (the double a caller computing it first would pass). Rows clamp at the table's last
    (an activity older than the table has its last row's odds).
    """
    last = rows - 1
    width = packed.shape[1]
    for item in range(start, stop):
        row = int(((now - elapsed[item]) if since else elapsed[item]) * inverse_step)
        if row > last:
            row = last
        elif row < 0:  # a clock step backwards: the item has just started
            row = 0
        row += first_row
        for column in range(width):
            total[column] += packed[row, column]


@njit(cache=True, nogil=True)
def count_above(elapsed: np.ndarray, start: int, stop: int, limit: float) -> int:
    """How many of elapsed[start:stop] exceed ``limit``."""
    count = 0
    for item in range(start, stop):
        if elapsed[item] > limit:
            count += 1
    return count


@njit(cache=True, nogil=True)
def _gap_and_variance(packed: np.ndarray, ring_rows: int, verdict_rows: int, busy_rows: int,
                      wrap_rows: int, elapsed: np.ndarray, ringing_end: int,
                      verdict_end: int, busy_end: int, ring_inverse_step: float,
                      agent_inverse_step: float,
                      offset: float) -> tuple[np.ndarray, np.ndarray]:
    """(answers − agents) mean and variance at each instant, before any new call.

    ``elapsed``: the ringing calls, the calls awaiting AMD's verdict, the agents on a call,
    the agents in wrap-up. ``offset``: answered and waiting − agents free now (certain
    terms, no variance).
    """
    return _gap_and_variance_at(packed, ring_rows, verdict_rows, busy_rows, wrap_rows,
                                elapsed, ringing_end, verdict_end, busy_end,
                                ring_inverse_step, agent_inverse_step, offset, 0.0, False)


@njit(cache=True, nogil=True)
def _gap_and_variance_at(packed: np.ndarray, ring_rows: int, verdict_rows: int,
                         busy_rows: int, wrap_rows: int, elapsed: np.ndarray,
                         ringing_end: int, verdict_end: int, busy_end: int,
                         ring_inverse_step: float, agent_inverse_step: float, offset: float,
                         now: float, since: bool) -> tuple[np.ndarray, np.ndarray]:
    """``_gap_and_variance``; with ``since``, ``elapsed`` holds start instants (``_add_rows``)."""
    total = np.zeros(packed.shape[1])
    _add_rows(total, packed, 0, ring_rows, elapsed, 0, ringing_end, ring_inverse_step,
              now, since)
    _add_rows(total, packed, ring_rows, verdict_rows, elapsed, ringing_end, verdict_end,
              ring_inverse_step, now, since)
    first = ring_rows + verdict_rows
    _add_rows(total, packed, first, busy_rows, elapsed, verdict_end, busy_end,
              agent_inverse_step, now, since)
    _add_rows(total, packed, first + busy_rows, wrap_rows, elapsed, busy_end,
              elapsed.shape[0], agent_inverse_step, now, since)
    k = total.shape[0] // 2
    gap = np.empty(k)
    variance = np.empty(k)
    for i in range(k):
        gap[i] = offset - total[i]
        variance[i] = total[k + i] + 1e-9
    return gap, variance


@njit(cache=True, nogil=True)
def _excess(mean: float, sd: float) -> float:
    """E[X⁺] of a normal X (mean, sd): m·Φ(m/σ) + σ·φ(m/σ)."""
    z = mean / sd
    return mean * 0.5 * math.erfc(-z * _INV_SQRT_2) + sd * _INV_SQRT_2PI * math.exp(
        -0.5 * z * z)


@njit(cache=True, nogil=True)
def _base_excess(gap: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """E[(A_k − S_k)⁺] at each instant before any new call."""
    base = np.empty(gap.shape[0])
    for k in range(gap.shape[0]):
        base[k] = _excess(gap[k], math.sqrt(variance[k]))
    return base


@njit(cache=True, nogil=True)
def _abandons(gap: np.ndarray, variance: np.ndarray, profile: np.ndarray,
              profile_variance: np.ndarray, n: float, base: np.ndarray) -> float:
    """E(n) = max_k E[(A_k(0) − S_k)⁺] + max_k (E[(A_k(n) − S_k)⁺] − E[(A_k(0) − S_k)⁺]).

    The abandons already due (the first max) plus those the n new calls add at the instant
    where they add most (normal approximation at each instant). A single max over instants
    of the total, E[(A_k(n) − S_k)⁺], hid the new calls' abandons whenever an early instant
    already had a shortage: the new calls reach agents seconds later, add nothing there,
    and their marginal read 0 until a later instant overtook the early one, so the policy
    dialed dozens of calls at once with no agent free (docs/pacing.md, "Why predictive
    talked so little with AMD", cause 3). Each instant's increase is convex in n, so their
    max is, and the marginals still rise with n.
    """
    due = 0.0
    added = 0.0
    for k in range(gap.shape[0]):
        if base[k] > due:
            due = base[k]
        if n > 0.0:
            # ``_excess`` written out, its ``erfc`` skipped where it cannot change the max:
            # with a mean ≤ 0 the first term m·Φ(z) is ≤ 0 (a non-positive double times a
            # non-negative one), so the sum is ≤ the second term σ·φ(z) as rounded, and so
            # is its increase over ``base[k]`` (rounding is monotone). Where that bound does
            # not beat ``added``, neither does the increase: the same max, bit for bit, with
            # one ``erfc`` less for 52 % of the instants a simulated day's searches visit
            # (tests/pacing_models/test_forecast_kernel.py compares it with the whole sum).
            mean = gap[k] + n * profile[k]
            sd = math.sqrt(variance[k] + n * profile_variance[k])
            z = mean / sd
            tail = sd * _INV_SQRT_2PI * math.exp(-0.5 * z * z)
            if mean <= 0.0 and tail - base[k] <= added:
                continue
            more = (mean * 0.5 * math.erfc(-z * _INV_SQRT_2) + tail) - base[k]
            if more > added:
                added = more
    return due + added


@njit(cache=True, nogil=True)
def _largest_within(gap: np.ndarray, variance: np.ndarray, profile: np.ndarray,
                    profile_variance: np.ndarray, threshold: float,
                    cap: int) -> tuple[int, float, float]:
    """Largest n ≤ cap whose last call adds ≤ threshold expected abandons.

    E(n) is convex in n in the fluid limit, so the marginals rise with n: a step-by-step
    scan over the first calls (most decisions add a handful or none), then doubling and
    bisection for the rare large counts (a shift's start, a low answer rate).
    """
    excess = _base_excess(gap, variance)
    base = _abandons(gap, variance, profile, profile_variance, 0.0, excess)
    previous = base
    n = 0
    while n < cap and n < 8:
        value = _abandons(gap, variance, profile, profile_variance, n + 1.0, excess)
        if value - previous > threshold:
            return n, previous, base
        n += 1
        previous = value
    if n >= cap:
        return n, previous, base
    # Gallop: the marginal at n + step, doubling the step until one breaks the threshold.
    good = n  # marginals up to here stay under the threshold
    step = 8
    bad = cap + 1
    while True:
        probe = min(good + step, cap)
        before = _abandons(gap, variance, profile, profile_variance, probe - 1.0, excess)
        after = _abandons(gap, variance, profile, profile_variance, float(probe), excess)
        if after - before > threshold:
            bad = probe
            break
        good = probe
        if good >= cap:
            return good, after, base
        step *= 2
    # Bisect (good, bad): the marginal at good is under the threshold, at bad it is over.
    while bad - good > 1:
        middle = (good + bad) // 2
        before = _abandons(gap, variance, profile, profile_variance, middle - 1.0, excess)
        after = _abandons(gap, variance, profile, profile_variance, float(middle), excess)
        if after - before > threshold:
            bad = middle
        else:
            good = middle
    return good, _abandons(gap, variance, profile, profile_variance, float(good), excess), base


@njit(cache=True, nogil=True)
def _plan(packed: np.ndarray, ring_rows: int, verdict_rows: int, busy_rows: int,
          wrap_rows: int, elapsed: np.ndarray, ringing_end: int, verdict_end: int,
          busy_end: int, ring_inverse_step: float, agent_inverse_step: float, offset: float,
          threshold: float, cap: int) -> tuple[int, float, float]:
    """The whole decision in one compiled call: the forecast, then the search."""
    gap, variance = _gap_and_variance(
        packed, ring_rows, verdict_rows, busy_rows, wrap_rows, elapsed, ringing_end,
        verdict_end, busy_end, ring_inverse_step, agent_inverse_step, offset)
    k = gap.shape[0]
    profile_row = packed[packed.shape[0] - 1]
    return _largest_within(gap, variance, profile_row[:k], profile_row[k:], threshold, cap)


def plan(tables: CompactTables, agents_free: int, answered_waiting: int, elapsed: np.ndarray,
         ringing: int, busy: int, threshold: float, cap: int,
         verdicts: int = 0) -> tuple[int, float, float]:
    """``Forecast.build`` then ``largest_within``, fused: (n, E[abandons](n), E(0)).

    ``elapsed``: seconds, the ``ringing`` calls first (since their dial), then the
    ``verdicts`` calls awaiting AMD's verdict (since their answer), then the ``busy``
    agents on a call, then the agents in wrap-up.
    """
    verdict_end = ringing + verdicts
    ring_rows, verdict_rows, busy_rows, wrap_rows, ring_inverse, agent_inverse = tables.shape
    return _plan(
        tables.packed, ring_rows, verdict_rows, busy_rows, wrap_rows, elapsed, ringing,
        verdict_end, verdict_end + busy, ring_inverse, agent_inverse,
        float(answered_waiting - agents_free), float(threshold), int(cap),
    )


@njit(cache=True, nogil=True)
def _plan_since(packed: np.ndarray, ring_rows: int, verdict_rows: int, busy_rows: int,
                wrap_rows: int, packed_starts: bytes, ringing_end: int, verdict_end: int,
                busy_end: int, ring_inverse_step: float, agent_inverse_step: float,
                offset: float, threshold: float, cap: int, now: float,
                talk_limit: float) -> tuple[int, int, float, float]:
    """``_plan`` from start instants (``packed_starts``: native doubles, read in place), and
    first how many agents on a call have talked longer than ``talk_limit``: (that count, n,
    E(n), E(0)). One compiled call per decision instead of two, and no array of elapsed
    times built beforehand (nor the array view: numba reads the bytes, ~1 µs less than
    ``np.frombuffer`` and an array argument)."""
    started = np.frombuffer(packed_starts, dtype=np.float64)
    above = 0
    for item in range(verdict_end, busy_end):
        if now - started[item] > talk_limit:
            above += 1
    gap, variance = _gap_and_variance_at(
        packed, ring_rows, verdict_rows, busy_rows, wrap_rows, started, ringing_end,
        verdict_end, busy_end, ring_inverse_step, agent_inverse_step, offset, now, True)
    k = gap.shape[0]
    profile_row = packed[packed.shape[0] - 1]
    n, chosen, base = _largest_within(gap, variance, profile_row[:k], profile_row[k:],
                                      threshold, cap)
    return above, n, chosen, base


def plan_since(tables: CompactTables, agents_free: int, answered_waiting: int,
               started: bytes, now: float, ringing: int, busy: int, threshold: float,
               cap: int, verdicts: int, talk_limit: float) -> tuple[int, int, float, float]:
    """``plan`` from the start instants of the items in progress (``elapsed`` = ``now`` −
    ``started``, the same doubles; ``started``: native doubles packed in ``bytes``, as
    ``PacingState.in_progress_started``), fused with ``count_above`` over the agents on a
    call: (agents on a call longer than ``talk_limit``, n, E[abandons](n), E(0))."""
    verdict_end = ringing + verdicts
    ring_rows, verdict_rows, busy_rows, wrap_rows, ring_inverse, agent_inverse = tables.shape
    return _plan_since(
        tables.packed, ring_rows, verdict_rows, busy_rows, wrap_rows, started, ringing,
        verdict_end, verdict_end + busy, ring_inverse, agent_inverse,
        float(answered_waiting - agents_free), float(threshold), int(cap), float(now),
        float(talk_limit),
    )


@dataclass(frozen=True, slots=True)
class Forecast:
    """Mean and variance of (answers − agents) at each instant, before any new call."""

    gap: np.ndarray
    variance: np.ndarray

    @classmethod
    def build(
        cls, tables: CompactTables, agents_free: int, answered_waiting: int,
        elapsed: np.ndarray, ringing: int, busy: int, verdicts: int = 0,
    ) -> Forecast:
        """``elapsed``: seconds, the ``ringing`` calls first, then the ``verdicts`` calls
        awaiting AMD's verdict, then the ``busy`` agents on a call, then the agents in
        wrap-up (one float64 array, so one pass reads it)."""
        # ``ring`` holds −P(live by t_k) beside +variance, so one running sum gives
        # [supply − demand | total variance].
        verdict_end = ringing + verdicts
        gap, variance = _gap_and_variance(
            tables.packed, tables.ring.shape[0], tables.verdict.shape[0],
            tables.busy.shape[0], tables.wrap.shape[0], elapsed, ringing, verdict_end,
            verdict_end + busy, 1.0 / tables.ring_step, 1.0 / tables.agent_step,
            float(answered_waiting - agents_free),
        )
        return cls(gap, variance)

    def expected_abandons(self, tables: CompactTables, calls: float) -> float:
        """E(n) if ``calls`` are dialed now (``_abandons``; normal approximation)."""
        return _abandons(self.gap, self.variance, tables.new_call, tables.new_call_variance,
                         float(calls), _base_excess(self.gap, self.variance))

    def largest_within(
        self, tables: CompactTables, threshold: float, cap: int
    ) -> tuple[int, float, float]:
        """Largest n ≤ cap whose last call's marginal abandons stay ≤ threshold.

        Returns (n, E[abandons](n), E[abandons](0)).
        """
        return _largest_within(self.gap, self.variance, tables.new_call,
                               tables.new_call_variance, float(threshold), int(cap))


def warm_up() -> None:
    """Compile the kernels now, or load them from the cache (~0.5 s, 3 s the first time).

    Called when a predictive policy is built, so the cost falls before the campaign dials:
    the first model decision comes minutes into a shift, with calls in flight, and a live
    event loop stalled for a compile would leave answered people without an agent. Once
    loaded, a call costs microseconds.
    """
    rows = np.zeros((1, 2))
    tables = CompactTables(rows, rows, rows, np.zeros(1), np.zeros(1), 0.0, 1.0, 1.0)
    elapsed = np.zeros(3)
    # Only what ``decide`` calls: ``Forecast`` (tests, analysis) compiles on its first use.
    plan(tables, 1, 0, elapsed, 1, 1, 0.1, 10)
    count_above(elapsed, 0, 3, 1.0)
    plan_since(tables, 1, 0, elapsed.tobytes(), 5.0, 1, 1, 0.1, 10, 0, 1.0)

