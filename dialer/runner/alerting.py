"""The runner's alerts: one ``AlertBook`` fed with the campaign's readings and the queues'.

Every place a supervisor reads alerts (``dialer monitor``, the supervisor's web page, the
alerts log ``<data>/alerts/CAMPAIGN.jsonl`` and the optional webhook) gets them from this
book through the runner's snapshot, so they cannot disagree: the web tier computes none of
its own. The readings themselves are ``dialer.alerts``' (``campaign_readings``,
``queue_readings``); this object only gathers the facts, once a second, and owns the sinks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence, Sized
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dialer.alerts import (
    AlertBook,
    AlertEvent,
    AlertLog,
    AlertSink,
    CampaignFacts,
    Reading,
    Webhook,
    campaign_readings,
)
from dialer.engine import Engine
from dialer.engine.config import CampaignConfig
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dbworker import DbWorker
from dialer.runner.send_hold import SendGuard
from dialer.runner.state_follow import Held, StateFollow, StateFollower
from dialer.runner.switches import SwitchPool
from dialer.runner.unwritten_dials import UnwrittenDials
from dialer.runner.wiring import RunPhase

log = logging.getLogger("dialer.runner")
LOOK_EVERY = 1.0
"""Seconds between looks: a wallboard shows an alert within about a second."""
TODAY_EVERY = 5.0
"""Seconds between reads of today's abandonment from the store (every process's calls)."""


def paused_by(follower: StateFollower) -> str:
    """Who holds dialing, for the pause alert: the state follower's own words (the status
    line says the same); before, every pause read "by a supervisor", also a ``dialer
    campaign pause``."""
    return follower.held_by(follower.held())


def alert_sinks(data: Path, campaign: str, webhook: str | None) -> list[AlertSink]:
    """Where a campaign's alert changes go: its alerts log ``<data>/alerts/CAMPAIGN.jsonl``
    and, when configured, the webhook."""
    sinks: list[AlertSink] = [AlertLog(data / "alerts" / f"{campaign}.jsonl")]
    if webhook:
        sinks.append(Webhook(webhook))
    return sinks


class RunnerAlerts:
    """The active alerts of one runner and where their changes go.

    Given what its readings rest on: the campaign's link and the database worker (today's
    abandonment, every process's), the campaign's limits, the switches, the hopper, the
    run's phase, the queues' readings (``InboundLink.queue_readings``), its sinks and the
    clock; the engine comes once built (``attach``)."""

    def __init__(self, link: CampaignLink, db: DbWorker, *, config: CampaignConfig,
                 switches: SwitchPool, hopper: Sized, phase: RunPhase,
                 queue_readings: Callable[[Engine, float], list[Reading]],
                 sinks: Sequence[AlertSink], clock: Callable[[], float]) -> None:
        self.link = link
        self.db = db
        self.config = config
        self.switches = switches
        self.hopper = hopper
        self.phase = phase
        self.queue_readings = queue_readings
        self.clock = clock
        self.engine: Engine | None = None
        self.follow: StateFollow | None = None
        """The campaign's state follower (set by the runner): who paused dialing."""
        self.unwritten: UnwrittenDials | None = None
        """The dial sender's record of an outage of the dial records (set by the runner)."""
        self.sends: SendGuard | None = None
        """Whether the switch takes originates (send_hold.py; set by the runner)."""
        self.book = AlertBook(list(sinks))
        self.abandon_rate_today: float | None = None
        self._today_read_at: float | None = None

    @property
    def inbound_only(self) -> bool:
        """No hopper alert for a campaign of queues only (``RunPhase.inbound_only``)."""
        return self.phase.inbound_only

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once built (its abandonment, pause and queues)."""
        self.engine = engine

    def facts(self, now: float) -> CampaignFacts:
        engine = self.engine
        snap = engine.snapshot(now) if engine is not None else None
        follower = self.follow.follower if self.follow is not None else None
        outage = self.db.outage if self.db is not None else None
        # The store's outage is one alert (``store_writes``): the pause it holds, the hopper
        # it empties and the dial records it refuses are that outage, not three more.
        store_down = outage is not None or (
            follower is not None and follower.held() is Held.WRITES)
        store_unwritable = None
        if store_down:
            words = (follower.reason(Held.WRITES)
                     if follower is not None and follower.held() is Held.WRITES
                     else "the campaign store cannot be written "
                     f"({outage.failure if outage is not None else 'no write taken'})")
            kept = self.db.pending_operations if self.db is not None else 0
            store_unwritable = f"{words} ({kept} writes kept)"
        refusing = self.sends.reason() if self.sends is not None else None
        return CampaignFacts(
            campaign=self.link.name,
            abandon_rate=snap.abandon_rate if snap is not None else None,
            abandon_target=self.config.abandon_target,
            abandon_window_s=self.config.ledger_window,
            abandon_rate_today=self.abandon_rate_today,
            switches={sid: c.state.value for sid, c in self.switches.clients.items()},
            stopping=self.phase.stopping,
            # The store's outage and the switch's refusals are one alert each, standing for
            # the pause they hold.
            dialing_paused=bool(engine is not None and engine.dialing_paused
                                and not (follower is not None
                                         and follower.held() in (Held.WRITES, Held.SWITCH))),
            paused_by=paused_by(follower) if follower is not None else "",
            hopper=len(self.hopper) if engine is not None and not self.inbound_only
            and not store_down else None,
            guaranteed_abandons=snap.abandons_in_window
            if snap is not None and self.config.agent_guaranteed else None,
            dial_records_failing=self.unwritten.failure if self.unwritten is not None
            and not store_down else None,
            store_unwritable=store_unwritable,
            switch_refusing=refusing,
            switches_refusing=self.sends.refusing() if self.sends is not None
            and refusing is None else {})

    def readings(self, now: float) -> list[Reading]:
        readings = campaign_readings(self.facts(now))
        if self.engine is not None:
            readings += self.queue_readings(self.engine, now)
        return readings

    def look(self, now: float) -> list[AlertEvent]:
        changes = self.book.update(now, self.readings(now))
        for change in changes:
            (log.warning if change.state == "raised" else log.info)("alert %s: %s",
                                                                    change.state,
                                                                    change.message)
        return changes

    async def _read_today(self, now: float) -> None:
        at = datetime.fromtimestamp(now, UTC)
        midnight = datetime.combine(at.date(), datetime.min.time(), UTC)
        counts = await self.db.call(self.link.store.ledger_counts, self.link.campaign_id,
                                    now=at, window=max(at - midnight, timedelta(seconds=1)))
        self.abandon_rate_today = (counts.abandons / counts.live_answers
                                   if counts.live_answers else None)
        self._today_read_at = now

    async def watch(self) -> None:
        """Look every second (today's abandonment every few seconds, from the store)."""
        while True:
            await asyncio.sleep(LOOK_EVERY)
            now = self.clock()
            if self._today_read_at is None or now - self._today_read_at >= TODAY_EVERY:
                try:
                    await self._read_today(now)
                except Exception as error:  # a slow store delays a figure, not the alerts
                    log.warning("alerts: today's abandonment not read: %s", error)
            self.look(now)

    def snapshot(self) -> list[dict[str, Any]]:
        """The active alerts as the snapshot carries them (monitor, web)."""
        return [{"key": a.key, "subject": a.subject, "measure": a.measure, "value": a.value,
                 "threshold": a.threshold, "since": a.at, "message": a.message}
                for a in self.book.active.values()]

    def close(self) -> None:
        self.book.close()
