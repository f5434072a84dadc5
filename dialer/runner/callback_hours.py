"""The calling hours a queue callback must keep: the runner's ``Engine(callback_gate=...)``.

A queue callback is an outbound call. Before this gate a live run checked it against the
internal do-not-call list only, so a callback restored at a runner's start (or called back
from a voicemail) could ring a caller at 06:00 or 23:00 their time. The calling-hours rule
of the telemarketing rules (47 CFR 64.1200(c)(1); 16 CFR 310.4(c): 08:00-21:00 at the
called party's location) is applied here in every time zone the number may be in, as the
compliance engine places it (``dnc.rules.zones.place``: the numbering plan's zones of the
number). A number whose zones cannot be placed is refused (fail closed); a refusal inside a
known window names the first instant all its zones allow (``earliest-allowed: ISO``), at
which the engine tries again. The rest of the dial-time rules (registries, state overlays,
attempt limits) are not applied to queue callbacks yet: docs/inbound.md, "Inbound first-hour
pass".
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialer.ports import DialTarget, GateVerdict
from dnc.errors import ComplianceError
from dnc.rules.calendar import WeeklyWindow, allowed_in_all, next_allowed_in_all
from dnc.rules.federal import FEDERAL_HOURS
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

_CITATION = "47 CFR 64.1200(c)(1); 16 CFR 310.4(c)"


class CallbackHours:
    """``ComplianceGate`` over the called party's calling hours, for queue callbacks."""

    def __init__(self, tables: RuleTables, window: WeeklyWindow = FEDERAL_HOURS.window) -> None:
        self.tables = tables
        self.window = window

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        moment = datetime.fromtimestamp(at, UTC)
        try:
            zones = place(LeadFacts(target.number_e164, lead_id=target.lead_id),
                          self.tables).zone_infos()
        except ComplianceError as error:
            zones, problem = (), str(error)
        else:
            problem = "no time zone is known for the number"
        if not zones:
            return GateVerdict(False, (f"callback.calling_hours: {problem}: the called "
                                       f"party's hours cannot be proved ({_CITATION})",))
        if allowed_in_all(self.window, zones, moment):
            return GateVerdict(True, (f"callback.calling_hours: 08:00-21:00 in "
                                      f"{_names(zones)}",))
        reasons = [f"callback.calling_hours: outside 08:00-21:00 in {_names(zones)} "
                   f"({_CITATION})"]
        earliest = next_allowed_in_all(self.window, zones, moment)
        if earliest is not None:
            reasons.append(f"earliest-allowed: {earliest.isoformat()}")
        return GateVerdict(False, tuple(reasons))


def _names(zones: tuple[ZoneInfo, ...]) -> str:
    """The zones, the first three by name (a toll-free number has forty)."""
    names = [zone.key for zone in zones]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


__all__ = ["CallbackHours"]
