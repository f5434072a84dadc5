"""Alerts: raised once when a threshold is crossed, cleared once when it is not, written
to the JSON-lines log and POSTed to a webhook (a real HTTP server on loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from dialer.alerts import AlertBook, AlertLog, Reading, Webhook, queue_readings
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
