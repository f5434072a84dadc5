"""Queue and agent reports per interval (15, 30, 60 minutes) and per day.

Definitions (the live monitor uses the same, dialer/engine/queue_stats.py):
- *offered*: callers who entered the queue's line (after any menu), by arrival; callers who
  left in the menu are ``ivr_abandoned``, callers sent on by an overflow count in the queue
  where they ended and in ``overflowed_out`` of the queue they left;
- *abandoned*: callers who hung up waiting (or as the agent came) after at least 5 s;
  sooner is a *short abandon*, not held against the service level;
- *service level*: answered within the queue's threshold ÷ (answered + abandoned);
- *ASA*: mean wait of the answered; *AHT*: mean talk + wrap-up of the answered;
- *first-contact resolution*: the share of answered callers who do not call any queue
  again within N days of that call;
- agents: *occupancy* is time on calls and in wrap-up ÷ time logged in and not paused;
  pause time is split by the reason the agent gave.
Times are UTC; intervals start on the hour (and at :15, :30, :45) of UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from campaigns.errors import CampaignError
from campaigns.models import (
    Agent,
    AgentStateChange,
    CallAttempt,
    InboundCall,
    QueueCallback,
    QueueCallbackStatus,
)

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

INTERVALS = {"15": "15min", "30": "30min", "60": "60min", "day": "1D"}
SHORT_ABANDON = 5.0
DEFAULT_WITHIN = 20.0
_ABANDONED = ("queue_abandoned", "hung_up_answered")
_QUEUE_COLUMNS = ["queue", "interval", "offered", "answered", "abandoned", "short_abandoned",
                  "service_level", "asa", "aht", "longest_wait", "callbacks_requested",
                  "callbacks_completed", "voicemails", "ivr_abandoned", "overflowed_out"]


@dataclass(frozen=True, slots=True)
class QueueReport:
    start: datetime
    end: datetime
    interval: str
    fcr_days: int
    summary: pd.DataFrame = field(repr=False)
    intervals: pd.DataFrame = field(repr=False)
    daily: pd.DataFrame = field(repr=False)
    agents: pd.DataFrame = field(repr=False)
    targets: dict[str, float] = field(default_factory=dict)
    """Queue → service-level target (the plot draws it)."""

    def sections(self) -> dict[str, pd.DataFrame]:
        return {"queues": self.summary, "intervals": self.intervals, "daily": self.daily,
                "agents": self.agents}

    def to_json(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for row in frame.astype(object).to_dict(orient="records"):
                out.append({k: (None if v is None or (isinstance(v, float) and np.isnan(v))
                                else v.isoformat() if isinstance(v, datetime | pd.Timestamp)
                                else v) for k, v in row.items()})
            return out

        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "interval": self.interval, "fcr_days": self.fcr_days,
                **{name: records(frame) for name, frame in self.sections().items()}}


def _frame(store: CampaignStore, query: sa.Select) -> pd.DataFrame:
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.read_sql(query, connection)
    for column in frame.columns:
        if column.endswith("_at") or column == "at":
            frame[column] = pd.to_datetime(frame[column], utc=True, format="mixed")
    return frame


def _calls(store: CampaignStore, start: datetime, end: datetime,
           queues: list[str] | None) -> pd.DataFrame:
    call = InboundCall
    query = sa.select(call.queue, call.caller_number, call.arrived_at, call.queued_at,
                      call.bridged_at, call.ended_at, call.wrapped_at, call.outcome,
                      call.overflowed_from, call.agent_id).where(
        call.arrived_at >= start, call.arrived_at < end)
    if queues:
        query = query.where(sa.or_(call.queue.in_(queues),  # type: ignore[attr-defined]
                                   call.overflowed_from.in_(queues)))  # type: ignore[union-attr]
    return _frame(store, query)


def _seconds(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds()


def _queue_figures(calls: pd.DataFrame, completed: pd.DataFrame, overflowed: pd.DataFrame,
                   keys: list[str], within: dict[str, float]) -> pd.DataFrame:
    """Figures per ``keys`` group (queue and interval, or queue alone)."""
    frame = calls.copy()
    frame["entered"] = frame["queued_at"].notna()
    left = frame["bridged_at"].fillna(frame["ended_at"])
    frame["wait"] = _seconds(left - frame["queued_at"])
    frame["answered"] = frame["bridged_at"].notna()
    gave_up = frame["outcome"].isin(_ABANDONED) & frame["entered"]
    frame["short"] = gave_up & (frame["wait"] < SHORT_ABANDON)
    frame["abandoned"] = gave_up & ~frame["short"]
    frame["within"] = frame["answered"] & (
        frame["wait"] <= frame["queue"].map(lambda q: within.get(q, DEFAULT_WITHIN)))
    wrap = _seconds(frame["wrapped_at"] - frame["ended_at"]).fillna(0.0).clip(lower=0)
    frame["handle"] = (_seconds(frame["ended_at"] - frame["bridged_at"]) + wrap).where(
        frame["answered"])
    frame["answer_wait"] = frame["wait"].where(frame["answered"])
    frame["queued_wait"] = frame["wait"].where(frame["entered"])
    for outcome, column in (("callback_requested", "callbacks_requested"),
                            ("voicemail", "voicemails"), ("ivr_abandoned", "ivr_abandoned")):
        frame[column] = frame["outcome"] == outcome
    grouped = frame.groupby(keys)
    out = pd.DataFrame({
        "offered": grouped["entered"].sum(), "answered": grouped["answered"].sum(),
        "abandoned": grouped["abandoned"].sum(), "short_abandoned": grouped["short"].sum(),
        "within": grouped["within"].sum(), "asa": grouped["answer_wait"].mean(),
        "aht": grouped["handle"].mean(), "longest_wait": grouped["queued_wait"].max(),
        "callbacks_requested": grouped["callbacks_requested"].sum(),
        "voicemails": grouped["voicemails"].sum(),
        "ivr_abandoned": grouped["ivr_abandoned"].sum(),
    })
    for extra, name in ((completed, "callbacks_completed"), (overflowed, "overflowed_out")):
        if len(extra):
            out = out.join(extra.groupby(keys).size().rename(name), how="outer")
        else:
            out[name] = 0
    out = out.fillna({c: 0 for c in out.columns if c not in ("asa", "aht", "longest_wait")})
    denominator = out["answered"] + out["abandoned"]
    out["service_level"] = (out["within"] / denominator).where(denominator > 0)
    out = out.reset_index()
    counts = ["offered", "answered", "abandoned", "short_abandoned", "callbacks_requested",
              "callbacks_completed", "voicemails", "ivr_abandoned", "overflowed_out"]
    out[counts] = out[counts].astype(int)
    for column in ("asa", "aht", "longest_wait"):
        out[column] = out[column].round(1)
    out["service_level"] = out["service_level"].round(4)
    return out


def _first_contact(store: CampaignStore, calls: pd.DataFrame, end: datetime,
                   days: int) -> pd.Series:
    """Per queue: share of answered callers who did not call again within ``days``."""
    answered = calls[calls["bridged_at"].notna() & (calls["caller_number"] != "")]
    if not len(answered):
        return pd.Series(dtype=float)
    numbers = sorted(set(answered["caller_number"]))
    later = pd.concat([_frame(store, sa.select(InboundCall.caller_number, InboundCall.arrived_at)
                              .where(InboundCall.caller_number.in_(chunk),  # type: ignore
                                     InboundCall.arrived_at < end + timedelta(days=days)))
                       for chunk in (numbers[i:i + 500] for i in range(0, len(numbers), 500))])
    by_number = later.groupby("caller_number")["arrived_at"].apply(
        lambda s: np.sort(s.to_numpy(dtype="datetime64[ns]")))
    horizon = np.timedelta64(days, "D")

    def again(row: Any) -> bool:
        times = by_number.get(row.caller_number)
        if times is None:
            return False
        arrived = np.datetime64(row.arrived_at.tz_convert(None))
        first = np.searchsorted(times, arrived, side="right")
        return bool(first < len(times) and times[first] <= arrived + horizon)

    repeated = answered.apply(again, axis=1) if len(answered) else pd.Series(dtype=bool)
    return (1.0 - repeated.groupby(answered["queue"]).mean()).round(4)


MAX_FCR_DAYS = 365
"""First-contact resolution looks at most a year ahead: 100000000000000 days was taken."""


def queue_report(store: CampaignStore, start: datetime, end: datetime, *,
                 interval: str = "30", queues: list[str] | None = None, fcr_days: int = 7,
                 within: dict[str, float] | None = None,
                 targets: dict[str, float] | None = None,
                 campaign: int | None = None) -> QueueReport:
    """The queues' figures per interval, per day and over the period, and the agents'."""
    if interval not in INTERVALS:
        raise CampaignError(f"--interval {interval!r}: choose 15, 30, 60 or day")
    if not 1 <= fcr_days <= MAX_FCR_DAYS:
        raise CampaignError(f"--fcr-days {fcr_days}: 1 to {MAX_FCR_DAYS} days (a caller who "
                            "calls again within them was not resolved at first contact)")
    within = within or {}
    frequency = INTERVALS[interval]
    calls = _calls(store, start, end, queues)
    in_scope = calls if not queues else calls[calls["queue"].isin(queues)]
    overflowed = calls[calls["overflowed_from"].notna()].assign(
        queue=lambda f: f["overflowed_from"])
    if queues:
        overflowed = overflowed[overflowed["queue"].isin(queues)]
    completed = _frame(store, sa.select(QueueCallback.queue, QueueCallback.finished_at).where(
        QueueCallback.status == QueueCallbackStatus.COMPLETED,
        QueueCallback.finished_at >= start, QueueCallback.finished_at < end))
    if queues:
        completed = completed[completed["queue"].isin(queues)]
    frames: dict[str, pd.DataFrame] = {}
    for name, freq in (("intervals", frequency), ("daily", "1D")):
        stamped = in_scope.assign(interval=in_scope["arrived_at"].dt.floor(freq))
        done = completed.assign(interval=completed["finished_at"].dt.floor(freq))
        out = overflowed.assign(interval=overflowed["arrived_at"].dt.floor(freq))
        frames[name] = _order(_queue_figures(stamped, done, out, ["queue", "interval"], within))
    summary = _queue_figures(in_scope, completed, overflowed, ["queue"], within)
    fcr = _first_contact(store, in_scope, end, fcr_days)
    summary["first_contact_resolution"] = summary["queue"].map(fcr)
    summary = summary[[c for c in _QUEUE_COLUMNS if c != "interval"]
                      + ["first_contact_resolution"]]
    agents = agent_report(store, start, end, interval=interval, campaign=campaign)
    return QueueReport(start, end, interval, fcr_days, summary, frames["intervals"],
                       frames["daily"], agents, dict(targets or {}))


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    if not len(frame):
        return pd.DataFrame(columns=_QUEUE_COLUMNS)
    return frame[_QUEUE_COLUMNS].sort_values(["interval", "queue"]).reset_index(drop=True)


# --- agents ------------------------------------------------------------------------------

def _spans(states: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Each state change as a span [at, next change) clipped to [start, end)."""
    states = states.sort_values(["agent", "at"]).reset_index(drop=True)
    states["until"] = states.groupby("agent")["at"].shift(-1).fillna(pd.Timestamp(end))
    states["begin"] = states["at"].clip(lower=pd.Timestamp(start))
    states["until"] = states["until"].clip(upper=pd.Timestamp(end))
    return states[states["until"] > states["begin"]]


def _split(spans: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Spans cut at interval boundaries: one row per (span, interval) with its seconds."""
    rows = []
    step = pd.Timedelta(freq)
    for span in spans.itertuples(index=False):
        cursor = span.begin
        until = span.until
        while cursor < until:
            bucket = cursor.floor(freq)
            stop = min(until, bucket + step)
            rows.append((span.agent, bucket, span.state, span.reason or "",
                         (stop - cursor).total_seconds()))
            cursor = stop
    return pd.DataFrame(rows, columns=["agent", "interval", "state", "reason", "seconds"])


def agent_report(store: CampaignStore, start: datetime, end: datetime, *,
                 interval: str = "30", campaign: int | None = None) -> pd.DataFrame:
    """Per agent and interval: inbound and outbound calls, time logged in, on calls, in
    wrap-up, paused (by reason), and occupancy."""
    if interval not in INTERVALS:
        raise CampaignError(f"--interval {interval!r}: choose 15, 30, 60 or day")
    freq = INTERVALS[interval]
    change = AgentStateChange
    # The state each agent was in at ``start`` is its last change before it.
    query = sa.select(Agent.name.label("agent"), change.state, change.reason, change.at).join(
        Agent, Agent.id == change.agent_id).where(change.at < end)
    if campaign is not None:
        query = query.where(change.campaign_id == campaign)
    states = _frame(store, query)
    columns = ["agent", "interval", "inbound", "outbound", "logged_in_s", "on_call_s",
               "wrap_up_s", "paused_s", "occupancy"]
    if not len(states):
        return pd.DataFrame(columns=columns)
    before = states[states["at"] < start].sort_values("at").groupby("agent").tail(1)
    states = pd.concat([before, states[states["at"] >= start]])
    pieces = _split(_spans(states, start, min(end, datetime.now(UTC))), freq)
    if not len(pieces):
        return pd.DataFrame(columns=columns)
    logged = pieces[pieces["state"] != "logged_out"]
    table = logged.pivot_table(index=["agent", "interval"], columns="state", values="seconds",
                               aggfunc="sum", fill_value=0.0)
    for state in ("on_call", "wrap_up", "paused"):
        if state not in table.columns:
            table[state] = 0.0
    out = pd.DataFrame({"logged_in_s": table.sum(axis=1), "on_call_s": table["on_call"],
                        "wrap_up_s": table["wrap_up"], "paused_s": table["paused"]})
    paused = logged[logged["state"] == "paused"]
    if len(paused):
        reasons = paused.assign(reason=paused["reason"].replace("", "unspecified")).pivot_table(
            index=["agent", "interval"], columns="reason", values="seconds", aggfunc="sum",
            fill_value=0.0)
        reasons.columns = [f"pause_{r}_s" for r in reasons.columns]
        out = out.join(reasons)
    working = out["logged_in_s"] - out["paused_s"]
    out["occupancy"] = ((out["on_call_s"] + out["wrap_up_s"]) / working).where(working > 0)
    for kind, model in (("inbound", InboundCall), ("outbound", CallAttempt)):
        query = sa.select(Agent.name.label("agent"), model.bridged_at).join(
            Agent, Agent.id == model.agent_id).where(model.bridged_at >= start,
                                                     model.bridged_at < end)
        if campaign is not None and model is CallAttempt:
            query = query.where(CallAttempt.campaign_id == campaign)
        calls = _frame(store, query)
        if len(calls):
            counts = calls.assign(interval=calls["bridged_at"].dt.floor(freq)).groupby(
                ["agent", "interval"]).size()
            out = out.join(counts.rename(kind), how="outer")
        else:
            out[kind] = 0
    out = out.reset_index()
    out[["inbound", "outbound"]] = out[["inbound", "outbound"]].fillna(0).astype(int)
    seconds = [c for c in out.columns if c.endswith("_s")]
    out[seconds] = out[seconds].fillna(0.0).round(1)
    out["occupancy"] = out["occupancy"].round(4)
    ordered = columns[:-1] + [c for c in out.columns if c.startswith("pause_")] + ["occupancy"]
    return out[ordered].sort_values(["interval", "agent"]).reset_index(drop=True)


def plot_queue_report(report: QueueReport, path: Any) -> Any:
    """A PNG: service level per interval against each queue's target, and calls offered."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, (level, offered) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True,
                                            constrained_layout=True)
    per = "day" if report.interval == "day" else f"{report.interval} min"
    figure.suptitle(f"Queues, {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} "
                    f"UTC, per {per}")
    frame = report.intervals
    if not len(frame):
        level.text(0.5, 0.5, "no inbound calls in this period", ha="center", va="center",
                   transform=level.transAxes)
    for index, (queue, rows) in enumerate(frame.groupby("queue")):
        color = f"C{index % 10}"
        times = pd.to_datetime(rows["interval"])
        level.plot(times, rows["service_level"], marker="o", color=color, label=queue)
        target = report.targets.get(queue)
        if target is not None:
            level.axhline(target, color=color, linestyle="--", linewidth=0.8)
        offered.plot(times, rows["offered"], drawstyle="steps-post", color=color, label=queue)
    level.set_ylabel("service level")
    level.set_ylim(0, 1.05)
    level.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    offered.set_ylabel("calls offered")
    for axes in (level, offered):
        if len(frame):
            axes.legend(loc="upper left")
        axes.grid(alpha=0.3)
    from dnc.whole_files import written_whole

    with written_whole(path) as partial:
        figure.savefig(partial, dpi=110)
    plt.close(figure)
    return path
