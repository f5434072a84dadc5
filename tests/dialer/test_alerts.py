"""Alerts: raised once when a threshold is crossed, cleared once when it is not, written
to the JSON-lines log and POSTed to a webhook (a real HTTP server on loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from dialer.alerts import (
    AlertBook,
    AlertLog,
    CampaignFacts,
    Reading,
    Webhook,
    campaign_readings,
    queue_readings,
)
from dialer.engine.inbound import QueueSnapshot
from dialer.engine.queue_config import AlertThresholds


def _wait(value: float | None) -> Reading:
    return Reading("queue/sales/longest_wait", "queue sales", "longest wait", value, 60.0,
                   True, "s")


def test_raised_once_cleared_once_unknown_changes_nothing(tmp_path) -> None:
    book = AlertBook([AlertLog(tmp_path / "alerts.jsonl")])
    assert book.update(1.0, [_wait(30.0)]) == []
    (raised,) = book.update(2.0, [_wait(75.0)])
    assert raised.state == "raised" and raised.message == (
        "queue sales: longest wait 75 s is above 60 s")
    assert book.update(3.0, [_wait(90.0)]) == []      # still on: no new alert
    assert book.update(4.0, [_wait(None)]) == []      # no data: nothing changes
    assert list(book.active) == ["queue/sales/longest_wait"]
    (cleared,) = book.update(5.0, [_wait(10.0)])
    assert cleared.state == "cleared" and book.active == {}
    book.close()
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [(x["state"], x["at"]) for x in lines] == [("raised", 2.0), ("cleared", 5.0)]
    assert lines[0]["time"].startswith("1970-01-01T00:00:02")


def test_below_thresholds_and_queue_readings() -> None:
    snapshot = QueueSnapshot("sales", True, waiting=7, callbacks_waiting=0, longest_wait=12.0,
                             agents_logged_in=2, agents_ready=0, service_level=0.65,
                             service_level_target=0.8, offered=20, answered=13, abandoned=2,
                             voicemails=0, callbacks_requested=0, callbacks_completed=0,
                             estimated_wait=90.0, handle_time=180.0)
    limits = AlertThresholds(longest_wait=60, queue_length=5, service_level=0.7,
                             agents_below=3)
    readings = {r.measure: r for r in queue_readings([snapshot], {"sales": limits})}
    breached = {name for name, r in readings.items() if r.breached}
    assert breached == {"callers waiting", "service level (15 min)", "agents logged in"}
    (raised, *_) = AlertBook().update(0.0, [readings["service level (15 min)"]])
    assert raised.message == "queue sales: service level (15 min) 65% is below 70%"
    assert queue_readings([snapshot], {}) == []


def _campaign(**changed: object) -> CampaignFacts:
    facts = dict(campaign="spring", abandon_rate=0.01, abandon_target=0.03,
                 abandon_window_s=30 * 86400.0, abandon_rate_today=0.0,
                 switches={"sw1": "connected"}, hopper=40)
    return CampaignFacts(**{**facts, **changed})  # type: ignore[arg-type]


def test_the_campaign_alerts_the_monitor_and_the_web_show() -> None:
    book = AlertBook()
    assert book.update(0.0, campaign_readings(_campaign())) == []
    raised = book.update(1.0, campaign_readings(_campaign(
        abandon_rate=0.026, abandon_rate_today=0.05, switches={"sw1": "reconnecting"})))
    assert sorted(e.message for e in raised) == [
        "campaign spring: abandonment (30-day window), near the limit 2.6% is above 2.4%",
        "campaign spring: abandonment today 5% is above 3%",
        "switch sw1 is reconnecting"]
    (over,) = book.update(2.0, campaign_readings(_campaign(
        abandon_rate=0.031, abandon_rate_today=0.05, switches={"sw1": "reconnecting"})))
    assert over.message == "campaign spring: abandonment (30-day window) 3.1% is above 3%"
    cleared = book.update(3.0, campaign_readings(_campaign()))
    assert {e.state for e in cleared} == {"cleared"} and book.active == {}
    assert "switch sw1 is connected again" in {e.message for e in cleared}
    # Ofcom's 24-hour window is named as such; an empty hopper is news, unless paused.
    uk = campaign_readings(_campaign(abandon_window_s=86400.0, hopper=0))
    assert uk[0].measure == "abandonment (24-hour window)"
    (empty,) = AlertBook().update(0.0, uk)
    assert empty.message == "campaign spring: no leads in the hopper, nothing to dial"
    (paused,) = AlertBook().update(0.0, campaign_readings(_campaign(hopper=0,
                                                                    dialing_paused=True)))
    assert paused.message == "campaign spring: dialing is paused by a supervisor"


def test_the_pause_alert_says_who_paused() -> None:
    """Before, a ``dialer campaign pause`` read "paused by a supervisor" too."""
    for by in ("from the command line at 14:05 UTC", "by supervisor sam from the console"):
        (paused,) = AlertBook().update(0.0, campaign_readings(_campaign(
            hopper=0, dialing_paused=True, paused_by=by)))
        assert paused.message == f"campaign spring: dialing is paused {by}"


def test_an_abandon_in_a_campaign_that_guarantees_an_agent_is_raised_to_the_supervisor(
        ) -> None:
    # compliance.agent_guaranteed: any answered call abandoned breaks the promise Ofcom's
    # repeat-call rules were lifted on (an agent's phone dropped while a call rang for them).
    ofcom = dict(abandon_window_s=86400.0, abandon_rate=0.004)
    book = AlertBook()
    assert book.update(0.0, campaign_readings(_campaign(**ofcom, guaranteed_abandons=0))) == []
    (raised,) = book.update(1.0, campaign_readings(_campaign(**ofcom, guaranteed_abandons=1)))
    assert raised.key == "campaign/spring/guarantee_broken"
    assert raised.message.startswith(
        "campaign spring: 1 answered call(s) abandoned (24-hour window) although the "
        "campaign guarantees an agent")
    (cleared,) = book.update(2.0, campaign_readings(_campaign(**ofcom, guaranteed_abandons=0)))
    assert cleared.state == "cleared"
    # A campaign that promises nothing has no such alert, whatever it abandons.
    assert not [r for r in campaign_readings(_campaign(**ofcom))
                if r.key.endswith("guarantee_broken")]


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_posts_each_change_and_survives_a_dead_receiver() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        hook = Webhook(f"http://127.0.0.1:{server.server_port}/alerts", timeout=2.0)
        book = AlertBook([hook])
        book.update(1.0, [_wait(75.0)])
        book.update(2.0, [_wait(5.0)])
        hook.close()
        assert [x["state"] for x in _Receiver.received] == ["raised", "cleared"]
        assert hook.sent == 2 and hook.failed == 0
    finally:
        server.shutdown()
        server.server_close()
    dead = Webhook(f"http://127.0.0.1:{server.server_port}/gone", timeout=0.5)
    AlertBook([dead]).update(3.0, [_wait(99.0)])  # never blocks nor raises
    dead.close()
    assert dead.failed == 1
    with pytest.raises(ValueError, match="http"):
        Webhook("ftp://example.invalid/")
