"""Upper ends of a scenario's counts and times: a value past them is a typo, not a study.

Without them ``agents = 1e9`` or ``days = 100000`` loaded, and the simulation ran for hours
(or until memory ran out) before printing anything; ``decision_interval = 1e-9`` ticked a
billion times a simulated second. The ends are wide: no documented, tested or recorded
scenario comes near them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulations.errors import ScenarioError

if TYPE_CHECKING:
    from simulations.distributions import Distribution
    from simulations.population import CalleePopulation
    from simulations.scenario import AmdSettings, CampaignSettings, InboundSettings


@dataclass(frozen=True, slots=True)
class Bound:
    """One field's range, inclusive at both ends, and why its upper end is where it is."""

    section: str
    key: str
    low: float
    high: float
    why: str
    seconds: bool = False
    """A time in seconds: a value a thousand times too large is named as milliseconds."""

    def check(self, value: float, where: str, *, field: str | None = None,
              what: str = "") -> None:
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ScenarioError(f"{where}: [{self.section}].{field or self.key}: "
                                f"{what}{_number(value)} is outside {_number(self.low)}-"
                                f"{_number(self.high)} ({self.why}){self._ms(value)}")

    def _ms(self, value: float) -> str:
        """``no_answer_timeout = 25000``: a switch's or a trace's milliseconds, simulated
        as seven hours of ringing without a word."""
        if not self.seconds or not math.isfinite(value) or value < 1000 or \
                not self.low <= value / 1000 <= self.high:
            return ""
        return (f"; {_number(value)} looks like milliseconds: the file is in seconds, "
                f"write {value / 1000:g}")


def _number(value: float) -> str:
    """``5,000`` and ``10,000,000`` as written in the docs; ``1e-09`` and ``0.01`` as is."""
    if math.isfinite(value) and abs(value) < 1e15:
        value = round(value, 9)  # a law's mean from its parameters: 180000.00000000003
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


MAX_AGENTS = 5000
"""The pacing model's formulas are exact to 5,000 agents (docs/pacing.md, "Numerical
method"); a simulation of more would pace on figures nobody checked."""

CAMPAIGN = (
    Bound("campaign", "agents", 1, MAX_AGENTS, "the pacing model is exact to 5,000 agents, "
          "docs/pacing.md"),
    Bound("campaign", "days", 1, 366, "at most a year of days"),
    Bound("campaign", "leads", 0, 10_000_000, "0 is an unlimited pool; a simulated lead's "
          "number is +1555 and seven digits"),
    Bound("campaign", "decision_interval", 0.01, 3600, "seconds between pacing decisions"),
    Bound("campaign", "window_days", 0.01, 366, "the abandonment window, at most a year"),
    Bound("campaign", "message_time", 0, 600, "seconds the safe-harbour message plays"),
)
AMD = (
    Bound("amd", "detect_time", 0, 60, "seconds to a machine verdict"),
    Bound("amd", "silence_before_verdict", 0, 60, "seconds"),
)
INBOUND = (
    Bound("inbound", "calls_per_hour", 0, 100_000, "100,000 calls an hour of 3 minutes is "
          "the 5,000 agents a scenario may have"),
    Bound("inbound", "key_delay", 0, 3600, "seconds"),
    Bound("inbound", "voicemail_message", 0, 3600, "seconds"),
)


CALLEES = (
    Bound("callees", "no_answer_timeout", 15, 300, "seconds a call rings; a campaign's "
          "ring_timeout is at most 300", seconds=True),
    Bound("callees", "busy_time", 0, 300, "seconds to a busy signal", seconds=True),
    Bound("callees", "machine_greeting", 0, 600, "seconds of a machine's greeting",
          seconds=True),
)
LAWS = (
    Bound("callees", "time_to_answer", 0, 3600, "seconds to answer, an hour", seconds=True),
    Bound("callees", "patience", 0, 3600, "seconds a callee waits in silence",
          seconds=True),
    Bound("agents", "talk", 0, 14_400, "seconds of talk, four hours", seconds=True),
    Bound("agents", "wrap", 0, 3600, "seconds of wrap-up after a call, an hour",
          seconds=True),
)
"""The callees' and agents' times: their means (a law's, or the value) past these are a
typo or another unit (``talk = { mean = 180000 }``, milliseconds, simulated fifty hours of
talk a call), not a study."""


def check_times(population: CalleePopulation, wrap: Distribution, where: str) -> None:
    """Refuse the first callee or agent time outside its range, naming the field."""
    for bound in CALLEES:
        bound.check(float(getattr(population, bound.key)), where)
    laws = {"time_to_answer": population.time_to_answer, "patience": population.patience,
            "talk": population.talk, "wrap": wrap}
    for bound in LAWS:
        mean = float(laws[bound.key].mean)
        if math.isfinite(mean):  # a degenerate law (uniform 0-0) has none to bound
            bound.check(mean, where, what="mean ")


def check_bounds(campaign: CampaignSettings, amd: AmdSettings, inbound: InboundSettings,
                 where: str) -> None:
    """Refuse the first value outside its range, naming the file and the field."""
    agents = CAMPAIGN[0]
    for hour, count in enumerate(campaign.agents_by_hour):  # agents is their largest
        agents.check(max(count, 1), where, field=f"agents_by_hour[{hour}]")
    for bounds, settings in ((CAMPAIGN, campaign), (AMD, amd), (INBOUND, inbound)):
        for bound in bounds:
            bound.check(float(getattr(settings, bound.key)), where)
    rate = INBOUND[0]
    for hour, value in enumerate(inbound.calls_per_hour_by_hour):
        rate.check(value, where, field=f"calls_per_hour_by_hour[{hour}]")
