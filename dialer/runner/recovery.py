"""Crash recovery: reconcile the journal with what the switches say is still alive.

At start-up, before the first dial, for what this process (its owner id) journaled and
claimed, never another process's:
1. leads it claimed but never journaled go back to the pool (the journal precedes every
   originate, so they were not dialed);
2. every attempt it left open is looked up on its switch (``show channels as json``; the
   channel's Unique-ID is the call id because the originate set ``origination_uuid``):
   a live channel is **adopted** (followed to its end). Whether it was answered, and when,
   and whether it is bridged, and since when, come from the switch's own channel data
   (``uuid_dump``: Answer-State, Caller-Channel-Answered-Time, Caller-Channel-Bridged-Time):
   ``answer_epoch`` is only set at hang-up. Answered and waiting for an agent that no longer
   exists, it gets the safe-harbour message at once and counts as abandoned;
   a channel that is gone closes the attempt with a reconciled outcome from what was
   journaled (bridged → answered, with the campaign's wrap-up-timeout disposition since
   no agent can set one now; answered only → abandoned, the conservative reading for the
   legal rate; never answered → internal failure, hangup cause ``CRASH``). Its lead stays
   ``in_call`` until then, so it is never redialed while its call might be live; a switch
   that cannot be reached leaves its attempts open (and their leads untouched) until it
   comes back;
3. the engine's abandonment ledger is seeded from the database with this process's live
   answers in the window (the other processes' come with the shared counts);
4. the nailed-up agent legs the dead process left on its switches (they carry its owner id
   in ``dialer_owner``) are hung up (WARNING), except one still bridged to an adopted call,
   hung up when that call ends: the restarted process opens new ones.

After a switch restart (a reconnect finding the agents' legs gone) every such agent is logged
in again, so a new leg is opened without anyone doing it by hand (WARNING).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Container
from datetime import UTC, datetime

from campaigns.journal_batch import UpdateOp
from campaigns.models import CallAttempt
from dialer.commands import (
    AgentState,
    AttemptFinished,
    CallOutcome,
    Direction,
    PlayMessage,
    RecordOptOut,
)
from dialer.engine import Engine
from dialer.engine.config import CampaignConfig
from dialer.events import (
    AgentLegDown,
    AgentLegUp,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallHungUp,
    CallParked,
    DtmfReceived,
    Event,
    OriginateFailed,
)
from dialer.hangup import HangupCause, dial_outcome
from dialer.runner.campaign_link import CampaignLink, store_outcome, utc
from dialer.runner.dbworker import DbWorker
from dialer.runner.stats import RunnerStats
from dialer.runner.wiring import CommandPort, SwitchSide

log = logging.getLogger("dialer.runner.recovery")
LOST_WITH_LINK = HangupCause.ORIGINATOR_CANCEL
"""The cause the engine is told for an unanswered call it followed that the switch no longer
has when the link is back: its end (or its originate's answer) went to the lost socket, so
the switch may have placed it and it may have rung the person. Not a carrier cause: a
failover would dial the same person again at once and the gateway would be charged a
failure for the link's outage. The dialer's own cancel: no trunk verdict, no failover, the
attempt recorded ``cancelled`` and retried by its rule (docs/esl.md, "The link down")."""
SWITCH_WAIT = 5.0
"""Seconds to wait at start-up for switches to connect before reconciling without them."""


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.astimezone(UTC).timestamp()


class Orphan:
    """A call from before the restart, still live on its switch, followed to its end."""

    def __init__(self, attempt: CallAttempt) -> None:
        self.attempt = attempt
        self.call_id: str = attempt.call_uuid or ""
        self.answered_at = _epoch(attempt.answered_at)
        self.bridged_at: float | None = None
        self.agent_leg: str | None = None
        """The dead process's agent leg this call is bridged to (hung up at its end)."""
        self.abandoned = False
        self.opted_out = False


def _micros(value: object) -> float | None:
    try:
        micros = int(str(value))
    except ValueError:
        return None
    return micros / 1_000_000 if micros > 0 else None


class Recovery:
    """Settles what a previous run of this owner left, and what a lost link hid.

    Given only what it reads and writes: the campaign's link and the database worker (the
    journal), the switches and the legs they carry, the command side (the safe-harbour
    message and the opt-out of an adopted call), the inbound calls' adoption, the run's
    statistics, the clock and the inbox. The engine comes once built
    (``attach``); before that only the journal and the switches are reconciled."""

    def __init__(self, link: CampaignLink, db: DbWorker, switches: SwitchSide, *,
                 config: CampaignConfig, stats: RunnerStats, commands: CommandPort,
                 adopt_inbound: Callable[[str, dict[str, dict[str, str]], Container[str]],
                                         Awaitable[None]],
                 relogin: Callable[[str], None], clock: Callable[[], float],
                 post: Callable[[Event], None]) -> None:
        self.link = link
        self.db = db
        self.switches = switches
        self.config = config
        """The campaign's ledger window, safe-harbour message and opt-out key."""
        self.stats = stats
        self.commands = commands
        self.adopt_inbound = adopt_inbound
        """Inbound callers parked on a switch that nobody follows (``InboundCalls.adopt``;
        told the calls adopted here, which are not callers)."""
        self.relogin = relogin
        """Log an agent whose leg the switch lost in again (a new leg is opened)."""
        self.clock = clock
        self.post = post
        self.engine: Engine | None = None
        self.orphans: dict[str, Orphan] = {}
        self.closed = 0
        self.adopted = 0

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once recovery's seed has built it."""
        self.engine = engine

    async def recover(self) -> list[tuple[float, bool]]:
        db, store = self.db, self.link.store
        released = await db.call(store.release_claims, self.link.owner)
        if released:
            log.info("%d leads claimed before the restart were never dialed: released",
                     released)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SWITCH_WAIT):
                while not all(c.connected for c in self.switches.pool.clients.values()):
                    await asyncio.sleep(0.05)
        for switch_id in self.switches.pool.clients:
            await self.reconcile_switch(switch_id, old_legs=True)
        while not self.switches.pool.reconnected.empty():
            self.switches.pool.reconnected.get_nowait()  # first connections: reconciled above
        await self._dispose_left_in_wrap_up()
        since = utc(self.clock() - self.config.ledger_window)
        # Written first (closed attempts, adopted answers), then read back.
        entries = await db.call(store.ledger_entries, self.link.campaign_id, since=since,
                                process_owner=self.link.owner)
        return [(moment.timestamp(), abandoned) for moment, abandoned in entries]

    async def _dispose_left_in_wrap_up(self) -> None:
        """Calls that ended before the crash while their agent was in wrap-up: no agent can
        dispose them now, so the campaign's fallback disposition releases their leads."""
        left = await self.db.call(self.link.store.undisposed_attempts,
                                  process_owner=self.link.owner,
                                  campaign=self.link.campaign_id)
        fallback = self.link.settings.wrap_up_timeout_disposition
        now = self.clock()
        self.db.write([self.link.disposition_op(a.call_uuid or "", fallback, now)
                         for a in left if a.call_uuid])
        if left:
            log.info("%d calls left in wrap-up at the crash: disposition %s", len(left),
                     fallback)

    async def reconcile_switch(self, switch_id: str, *, old_legs: bool = False,
                               relogin: bool = False) -> None:
        """Settle journaled attempts and engine calls on ``switch_id`` with its channels.

        ``old_legs``: also hang up agent legs a previous process of this owner left there
        (start-up). ``relogin``: agents whose leg is gone (the switch restarted) are logged
        in again, which opens a new leg.
        """
        # Only what existed before the listing was asked for: a call or leg sent meanwhile
        # is simply not in the list yet, and must not be declared gone.
        call_switch = self.switches.call_switch
        engine_calls = [c for c, s in call_switch.items() if s == switch_id]
        orphans = [c for c in self.orphans if call_switch.get(c) == switch_id]
        agent_legs = [(leg, agent) for leg, agent in self.switches.translator.agent_legs.items()
                      if call_switch.get(leg) == switch_id]
        try:
            rows = await self.switches.pool.live_channel_rows(switch_id)
        except Exception as error:  # the switch dropped again: try at the next reconnect
            log.warning("cannot list channels on %s: %s", switch_id, error)
            return
        if rows is None:
            return
        live = set(rows)
        open_attempts = await self.db.call(self.link.store.open_attempts,
                                           process_owner=self.link.owner,
                                           campaign=self.link.campaign_id)
        engine = self.engine
        for attempt in open_attempts:
            node, call_id = attempt.switch_node, attempt.call_uuid or ""
            if node != switch_id and node in self.switches.pool.clients:
                continue
            if engine is not None and call_id in engine.calls:
                continue
            if call_id in self.orphans:
                continue
            if call_id in live:
                await self._adopt(attempt, switch_id)
            elif node == switch_id or engine is None:
                self._close(attempt)
        if old_legs:
            await self._close_old_agent_legs(switch_id, rows)
        # Inbound callers parked before the start or while the link was down.
        await self.adopt_inbound(switch_id, rows, self.orphans)
        for call_id in orphans:
            # An adopted call whose end we missed (its hangup went to a lost link): without
            # this, a stop would wait for it and then exit with its attempt still open.
            orphan = self.orphans.get(call_id)
            if orphan is not None and call_id not in live:
                del self.orphans[call_id]
                self._finish(orphan, self.clock(), HangupCause.NORMAL_TEMPORARY_FAILURE)
        if engine is None:
            return
        now = self.clock()
        for call_id in engine_calls:
            call = engine.calls.get(call_id)
            if call is None:
                continue
            if call_id not in live:
                # A call the engine follows whose end we missed while the link was down.
                self.post(CallHungUp(now, call_id, HangupCause.NORMAL_TEMPORARY_FAILURE
                                     if call.answered_at is not None else LOST_WITH_LINK))
            elif call.answered_at is None and rows[call_id].get("callstate") in ("ACTIVE",
                                                                                 "HELD"):
                # Answered while the link was away (its CHANNEL_ANSWER went to the lost
                # socket): the engine learns it now, from what the switch reports.
                log.warning("call %s was answered while %s was away", call_id, switch_id)
                self.post(CallAnswered(now, call_id, False))
                if rows[call_id].get("application") == "park":
                    self.post(CallParked(now, call_id))
        lost = []
        for leg_id, agent_id in agent_legs:
            if leg_id not in live:
                self.switches.translator.forget(leg_id)
                self.post(AgentLegDown(now, agent_id, HangupCause.NORMAL_TEMPORARY_FAILURE,
                                       leg_id))
                lost.append(agent_id)
            elif rows[leg_id].get("application") == "park":
                agent = engine.pool.agents.get(agent_id)
                if (agent is not None and agent.leg_id == leg_id
                        and agent.state is AgentState.CONNECTING):
                    # Parked while the link was away: its CHANNEL_PARK went to the lost socket.
                    self.post(AgentLegUp(now, agent_id, leg_id))
        if lost and relogin:
            log.warning("switch %s lost the legs of %s (restarted?): calling them again",
                        switch_id, ", ".join(sorted(lost)))
            for agent_id in lost:
                self.relogin(agent_id)

    async def _close_old_agent_legs(self, switch_id: str, rows: dict[str, dict]) -> None:
        """Hang up the nailed-up legs a dead process of this owner left on the switch."""
        client = self.switches.pool.clients[switch_id]
        keep = {o.agent_leg for o in self.orphans.values() if o.agent_leg}
        closed = []
        for uuid in rows:
            if self.switches.translator.owns(uuid) or uuid in self.orphans:
                continue
            try:
                owner = (await client.api(f"uuid_getvar {uuid} dialer_owner")).strip()
                if owner != self.link.owner:
                    continue
                leg = (await client.api(f"uuid_getvar {uuid} dialer_leg")).strip()
                if leg != "agent" or uuid in keep:
                    continue
                await client.api(f"uuid_kill {uuid} NORMAL_CLEARING")
            except Exception as error:  # a channel that just ended, a dropped link
                log.debug("old agent leg %s: %s", uuid, error)
                continue
            closed.append(uuid)
        if closed:
            log.warning("hung up %d agent legs left on %s by the previous run: %s",
                        len(closed), switch_id, ", ".join(closed))

    def _close(self, attempt: CallAttempt) -> None:
        """The channel is gone: close the attempt from what was journaled."""
        now = self.clock()
        answered = _epoch(attempt.answered_at)
        bridged = _epoch(attempt.bridged_at)
        if bridged is not None:
            outcome = CallOutcome.CONNECTED
        elif answered is not None:
            outcome = CallOutcome.ABANDONED
        else:
            outcome = CallOutcome.FAILED
        finished = AttemptFinished(
            now, attempt.call_uuid or "", self.link.name, Direction.OUTBOUND, outcome,
            HangupCause.CRASH, lead_id=str(attempt.lead_id), number_e164=attempt.phone,
            attempt_number=attempt.attempt_number, dialed_at=_epoch(attempt.dialed_at),
            answered_at=answered, bridged_at=bridged, ended_at=now,
            answer_kind=AnswerKind.UNKNOWN if answered is not None else None,
            abandoned=answered is not None and bridged is None,
            agent_id=self.link.agent_name(attempt.agent_id))
        self._write(finished, "CRASH")
        self.closed += 1

    def _write(self, finished: AttemptFinished, cause: str | None = None) -> None:
        ops = [self.link.finish_op(finished, cause)]
        if finished.bridged_at is not None:
            # Connected before the restart: nobody can set its disposition any more.
            ops.append(self.link.disposition_op(
                finished.call_id, self.link.settings.wrap_up_timeout_disposition,
                finished.ended_at))
        self.db.write(ops)

    async def _adopt(self, attempt: CallAttempt, switch_id: str) -> None:
        orphan = Orphan(attempt)
        call_id = orphan.call_id
        self.orphans[call_id] = orphan
        self.switches.call_switch[call_id] = switch_id
        self.adopted += 1
        client = self.switches.pool.clients[switch_id]
        try:
            dump = json.loads(await client.api(f"uuid_dump {call_id} json"))
        except Exception as error:  # gone meanwhile, or an old switch: its hangup will tell
            log.warning("adopted call %s: no channel data (%s)", call_id, error)
            dump = {}
        if not isinstance(dump, dict):
            dump = {}
        answered = (dump.get("Answer-State") == "answered"
                    or _micros(dump.get("Caller-Channel-Answered-Time")) is not None)
        self.switches.translator.legs.adopt_call(call_id, answered=answered,
                                          parked=dump.get("Channel-State") == "CS_EXECUTE")
        if answered:
            orphan.answered_at = (orphan.answered_at
                                  or _micros(dump.get("Caller-Channel-Answered-Time"))
                                  or self.clock())
        other = dump.get("Other-Leg-Unique-ID")
        bridged_at = _micros(dump.get("Caller-Channel-Bridged-Time"))
        if answered and other and bridged_at is not None:
            # Still bridged to the dead process's agent leg: the conversation goes on; its
            # bridge time is the switch's, not this restart's.
            orphan.bridged_at = _epoch(attempt.bridged_at) or bridged_at
            orphan.agent_leg = str(other)
        elif answered:
            # Waiting in silence for an agent since before the crash: the message, now.
            await self._safe_harbor(orphan)
        log.warning("adopted call %s on %s: %s", call_id, switch_id,
                    "bridged" if orphan.bridged_at else
                    "answered, safe-harbour message" if answered else "not answered yet")
        if orphan.answered_at is not None:
            # In the journal now, so the ledger seeded after recovery counts it.
            ops: list = [self.link.answered_op(call_id, orphan.answered_at)]
            if orphan.bridged_at is not None and attempt.bridged_at is None:
                ops.append(UpdateOp(call_id, {"bridged_at": utc(orphan.bridged_at)}))
            self.db.write(ops)

    async def _safe_harbor(self, orphan: Orphan) -> None:
        """Answered with nobody to take it: the message and the opt-out, as the engine would."""
        orphan.abandoned = True
        config = self.config
        await self.commands.send(PlayMessage(self.clock(), orphan.call_id,
                                             config.safe_harbor_message, True,
                                             config.optout_digit))

    async def orphan_event(self, event: Event) -> None:
        call_id = event.call_id  # type: ignore[union-attr]
        orphan = self.orphans[call_id]
        if isinstance(event, CallAnswered) and orphan.answered_at is None:
            orphan.answered_at = event.at
            engine = self.engine
            if engine is not None:
                engine.ledger.mark_abandoned(engine.ledger.record_live(event.at))
            await self._safe_harbor(orphan)
        elif isinstance(event, CallBridged):
            orphan.bridged_at = event.at
        elif (isinstance(event, DtmfReceived) and orphan.abandoned and not orphan.opted_out
              and event.digit == self.config.optout_digit):
            orphan.opted_out = True
            await self.commands.execute([RecordOptOut(
                event.at, orphan.attempt.phone, call_id, self.link.name,
                "automated opt-out key during the safe-harbour message (adopted call)")])
        elif isinstance(event, CallHungUp | OriginateFailed):
            del self.orphans[call_id]
            self._finish(orphan, event.at, event.cause)
            if orphan.agent_leg is not None:
                # The dead process's agent leg served its last call: hang it up.
                switch_id = self.switches.call_switch.get(call_id)
                client = self.switches.pool.clients.get(switch_id or "")
                if client is not None and client.connected:
                    with contextlib.suppress(Exception):
                        await client.api(f"uuid_kill {orphan.agent_leg} NORMAL_CLEARING")
                    log.warning("hung up agent leg %s of the previous run after its call",
                                orphan.agent_leg)

    def _finish(self, orphan: Orphan, at: float, cause: HangupCause) -> None:
        attempt = orphan.attempt
        if orphan.bridged_at is not None:
            outcome = CallOutcome.CONNECTED
        elif orphan.answered_at is not None:
            outcome = CallOutcome.ABANDONED
        else:
            outcome = {"busy": CallOutcome.BUSY, "no_answer": CallOutcome.NO_ANSWER}.get(
                dial_outcome(cause).value, CallOutcome.FAILED)
        finished = AttemptFinished(
            at, orphan.call_id, self.link.name, Direction.OUTBOUND, outcome, cause,
            lead_id=str(attempt.lead_id), number_e164=attempt.phone,
            attempt_number=attempt.attempt_number, dialed_at=_epoch(attempt.dialed_at),
            answered_at=orphan.answered_at, bridged_at=orphan.bridged_at, ended_at=at,
            answer_kind=AnswerKind.UNKNOWN if orphan.answered_at is not None else None,
            abandoned=orphan.abandoned and orphan.bridged_at is None,
            opted_out=orphan.opted_out, agent_id=self.link.agent_name(attempt.agent_id))
        self.stats.ended(orphan.call_id, store_outcome(finished).value, finished.abandoned,
                           orphan.answered_at is not None)
        self._write(finished)


__all__ = ["Orphan", "Recovery"]
