"""The simulated switch's sofia gateways and the carriers behind them.

A production FreeSWITCH reaches the public network through gateways (``sofia/gateway/NAME/
NUMBER``), each a carrier's SIP trunk with its own limits. The simulator models what the
dialer must cope with, per gateway:

* **capacity**: the carrier accepts at most ``channels`` calls at once; one more is refused
  with SIP 503, which FreeSWITCH reports as ``NORMAL_CIRCUIT_CONGESTION`` (capture 04a:
  ``-ERR NORMAL_CIRCUIT_CONGESTION``, sip_term_status 503, the a-leg's full CHANNEL_CREATE ...
  CHANNEL_HANGUP_COMPLETE before the BACKGROUND_JOB, no CHANNEL_PROGRESS);
* **calls per second**: at most ``cps`` INVITEs in any one-second window, the rest refused
  the same way (carriers count per sliding second);
* **failures**: a share ``failure_share`` of the calls it does take is refused with
  ``failure_cause`` (SIP 500 → ``NORMAL_TEMPORARY_FAILURE``, 503 → ``NORMAL_CIRCUIT_CONGESTION``,
  502 → ``NETWORK_OUT_OF_ORDER``, 408 → ``RECOVERY_ON_TIMER_EXPIRE``) after
  ``failure_after`` seconds, as a carrier-side refusal: no ringing, ``recv_refuse``;
* **down**: a gateway whose OPTIONS pings fail is ``down``; mod_sofia refuses the call before
  the session runs, so no channel event is ever fired and the job answers ``-ERR
  GATEWAY_DOWN``. A name the switch has no gateway for answers ``-ERR INVALID_GATEWAY`` the
  same way (mod_sofia's ``sofia_outgoing_channel``; no real capture has these two, the
  captures' switch had one gateway that was always up).

The book also keeps what a referee needs: per gateway the INVITEs offered, the peak of calls
at once and of INVITEs within one second, and how many were refused for being over a limit
(a dialer that respects its carriers' limits never sees one).

With no gateways configured (``SwitchSettings.gateways`` empty) every gateway name is
accepted with no limit, as before.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from dialer.hangup import HangupCause

CARRIER_SIP_STATUS = {"NORMAL_TEMPORARY_FAILURE": "500", "NORMAL_CIRCUIT_CONGESTION": "503",
                      "NETWORK_OUT_OF_ORDER": "502", "RECOVERY_ON_TIMER_EXPIRE": "408",
                      "SERVICE_UNAVAILABLE": "503", "INCOMPATIBLE_DESTINATION": "488"}
"""The SIP final response a carrier sends for each refusal (mod_sofia's sip-to-cause table,
read backwards)."""

OVER_LIMIT_CAUSE = "NORMAL_CIRCUIT_CONGESTION"
"""What a carrier's 503 for a call over its channel or CPS limit becomes (capture 04a)."""


@dataclass(frozen=True, slots=True)
class CarrierGateway:
    """One gateway of the simulated switch (``sofia/gateway/NAME``) and its carrier."""

    name: str
    channels: int | None = None
    """Calls at once the carrier accepts (None: no limit)."""
    cps: int | None = None
    """INVITEs per sliding second the carrier accepts (None: no limit)."""
    failure_share: float = 0.0
    """Share of the accepted calls the carrier refuses with ``failure_cause``."""
    failure_cause: str = "NORMAL_TEMPORARY_FAILURE"
    failure_after: float = 0.05
    """Seconds from the INVITE to the carrier's refusal."""
    down: bool = False
    """OPTIONS pings failing: calls are refused before any channel exists (GATEWAY_DOWN)."""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"gateway name {self.name!r}: no slashes")
        if (self.channels is not None and self.channels < 1) or (
                self.cps is not None and self.cps < 1):
            raise ValueError(f"gateway {self.name}: channels and cps must be >= 1")
        if not 0.0 <= self.failure_share <= 1.0:
            raise ValueError(f"gateway {self.name}: failure_share must be in [0, 1]")
        if self.failure_cause not in HangupCause.__members__:
            raise ValueError(f"gateway {self.name}: unknown hangup cause {self.failure_cause}")


@dataclass(frozen=True, slots=True)
class Admission:
    """What the carrier does with one INVITE."""

    cause: str | None = None
    """None: the call goes on to the callee; else the carrier refuses it with this cause."""
    before_channel: bool = False
    """The switch refuses before the session runs (no channel event, only ``-ERR``)."""
    after: float = 0.0
    over_limit: bool = False
    seizes: bool = False
    """The carrier took the call: it holds one of its channels until the channel ends."""


@dataclass
class GatewayTally:
    """What one gateway saw (the referee's figures)."""

    offered: int = 0
    in_use: int = 0
    peak_in_use: int = 0
    peak_per_second: int = 0
    over_channels: int = 0
    over_cps: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    sent: deque[float] = field(default_factory=deque)


class GatewayBook:
    """The gateways of one simulated switch, their live load and tallies."""

    def __init__(self, gateways: Iterable[CarrierGateway] = ()) -> None:
        self.gateways = {g.name: g for g in gateways}
        self.tallies: dict[str, GatewayTally] = {name: GatewayTally() for name in self.gateways}
        self._held: dict[str, str] = {}
        self.window = 1.0
        """Seconds over which a carrier counts INVITEs against its ``cps`` (a test may
        shorten it to allow for transport jitter between the dialer and the carrier)."""
        self.refusing: str | None = None
        """A fault injected for a spell (``refuse_all``): every call through any gateway,
        configured or not, is refused before any channel with this cause."""
        self.refused_in_spell = 0

    def refuse_all(self, cause: str | None = "GATEWAY_DOWN") -> None:
        """Begin (a cause) or end (None) a spell in which the switch refuses every gateway
        call before the session runs, as mod_sofia does for a gateway that is down
        (``GATEWAY_DOWN``), a profile it does not run (``INVALID_PROFILE``) or an unknown
        gateway (``INVALID_GATEWAY``): only ``-ERR CAUSE``, no channel event."""
        if cause is not None and cause not in HangupCause.__members__:
            raise ValueError(f"unknown hangup cause {cause}")
        self.refusing = cause

    def admit(self, name: str, now: float, rng: random.Random) -> Admission:
        """One INVITE through gateway ``name`` at ``now`` (simulated seconds)."""
        if self.refusing is not None:
            self.refused_in_spell += 1
            return Admission(self.refusing, before_channel=True)
        if not self.gateways:
            return Admission()
        gateway = self.gateways.get(name)
        if gateway is None:
            return Admission("INVALID_GATEWAY", before_channel=True)
        tally = self.tallies[name]
        tally.offered += 1
        if gateway.down:
            return self._refused(tally, Admission("GATEWAY_DOWN", before_channel=True))
        sent = tally.sent
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        sent.append(now)
        tally.peak_per_second = max(tally.peak_per_second, len(sent))
        if gateway.cps is not None and len(sent) > gateway.cps:
            tally.over_cps += 1
            return self._refused(tally, Admission(OVER_LIMIT_CAUSE, after=0.02,
                                                  over_limit=True))
        if gateway.channels is not None and tally.in_use >= gateway.channels:
            tally.over_channels += 1
            return self._refused(tally, Admission(OVER_LIMIT_CAUSE, after=0.02,
                                                  over_limit=True))
        tally.in_use += 1
        tally.peak_in_use = max(tally.peak_in_use, tally.in_use)
        if gateway.failure_share and rng.random() < gateway.failure_share:
            return self._refused(tally, Admission(gateway.failure_cause,
                                                  after=gateway.failure_after, seizes=True))
        return Admission(seizes=True)

    def seized(self, name: str, channel_uuid: str) -> None:
        """The channel of an admitted call exists: it holds the carrier's channel."""
        self._held[channel_uuid] = name

    def released(self, channel_uuid: str) -> None:
        """A channel ended: the carrier's channel it held (if any) is free again."""
        name = self._held.pop(channel_uuid, None)
        if name is not None:
            self.tallies[name].in_use -= 1

    @staticmethod
    def _refused(tally: GatewayTally, admission: Admission) -> Admission:
        cause = admission.cause or ""
        tally.refused[cause] = tally.refused.get(cause, 0) + 1
        return admission

    def summary(self) -> dict[str, dict[str, object]]:
        return {name: {"offered": t.offered, "peak_in_use": t.peak_in_use,
                       "peak_per_second": t.peak_per_second, "over_channels": t.over_channels,
                       "over_cps": t.over_cps, "refused": dict(t.refused)}
                for name, t in self.tallies.items()}


def gateway_of(endpoint: str) -> str | None:
    """``sofia/gateway/NAME/NUMBER`` → ``NAME`` (None for any other endpoint)."""
    if not endpoint.lower().startswith("sofia/gateway/"):
        return None
    parts = endpoint.split("/")
    return parts[2] if len(parts) > 3 else None
