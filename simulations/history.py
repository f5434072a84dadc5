"""A scenario from a campaign's own history: ``dialer simulate --from-campaign NAME``.

Over the last ``days`` days of the campaign's attempts in the store, by hour of day (in
``tz``): the shares of dials answered by a person, by a machine, busy (or failed quickly)
and not answered, each with its 95 % Wilson interval; the observed ring times (dial →
answer), talk times (bridge → hang-up of a connected person) and wrap-up times (hang-up →
disposition) as empirical laws, each with a 95 % t-interval of its mean; and the agents
logged in (and not paused) in each hour of the day, on average over the days dialed.

What the store cannot tell is left at the scenario defaults and said in ``notes``: a
person's patience (people are connected or hear the message within 2 s, so it is never
seen), the machine greeting, and the busy time or machine handling time when no such call
was made. Rates are of answers within the ring timeout (a later answer is a no-answer to
the dialer, as in the simulator), so the rebuilt scenario's ring law holds answered calls
only. With AMD on, the machine share is AMD's verdicts, errors included.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from dnc.rules.zone_names import zone_name_problem
from simulations.distributions import Distribution, Empirical, EmpiricalQuantiles
from simulations.errors import SimulationError

if TYPE_CHECKING:
    from campaigns.store import CampaignStore
    from simulations.scenario import Scenario

MIN_ATTEMPTS = 100
"""Finished attempts needed in the period to estimate the shares."""
MIN_SAMPLE = 20
"""Observed ring, talk and wrap-up times needed for their laws."""
QUANTILES = 101
"""A law observed more often than this is kept as its percentiles (0, 1, …, 100 %)."""
KINDS = ("live", "machine", "busy", "no_answer")
_BUSY_OUTCOMES = frozenset({"busy", "rejected", "bad_number", "network"})
_ANSWERED_OUTCOMES = frozenset({"answered", "abandoned", "machine"})
_Z95 = 1.959963984540054


class HistoryError(SimulationError):
    """A campaign's history cannot give a scenario (unknown, empty, too few calls)."""


@dataclass(frozen=True, slots=True)
class Share:
    """``hits`` of ``trials`` with the 95 % Wilson score interval (Wilson 1927), which
    stays inside [0, 1] and holds for small counts and shares near 0 or 1."""

    hits: int
    trials: int

    @property
    def rate(self) -> float:
        return self.hits / self.trials if self.trials else math.nan

    @property
    def ci95(self) -> tuple[float, float]:
        return self.interval(_Z95)

    def interval(self, z: float) -> tuple[float, float]:
        """The Wilson interval at ``z`` standard errors (1.96: 95 %)."""
        n, p = self.trials, self.rate
        if not n:
            return (math.nan, math.nan)
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class SampleMean:
    """The mean of ``n`` observed times with its 95 % Student t interval."""

    n: int
    mean: float
    ci95: tuple[float, float]

    @classmethod
    def of(cls, values: np.ndarray) -> SampleMean:
        from scipy import stats

        n, mean = len(values), float(np.mean(values)) if len(values) else math.nan
        if n < 2:
            return cls(n, mean, (math.nan, math.nan))
        half = float(stats.t.ppf(0.975, n - 1)) * float(np.std(values, ddof=1)) / math.sqrt(n)
        return cls(n, mean, (mean - half, mean + half))


@dataclass(frozen=True, slots=True)
class CampaignHistory:
    """What the store says about a campaign's period, and the scenario built from it."""

    campaign: str
    start: datetime
    end: datetime
    tz: str
    attempts: int
    """Finished attempts the shares count (dialer-side cancellations left out)."""
    days_dialed: int
    shares: dict[str, Share]
    hourly: dict[str, tuple[Share, ...]]
    """Per kind, 24 shares (index = hour of day in ``tz``; 0 of 0 where nothing was dialed)."""
    times: dict[str, SampleMean]
    agents_by_hour: tuple[float, ...]
    """Mean agents logged in and not paused in each hour of day, over the days dialed."""
    notes: tuple[str, ...]
    scenario: Scenario

    def to_json(self) -> dict[str, Any]:
        def share(s: Share) -> dict[str, Any]:
            low, high = s.ci95
            return {"rate": _finite(s.rate), "hits": s.hits, "trials": s.trials,
                    "ci95": [_finite(low), _finite(high)]}

        return {
            "campaign": self.campaign, "from": self.start.isoformat(),
            "to": self.end.isoformat(), "tz": self.tz, "attempts": self.attempts,
            "days_dialed": self.days_dialed,
            "shares": {k: share(v) for k, v in self.shares.items()},
            "hourly": {k: [share(s) for s in v] for k, v in self.hourly.items()},
            "times": {k: {"n": v.n, "mean": _finite(v.mean),
                          "ci95": [_finite(x) for x in v.ci95]} for k, v in self.times.items()},
            "agents_by_hour": list(self.agents_by_hour),
            "scenario_agents_by_hour": list(self.scenario.campaign.agents_by_hour),
            "notes": list(self.notes)}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def build_history(store: CampaignStore, campaign: str, *, until: datetime, days: float = 30.0,
                  tz: str = "UTC") -> CampaignHistory:
    """The campaign's attempts dialed in ``[until − days, until)`` → a scenario."""
    from campaigns.stored_settings import stored_settings

    if not 0 < days <= 366:  # 1e300 days overflowed the period's start (a traceback)
        raise HistoryError(f"--days: more than 0 and at most 366 (a year of the campaign's "
                           f"history), got {days:g}")
    if (problem := zone_name_problem(tz, clock=True)) is not None:
        # EST loads, but as UTC-5 all year: a summer's hours of day an hour off.
        raise HistoryError(f"--tz: {problem}")
    zone = ZoneInfo(tz)
    row = store.campaign(campaign)
    settings = stored_settings(row)
    start = until - timedelta(days=days)
    calls = _attempts(store, row.id, start, until, zone)
    where = f"campaign {row.name!r}, {start:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    if not len(calls["kind"]):
        raise HistoryError(f"{where}: no finished attempt in the period (try a longer --days)")
    if len(calls["kind"]) < MIN_ATTEMPTS:
        raise HistoryError(f"{where}: too few attempts to estimate the shares: "
                           f"{len(calls['kind'])} finished (need {MIN_ATTEMPTS})")
    kind, hour = calls["kind"], calls["hour"]
    shares = {name: Share(int(np.sum(kind == code)), len(kind)) for code, name in
              enumerate(KINDS)}
    hourly = {name: tuple(Share(int(np.sum((kind == code) & (hour == h))),
                                int(np.sum(hour == h))) for h in range(24))
              for code, name in enumerate(KINDS)}
    samples = {name: calls[name] for name in ("ring", "talk", "wrap")}
    for name, what in (("ring", "ring times (answered calls)"),
                       ("talk", "talk times (people connected to an agent)"),
                       ("wrap", "wrap-up times (dispositions after a connected call)")):
        if len(samples[name]) < MIN_SAMPLE:
            raise HistoryError(f"{where}: too few {what} to estimate their law: "
                               f"{len(samples[name])} (need {MIN_SAMPLE})")
    # A day is a shift's day: a night shift's dials after midnight belong to the day before.
    shift = _shift([int(np.sum(hour == h)) for h in range(24)])
    dial_start = shift[0]
    days_dialed = len(set(((calls["day"] * 24 + hour - dial_start) // 24).tolist()))
    agents = _agents_by_hour(store, row.id, start, until, zone, days_dialed)
    times = {name: SampleMean.of(values) for name, values in samples.items()}
    for name in ("machine_hold", "busy"):
        if len(calls[name]):
            times[name] = SampleMean.of(calls[name])
    scenario, notes = _scenario(row.name, settings, shares, hourly, samples, times, agents,
                                days_dialed, shift)
    return CampaignHistory(row.name, start, until, tz, len(kind), days_dialed, shares, hourly,
                           times, agents, notes, scenario)


def _attempts(store: CampaignStore, campaign_id: int, start: datetime, end: datetime,
              zone: ZoneInfo) -> dict[str, np.ndarray]:
    """Kind code (index into ``KINDS``), local hour and day of each finished attempt, and
    the observed times (seconds)."""
    from campaigns.models import AnswerKind, CallAttempt

    a = CallAttempt
    query = (sa.select(a.dialed_at, a.answered_at, a.bridged_at, a.ended_at, a.wrapped_at,
                       a.outcome, a.answer_kind)
             .where(a.campaign_id == campaign_id, a.dialed_at >= start, a.dialed_at < end,
                    a.ended_at.is_not(None), a.outcome.is_not(None)).order_by(a.id))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        rows = connection.execute(query).all()
    kinds, hours, days = [], [], []
    found: dict[str, list[float]] = defaultdict(list)
    machine = AnswerKind.MACHINE.value
    for dialed, answered, bridged, ended, wrapped, outcome, answer_kind in rows:
        is_answered = answered is not None or outcome in _ANSWERED_OUTCOMES
        if is_answered:
            code = 1 if answer_kind == machine or outcome == "machine" else 0
        elif outcome in _BUSY_OUTCOMES:
            code = 2
        elif outcome == "no_answer":
            code = 3
        else:
            continue  # cancelled or failed inside the dialer: says nothing of the callee
        local = dialed.astimezone(zone)
        kinds.append(code)
        hours.append(local.hour)
        days.append(local.toordinal())
        if answered is not None:
            found["ring"].append((answered - dialed).total_seconds())
        if bridged is not None and code == 0:
            found["talk"].append((ended - bridged).total_seconds())
            if wrapped is not None:
                found["wrap"].append(max(0.0, (wrapped - ended).total_seconds()))
        elif bridged is not None and code == 1:
            found["machine_hold"].append((ended - bridged).total_seconds())
        elif code == 2:
            found["busy"].append((ended - dialed).total_seconds())
    columns = {name: np.maximum(np.asarray(found[name], float), 0.0) for name in
               ("ring", "talk", "wrap", "machine_hold", "busy")}
    return {"kind": np.asarray(kinds, int), "hour": np.asarray(hours, int),
            "day": np.asarray(days, int), **columns}


def _agents_by_hour(store: CampaignStore, campaign_id: int, start: datetime, end: datetime,
                    zone: ZoneInfo, days_dialed: int) -> tuple[float, ...]:
    """Mean agents logged in and not paused per local hour of day, over the days dialed
    (the simulator's agents take no breaks, so a paused agent is not on the floor)."""
    from campaigns.models import AgentState, AgentStateChange, CampaignAgent

    change = AgentStateChange
    mine = sa.select(CampaignAgent.agent_id).where(CampaignAgent.campaign_id == campaign_id)
    query = (sa.select(change.agent_id, change.state, change.at)
             .where(change.at < end, sa.or_(
                 change.campaign_id == campaign_id,
                 sa.and_(change.campaign_id.is_(None), change.agent_id.in_(mine))))
             .order_by(change.agent_id, change.at, change.id))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        rows = connection.execute(query).all()
    seconds = [0.0] * 24
    off = {AgentState.LOGGED_OUT.value, AgentState.PAUSED.value}
    for i, (agent_id, state, at) in enumerate(rows):
        following = rows[i + 1] if i + 1 < len(rows) else None
        until = following[2] if following is not None and following[0] == agent_id else end
        if state in off:
            continue
        _spread(max(at, start), min(until, end), zone, seconds)
    return tuple(s / (3600.0 * days_dialed) for s in seconds)


def _spread(begin: datetime, finish: datetime, zone: ZoneInfo, seconds: list[float]) -> None:
    """Add the time in ``[begin, finish)`` to its local hours of day."""
    t = begin
    while t < finish:
        local = t.astimezone(zone)
        boundary = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
                    ).astimezone(UTC)
        if boundary <= t:  # a wall clock turned back (end of daylight saving time)
            boundary = t + timedelta(hours=1)
        step = min(boundary, finish)
        seconds[local.hour] += (step - t).total_seconds()
        t = step


def _law(values: np.ndarray) -> Distribution:
    """An observed law: the values themselves, or their percentiles when there are many
    (rounded to the millisecond the store keeps)."""
    if len(values) <= QUANTILES:
        return Empirical(tuple(round(float(v), 3) for v in np.sort(values)))
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, QUANTILES))
    return EmpiricalQuantiles(tuple(round(float(q), 3) for q in quantiles))


def _shift(agents: list[int]) -> tuple[int, int]:
    """(start hour, hours) of the shortest daily span holding every hour with a count: the
    day minus its longest run of hours without (the run may wrap past midnight)."""
    best_start, best_length = 0, 0
    for first in range(24):
        length = 0
        while length < 24 and agents[(first + length) % 24] == 0:
            length += 1
        if length > best_length:
            best_start, best_length = first, length
    return (best_start + best_length) % 24, 24 - best_length


def _scenario(name: str, settings: Any, shares: dict[str, Share],
              hourly: dict[str, tuple[Share, ...]], samples: dict[str, np.ndarray],
              times: dict[str, SampleMean], mean_agents: tuple[float, ...], days_dialed: int,
              shift: tuple[int, int]) -> tuple[Scenario, tuple[str, ...]]:
    """The scenario; its shift is the span of hours the campaign dialed in (agents logged
    in before the first dial or finishing calls after the last do no outbound work)."""
    from simulations.scenario import scenario_from_tables

    start_hour, shift_hours = shift
    agents = [math.floor(a + 0.5) for a in mean_agents]
    if not any(agents[(start_hour + h) % 24] for h in range(shift_hours)):
        raise HistoryError(f"campaign {name!r}: no agent was logged in (and not paused) for "
                           "half an hour or more on average in any hour the campaign dialed "
                           f"in ({start_hour:02d}:00, {shift_hours} h): record agent "
                           "sessions, or write the scenario by hand")

    def by_hour(kind: str) -> list[float]:
        # An hour never dialed takes the period's share (it is outside the shift anyway).
        return [s.rate if s.trials else shares[kind].rate for s in hourly[kind]]

    notes = ["patience: not in the store (a person is connected or hears the message "
             "within 2 s), the default law is kept"]
    callees: dict[str, Any] = {
        "live_answer": shares["live"].rate, "machine": shares["machine"].rate,
        "busy": shares["busy"].rate, "live_answer_by_hour": by_hour("live"),
        "machine_by_hour": by_hour("machine"), "busy_by_hour": by_hour("busy"),
        "time_to_answer": _law(samples["ring"]).spec(),
        "no_answer_timeout": settings.ring_timeout}
    if "busy" in times:
        callees["busy_time"] = round(times["busy"].mean, 3)
    else:
        notes.append("busy_time: no busy call in the period, the default is kept")
    agents_table: dict[str, Any] = {"talk": _law(samples["talk"]).spec(),
                                    "wrap": _law(samples["wrap"]).spec()}
    if "machine_hold" in times:
        agents_table["machine_handle_time"] = round(times["machine_hold"].mean, 3)
    else:
        notes.append("machine_handle_time: no machine answer was connected to an agent, "
                     "the default is kept")
    window = (settings.abandon_window_hours / 24.0 if settings.abandon_window_hours
              else 30.0)
    tables = {
        "campaign": {"agents_by_hour": agents, "shift_start_hour": start_hour,
                     "shift_hours": shift_hours, "days": days_dialed, "leads": 0,
                     "abandon_limit": settings.abandon_target,
                     "connect_window": settings.connect_window,
                     "decision_interval": settings.decision_interval,
                     "window_days": window},
        "callees": callees, "agents": agents_table,
        "amd": {"enabled": settings.amd_enabled,
                "false_positive": (settings.amd_false_positive_estimate or 0.0)
                if settings.amd_enabled else 0.0},
    }
    if settings.amd_enabled:
        notes.append("amd: detection time, false negatives and the silence before the "
                     "verdict are not in the store, the defaults are kept; the machine "
                     "share is AMD's verdicts")
    return scenario_from_tables(tables, Path(f"<campaign {name}>")), tuple(notes)
