"""The runner's carriers: the gateway router it dials through, and what it says about them.

At start the switches' gateways are read from the store (``dialer gateway add``) into the
engine's ``GatewayRouter``; a gateway the router would refuse stops the runner with one line
naming it (never a silent fall back to the single ``--gateway``, which has no limits). Once a
second the router's state changes (quarantined, probing, healthy again) are logged and its
figures go to the alert book as readings, so a quarantine reaches ``dialer monitor``, the
alerts log and the webhook the way the queue alerts do.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dialer.engine.gateways import GatewayConfigError, GatewayHealth, GatewayRouter
from dialer.runner.errors import RunnerError

if TYPE_CHECKING:
    from campaigns.store import CampaignStore
    from dialer.alerts import AlertBook, AlertEvent

log = logging.getLogger("dialer.gateways")

LOOK_EVERY = 1.0
WIRE_MARGIN = 0.05
"""Seconds added to the carrier's second when counting sends: INVITEs sent a second apart
can arrive closer together (the network, a busy switch reading its socket late), and a
carrier counts them when they arrive. 50 ms absorbs that jitter on a LAN."""


def load_gateways(store: CampaignStore, switch_ids: Sequence[str]) -> GatewayRouter | None:
    """Database thread: the router over these switches' gateways (None: none configured,
    calls go out through ``dialer run --gateway``)."""
    from dialer.runner.carriers import load_router

    try:
        return load_router(store, switch_ids)
    except GatewayConfigError as error:
        raise RunnerError(f"gateways: {error} (fix it with `dialer gateway edit`)") from None


class WireLimiter:
    """Calls per second as the carrier counts them: when the INVITEs leave.

    The router spends a gateway's CPS token when the engine decides the call; the originate
    leaves after its journal is committed, a moment later and not always the same moment
    (a slow commit holds one batch, the next goes at once), so decisions ``cps`` per
    second apart can reach the carrier closer together. The dial sender asks here before
    each originate and waits (rarely, and only milliseconds) until the gateway's last
    second of sends has room, so the limit holds on the wire too.
    """

    def __init__(self, router: GatewayRouter, clock) -> None:  # type: ignore[no-untyped-def]
        self.router = router
        self.clock = clock
        self._sent: dict[tuple[str, str], deque[float]] = {}
        self.waited = 0
        """Originates held back to keep a carrier's limit (for the benchmark and tests)."""

    async def turn(self, switch_id: str, gateway: str | None) -> None:
        if gateway is None:
            return
        spec = self.router.spec(switch_id, gateway)
        if spec is None:
            return
        sent = self._sent.setdefault((switch_id, gateway), deque())
        while True:
            now = self.clock()
            while sent and sent[0] <= now - 1.0 - WIRE_MARGIN:
                sent.popleft()
            if len(sent) < spec.cps:
                sent.append(now)
                return
            self.waited += 1
            await asyncio.sleep(max(0.001, sent[0] + 1.0 + WIRE_MARGIN - now))


class GatewayWatch:
    """Logs the router's state changes and keeps its alerts in the book."""

    def __init__(self, router: GatewayRouter, alerts: AlertBook, clock) -> None:  # type: ignore[no-untyped-def]
        self.router = router
        self.alerts = alerts
        self.wire = WireLimiter(router, clock)

    def look(self, now: float) -> list[AlertEvent]:
        from dialer.runner.carriers import gateway_readings

        for change in self.router.take_changes():
            level = logging.INFO if change.state is GatewayHealth.HEALTHY else logging.WARNING
            log.log(level, "gateway %s (%s): %s -> %s: %s", change.gateway, change.switch_id,
                    change.previous.value, change.state.value, change.reason)
        return self.alerts.update(now, gateway_readings(self.router, now))

    async def run(self, clock) -> None:  # type: ignore[no-untyped-def]
        while True:
            await asyncio.sleep(LOOK_EVERY)
            self.look(clock())
