"""The report a run ends with names the queue callbacks nobody will call back: a retired
queue's, or one no campaign that can run serves (they stayed pending in silence)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueStore
from campaigns.store import CampaignStore
from dialer.runner.report import format_report, run_report

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_the_end_of_run_report_names_unserved_queue_callbacks(tmp_path: Path) -> None:
    store = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    try:
        queues, callbacks = QueueStore(store), QueueCallbacks(store)
        queues.create({"name": "sales"}, at=NOW)
        queues.create({"name": "lonely"}, at=NOW)
        store.create_campaign("spring", {"caller_ids": ["+12025550100"], "queues": ["sales"]},
                              at=NOW)
        callbacks.add_callback("cb1", "lonely", "+12025550101", NOW, at=NOW)
        report = run_report(store, "spring", None, NOW.timestamp(), NOW.timestamp() + 60)
        (backlog,) = report["campaign_totals"]["queue_callbacks_unserved"]
        assert (backlog["queue"], backlog["pending"], backlog["retired"]) == ("lonely", 1,
                                                                              False)
        assert "  queue lonely (served by no running or paused campaign): 1 pending " \
               "callback(s), the oldest due 2026-12-07 15:00 UTC, that nobody will call " \
               "back; add it to a campaign's queues" in format_report(report)
    finally:
        store.close()
