"""The console's part of the state follower (dialer/runner/state_follow.py): who paused or
stopped and when, said the same way by the status line, the pause alert and the end of a
run; and the console's Stop written as a compare-and-set on the stored state, so two tabs
(or a tab and the command line) cannot both pass the check. Fixed clocks throughout."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from campaigns.store import CampaignStore
from dialer.runner.alerting import paused_by
from dialer.runner.state_follow import StateFollow, StateFollower, stop_stored
from dialer.runner.status import RunnerFacts, diagnose

AT = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC


class Clock:
    def __init__(self, now: float = AT) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeRunner:
    """What StateFollow touches: the store on a database "thread" (called inline)."""

    def __init__(self, store: CampaignStore, campaign_id: int) -> None:
        self.store = store
        self.link = SimpleNamespace(name="spring", campaign_id=campaign_id)
        self.engine = SimpleNamespace(dialing_paused=False)
        self.stopping = False
        self.stop_requested = asyncio.Event()
        self.stops = 0
        self.posted: list = []
        self.db = SimpleNamespace(call=self._call)

    async def _call(self, fn, *args):  # type: ignore[no-untyped-def]
        return fn(*args)

    def post(self, event) -> None:  # type: ignore[no-untyped-def]
        self.posted.append(event)
        self.engine.dialing_paused = event.paused

    def stop(self) -> None:
        self.stops += 1
        self.stopping = True


@pytest.fixture
def store(tmp_path):
    from dialer.runner.demo import demo_settings

    store = CampaignStore.open(f"sqlite:///{tmp_path / 'c.db'}")
    moment = datetime.fromtimestamp(AT, tz=UTC)
    store.create_campaign("spring", demo_settings(False), at=moment)
    store.transition_campaign("spring", "running", at=moment)
    yield store
    store.close()


def test_the_status_reason_and_the_alert_name_the_supervisor_and_when() -> None:
    """Before: the status line said "dialing paused by a supervisor" and the alert "paused
    by supervisor sam from the console", neither saying when; now both, in one wording."""
    follower = StateFollower("spring", "running", AT)
    follower.console(True, "sam", AT + 120.0)
    want = follower.want(AT + 130.0)
    assert want.reason == (
        "dialing paused by supervisor sam from the console at 20:28 UTC "
        "(the console's Resume dialing resumes it)"
    )
    assert paused_by(follower) == "by supervisor sam from the console at 20:28 UTC"
    assert paused_by(follower) in want.reason
    stored = StateFollower("spring", "running", AT)
    stored.read(AT + 60.0, "paused")
    assert paused_by(stored) == "from the command line at 20:27 UTC"
    assert paused_by(stored) in stored.want(AT + 61.0).reason


def test_a_console_stop_ends_the_run_naming_the_supervisor(store) -> None:
    clock = Clock()
    runner = FakeRunner(store, store.campaign("spring").id)
    follow = StateFollow(runner, clock)  # type: ignore[arg-type]
    follow.start("running")
    clock.now = AT + 300.0
    answer = asyncio.run(follow.console_stop("sam", ["running"]))
    assert answer["ok"] and answer["state"] == "stopped"
    assert store.campaign("spring").state == "stopped"
    assert runner.stops == 1
    assert follow.end_reason == (
        "campaign spring was stopped by supervisor sam from the "
        "console at 20:31 UTC: run ended (calls in progress finished)"
    )
    assert follow.held_reason() == follow.end_reason
    # While the calls in progress finish, the status line says who stopped it first.
    facts = RunnerFacts(campaign="spring", started=True, stopping=True, calls_in_progress=2,
                        stop_cause=follow.stop_cause())
    assert diagnose(facts).reasons[:2] == (
        "campaign spring was stopped by supervisor sam from the console at 20:31 UTC",
        "finishing 2 calls in progress (Ctrl-C again hangs them up now)")


def test_a_stopping_run_the_command_line_stopped_says_so_and_when() -> None:
    follower = StateFollower("spring", "running", AT)
    follower.read(AT + 120.0, "stopped")
    assert follower.ended_by == "campaign spring was stopped from the command line at 20:28 UTC"
    assert follower.end == f"{follower.ended_by}: run ended (calls in progress finished)"
    follower.read(AT + 180.0, "archived")  # set once: the first cause stays
    assert follower.ended_by.endswith("stopped from the command line at 20:28 UTC")
    gone = StateFollower("spring", "running", AT)
    gone.read(AT + 1.0, None)
    assert gone.end == "campaign spring's row is gone from the database: run ended"
    # A stop from Ctrl-C (no stored change) names no cause: only the calls finishing.
    plain = RunnerFacts(campaign="spring", started=True, stopping=True, calls_in_progress=1)
    assert diagnose(plain).reasons[0].startswith("finishing 1 call in progress")


def test_a_stale_console_stop_changes_nothing_and_says_the_state_now(store) -> None:
    clock = Clock()
    runner = FakeRunner(store, store.campaign("spring").id)
    follow = StateFollow(runner, clock)  # type: ignore[arg-type]
    follow.start("running")
    store.transition_campaign("spring", "paused", at=datetime.fromtimestamp(AT, tz=UTC))
    answer = asyncio.run(follow.console_stop("sam", ["running"]))
    assert not answer["ok"] and answer["state"] == "paused"
    assert store.campaign("spring").state == "paused"
    assert runner.stops == 0 and follow.end_reason is None
    # A later stop from the command line is the command line's, not sam's.
    store.transition_campaign("spring", "stopped", at=datetime.fromtimestamp(AT, tz=UTC))
    follow.apply(follow.follower.read(AT + 10.0, "stopped"))
    assert "from the command line" in (follow.end_reason or "")


def test_two_concurrent_stops_from_the_same_state_only_one_writes(store) -> None:
    """The compare-and-set: two writers that both saw ``running`` (two tabs, two web
    processes) race; exactly one stops the campaign, the other is told it is stopped."""
    campaign_id = store.campaign("spring").id
    barrier = threading.Barrier(2)
    results: list[tuple[bool, str | None]] = []

    def writer() -> None:
        barrier.wait()
        results.append(stop_stored(store, campaign_id, ["running"], AT))

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(False, "stopped"), (True, "stopped")]
    # A second process of the campaign, told to expect it stopped, agrees without writing.
    assert stop_stored(store, campaign_id, ["stopped"], AT) == (True, "stopped")
    # A stopped campaign cannot be "stopped" from running again, nor a draft at all.
    assert stop_stored(store, campaign_id, ["running", "draft"], AT) == (False, "stopped")
