"""Ready agents promised to outbound dials in flight (blending).

Pacing launches its calls for agents it counts as free: a progressive dialer one call per
ready agent, a predictive one several. Until such a call is answered its agent stays ready,
and an inbound caller (or a queue callback) arriving meanwhile would take it; the answered
call then finds nobody within the two seconds the law allows and is abandoned (47 CFR
64.1200(a)(7); Ofcom's 2-second rule), an abandon the campaign's 3 % limit pays for. Field
dialers avoid it the same way: the agent is *reserved* for the outbound call before it is
placed (Cisco's and Genesys's "reservation call", the agent-reservation option of outbound
campaign managers), and inbound routing does not see a reserved agent.

Here the promise is counted, not written on agents (no change on the outbound hot path):
on each switch, of its ready agents, as many as there are outbound dials in flight that no
agent is attached to (dialing, ringing or awaiting the AMD verdict) are promised to them,
less the agents the blending reserve keeps for the queues (blending.py: pacing never
counted those). Queue work (callers, queue callbacks, transfers to a queue) takes a ready
agent only beyond that count, and otherwise waits in its line: it gets the next agent that
frees up (queues are served before anything is dialed for it), or, when a dial ends without
needing its agent, the agent at the next pacing decision, before the policy decides
(``AgentPool.serve_unpromised``).

A campaign's own due callbacks (scheduled or personal, agent-first: the agent is reserved
before the customer is dialed) keep the same promise (work_lines.py): one takes a ready
agent only beyond the promised count (its own agent, for a personal one, only while a ready
agent of that agent's switch is spare), else waits, and is served by the next agent that
frees up or, at the next decision, by the agent whose dial ended without needing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dialer.commands import Direction
from dialer.engine.calls import Call
from dialer.engine.work_lines import Lane

_OUTBOUND = Direction.OUTBOUND


class OutboundPromises:
    """Counts, per switch, the ready agents queue work must leave to outbound dials."""

    __slots__ = ("_calls", "_dialing", "_kept", "_lanes", "_multi_switch")

    def __init__(self, calls: dict[str, Call], dialing: dict[str, float],
                 kept: Callable[[], int], multi_switch: bool,
                 lanes: Mapping[str, Lane] | None = None) -> None:
        """``calls`` and ``dialing`` are the engine's (read only); ``kept`` says how many
        agents the blending reserve keeps from pacing (its last decision's figure), a
        centre-wide count that ``lanes`` (the pool's, one per switch) share
        (``kept_on``); without them every lane is given all of it."""
        self._calls = calls
        self._dialing = dialing
        self._kept = kept
        self._multi_switch = multi_switch
        self._lanes = lanes if multi_switch else None

    def in_flight(self, switch_id: str) -> int:
        """Outbound dials on ``switch_id`` (any, with one switch) that will want an agent
        if a person answers: placed by pacing, no agent attached, not ended."""
        calls = self._calls
        count = 0
        for call_id in self._dialing:
            call = calls.get(call_id)
            if call is not None and call.agent_id is None and call.direction is _OUTBOUND \
                    and (not self._multi_switch or call.switch_id == switch_id):
                count += 1
        return count

    def held(self, lane: Lane) -> int:
        """Ready agents of ``lane`` promised to its outbound dials in flight (O(dials),
        asked only when queue work meets a ready agent)."""
        ready = len(lane.ready)
        if not ready or not self._dialing:
            return 0
        counted = ready - (self._kept() if self._lanes is None else self.kept_on(lane))
        if counted <= 0:
            return 0
        return min(counted, self.in_flight(lane.switch_id))

    # --- the reserve across switches --------------------------------------------------------
    #
    # The blending reserve is one figure for the centre: pacing decides on the pooled counts
    # less the reserve (dialing.py), and the placement spreads the calls over the switches
    # by their agents (placement.py), not by the reserve. Each switch counting the whole
    # reserve as its own (the count before) left a switch's ready agents unpromised though
    # its dials needed them, so a caller there took one and the answered call was abandoned.
    # Now the reserve is apportioned: first to the switches whose ready agents outnumber
    # their dials in flight (those agents are the ones pacing left undialed for), then the
    # rest in proportion to the ready agents each switch still has (largest remainder, then
    # the switches' order). The shares add up to the reserve (at most the ready agents).

    def kept_on(self, lane: Lane) -> int:
        """``lane``'s share of the centre-wide reserve of agents kept for the queues."""
        kept = self._kept()
        if kept <= 0 or self._lanes is None:
            return max(kept, 0)
        return self.shares(kept).get(lane.switch_id, 0)

    def shares(self, kept: int) -> dict[str, int]:
        """The reserve ``kept`` apportioned over the switches (O(dials + switches))."""
        lanes = self._lanes or {}
        ready = {switch_id: len(lane.ready) for switch_id, lane in lanes.items()}
        flight = dict.fromkeys(ready, 0)
        calls = self._calls
        for call_id in self._dialing:
            call = calls.get(call_id)
            if call is not None and call.agent_id is None and call.direction is _OUTBOUND \
                    and call.switch_id in flight:
                flight[call.switch_id] += 1
        left = min(kept, sum(ready.values()))
        share = dict.fromkeys(ready, 0)
        for switch_id, count in ready.items():
            take = min(left, max(0, count - flight[switch_id]))
            share[switch_id] = take
            left -= take
        if left > 0:
            room = {switch_id: ready[switch_id] - share[switch_id] for switch_id in ready}
            total = sum(room.values())
            exact = {switch_id: left * room[switch_id] / total for switch_id in room}
            for switch_id, quota in exact.items():
                share[switch_id] += int(quota)
            left -= sum(int(quota) for quota in exact.values())
            order = sorted(room, key=lambda s: (-(exact[s] - int(exact[s])), list(room).index(s)))
            for switch_id in order[:left]:
                share[switch_id] += 1
        return share
