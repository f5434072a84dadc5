"""The report a run ends with: this run's counts, kept apart from the campaign's totals.

``this_run`` is the campaign report (``campaigns.reports``) over the run's own time span
(attempts dialed since it started), plus what only the runner measured (answer-to-bridge
latency, dial rate, opt-outs taken, pacing policy); ``campaign_totals`` is the campaign as
a whole: every attempt, the legal 30-day abandonment rate at the end, leads by status,
pending callbacks, and queue callbacks nobody will call back (a retired or unserved
queue's). ``format_report`` prints both for a terminal (80 columns).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from campaigns.models import CallAttempt
from campaigns.queue_backlog import unserved_callbacks
from campaigns.reports import campaign_report
from campaigns.store import CampaignStore
from dnc.rules.base import SEND_ALLOWANCE

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

DISPOSITION_WORDS = {
    "SALE": "sale", "NI": "not interested", "CALLBK": "call back", "DNC": "do not call",
    "WRONG": "wrong number", "NA": "no answer", "AM": "answering machine",
    "DROP": "dropped", "TIMEOUT": "wrap-up timed out without one",
}
"""What the standard disposition codes mean (the store's ``disposition.label`` is the
campaign's own wording; these are for the run summary when it is not at hand)."""


def attempt_outcomes(store: CampaignStore, campaign_id: int, since: datetime | None = None,
                     ) -> dict[str, int]:
    """Attempts (dialed since ``since``, or all) by outcome ("in progress" while open)."""
    query = sa.select(CallAttempt.outcome, sa.func.count()).where(
        CallAttempt.campaign_id == campaign_id)
    if since is not None:
        query = query.where(CallAttempt.dialed_at >= since)
    with store.read_session() as session:
        rows = session.execute(query.group_by(CallAttempt.outcome)).all()
    return {outcome or "in progress": int(n) for outcome, n in rows}


def run_report(store: CampaignStore, campaign: str, runner: Runner | None, since: float,
               until: float | None = None) -> dict[str, Any]:
    start = datetime.fromtimestamp(since, tz=UTC)
    end = datetime.fromtimestamp(until, tz=UTC) if until else datetime.now(UTC)
    row = store.campaign(campaign)
    report = campaign_report(store, row.id, start, end)  # type: ignore[arg-type]
    summary = report.summary
    dispositions = {str(r["disposition"]): int(r["count"])
                    for r in report.dispositions.to_dict(orient="records")}
    outcomes = attempt_outcomes(store, row.id, start)  # type: ignore[arg-type]
    agents = report.agents
    talk = [(r["calls"], r["avg_talk_s"]) for r in agents.to_dict(orient="records")
            if r["calls"] and r["avg_talk_s"] is not None]
    handled = sum(calls for calls, _ in talk)
    this_run: dict[str, Any] = {
        "from": start.isoformat(), "to": end.isoformat(),
        "seconds": round((end - start).total_seconds(), 1),
        "attempts": summary["dials"],
        "outcomes": outcomes,
        "live_answers": summary["live_answers"],
        "connected": outcomes.get("answered", 0),
        "contacts": summary["contacts"],
        "mean_talk_s": sum(c * t for c, t in talk) / handled if handled else None,
        "abandoned": summary["abandons"],
        "abandon_rate": summary["abandon_rate"],
        "agent_occupancy": summary["agent_occupancy"],
        "talk_fraction": summary["talk_fraction"],
        "dispositions": dispositions,
    }
    totals = _campaign_totals(store, row.id, end)  # type: ignore[arg-type]
    totals.update({
        "abandon_rate_30d": summary["abandon_rate_30d_at_end"],
        "abandon_limit": summary["abandon_limit"],
        "leads": store.lead_status_counts(row.id),  # type: ignore[arg-type]
        "callbacks_pending": summary["callbacks_pending"],
        # Queue callbacks no runner claims (a retired queue's, one nobody serves): the
        # end of a run is where an operator reads what is left undone.
        "queue_callbacks_unserved": [u.to_json() for u in unserved_callbacks(store)],
    })
    result: dict[str, Any] = {"campaign": row.name, "this_run": this_run,
                              "campaign_totals": totals}
    if runner is not None:
        stats = runner.stats
        this_run["answer_to_bridge"] = stats.latency_summary()
        this_run["dial_rate_per_s"] = stats.dials / max(runner.clock() - stats.started_at,
                                                        1e-9)
        this_run["opt_outs"] = stats.opt_outs
        this_run["late_sends"] = stats.late_sends
        result["pacing_policy"] = getattr(runner.policy, "name", type(runner.policy).__name__)
        result["process_owner"] = runner.owner
        final = runner.status.final()
        result["stopped"] = {"exit_code": runner.status.exit_code(),
                             "unable_to_dial": list(final.reasons) if final.blocked else []}
        # What went wrong on the switches (each also logged at WARNING when it happened):
        # a message not played is not a legal abandon, an unconfirmed bridge, ...
        this_run["incidents"] = dict(stats.incidents)
        this_run["message_latency"] = stats.message_latency_summary()
    return result


def _campaign_totals(store: CampaignStore, campaign_id: int, end: datetime) -> dict[str, Any]:
    """Every attempt of the campaign up to ``end``: dials, live answers, abandons."""
    live = sa.and_(CallAttempt.answered_at.is_not(None), sa.or_(
        CallAttempt.answer_kind.is_(None), CallAttempt.answer_kind != "machine"))
    query = sa.select(
        sa.func.count(), sa.func.sum(sa.case((live, 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(live, CallAttempt.abandoned), 1), else_=0)),
        sa.func.min(CallAttempt.dialed_at),
    ).where(CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at < end
            + timedelta(seconds=1))
    with store.read_session() as session:
        dials, live_n, abandons, first = session.execute(query).one()
    return {"attempts": int(dials or 0), "live_answers": int(live_n or 0),
            "abandoned": int(abandons or 0),
            "first_dial": None if first is None else str(first)}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def format_report(report: dict[str, Any]) -> str:
    """The end-of-run summary for a terminal: this run, then the campaign's totals."""
    run, totals = report["this_run"], report["campaign_totals"]
    lines = [f"campaign {report['campaign']}: this run ({run['seconds']:g} s)",
             f"  attempts {run['attempts']}"]
    for outcome, n in sorted(run["outcomes"].items()):
        lines.append(f"    {outcome.replace('_', ' '):<20} {n}")
    lines.append(f"  live answers {run['live_answers']}, connected to an agent "
                 f"{run['connected']}, abandoned {run['abandoned']} "
                 f"({_pct(run['abandon_rate'])} of live answers)")
    if run.get("agent_occupancy") is not None:
        lines.append(f"  agent occupancy {_pct(run['agent_occupancy'])}, talk "
                     f"{_pct(run['talk_fraction'])} of logged-in time")
    if run["dispositions"]:
        lines.append("  dispositions:")
        for code, n in sorted(run["dispositions"].items()):
            meaning = DISPOSITION_WORDS.get(code)
            lines.append(f"    {code:<8} {n:>5}" + (f"  {meaning}" if meaning else ""))
    lines.append(f"campaign {report['campaign']}: totals")
    lines.append(f"  attempts {totals['attempts']}, live answers {totals['live_answers']}, "
                 f"abandoned {totals['abandoned']}")
    if totals.get("abandon_rate_30d") is not None:
        lines.append(f"  abandonment over 30 days {_pct(totals['abandon_rate_30d'])} "
                     f"(limit {_pct(totals['abandon_limit'])})")
    leads = ", ".join(f"{k} {v:,}" for k, v in sorted(totals["leads"].items())) or "none"
    lines.append(f"  leads: {leads}")
    if totals.get("callbacks_pending"):
        lines.append(f"  callbacks pending {totals['callbacks_pending']}")
    for backlog in totals.get("queue_callbacks_unserved") or ():
        lines.append(f"  queue {backlog['queue']} ({backlog['why']}): {backlog['pending']} "
                     f"pending callback(s), the oldest due "
                     f"{backlog['oldest_due'][:16].replace('T', ' ')} UTC, "
                     f"that nobody will call back; {backlog['repair']}")
    if run.get("late_sends"):
        lines.append(f"  dials not sent, past the {SEND_ALLOWANCE.total_seconds():g} s send "
                     f"allowance after their decision: {run['late_sends']} (each lead retried; "
                     "the journal or the switch link is slow)")
    if run.get("incidents"):
        lines.append("  incidents on the switch: " + ", ".join(
            f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(run["incidents"].items())))
    stopped = report.get("stopped") or {}
    if stopped.get("unable_to_dial"):
        lines.append("stopped while unable to dial: " + "; ".join(stopped["unable_to_dial"]))
    return "\n".join(lines)
