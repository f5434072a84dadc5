"""Crash recovery: reconcile the journal with what the switches say is still alive.

At start-up, before the first dial:
1. leads ``claimed`` but never journaled go back to ``ready`` (the journal precedes every
   originate, so they were not dialed);
2. every attempt left open is looked up on its switch (``show channels as json``; the
   channel's Unique-ID is the call id because the originate set ``origination_uuid``):
   a live channel is **adopted** (followed to its end; answered and waiting for an agent
   that no longer exists, it gets the safe-harbour message and counts as abandoned);
   a channel that is gone closes the attempt with a reconciled outcome from what was
   journaled (bridged → connected; answered only → abandoned, the conservative reading
   for the legal rate; never answered → failed/CRASH). Its lead stays ``in_call`` until
   then, so it is never redialed while its call might be live; a switch that cannot be
   reached leaves its attempts open (and their leads untouched) until it comes back;
3. the abandonment ledger is rebuilt from the database (the 30-day window).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from dialer.commands import AttemptFinished, CallOutcome, Direction, PlayMessage
from dialer.events import (
    AgentLegDown,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallHungUp,
    DtmfReceived,
    Event,
    OriginateFailed,
)
from dialer.hangup import HangupCause, dial_outcome
from dialer.runner.store import OpenAttempt, RunnerStore

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

log = logging.getLogger("dialer.runner.recovery")
SWITCH_WAIT = 5.0
"""Seconds to wait at start-up for switches to connect before reconciling without them."""


class Orphan:
    """A call from before the restart, still live on its switch, followed to its end."""

    def __init__(self, attempt: OpenAttempt) -> None:
        self.attempt = attempt
        self.answered_at = attempt.answered_at
        self.bridged_at: float | None = None
        self.abandoned = False
        self.opted_out = False


class Recovery:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.orphans: dict[str, Orphan] = {}
        self.closed = 0
        self.adopted = 0

    async def recover(self) -> list[tuple[float, bool]]:
        runner = self.runner
        db, store, campaign = runner.db, runner.store, runner.campaign
        released = await db.call(store.release_all_claims, campaign)
        if released:
            log.info("%d leads claimed before the restart were never dialed: released",
                     released)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SWITCH_WAIT):
                while not all(c.connected for c in runner.switches.clients.values()):
                    await asyncio.sleep(0.05)
        for switch_id in runner.switches.clients:
            await self.reconcile_switch(switch_id)
        while not runner.switches.reconnected.empty():
            runner.switches.reconnected.get_nowait()  # first connections: reconciled above
        since = runner.clock() - runner.config.ledger_window
        seed = await db.call(store.ledger_seed, campaign, since)
        # Adopted calls already answered count as live answers now; abandoned if waiting.
        seed += [(o.answered_at, o.abandoned) for o in self.orphans.values()
                 if o.answered_at is not None]
        return seed

    async def reconcile_switch(self, switch_id: str) -> None:
        """Settle journaled attempts and engine calls on ``switch_id`` with its channels."""
        runner = self.runner
        # Only what existed before the listing was asked for: a call or leg sent meanwhile
        # is simply not in the list yet, and must not be declared gone.
        engine_calls = [c for c, s in runner.call_switch.items() if s == switch_id]
        agent_legs = [(leg, agent) for leg, agent in runner.translator.agent_legs.items()
                      if runner.call_switch.get(leg) == switch_id]
        try:
            live = await runner.switches.live_channels(switch_id)
        except Exception as error:  # the switch dropped again: try at the next reconnect
            log.warning("cannot list channels on %s: %s", switch_id, error)
            return
        if live is None:
            return
        open_attempts = await runner.db.call(runner.store.open_attempts, runner.campaign)
        engine = runner.engine
        for attempt in open_attempts:
            if attempt.switch_id != switch_id and attempt.switch_id in runner.switches.clients:
                continue
            if engine is not None and attempt.call_id in engine.calls:
                continue
            if attempt.call_id in self.orphans:
                continue
            if attempt.call_id in live:
                await self._adopt(attempt, switch_id)
            elif attempt.switch_id == switch_id or engine is None:
                self._close(attempt)
        if engine is not None:
            # Calls the engine follows whose end we missed while the link was down.
            for call_id in engine_calls:
                if call_id in engine.calls and call_id not in live:
                    runner.post(CallHungUp(runner.clock(), call_id,
                                           HangupCause.NORMAL_TEMPORARY_FAILURE))
            for leg_id, agent_id in agent_legs:
                if leg_id not in live and runner.translator.agent_legs.pop(leg_id, None):
                    runner.post(AgentLegDown(runner.clock(), agent_id,
                                             HangupCause.NORMAL_TEMPORARY_FAILURE))

    def _close(self, attempt: OpenAttempt) -> None:
        runner = self.runner
        now = runner.clock()
        if attempt.answered_at is not None:
            outcome = CallOutcome.ABANDONED
        else:
            outcome = CallOutcome.FAILED
        finished = AttemptFinished(
            now, attempt.call_id, runner.campaign, Direction.OUTBOUND, outcome,
            HangupCause.CRASH, lead_id=attempt.lead_id, number_e164=attempt.number_e164,
            attempt_number=attempt.attempt_number, dialed_at=attempt.journaled_at,
            answered_at=attempt.answered_at, ended_at=now,
            answer_kind=AnswerKind.UNKNOWN if attempt.answered_at is not None else None,
            abandoned=attempt.answered_at is not None)
        runner.db.write(runner.store.finish_statements(
            finished, runner.max_attempts, runner.retry_delay,
            reconciled="closed after restart: no channel left on the switch"))
        # A bridged call was connected: the journal says so, keep that outcome.
        runner.db.write([("UPDATE attempts SET outcome = 'connected', abandoned = 0"
                          " WHERE call_id = ? AND bridged_at IS NOT NULL",
                          (attempt.call_id,))])
        self.closed += 1

    async def _adopt(self, attempt: OpenAttempt, switch_id: str) -> None:
        runner = self.runner
        orphan = Orphan(attempt)
        self.orphans[attempt.call_id] = orphan
        runner.call_switch[attempt.call_id] = switch_id
        self.adopted += 1
        client = runner.switches.clients[switch_id]
        with contextlib.suppress(Exception):
            answered = (await client.api(f"uuid_getvar {attempt.call_id} answer_epoch")).strip()
            bridge = (await client.api(f"uuid_getvar {attempt.call_id} bridge_uuid")).strip()
            if answered not in ("", "0", "_undef_") or bridge not in ("", "_undef_"):
                orphan.answered_at = orphan.answered_at or runner.clock()
            if bridge not in ("", "_undef_") and not bridge.startswith("-ERR"):
                orphan.bridged_at = runner.clock()
            elif orphan.answered_at is not None:
                await self._safe_harbor(orphan)

    async def _safe_harbor(self, orphan: Orphan) -> None:
        """Answered with nobody to take it: the message and the opt-out, as the engine would."""
        runner = self.runner
        orphan.abandoned = True
        config = runner.config
        await runner._send(PlayMessage(runner.clock(), orphan.attempt.call_id,
                                       config.safe_harbor_message, True, config.optout_digit))

    async def orphan_event(self, event: Event) -> None:
        runner = self.runner
        call_id = event.call_id  # type: ignore[union-attr]
        orphan = self.orphans[call_id]
        if isinstance(event, CallAnswered) and orphan.answered_at is None:
            orphan.answered_at = event.at
            engine = runner.engine
            if engine is not None:
                engine.ledger.mark_abandoned(engine.ledger.record_live(event.at))
            await self._safe_harbor(orphan)
        elif isinstance(event, CallBridged):
            orphan.bridged_at = event.at
        elif (isinstance(event, DtmfReceived) and orphan.abandoned and not orphan.opted_out
              and event.digit == runner.config.optout_digit):
            orphan.opted_out = True
            from dialer.commands import RecordOptOut

            await runner._execute([RecordOptOut(
                event.at, orphan.attempt.number_e164, call_id, runner.campaign,
                "automated opt-out key during the safe-harbour message (adopted call)")])
        elif isinstance(event, CallHungUp | OriginateFailed):
            del self.orphans[call_id]
            self._finish(orphan, event.at, event.cause)

    def _finish(self, orphan: Orphan, at: float, cause: HangupCause) -> None:
        runner = self.runner
        attempt = orphan.attempt
        if orphan.bridged_at is not None:
            outcome = CallOutcome.CONNECTED
        elif orphan.answered_at is not None:
            outcome = CallOutcome.ABANDONED
        else:
            outcome = {"busy": CallOutcome.BUSY, "no_answer": CallOutcome.NO_ANSWER}.get(
                dial_outcome(cause).value, CallOutcome.FAILED)
        finished = AttemptFinished(
            at, attempt.call_id, runner.campaign, Direction.OUTBOUND, outcome, cause,
            lead_id=attempt.lead_id, number_e164=attempt.number_e164,
            attempt_number=attempt.attempt_number, dialed_at=attempt.journaled_at,
            answered_at=orphan.answered_at, bridged_at=orphan.bridged_at, ended_at=at,
            answer_kind=AnswerKind.UNKNOWN if orphan.answered_at is not None else None,
            abandoned=orphan.abandoned and orphan.bridged_at is None,
            opted_out=orphan.opted_out)
        runner.stats.ended(attempt.call_id, outcome.value, finished.abandoned,
                           orphan.answered_at is not None)
        runner.db.write(runner.store.finish_statements(
            finished, runner.max_attempts, runner.retry_delay,
            reconciled="adopted after restart"))


__all__ = ["Recovery", "RunnerStore"]
