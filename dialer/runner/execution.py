"""The runner's command side: what the engine's commands do to the switches and the store.

A mixin of ``Runner`` (dialer/runner/runner.py), kept apart so each module has one job: this
one executes commands (journal before originate, through the dial sender; outcomes, agent
history, dispositions, releases and opt-outs into the campaign store's journal; switch
commands to ESL), the runner module owns the loop, start and stop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from campaigns.journal_batch import BatchResult, BeginOp, JournalOp
from dialer.commands import (
    AgentState,
    AgentStateChanged,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Command,
    Direction,
    Eavesdrop,
    Hangup,
    Incident,
    JournalAttempt,
    LiveAnswerConfirmed,
    Originate,
    OriginateAgentLeg,
    OriginateConsult,
    PlayMessage,
    RecordOptOut,
    ReleaseLead,
)
from dialer.esl.errors import EslError
from dialer.events import AnswerKind, CallClassified, CallDisposed, OriginateFailed
from dialer.freeswitch import AdapterError
from dialer.hangup import HangupCause
from dialer.runner.campaign_link import store_outcome, utc
from dialer.runner.errors import RunnerError
from dialer.runner.fsmap import api_line
from dialer.runner.inbound import QUEUE_CALLBACK
from dialer.runner.watch import DESK_BOUND, DESK_SWITCH, desk_feed

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

    _Base = Runner
else:
    _Base = object

log = logging.getLogger("dialer.runner")
COMPLIANCE_RETRY = 900.0
"""Seconds before a lead refused by compliance (e.g. outside calling hours) is offered again."""
NEVER_SENT = HangupCause.ORIGINATOR_CANCEL
"""The cause the engine is told for a dial whose journal was refused or failed, so its
originate was never sent: the dialer's own cancel, which says nothing of the trunk (no
gateway health verdict) and is no carrier refusal (no failover to the next gateway, whose
leg would be refused at journaling in its turn: ``failover of unknown attempt``)."""
PREVIEW_SKIP_RETRY = 3600.0
"""Seconds before a lead an agent skipped in preview is offered again (to anyone)."""


class CommandExecution(_Base):
    """Command execution, dispositions and the dial sender of the runner."""

    def _apply(self, ops: Sequence[JournalOp]) -> BatchResult:
        """One database step (database thread): the dial-time decisions a batch's dials
        rest on go to the audit log before its journal is committed; if the audit cannot
        be written, the batch's other writes land but none of its dials (refused)."""
        from dialer.runner.inbound import QueueStoreOp

        inbound = [op for op in ops if isinstance(op, QueueStoreOp)]
        if inbound:
            self.inbound.apply(inbound)
            ops = [op for op in ops if not isinstance(op, QueueStoreOp)]
        begins = [op for op in ops if isinstance(op, BeginOp)]
        if begins:
            try:
                self.gate.flush_audit()
            except Exception as error:
                log.error("audit log write failed, not dialing %d calls: %s", len(begins),
                          error)
                result = self.store.journal_batch(
                    [op for op in ops if not isinstance(op, BeginOp)], owner=self.owner)
                return BatchResult(result.begun, {
                    op.call_uuid: f"audit log not written: {error}" for op in begins},
                    result.problems)
        if not begins:
            return self.store.journal_batch(ops, owner=self.owner)
        # Per-person and per-number limits counted again over every process's journal in
        # the transaction that journals the dials (campaigns/attempt_recount.py); a dial
        # refused there is audited like a refusal at the gate, on disk before the next
        # batch's originates (a crash may lose it only with a dial that was never made).
        recount = self.gate if callable(getattr(self.gate, "recount", None)) else None
        result = self.store.journal_batch(ops, owner=self.owner, recount=recount)
        if result.refused and recount is not None:
            try:
                self.gate.flush_audit()
            except Exception as error:
                log.error("audit log write failed after refusals at journaling (kept for "
                          "the next write): %s", error)
        return result

    # --- dispositions ------------------------------------------------------------------------

    def dispose(self, agent_id: str, call_id: str, disposition: str,
                callback_at: datetime | None = None, *, note: str | None = None,
                callback_agent: str | bool | None = True) -> str:
        """The agent's disposition of the call in wrap-up: journaled, and ends the wrap-up.

        Returns the call it applied to; raises ``RunnerError`` for a disposition the campaign
        does not allow, a callback without a time, or an agent not in wrap-up. A callback is
        the disposing agent's own unless ``callback_agent`` names another agent or is None
        (anyone may take it); ``note`` is kept with the attempt (and the callback)."""
        code = self.link.disposition_code(disposition)
        if self.link.dispositions[code].callback and callback_at is None:
            raise RunnerError(f"disposition {code} needs a callback time (--callback-at)")
        pending = self.to_dispose.get(agent_id)
        if pending is None or (call_id and call_id != pending):
            raise RunnerError(f"agent {agent_id!r} has no call {call_id or ''} in wrap-up")
        del self.to_dispose[agent_id]
        now = self.clock()
        owner = agent_id if callback_agent is True else callback_agent or None
        if pending in self.inbound_calls.without_attempt:
            self.inbound_calls.without_attempt.discard(pending)  # no attempt row to dispose
        else:
            self.db.write([self.link.disposition_op(pending, code, now, callback_at, owner,
                                                    note=note)])
        if pending in self.awaiting_word:
            self.awaiting_word.discard(pending)
            heard = self.link.heard(code)
            if heard is not None:
                # The agent's word on the machine verdict they took, before the disposition
                # ends their wrap-up (the engine keeps the verdict until then): a person is
                # then a live, connected answer (``LiveAnswerConfirmed``); a code that says
                # neither leaves the machine verdict (the safe side).
                self.post(CallClassified(now, pending, heard))
        self.post(CallDisposed(now, agent_id, pending, code))
        return pending

    def _agent_changed(self, change: AgentStateChanged) -> None:
        if change.state is AgentState.ON_CALL and change.call_id:
            self.watchers.bridged(self, change.call_id, change.agent_id, change.at)
        op = self.link.agent_state_op(change)
        if op is not None:
            self.db.write([op])
        if change.state is AgentState.WRAP_UP and change.call_id:
            self.inbound.wrap_started(change.agent_id, change.call_id)
        elif change.previous is AgentState.WRAP_UP:
            self.db.write(self.inbound.wrap_ended(change.agent_id, change.at))  # type: ignore[arg-type]
        if change.state is AgentState.WRAP_UP and change.call_id:
            self.to_dispose[change.agent_id] = change.call_id
            self.disposition_pending.add(change.call_id)
        elif change.previous is AgentState.WRAP_UP:
            undisposed = self.to_dispose.pop(change.agent_id, None)
            self.awaiting_word.discard(undisposed)  # type: ignore[arg-type]
            if undisposed in self.inbound_calls.without_attempt:
                self.inbound_calls.without_attempt.discard(undisposed)
            elif undisposed is not None:
                # Wrap-up ended without a disposition (timeout, logout): the campaign's
                # fallback decides the lead's future, so it never waits in a call for ever.
                self.db.write([self.link.disposition_op(
                    undisposed, self.link.settings.wrap_up_timeout_disposition, change.at)])
        if self.on_agent_change is not None:
            self.on_agent_change(change)
        if self.watchers:
            self.watchers.agents_changed(self, (change.agent_id,))

    # --- commands --------------------------------------------------------------------------

    async def _execute(self, commands: list[Command]) -> None:
        if not commands:
            return
        journals = [c for c in commands if isinstance(c, JournalAttempt)]
        dials: list[Originate] = []
        if journals:
            for journal in journals:
                self.callback_leads.discard(journal.lead_id)
            # The journal is committed in the database thread while this loop goes on with
            # other calls' events; the dial sender sends these originates once it is.
            for journal in journals:
                if journal.lead_id.startswith(QUEUE_CALLBACK):
                    self.inbound_calls.without_attempt.add(journal.call_id)
            committed = self.db.submit([
                self.inbound.begin_op(j) if j.lead_id.startswith(QUEUE_CALLBACK)
                else self.link.begin_op(j) for j in journals])
            dials = [c for c in commands if isinstance(c, Originate)]
            self.dial_queue.put_nowait((committed, journals, dials))
        gate = self.gate
        watchers = self.watchers
        for command in commands:
            self.stats.commands_executed += 1
            inbound_ops = self.inbound.ops_for(command)
            if inbound_ops is not None:
                self.db.write(inbound_ops)  # type: ignore[arg-type]
                if isinstance(command, AttemptFinished):
                    self._finished_inbound(command)
                continue
            if isinstance(command, AttemptFinished):
                self._finished(command)
            elif isinstance(command, AgentStateChanged):
                self._agent_changed(command)
            elif type(command) in DESK_BOUND:
                if watchers:
                    desk_feed(self, command)
                continue
            elif isinstance(command, ReleaseLead):
                self.callback_leads.discard(command.lead_id)
                gate.forget(command.lead_id)
                compliance = command.reason == "compliance"
                reason = "; ".join(command.verdict.reasons) if command.verdict else None
                if command.reason == "no route":
                    # No gateway serves the number: offered again later, not at every tick.
                    self.db.write([self.link.release_op(
                        command.lead_id, command.at + COMPLIANCE_RETRY,
                        "no gateway serves this number")])
                    continue
                retry_at = (command.at + COMPLIANCE_RETRY if compliance
                            else command.at + PREVIEW_SKIP_RETRY
                            if command.reason == "preview skipped" else None)
                self.db.write([self.link.release_op(
                    command.lead_id, retry_at,
                    f"dial time: {reason}" if compliance and reason else None)])
            elif isinstance(command, LiveAnswerConfirmed):
                self._live_answer_confirmed(command)
            elif isinstance(command, Incident):
                self.stats.incident(command.kind.value)
                log.warning("incident %s%s%s: %s", command.kind.value,
                            f" call {command.call_id}" if command.call_id else "",
                            f" agent {command.agent_id}" if command.agent_id else "",
                            command.detail)
            elif isinstance(command, RecordOptOut):
                # Honoured at once: the gate reads the shared list at the next dial.
                self.stats.opt_outs += 1
                self.internal_dnc.add(
                    command.number_e164, utc(command.at),
                    command.reason or "opt-out during call", f"campaign:{command.campaign}",
                    source=f"call:{command.call_id}")
            elif isinstance(command, JournalAttempt) or (dials and isinstance(command, Originate)):
                continue
            else:
                if isinstance(command, PlayMessage) and command.decision_id is not None:
                    # A recorded message rests on a compliance decision: on disk before it
                    # plays, like a dial's (if the audit cannot be written, no message).
                    try:
                        await self.db.call(gate.flush_audit)
                    except Exception as error:
                        log.error("audit log write failed, leaving no message: %s", error)
                        await self._send(Hangup(command.at, command.call_id))
                        continue
                await self._send(command)
                if watchers and type(command) in DESK_SWITCH:
                    desk_feed(self, command)
        self.hopper.released.clear()

    async def _send_dials(self) -> None:
        """The dial sender: in journal order, each batch's originates once its journal is
        committed (never before); a journal refused or failed is not dialed."""
        while True:
            committed, journals, dials = await self.dial_queue.get()
            try:
                result = await committed
                refused = result.refused
            except Exception as error:
                log.error("journal write failed, not dialing %d calls: %s", len(journals),
                          error)
                refused = {j.call_id: str(error) for j in journals}
            for call_id, why in refused.items():
                if why:
                    log.warning("not dialing %s: %s", call_id, why)
                self.unjournaled.add(call_id)
            for journal in journals:
                if journal.call_id not in refused:
                    self.gate.record_dial(journal.number_e164, journal.at, self.campaign,
                                          journal.lead_id)
            engine = self.engine
            for originate in dials:
                if engine is not None and originate.call_id not in engine.calls:
                    continue  # ended before it could be dialed (shutdown): never dialed
                if originate.call_id in refused:
                    self.post(OriginateFailed(self.clock(), originate.call_id, NEVER_SENT))
                else:
                    if self.gateway_watch is not None:
                        await self.gateway_watch.wire.turn(originate.switch_id,
                                                           originate.gateway)
                    await self._send(originate)

    def _finished_inbound(self, command: AttemptFinished) -> None:
        """An inbound call or a queue callback's dial ended (recorded by the inbound link)."""
        switch_id = self.call_switch.pop(command.call_id, None)
        if command.direction is Direction.INBOUND:
            self.inbound_calls.released(command.call_id, switch_id)
        if command.bridged_at is None:
            self.inbound_calls.without_attempt.discard(command.call_id)  # no wrap-up comes
        live = command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE
        if command.direction is not Direction.INBOUND and command.dialed_at is not None and \
                command.call_id not in self.unjournaled:
            self.gate.record_outcome(command.number_e164, command.dialed_at, answered_live=live,
                                     conversation=command.bridged_at is not None,
                                     abandoned=command.abandoned)
        self.unjournaled.discard(command.call_id)
        self.stats.ended(command.call_id, command.outcome.value, command.abandoned, live)
        if self.telemetry is not None:
            self.telemetry.finished(command)

    def _finished(self, command: AttemptFinished) -> None:
        self.call_switch.pop(command.call_id, None)
        self.stats.forget_message(command.call_id)
        if command.message == "failed":
            log.warning("call %s: abandoned and the safe-harbour message could not be played: "
                        "not a legal abandon (check the message file on the switch)",
                        command.call_id)
        live = command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE
        never_dialed = command.call_id in self.unjournaled
        if self.telemetry is not None and not never_dialed:
            self.telemetry.finished(command)
        if not never_dialed and command.dialed_at is not None:
            # Attempt limits, Reg F's conversation rule, Ofcom's 72 h rule see it at once.
            self.gate.record_outcome(command.number_e164, command.dialed_at, answered_live=live,
                                     conversation=command.bridged_at is not None,
                                     abandoned=command.abandoned,
                                     machine=command.answer_kind is AnswerKind.MACHINE)
        if command.failed_over_to is not None:
            # The attempt goes on as another leg: the lead's facts stay with the gate.
            self.stats.failovers += 1
            if not never_dialed:
                self.db.write([self.link.finish_op(command)])
            else:
                self.unjournaled.discard(command.call_id)
            return
        if command.lead_id is not None:
            self.gate.forget(command.lead_id)
        if never_dialed:
            self.unjournaled.discard(command.call_id)
            return  # nothing was journaled, the lead is not ours to reschedule
        # Counted in the store's words (the report's and the retry rules'), not the engine's.
        self.stats.ended(command.call_id, store_outcome(command).value, command.abandoned,
                         live)
        ops = [self.link.finish_op(command)]
        pending = command.call_id in self.disposition_pending
        self.disposition_pending.discard(command.call_id)
        if command.answer_kind is AnswerKind.MACHINE and command.agent_id is not None \
                and self.to_dispose.get(command.agent_id) == command.call_id \
                and self.config.machine_to_free_agent:
            self.awaiting_word.add(command.call_id)  # a machine verdict an agent took
        if command.outcome is CallOutcome.CONNECTED and not pending:
            # The agent left before the call ended (their leg dropped, e.g. with a switch
            # restart): no wrap-up will ever set a disposition, so the fallback does now, or
            # the lead would stay in a call for ever.
            log.warning("call %s ended after its agent %s was gone: disposition %s",
                        command.call_id, command.agent_id,
                        self.link.settings.wrap_up_timeout_disposition)
            ops.append(self.link.disposition_op(
                command.call_id, self.link.settings.wrap_up_timeout_disposition, command.at))
        self.db.write(ops)

    def _live_answer_confirmed(self, command: LiveAnswerConfirmed) -> None:
        """A machine verdict the agent took was a person (their disposition said so): the
        attempt, recorded as a machine, is now a live answer, connected and not abandoned,
        for the store's ledger and reports; its lead follows the disposition as any
        connected call's."""
        self.stats.live_answers += 1
        if self.telemetry is not None:
            self.telemetry.live_answer_confirmed(command.at)
        log.info("call %s: agent %s's disposition says a person answered the machine "
                 "verdict they took: recorded as a live, connected answer", command.call_id,
                 command.agent_id)
        self.db.write([self.link.live_answer_op(command.call_id)])

    async def _send(self, command: Command) -> None:
        if isinstance(command, Originate | OriginateAgentLeg | OriginateConsult | Eavesdrop):
            switch_id = command.switch_id
        else:
            key = (getattr(command, "call_id", None) or getattr(command, "agent_leg_id", None)
                   or getattr(command, "leg_a", ""))
            switch_id = self.call_switch.get(key, self.config.switch_ids[0])
        try:
            line = api_line(command, self.settings.gateway, self.campaign,
                            self.detectors.get(switch_id, self.default_detector), self.owner)
        except AdapterError as error:
            log.error("cannot send %s: %s", type(command).__name__, error)
            if isinstance(command, Originate):
                self.post(OriginateFailed(self.clock(), command.call_id,
                                          HangupCause.INVALID_NUMBER_FORMAT))
            return
        if line is None:
            return
        job_uuid = str(uuid.uuid4())
        if isinstance(command, Originate):
            self.call_switch[command.call_id] = switch_id
            self.stats.dialed(command.at)
            if self.telemetry is not None:
                self.telemetry.dialed(command, command.at)
        elif isinstance(command, OriginateConsult | Eavesdrop):
            self.call_switch[command.leg_id] = switch_id
            if isinstance(command, Eavesdrop):
                self.eavesdrops[command.supervisor] = command.leg_id
        elif isinstance(command, OriginateAgentLeg):
            if not self.switches.connected(switch_id):
                # Not up yet (start-up) or away: the nailed-up leg is sent once it is back,
                # or the agent would wait in ``connecting`` for ever.
                self.pending_agent_legs.setdefault(switch_id, []).append(command)
                return
            self.call_switch[command.agent_leg_id] = switch_id
        client = self.switches.clients.get(switch_id)
        if client is None or not client.connected:
            self.stats.send_failures += 1
            log.warning("%s: not connected, %s not sent", switch_id, type(command).__name__)
            if isinstance(command, Originate):
                # Never dial into a switch that is down: the attempt ends as failed.
                self.post(OriginateFailed(self.clock(), command.call_id,
                                          HangupCause.NORMAL_TEMPORARY_FAILURE))
            return
        # The leg is followed (and its job result read with its events) from before the
        # command is written: a BACKGROUND_JOB can never arrive unclaimed.
        if isinstance(command, Originate):
            self.translator.add_call(command.call_id, job_uuid)
        elif isinstance(command, OriginateConsult):
            self.translator.add_call(command.leg_id, job_uuid)  # the consulted party's leg
        elif isinstance(command, OriginateAgentLeg):
            self.translator.add_agent_leg(command.agent_leg_id, command.agent_id, job_uuid)
        elif isinstance(command, Bridge):
            self.stats.bridge_sent(command.call_id, self.clock())
            self.translator.add_bridge(job_uuid, command.call_id, command.agent_id,
                                       command.agent_leg_id)
        elif isinstance(command, PlayMessage):
            self.stats.message_sent(command.call_id, switch_id, self.clock())
        try:
            _, result = await client.bgapi(line, job_uuid)
        except EslError as error:
            self.stats.send_failures += 1
            log.warning("%s: %s failed: %s", switch_id, line.split()[0], error)
            if isinstance(command, OriginateAgentLeg) and not self.switches.connected(switch_id):
                # The link went down before the switch took the leg: send it once back.
                self.translator.forget(command.agent_leg_id)
                self.call_switch.pop(command.agent_leg_id, None)
                self.pending_agent_legs.setdefault(switch_id, []).append(command)
            return  # the reconnect reconciliation settles what became of this call
        if isinstance(command, Originate | OriginateAgentLeg | Bridge | OriginateConsult):
            result.add_done_callback(_ignore_result)  # read by the translator, with the events
        else:
            result.add_done_callback(_report_refusal(switch_id, line,
                                                     quiet=isinstance(command, Hangup)))

    async def send_pending_agent_legs(self, switch_id: str) -> None:
        """The switch is back: open the legs of agents still waiting for one."""
        engine = self.engine
        for command in self.pending_agent_legs.pop(switch_id, []):
            agent = engine.pool.agents.get(command.agent_id) if engine is not None else None
            if agent is not None and agent.leg_id == command.agent_leg_id:
                await self._send(command)


def _ignore_result(result: asyncio.Future[str]) -> None:
    if not result.cancelled():
        result.exception()  # retrieve it so asyncio does not report it as lost


def _report_refusal(switch_id: str, line: str, quiet: bool = False):
    """A command FreeSWITCH answered with ``-ERR`` is logged (a hang-up of a channel already
    gone is routine: DEBUG)."""
    def done(result: asyncio.Future[str]) -> None:
        if result.cancelled() or result.exception() is not None:
            return
        output = result.result().strip()
        if output.startswith("-ERR") or output.startswith("-USAGE"):
            level = logging.DEBUG if quiet else logging.WARNING
            log.log(level, "%s: `%s` refused: %s", switch_id, line, output.splitlines()[0])
    return done
