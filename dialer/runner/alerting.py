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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

log = logging.getLogger("dialer.runner")
LOOK_EVERY = 1.0
"""Seconds between looks: a wallboard shows an alert within about a second."""
TODAY_EVERY = 5.0
"""Seconds between reads of today's abandonment from the store (every process's calls)."""


class RunnerAlerts:
    """The active alerts of one runner and where their changes go."""

    def __init__(self, runner: Runner) -> None:
        settings = runner.settings
        sinks: list[AlertSink] = [AlertLog(settings.data / "alerts" / f"{runner.campaign}.jsonl")]
        if settings.alerts_webhook:
            sinks.append(Webhook(settings.alerts_webhook))
        self.book = AlertBook(sinks)
        self.abandon_rate_today: float | None = None
        self._today_read_at: float | None = None
        self.inbound_only = False
        """The campaign serves queues and had no lead at all at start: an empty hopper is its
        normal state, not an alert (set by the runner's start; a blended campaign whose leads
        run out still raises it)."""

    def facts(self, runner: Runner, now: float) -> CampaignFacts:
        engine = runner.engine
        snap = engine.snapshot(now) if engine is not None else None
        return CampaignFacts(
            campaign=runner.campaign,
            abandon_rate=snap.abandon_rate if snap is not None else None,
            abandon_target=runner.config.abandon_target,
            abandon_window_s=runner.config.ledger_window,
            abandon_rate_today=self.abandon_rate_today,
            switches={sid: c.state.value for sid, c in runner.switches.clients.items()},
            stopping=runner.stopping,
            dialing_paused=bool(engine is not None and engine.dialing_paused),
            hopper=len(runner.hopper) if engine is not None and not self.inbound_only
            else None)

    def readings(self, runner: Runner, now: float) -> list[Reading]:
        readings = campaign_readings(self.facts(runner, now))
        if runner.engine is not None:
            readings += runner.inbound.queue_readings(runner.engine, now)
        return readings

    def look(self, runner: Runner, now: float) -> list[AlertEvent]:
        changes = self.book.update(now, self.readings(runner, now))
        for change in changes:
            (log.warning if change.state == "raised" else log.info)("alert %s: %s",
                                                                    change.state,
                                                                    change.message)
        return changes

    async def _read_today(self, runner: Runner, now: float) -> None:
        at = datetime.fromtimestamp(now, UTC)
        midnight = datetime.combine(at.date(), datetime.min.time(), UTC)
        counts = await runner.db.call(runner.store.ledger_counts, runner.link.campaign_id,
                                      now=at, window=max(at - midnight, timedelta(seconds=1)))
        self.abandon_rate_today = (counts.abandons / counts.live_answers
                                   if counts.live_answers else None)
        self._today_read_at = now

    async def watch(self, runner: Runner) -> None:
        """Look every second (today's abandonment every few seconds, from the store)."""
        while True:
            await asyncio.sleep(LOOK_EVERY)
            now = runner.clock()
            if self._today_read_at is None or now - self._today_read_at >= TODAY_EVERY:
                try:
                    await self._read_today(runner, now)
                except Exception as error:  # a slow store delays a figure, not the alerts
                    log.warning("alerts: today's abandonment not read: %s", error)
            self.look(runner, now)

    def snapshot(self) -> list[dict[str, Any]]:
        """The active alerts as the snapshot carries them (monitor, web)."""
        return [{"key": a.key, "subject": a.subject, "measure": a.measure, "value": a.value,
                 "threshold": a.threshold, "since": a.at, "message": a.message}
                for a in self.book.active.values()]

    def close(self) -> None:
        self.book.close()
