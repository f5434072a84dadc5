"""Which switch a new outbound call goes to, when a campaign spans several FreeSWITCH nodes.

An answered call can only be bridged to an agent on its own switch (``uuid_bridge`` joins
two channels of one node), so each switch is its own pool of agents. Pacing still decides
the total number of calls to launch on the campaign's pooled counts; this module spreads
that total so that the answers land where agents will be free.

For each up switch ``s``, at the moment of the decision:

    capacity(s) = free(s) + q · engaged(s)
    demand(s)   = p · ringing(s) + waiting(s)

``free`` agents are ready now; ``engaged`` ones are reserved, on a call or in wrap-up, and
each frees up before a call dialed now is answered with probability
``q = 1 − exp(−T / H)`` (exponential handle time ``H`` and time to answer ``T``);
``ringing`` calls each bring ``p`` answers (the live-answer rate); ``waiting`` calls are
answered and already need an agent. Each new call goes to the switch whose load after
adding it, ``(demand + p) / capacity``, is lowest; then its demand grows by ``p``.

Why a ratio and not the difference ``capacity − demand``: under predictive pacing every
pool is overdialled on purpose (demand above capacity), and the difference would then steer
calls to the switch with the least negative spare, which is the *smallest* pool (a switch
with no agents has spare 0, better than any overdialled pool). The ratio keeps answers
proportional to capacity, i.e. the same expected occupancy on every switch, and never sends
a call to a switch with no capacity while another has some. With no capacity anywhere
(nobody logged in, a fixed-ratio test), calls go round robin over the up switches.

``p``, ``T`` and ``H`` are the engine's own running estimates (exponentially forgotten,
starting from priors), fed with the same outcomes the pacing policy observes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dialer.commands import AgentState
from dialer.engine.agents import Agent
from dialer.engine.calls import Call
from dialer.engine.work_lines import Lane

_ENGAGED = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
_FORGET = 0.999
"""Weight kept by past observations at each new one (memory of about 1,000 outcomes)."""


class SwitchPlacement:
    """Running estimates and the per-decision plan that spreads calls over switches."""

    __slots__ = ("_answer_seconds", "_answers", "_attempts", "_handle_seconds", "_handles")

    def __init__(self) -> None:
        # Priors, each worth one observation: a live answer in four attempts, ten seconds
        # to answer, two minutes of talk and wrap-up.
        self._attempts = 4.0
        self._answers = 1.0
        self._answer_seconds = 10.0
        self._handles = 1.0
        self._handle_seconds = 120.0

    @property
    def live_answer_rate(self) -> float:
        return self._answers / self._attempts

    @property
    def free_up_probability(self) -> float:
        """Chance that an engaged agent frees up before a call dialed now is answered."""
        time_to_answer = self._answer_seconds / self._answers
        handle = self._handle_seconds / self._handles
        return 1.0 - math.exp(-time_to_answer / handle) if handle > 0 else 1.0

    def observe_attempt(self, live: bool, ring_seconds: float | None) -> None:
        """An outbound attempt resolved: answered by a person (with its ring time) or not."""
        self._attempts = self._attempts * _FORGET + 1.0
        if live:
            self._answers = self._answers * _FORGET + 1.0
            self._answer_seconds = self._answer_seconds * _FORGET + max(ring_seconds or 0.0, 0.0)
        else:
            self._answers *= _FORGET
            self._answer_seconds *= _FORGET

    def observe_handle(self, seconds: float) -> None:
        self._handles = self._handles * _FORGET + 1.0
        self._handle_seconds = self._handle_seconds * _FORGET + max(seconds, 0.0)

    def plan(
        self, up: Sequence[str], lanes: Mapping[str, Lane], agents: Mapping[str, Agent],
        calls: Mapping[str, Call], dialing: Mapping[str, float],
    ) -> SwitchPlan:
        """Capacity and demand of each up switch now (O(agents + ringing calls))."""
        p = self.live_answer_rate
        q = self.free_up_probability
        index = {switch_id: i for i, switch_id in enumerate(up)}
        capacity = [0.0] * len(up)
        demand = [0.0] * len(up)
        for agent in agents.values():
            i = index.get(agent.switch_id)
            if i is not None:
                if agent.state is AgentState.READY:
                    capacity[i] += 1.0
                elif agent.state in _ENGAGED:
                    capacity[i] += q
        for call_id in dialing:
            i = index.get(calls[call_id].switch_id)
            if i is not None:
                demand[i] += p
        for switch_id, i in index.items():
            lane = lanes.get(switch_id)
            if lane is not None:
                demand[i] += sum(1 for work in lane.outbound if not work.cancelled)
        return SwitchPlan(tuple(up), capacity, demand, p)


class SwitchPlan:
    """One pacing decision's placement: ``best()`` for each call, ``placed()`` once dialed."""

    __slots__ = ("capacity", "demand", "live_answer_rate", "switch_ids")

    def __init__(
        self, switch_ids: tuple[str, ...], capacity: list[float], demand: list[float],
        live_answer_rate: float,
    ) -> None:
        self.switch_ids = switch_ids
        self.capacity = capacity
        self.demand = demand
        self.live_answer_rate = live_answer_rate

    def best(self) -> str | None:
        """The up switch with the lowest load after one more call; None: no capacity."""
        p = self.live_answer_rate
        best: str | None = None
        best_load = math.inf
        for switch_id, capacity, demand in zip(
            self.switch_ids, self.capacity, self.demand, strict=True
        ):
            if capacity > 0.0:
                load = (demand + p) / capacity
                if load < best_load:
                    best, best_load = switch_id, load
        return best

    def placed(self, switch_id: str) -> None:
        self.demand[self.switch_ids.index(switch_id)] += self.live_answer_rate
