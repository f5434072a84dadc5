"""The compliance gate the live engine asks at the moment of each dial.

``dnc.rules.ComplianceEngine`` is the real gate when it is installed and configured (see
docs/compliance.md); ``CallingHoursGate`` is the runner's own minimum that is always on top:
the number is not on the internal opt-out list (47 CFR 64.1200(d)(3): an opt-out is honoured
at once), and it is between 08:00 and 21:00 at the called party's location
(47 CFR 64.1200(c)(1), 16 CFR 310.4(c)). A lead without a time zone is refused: the rule
cannot be proved, so the call is not made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.ports import ComplianceGate, DialTarget, GateVerdict

EARLIEST_HOUR = 8
LATEST_HOUR = 21


class CallingHoursGate:
    """Internal opt-outs and the federal calling window, checked at dial time."""

    def __init__(self, opted_out: Callable[[str], bool], inner: ComplianceGate | None = None,
                 ) -> None:
        self.opted_out = opted_out
        self.inner = inner
        self._zones: dict[str, ZoneInfo | None] = {}

    def _zone(self, name: str) -> ZoneInfo | None:
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name) if name else None
            except (ZoneInfoNotFoundError, ValueError):
                self._zones[name] = None
        return self._zones[name]

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        if self.opted_out(target.number_e164):
            return GateVerdict(False, ("internal-dnc: the number opted out",))
        zone_names = [z for z in target.attributes.get("timezone", "").split(",") if z]
        if not zone_names:
            return GateVerdict(False, ("calling-hours: unknown time zone ''",))
        moment = datetime.fromtimestamp(at, tz=UTC)
        # An area code spanning zones gives several candidates: the call must be inside
        # the window in every one of them (the callee may be in any).
        for zone_name in zone_names:
            zone = self._zone(zone_name)
            if zone is None:
                return GateVerdict(False, (f"calling-hours: unknown time zone {zone_name!r}",))
            local = moment.astimezone(zone)
            if not EARLIEST_HOUR <= local.hour < LATEST_HOUR:
                return GateVerdict(False, (
                    f"calling-hours: {local:%H:%M} in {zone_name} is outside 08:00-21:00 "
                    "(47 CFR 64.1200(c)(1))",))
        if self.inner is not None:
            return self.inner.check(target, at)
        return GateVerdict(True, (f"calling-hours: inside 08:00-21:00 in {','.join(zone_names)}",
                                  "internal-dnc: not listed"))
