"""Queue callback dials in the campaign's reports and compliance records (docs/compliance.md,
"Queue callbacks"): journaled as attempts of the campaign serving the queue, they are counted
in ``dialer report`` (dials, live answers, abandons, the legal abandonment rate, with the
callbacks' share named), in the call records an officer exports (``queue_callback`` column)
and the results export, and an abandoned one is listed with its safe-harbour message.
On main a callback's dial was in none of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from campaigns.journal_batch import CallbackDialOp, FinishOp
from campaigns.leads import LeadInput
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.records import call_records
from campaigns.reports import campaign_report
from campaigns.settings import Outcome

DAY0 = datetime(2026, 11, 2, 15, tzinfo=UTC)
NUMBER = "+12125550140"


def _campaign_and_calls(store) -> None:
    """A campaign dial answered and connected, and a queue callback's dial answered by a
    person with no agent left to take it (abandoned, message played)."""
    store.create_campaign("m", {"caller_ids": ["+12015550100"]}, at=DAY0 - timedelta(days=1))
    store.add_leads("m", [LeadInput("2125550141")], at=DAY0 - timedelta(days=1))
    (lead,) = store.leads("m")
    attempt = store.begin_attempt(lead.id, at=DAY0, call_uuid="campaign-1")
    store.update_attempt(attempt.id, answered_at=DAY0 + timedelta(seconds=5),
                         bridged_at=DAY0 + timedelta(seconds=6), answer_kind="live")
    store.finish_attempt(attempt.id, ended_at=DAY0 + timedelta(minutes=2),
                         outcome=Outcome.ANSWERED)
    QueueCallbacks(store).add_callback("cb-1", "sales", NUMBER, DAY0, at=DAY0)
    at = DAY0 + timedelta(minutes=5)
    answered = at + timedelta(seconds=8)
    campaign_id = store.campaign("m").id
    result = store.journal_batch([
        CallbackDialOp("callback-1", "cb-1", campaign_id, NUMBER, at, caller_id="+12015550100",
                       compliance_decision="dial:run:1"),
        FinishOp("callback-1", answered + timedelta(seconds=20), Outcome.ABANDONED,
                 "NORMAL_CLEARING", abandoned=True, answer_kind="live",
                 fields={"answered_at": answered, "message_outcome": "played",
                         "message_started_at": answered + timedelta(seconds=1.5),
                         "hangup_side": "callee"})])
    assert result.begun and not result.problems, result


def test_the_report_counts_callback_dials_and_names_them(store) -> None:
    _campaign_and_calls(store)
    report = campaign_report(store, "m", DAY0, DAY0 + timedelta(days=1))
    s = report.summary
    assert (s["dials"], s["live_answers"], s["abandons"]) == (2, 2, 1)
    assert s["abandon_rate"] == 0.5 and s["abandon_rate_30d_at_end"] == 0.5
    assert (s["queue_callback_dials"], s["queue_callback_live_answers"],
            s["queue_callback_abandons"]) == (1, 1, 1)
    (row,) = report.abandoned.to_dict(orient="records")
    assert row["call_uuid"] == "callback-1" and row["queue_callback"] == "cb-1"
    assert row["message"] == "played" and row["within_2s"]


def test_call_records_and_the_results_export_mark_callback_dials(store, tmp_path) -> None:
    _campaign_and_calls(store)
    records = list(call_records(store, DAY0, DAY0 + timedelta(days=1)))
    assert [(r["called_number"], r["lead_id"], r["queue_callback"]) for r in records] == [
        ("+12125550141", records[0]["lead_id"], None), (NUMBER, None, "cb-1")]
    callback = records[1]
    assert callback["abandoned"] and callback["answered"] and callback["campaign"] == "m"
    assert callback["compliance_decision"] == "dial:run:1"
    assert callback["safe_harbor_message"] == "played" and callback["hung_up_by"] == "callee"
    from campaigns.export import export_campaign

    export_campaign(store, "m", tmp_path / "results.csv", "results")
    exported = pd.read_csv(tmp_path / "results.csv", keep_default_na=False)
    assert list(exported["queue_callback"]) == ["", "cb-1"]
