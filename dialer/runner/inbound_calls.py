"""The runner's live inbound call path: parked channels that name a queue, to the engine.

The dialplan answers (or pre-answers) a caller, sets ``dialer_queue=NAME`` and parks the
channel (docs/operations.md, "Inbound calls"); the FreeSWITCH adapter reports the park on
the ESL connection the runner already holds as ``InboundCallArrived``
(dialer/freeswitch/inbound.py). Here the runner decides what becomes of it:

- a queue this runner serves (its campaign's ``queues`` and their overflow targets): the
  caller's number is normalised to E.164 (an unparseable or withheld number is kept out: no
  callback, no opt-out, exactly as for a caller with no number) and the call goes to the
  engine, which runs the menus, the line, announcements, callbacks and the bridge;
- a queue configured in the store but served by another campaign: left parked for that
  campaign's runner (logged once per queue), never touched;
- a queue nobody configured (a dialplan typo, a retired queue): refused explicitly, never
  dropped: the caller hears ``all_busy`` and ``goodbye`` and the switch hangs up (the
  runner kills the channel itself if the switch has not within a grace period), logged at
  WARNING with the channel and the name, counted as ``inbound_refused``;
- while the runner stops: not taken (left parked; the next start adopts it).

Calls parked before the runner started, or while its link to a switch was down, are found in
the switch's channel list at every reconciliation (``adopt``): ``uuid_dump`` gives the same
variables, and the caller keeps the wait they had (``waiting_since``: the channel's creation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Container, Iterable
from dataclasses import replace

from campaigns.phones import normalise_one
from campaigns.queue_store import QueueStore
from dialer.commands import Hangup, PlayPrompt
from dialer.engine import Engine
from dialer.engine.prompts import PromptSet
from dialer.esl.errors import EslError
from dialer.events import CallHungUp, Event, InboundCallArrived
from dialer.freeswitch.inbound import parked_inbound
from dialer.hangup import HangupCause
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dbworker import DbWorker
from dialer.runner.inbound import WATCH_EVERY
from dialer.runner.stats import RunnerStats
from dialer.runner.wiring import CommandPort, RunPhase, SwitchSide

log = logging.getLogger("dialer.runner.inbound")
REFUSED_PROMPTS = ("all_busy", "goodbye")
"""What a caller naming an unknown queue hears before the call ends."""
CLAIM_REALM = "dialer_inbound"
"""mod_hash realm of the claims: key the call's uuid, value the process owning it."""
REFUSAL_GRACE = 10.0
"""Seconds after the refusal's prompts before the runner hangs the call up itself."""


class InboundCalls:
    """Inbound channels parked on the runner's switches: taken, left, refused, adopted."""

    def __init__(self, link: CampaignLink, db: DbWorker, switches: SwitchSide, *,
                 served: Iterable[str], prompts: PromptSet, queue_store: QueueStore,
                 default_switch: str, phase: RunPhase, stats: RunnerStats,
                 commands: CommandPort, clock: Callable[[], float],
                 post: Callable[[Event], None]) -> None:
        self.link = link
        self.db = db
        self.switches = switches
        self.served = frozenset(served)
        """The queues this runner serves (``InboundLink.served``)."""
        self.region = link.settings.default_region
        self.prompts = prompts
        self.queue_store = queue_store
        """Which queue names exist at all (``refresh``)."""
        self.default_switch = default_switch
        """The switch of an arrival that names none (the campaign's first)."""
        self.phase = phase
        self.stats = stats
        self.commands = commands
        self.clock = clock
        self.post = post
        self.engine: Engine | None = None
        self.configured: frozenset[str] = frozenset()
        """Queue names configured in the store (refreshed when a name is not among them)."""
        self.refused: dict[str, float] = {}
        """Refused call → when the runner hangs it up if the switch has not."""
        self.without_attempt: set[str] = set()
        """Inbound calls and queue callbacks' dials: no ``call_attempt`` row (their records
        are the queue store's), so no bridge or disposition is written there for them."""
        self.claiming: dict[str, tuple[InboundCallArrived, str]] = {}
        """Calls whose claim on the switch is under way → (their arrival, switch)."""
        self._claimed: dict[str, str] = {}
        """Claimed (→ switch), their arrival posted again for the engine (taken when it
        comes)."""
        self._ended_claiming: dict[str, str] = {}
        """Calls that hung up while their claim was under way → switch."""
        self._gone: set[str] = set()
        """Claimed calls that hung up before their arrival reached the engine."""
        self._release: list[tuple[str, str]] = []
        """(switch, call) claims to delete from the switch's hash (at the next look)."""
        self._to_claim: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.claimed_elsewhere = 0
        self._left_queues: set[str] = set()
        self.taken = 0
        self.left = 0
        self.refused_count = 0
        self.adopted = 0

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once built (the calls it already follows)."""
        self.engine = engine

    # --- arrivals ----------------------------------------------------------------------------

    async def arrived(self, event: InboundCallArrived) -> InboundCallArrived | None:
        """The event to give the engine, or None when the call is not this runner's."""
        engine = self.engine
        call_id = event.call_id
        if call_id in self._claimed:
            # Claimed on the switch: this process's call from now on.
            self.switches.call_switch[call_id] = self._claimed.pop(call_id)
            self.without_attempt.add(call_id)
            self.taken += 1
            return event
        if call_id in self._gone:
            self._gone.discard(call_id)
            return None
        if ((engine is not None and call_id in engine.calls) or call_id in self.refused
                or call_id in self.claiming):
            return None  # seen twice (its park, and the channel list of a reconciliation)
        switch_id = event.switch_id or self.default_switch
        if event.queue in self.served:
            if self.phase.stopping:
                self.switches.translator.forget(call_id)
                log.info("inbound call %s to %s: not taken while stopping (left parked)",
                         call_id, event.queue)
                return None
            number, _ = normalise_one(event.caller_number, self.region)
            self._claim(replace(event, switch_id=switch_id, caller_number=number or "",
                                customer_key=event.customer_key or number), switch_id)
            return None
        if event.queue not in self.configured:
            try:
                await self.refresh()
            except Exception as error:
                log.error("inbound call %s to %s: cannot read the configured queues (%s); "
                          "left parked (adopted at the next reconciliation)", call_id,
                          event.queue, error)
                self.switches.translator.forget(call_id)
                return None
        if event.queue in self.configured:
            self.switches.translator.forget(call_id)
            self.left += 1
            if event.queue not in self._left_queues:
                self._left_queues.add(event.queue)
                log.info("inbound calls to queue %s are left parked for the campaign that "
                         "serves it (campaign %s does not)", event.queue, self.link.name)
            return None
        await self._refuse(event, switch_id)
        return None

    # --- claims: one process per caller ------------------------------------------------------

    def _claim(self, arrival: InboundCallArrived, switch_id: str) -> None:
        """Claim the call on its switch before taking it: every process serving the queue
        sees the same CHANNEL_PARK, and mod_hash's ``insert_ifempty`` lets exactly one of
        them have it. Sent by the claims task (``run_claims``), so the event loop never
        waits for the switch's reply; once it says ``+OK`` the arrival is posted again
        for the engine."""
        self.claiming[arrival.call_id] = (arrival, switch_id)
        self._to_claim.put_nowait((arrival.call_id, switch_id))

    async def run_claims(self) -> None:
        """The claims task (owned by the runner's task group): every claim waiting is sent
        at once, pipelined on the connection, then the next batch."""
        queue = self._to_claim
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            await asyncio.gather(*(self._send_claim(call_id, switch_id)
                                   for call_id, switch_id in batch))

    async def _send_claim(self, call_id: str, switch_id: str) -> None:
        if call_id not in self.claiming:
            self._ended_claiming.pop(call_id, None)
            return  # hung up before its claim could be sent: nothing to release
        client = self.switches.pool.clients.get(switch_id)
        try:
            if client is None or not client.connected:
                raise EslError(f"switch {switch_id} not connected")
            # ``api``, not ``bgapi``: mod_hash answers at once, and a job would cost the
            # switch a BACKGROUND_JOB event per caller.
            reply = await client.api(
                f"hash insert_ifempty/{CLAIM_REALM}/{call_id}/{self.link.owner}")
        except EslError as error:
            self.claiming.pop(call_id, None)
            self._ended_claiming.pop(call_id, None)
            self.switches.translator.forget(call_id)
            log.warning("inbound call %s: claim not sent (%s); adopted at the next "
                        "reconciliation", call_id, error)
            return
        self._claim_done(call_id, reply.strip().startswith("+OK"))

    def _claim_done(self, call_id: str, ours: bool) -> None:
        pending = self.claiming.pop(call_id, None)
        if pending is None:
            switch_id = self._ended_claiming.pop(call_id, "")
            if ours:  # hung up while the claim was under way
                self._release.append((switch_id, call_id))
            return
        arrival, switch_id = pending
        if not ours:
            self.switches.translator.forget(call_id)
            self.claimed_elsewhere += 1
            return
        self._claimed[call_id] = switch_id
        self.post(arrival)

    def released(self, call_id: str, switch_id: str | None) -> None:
        """An inbound call of ours ended: its claim goes (at the next look)."""
        if switch_id:
            self._release.append((switch_id, call_id))

    async def flush_releases(self) -> None:
        releases, self._release = self._release, []
        await asyncio.gather(*(self._send_release(switch_id, call_id)
                               for switch_id, call_id in releases))

    async def _send_release(self, switch_id: str, call_id: str) -> None:
        client = self.switches.pool.clients.get(switch_id)
        if client is None or not client.connected:
            return
        with contextlib.suppress(EslError):
            await client.api(f"hash delete/{CLAIM_REALM}/{call_id}")

    async def switch_can_claim(self, client) -> bool:  # type: ignore[no-untyped-def]
        return (await client.api("module_exists mod_hash", timeout=10.0)).strip() == "true"

    async def _refuse(self, event: InboundCallArrived, switch_id: str) -> None:
        call_id = event.call_id
        now = self.clock()
        self.refused_count += 1
        self.stats.incident("inbound_refused")
        self.refused[call_id] = now + self.prompts.length(REFUSED_PROMPTS) + REFUSAL_GRACE
        self.switches.call_switch[call_id] = switch_id
        log.warning("inbound call %s on %s names queue %r, which is not configured: the "
                    "caller hears all_busy and goodbye and the call is hung up (fix the "
                    "dialplan's dialer_queue, or create the queue with `dialer queue create` "
                    "and add it to a campaign's queues)", call_id, switch_id, event.queue)
        await self.commands.send(PlayPrompt(
            now, call_id, self.prompts.paths(REFUSED_PROMPTS), None, hangup_after=True))

    def event(self, event: Event) -> bool:
        """An event of a refused call or of one being claimed (True: handled here, not the
        engine's: it does not have the call yet, or never will)."""
        call_id = getattr(event, "call_id", None)
        if call_id is None:
            return False
        hung_up = isinstance(event, CallHungUp)
        if call_id in self.refused:
            if hung_up:
                del self.refused[call_id]
                self.switches.call_switch.pop(call_id, None)
            return True
        if call_id in self.claiming:
            if hung_up:
                _, switch_id = self.claiming.pop(call_id)
                self._ended_claiming[call_id] = switch_id  # for the claim's release
            return True
        if call_id in self._claimed and hung_up:
            # Claimed, but its arrival is still behind this hang-up in the inbox.
            self._gone.add(call_id)
            self._release.append((self._claimed.pop(call_id), call_id))
            return True
        return False

    async def watch(self) -> None:
        """Every few seconds (the first look a second after the start): refused calls the
        switch did not hang up, and the claims of ended calls deleted from the switches."""
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            delay = WATCH_EVERY
            await self.expire_refused(self.clock())
            await self.flush_releases()

    async def expire_refused(self, now: float) -> None:
        """Refused calls the switch did not hang up after the prompts: hung up now."""
        for call_id, deadline in list(self.refused.items()):
            if deadline <= now:
                self.refused[call_id] = now + REFUSAL_GRACE
                await self.commands.send(Hangup(now, call_id, HangupCause.NORMAL_CLEARING))

    async def refresh(self) -> None:
        """The queue names configured in the store (database thread)."""
        store = self.queue_store
        names = await self.db.call(store.names)
        self.configured = frozenset(names)

    # --- adoption ------------------------------------------------------------------------------

    async def adopt(self, switch_id: str, rows: dict[str, dict[str, str]],
                    followed: Container[str] = ()) -> None:
        """Inbound calls parked on ``switch_id`` that nobody follows (parked before the
        start, or while the link was down): reported as arrivals with their wait so far.
        ``followed``: calls recovery adopted (its orphans), not inbound callers."""
        client = self.switches.pool.clients[switch_id]
        engine = self.engine
        legs = self.switches.translator.legs
        for uuid, row in rows.items():
            if row.get("application") != "park" or legs.owns(uuid):
                continue
            if uuid in followed or (engine is not None and uuid in engine.calls):
                continue
            try:
                dump = json.loads(await client.api(f"uuid_dump {uuid} json"))
            except Exception as error:  # gone meanwhile, a dropped link: its park will tell
                log.debug("parked channel %s: no channel data (%s)", uuid, error)
                continue
            parked = parked_inbound(dump) if isinstance(dump, dict) else None
            if parked is None:
                continue
            if parked.queue in self.served and not await self._claim_adopted(client, uuid):
                continue  # another process's caller
            legs.adopt_call(uuid, answered=True, parked=True)
            legs.inbound[uuid] = parked
            self.adopted += 1
            now = self.clock()
            since = parked.created_at if parked.created_at is not None else now
            log.info("inbound call %s to %s was parked on %s before this runner looked: "
                     "adopted (waiting %.0f s)", uuid, parked.queue, switch_id, now - since)
            arrival = parked.arrival(now, switch_id, waiting_since=min(since, now))
            if parked.queue in self.served:
                number, _ = normalise_one(arrival.caller_number, self.region)
                arrival = replace(arrival, caller_number=number or "",
                                  customer_key=arrival.customer_key or number)
                self._claimed[uuid] = switch_id
            self.post(arrival)

    async def _claim_adopted(self, client, uuid: str) -> bool:  # type: ignore[no-untyped-def]
        """A parked caller found in the channel list is ours if nobody claimed it, or if
        this process did before it restarted (same owner id)."""
        owner = self.link.owner
        try:
            holder = (await client.api(f"hash select/{CLAIM_REALM}/{uuid}")).strip()
            if holder == owner:
                return True
            # Nothing stored reads "-ERR no reply" (mod_event_socket's text for an empty
            # answer): then the insert decides.
            if holder and not holder.startswith("-ERR"):
                return False
            reply = await client.api(f"hash insert_ifempty/{CLAIM_REALM}/{uuid}/{owner}")
        except Exception as error:  # a dropped link: the next reconciliation looks again
            log.debug("parked channel %s: claim failed (%s)", uuid, error)
            return False
        return reply.strip().startswith("+OK")

    def snapshot(self) -> dict[str, int]:
        return {"taken": self.taken, "adopted": self.adopted, "left_parked": self.left,
                "refused": self.refused_count, "claimed_elsewhere": self.claimed_elsewhere}


__all__ = ["REFUSED_PROMPTS", "InboundCalls"]

