"""A pacing cell as a continuous-time Markov chain with a dial action (issue 16's bound).

Why: the pacing suite's small cells stay below their targets, and the measured evidence says
the missing information is which ringing calls answer next. Whether *any* policy that only
knows the past can do better is a question about an optimum, not about one more policy; this
module writes a cell as a controlled Markov chain so that ``pacing_models.bound`` can find
that optimum exactly by linear programming.

The chain (all holding times exponential or Erlang, so the state below is Markov):

* Agents: ``agents`` agents; an agent's handle time (talk + wrap-up: only when an agent frees
  matters to the future, and the share of the practical limit is the busy share, see
  ``pacing_models.bound``) is Erlang with ``handle_phases`` phases and mean ``handle_mean``.
  State: how many agents are in each phase.
* Ringing calls: each launched call rings an Erlang time with ``ring_phases`` phases and
  mean ``answer_mean``; when it ends it is a live answer with probability ``live_share``,
  else it ends unanswered (no answer, machine handled nowhere). The fate is hidden until
  then: a policy sees how many calls are in each ring phase, never which will answer — the
  information a real dialer has (a call's age), to the phase's granularity. State: calls
  per ring phase.
* A live answer takes a free agent at once; with none free it waits (state: how many wait)
  and leaves, abandoned, at rate 1 / ``wait_mean`` unless an agent frees first (the 2-s
  connect window and the person's patience as one exponential with their mean,
  E[min(window, patience)]). An agent who frees takes a waiting caller at once.
* Action, at every event: launch 0..``max_launch`` calls (they enter ring phase 1), or,
  with ``may_cancel``, hang up any number of the calls in the last ring phase (the oldest):
  the engine's shedding of late calls, granted at any age (the law allows it only after
  15 s of ringing, so granting it earlier can only raise the optimum).

Truncations (checked by ``pacing_models.bound``, which reports the optimum's mass on them):
at most ``max_ringing`` calls ring (launches beyond are not offered) and at most
``max_waiting`` callers wait (a live answer beyond them is abandoned).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse, stats

from pacing_models.errors import InvalidParameterError


@dataclass(frozen=True)
class BoundCell:
    """One cell's laws in the chain's terms (seconds, probabilities per tracked call)."""

    agents: int
    live_share: float
    """Probability that a tracked ringing call ends as a live answer (see ``suite_cell``)."""
    answer_mean: float
    ring_phases: int
    handle_mean: float
    handle_phases: int
    wait_mean: float
    abandon_limit: float = 0.03
    max_ringing: int = 30
    max_waiting: int = 3
    max_launch: int = 8
    may_cancel: bool = False

    def __post_init__(self) -> None:
        checks = {
            "agents": self.agents >= 1, "live_share": 0.0 < self.live_share <= 1.0,
            "answer_mean": self.answer_mean > 0, "ring_phases": self.ring_phases >= 1,
            "handle_mean": self.handle_mean > 0, "handle_phases": self.handle_phases >= 1,
            "wait_mean": self.wait_mean > 0, "abandon_limit": self.abandon_limit >= 0,
            "max_ringing": self.max_ringing >= 1, "max_waiting": self.max_waiting >= 0,
            "max_launch": self.max_launch >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise InvalidParameterError(f"BoundCell.{name}: out of range "
                                            f"({getattr(self, name)!r})")


def suite_cell(agents: int, live: float, talk: float, *, wrap: float = 15.0,
               busy: float = 0.05, answer_mean: float = 9.0, timeout: float = 25.0,
               window: float = 2.0, patience_mean: float = 5.0, ring_phases: int = 1,
               handle_phases: int = 1, **limits: int) -> BoundCell:
    """The pacing suite's cell (benchmarks/pacing_quality.py) in the chain's terms.

    Busy lines end at 4 s, before nearly every answer; the chain lets the policy know them
    at the dial instead (it knows more, so the optimum can only rise) and stops tracking
    them: a tracked call is live with probability live / (1 − busy). Answers the Erlang ring
    law would put after the ring timeout are no-answers, as in the simulator.
    """
    answered_in_time = stats.gamma.cdf(timeout, ring_phases, scale=answer_mean / ring_phases)
    wait_mean = patience_mean * (1.0 - math.exp(-window / patience_mean))
    return BoundCell(agents=agents, live_share=live * answered_in_time / (1.0 - busy),
                     answer_mean=answer_mean, ring_phases=ring_phases,
                     handle_mean=talk + wrap, handle_phases=handle_phases,
                     wait_mean=wait_mean, **limits)


def _composition_array(total_max: int, parts: int) -> np.ndarray:
    """Every tuple of ``parts`` counts ≥ 0 whose sum is at most ``total_max``, one row
    per tuple, in lexicographic order: each part's values are appended in ascending order
    under every row of the parts before it, so no product of all ``(total_max + 1) **
    parts`` tuples is ever built."""
    rows = np.zeros((1, 0), dtype=np.int64)
    for _ in range(parts):
        room = total_max - rows.sum(axis=1) + 1
        repeated = np.repeat(rows, room, axis=0)
        starts = np.repeat(np.cumsum(room) - room, room)
        rows = np.column_stack([repeated, np.arange(len(repeated)) - starts])
    return rows


@dataclass(frozen=True)
class Transitions:
    """The uniformised chain of post-decision states: ``matrix[y, z]`` is the probability
    that the next event (at rate ``rate``, fictitious events included) takes y to z; the
    per-state rates are what the LP averages."""

    rate: float
    matrix: sparse.csr_matrix
    busy_agents: np.ndarray
    live_answer_rate: np.ndarray
    abandon_rate: np.ndarray


def _ring_law(cell) -> tuple[np.ndarray, np.ndarray]:
    """(per-call rate of leaving each ring phase, probability that leaving it is a live
    answer — else the call moves to the next phase, or out of the last unanswered). A cell
    may bring its own law (``ring_law()``, e.g. ``pacing_models.bound_age.AgeCell``); a
    ``BoundCell``'s is the Erlang ring time whose end is a live answer with probability
    ``live_share``."""
    if hasattr(cell, "ring_law"):
        leave, answer = cell.ring_law()
        return np.asarray(leave, dtype=float), np.asarray(answer, dtype=float)
    leave = np.full(cell.ring_phases, cell.ring_phases / cell.answer_mean)
    answer = np.zeros(cell.ring_phases)
    answer[-1] = cell.live_share
    return leave, answer


class BoundChain:
    """States and transitions of one ``BoundCell``; a state is (agents per handle phase,
    calls per ring phase, callers waiting), and callers wait only when no agent is free.

    The states are enumerated with numpy as rows of counts (``counts``: agents per handle
    phase, calls per ring phase, callers waiting) and named by mixed-radix integers
    (``codes``, ascending, which is the lexicographic order of the tuples in ``states``), so
    a neighbour is found by adding to a code and searching the sorted codes: chains of
    millions of states take seconds, not hours."""

    def __init__(self, cell) -> None:
        self.cell = cell
        handle, ring = cell.handle_phases, cell.ring_phases
        agents = _composition_array(cell.agents, handle)
        rings = _composition_array(cell.max_ringing, ring)
        waits = np.where(agents.sum(axis=1) == cell.agents, cell.max_waiting + 1, 1)
        block = len(rings) * waits
        which = np.repeat(np.arange(len(agents)), block)
        place = np.arange(int(block.sum())) - np.repeat(np.cumsum(block) - block, block)
        counts = np.column_stack([agents[which], rings[place // waits[which]],
                                  place % waits[which]])
        radix = np.array([cell.agents + 1] * handle + [cell.max_ringing + 1] * ring
                         + [cell.max_waiting + 1], dtype=np.int64)
        if float(np.prod(radix.astype(float))) >= 2.0 ** 62:
            raise InvalidParameterError("BoundChain: too many phases to name the states")
        weights = np.ones(len(radix), dtype=np.int64)
        for i in range(len(radix) - 2, -1, -1):
            weights[i] = weights[i + 1] * radix[i + 1]
        self.counts = counts.astype(np.int32)
        self.codes = counts @ weights
        self.weights = weights
        self.busy = counts[:, :handle].sum(axis=1)
        self.ringing = counts[:, handle:handle + ring].sum(axis=1)
        self.last_ringing = counts[:, handle + ring - 1]
        self.waiting = counts[:, -1]

    def __len__(self) -> int:
        return len(self.codes)

    @cached_property
    def states(self) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
        """The states as (agents per handle phase, calls per ring phase, waiting) tuples
        (built on first use: millions of tuples cost memory the solvers do not need)."""
        handle, ring = self.cell.handle_phases, self.cell.ring_phases
        return [(tuple(row[:handle]), tuple(row[handle:handle + ring]), int(row[-1]))
                for row in self.counts.tolist()]

    @cached_property
    def index(self) -> dict[tuple, int]:
        """State tuple → its number (built on first use, as ``states``)."""
        return {s: i for i, s in enumerate(self.states)}

    def _find(self, codes: np.ndarray) -> np.ndarray:
        """The numbers of the states named by ``codes``, which must all be states."""
        found = np.searchsorted(self.codes, codes)
        if len(codes) and (found.max() >= len(self.codes)
                           or not np.array_equal(self.codes[found], codes)):
            raise AssertionError("BoundChain: a transition leaves the state space")
        return found

    def launch_targets(self, calls: int) -> np.ndarray:
        """For every state, the state after launching ``calls`` calls (hanging up −``calls``
        of the last ring phase when negative), −1 where ``launched`` says None."""
        handle = self.cell.handle_phases
        if calls < 0:
            ok = self.last_ringing + calls >= 0
            step = calls * self.weights[handle + self.cell.ring_phases - 1]
        else:
            ok = self.ringing + calls <= self.cell.max_ringing
            step = calls * self.weights[handle]
        out = np.full(len(self), -1, dtype=np.int64)
        out[ok] = self._find(self.codes[ok] + step)
        return out

    def launched(self, state: int, calls: int) -> int | None:
        """The state after launching ``calls`` calls (hanging up −``calls`` of the last ring
        phase when negative), or None beyond ``max_ringing`` or below none."""
        handle = self.cell.handle_phases
        if self.ringing[state] + calls > self.cell.max_ringing:
            return None
        if calls < 0:
            if self.last_ringing[state] + calls < 0:
                return None
            step = calls * self.weights[handle + self.cell.ring_phases - 1]
        else:
            step = calls * self.weights[handle]
        return int(self._find(np.array([self.codes[state] + step]))[0])

    def _events(self) -> list[tuple[np.ndarray, np.ndarray, bool | np.ndarray]]:
        """(rate per state, code step per state, abandons) of each kind of event from a
        post-decision state; abandons is a per-state mask or a constant."""
        cell = self.cell
        handle, ring = cell.handle_phases, cell.ring_phases
        counts, w = self.counts, self.weights
        w_q = w[-1]
        q = self.waiting
        out: list[tuple[np.ndarray, np.ndarray, bool | np.ndarray]] = []
        handle_rate = handle / cell.handle_mean
        for i in range(handle):
            rate = counts[:, i] * handle_rate
            if i + 1 < handle:
                step = np.full(len(self), w[i + 1] - w[i])
            else:
                step = np.where(q > 0, w[0] - w[i] - w_q, -w[i])
            out.append((rate, step, False))
        leave, answer = _ring_law(cell)
        full = self.busy == cell.agents
        lost = full & (q >= cell.max_waiting)
        for j in range(ring):
            # (n · rate) · share, in this order: the rates of the pure-Python enumeration
            # this replaced, to the last bit (the LP's optimum moved by 2e-6 on 1e-16).
            leaving = counts[:, handle + j] * leave[j]
            here = w[handle + j]
            nxt = w[handle + j + 1] if j + 1 < ring else 0
            out.append((leaving * (1.0 - answer[j]), np.full(len(self), nxt - here), False))
            step = np.where(~full, w[0] - here, np.where(lost, -here, w_q - here))
            out.append((leaving * answer[j], step, lost))
        out.append((q / cell.wait_mean, np.full(len(self), -w_q), True))
        return out

    @cached_property
    def transitions(self) -> Transitions:
        """The chain uniformised at the largest total event rate of any state."""
        n = len(self)
        events = self._events()
        totals = np.zeros(n)
        for rate, _, _ in events:
            totals += rate
        rate = float(totals.max()) * 1.0001 + 1e-12
        rows, cols, vals = [], [], []
        abandon = np.zeros(n)
        for r, step, abandons in events:
            where = np.flatnonzero(r > 0)
            rows.append(where)
            cols.append(self._find(self.codes[where] + step[where]))
            vals.append(r[where] / rate)
            abandon += r * abandons
        rows.append(np.arange(n))
        cols.append(np.arange(n))
        vals.append(1.0 - totals / rate)
        matrix = sparse.csr_matrix((np.concatenate(vals),
                                    (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(n, n))
        leave, answer = _ring_law(self.cell)
        handle = self.cell.handle_phases
        live = np.zeros(n)
        for j in range(self.cell.ring_phases):
            live += self.counts[:, handle + j] * leave[j] * answer[j]
        return Transitions(rate, matrix, self.busy.astype(float), live, abandon)
