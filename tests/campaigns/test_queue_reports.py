"""Queue and agent reports: every figure checked on calls whose outcome is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.inbound_records import InboundRecord, InboundRecords
from campaigns.models import AgentStateChange
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_reports import agent_report, plot_queue_report, queue_report

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(minutes: float, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def _call(uuid: str, caller: str, arrived: datetime, outcome: str, wait: float | None = None,
          talk: float = 0.0, wrap: float | None = None, queue: str = "sales",
          agent: int | None = None, **extra) -> tuple[InboundRecord, datetime | None]:
    queued = extra.pop("queued_at", arrived if wait is not None else None)
    bridged = queued + timedelta(seconds=wait) if outcome == "connected" else None
    ended = (bridged + timedelta(seconds=talk) if bridged is not None
             else (queued or arrived) + timedelta(seconds=wait or 0))
    wrapped = ended + timedelta(seconds=wrap) if wrap is not None else None
    return InboundRecord(uuid, queue, caller, arrived, ended, outcome, queued, bridged,
                         agent_id=agent, **extra), wrapped


@pytest.fixture
def filled(store):
    agent = store.add_agent("ann", "user/1001")
    records, callbacks = InboundRecords(store), QueueCallbacks(store)
    rows = [
        # 10:00-10:15
        _call("c1", "+1001", at(1), "connected", wait=10, talk=100, wrap=20, agent=agent.id),
        _call("c2", "+1002", at(2), "connected", wait=30, talk=200, wrap=0, agent=agent.id),
        _call("c3", "+1003", at(3), "queue_abandoned", wait=3),       # short abandon
        _call("c4", "+1004", at(4), "queue_abandoned", wait=40),
        _call("c5", "+1005", at(5), "callback_requested", wait=15),
        _call("c6", "+1006", at(6), "voicemail", wait=60, overflowed_from=None),
        _call("c7", "+1007", at(7), "ivr_abandoned"),                 # never queued
        # 10:15-10:30: overflowed into support
        _call("c8", "+1008", at(16), "connected", wait=5, talk=50, queue="support",
              overflowed_from="sales", agent=agent.id),
        # a caller of c1 calling again 2 days later: c1 was not resolved at first contact
        _call("c9", "+1001", at(2 * 24 * 60), "connected", wait=1, talk=10,
              agent=agent.id),
    ]
    records.record_calls(r for r, _ in rows)
    for record, wrapped in rows:
        if wrapped is not None:
            records.wrapped(record.call_uuid, wrapped)
    callbacks.add_callback("cb1", "sales", "+1005", at(5), at=at(5, 15))
    callbacks.finish_callback("cb1", "completed", 1, at=at(20), call_uuid="cb-call")
    # ann: logged in 10:00, on a call 10:01:10-10:02:50, wrap-up to 10:03:10, ready; on a
    # call 10:05-10:08:20 without wrap-up; paused for lunch 10:20-10:40; logged out 11:00.
    for minute, state, reason in ((0, "ready", "login"), (1 + 10 / 60, "on_call", ""),
                                  (2 + 50 / 60, "wrap_up", ""), (3 + 10 / 60, "ready", ""),
                                  (5, "on_call", ""), (8 + 20 / 60, "ready", ""),
                                  (20, "paused", "lunch"), (40, "ready", ""),
                                  (60, "logged_out", "")):
        with store.session() as session:
            session.add(AgentStateChange(agent_id=agent.id, state=state, reason=reason,
                                         at=at(minute)))
            session.commit()
    return store


def test_queue_figures_per_interval_and_over_the_period(filled) -> None:
    report = queue_report(filled, T0, T0 + timedelta(hours=1), interval="15",
                          within={"sales": 20.0, "support": 20.0}, fcr_days=7)
    first = report.intervals.iloc[0]
    assert (first["queue"], first["interval"]) == ("sales", T0)
    assert first["offered"] == 6          # c1-c6 entered the line; c7 left in the menu
    assert first["answered"] == 2
    assert first["abandoned"] == 1 and first["short_abandoned"] == 1
    assert first["service_level"] == pytest.approx(1 / 3, abs=1e-4)  # c1 in 20 s; c2, c4 not
    assert first["asa"] == pytest.approx(20.0)
    assert first["aht"] == pytest.approx((120 + 200) / 2)
    assert first["longest_wait"] == 60.0
    assert first["callbacks_requested"] == 1 and first["voicemails"] == 1
    assert first["ivr_abandoned"] == 1 and first["overflowed_out"] == 0
    second = report.intervals[report.intervals["queue"] == "support"].iloc[0]
    assert second["interval"] == T0 + timedelta(minutes=15) and second["answered"] == 1
    later = report.intervals[(report.intervals["queue"] == "sales")].iloc[1]
    assert later["interval"] == T0 + timedelta(minutes=15)
    assert (later["offered"], later["overflowed_out"], later["callbacks_completed"]) == (0, 1, 1)
    summary = report.summary.set_index("queue")
    # c1's caller called again within 7 days (c9); c2 did not: 1 of 2.
    assert summary.loc["sales", "first_contact_resolution"] == pytest.approx(0.5)
    assert summary.loc["support", "first_contact_resolution"] == pytest.approx(1.0)
    day = report.daily
    assert day[day["queue"] == "sales"].iloc[0]["offered"] == 6


def test_agent_report_splits_time_by_state_and_pause_reason(filled) -> None:
    frame = agent_report(filled, T0, T0 + timedelta(hours=1), interval="30")
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["agent"] == "ann" and first["interval"] == T0
    assert first["logged_in_s"] == 1800.0
    assert first["on_call_s"] == pytest.approx(100 + 200)
    assert first["wrap_up_s"] == pytest.approx(20)
    assert first["pause_lunch_s"] == 600.0 and first["paused_s"] == 600.0
    assert first["occupancy"] == pytest.approx(320 / 1200, abs=1e-4)
    assert first["inbound"] == 3 and first["outbound"] == 0  # c1, c2, c8
    assert second["pause_lunch_s"] == 600.0 and second["inbound"] == 0
    assert second["occupancy"] == 0.0


def test_json_and_plot(filled, tmp_path) -> None:
    report = queue_report(filled, T0, T0 + timedelta(days=3), interval="day",
                          targets={"sales": 0.8})
    document = report.to_json()
    assert document["queues"][0]["queue"] == "sales"
    assert document["intervals"][0]["interval"].startswith("2026-11-23")
    path = plot_queue_report(report, tmp_path / "q.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
