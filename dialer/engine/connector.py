"""When a bridge may be sent, and what the engine knows about it once it is.

A real FreeSWITCH leg is not ready for ``uuid_bridge`` the moment it answers: its originate is
still returning, and a bridge then races it (the originate's job ends ``-ERR
ORIGINATOR_CANCEL`` although the call is up and bridged, or the originate's ``park`` runs after
the bridge and the bridge is lost: issue 17, items 1 and 2). Nor is an agent's nailed-up leg
free the moment its customer's leg ends: it is free when FreeSWITCH reports it back in park.
So a bridge is sent only when both legs are parked:

* the customer's leg: ``CallParked`` (or ``CallAnswered(bridgeable=True)`` from drivers
  without the race);
* the agent's leg: ``AgentLegUp`` (its first park, and each return to park after a bridge).
  Agents without a leg (simulated desks) are always free.

The scheduler reserves the agent as before; the ``Connector`` holds the bridge until both
legs are ready, remembers bridges sent until CHANNEL_BRIDGE confirms them, and puts a bridge
the switch lost (the customer parked again while it was in flight) back to wait. It owns no
call or agent state beyond that; the engine routes events to it and emits what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

_new = object.__new__


@dataclass(slots=True)
class PendingBridge:
    """(``Connector.want`` builds one field by field: a new field must be set there too.)"""

    call_id: str
    agent_id: str
    sent_at: float | None = None
    """When the Bridge command went out (None: still waiting for a leg)."""


class Connector:
    """Bridges waiting for their legs, and bridges in flight."""

    __slots__ = ("_by_agent", "bridges", "busy_legs", "leg_ids", "ready_calls")

    def __init__(self) -> None:
        self.bridges: dict[str, PendingBridge] = {}
        """Call → its bridge, from the agent's reservation to CHANNEL_BRIDGE."""
        self._by_agent: dict[str, str] = {}
        """Agent → the call its pending bridge is for."""
        self.ready_calls: set[str] = set()
        """Customer legs parked and answered: a bridge to them is safe."""
        self.busy_legs: set[str] = set()
        """Agents whose nailed-up leg is not parked (connecting, bridging, bridged, or not
        yet back in park after a call)."""
        self.leg_ids: dict[str, str] = {}
        """Agent → its current nailed-up leg (agents with a leg only)."""

    # --- legs --------------------------------------------------------------------------------

    def leg_opened(self, agent_id: str, leg_id: str) -> None:
        """A new nailed-up leg is being set up: busy until FreeSWITCH parks it."""
        self.leg_ids[agent_id] = leg_id
        self.busy_legs.add(agent_id)

    def leg_closed(self, agent_id: str) -> None:
        self.leg_ids.pop(agent_id, None)
        self.busy_legs.discard(agent_id)

    def is_current_leg(self, agent_id: str, leg_id: str | None) -> bool:
        """Whether a report about ``leg_id`` concerns the agent's current leg (None: yes)."""
        return leg_id is None or self.leg_ids.get(agent_id) in (None, leg_id)

    def leg_parked(self, agent_id: str) -> str | None:
        """The agent's leg is parked: returns the call whose bridge can go now, if any."""
        self.busy_legs.discard(agent_id)
        call_id = self._by_agent.get(agent_id)
        if call_id is not None and call_id in self.ready_calls:
            bridge = self.bridges[call_id]
            if bridge.sent_at is None:
                return call_id
        return None

    def leg_free(self, agent_id: str) -> bool:
        return agent_id not in self.busy_legs

    # --- customer legs -----------------------------------------------------------------------

    def call_ready(self, call_id: str) -> bool:
        """The customer's leg is parked: True when its bridge can go now."""
        self.ready_calls.add(call_id)
        bridge = self.bridges.get(call_id)
        if bridge is None:
            return False
        if bridge.sent_at is not None:
            # Parked again while the bridge was in flight: the switch lost it (its park
            # pre-empted the bridge). Wait for the agent's leg to park again and retry.
            bridge.sent_at = None
            return False
        return self.leg_free(bridge.agent_id)

    # --- bridges -----------------------------------------------------------------------------

    def want(self, call_id: str, agent_id: str) -> bool:
        """An agent is reserved for the call: True when the bridge can be sent at once."""
        # ``PendingBridge(call_id, agent_id)``, written out: once per connected call, where
        # calling the class costs CPython 3.11 a second evaluation loop.
        bridge = _new(PendingBridge)
        bridge.call_id, bridge.agent_id, bridge.sent_at = call_id, agent_id, None
        self.bridges[call_id] = bridge
        self._by_agent[agent_id] = call_id
        return call_id in self.ready_calls and self.leg_free(agent_id)

    def sent(self, call_id: str, at: float) -> None:
        bridge = self.bridges[call_id]
        bridge.sent_at = at
        if bridge.agent_id in self.leg_ids:
            self.busy_legs.add(bridge.agent_id)

    def in_flight(self, call_id: str) -> bool:
        bridge = self.bridges.get(call_id)
        return bridge is not None and bridge.sent_at is not None

    def confirmed(self, call_id: str) -> str | None:
        """CHANNEL_BRIDGE: the bridge is made; returns its agent."""
        bridge = self.bridges.pop(call_id, None)
        if bridge is None:
            return None
        if self._by_agent.get(bridge.agent_id) == call_id:
            del self._by_agent[bridge.agent_id]
        if bridge.agent_id in self.leg_ids:
            self.busy_legs.add(bridge.agent_id)
        return bridge.agent_id

    def drop(self, call_id: str, *, keep_ready: bool = False) -> PendingBridge | None:
        """The call no longer wants its bridge (it ended, its window closed, or its agent's
        leg went down: ``keep_ready`` then, the customer's leg is still parked)."""
        if not keep_ready:
            self.ready_calls.discard(call_id)
        bridge = self.bridges.pop(call_id, None)
        if bridge is not None and self._by_agent.get(bridge.agent_id) == call_id:
            del self._by_agent[bridge.agent_id]
        return bridge

    def forget_call(self, call_id: str) -> None:
        self.ready_calls.discard(call_id)
