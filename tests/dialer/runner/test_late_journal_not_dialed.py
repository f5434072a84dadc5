"""The send allowance is enforced, not assumed: the calling-hours rules prove a window open
only until ``SEND_ALLOWANCE`` after the decision, so a dial whose journal commits (and whose
turn comes) later than that is not sent; the engine hears ``DialNotSent`` and the lead is
retried by its rule, decided again then."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from runner_kit import bare_execution

from campaigns.journal_batch import BatchResult
from dialer.commands import Originate
from dialer.events import DialNotSent
from dialer.runner.execution import SEND_SECONDS
from dialer.runner.report import format_report, run_report
from dialer.runner.stats import RunnerStats
from dialer.runner.telemetry import Telemetry
from dnc.rules.base import SEND_ALLOWANCE

DECIDED = 1000.0


def run(committed_at: float, stats: RunnerStats | None = None,
        telemetry: Telemetry | None = None) -> tuple[list[str], list[object]]:
    """One journaled dial decided at ``DECIDED``, its journal committed at ``committed_at``
    (the clock when the sender's turn comes): the call ids sent and the events posted."""
    posted: list[object] = []
    sent: list[str] = []

    async def send(command: Originate) -> None:
        sent.append(command.call_id)

    execution = bare_execution(
        gate=SimpleNamespace(record_dial=lambda number, at, campaign, lead: None),
        stats=stats, telemetry=telemetry, clock=lambda: committed_at, post=posted.append)
    execution.send = send  # type: ignore[method-assign]
    dial = Originate(DECIDED, "call-1", "+13055550101", "+12015550000", "", 25.0)
    journal = SimpleNamespace(call_id="call-1", number_e164=dial.number_e164, at=DECIDED,
                              lead_id="lead-1")

    async def scenario() -> None:
        committed: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        committed.set_result(BatchResult(begun={"call-1": 1}, refused={}))
        await execution.dial_queue.put((committed, [journal], [dial]))
        sender = asyncio.create_task(execution.send_dials())
        while execution.dial_queue.qsize() or len(sent) + len(posted) < 1:
            await asyncio.sleep(0)
        sender.cancel()

    asyncio.run(scenario())
    return sent, posted


def test_the_allowance_is_the_rules_one() -> None:
    assert SEND_SECONDS == SEND_ALLOWANCE.total_seconds() > 0


def test_a_journal_that_commits_late_refuses_its_dial() -> None:
    sent, posted = run(DECIDED + SEND_SECONDS + 0.001)
    assert sent == []
    assert posted == [DialNotSent(DECIDED + SEND_SECONDS + 0.001, "call-1",
                                  "past the send allowance after its decision")]


def test_a_journal_that_commits_within_the_allowance_is_dialed() -> None:
    for committed_at in (DECIDED, DECIDED + 0.05, DECIDED + SEND_SECONDS):
        assert run(committed_at) == (["call-1"], [])


def test_a_late_send_is_counted_and_the_run_report_says_so(tmp_path) -> None:
    """An operator sees dials dropped for the allowance (a slow journal or switch link),
    not only a warning in the log: counted in the run's statistics and in its report."""
    stats = RunnerStats(started_at=0.0)
    run(DECIDED + SEND_SECONDS + 0.5, stats)
    run(DECIDED + 0.05, stats)
    assert stats.late_sends == 1
    from datetime import UTC, datetime

    from campaigns.store import CampaignStore
    now = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    store = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    try:
        store.create_campaign("spring", {"caller_ids": ["+12025550100"]}, at=now)
        report = run_report(store, "spring", None, now.timestamp(), now.timestamp() + 60)
    finally:
        store.close()
    assert "send allowance" not in format_report(report)
    report["this_run"]["late_sends"] = stats.late_sends
    assert "  dials not sent, past the 5 s send allowance after their decision: 1 (each " \
           "lead retried; the journal or the switch link is slow)" in format_report(report)


def test_a_late_send_is_counted_in_the_metrics() -> None:
    """The Prometheus endpoint counts them too (``dialer_dials_not_sent_late_total``), so an
    operator can alert on a slow journal or switch link before reading a run's report."""
    telemetry = Telemetry("spring")

    def late_sends() -> float | None:
        return telemetry.metrics.registry.get_sample_value(
            "dialer_dials_not_sent_late_total", {"campaign": "spring"})

    assert late_sends() == 0  # served from the first scrape
    run(DECIDED + 0.05, telemetry=telemetry)
    assert late_sends() == 0
    run(DECIDED + SEND_SECONDS + 0.5, telemetry=telemetry)
    run(DECIDED + SEND_SECONDS + 2.0, telemetry=telemetry)
    assert late_sends() == 2
