from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from campaigns.leads import LeadInput
from campaigns.models import AgentState
from campaigns.plot import plot_report
from campaigns.reports import campaign_report
from campaigns.settings import Outcome

DAY0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def _seed(store):
    store.create_campaign("r", at=DAY0, agents=[("ann", "user/1001"), ("bob", "user/1002")])
    store.add_leads("r", [LeadInput(f"+1201555{i:04d}") for i in range(20)], at=DAY0)
    leads = store.leads("r", limit=20)
    ann = store.agent("ann")
    # day 0: 4 dials → 2 live (1 abandoned), 1 machine, 1 no answer
    # day 1: 3 dials → 3 live, none abandoned, all bridged to ann with SALE/NI/CALLBK
    plan = [
        (0, "live", True, None), (0, "live", False, "SALE"), (0, "machine", False, None),
        (0, None, False, None),
        (1, "live", False, "SALE"), (1, "live", False, "NI"), (1, "live", False, "CALLBK"),
    ]
    for index, (day, kind, abandoned, disposition) in enumerate(plan):
        at = DAY0 + timedelta(days=day, minutes=10 * index)
        attempt = store.begin_attempt(leads[index].id, at=at)
        if kind is None:
            store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=30),
                                 outcome=Outcome.NO_ANSWER)
            continue
        store.update_attempt(attempt.id, answered_at=at + timedelta(seconds=8), answer_kind=kind)
        if abandoned:
            store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=12),
                                 outcome=Outcome.ABANDONED)
        elif kind == "machine":
            store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=12),
                                 outcome=Outcome.MACHINE)
        else:
            store.update_attempt(attempt.id, bridged_at=at + timedelta(seconds=9),
                                 agent_id=ann.id)
            store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=129),
                                 outcome=Outcome.ANSWERED)
            store.set_disposition(attempt.id, disposition, at=at + timedelta(seconds=150),
                                  callback_at=DAY0 + timedelta(days=2) if disposition ==
                                  "CALLBK" else None)
    # ann: 1 h ready, 10 min paused (lunch), 20 min wrap, then logged out
    store.record_agent_state("ann", AgentState.READY, at=DAY0, campaign="r")
    store.record_agent_state("ann", AgentState.PAUSED, at=DAY0 + timedelta(hours=1),
                             reason="lunch", campaign="r")
    store.record_agent_state("ann", AgentState.WRAP_UP, at=DAY0 + timedelta(minutes=70),
                             campaign="r")
    store.record_agent_state("ann", AgentState.LOGGED_OUT, at=DAY0 + timedelta(minutes=90),
                             campaign="r")


def test_report_counts_and_rates(store):
    _seed(store)
    report = campaign_report(store, "r", DAY0.replace(hour=0), DAY0.replace(hour=0)
                             + timedelta(days=3))
    s = report.summary
    assert (s["dials"], s["live_answers"], s["machine_answers"], s["abandons"]) == (7, 5, 1, 1)
    assert s["abandon_rate"] == pytest.approx(0.2)
    assert s["answer_rate"] == pytest.approx(6 / 7, abs=1e-4)
    assert s["list_penetration"] == pytest.approx(7 / 20)
    # the callback due on day 2 was never dialed: missed by the end of the period ...
    assert s["callbacks_missed"] == 1 and s["callbacks_pending"] == 0
    # ... but still pending while within the grace period after its due time
    early = campaign_report(store, "r", DAY0, DAY0 + timedelta(days=2, minutes=10))
    assert early.summary["callbacks_pending"] == 1 and early.summary["callbacks_missed"] == 0
    daily = report.daily.set_index("day")
    assert list(daily.index) == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert daily.loc["2026-11-02", "abandon_rate"] == pytest.approx(0.5)
    assert daily.loc["2026-11-03", "abandon_rate"] == 0
    assert daily.loc["2026-11-03", "abandon_rate_30d"] == pytest.approx(0.2)
    assert dict(zip(report.dispositions["disposition"], report.dispositions["count"],
                    strict=True)) == {"SALE": 2, "NI": 1, "CALLBK": 1}
    ann = report.agents.set_index("agent").loc["ann"]
    assert ann["calls"] == 4 and ann["contacts"] == 4
    assert ann["avg_talk_s"] == pytest.approx(120.0)
    assert ann["logged_in_hours"] == pytest.approx(1.5)
    assert ann["avg_pause_s"] == pytest.approx(600.0)
    assert ann["contacts_per_hour"] == pytest.approx(4 / 1.5, abs=0.01)
    assert "lunch=600" in ann["pause_s_by_reason"]
    assert report.to_json()["summary"]["dials"] == 7


def test_rolling_window_drops_old_abandons(store):
    _seed(store)
    start = DAY0 + timedelta(days=31)
    report = campaign_report(store, "r", start, start + timedelta(days=1))
    assert report.summary["dials"] == 0
    assert report.daily["abandon_rate_30d"].isna().all()


def test_plot_writes_png(store, tmp_path):
    _seed(store)
    report = campaign_report(store, "r", DAY0.replace(hour=0), DAY0 + timedelta(days=3))
    path = plot_report(report, tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_counts_exactly_the_period_not_whole_days(store):
    _seed(store)
    # Day 0's attempts are 10 minutes apart from 14:00: from 14:15 the first two are out.
    report = campaign_report(store, "r", DAY0 + timedelta(minutes=15), DAY0 + timedelta(days=3))
    assert report.summary["dials"] == 5
    assert int(report.daily["dials"].sum()) == 7  # the daily rows stay whole days


def test_callbacks_pending_counts_every_waiting_callback(store):
    _seed(store)
    # The window ends before the callback (day 2) is due: not due in it, still pending.
    before = campaign_report(store, "r", DAY0, DAY0 + timedelta(days=1, hours=23))
    assert before.summary["callbacks_pending"] == 1
    assert before.summary["callbacks_due"] == 0
    during = campaign_report(store, "r", DAY0, DAY0 + timedelta(days=2, minutes=10))
    assert during.summary["callbacks_due"] == 1 and during.summary["callbacks_pending"] == 1


def test_agent_occupancy_and_talk_fraction(store):
    _seed(store)
    report = campaign_report(store, "r", DAY0.replace(hour=0), DAY0 + timedelta(days=3))
    ann = report.agents.set_index("agent").loc["ann"]
    # 1.5 h logged in, 10 min paused, 20 min in wrap-up; 4 calls of 120 s talk.
    assert ann["occupancy"] == pytest.approx(1200 / 4800, abs=1e-4)
    assert ann["talk_fraction"] == pytest.approx(480 / 5400, abs=1e-4)
    assert report.summary["agent_occupancy"] == pytest.approx(0.25, abs=1e-4)
    assert report.summary["talk_fraction"] == pytest.approx(480 / 5400, abs=1e-4)


def test_hourly_bars_are_drawn_over_their_hour(store):
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from campaigns.plot import draw_report

    _seed(store)
    report = campaign_report(store, "r", DAY0.replace(hour=0), DAY0 + timedelta(days=3))
    figure = draw_report(report)
    volume = figure.axes[0]
    hour = mdates.date2num(DAY0.replace(tzinfo=None))  # 14:00, the first attempts' hour
    spans = [(bar.get_x(), bar.get_x() + bar.get_width()) for bar in volume.patches]
    plt.close(figure)
    first = min(spans)
    assert first[0] >= hour - 1e-9 and first[1] <= hour + 1 / 24 + 1e-9


def test_abandoned_calls_show_how_their_message_ended_and_how_soon(store, db_url,
                                                                  monkeypatch, tmp_path):
    """A compliance officer proves the 2-second rule call by call: every abandoned call
    with its safe-harbour message's outcome and the seconds from answer to its start."""
    from typer.testing import CliRunner

    from campaigns.records import call_records
    from cli import app

    store.create_campaign("m", at=DAY0)
    store.add_leads("m", [LeadInput(f"+1201555{i:04d}") for i in range(5)], at=DAY0)
    leads = store.leads("m", limit=5)
    # (message outcome, seconds from answer to its start)
    plan = [("played", 1.2), ("cut_off", 1.5), ("failed", None), ("played", 2.6),
            ("unconfirmed", None)]
    sides = ["dialer", "callee", None, "dialer", "unknown"]  # who hung up, as the switch said
    uuids = []
    for index, (outcome, delay) in enumerate(plan):
        at = DAY0 + timedelta(minutes=index)
        attempt = store.begin_attempt(leads[index].id, at=at, call_uuid=f"call-{index}")
        answered = at + timedelta(seconds=8)
        store.update_attempt(attempt.id, answered_at=answered, answer_kind="live",
                             message_outcome=outcome, hangup_side=sides[index],
                             message_started_at=answered + timedelta(seconds=delay)
                             if delay is not None else None)
        store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=20),
                             outcome=Outcome.ABANDONED)
        uuids.append(f"call-{index}")
    report = campaign_report(store, "m", DAY0, DAY0 + timedelta(days=1))
    s = report.summary
    assert (s["abandons"], s["abandons_message_played"], s["abandons_message_cut_off"],
            s["abandons_message_failed"], s["abandons_message_unconfirmed"],
            s["abandons_message_within_2s"]) == (5, 2, 1, 1, 1, 2)
    assert (s["answered_hung_up_by_callee"], s["answered_hung_up_by_dialer"],
            s["answered_hang_up_not_reported"]) == (1, 2, 2)
    rows = report.abandoned.set_index("call_uuid")
    assert list(rows.index) == uuids
    assert rows.loc["call-0", "message_after_answer_s"] == pytest.approx(1.2)
    assert bool(rows.loc["call-1", "within_2s"]) and not rows.loc["call-3", "within_2s"]
    assert rows.loc["call-2", "message"] == "failed"
    assert report.to_json()["abandoned"][3]["message_after_answer_s"] == pytest.approx(2.6)
    records = {r["attempt_id"]: r for r in call_records(store, DAY0, DAY0 + timedelta(1))}
    assert [r["safe_harbor_message"] for r in records.values()] == [p[0] for p in plan]
    assert [r["hung_up_by"] for r in records.values()] == sides
    from campaigns.export import export_campaign
    export_campaign(store, "m", tmp_path / "results.csv", "results")
    exported = pd.read_csv(tmp_path / "results.csv", keep_default_na=False)
    assert list(exported["hung_up_by"]) == [side or "" for side in sides]
    monkeypatch.setenv("DIALER_DB", db_url)
    monkeypatch.setenv("COLUMNS", "120")
    text = CliRunner().invoke(app, ["report", "m", "--from", "2026-11-02", "--to",
                                    "2026-11-03"])
    assert text.exit_code == 0, text.output
    assert "abandoned calls and their safe-harbour message" in text.output
    assert "call-3" in text.output and "2.6" in text.output
    assert "answered hung up by dialer" in text.output
