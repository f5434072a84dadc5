"""The running dialer's Prometheus endpoint (``dialer run --metrics 127.0.0.1:9464``).

``RunnerMetrics`` (metrics.py) holds the families; this is the runner's side of them: the
counters and the histogram are fed as things happen (each originate, each finished attempt,
each bridge), and once a second a ``MetricsView`` is taken from the engine, the switches,
the gateway router and the journal writer on the event loop. The HTTP server thread only
reads what prometheus-client holds, never the runner's own state.

Abandonment "today" is this process's own, since the UTC midnight (or its start): live
answers and abandons it saw finish. The "rolling" rate is the engine's legal window (30
days under the TSR, 47 CFR 64.1200(a)(7); 24 hours under Ofcom's policy), other processes'
counts included, the figure pacing keeps under the target.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dialer.commands import AttemptFinished, Originate
from dialer.engine import Engine
from dialer.events import AnswerKind
from dialer.runner.dbworker import DbWorker
from dialer.runner.metrics import MetricsView, RunnerMetrics
from dialer.runner.wiring import SwitchSide

log = logging.getLogger("dialer.runner.metrics")

REFRESH_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class MetricSources:
    """What the once-a-second view reads besides the engine: the switches and the legs they
    carry, the journal writer, the campaign's abandonment limit, whether queues are served."""

    switches: SwitchSide
    db: DbWorker
    abandon_target: float
    serves_queues: bool


class Telemetry:
    """The metrics of one runner, served while it runs.

    The counters need nothing but the campaign; the once-a-second view reads its
    ``MetricSources`` and the engine, once built (``attach``)."""

    def __init__(self, campaign: str, sources: MetricSources | None = None) -> None:
        self.metrics = RunnerMetrics(campaign)
        self.sources = sources
        self.engine: Engine | None = None
        self.server: Any = None
        self._day: int | None = None
        self._live_today = 0
        self._abandons_today = 0
        self.loop_lag = 0.0
        self.switch_refusing: Callable[[], Mapping[str, float]] | None = None
        """Switch → seconds it has refused every originate (the runner's ``SendGuard``)."""

    # --- serving -----------------------------------------------------------------------------

    def start(self, address: str) -> None:
        self.server = self.metrics.serve(address)
        host, port = self.server.server_address[:2]
        log.info("metrics on http://%s:%d/metrics", host, port)

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # --- as things happen ----------------------------------------------------------------------

    def dialed(self, originate: Originate, at: float) -> None:
        self.metrics.dialed(originate.gateway, at)

    def finished(self, command: AttemptFinished) -> None:
        day = int(command.at // 86400)
        if day != self._day:
            self._day, self._live_today, self._abandons_today = day, 0, 0
        if command.answer_kind is not None and command.answer_kind is not AnswerKind.MACHINE:
            self._live_today += 1
            self._abandons_today += command.abandoned
        failed_over = command.gateway if command.failed_over_to else None
        self.metrics.finished(command.outcome.value, command.cause.name, failed_over)

    def live_answer_confirmed(self, at: float) -> None:
        """A machine verdict an agent took was a person (``LiveAnswerConfirmed``, during
        the wrap-up of a call that ended today): one more live answer today, not abandoned."""
        if int(at // 86400) == self._day:
            self._live_today += 1

    def bridged(self, latency: float) -> None:
        self.metrics.bridged(latency)

    def late_send(self) -> None:
        """A dial not sent: its turn came past the send allowance after its decision."""
        self.metrics.late_send()

    # --- once a second -------------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once built (calls, agents, abandonment, gateways)."""
        self.engine = engine

    def view(self, now: float) -> MetricsView:
        sources = self.sources
        assert sources is not None, "a view needs the runner's MetricSources"
        engine = self.engine
        pool = sources.switches.pool
        channels: dict[str, int] = {sid: 0 for sid in pool.clients}
        for switch_id in sources.switches.call_switch.values():
            channels[switch_id] = channels.get(switch_id, 0) + 1
        switches = {sid: pool.connected(sid) for sid in pool.clients}
        db = sources.db
        common: dict[str, Any] = {
            "channels_by_switch": channels, "switches": switches,
            "journal_pending": db.pending_operations, "journal_lag": db.lag(),
            "store_unwritable": (db.outage.seconds(db.clock()) if db.outage is not None
                                 else 0.0),
            "loop_lag": self.loop_lag,
            "switch_refusing": self.switch_refusing() if self.switch_refusing else {},
            "abandon_rate_today": (self._abandons_today / self._live_today
                                   if self._live_today and self._day == int(now // 86400)
                                   else None),
            "abandon_target": sources.abandon_target}
        if engine is None:
            return MetricsView(**common)
        snap = engine.snapshot(now)
        queues = ()
        if engine.inbound is not None and sources.serves_queues:
            queues = tuple((q.name, q.waiting, q.longest_wait)
                           for q in engine.inbound.snapshot(now))
        router = engine.gateways
        return MetricsView(
            calls_by_state=snap.calls_by_state, agents_by_state=snap.agents_by_state,
            abandon_rate_rolling=snap.abandon_rate, queues=queues,
            routed_verdicts=snap.routed_verdicts,
            gateways=router.figures(now) if router is not None else (), **common)

    async def run(self, clock: Callable[[], float]) -> None:
        """Refresh the gauges once a second; the loop's lag is how late each look ran."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + REFRESH_EVERY
            await asyncio.sleep(REFRESH_EVERY)
            self.loop_lag = max(0.0, loop.time() - due)
            now = clock()
            self.metrics.refresh(self.view(now), now)
