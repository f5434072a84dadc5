"""Blending: the agents outbound pacing leaves to the inbound queues.

The same agents take outbound calls and the calls of the queues they serve. Pacing decides
how many outbound calls to launch from the agents it expects to be free; if it counted every
agent, inbound callers would find them all busy with the outbound calls it dialed for them.
So, for every queue whose blending is ``inbound_first``:

- the arrival rate is learnt online, per queue and hour of the day (``ArrivalRates``): the
  mean of that hour on the previous days, and the rate of the last 15 minutes, whichever is
  larger (a surge is seen within minutes; a quiet start of an hour that is busy on other
  days does not lower the reserve);
- the queue needs ``n`` agents to meet its service-level target at that rate and its
  measured handle time: Erlang C, or Erlang A once callers have been seen to give up
  (pacing_models.staffing, the same inverse the staffing command uses);
- the agents on that queue's calls already count towards ``n``; the rest of it (``n`` minus
  those) is the reserve: pacing is shown that many fewer free agents, and when fewer are
  free than the reserve, the agents closest to freeing up are left out of its forecast too
  (they will take the queue's next callers).

This is the dedicated-capacity reading of the target: the queues get, at least, what Erlang
says they need; any agent freeing up serves a waiting caller before anything is dialed for it.
The policy sees a smaller pool (``PacingState.agents_reserved`` says by how much) and needs no
change of its own.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace

from pacing_models.errors import PacingError
from pacing_models.interface import PacingState
from pacing_models.staffing import Goal, Model, StaffingQuestion, agents_needed

RECENT = 900.0
"""Seconds of arrivals the recent rate is measured over (15 minutes)."""
_DAY_WEIGHT = 0.3
"""Weight of the newest day in an hour's running mean (about the last week)."""


def utc_hour(at: float) -> int:
    return int(at // 3600.0) % 24


class ArrivalRates:
    """One queue's arrivals, learnt per hour of the day and over the last 15 minutes."""

    __slots__ = ("_count", "_current", "_hour_of", "by_hour", "recent")

    def __init__(self, hour_of: Callable[[float], int] = utc_hour) -> None:
        self._hour_of = hour_of
        self.by_hour: dict[int, float] = {}
        """Hour of the day → calls in that hour, running mean over the days seen."""
        self.recent: deque[float] = deque()
        self._current: int | None = None
        """The hour being counted (hours since the clock's epoch)."""
        self._count = 0

    def observe(self, at: float) -> None:
        self._roll(at)
        self._count += 1
        recent = self.recent
        recent.append(at)
        while recent[0] < at - RECENT:
            recent.popleft()

    def _roll(self, at: float) -> None:
        absolute = int(at // 3600.0)
        current = self._current
        if current == absolute:
            return
        if current is not None:
            # The hour that ended joins its hour-of-day's mean, and so does every hour
            # that passed without a call (at most a day of them).
            self._fold(current, self._count)
            for quiet in range(current + 1, min(absolute, current + 25)):
                self._fold(quiet, 0)
        self._current = absolute
        self._count = 0

    def _fold(self, absolute: int, calls: int) -> None:
        hour = self._hour_of(absolute * 3600.0)
        mean = self.by_hour.get(hour)
        self.by_hour[hour] = float(calls) if mean is None else mean + _DAY_WEIGHT * (
            calls - mean)

    def per_hour(self, at: float) -> float:
        """Calls per hour expected now."""
        recent = self.recent
        while recent and recent[0] < at - RECENT:
            recent.popleft()
        measured = len(recent) * 3600.0 / RECENT
        usual = self.by_hour.get(self._hour_of(at))
        return measured if usual is None else max(usual, measured)


class BlendReserve:
    """The agents kept from outbound pacing for the queues' service levels."""

    def __init__(self) -> None:
        self._cache: dict[tuple[float, float, float | None, float, float], int] = {}

    @staticmethod
    def burst(per_hour: float, target: float, within: float) -> int:
        """Idle agents that take, with probability ``target``, every caller arriving within
        ``within`` seconds (the Poisson quantile of the arrivals in that time)."""
        from scipy.stats import poisson

        mean = per_hour * within / 3600.0
        return int(poisson.ppf(target, mean)) if mean > 0 else 0

    def needed(self, per_hour: float, handle_time: float, patience: float | None,
               target: float, within: float) -> int:
        """Agents a queue needs at ``per_hour`` calls (Erlang C, or A with patience)."""
        if per_hour <= 0.0:
            return 0
        # Rounded keys: the answer changes by whole agents, the inputs drift continuously.
        key = (round(per_hour, 1), round(handle_time), None if patience is None else
               round(patience), target, within)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        traffic = per_hour * handle_time / 3600.0
        model = Model.C if patience is None else Model.A
        question = StaffingQuestion(model, Goal.SERVICE_LEVEL, target, handle_time, within,
                                    patience)
        try:
            agents = agents_needed(question, traffic)
        except PacingError:
            agents = math.ceil(traffic) + 1
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = agents
        return agents


def apply_reserve(state: PacingState, reserve: int) -> PacingState:
    """``state`` as pacing should see it with ``reserve`` agents kept for the queues (without
    the packed ``in_progress_started``, which would still count the agents left out)."""
    if reserve <= 0:
        return state
    free = state.agents_free
    keep_free = min(free, reserve)
    deficit = reserve - keep_free
    busy, wrap = state.busy_elapsed, state.wrap_elapsed
    if deficit:
        # The agents closest to freeing up take the queues' next callers: leave out those
        # in wrap-up longest, then those on a call longest.
        wrap_out = min(deficit, len(wrap))
        wrap = tuple(sorted(wrap)[:len(wrap) - wrap_out])
        busy_out = min(deficit - wrap_out, len(busy))
        busy = tuple(sorted(busy)[:len(busy) - busy_out])
    return replace(state, agents_free=free - keep_free, busy_elapsed=busy, wrap_elapsed=wrap,
                   free_elapsed=tuple(sorted(state.free_elapsed)[keep_free:])
                   if state.free_elapsed else (),
                   agents_reserved=reserve, in_progress_started=b"", in_progress_counts=None)


def total_reserve(needs: Iterable[tuple[int, int]]) -> int:
    """Sum over queues of (agents needed − agents on its calls), each at least 0."""
    return sum(max(0, need - busy) for need, busy in needs)
