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

from collections.abc import Callable

from dialer.commands import Direction
from dialer.engine.calls import Call
from dialer.engine.work_lines import Lane

_OUTBOUND = Direction.OUTBOUND


class OutboundPromises:
    """Counts, per switch, the ready agents queue work must leave to outbound dials."""

    __slots__ = ("_calls", "_dialing", "_kept", "_multi_switch")

    def __init__(self, calls: dict[str, Call], dialing: dict[str, float],
                 kept: Callable[[], int], multi_switch: bool) -> None:
        """``calls`` and ``dialing`` are the engine's (read only); ``kept`` says how many
        agents the blending reserve keeps from pacing (its last decision's figure)."""
        self._calls = calls
        self._dialing = dialing
        self._kept = kept
        self._multi_switch = multi_switch

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
        counted = ready - self._kept()
        if counted <= 0:
            return 0
        return min(counted, self.in_flight(lane.switch_id))
