"""The runner's inbound side: the queues it serves, their records, callbacks and alerts.

One object with its own state, owned by the ``Runner``, which only routes to it:
- at start, the campaign's queues (``CampaignSettings.queues``) from the queue store, checked
  together with the prompt files (the shipped ones, overridden by ``<data>/prompts``), as the
  engine's ``QueueSet``; a queue that does not exist or cannot run refuses the start;
- what the engine's inbound commands leave behind (inbound call records, voicemails, queue
  callbacks requested, attempted, finished) as operations for the database thread, in order
  with the journal;
- queue callbacks held by this process (claimed in the store, renewed, and handed to the
  engine as ``QueueCallbackPending``: after a restart, and when a voicemail is turned into a
  callback while the runner runs);
- the queues' alert readings (thresholds of ``QueueConfig.alerts``), for the runner's
  alerts (``dialer/runner/alerting.py``: the alerts log, the webhook, monitor and web).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from campaigns.inbound_records import InboundRecord, utc
from campaigns.journal_batch import CallbackDialOp, DispositionOp, FinishOp
from campaigns.models import QueueCallbackStatus
from campaigns.queue_store import QueueError, QueueStore, refuse_unmeant
from dialer.alerts import Reading, queue_readings
from dialer.commands import (
    AttemptFinished,
    CallbackResult,
    Direction,
    JournalAttempt,
    QueueCallbackAttempted,
    QueueCallbackFinished,
    QueueCallbackRequested,
    VoicemailRecorded,
)
from dialer.engine import Engine
from dialer.engine.queues import QueueSet
from dialer.events import Event, QueueCallbackPending
from dialer.prompt_files import PromptSet, load_prompts
from dialer.runner.callback_gate import QUEUE_CALLBACK, CallbackFacts, CallbackGate
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dbworker import STORE_ERRORS, DbWorker, StoreTrouble
from dialer.runner.kept_verdicts import KeptVerdicts
from dialer.runner.queue_writes import QueueStoreOp, QueueWrites, apply_queue_writes

log = logging.getLogger("dialer.runner")
WATCH_EVERY = 5.0
"""Seconds between looks at the queues (alerts) and at the store's callbacks."""
CLAIM_TTL = timedelta(minutes=2)


class InboundLink:
    """Queues, inbound records, queue callbacks and alerts of one runner.

    Given the campaign's link (its store, owner, queues and agents), where the prompts
    are, and for its watch the database worker, the clock and the inbox; the engine comes
    once built (``attach``)."""

    def __init__(self, link: CampaignLink, db: DbWorker, *, prompt_dirs: Sequence[Path],
                 prompts_on_switch: str | None, clock: Callable[[], float],
                 post: Callable[[Event], None]) -> None:
        self.link = link
        self.store = QueueStore(link.store)
        self.writes = QueueWrites(link.store)
        """The queue store's writes (database thread; queue_writes.py): ops as data, held
        and spilled with the journal's in a store outage."""
        self.writes.prefetch = self._prefetch
        self.writes.flush_callback_audit = self._flush_callback_audit
        self.records = self.writes.records
        self.callbacks = self.writes.callbacks
        self.voicemail = self.writes.voicemail
        self.names = tuple(link.settings.queues)
        self.owner = link.owner
        self.campaign_id = link.campaign_id
        self.db = db
        self.clock = clock
        self.post = post
        self.engine: Engine | None = None
        self.queues: QueueSet | None = None
        prompts = load_prompts(prompt_dirs, prompts_on_switch)
        if self.names:
            self.queues = self.store.queue_set(self.names, prompts)
            refuse_unmeant(q.config for q in self.queues)
            self._check_staffed(link)
        self.prompts: PromptSet = self.queues.prompts if self.queues is not None else prompts
        """The prompts callers hear (the shipped ones, overridden by ``<data>/prompts``):
        the queues', and the refusal of a caller naming an unknown queue."""
        self.served = tuple(q.name for q in self.queues) if self.queues is not None else ()
        self._thresholds = {q.name: q.config.alerts for q in self.queues or ()}
        self._finished_callbacks: set[str] = set()
        """Callbacks this process finished (a claim racing their last write ignores them)."""
        self._callback_calls: dict[str, str] = {}
        """Queue callback call id → callback id (for the attempt's end)."""
        self._callback_dials: set[str] = set()
        """Queue callback dials whose attempt row may still take a disposition."""
        self._inbound_calls: dict[str, str] = {}
        """Agent → the call whose wrap-up runs (its end is an inbound call's wrap end)."""
        self._dispositions: dict[str, tuple[str, str | None]] = {}
        """Inbound call still live (transferred on) → the disposition its agent gave."""
        self.callback_gate: CallbackGate | None = None
        """The callbacks' dial-time gate (the runner's, once built): it learns each
        callback's facts when this link does, and forgets them when it finishes."""
        self.kept_verdicts = KeptVerdicts()
        """The gate's last verdict per callback as stored (read back at a claim: what the
        console shows after a restart until the next check; kept_verdicts.py)."""

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once built (its queues' callbacks and snapshot); the
        verdicts it acts on are kept for the store (``verdict_ops``)."""
        self.engine = engine
        engine.inbound.verdicts.track_changes()

    def _check_staffed(self, link: CampaignLink) -> None:
        """A queue whose skill levels none of the campaign's agents has is refused: an
        agent logging in during the run brings no skills, so its callers would wait until
        they gave up. A queue whose agent list names nobody on the campaign yet is only
        warned about (that agent may still log in with an endpoint of their own)."""
        assert self.queues is not None
        agents = {name: spec.skills for name, spec in link.agents.items()}
        for name, problem in self.queues.unstaffed(agents).items():
            if self.queues.queues[name].levels:
                raise QueueError(f"{problem}; give an agent the skills with `dialer campaign "
                                 f"edit {link.name} --skills NAME=SKILL:LEVEL`")
            log.warning("%s; callers wait until one of its agents logs in", problem)

    # --- commands → store ------------------------------------------------------------------

    def ops_for(self, command: object) -> list[QueueStoreOp | FinishOp] | None:
        """The store writes for an inbound command (None: not an inbound command)."""
        store_at = utc(command.at)  # type: ignore[attr-defined]
        if isinstance(command, AttemptFinished):
            if command.direction is Direction.INBOUND:
                record = InboundRecord(
                    command.call_id, command.queue or "", command.number_e164,
                    utc(command.dialed_at or command.at), utc(command.ended_at or command.at),
                    command.outcome.value,
                    utc(command.queued_at) if command.queued_at is not None else None,
                    utc(command.bridged_at) if command.bridged_at is not None else None,
                    command.cause.name, None, command.estimated_wait, command.overflowed_from,
                    command.ivr_keys or None, command.opted_out, self.campaign_id,
                    *self._dispositions.pop(command.call_id, (None, None)))
                return [self.writes.op("inbound_call", record, command.agent_id)]
            if command.lead_id is not None and command.lead_id.startswith(QUEUE_CALLBACK):
                # The dial's attempt row is closed like a campaign dial's (the journal every
                # history reader counts: answered, who hung up, machine, abandoned); the
                # callback's own result comes as QueueCallback* commands.
                self._callback_calls.pop(command.call_id, None)
                if command.bridged_at is None:
                    self._callback_dials.discard(command.call_id)  # no wrap-up comes
                return [self.link.finish_op(command)]
            return None
        if isinstance(command, QueueCallbackRequested):
            return [self.writes.op(
                "callback_requested", command.callback_id, command.queue,
                command.number_e164, command.place_at, command.at, command.priority,
                command.call_id, command.customer_key, self.owner, CLAIM_TTL)]
        if isinstance(command, QueueCallbackAttempted):
            return [self.writes.op("callback_attempted", command.callback_id,
                                   command.attempts, utc(command.retry_at), store_at,
                                   self.owner)]
        if isinstance(command, QueueCallbackFinished):
            self._finished_callbacks.add(command.callback_id)
            self.kept_verdicts.forget(command.callback_id)
            if self.callback_gate is not None:
                self.callback_gate.forget(command.callback_id)
            status = {CallbackResult.COMPLETED: QueueCallbackStatus.COMPLETED,
                      CallbackResult.FAILED: QueueCallbackStatus.FAILED,
                      CallbackResult.OPTED_OUT: QueueCallbackStatus.OPTED_OUT,
                      CallbackResult.CANCELLED: QueueCallbackStatus.CANCELLED}[command.result]
            return [self.writes.op("callback_finished", command.callback_id, status.value,
                                   command.attempts, store_at, command.call_id,
                                   command.reason, self.owner)]
        if isinstance(command, VoicemailRecorded):
            return [self.writes.op("voicemail_recorded", command.call_id, command.queue,
                                   command.caller_number, command.path,
                                   utc(command.started_at), utc(command.ended_at))]
        return None

    def begin_op(self, journal: JournalAttempt) -> CallbackDialOp:
        """A queue callback's dial, journaled before its originate as an attempt of this
        campaign (no lead, the callback's id): every process's attempt history counts it,
        and after a restart too. Its decision is on disk before (``JournalStep``)."""
        callback_id = journal.lead_id.removeprefix(QUEUE_CALLBACK)
        self._callback_calls[journal.call_id] = callback_id
        self._callback_dials.add(journal.call_id)
        verdict = journal.verdict
        decision = verdict.decision_id or "; ".join(verdict.reasons) or None
        return CallbackDialOp(
            call_uuid=journal.call_id, queue_callback_id=callback_id,
            campaign_id=self.campaign_id, phone=journal.number_e164, at=utc(journal.at),
            attempt_number=journal.attempt_number,
            caller_id=journal.caller_id or self.link.settings.caller_ids[0],
            switch_node=journal.switch_id,
            compliance_decision=decision[:120] if decision else None,
            gateway=journal.gateway)

    def verdict_ops(self) -> list[QueueStoreOp]:
        """The gate verdicts the engine acted on since the last call, as one write of each
        callback's last one to its row (``queue_callback.last_verdict``): the runner asks
        after each batch of commands, so it lands in order with the journal."""
        engine = self.engine
        if engine is None:
            return []
        changed = engine.inbound.verdicts.drain()
        if not changed:
            return []
        records = KeptVerdicts.records(changed)
        return [self.writes.op("callback_verdicts", records)]

    def dialing_callback(self, call_id: str) -> bool:
        """A queue callback's dial, journaled and not ended yet (its attempt row takes the
        call's progress as it comes)."""
        return call_id in self._callback_calls

    def _prefetch(self, callback_id: str, number: str, place_at: float | None,
                  at: float) -> None:
        """Database thread: a caller kept their place; the gate loads the number's history
        (their inquiry is the moment they took the place: ``QueueCallback.inquiry_at``)."""
        if self.callback_gate is not None:
            self.callback_gate.prefetch([CallbackFacts(callback_id, number, place_at)], at)

    def _flush_callback_audit(self) -> None:
        if self.callback_gate is not None:
            self.callback_gate.gate.flush_audit()

    def wrap_started(self, agent_id: str, call_id: str) -> None:
        """An agent's wrap-up began; if the call was inbound its record gets the wrap end
        (an outbound call's update touches no row; only runners serving queues write it)."""
        if self.served:
            self._inbound_calls[agent_id] = call_id

    def wrap_ended(self, agent_id: str, at: float) -> list[QueueStoreOp]:
        call_id = self._inbound_calls.pop(agent_id, None)
        if call_id is None:
            return []
        return [self.writes.op("wrapped", call_id, utc(at))]

    def disposed(self, call_id: str, code: str, note: str | None
                 ) -> list[QueueStoreOp | DispositionOp]:
        """The agent's disposition of an inbound call, on its record; of a queue callback's
        dial, on its attempt row (a callback at a chosen time is refused before: the dial
        has no lead to keep it on). A call the agent transferred on is still live: its
        record, written when it ends, takes the disposition then."""
        if call_id in self._callback_dials:
            self._callback_dials.discard(call_id)
            return [DispositionOp(call_id, code, utc(self.clock()), note=note)]
        engine = self.engine
        call = engine.calls.get(call_id) if engine is not None else None
        if call is not None and call.state.value != "ended":
            self._dispositions[call_id] = (code, note)
            return []
        return [self.writes.op("disposed", call_id, code, note)]

    # --- callbacks held by this process ------------------------------------------------------

    def claim(self, now: float) -> list[QueueCallbackPending]:
        """Database thread: claim (or renew) this process's queue callbacks."""
        if not self.served:
            return []
        rows = self.callbacks.claim_callbacks(self.served, self.owner, now=utc(now), ttl=CLAIM_TTL)
        rows = [row for row in rows if row.id not in self._finished_callbacks]
        self.kept_verdicts.restore((row.id, row.last_verdict) for row in rows)
        inquiries = self.callbacks.inquiries(rows)
        if self.callback_gate is not None:
            self.callback_gate.prefetch([CallbackFacts(row.id, row.number, inquiries[row.id])
                                         for row in rows], now)
        return [QueueCallbackPending(now, row.id, row.queue, row.number,
                                     row.place_at.timestamp(), row.priority, row.attempts,
                                     row.customer_key, inquiries[row.id],
                                     row.next_attempt_at.timestamp()
                                     if row.next_attempt_at is not None else None)
                for row in rows]

    def release(self) -> int:
        return self.callbacks.release_callbacks(self.owner)

    # --- watching ------------------------------------------------------------------------------

    def queue_readings(self, engine: Engine, now: float) -> list[Reading]:
        """The queues' alert readings (none when no queue has thresholds)."""
        if not self._thresholds:
            return []
        return queue_readings(engine.inbound.snapshot(now), self._thresholds)

    async def watch(self) -> None:
        """Every few seconds: callbacks new in the store (voicemail). The first look comes a
        second after the start (agents logging in)."""
        delay = 1.0
        trouble = StoreTrouble("queue callbacks watch")
        while True:
            await asyncio.sleep(delay)
            delay = WATCH_EVERY
            engine = self.engine
            if engine is None or not self.served or self.db.outage is not None:
                continue  # no claim while the store cannot be written (dbworker.py)
            now = self.clock()
            try:
                claimed = await self.db.call(self.claim, now)
            except STORE_ERRORS as error:
                trouble.failed(error)
                continue
            trouble.ok()
            for pending in claimed:
                if pending.callback_id not in engine.inbound.callbacks:
                    self.post(pending)

    def snapshot(self, engine: Engine | None, now: float) -> dict[str, Any]:
        queues = []
        if engine is not None and self.served:
            for snap in engine.inbound.snapshot(now):
                queues.append({
                    "name": snap.name, "open": snap.open, "waiting": snap.waiting,
                    "callbacks_waiting": snap.callbacks_waiting,
                    "longest_wait_s": round(snap.longest_wait, 1),
                    "agents_logged_in": snap.agents_logged_in, "agents_ready": snap.agents_ready,
                    "service_level": snap.service_level,
                    "service_level_target": snap.service_level_target,
                    "offered": snap.offered, "answered": snap.answered,
                    "abandoned": snap.abandoned, "voicemails": snap.voicemails,
                    "estimated_wait_s": None if snap.estimated_wait is None
                    else round(snap.estimated_wait, 1),
                    "arrivals_per_hour": round(snap.arrivals_per_hour, 1)})
        return {"queues": queues,
                "agents_reserved": engine.inbound.reserve(now) if engine is not None else 0}


__all__ = ["QUEUE_CALLBACK", "InboundLink", "QueueStoreOp", "apply_queue_writes"]
