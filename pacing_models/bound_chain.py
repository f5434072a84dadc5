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

import itertools
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


def _compositions(total_max: int, parts: int) -> list[tuple[int, ...]]:
    """Every tuple of ``parts`` counts ≥ 0 whose sum is at most ``total_max``."""
    return [c for c in itertools.product(range(total_max + 1), repeat=parts)
            if sum(c) <= total_max]


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


class BoundChain:
    """States and transitions of one ``BoundCell``; a state is (agents per handle phase,
    calls per ring phase, callers waiting), and callers wait only when no agent is free."""

    def __init__(self, cell: BoundCell) -> None:
        self.cell = cell
        agents = [a for a in _compositions(cell.agents, cell.handle_phases)]
        rings = _compositions(cell.max_ringing, cell.ring_phases)
        states: list[tuple[tuple[int, ...], tuple[int, ...], int]] = []
        for a in agents:
            waits = range(cell.max_waiting + 1) if sum(a) == cell.agents else range(1)
            states.extend((a, c, q) for c in rings for q in waits)
        self.states = states
        self.index = {s: i for i, s in enumerate(states)}

    def __len__(self) -> int:
        return len(self.states)

    def launched(self, state: int, calls: int) -> int | None:
        """The state after launching ``calls`` calls (hanging up −``calls`` of the last ring
        phase when negative), or None beyond ``max_ringing`` or below none."""
        a, c, q = self.states[state]
        if sum(c) + calls > self.cell.max_ringing:
            return None
        if calls < 0:
            if c[-1] + calls < 0:
                return None
            return self.index[(a, (*c[:-1], c[-1] + calls), q)]
        return self.index[(a, (c[0] + calls, *c[1:]), q)]

    def _events(self, state: tuple) -> list[tuple[float, tuple, float]]:
        """(rate, next state, abandons) of each event from a post-decision state."""
        cell = self.cell
        a, c, q = state
        out: list[tuple[float, tuple, float]] = []
        handle_rate = cell.handle_phases / cell.handle_mean
        for i, n in enumerate(a):
            if n == 0:
                continue
            nxt = list(a)
            nxt[i] -= 1
            if i + 1 < len(a):
                nxt[i + 1] += 1
                out.append((n * handle_rate, (tuple(nxt), c, q), 0.0))
            elif q > 0:
                nxt[0] += 1
                out.append((n * handle_rate, (tuple(nxt), c, q - 1), 0.0))
            else:
                out.append((n * handle_rate, (tuple(nxt), c, q), 0.0))
        ring_rate = cell.ring_phases / cell.answer_mean
        for j, n in enumerate(c):
            if n == 0:
                continue
            rest = list(c)
            rest[j] -= 1
            if j + 1 < len(c):
                rest[j + 1] += 1
                out.append((n * ring_rate, (a, tuple(rest), q), 0.0))
                continue
            out.append((n * ring_rate * (1.0 - cell.live_share), (a, tuple(rest), q), 0.0))
            live = n * ring_rate * cell.live_share
            if sum(a) < cell.agents:
                took = (a[0] + 1, *a[1:])
                out.append((live, (took, tuple(rest), q), 0.0))
            elif q < cell.max_waiting:
                out.append((live, (a, tuple(rest), q + 1), 0.0))
            else:
                out.append((live, (a, tuple(rest), q), 1.0))
        if q > 0:
            out.append((q / cell.wait_mean, (a, c, q - 1), 1.0))
        return out

    @cached_property
    def transitions(self) -> Transitions:
        """The chain uniformised at the largest total event rate of any state."""
        n = len(self.states)
        events = [self._events(s) for s in self.states]
        totals = np.array([sum(e[0] for e in ev) for ev in events])
        rate = float(totals.max()) * 1.0001 + 1e-12
        rows, cols, vals = [], [], []
        abandon = np.zeros(n)
        live = np.zeros(n)
        ring_rate = self.cell.ring_phases / self.cell.answer_mean
        for y, ev in enumerate(events):
            for r, z, abandons in ev:
                rows.append(y)
                cols.append(self.index[z])
                vals.append(r / rate)
                abandon[y] += r * abandons
            rows.append(y)
            cols.append(y)
            vals.append(1.0 - totals[y] / rate)
            live[y] = self.states[y][1][-1] * ring_rate * self.cell.live_share
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
        busy = np.array([sum(s[0]) for s in self.states], dtype=float)
        return Transitions(rate, matrix, busy, live, abandon)
