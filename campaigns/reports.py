"""Campaign reports: volumes, the abandonment rate (per day and over the rolling legal
window), answer rate, agent productivity, dispositions, list penetration, callbacks.

The legal abandonment rate is abandoned calls ÷ calls answered by a person, per campaign
over a rolling 30 days (47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i)). A machine answer
counts neither as live nor abandoned. Counting is done in SQL (a month of a large
campaign is millions of attempts); only per-day/per-hour rows come back to Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from campaigns.abandon_messages import abandoned_calls, message_summary
from campaigns.models import (
    Agent,
    AgentState,
    AgentStateChange,
    AnswerKind,
    CallAttempt,
    Callback,
    CallbackStatus,
    Disposition,
    Lead,
    LeadList,
    Recording,
)
from campaigns.stored_settings import settings_in_range, stored_settings

if TYPE_CHECKING:
    from campaigns.store import CampaignRef, CampaignStore

LEGAL_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: str
    start: datetime
    end: datetime
    abandon_limit: float
    summary: dict[str, Any]
    daily: pd.DataFrame = field(repr=False)
    hourly: pd.DataFrame = field(repr=False)
    agents: pd.DataFrame = field(repr=False)
    dispositions: pd.DataFrame = field(repr=False)
    lists: pd.DataFrame = field(repr=False)
    caller_ids: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per caller ID: dials, live and machine answers, answer rate (a number carriers label
    as spam shows as an answer rate falling below the others')."""
    gateways: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per gateway: legs, answers, answer-seizure ratio, legs refused and failed over."""
    abandoned: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Every abandoned call: its safe-harbour message's outcome and how soon it started
    (campaigns/abandon_messages.py)."""

    def sections(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame({"measure": list(self.summary),
                                "value": pd.Series(list(self.summary.values()), dtype=object)})
        return {"summary": summary, "daily": self.daily, "hourly": self.hourly,
                "agents": self.agents, "dispositions": self.dispositions, "lists": self.lists,
                "caller_ids": self.caller_ids, "gateways": self.gateways,
                "abandoned": self.abandoned}

    def to_json(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (None if pd.isna(v) else v) for k, v in row.items()}
                    for row in frame.astype(object).to_dict(orient="records")]

        return {"campaign": self.campaign, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "abandon_limit": self.abandon_limit,
                "summary": self.summary, "daily": records(self.daily),
                "hourly": records(self.hourly), "agents": records(self.agents),
                "dispositions": records(self.dispositions), "lists": records(self.lists),
                "caller_ids": records(self.caller_ids), "gateways": records(self.gateways),
                "abandoned": records(self.abandoned)}


def _bucket(engine: sa.Engine, column: Any, width: int) -> Any:
    """Text bucket of a UTC timestamp: width 10 → day, 13 → hour ("YYYY-MM-DD HH")."""
    if engine.dialect.name == "sqlite":
        return sa.func.substr(column, 1, width)
    pattern = "YYYY-MM-DD" if width == 10 else "YYYY-MM-DD HH24"
    return sa.func.to_char(sa.func.timezone("UTC", column), pattern)


def _count_columns() -> list[Any]:
    attempt = CallAttempt
    live = sa.and_(attempt.answered_at.is_not(None), sa.or_(
        attempt.answer_kind.is_(None), attempt.answer_kind != AnswerKind.MACHINE.value))
    machine = attempt.answer_kind == AnswerKind.MACHINE.value
    return [
        sa.func.count().label("dials"),
        sa.func.sum(sa.case((live, 1), else_=0)).label("live_answers"),
        sa.func.sum(sa.case((machine, 1), else_=0)).label("machine_answers"),
        sa.func.sum(sa.case((sa.and_(live, attempt.abandoned), 1), else_=0)).label("abandons"),
    ]


def _period_counts(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
                   ) -> dict[str, int]:
    """Dials, live and machine answers, abandons dialed in exactly ``[start, end)`` (the
    daily rows round to whole days; a run's summary must not)."""
    query = sa.select(*_count_columns()).where(
        CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at >= start,
        CallAttempt.dialed_at < end)
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        row = connection.execute(query).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def _hang_up_sides(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
                   ) -> dict[str, int]:
    """Answered calls dialed in ``[start, end)`` by who ended them, as the switch said
    (``call_attempt.hangup_side``): the callee, the dialer, or not reported (a loopback
    channel, rows older than migration 0011)."""
    attempt = CallAttempt
    side = attempt.hangup_side
    query = sa.select(
        sa.func.sum(sa.case((side == "callee", 1), else_=0)),
        sa.func.sum(sa.case((side == "dialer", 1), else_=0)),
        sa.func.count()).where(
        attempt.campaign_id == campaign_id, attempt.dialed_at >= start,
        attempt.dialed_at < end, attempt.answered_at.is_not(None),
        attempt.ended_at.is_not(None))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        callee, dialer, answered = connection.execute(query).one()
    callee, dialer = int(callee or 0), int(dialer or 0)
    return {"answered_hung_up_by_callee": callee, "answered_hung_up_by_dialer": dialer,
            "answered_hang_up_not_reported": int(answered or 0) - callee - dialer}


def _counts(store: CampaignStore, campaign_id: int, start: datetime, end: datetime,
            width: int) -> pd.DataFrame:
    attempt = CallAttempt
    bucket = _bucket(store.engine, attempt.dialed_at, width).label("bucket")
    query = (sa.select(bucket, *_count_columns())
             .where(attempt.campaign_id == campaign_id, attempt.dialed_at >= start,
                    attempt.dialed_at < end).group_by(bucket).order_by(bucket))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["bucket", "dials", "live_answers", "machine_answers",
                                      "abandons"])
    return frame.astype({c: "int64" for c in frame.columns if c != "bucket"})


def _recording_counts(store: CampaignStore, campaign_id: int, start: datetime,
                      end: datetime) -> dict[str, int]:
    """Recordings started in the period, and how many are sealed (checksummed); each is
    found by its attempt (``dialer recordings show CALL_UUID``)."""
    query = (sa.select(Recording.status, sa.func.count())
             .where(Recording.campaign_id == campaign_id, Recording.started_at >= start,
                    Recording.started_at < end).group_by(Recording.status))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        counts = dict(connection.execute(query).all())
    return {"recordings": int(sum(counts.values())),
            "recordings_sealed": int(counts.get("sealed", 0))}


def _by_caller_id(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
                  ) -> pd.DataFrame:
    """Answer rate per caller ID: every leg counts as a dial (a failover leg showed the
    number to the network too), answers are what the called party saw."""
    attempt = CallAttempt
    query = (sa.select(attempt.caller_id, *_count_columns())
             .where(attempt.campaign_id == campaign_id, attempt.dialed_at >= start,
                    attempt.dialed_at < end, attempt.caller_id.is_not(None))
             .group_by(attempt.caller_id).order_by(attempt.caller_id))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["caller_id", "dials", "live_answers", "machine_answers",
                                      "abandons"])
    frame = frame.astype({c: "int64" for c in frame.columns if c != "caller_id"})
    frame["answer_rate"] = _rate(frame["live_answers"] + frame["machine_answers"],
                                 frame["dials"])
    return frame


def _by_gateway(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
                ) -> pd.DataFrame:
    attempt = CallAttempt
    refused = sa.func.sum(sa.case((sa.and_(attempt.answered_at.is_(None),
                                           attempt.outcome == "network"), 1), else_=0))
    query = (sa.select(attempt.switch_node, attempt.gateway, sa.func.count(),
                       sa.func.count(attempt.answered_at), refused,
                       sa.func.count(attempt.failover_of))
             .where(attempt.campaign_id == campaign_id, attempt.dialed_at >= start,
                    attempt.dialed_at < end, attempt.gateway.is_not(None))
             .group_by(attempt.switch_node, attempt.gateway)
             .order_by(attempt.switch_node, attempt.gateway))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["switch", "gateway", "legs", "answered",
                                      "network_failures", "failover_legs"])
    frame = frame.astype({c: "int64" for c in ("legs", "answered", "network_failures",
                                                 "failover_legs")})
    frame["asr"] = _rate(frame["answered"], frame["legs"])
    return frame


def _rate(numerator: pd.Series | float, denominator: pd.Series | float) -> Any:
    if isinstance(denominator, pd.Series):
        return (numerator / denominator.where(denominator > 0)).round(4)
    return round(numerator / denominator, 4) if denominator else None


def _daily(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
           ) -> pd.DataFrame:
    frame = _counts(store, campaign_id, start - LEGAL_WINDOW, end, 10)
    days = pd.date_range(start.date(), (end - timedelta(microseconds=1)).date(), freq="D")
    full = pd.DatetimeIndex(pd.date_range((start - LEGAL_WINDOW).date(), days[-1], freq="D")
                            if len(days) else [])
    frame = (frame.assign(day=pd.to_datetime(frame["bucket"])).drop(columns="bucket")
             .set_index("day").reindex(full, fill_value=0))
    rolling = frame[["live_answers", "abandons"]].rolling(len(LEGAL_WINDOW.days * "x"),
                                                          min_periods=1).sum()
    frame["abandon_rate"] = _rate(frame["abandons"], frame["live_answers"])
    frame["abandon_rate_30d"] = _rate(rolling["abandons"], rolling["live_answers"])
    frame["answer_rate"] = _rate(frame["live_answers"] + frame["machine_answers"],
                                 frame["dials"])
    frame = frame.loc[frame.index >= pd.Timestamp(start.date())]
    frame.index = frame.index.strftime("%Y-%m-%d")
    return frame.rename_axis("day").reset_index()


def _agents(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
            ) -> pd.DataFrame:
    columns = ["agent", "calls", "contacts", "logged_in_hours", "contacts_per_hour",
               "occupancy", "talk_fraction", "avg_talk_s", "avg_wait_s", "avg_wrap_s",
               "avg_pause_s", "pause_s_by_reason"]
    with store.session() as session:
        names = {a.id: a.name for a in session.exec(sa.select(Agent)).scalars()}
        changes = session.exec(sa.select(AgentStateChange).where(
            sa.or_(AgentStateChange.campaign_id == campaign_id,
                   AgentStateChange.campaign_id.is_(None)),
            AgentStateChange.at < end).order_by(AgentStateChange.agent_id, AgentStateChange.at,
                                                AgentStateChange.id)).scalars().all()
        contact_codes = {d.code for d in session.exec(sa.select(Disposition)).scalars()
                         if d.contact}
        calls = session.exec(sa.select(CallAttempt).where(
            CallAttempt.campaign_id == campaign_id, CallAttempt.agent_id.is_not(None),
            CallAttempt.dialed_at >= start, CallAttempt.dialed_at < end)).scalars().all()
    time_in: dict[int, dict[str, float]] = {}
    pauses: dict[int, dict[str, float]] = {}
    pause_count: dict[int, int] = {}
    for i, change in enumerate(changes):
        following = changes[i + 1] if i + 1 < len(changes) else None
        until = following.at if following and following.agent_id == change.agent_id else end
        begin, finish = max(change.at, start), min(until, end)
        seconds = (finish - begin).total_seconds()
        if seconds <= 0:
            continue
        time_in.setdefault(change.agent_id, {}).setdefault(change.state, 0.0)
        time_in[change.agent_id][change.state] += seconds
        if change.state == AgentState.PAUSED:
            reason = change.reason or "unspecified"
            pauses.setdefault(change.agent_id, {}).setdefault(reason, 0.0)
            pauses[change.agent_id][reason] += seconds
            pause_count[change.agent_id] = pause_count.get(change.agent_id, 0) + 1
    talk: dict[int, list[float]] = {}
    contacts: dict[int, int] = {}
    for call in calls:
        if call.bridged_at and call.ended_at:
            talk.setdefault(call.agent_id, []).append(
                (call.ended_at - call.bridged_at).total_seconds())
        if call.disposition in contact_codes:
            contacts[call.agent_id] = contacts.get(call.agent_id, 0) + 1
    rows = []
    for agent_id in sorted(set(time_in) | set(talk)):
        states = time_in.get(agent_id, {})
        handled = len(talk.get(agent_id, []))
        logged_in = sum(v for k, v in states.items() if k != AgentState.LOGGED_OUT) / 3600
        handling = states.get(AgentState.ON_CALL, 0.0) + states.get(AgentState.WRAP_UP, 0.0)
        available = logged_in * 3600 - states.get(AgentState.PAUSED, 0.0)
        talked = sum(talk.get(agent_id, []))
        rows.append({
            "agent": names.get(agent_id, str(agent_id)), "calls": handled,
            "contacts": contacts.get(agent_id, 0), "logged_in_hours": round(logged_in, 3),
            "contacts_per_hour": round(contacts.get(agent_id, 0) / logged_in, 2)
            if logged_in else None,
            # Occupancy: share of the time available (logged in, not paused) spent on calls
            # and their wrap-up; talk fraction: share of logged-in time spent talking.
            "occupancy": round(min(1.0, handling / available), 4) if available > 0 else None,
            "talk_fraction": round(min(1.0, talked / (logged_in * 3600)), 4)
            if logged_in else None,
            "_handling_s": handling, "_available_s": available, "_talk_s": talked,
            "avg_talk_s": round(sum(talk[agent_id]) / handled, 1) if handled else None,
            "avg_wait_s": round(states.get(AgentState.READY, 0.0) / handled, 1)
            if handled else None,
            "avg_wrap_s": round(states.get(AgentState.WRAP_UP, 0.0) / handled, 1)
            if handled else None,
            "avg_pause_s": round(states.get(AgentState.PAUSED, 0.0) / pause_count[agent_id], 1)
            if pause_count.get(agent_id) else None,
            "pause_s_by_reason": ", ".join(f"{k}={v:.0f}" for k, v in
                                           sorted(pauses.get(agent_id, {}).items())),
        })
    return pd.DataFrame(rows, columns=[*columns, "_handling_s", "_available_s", "_talk_s"])


def _dispositions(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
                  ) -> pd.DataFrame:
    """Dispositions set in the period, with what each code means (the store's label)."""
    query = (sa.select(CallAttempt.disposition, sa.func.count(), Disposition.label)
             .join(Disposition, Disposition.code == CallAttempt.disposition, isouter=True)
             .where(CallAttempt.campaign_id == campaign_id, CallAttempt.disposition.is_not(None),
                    CallAttempt.dialed_at >= start, CallAttempt.dialed_at < end)
             .group_by(CallAttempt.disposition, Disposition.label)
             .order_by(sa.func.count().desc()))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["disposition", "count", "meaning"])
    return frame.astype({"count": "int64"})


def _lists(store: CampaignStore, campaign_id: int, start: datetime, end: datetime
           ) -> pd.DataFrame:
    """List penetration of the period: per list imported before ``end``, its leads, those
    dialed in ``[start, end)`` and the period's attempts (``penetration``: dialed ÷ leads),
    and those dialed at least once before ``end`` (``penetration_at_end``: how far into the
    list the campaign was when the period ended). Both used to be the campaign's lifetime
    (``Lead.attempts`` now): the report of a day without a call showed every earlier day's
    penetration (first-hour eleventh pass)."""
    attempts = sa.and_(CallAttempt.campaign_id == campaign_id, CallAttempt.lead_id.is_not(None))
    in_period = (sa.select(CallAttempt.lead_id, sa.func.count().label("attempts"))
                 .where(attempts, CallAttempt.dialed_at >= start, CallAttempt.dialed_at < end)
                 .group_by(CallAttempt.lead_id).subquery())
    by_end = (sa.select(CallAttempt.lead_id).where(attempts, CallAttempt.dialed_at < end)
              .group_by(CallAttempt.lead_id).subquery())
    query = (sa.select(LeadList.name, sa.func.count(Lead.id),
                       sa.func.count(in_period.c.lead_id),
                       sa.func.coalesce(sa.func.sum(in_period.c.attempts), 0),
                       sa.func.count(by_end.c.lead_id))
             .join(Lead, Lead.list_id == LeadList.id)
             .outerjoin(in_period, in_period.c.lead_id == Lead.id)
             .outerjoin(by_end, by_end.c.lead_id == Lead.id)
             .where(LeadList.campaign_id == campaign_id,
                    sa.or_(LeadList.created_at.is_(None), LeadList.created_at < end))
             .group_by(LeadList.id, LeadList.name).order_by(LeadList.id))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        frame = pd.DataFrame(connection.execute(query).all(),
                             columns=["list", "leads", "dialed", "attempts", "dialed_by_end"])
    frame = frame.fillna(0).astype({"leads": "int64", "dialed": "int64", "attempts": "int64",
                                    "dialed_by_end": "int64"})
    frame["penetration"] = _rate(frame["dialed"], frame["leads"])
    frame["penetration_at_end"] = _rate(frame["dialed_by_end"], frame["leads"])
    return frame[["list", "leads", "dialed", "attempts", "penetration", "dialed_by_end",
                  "penetration_at_end"]]


def _callbacks(store: CampaignStore, campaign_id: int, start: datetime, end: datetime,
               grace: timedelta) -> dict[str, int]:
    """``callbacks_due``: callbacks due in the period, and of those how many were kept,
    missed (one still pending though due more than the grace period before the end counts
    as missed) or cancelled; ``callbacks_pending``: every callback of the campaign still
    waiting at the end of the period, whenever it is due (the agents' promised work)."""
    late = sa.and_(Callback.status == CallbackStatus.PENDING.value,
                   Callback.due_at < end - grace)
    status = sa.case((late, CallbackStatus.MISSED.value), else_=Callback.status)
    query = (sa.select(status, sa.func.count())
             .where(Callback.campaign_id == campaign_id, Callback.due_at >= start,
                    Callback.due_at < end).group_by(status))
    pending = sa.select(sa.func.count()).where(
        Callback.campaign_id == campaign_id, Callback.status == CallbackStatus.PENDING.value,
        Callback.due_at >= end - grace,
        sa.or_(Callback.created_at.is_(None), Callback.created_at < end))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        found: dict[str, int] = {}
        for name, count in connection.execute(query).all():
            found[name] = found.get(name, 0) + int(count)
        still_pending = int(connection.execute(pending).scalar_one())
    counts = {"callbacks_due": sum(found.values())}
    counts.update({f"callbacks_{s.value}": int(found.get(s.value, 0)) for s in CallbackStatus
                   if s is not CallbackStatus.PENDING})
    counts["callbacks_pending"] = still_pending
    return counts


def _queue_callback_counts(store: CampaignStore, campaign_id: int, start: datetime,
                           end: datetime) -> dict[str, int]:
    """Of the period's dials, live answers and abandons (counted above, and in the legal
    rate), those that were queue callbacks (``call_attempt.queue_callback_id``, migration
    0013): a callback is a call of the campaign serving the queue."""
    query = sa.select(*_count_columns()).where(
        CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at >= start,
        CallAttempt.dialed_at < end, CallAttempt.queue_callback_id.is_not(None))
    with store.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        row = connection.execute(query).one()._mapping
    return {f"queue_callback_{name}": int(row[name] or 0)
            for name in ("dials", "live_answers", "abandons")}


def campaign_report(store: CampaignStore, campaign: CampaignRef, start: datetime,
                    end: datetime) -> CampaignReport:
    """Everything about ``campaign`` for dials in ``[start, end)`` (UTC)."""
    row = store.campaign(campaign)
    # The grace turns into a timedelta below: 1e300, stored before its bound, overflowed.
    settings = settings_in_range(row.name, stored_settings(row), ["callback_grace_minutes"])
    daily = _daily(store, row.id, start, end)
    hourly = _counts(store, row.id, start, end, 13).rename(columns={"bucket": "hour"})
    work = _agents(store, row.id, start, end)
    agents = work.drop(columns=["_handling_s", "_available_s", "_talk_s"])
    handling, available = float(work["_handling_s"].sum()), float(work["_available_s"].sum())
    talked = float(work["_talk_s"].sum())
    lists = _lists(store, row.id, start, end)
    period = _period_counts(store, row.id, start, end)
    dials, live = period["dials"], period["live_answers"]
    machine, abandons = period["machine_answers"], period["abandons"]
    window = store.ledger_counts(row.id, now=end, window=LEGAL_WINDOW)
    abandoned = abandoned_calls(store, row.id, start, end)
    contacts = int(agents["contacts"].sum()) if len(agents) else 0
    agent_hours = float(agents["logged_in_hours"].sum()) if len(agents) else 0.0
    summary: dict[str, Any] = {
        "dials": dials, "live_answers": live, "machine_answers": machine,
        "abandons": abandons, **message_summary(abandoned),
        **_hang_up_sides(store, row.id, start, end),
        "abandon_rate": _rate(abandons, live),
        "abandon_rate_30d_at_end": round(window.rate, 4), "abandon_limit": settings.abandon_target,
        "answer_rate": _rate(live + machine, dials), "contacts": contacts,
        "agent_hours": round(agent_hours, 3),
        "contacts_per_agent_hour": round(contacts / agent_hours, 2) if agent_hours else None,
        "agent_occupancy": round(min(1.0, handling / available), 4) if available > 0 else None,
        "talk_fraction": round(min(1.0, talked / (agent_hours * 3600)), 4)
        if agent_hours else None,
        "leads": int(lists["leads"].sum()) if len(lists) else 0,
        "list_penetration": _rate(int(lists["dialed"].sum()), int(lists["leads"].sum()))
        if len(lists) else None,
        "list_penetration_at_end": _rate(int(lists["dialed_by_end"].sum()),
                                         int(lists["leads"].sum())) if len(lists) else None,
        **_callbacks(store, row.id, start, end,
                     timedelta(minutes=settings.callback_grace_minutes)),
        **_recording_counts(store, row.id, start, end),
        **_queue_callback_counts(store, row.id, start, end),
    }
    return CampaignReport(
        campaign=row.name, start=start, end=end, abandon_limit=settings.abandon_target,
        summary=summary, daily=daily, hourly=hourly, agents=agents,
        dispositions=_dispositions(store, row.id, start, end), lists=lists,
        caller_ids=_by_caller_id(store, row.id, start, end),
        gateways=_by_gateway(store, row.id, start, end), abandoned=abandoned)
