"""Supervisor alerts: thresholds on live measures, raised when crossed, cleared when not.

Reusable by anything that measures (queues, the campaign, gateways): the
caller turns its live state into ``Reading``s (a measure, its value, the threshold and
which side of it is bad) and hands them to an ``AlertBook`` at each look. The book raises an
alert the first time a reading is on the bad side, and clears it the first time it is back
(a condition that holds raises one alert, not one per look), and passes each change to its
sinks: the JSON-lines alerts log (``AlertLog``) and an optional webhook (``Webhook``, POSTed
from a background thread so a slow receiver never delays the dialer). The active alerts are
what ``dialer monitor`` and the supervisor's web page show: one computation, here.

A reading whose value is unknown (None: e.g. no call in the service-level window) changes
nothing: an alert neither rises nor clears on missing data.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dialer.engine.inbound import QueueSnapshot
    from dialer.engine.queue_config import AlertThresholds

log = logging.getLogger("dialer.alerts")


@dataclass(frozen=True, slots=True)
class Reading:
    """One measure of one subject against its threshold."""

    key: str
    """Stable identity of the condition, e.g. ``queue/sales/longest_wait``."""
    subject: str
    """What it is about, e.g. ``queue sales`` or ``gateway carrier1``."""
    measure: str
    value: float | None
    threshold: float
    above: bool = True
    """True: bad when the value is above the threshold; False: when below."""
    unit: str = ""
    words: tuple[str, str] | None = None
    """For a state rather than a figure (a switch down, dialing paused): the raised and the
    cleared message, instead of "measure value is above limit"."""

    @property
    def breached(self) -> bool | None:
        if self.value is None:
            return None
        return self.value > self.threshold if self.above else self.value < self.threshold


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert raised or cleared."""

    at: float
    key: str
    subject: str
    measure: str
    state: str
    """``raised`` or ``cleared``."""
    value: float | None
    threshold: float
    message: str

    def to_json(self) -> dict[str, object]:
        document = asdict(self)
        document["time"] = datetime.fromtimestamp(self.at, UTC).isoformat()
        return document


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"
    if unit == "%":  # one decimal where it matters (abandonment limits are 2-3 %)
        return f"{value:.1%}".replace(".0%", "%")
    return f"{value:g} {unit}".strip() if unit else f"{value:g}"


def _message(reading: Reading, state: str) -> str:
    if reading.words is not None:
        return reading.words[0 if state == "raised" else 1]
    side = "above" if reading.above else "below"
    value = _shown(reading.value, reading.unit)
    limit = _shown(reading.threshold, reading.unit)
    if state == "raised":
        return f"{reading.subject}: {reading.measure} {value} is {side} {limit}"
    return f"{reading.subject}: {reading.measure} back to {value} (limit {limit})"


class AlertSink(Protocol):
    def send(self, event: AlertEvent) -> None: ...

    def close(self) -> None: ...


class AlertBook:
    """The active alerts, and the sinks every change goes to."""

    def __init__(self, sinks: Sequence[AlertSink] = ()) -> None:
        self.sinks = list(sinks)
        self.active: dict[str, AlertEvent] = {}

    def update(self, at: float, readings: Iterable[Reading]) -> list[AlertEvent]:
        changes: list[AlertEvent] = []
        for reading in readings:
            breached = reading.breached
            if breached is None:
                continue
            if breached and reading.key not in self.active:
                event = self._event(at, reading, "raised")
                self.active[reading.key] = event
                changes.append(event)
            elif not breached and reading.key in self.active:
                del self.active[reading.key]
                changes.append(self._event(at, reading, "cleared"))
        for event in changes:
            for sink in self.sinks:
                try:
                    sink.send(event)
                except Exception as error:  # a sink must never stop the dialer
                    log.warning("alert sink %s failed: %s", type(sink).__name__, error)
        return changes

    @staticmethod
    def _event(at: float, reading: Reading, state: str) -> AlertEvent:
        return AlertEvent(at, reading.key, reading.subject, reading.measure, state,
                          reading.value, reading.threshold, _message(reading, state))

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class AlertLog:
    """Appends each alert change as one JSON line (flushed at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def send(self, event: AlertEvent) -> None:
        self._file.write(json.dumps(event.to_json()) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class Webhook:
    """POSTs each alert change as JSON to ``url`` from a background thread.

    A failed or slow POST is logged and dropped after ``timeout`` seconds; the queue of
    unsent changes is bounded (the oldest are dropped first) so an unreachable receiver
    cannot grow memory.
    """

    def __init__(self, url: str, timeout: float = 5.0, backlog: int = 1000) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"alerts webhook {url!r}: an http:// or https:// URL")
        self.url = url
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[AlertEvent | None] = queue.Queue(backlog)
        self._thread = threading.Thread(target=self._run, name="alerts webhook", daemon=True)
        self._thread.start()

    def send(self, event: AlertEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failed += 1
            log.warning("alerts webhook backlog full: dropped %s", event.message)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            body = json.dumps(event.to_json()).encode()
            request = urllib.request.Request(self.url, body, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": "dialer-alerts"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                self.sent += 1
            except (urllib.error.URLError, OSError, ValueError) as error:
                self.failed += 1
                log.warning("alerts webhook %s: %s (%s)", self.url, error, event.message)

    def close(self, wait: float = 5.0) -> None:
        try:
            self._queue.put(None, timeout=wait)
        except queue.Full:
            return
        self._thread.join(wait)


def queue_readings(snapshots: Iterable[QueueSnapshot],
                   thresholds: Mapping[str, AlertThresholds]) -> list[Reading]:
    """The readings of the queues' alert thresholds (``QueueConfig.alerts``) from
    ``InboundRouter.snapshot`` (one ``QueueSnapshot`` per queue)."""
    readings: list[Reading] = []
    for snap in snapshots:
        limits = thresholds.get(snap.name)
        if limits is None:
            continue
        subject, base = f"queue {snap.name}", f"queue/{snap.name}/"
        if limits.longest_wait is not None:
            readings.append(Reading(base + "longest_wait", subject, "longest wait",
                                    round(snap.longest_wait, 1), limits.longest_wait, True,
                                    "s"))
        if limits.queue_length is not None:
            readings.append(Reading(base + "queue_length", subject, "callers waiting",
                                    snap.waiting, limits.queue_length, True))
        if limits.service_level is not None:
            readings.append(Reading(base + "service_level", subject, "service level (15 min)",
                                    snap.service_level, limits.service_level, False, "%"))
        if limits.agents_below is not None:
            readings.append(Reading(base + "agents", subject, "agents logged in",
                                    snap.agents_logged_in, limits.agents_below, False))
    return readings


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What a running campaign knows of itself that a supervisor must be told about."""

    campaign: str
    abandon_rate: float | None
    """Over the ledger's window (US: 30 days, 47 CFR 64.1200(a)(7)(i); Ofcom: 24 hours)."""
    abandon_target: float
    abandon_window_s: float
    abandon_rate_today: float | None
    """Since midnight UTC, every process of the campaign (None: no live answer yet)."""
    switches: Mapping[str, str]
    """Switch id → connection state (``connected`` or what it is instead)."""
    stopping: bool = False
    dialing_paused: bool = False
    paused_by: str = ""
    """Who paused dialing, as the alert says it after "dialing is paused" (``from the
    command line at 14:05 UTC``, ``by supervisor sam from the console``); "" when unknown
    (then "by a supervisor", the engine's pause without a follower to ask)."""
    hopper: int | None = None
    guaranteed_abandons: int | None = None
    """Answered calls abandoned in the ledger's window by a campaign that guarantees every
    call an agent (``compliance.agent_guaranteed``: each one breaks that promise); None: the
    campaign makes no such promise."""
    dial_records_failing: str | None = None
    """Why the dial records (the journal, the audit log of the gate's decisions) cannot be
    written, while they cannot: dials are held, none is sent (``dialer.runner.
    unwritten_dials``); None: they are written."""
    store_unwritable: str | None = None
    """While the campaign store cannot be written (``dialer.runner.dbworker``'s outage):
    since when, why, what is held, in words; dialing is held meanwhile. None: it is
    written."""
    switch_refusing: str | None = None
    """While every switch refuses every originate (``dialer.runner.send_hold``): since when,
    what each says, when a call is tried; dialing is held meanwhile. None: one takes them."""
    switches_refusing: Mapping[str, str] = field(default_factory=dict)
    """Switch → why it gets no dial, for each switch that refuses every originate while
    another takes them (its dials held, the others dial); its alert names it."""


NEAR_LIMIT = 0.8
"""Abandonment above this share of the limit is worth a look before it is a breach."""


def _window(seconds: float) -> str:
    days = seconds / 86400.0
    return f"{days:g}-day window" if days >= 2 else f"{seconds / 3600.0:g}-hour window"


def campaign_readings(facts: CampaignFacts) -> list[Reading]:
    """The campaign's own alerts: abandonment against its limit (over the legal window, near
    it, and today), each switch's connection, a stop, a supervisor's pause, an empty hopper,
    dials held because their records cannot be written."""
    subject, base = f"campaign {facts.campaign}", f"campaign/{facts.campaign}/"
    window = _window(facts.abandon_window_s)
    target = facts.abandon_target
    readings = [
        Reading(base + "abandon_rate", subject, f"abandonment ({window})", facts.abandon_rate,
                target, True, "%"),
        Reading(base + "abandon_near", subject, f"abandonment ({window}), near the limit",
                facts.abandon_rate, NEAR_LIMIT * target, True, "%"),
        Reading(base + "abandon_today", subject, "abandonment today", facts.abandon_rate_today,
                target, True, "%"),
        Reading(base + "stopping", subject, "stopping", float(facts.stopping), 0.5, True,
                words=(f"{subject} is stopping: calls in progress finish",
                       f"{subject} is no longer stopping")),
        Reading(base + "dialing_paused", subject, "dialing paused",
                float(facts.dialing_paused), 0.5, True,
                words=(f"{subject}: dialing is paused {facts.paused_by or 'by a supervisor'}",
                       f"{subject}: dialing resumed")),
        # A paused campaign does not refill its hopper: not news while it is paused.
        Reading(base + "hopper", subject, "leads in the hopper",
                None if facts.hopper is None or facts.dialing_paused else facts.hopper, 1,
                False, words=(f"{subject}: no leads in the hopper, nothing to dial",
                              f"{subject}: leads in the hopper again")),
    ]
    if facts.guaranteed_abandons is not None:
        readings.append(Reading(
            base + "guarantee_broken", subject, "answered calls abandoned with an agent "
            f"guaranteed ({window})", float(facts.guaranteed_abandons), 0.0, True,
            words=(f"{subject}: {facts.guaranteed_abandons} answered call(s) abandoned "
                   f"({window}) although the campaign guarantees an agent "
                   "(compliance.agent_guaranteed, on which Ofcom's repeat-call rules are "
                   "lifted): an agent's phone dropped while a call placed for them rang",
                   f"{subject}: no answered call abandoned ({window})")))
    # One alert per outage, naming its first failure: held dials retry with a backoff, and
    # a supervisor must not get one per retry.
    readings.append(Reading(
        base + "dial_records", subject, "dial records not written",
        float(facts.dial_records_failing is not None), 0.5, True,
        words=(f"{subject}: dials held, none sent, because their records cannot be written "
               f"({facts.dial_records_failing}): no call is made without its journal row "
               "and audit entry; no attempt is charged, held callbacks are tried again",
               f"{subject}: dial records written again, held dials go on")))
    # One alert per outage of the store (its pause and its dial records are this one).
    readings.append(Reading(
        base + "store_writes", subject, "campaign store not written",
        float(facts.store_unwritable is not None), 0.5, True,
        words=(f"{subject}: {facts.store_unwritable}",
               f"{subject}: the campaign store is written again, dialing resumes")))
    # One alert per spell of the switch refusing every call (its pause is this one).
    readings.append(Reading(
        base + "switch_sends", subject, "switch refuses every call",
        float(facts.switch_refusing is not None), 0.5, True,
        words=(f"{subject}: {facts.switch_refusing}",
               f"{subject}: the switch takes calls again, dialing resumes")))
    for switch in sorted({*facts.switches, *facts.switches_refusing}):
        # One alert per switch refusing while another dials (all refusing: the one above).
        refusing = facts.switches_refusing.get(switch)
        readings.append(Reading(
            f"switch/{switch}/sends", f"switch {switch}", "refuses every call",
            float(refusing is not None), 0.5, True,
            words=(f"{subject}: {refusing}",
                   f"{subject}: switch {switch} takes calls again, its dials resume")))
    for switch, state in sorted(facts.switches.items()):
        readings.append(Reading(f"switch/{switch}/connected", f"switch {switch}", "connected",
                                1.0 if state == "connected" else 0.0, 1.0, False,
                                words=(f"switch {switch} is {state}",
                                       f"switch {switch} is connected again")))
    return readings
