"""The engine's dialing side: pacing decisions, dialing, and the switches that are up.

A mixin of ``Engine`` (dialer/engine/engine.py), kept apart so that each module has one job:
this one turns the pacing policy's decision into compliance-checked, journaled originates
placed on a switch; the event handlers for customer calls live in engine.py, those for
agents in agent_work.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialer.commands import Direction, JournalAttempt, Originate, ReleaseLead
from dialer.engine.calls import Call, CallState
from dialer.engine.config import CampaignConfigError
from dialer.engine.scheduler import UnknownSwitchError
from dialer.engine.watch import Wait
from dialer.events import SwitchDown, SwitchUp
from dialer.ports import DialTarget, GateVerdict
from pacing_models.interface import PacingPolicy, PacingState

if TYPE_CHECKING:
    from dialer.engine.engine import Engine

    _Base = Engine
else:
    _Base = object

S = CallState
DIAL_MARGIN = 15.0
"""Seconds past the ring timeout before a call with no news is given up (switch_waits.py)."""


_ELAPSED_FIELDS = ("busy_elapsed", "wrap_elapsed", "ringing_elapsed", "free_elapsed")
"""The PacingState fields that cost O(agents or lines) to build at every decision."""


def elapsed_fields_needed(policy: PacingPolicy) -> tuple[bool, bool, bool, bool]:
    """Which elapsed-time tuples ``policy`` reads (``_ELAPSED_FIELDS`` order), from its
    optional ``state_fields``.

    A policy may declare ``state_fields`` (names of the ``PacingState`` fields it reads);
    the engine then builds only the elapsed-time tuples among them and leaves the others
    empty. Without the declaration every field is filled, as the contract promises.
    """
    declared = getattr(policy, "state_fields", None)
    if declared is None:
        return (True, True, True, True)
    unknown = set(declared) - set(PacingState.__dataclass_fields__)
    if unknown:
        raise CampaignConfigError(
            f"pacing policy {getattr(policy, 'name', policy)!r}: state_fields names "
            f"{', '.join(sorted(unknown))}, not PacingState fields"
        )
    return tuple(name in declared for name in _ELAPSED_FIELDS)  # type: ignore[return-value]


class Dialing(_Base):
    """Pacing decisions, dialing and the switches of the engine."""

    def pacing_state(
        self, now: float, builds: tuple[bool, bool, bool, bool] = (True, True, True, True)
    ) -> PacingState:
        """The snapshot the pacing policy decides on (incremental counters, O(busy agents)).

        ``builds`` says which of busy, wrap, ringing and free elapsed tuples to fill (the
        decisions pass what the policy declared it reads; by default all of them).
        """
        pool = self.pool
        ledger = self.ledger
        ledger.prune(now)
        config = self.config
        ready = pool.ready
        busy, wrap, ringing, free = builds
        # List comprehensions turned into tuples: a third cheaper than generator
        # expressions, and this runs at every decision over every busy agent and line.
        return PacingState(
            now=now,
            agents_free=len(ready),
            busy_elapsed=tuple([now - t for t in pool.on_call.values()]) if busy else (),
            wrap_elapsed=tuple([now - t for t in pool.wrapping.values()]) if wrap else (),
            ringing_elapsed=(
                tuple([now - t for t in self.dialing.values()]) if ringing else ()
            ),
            live_answers_in_window=ledger.live_answers,
            abandons_in_window=ledger.abandons,
            abandon_target=config.abandon_target,
            # The window an answer can wait in: the message is sent the switch's latency
            # budget before the legal window closes.
            connect_window=config.connect_window - config.message_latency_budget,
            decision_interval=config.decision_interval,
            answered_waiting=pool.outbound_waiting,
            agents_logged_in=pool.logged_in,
            lines_per_agent=config.lines_per_agent,
            free_elapsed=(
                tuple([now - agent.since for agent in ready.values()]) if free else ()
            ),
        )

    def _pace(self, now: float) -> None:
        state = self.pacing_state(now, self._state_builds)
        decision = self.policy.decide(state)
        self.last_decision = decision
        n = decision.calls_to_launch
        if n <= 0 or not self.switches_up:
            return
        if self.config.max_lines is not None:
            n = min(n, self.config.max_lines - len(self.dialing))
        if n <= 0:
            return
        targets = self.leads.next_leads(n, now)
        if self._placement is not None:
            self._dial_spread(targets, now)
            return
        for target in targets:
            self._dial(target, now, Direction.OUTBOUND, None)

    def _dial_spread(self, targets: list[DialTarget], now: float) -> None:
        """Several switches: each call goes where its answer is likeliest to find an agent."""
        assert self._placement is not None
        plan = self._placement.plan(
            self._up_order, self.pool.lanes, self.pool.agents, self.calls, self.dialing
        )
        for target in targets:
            switch_id = plan.best()
            call = self._dial(target, now, Direction.OUTBOUND, None, switch_id)
            if call is not None:
                plan.placed(call.switch_id)

    def _next_switch(self) -> str:
        up = self._up_order
        if len(up) == 1:
            return up[0]
        self._switch_turn = (self._switch_turn + 1) % len(up)
        return up[self._switch_turn]

    def _dial(
        self, target: DialTarget, now: float, direction: Direction, callback_id: str | None,
        switch_id: str | None = None,
    ) -> Call | None:
        """Check the target at this instant; journal, then originate. None if refused.

        ``switch_id``: where to dial (a callback: its agent's switch); None: round robin.
        """
        verdict = self.gate.check(target, now)
        if not verdict.allowed:
            self.leads.release(target.lead_id)
            self._out.append(ReleaseLead(now, target.lead_id, "compliance", verdict))
            return None
        if not self.switches_up:
            self.leads.release(target.lead_id)
            self._out.append(ReleaseLead(now, target.lead_id, "no switch connected"))
            return None
        if switch_id is None:
            switch_id = self._next_switch()
        elif switch_id not in self.switches_up:
            self.leads.release(target.lead_id)
            self._out.append(
                ReleaseLead(now, target.lead_id, f"switch {switch_id} not connected")
            )
            return None
        return self._place_call(target, now, direction, callback_id, switch_id, verdict,
                                self.config.ring_timeout)

    def _place_callback(self, target: DialTarget, now: float, callback_id: str,
                        switch_id: str, ring_timeout: float, verdict: GateVerdict) -> Call:
        """A queue callback, checked by the inbound router on the reserved agent's switch."""
        return self._place_call(target, now, Direction.CALLBACK, callback_id, switch_id,
                                verdict, ring_timeout)

    def _place_call(self, target: DialTarget, now: float, direction: Direction,
                    callback_id: str | None, switch_id: str, verdict: GateVerdict,
                    ring_timeout: float) -> Call:
        """Journal, then originate (the checks are the caller's)."""
        config = self.config
        call_id = self.new_id()
        call = Call(call_id, direction, S.DIALING, now, target, switch_id)
        call.callback_id = callback_id
        call.customer_key = target.customer_key
        self.calls[call_id] = call
        self.dialing[call_id] = now
        self.dials += 1
        self.watch.add(now + config.ring_timeout + DIAL_MARGIN, Wait.DIAL, call_id)
        variables = {
            "dialer_campaign": config.campaign_id,
            "dialer_lead_id": target.lead_id,
            "dialer_attempt": str(target.attempt_number),
            "dialer_call_id": call_id,
            **target.variables,
        }
        out = self._out
        out.append(
            JournalAttempt(
                now, call_id, target.lead_id, config.campaign_id, target.number_e164,
                target.attempt_number, verdict, switch_id, direction, callback_id,
            )
        )
        out.append(
            Originate(
                now, call_id, target.number_e164, config.caller_id_number,
                config.caller_id_name, ring_timeout, variables,
                config.amd_enabled, switch_id,
            )
        )
        return call

    # --- switch ------------------------------------------------------------------------------

    def _on_switch_up(self, event: SwitchUp) -> None:
        self._known_switch(event.switch_id)
        self.switches_up[event.switch_id] = None
        self._up_order = tuple(self.switches_up)

    def _on_switch_down(self, event: SwitchDown) -> None:
        self.switches_up.pop(event.switch_id, None)
        self._up_order = tuple(self.switches_up)

    def _known_switch(self, switch_id: str) -> str:
        if switch_id not in self.config.switch_ids:
            raise UnknownSwitchError(
                f"switch {switch_id!r} is not one of campaign {self.config.campaign_id}'s "
                f"switches ({', '.join(self.config.switch_ids)}): add it to switch_ids"
            )
        return switch_id
