"""Prometheus metrics of a running dialer (``dialer run --metrics 127.0.0.1:9464``).

The families, every one labelled with the campaign so several dialer processes scrape
apart (docs/operations.md has the table with their labels): calls by engine state
(``dialer_calls``), channels per switch, attempts per gateway, outcomes by cause,
failovers per gateway, dials not sent past the send allowance, calls per second, the
answer→bridge latency histogram, the abandonment rate (today and the rolling legal window)
and its target, agents by state, queue waits, gateway health (state, channels in use and
capacity, ASR, post-dial delay, carrier failures, short calls), ESL connection state,
journal lag and pending writes, the event loop's lag, and the AMD machine verdicts sent to
a free agent (``machine_to_free_agent``) whose call ended before anyone said what it was:
kept for the agent's word, confirmed a person or a machine, words ignored and why, expired
unconfirmed.

Counters and the histogram are updated by the runner as things happen; gauges are set from
a ``MetricsView`` the runner builds once a second on its event loop (the HTTP server thread
reads only what prometheus-client holds, never the runner's own state).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from dialer.engine.gateways import GatewayFigures, GatewayHealth
from dialer.engine.routed_verdicts import RoutedVerdictCounts

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
"""Answer→bridge in seconds: fine below 100 ms (the runner's own latency), then up to the
2 s connect window and past it."""


@dataclass(frozen=True, slots=True)
class MetricsView:
    """What the gauges show, taken on the event loop."""

    calls_by_state: Mapping[str, int] = field(default_factory=dict)
    channels_by_switch: Mapping[str, int] = field(default_factory=dict)
    agents_by_state: Mapping[str, int] = field(default_factory=dict)
    abandon_rate_today: float | None = None
    abandon_rate_rolling: float | None = None
    abandon_target: float | None = None
    queues: Sequence[tuple[str, int, float]] = ()
    """(queue, callers waiting, longest wait in seconds)."""
    gateways: Sequence[GatewayFigures] = ()
    switches: Mapping[str, bool] = field(default_factory=dict)
    journal_pending: int = 0
    journal_lag: float = 0.0
    store_unwritable: float = 0.0
    """Seconds the campaign store has not been written (its outage; 0: written)."""
    switch_refusing: Mapping[str, float] = field(default_factory=dict)
    """Switch → seconds it has refused every originate (its dials held; 0: it takes
    them)."""
    loop_lag: float = 0.0
    routed_verdicts: RoutedVerdictCounts | None = None
    """The engine's counts since it started (``EngineSnapshot.routed_verdicts``)."""


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


class RunnerMetrics:
    """The dialer's metric families in their own registry (tests make several)."""

    def __init__(self, campaign: str, registry: CollectorRegistry | None = None) -> None:
        self.campaign = campaign
        self.registry = registry or CollectorRegistry()
        r = self.registry
        c = ("campaign",)
        self.calls = Gauge("dialer_calls", "Customer calls by engine state.", (*c, "state"),
                           registry=r)
        self.channels = Gauge("dialer_channels", "Customer calls and agent legs per switch.",
                              (*c, "switch"), registry=r)
        self.attempts = Counter("dialer_attempts", "Originates sent (every leg).",
                                (*c, "gateway"), registry=r)
        self.outcomes = Counter("dialer_call_outcomes", "Finished calls by outcome and "
                                "hang-up cause.", (*c, "outcome", "cause"), registry=r)
        self.failovers = Counter("dialer_failovers", "Legs refused with a carrier cause and "
                                 "retried on another gateway.", (*c, "gateway"), registry=r)
        self.cps = Gauge("dialer_calls_per_second", "Originates per second over the last "
                         "10 s.", c, registry=r)
        self.answer_to_bridge = Histogram(
            "dialer_answer_to_bridge_seconds", "Answer (or AMD's decision) to CHANNEL_BRIDGE.",
            c, buckets=LATENCY_BUCKETS, registry=r)
        self.abandon_rate = Gauge("dialer_abandon_rate", "Abandoned ÷ live answers.",
                                  (*c, "window"), registry=r)
        self.abandon_target = Gauge("dialer_abandon_target", "The campaign's abandonment "
                                    "limit.", c, registry=r)
        self.agents = Gauge("dialer_agents", "Agents by state.", (*c, "state"), registry=r)
        self.queue_waiting = Gauge("dialer_queue_waiting", "Callers waiting per queue.",
                                   (*c, "queue"), registry=r)
        self.queue_longest = Gauge("dialer_queue_longest_wait_seconds", "Longest current "
                                   "wait per queue.", (*c, "queue"), registry=r)
        g = (*c, "switch", "gateway")
        self.gateway_up = Gauge("dialer_gateway_up", "1 for the gateway's current state.",
                                (*g, "state"), registry=r)
        self.gateway_in_use = Gauge("dialer_gateway_channels_in_use", "Calls on the "
                                    "gateway now.", g, registry=r)
        self.gateway_channels = Gauge("dialer_gateway_channels", "The gateway's channel "
                                      "capacity.", g, registry=r)
        self.gateway_asr = Gauge("dialer_gateway_asr", "Answer-seizure ratio over the "
                                 "gateway's window.", g, registry=r)
        self.gateway_pdd = Gauge("dialer_gateway_post_dial_delay_seconds", "Median "
                                 "originate-to-ringing delay.", g, registry=r)
        self.gateway_carrier = Gauge("dialer_gateway_carrier_failure_ratio", "Share of calls "
                                     "refused with a carrier cause.", g, registry=r)
        self.gateway_short = Gauge("dialer_gateway_short_call_ratio", "Share of answered "
                                   "calls shorter than the short-call threshold.", g,
                                   registry=r)
        self.esl = Gauge("dialer_esl_connected", "1 when the switch's event socket is "
                         "connected and authenticated.", (*c, "switch"), registry=r)
        self.journal_pending = Gauge("dialer_journal_pending_operations", "Journal writes "
                                     "queued for the database thread.", c, registry=r)
        self.journal_lag = Gauge("dialer_journal_lag_seconds", "Age of the oldest journal "
                                 "write not yet committed.", c, registry=r)
        self.store_unwritable = Gauge(
            "dialer_store_unwritable_seconds", "Seconds the campaign store has not been "
            "written (an outage: dialing held, outcomes kept); 0 while it is written.", c,
            registry=r)
        self.switch_refusing = Gauge(
            "dialer_switch_refusing_seconds", "Seconds the switch has refused every call "
            "(a gateway down, no route: its dials held, one call probes); 0 while it takes "
            "them.", (*c, "switch"), registry=r)
        self.loop_lag = Gauge("dialer_event_loop_lag_seconds", "How late the runner's "
                              "one-second look ran.", c, registry=r)
        self.late_sends = Counter(
            "dialer_dials_not_sent_late", "Dials not sent: their turn came past the send "
            "allowance after their decision (dnc.rules.base.SEND_ALLOWANCE); each lead is "
            "retried by its rule.", c, registry=r)
        self.late_sends.labels(campaign)  # 0 from the first scrape: a rate can be alerted on
        self.routed_kept = Counter(
            "dialer_amd_routed_verdicts_kept", "AMD machine verdicts sent to a free agent "
            "whose call ended unconfirmed, kept for the agent's word.", c, registry=r)
        self.routed_confirmed = Counter(
            "dialer_amd_routed_verdicts_confirmed", "Agents' words taken on kept routed "
            "verdicts: a person (a live answer) or a machine.", (*c, "word"), registry=r)
        self.routed_ignored = Counter(
            "dialer_amd_routed_words_ignored", "Words on routed verdicts ignored: unknown "
            "call, late (the wrap-up was over), duplicate (already confirmed).",
            (*c, "reason"), registry=r)
        self.routed_expired = Counter(
            "dialer_amd_routed_verdicts_expired_unconfirmed", "Kept routed verdicts whose "
            "agent's wrap-up ended without a word: they stay machine verdicts.", c,
            registry=r)
        self.routed_awaiting = Gauge(
            "dialer_amd_routed_verdicts_awaiting_word", "Kept routed verdicts waiting for "
            "the agent's word now (at most one per agent in wrap-up).", c, registry=r)
        self._counted: dict[tuple[Counter, tuple[str, ...]], int] = {}
        self._dials: deque[float] = deque()
        self._labelled: dict[Gauge, set[tuple[str, ...]]] = {}

    # --- as things happen (event loop) -------------------------------------------------------

    def dialed(self, gateway: str | None, at: float) -> None:
        self.attempts.labels(self.campaign, gateway or "").inc()
        self._dials.append(at)

    def finished(self, outcome: str, cause: str, failed_over_gateway: str | None = None
                 ) -> None:
        if failed_over_gateway is not None:
            self.failovers.labels(self.campaign, failed_over_gateway).inc()
        self.outcomes.labels(self.campaign, outcome, cause).inc()

    def bridged(self, latency: float) -> None:
        self.answer_to_bridge.labels(self.campaign).observe(max(0.0, latency))

    def late_send(self) -> None:
        """A dial not sent past the send allowance (``RunnerStats.late_sends``)."""
        self.late_sends.labels(self.campaign).inc()

    # --- once a second (event loop) ----------------------------------------------------------

    def refresh(self, view: MetricsView, now: float) -> None:
        campaign = self.campaign
        dials = self._dials
        while dials and dials[0] <= now - 10.0:
            dials.popleft()
        self.cps.labels(campaign).set(len(dials) / 10.0)
        self._set_all(self.calls, {(s,): n for s, n in view.calls_by_state.items()})
        self._set_all(self.channels, {(s,): n for s, n in view.channels_by_switch.items()})
        self._set_all(self.agents, {(s,): n for s, n in view.agents_by_state.items()})
        self.abandon_rate.labels(campaign, "today").set(_nan(view.abandon_rate_today))
        self.abandon_rate.labels(campaign, "rolling").set(_nan(view.abandon_rate_rolling))
        self.abandon_target.labels(campaign).set(_nan(view.abandon_target))
        self._set_all(self.queue_waiting, {(q,): n for q, n, _ in view.queues})
        self._set_all(self.queue_longest, {(q,): w for q, _, w in view.queues})
        up: dict[tuple[str, ...], float] = {}
        per_gateway: dict[Gauge, dict[tuple[str, ...], float]] = {
            self.gateway_in_use: {}, self.gateway_channels: {}, self.gateway_asr: {},
            self.gateway_pdd: {}, self.gateway_carrier: {}, self.gateway_short: {}}
        for figures in view.gateways:
            key = (figures.switch_id, figures.gateway)
            for state in GatewayHealth:
                up[(*key, state.value)] = 1.0 if figures.state is state else 0.0
            per_gateway[self.gateway_in_use][key] = figures.channels_in_use
            per_gateway[self.gateway_channels][key] = figures.channels
            per_gateway[self.gateway_asr][key] = _nan(figures.asr)
            per_gateway[self.gateway_pdd][key] = _nan(figures.post_dial_delay)
            per_gateway[self.gateway_carrier][key] = _nan(figures.carrier_failure_ratio)
            per_gateway[self.gateway_short][key] = _nan(figures.short_call_ratio)
        self._set_all(self.gateway_up, up)
        for gauge, values in per_gateway.items():
            self._set_all(gauge, values)
        self._set_all(self.esl, {(s,): 1.0 if ok else 0.0 for s, ok in view.switches.items()})
        self.journal_pending.labels(campaign).set(view.journal_pending)
        self.journal_lag.labels(campaign).set(view.journal_lag)
        self.store_unwritable.labels(campaign).set(view.store_unwritable)
        self._set_all(self.switch_refusing,
                      {(s,): seconds for s, seconds in view.switch_refusing.items()})
        self.loop_lag.labels(campaign).set(view.loop_lag)
        routed = view.routed_verdicts
        if routed is not None:
            self._count_to(self.routed_kept, (), routed.kept)
            self._count_to(self.routed_confirmed, ("person",), routed.confirmed_person)
            self._count_to(self.routed_confirmed, ("machine",), routed.confirmed_machine)
            self._count_to(self.routed_ignored, ("unknown",), routed.ignored_unknown)
            self._count_to(self.routed_ignored, ("late",), routed.ignored_late)
            self._count_to(self.routed_ignored, ("duplicate",), routed.ignored_duplicate)
            self._count_to(self.routed_expired, (), routed.expired_unconfirmed)
            self.routed_awaiting.labels(campaign).set(routed.awaiting)

    def _count_to(self, counter: Counter, labels: tuple[str, ...], total: int) -> None:
        """Bring ``counter`` up to the engine's ``total`` (counted since that engine was
        built): a total below the last one seen is a new engine counting from zero, whose
        whole count is new, since a Prometheus counter only goes up."""
        key = (counter, labels)
        seen = self._counted.get(key, 0)
        step = total - seen if total >= seen else total
        if step:
            counter.labels(self.campaign, *labels).inc(step)
        else:
            counter.labels(self.campaign, *labels)  # the series shows from the first look
        self._counted[key] = total

    def _set_all(self, gauge: Gauge, values: Mapping[tuple[str, ...], float]) -> None:
        """Set each labelled value; label sets no longer present are removed (a state with
        no call, a queue no longer served), so a scrape never shows stale series."""
        seen = self._labelled.setdefault(gauge, set())
        for labels, value in values.items():
            gauge.labels(self.campaign, *labels).set(value)
        for labels in seen - set(values):
            gauge.remove(self.campaign, *labels)
        self._labelled[gauge] = set(values)

    # --- serving -----------------------------------------------------------------------------

    def serve(self, address: str) -> Any:
        """Start the HTTP endpoint (``/metrics``) on ``HOST:PORT`` in a thread; returns the
        server (``shutdown()`` it at the end)."""
        from prometheus_client import start_http_server

        host, port = parse_metrics_address(address)
        server, _thread = start_http_server(port, host, registry=self.registry)
        return server


def parse_metrics_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``127.0.0.1:9464``, ``[::1]:9464``) or ``:PORT`` (all interfaces)."""
    from dialer.runner.errors import RunnerSettingsError

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise RunnerSettingsError(f"--metrics {address!r}: write HOST:PORT, e.g. "
                                  "127.0.0.1:9464")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)
