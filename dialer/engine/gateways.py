"""Carriers: which gateway each customer call goes out through (least-cost routing with
capacity, calls-per-second limits, health and failover).

A component the engine owns and consults when it emits an ``Originate`` (like ``AgentPool``:
its own state, a narrow interface, no clock and no I/O). The engine asks

- ``headroom(switches, now)``: how many calls the gateways could take at this instant
  (pacing never launches more: a call that cannot be placed is not a placed call);
- ``route(call_id, number, switches, now, exclude)``: the cheapest healthy gateway with a
  free channel and a CPS token that serves the number's prefix; the channel and the token
  are taken at once, so two calls can never share the last one;
- ``progress`` / ``answered`` / ``ended``: the call's life, which frees the channel and
  feeds the gateway's health;
- ``failover_allowed(cause)``: whether a refusal is the carrier's (retried on the next
  gateway) or the callee's (never retried elsewhere: a busy person is busy on every trunk).

Channels: at most ``channels`` calls at once per gateway, counted from the originate to the
end of the call. Calls per second: at most ``cps`` originates in any one-second window. This
is a token bucket whose tokens come back one second after each is spent, not a bucket that
refills at ``cps`` per second: the classic bucket lets a full burst through just before a
second boundary and another just after, twice the carrier's limit within one second, and
carriers count per sliding second.

Health (per gateway, over the last ``window_calls`` calls): answer-seizure ratio,
post-dial delay (originate to first ringing or answer), the failure-cause mix and the
short-call ratio (answered calls shorter than ``short_call_seconds``). A gateway whose
figures cross its thresholds is quarantined (no new calls) for ``quarantine_seconds``, then
probed: up to ``probe_calls`` real calls at a time; that many probes without a carrier
failure return it to service, a carrier failure quarantines it again for twice as long
(up to ``max_quarantine_seconds``). Every change is kept in ``changes`` for the alerts and
the log, and ``conditions()`` lists what is wrong now as plain data.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.errors import DialerError
from dialer.hangup import HangupCause

H = HangupCause

CARRIER_CAUSES: frozenset[HangupCause] = frozenset({
    H.NORMAL_TEMPORARY_FAILURE,   # SIP 500/503 from the carrier
    H.NORMAL_CIRCUIT_CONGESTION,  # SIP 503 (FreeSWITCH's mapping, see the 04a capture)
    H.SWITCH_CONGESTION,
    H.REQUESTED_CHAN_UNAVAIL,
    H.GATEWAY_DOWN,               # the gateway's registration or OPTIONS ping failed
    H.INVALID_GATEWAY,            # the switch has no gateway of that name
    H.NETWORK_OUT_OF_ORDER,       # SIP 502
    H.RECOVERY_ON_TIMER_EXPIRE,   # SIP 408/504: the carrier never answered the INVITE
    H.NO_ROUTE_TRANSIT_NET,
    H.EXCHANGE_ROUTING_ERROR,
    H.SERVICE_UNAVAILABLE,
    H.FACILITY_NOT_SUBSCRIBED,
    H.OUTGOING_CALL_BARRED,       # the trunk's account may not call there
    H.BEARERCAPABILITY_NOTAVAIL,
    H.INCOMPATIBLE_DESTINATION,   # SIP 488: no common codec with this trunk
    H.PROTOCOL_ERROR,
    H.INTERWORKING,
})
"""Causes that are the carrier's (or the trunk's), not the called person's: the same attempt
may be retried at once on another gateway. Everything else (busy, no answer, unallocated,
rejected, cancelled, our own hang-ups) is never retried elsewhere."""


OUR_CAUSES: frozenset[HangupCause] = frozenset({
    H.SYSTEM_SHUTDOWN, H.MANAGER_REQUEST, H.ORIGINATOR_CANCEL, H.LOSE_RACE})
"""Causes of calls the dialer itself ended (a stop, a cancel): no verdict on the trunk."""


class GatewayConfigError(DialerError):
    """A gateway setting the router cannot run with."""


class GatewayHealth(StrEnum):
    HEALTHY = "healthy"
    QUARANTINED = "quarantined"
    """No new calls until the quarantine ends."""
    PROBING = "probing"
    """Back on trial: a few calls at a time decide whether it returns."""
    DISABLED = "disabled"
    """Switched off by the operator (``dialer gateway edit --disable``)."""


_HEALTH_TRANSITIONS: dict[GatewayHealth, frozenset[GatewayHealth]] = {
    GatewayHealth.HEALTHY: frozenset({GatewayHealth.QUARANTINED}),
    GatewayHealth.QUARANTINED: frozenset({GatewayHealth.PROBING}),
    GatewayHealth.PROBING: frozenset({GatewayHealth.HEALTHY, GatewayHealth.QUARANTINED}),
    GatewayHealth.DISABLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Rate:
    """One row of a gateway's cost table: calls to numbers starting with ``prefix`` (E.164
    digits, no ``+``) cost ``cost_per_minute``, billed ``first_increment`` seconds first,
    then by ``next_increment`` seconds (``60/60``, ``6/6``, ``30/6`` ...)."""

    prefix: str
    cost_per_minute: float
    first_increment: int = 60
    next_increment: int = 60

    def __post_init__(self) -> None:
        if not self.prefix.isdigit() or len(self.prefix) > 15:
            raise GatewayConfigError(f"rate prefix {self.prefix!r}: 1 to 15 digits")
        if not (self.cost_per_minute >= 0 and math.isfinite(self.cost_per_minute)):
            raise GatewayConfigError(f"rate {self.prefix}: cost {self.cost_per_minute} "
                                     "must be a finite number >= 0")
        if self.first_increment < 1 or self.next_increment < 1:
            raise GatewayConfigError(f"rate {self.prefix}: billing increments must be >= 1 s")

    def cost(self, seconds: float) -> float:
        """What a call of ``seconds`` costs (0 for an unanswered call)."""
        if seconds <= 0:
            return 0.0
        billed = float(self.first_increment)
        if seconds > self.first_increment:
            billed += math.ceil((seconds - self.first_increment) / self.next_increment) \
                * self.next_increment
        return billed / 60.0 * self.cost_per_minute


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """When a gateway is taken out of service, and how it comes back."""

    window_calls: int = 50
    """The rolling window the figures are computed on (the last N finished calls)."""
    min_calls: int = 20
    """No judgement on fewer calls than this."""
    min_asr: float = 0.05
    """Answer-seizure ratio below this quarantines (a trunk that answers nothing)."""
    max_carrier_failures: float = 0.5
    """Share of calls refused with a carrier cause above this quarantines."""
    max_post_dial_delay: float = 10.0
    """Median seconds from originate to ringing above this quarantines."""
    max_short_calls: float = 0.7
    """Share of answered calls shorter than ``short_call_seconds`` above this quarantines
    (false answer supervision, one-way audio: people hang up at once)."""
    short_call_seconds: float = 6.0
    min_answered: int = 10
    """The short-call ratio is judged on at least this many answered calls."""
    quarantine_seconds: float = 60.0
    max_quarantine_seconds: float = 900.0
    probe_calls: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.min_calls <= self.window_calls:
            raise GatewayConfigError("health: need 1 <= min_calls <= window_calls")
        for name in ("min_asr", "max_carrier_failures", "max_short_calls"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise GatewayConfigError(f"health: {name} must be a fraction in [0, 1]")
        if not (self.max_post_dial_delay > 0 and self.short_call_seconds >= 0):
            raise GatewayConfigError("health: max_post_dial_delay must be > 0 s")
        if not 0 < self.quarantine_seconds <= self.max_quarantine_seconds:
            raise GatewayConfigError(
                "health: need 0 < quarantine_seconds <= max_quarantine_seconds")
        if self.probe_calls < 1 or self.min_answered < 1:
            raise GatewayConfigError("health: probe_calls and min_answered must be >= 1")


DEFAULT_DIAL_STRING = "sofia/gateway/{gateway}/{number}"


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """One gateway (SIP trunk) of one switch, as configured (``dialer gateway add``)."""

    name: str
    switch_id: str
    """The switch that has this gateway (``host:port``, as ``dialer run --switch`` names it)."""
    channels: int
    cps: int
    priority: int = 0
    """Lower is preferred between gateways whose cost is equal."""
    rates: tuple[Rate, ...] = ()
    """The cost table; empty: serves every destination at an unknown cost (ranked after
    every gateway whose cost is known)."""
    dial_string: str = DEFAULT_DIAL_STRING
    """``{gateway}``, ``{number}`` (E.164) and ``{digits}`` (without ``+``) are filled in."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Channel variables set on every call through this gateway (SIP headers such as
    ``sip_h_X-...``; STIR/SHAKEN attestation: ``{attestation}``, ``{caller_id}`` are filled
    from the chosen caller ID)."""
    health: HealthThresholds = field(default_factory=HealthThresholds)
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in " /{}'\",\\"):
            raise GatewayConfigError(f"gateway name {self.name!r}: no blanks, slashes, "
                                     "quotes, commas or braces")
        if self.channels < 1 or self.cps < 1:
            raise GatewayConfigError(f"gateway {self.name}: channels and cps must be >= 1")
        if "{number}" not in self.dial_string and "{digits}" not in self.dial_string:
            raise GatewayConfigError(f"gateway {self.name}: the dial string must contain "
                                     "{number} or {digits}")
        prefixes = [rate.prefix for rate in self.rates]
        if len(set(prefixes)) != len(prefixes):
            raise GatewayConfigError(f"gateway {self.name}: a prefix appears twice in its "
                                     "cost table")

    @property
    def key(self) -> str:
        return f"{self.switch_id}/{self.name}"


@dataclass(frozen=True, slots=True)
class Route:
    """The gateway a call goes out through."""

    gateway: str
    switch_id: str
    dial_string: str
    variables: Mapping[str, str]
    cost_per_minute: float | None
    probe: bool = False
    """The call is one of a probing gateway's trial calls."""


@dataclass(frozen=True, slots=True)
class GatewayStateChange:
    """A gateway left or returned to service (for the alerts, the log and the metrics)."""

    at: float
    gateway: str
    switch_id: str
    previous: GatewayHealth
    state: GatewayHealth
    reason: str


@dataclass(frozen=True, slots=True)
class GatewayFigures:
    """A gateway's state and rolling figures (``dialer gateway health``, metrics)."""

    gateway: str
    switch_id: str
    state: GatewayHealth
    channels: int
    channels_in_use: int
    cps: int
    calls_last_second: int
    calls_in_window: int
    asr: float | None
    post_dial_delay: float | None
    """Median seconds from originate to ringing (or answer)."""
    carrier_failure_ratio: float | None
    short_call_ratio: float | None
    causes: Mapping[str, int]
    """Hang-up causes of the calls in the window, most frequent first."""
    attempts: int
    failovers: int
    """Calls refused here with a carrier cause and retried on another gateway."""
    quarantined_until: float | None


@dataclass(frozen=True, slots=True)
class GatewayCondition:
    """Something wrong with a gateway now (quarantine, a figure past its threshold)."""

    key: str
    gateway: str
    measure: str
    value: float
    threshold: float
    above: bool
    """True: bad when the value is above the threshold."""


@dataclass(slots=True)
class _Result:
    answered: bool
    carrier_failure: bool
    post_dial_delay: float | None
    short: bool
    cause: str


@dataclass(slots=True)
class _InFlight:
    gateway: _Gateway
    dialed_at: float
    progress_at: float | None = None
    answered_at: float | None = None
    probe: bool = False
    carrier_verdict: bool | None = None
    answer_verdict: bool | None = None
    void: bool = False
    """Ended by the dialer before an answer (a stop, a cancelled line): no verdict."""


class _CallsPerSecond:
    """At most ``limit`` sends in any one-second window: each token returns 1 s after use."""

    __slots__ = ("limit", "sent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        sent = self.sent
        while sent and sent[0] <= now - 1.0:
            sent.popleft()

    def free(self, now: float) -> int:
        self._expire(now)
        return self.limit - len(self.sent)

    def take(self, now: float) -> None:
        self.sent.append(now)


class _Gateway:
    """One gateway's live state."""

    def __init__(self, spec: GatewaySpec) -> None:
        self.spec = spec
        self.rates = {rate.prefix: rate for rate in spec.rates}
        self.longest = max((len(p) for p in self.rates), default=0)
        self.in_use = 0
        self.limiter = _CallsPerSecond(spec.cps)
        self.window: deque[_Result] = deque(maxlen=spec.health.window_calls)
        # Carrier failure and answer are judged per call in the order calls were dialed,
        # each call's verdicts taken as soon as known (a call that rings is not a carrier
        # failure, one that answers is an answer), not in the order calls end: refusals end
        # in milliseconds and conversations in minutes, so a window of ended calls is full
        # of refusals first, and a gateway refusing one call in ten looks like one refusing
        # most of them. A call enters the window once it and every call dialed before it
        # have both verdicts.
        self.undecided: deque[_InFlight] = deque()
        self.carrier_verdicts: deque[bool] = deque(maxlen=spec.health.window_calls)
        self.answer_verdicts: deque[bool] = deque(maxlen=spec.health.window_calls)
        self.state = GatewayHealth.HEALTHY if spec.enabled else GatewayHealth.DISABLED
        self.until: float | None = None
        self.quarantine_length = spec.health.quarantine_seconds
        self.probes_in_flight = 0
        self.probe_successes = 0
        self.attempts = 0
        self.failovers = 0

    def rate_for(self, digits: str) -> Rate | None:
        rates = self.rates
        for length in range(min(self.longest, len(digits)), 0, -1):
            rate = rates.get(digits[:length])
            if rate is not None:
                return rate
        return None

    def free_now(self, now: float) -> int:
        if self.state is GatewayHealth.HEALTHY:
            slots = self.spec.channels - self.in_use
        elif self.state is GatewayHealth.PROBING:
            slots = min(self.spec.channels - self.in_use,
                        self.spec.health.probe_calls - self.probes_in_flight)
        else:
            return 0
        return max(0, min(slots, self.limiter.free(now)))


class GatewayRouter:
    """The gateways of the switches a campaign dials through, their capacity and health.

    ``reference_seconds``: least cost compares what a call of this length costs on each
    gateway, billing increments included (a 30 s call costs a full minute on 60/60 billing
    and half of one on 6/6). Dialer traffic is mostly short: unanswered calls cost nothing,
    machines and short conversations dominate what is billed.
    """

    def __init__(self, gateways: Iterable[GatewaySpec], *,
                 reference_seconds: float = 30.0) -> None:
        self.reference_seconds = reference_seconds
        self._gateways: dict[str, _Gateway] = {}
        self._by_switch: dict[str, list[_Gateway]] = {}
        for spec in gateways:
            if spec.key in self._gateways:
                raise GatewayConfigError(f"gateway {spec.name} is configured twice on switch "
                                         f"{spec.switch_id}")
            gateway = _Gateway(spec)
            self._gateways[spec.key] = gateway
            self._by_switch.setdefault(spec.switch_id, []).append(gateway)
        self._calls: dict[str, _InFlight] = {}
        self.changes: list[GatewayStateChange] = []
        """State changes not yet taken by the driver (``take_changes``)."""

    # --- what the engine asks -------------------------------------------------------------

    def serves_switch(self, switch_id: str) -> bool:
        """Has this switch any configured gateway (else calls there use the driver's)?"""
        return switch_id in self._by_switch

    def headroom(self, switches: Iterable[str], now: float) -> int:
        """Calls that could be placed now on these switches (channels and CPS tokens free
        on gateways in service); an upper bound, since a prefix may not be served."""
        total = 0
        for switch_id in switches:
            for gateway in self._by_switch.get(switch_id, ()):
                self._advance(gateway, now)
                total += gateway.free_now(now)
        return total

    def route(self, call_id: str, number_e164: str, switches: Sequence[str], now: float,
              exclude: Iterable[str] = ()) -> Route | None:
        """Take a channel and a CPS token on the best gateway for this call; None when no
        gateway in service on these switches (tried in order) has both and serves it.

        ``exclude``: gateway names already tried for this attempt (failover)."""
        digits = number_e164.lstrip("+")
        excluded = set(exclude)
        for switch_id in switches:
            best: tuple[float, int, str] | None = None
            chosen: _Gateway | None = None
            chosen_rate: Rate | None = None
            for gateway in self._by_switch.get(switch_id, ()):
                spec = gateway.spec
                if spec.name in excluded:
                    continue
                self._advance(gateway, now)
                if gateway.free_now(now) <= 0:
                    continue
                rate = gateway.rate_for(digits)
                if rate is None and gateway.rates:
                    continue  # a cost table that does not list the prefix: not served
                cost = rate.cost(self.reference_seconds) if rate is not None else math.inf
                rank = (cost, spec.priority, spec.name)
                if best is None or rank < best:
                    best, chosen, chosen_rate = rank, gateway, rate
            if chosen is not None:
                return self._take(chosen, chosen_rate, call_id, now)
        return None

    def failover_allowed(self, cause: HangupCause) -> bool:
        return cause in CARRIER_CAUSES

    def gateway_of(self, call_id: str) -> str | None:
        flight = self._calls.get(call_id)
        return flight.gateway.spec.name if flight is not None else None

    def progress(self, call_id: str, now: float) -> None:
        flight = self._calls.get(call_id)
        if flight is not None and flight.progress_at is None:
            flight.progress_at = now
            _verdict(flight, carrier=False)

    def answered(self, call_id: str, now: float) -> None:
        flight = self._calls.get(call_id)
        if flight is not None and flight.answered_at is None:
            flight.answered_at = now
            if flight.progress_at is None:
                flight.progress_at = now
            _verdict(flight, carrier=False, answered=True)

    def ended(self, call_id: str, now: float, cause: HangupCause,
              failed_over: bool = False) -> str | None:
        """The call ended: its channel is free again and its result counts for health.
        Returns the gateway's name (None for a call the router did not place)."""
        flight = self._calls.pop(call_id, None)
        if flight is None:
            return None
        gateway = flight.gateway
        gateway.in_use -= 1
        if failed_over:
            gateway.failovers += 1
        answered = flight.answered_at is not None
        carrier = not answered and cause in CARRIER_CAUSES
        # A call we hung up ourselves before any answer (a stop, a line pacing no longer
        # needs) says nothing of the trunk: a stop hangs up every ringing call at once.
        flight.void = not answered and cause in OUR_CAUSES
        _verdict(flight, carrier=carrier, answered=answered, ended=True)
        thresholds = gateway.spec.health
        pdd = None if flight.progress_at is None else flight.progress_at - flight.dialed_at
        short = answered and now - flight.answered_at < thresholds.short_call_seconds  # type: ignore[operator]
        gateway.window.append(_Result(answered, carrier, pdd, short, cause.name))
        if flight.probe:
            gateway.probes_in_flight -= 1
            if gateway.state is GatewayHealth.PROBING:
                self._judge_probe(gateway, now, carrier, cause)
        elif gateway.state is GatewayHealth.HEALTHY:
            self._judge(gateway, now)
        return gateway.spec.name

    def thresholds(self, switch_id: str, name: str) -> HealthThresholds:
        return self._gateways[f"{switch_id}/{name}"].spec.health

    def spec(self, switch_id: str, name: str) -> GatewaySpec | None:
        gateway = self._gateways.get(f"{switch_id}/{name}")
        return gateway.spec if gateway is not None else None

    def take_changes(self) -> list[GatewayStateChange]:
        changes, self.changes = self.changes, []
        return changes

    # --- figures ------------------------------------------------------------------------

    def figures(self, now: float) -> list[GatewayFigures]:
        out = []
        for gateway in self._gateways.values():
            self._advance(gateway, now)
            spec = gateway.spec
            asr, pdd, carrier, short = _figures(gateway)
            causes: dict[str, int] = {}
            for result in gateway.window:
                causes[result.cause] = causes.get(result.cause, 0) + 1
            out.append(GatewayFigures(
                spec.name, spec.switch_id, gateway.state, spec.channels, gateway.in_use,
                spec.cps, len(gateway.limiter.sent), len(gateway.window), asr, pdd, carrier,
                short, dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
                gateway.attempts, gateway.failovers,
                gateway.until if gateway.state is GatewayHealth.QUARANTINED else None))
        return out

    def conditions(self, now: float) -> list[GatewayCondition]:
        """What is wrong now, as plain data (the alerts module turns it into alerts)."""
        out: list[GatewayCondition] = []
        for figures in self.figures(now):
            gateway = self._gateways[f"{figures.switch_id}/{figures.gateway}"]
            limits = gateway.spec.health
            base = f"gateway/{figures.switch_id}/{figures.gateway}/"
            if figures.state in (GatewayHealth.QUARANTINED, GatewayHealth.PROBING):
                out.append(GatewayCondition(base + "in_service", figures.gateway,
                                            "in service", 0.0, 1.0, False))
            if figures.calls_in_window < limits.min_calls:
                continue
            for measure, value, threshold, above in (
                ("answer-seizure ratio", figures.asr, limits.min_asr, False),
                ("carrier failures", figures.carrier_failure_ratio,
                 limits.max_carrier_failures, True),
                ("post-dial delay", figures.post_dial_delay, limits.max_post_dial_delay, True),
                ("short calls", figures.short_call_ratio, limits.max_short_calls, True),
            ):
                if value is None:
                    continue
                if (value > threshold) if above else (value < threshold):
                    out.append(GatewayCondition(base + measure.replace(" ", "_"),
                                                figures.gateway, measure, value, threshold,
                                                above))
        return out

    # --- internals ------------------------------------------------------------------------

    def _take(self, gateway: _Gateway, rate: Rate | None, call_id: str, now: float) -> Route:
        spec = gateway.spec
        gateway.in_use += 1
        gateway.limiter.take(now)
        gateway.attempts += 1
        probe = gateway.state is GatewayHealth.PROBING
        if probe:
            gateway.probes_in_flight += 1
        flight = _InFlight(gateway, now, probe=probe)
        self._calls[call_id] = flight
        gateway.undecided.append(flight)
        return Route(spec.name, spec.switch_id, spec.dial_string, spec.variables,
                     rate.cost_per_minute if rate is not None else None, probe)

    def _advance(self, gateway: _Gateway, now: float) -> None:
        if gateway.state is GatewayHealth.QUARANTINED and gateway.until is not None \
                and now >= gateway.until:
            self._set(gateway, GatewayHealth.PROBING, now,
                      f"quarantine over: probing with up to {gateway.spec.health.probe_calls} "
                      "calls")
            gateway.probes_in_flight = 0
            gateway.probe_successes = 0

    def _judge(self, gateway: _Gateway, now: float) -> None:
        limits = gateway.spec.health
        window = gateway.window
        if max(len(window), len(gateway.carrier_verdicts)) < limits.min_calls:
            return
        asr, pdd, carrier, short = _figures(gateway)
        answered = sum(1 for r in window if r.answered)
        reason = None
        if len(gateway.carrier_verdicts) < limits.min_calls:
            carrier = None  # too few verdicts yet
        if len(gateway.answer_verdicts) < limits.window_calls:
            # A low ASR is judged on a full window only: on 20 calls a trunk answering
            # 30 % shows none about once in 1,250 windows (0.7 ** 20), and a window is
            # judged at every call's end; on 50, 2 or fewer answers about once in 200,000.
            asr = None
        if len(window) < limits.min_calls:
            pdd = short = None
        if carrier is not None and carrier > limits.max_carrier_failures:
            reason = f"carrier failures {carrier:.0%} above {limits.max_carrier_failures:.0%}"
        elif asr is not None and asr < limits.min_asr:
            reason = f"answer-seizure ratio {asr:.0%} below {limits.min_asr:.0%}"
        elif pdd is not None and pdd > limits.max_post_dial_delay:
            reason = f"post-dial delay {pdd:.1f} s above {limits.max_post_dial_delay:g} s"
        elif short is not None and answered >= limits.min_answered \
                and short > limits.max_short_calls:
            reason = f"short calls {short:.0%} above {limits.max_short_calls:.0%}"
        if reason is not None:
            self._quarantine(gateway, now, reason)
        elif len(window) == window.maxlen and asr is not None:
            gateway.quarantine_length = limits.quarantine_seconds  # a full healthy window

    def _judge_probe(self, gateway: _Gateway, now: float, carrier: bool,
                     cause: HangupCause) -> None:
        if carrier:
            gateway.quarantine_length = min(gateway.quarantine_length * 2,
                                            gateway.spec.health.max_quarantine_seconds)
            self._quarantine(gateway, now, f"probe call refused ({cause.name})")
            return
        gateway.probe_successes += 1
        if gateway.probe_successes >= gateway.spec.health.probe_calls:
            gateway.window.clear()
            gateway.carrier_verdicts.clear()
            gateway.answer_verdicts.clear()
            self._set(gateway, GatewayHealth.HEALTHY, now,
                      f"{gateway.probe_successes} probe calls without a carrier failure")

    def _quarantine(self, gateway: _Gateway, now: float, reason: str) -> None:
        gateway.until = now + gateway.quarantine_length
        self._set(gateway, GatewayHealth.QUARANTINED, now,
                  f"{reason}; quarantined for {gateway.quarantine_length:g} s")

    def _set(self, gateway: _Gateway, state: GatewayHealth, now: float, reason: str) -> None:
        previous = gateway.state
        if state not in _HEALTH_TRANSITIONS[previous]:
            raise DialerError(f"gateway {gateway.spec.name}: {previous.value} -> "
                              f"{state.value} is not allowed")
        gateway.state = state
        self.changes.append(GatewayStateChange(now, gateway.spec.name, gateway.spec.switch_id,
                                               previous, state, reason))


def _verdict(flight: _InFlight, *, carrier: bool, answered: bool = False,
             ended: bool = False) -> None:
    """Record the call's carrier verdict (at its first progress or its end) and answer
    verdict (at its answer or its end); release decided calls into the window in dial
    order."""
    if flight.void:
        pass  # no verdict it has not already given (it may have rung: not the carrier)
    else:
        if flight.carrier_verdict is None:
            flight.carrier_verdict = carrier
        if flight.answer_verdict is None and (answered or ended):
            flight.answer_verdict = answered
    gateway = flight.gateway
    undecided = gateway.undecided
    while undecided and (undecided[0].void or (undecided[0].carrier_verdict is not None
                                               and undecided[0].answer_verdict is not None)):
        decided = undecided.popleft()
        if decided.carrier_verdict is not None:
            gateway.carrier_verdicts.append(decided.carrier_verdict)
        if decided.answer_verdict is not None:
            gateway.answer_verdicts.append(decided.answer_verdict)


def _figures(gateway: _Gateway
             ) -> tuple[float | None, float | None, float | None, float | None]:
    """ASR and carrier-failure ratio (over their verdicts), median post-dial delay and
    short-call ratio (over the window of ended calls)."""
    carrier_verdicts, answer_verdicts = gateway.carrier_verdicts, gateway.answer_verdicts
    carrier_ratio = (sum(carrier_verdicts) / len(carrier_verdicts)
                     if carrier_verdicts else None)
    asr = sum(answer_verdicts) / len(answer_verdicts) if answer_verdicts else None
    results = list(gateway.window)
    if not results:
        return asr, None, carrier_ratio, None
    answered = sum(1 for r in results if r.answered)
    delays = sorted(r.post_dial_delay for r in results if r.post_dial_delay is not None)
    pdd = None
    if delays:
        middle = len(delays) // 2
        pdd = delays[middle] if len(delays) % 2 else (delays[middle - 1] + delays[middle]) / 2
    short = sum(1 for r in results if r.short) / answered if answered else None
    return asr, pdd, carrier_ratio, short


def fill_dial_string(route: Route, number_e164: str) -> str:
    """The route's dial string for this number."""
    return route.dial_string.format(gateway=route.gateway, number=number_e164,
                                    digits=number_e164.lstrip("+"))


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def gateway_variables(route: Route, values: Mapping[str, str]) -> dict[str, str]:
    """The gateway's channel variables for one call, ``{caller_id}`` and ``{attestation}``
    filled from ``values``. A variable whose placeholder has no value is left out (no empty
    attestation header is ever sent)."""
    out: dict[str, str] = {}
    for name, template in route.variables.items():
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = values.get(match.group(1))
            if value is None:
                missing = True
                return ""
            return value

        text = _PLACEHOLDER.sub(fill, template)
        if not missing:
            out[name] = text
    return out
