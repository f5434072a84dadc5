"""The engine's side of waiting on the switch: deadlines, message reports, latency budgets.

A part the engine (dialer/engine/engine.py) owns, with its own state (each switch's message
latency budget) and a narrow interface (``WaitServices``); the deadlines themselves live in
the ``Watch`` (watch.py) it is given, and the agents' legs in the ``Connector``
(connector.py). The calls' side of the states these deadlines guard is call_flow.py's, which
the waits reach only through ``WaitServices``. Every wait the engine registers ends here
when its deadline passes with the wait still on:

* ``DIAL``: no end reported a margin past the ring timeout: hang up, end the attempt;
* ``CLASSIFY``: the detector never decided: the answer counts as unknown (live by default);
* ``BRIDGE``: the bridge is not confirmed when the connect window closes (lost to the
  originate's park, legs that never parked, a silent switch): the safe-harbour message;
* ``MESSAGE_START`` / ``MESSAGE_END``: the message never reported / the call never ended;
* ``LEG_PARK``: an agent's leg did not return to park after a call: it is replaced.

Each such event is also an ``Incident`` (logged at WARNING and counted by the runner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from heapq import heappop, heappush

from dialer.commands import (
    AgentState,
    CloseAgentLeg,
    Command,
    Hangup,
    Incident,
    IncidentKind,
    OriginateAgentLeg,
)
from dialer.engine.calls import Call, CallState, call_in_progress
from dialer.engine.config import CampaignConfig
from dialer.engine.connector import Connector
from dialer.engine.scheduler import AgentPool
from dialer.engine.watch import Wait, Watch
from dialer.events import AnswerKind, MessageLatency, PlaybackFailed, PlaybackStarted
from dialer.hangup import HangupCause

S = CallState
_ENDED, _BRIDGED = CallState.ENDED, CallState.BRIDGED
_LEG_PARK_WAIT, _BRIDGE_WAIT = Wait.LEG_PARK, Wait.BRIDGE
"""Read at every ``next_wakeup`` (``drop_finished_waits``): module constants, since reading
``Enum.MEMBER`` costs CPython 3.11 a slow attribute hook (docs/engine.md, "Fourth step")."""
DIAL_MARGIN = 15.0
"""Seconds past the ring timeout (FreeSWITCH's originate_timeout ends the call by then)."""
_WAITING_IN: dict[Wait, frozenset[CallState]] = {
    Wait.DIAL: frozenset({S.DIALING, S.RINGING}),
    Wait.CLASSIFY: frozenset({S.ANSWERED}),
    Wait.MESSAGE_END: frozenset({S.ABANDONED, S.MACHINE}),
}
"""The states in which these waits are still on. No transition leads back into them once
left (calls.py's table), so a call outside them will never need the deadline."""


@dataclass(frozen=True, slots=True)
class WaitServices:
    """What the waits may ask of the engine that owns them (and nothing more)."""

    emit: Callable[[Command], None]
    end: Callable[[Call, float, HangupCause], None]
    """End the call now with this cause (its attempt record; call_flow.py)."""
    classified: Callable[[Call, AnswerKind, float], None]
    """The detector's verdict on an answered call (call_flow.py)."""
    abandon: Callable[[Call, float], None]
    """The connect window closed without an agent: the safe-harbour message (call_flow.py)."""
    latest: Callable[[], float]
    """The latest time the engine has seen (in an event or a tick)."""
    new_id: Callable[[], str]


class SwitchWaits:
    """Deadlines and message reports of one campaign.

    ``config`` is the campaign's current configuration (the engine sets it again when a
    supervisor retunes the campaign); ``calls`` and ``pool`` are read, never changed here,
    except an agent's replaced leg.
    """

    def __init__(self, config: CampaignConfig, pool: AgentPool, calls: dict[str, Call],
                 watch: Watch, connector: Connector, services: WaitServices) -> None:
        self.config = config
        self.pool = pool
        self.calls = calls
        self.connector = connector
        self._heap = watch._heap
        """The watch's heap (``drop_finished_waits`` pops its finished head entries)."""
        self._floor = watch.floor
        """The engine's lower bound of its deadlines (watch.py), lowered by a wait put
        back."""
        self.message_budget: dict[str, float] = {}
        """Switch → the measured safe-harbour latency budget, when above the campaign's."""
        self._emit = services.emit
        self._end = services.end
        self._classified = services.classified
        self._abandon = services.abandon
        self._latest = services.latest
        self._new_id = services.new_id
        self._put_back = self._put_back_wait
        """``_put_back_wait`` bound once: the ``partial`` of each bridged call's set-aside
        wait reads it as a specialised instance load, not CPython 3.11's generic lookup
        building a bound method at every read."""

    def budget(self, switch_id: str) -> float:
        """Seconds the switch takes to start a message (the safe-harbour message is sent
        this much before the connect window closes)."""
        return self.message_budget.get(switch_id, self.config.message_latency_budget)

    def deadline(self, wait: Wait, key: str, token: object, at: float) -> None:
        if wait is Wait.LEG_PARK:
            self._leg_park_deadline(key, token, at)
            return
        call = call_in_progress(self.calls, key)
        if call is None:
            return
        state = call.state
        if wait is Wait.DIAL and state in (S.DIALING, S.RINGING):
            self._emit(Incident(at, IncidentKind.SWITCH_SILENT,
                                      f"no answer nor end reported {at - call.dialed_at:.0f} s "
                                      "after the originate: hung up", call.call_id))
            self._emit(Hangup(at, call.call_id, HangupCause.RECOVERY_ON_TIMER_EXPIRE))
            self._end(call, at, HangupCause.RECOVERY_ON_TIMER_EXPIRE)
        elif wait is Wait.CLASSIFY and state is S.ANSWERED:
            self._classified(call, AnswerKind.UNKNOWN, at)
        elif wait is Wait.BRIDGE and state is S.BRIDGING:
            self._abandon(call, at)
        elif wait is Wait.MESSAGE_START and state is S.ABANDONED and call.message == "sent":
            self._emit(Incident(at, IncidentKind.SWITCH_SILENT,
                                      "the safe-harbour message was not reported playing",
                                      call.call_id))
        elif wait is Wait.MESSAGE_END and state in (S.ABANDONED, S.MACHINE):
            self._emit(Incident(at, IncidentKind.SWITCH_SILENT,
                                      f"call still up {state.value} long after its message: "
                                      "hung up", call.call_id))
            self._emit(Hangup(at, call.call_id, HangupCause.RECOVERY_ON_TIMER_EXPIRE))
            self._end(call, at, HangupCause.RECOVERY_ON_TIMER_EXPIRE)

    def drop_finished_waits(self) -> None:
        """Pop the watch's head entries whose wait is over (the call ended, or left for good
        the states the wait guards): at their deadline ``deadline`` would do nothing, but
        as the head they would wake the driver for an empty ``tick``. Every dial registers a
        ``DIAL`` wait that outlives its answer or its end, so this spares about one tick per
        attempt. Stops at the first entry still on, or one it cannot judge this way
        (``LEG_PARK``, ``MESSAGE_START`` of a call still known, ``BRIDGE`` of a call still
        known and not bridged).

        A ``BRIDGE`` wait of a bridged call is set aside on the call instead (one empty tick
        per connected call): the call may still come back to ``bridging`` (a transfer or a
        consultation) before that deadline, so ``transition`` puts the entry back when the
        call leaves ``bridged`` (``_put_back_wait``), unchanged, and the watch then fires
        exactly what it would have fired with the entry never taken out."""
        heap = self._heap
        calls = self.calls
        while heap:
            entry = heap[0]
            wait, key = entry[2], entry[3]
            if wait is _LEG_PARK_WAIT:
                return
            call = calls.get(key)
            if call is not None and call.state is not _ENDED:
                states = _WAITING_IN.get(wait)
                if states is None:
                    if (wait is not _BRIDGE_WAIT or call.state is not _BRIDGED
                            or call.wait_aside is not None):
                        return
                    call.wait_aside = partial(self._put_back, entry)
                elif call.state in states:
                    return
            heappop(heap)

    def _put_back_wait(self, entry: tuple[float, int, Wait, str, object]) -> None:
        """A wait set aside by ``drop_finished_waits`` goes back into the watch, with its
        place in the order, if it is not yet due: one due by now was due at an earlier
        ``handle`` or ``tick`` (``latest``), whose ``_expire`` would have popped it then and
        done nothing, the call being bridged."""
        if entry[0] > self._latest():
            heappush(self._heap, entry)
            floor = self._floor
            if entry[0] < floor.at:
                floor.at = entry[0]

    def _leg_park_deadline(self, agent_id: str, leg_id: object, at: float) -> None:
        connector = self.connector
        agent = self.pool.agents.get(agent_id)
        if (agent is None or connector.leg_ids.get(agent_id) != leg_id
                or connector.leg_free(agent_id) or agent.state is AgentState.ON_CALL
                or any(b.agent_id == agent_id and b.sent_at is not None
                       for b in connector.bridges.values())):
            return
        # Still not back in park: the leg is stuck (or its park was lost). A fresh leg is
        # safer than a bridge into a leg FreeSWITCH may still hold in another call.
        new_leg = self._new_id()
        self._emit(Incident(at, IncidentKind.AGENT_LEG_STUCK,
                                  f"leg {leg_id} did not return to park: replaced by {new_leg}",
                                  agent_id=agent_id))
        self._emit(CloseAgentLeg(at, agent_id, str(leg_id)))
        agent.leg_id = new_leg
        connector.leg_opened(agent_id, new_leg)
        self._emit(OriginateAgentLeg(at, agent_id, new_leg, agent.endpoint,
                                           agent.switch_id))

    # --- message reports ---------------------------------------------------------------------

    def on_playback_started(self, event: PlaybackStarted) -> None:
        call = call_in_progress(self.calls, event.call_id)
        if call is None or call.state is not S.ABANDONED or call.message in ("played",
                                                                             "cut_off"):
            return
        if call.message == "completed":  # the next file of the message (an opt-out prompt)
            call.message = "played"
            return
        call.message = "played"
        call.message_started_at = event.at
        if call.deadline is not None:
            closes = call.deadline + self.budget(call.switch_id)
            if event.at > closes + 1e-6:
                self._emit(Incident(
                    event.at, IncidentKind.MESSAGE_LATE,
                    f"the safe-harbour message started {event.at - closes:.3f} s after the "
                    "connect window closed", call.call_id))

    def on_playback_failed(self, event: PlaybackFailed) -> None:
        call = call_in_progress(self.calls, event.call_id)
        if call is None or call.message in ("played", "completed", "cut_off"):
            return
        if call.state is S.ABANDONED:
            # Not a legal abandon: the person heard nothing (47 CFR 64.1200(a)(7)(i)(A)).
            call.message = "failed"
            what = "safe-harbour message"
        elif call.state is S.MACHINE:
            what = "voicemail message"
        else:
            return
        self._emit(Incident(event.at, IncidentKind.MESSAGE_FAILED,
                                  f"the {what} could not be played ({event.reason or 'error'})",
                                  call.call_id))

    def on_message_latency(self, event: MessageLatency) -> None:
        config = self.config
        budget = max(config.message_latency_budget, event.seconds)
        ceiling = config.connect_window * 0.9
        if budget > ceiling:
            self._emit(Incident(
                event.at, IncidentKind.MESSAGE_LATE,
                f"switch {event.switch_id} takes {event.seconds:.3f} s to start a message: "
                f"more than the connect window allows; budgeting {ceiling:.3f} s"))
            budget = ceiling
        self.message_budget[event.switch_id] = budget
