"""The report a run ends with: the campaign report (``campaigns.reports``) over the run's
time span, attempts by outcome, leads by status, and what only the runner measured
(answer-to-bridge latency, dial rate, opt-outs taken, pacing policy)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from campaigns.models import CallAttempt
from campaigns.reports import campaign_report
from campaigns.store import CampaignStore

if TYPE_CHECKING:
    from dialer.runner.runner import Runner


def attempt_outcomes(store: CampaignStore, campaign_id: int, since: datetime) -> dict[str, int]:
    """Attempts dialed since ``since`` by outcome ("in progress" while open)."""
    with store.read_session() as session:
        rows = session.execute(sa.select(CallAttempt.outcome, sa.func.count()).where(
            CallAttempt.campaign_id == campaign_id, CallAttempt.dialed_at >= since,
        ).group_by(CallAttempt.outcome)).all()
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
    result: dict[str, Any] = {
        "campaign": row.name,
        "attempts": summary["dials"],
        "outcomes": outcomes,
        "live_answers": summary["live_answers"],
        "connected": outcomes.get("answered", 0),
        "contacts": summary["contacts"],
        "mean_talk_s": sum(c * t for c, t in talk) / handled if handled else None,
        "abandoned": summary["abandons"],
        "abandon_rate": summary["abandon_rate"],
        "abandon_rate_30d": summary["abandon_rate_30d_at_end"],
        "abandon_limit": summary["abandon_limit"],
        "dispositions": dispositions,
        "leads": store.lead_status_counts(row.id),  # type: ignore[arg-type]
        "report": report.to_json()["summary"],
    }
    if runner is not None:
        stats = runner.stats
        result["answer_to_bridge"] = stats.latency_summary()
        result["pacing_policy"] = getattr(runner.policy, "name", type(runner.policy).__name__)
        result["dial_rate_per_s"] = stats.dials / max(runner.clock() - stats.started_at, 1e-9)
        result["opt_outs"] = stats.opt_outs
        result["process_owner"] = runner.owner
    return result
