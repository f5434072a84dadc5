"""A ``dialer run`` told to stop always ends: nothing the runner started outlives its stop.

The hang these guard against (one CI run in four): the campaign-state follower's poll used
``asyncio.wait_for(asyncio.shield(read), ...)``. On Python 3.11 ``wait_for`` swallows a
cancellation that arrives while its awaitable has just completed (the read answered, the
follower not yet resumed), so the runner's stop cancelled the follower, the follower went
on polling every 2 s, and the runner's TaskGroup waited for it forever. The tests below
cancel at every step of that window (counted in event-loop turns, not seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from dialer.runner import runner as runner_module
from dialer.runner import state_follow
from dialer.runner.errors import RunnerError
from dialer.runner.runner import Runner
from dialer.runner.state_follow import StateFollow
from tests.dialer.runner.test_state_follow import Clock, FakeRunner

TURNS = 12
"""Event-loop turns a cancelled task is given to end (a read's answer reaches the
follower in about four)."""


class HeldRead:
    """A database whose state reads answer when the test says."""

    def __init__(self) -> None:
        self.answers: list[asyncio.Future[str]] = []

    async def call(self, *_: Any) -> str:
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.answers.append(answer)
        return await answer


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def _first_read(db: HeldRead) -> asyncio.Future[str]:
    """Turn the loop until the follower's first read is waiting for the database."""
    for _ in range(50):
        if db.answers:
            return db.answers[0]
        await asyncio.sleep(0)
    raise AssertionError("the poke did not start a read")


async def _follower_cancelled_after(turns: int, state: str) -> tuple[bool, int, int]:
    """Start the follower on a paused campaign, let its first read answer ``state``,
    cancel it ``turns`` loop turns later: did it end, how many reads did it start, and
    how many pause/resume events did it post after it was cancelled?"""
    clock = Clock()
    runner = FakeRunner(clock)
    runner.db = HeldRead()
    follow = StateFollow(runner, clock)  # type: ignore[arg-type]
    follow.start("paused")
    follow.poke.set()  # read at once (the CLI's campaign_state op)
    task = asyncio.create_task(follow.run())
    (await _first_read(runner.db)).set_result(state)
    await _turns(turns)
    task.cancel()
    posted = len(runner.posted)
    await _turns(TURNS)
    ended = task.done()
    posted_after = len(runner.posted) - posted
    if not ended:  # the old code: stop the survivor so the test itself ends
        task.cancel()
        await _turns(TURNS)
    return ended, len(runner.db.answers), posted_after


@pytest.mark.parametrize("turns", range(8))
def test_the_state_follower_ends_when_cancelled_however_its_read_is_timed(turns):
    ended, reads, posted_after = asyncio.run(_follower_cancelled_after(turns, "running"))
    assert ended, (
        f"cancelled {turns} turns after its read answered, the follower went on "
        "(the runner's stop would wait for it forever)"
    )
    assert reads == 1, "the follower read again after it was cancelled"
    assert posted_after == 0, "the follower resumed dialing after it was cancelled"


async def _stuck_read_cancelled() -> tuple[bool, int, FakeRunner]:
    clock = Clock()
    runner = FakeRunner(clock)
    runner.db = HeldRead()
    follow = StateFollow(runner, clock)  # type: ignore[arg-type]
    follow.start("paused")
    follow.poke.set()
    task = asyncio.create_task(follow.run())
    read = await _first_read(runner.db)
    posted = len(runner.posted)  # the start's pause
    task.cancel()
    await _turns(TURNS)
    ended = task.done()
    # The database thread answers long after the run ended: nobody may act on it.
    if not read.done():
        read.set_result("running")
    await _turns(TURNS)
    return ended, len(runner.posted) - posted, runner


def test_a_read_still_pending_at_the_end_is_cancelled_with_the_follower(caplog):
    caplog.set_level(logging.INFO, logger="dialer.runner")
    ended, posted, runner = asyncio.run(_stuck_read_cancelled())
    assert ended
    assert not posted and "resumed" not in caplog.text, (
        "a read answered after the end resumed dialing"
    )
    assert runner.db.answers[0].cancelled(), "the follower's read outlived it"


# --- the runner's stop, against the switch simulator ------------------------------------


def _runner_scenario(
    tmp_path, during: Callable[[Runner], Awaitable[None]]
) -> tuple[BaseException | None, Runner]:
    """A runner with agents and no dial in flight is stopped after ``during``; what its
    ``run()`` raised (None when it ended cleanly). The run must end: a limit guards
    against the old code's hang (never a timing claim)."""
    from dialer.runner.demo import demo_switch_files
    from simulations.switch.embedded import running_switch
    from simulations.switch.switch import SwitchSettings
    from tests.dialer.runner.runner_kit import make_store, settings_for, us_hours_clock

    clock = us_hours_clock()
    store = make_store(
        tmp_path, agents=1, leads=0, amd_enabled=False, pacing_policy="progressive", clock=clock
    )

    async def scenario() -> tuple[BaseException | None, Runner]:
        async with running_switch(
            settings=SwitchSettings(speed=1.0, sound_files=demo_switch_files()), seed=5
        ) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=1.0), store, clock=clock)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            await during(runner)
            runner.stop()
            try:
                async with asyncio.timeout(RUN_END_LIMIT):
                    await asyncio.shield(main)
            except TimeoutError:
                main.cancel()
                raise AssertionError("the runner did not end after its stop") from None
            except Exception as error:
                return error, runner
            return None, runner

    try:
        return asyncio.run(scenario())
    finally:
        store.close()


def _stuck_runner(tmp_path, during: Callable[[Runner], Awaitable[None]]) -> None:
    """A runner whose ``during`` runs while it is up; then it is cancelled (its loop is
    made never to end by the test)."""
    from dialer.runner.demo import demo_switch_files
    from simulations.switch.embedded import running_switch
    from simulations.switch.switch import SwitchSettings
    from tests.dialer.runner.runner_kit import make_store, settings_for, us_hours_clock

    clock = us_hours_clock()
    store = make_store(
        tmp_path, agents=1, leads=0, amd_enabled=False, pacing_policy="progressive", clock=clock
    )

    async def scenario() -> None:
        async with running_switch(
            settings=SwitchSettings(speed=1.0, sound_files=demo_switch_files()), seed=5
        ) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=0.1), store, clock=clock)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            try:
                await during(runner)
            finally:
                main.cancel()
                with contextlib.suppress(BaseException):
                    await main

    try:
        asyncio.run(scenario())
    finally:
        store.close()


RUN_END_LIMIT = 60.0
"""A guard against a hung test (the old code's hang), far above any bound under test."""


def test_a_follower_that_ignores_its_cancellation_does_not_hold_the_stop(
    tmp_path, monkeypatch, caplog
):
    """The runner's stop cancels its tasks; one that swallows the cancellation (asyncio's
    wait_for on 3.11 can) is cancelled again and named, and the run ends. Before, the
    TaskGroup waited for it forever."""
    monkeypatch.setattr(runner_module, "TASK_END_WAIT", 0.2, raising=False)
    swallowed: list[bool] = []

    async def stubborn(self: StateFollow) -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)

    async def nothing(_: Runner) -> None:
        return None

    monkeypatch.setattr(StateFollow, "run", stubborn)
    caplog.set_level(logging.INFO, logger="dialer.runner")
    error, _ = _runner_scenario(tmp_path, nothing)
    assert error is None and swallowed == [True]
    assert "campaign state did not end" in caplog.text and "cancelled again" in caplog.text


def test_a_state_read_the_database_never_answers_does_not_keep_the_run_alive(
    tmp_path, monkeypatch, caplog
):
    """The follower's read is stuck on the database thread when the run stops: the follower
    is cancelled with its read (no reading applied after the end), the closing database
    work gives up after its bound with one clear error naming what was not committed, and
    ``run()`` returns. Before, the stop waited on the stuck read forever."""
    monkeypatch.setattr(runner_module, "CLOSE_WAIT", 0.5, raising=False)
    stuck = threading.Event()
    release = threading.Event()

    def read_forever(runner: Runner) -> str:
        stuck.set()
        release.wait()
        return "running"

    async def stick_a_read(runner: Runner) -> None:
        monkeypatch.setattr(state_follow, "read_state", read_forever)
        runner.state_follow.poke.set()
        while not stuck.is_set():
            await asyncio.sleep(0.01)

    caplog.set_level(logging.INFO, logger="dialer.runner")
    try:
        error, runner = _runner_scenario(tmp_path, stick_a_read)
    finally:
        release.set()  # the database thread's call returns; its answer goes nowhere
    assert isinstance(error, RunnerError), error
    assert "the database did not answer within 0.5 s while the run closed" in str(error)
    assert runner.db.closed
    assert "dialing resumed" not in caplog.text and "dialing paused" not in caplog.text


# --- the database worker at the end -------------------------------------------------------


def test_work_asked_of_a_closed_database_worker_is_refused_not_dropped():
    """After ``close()`` a journal write has no thread to commit it: refused with a clear
    error. Before, ``write`` queued it silently where nothing would ever commit it."""
    from campaigns.journal_batch import BatchResult
    from dialer.runner.dbworker import DbWorker, DbWorkerClosed

    committed: list[list[Any]] = []

    def apply(ops):
        committed.append(list(ops))
        return BatchResult({}, {})

    async def scenario() -> None:
        db = DbWorker(apply)
        db.write(["outcome"])  # type: ignore[list-item]
        await db.close()  # commits what was queued
        assert committed == [["outcome"]]
        with pytest.raises(DbWorkerClosed, match="journal writes refused"):
            db.write(["late outcome"])  # type: ignore[list-item]
        with pytest.raises(DbWorkerClosed, match="read_state refused"):
            await db.call(state_follow.read_state, None)
        with pytest.raises(DbWorkerClosed):
            await db.flush()

    asyncio.run(scenario())


STUCK_CALL_SCRIPT = """
import asyncio, threading
from dialer.runner.dbworker import DbWorker

async def main():
    db = DbWorker(lambda ops: None)
    started = threading.Event()
    def stuck():
        started.set()
        threading.Event().wait()  # a database call that never returns
    call = asyncio.create_task(db.call(stuck))
    while not started.is_set():
        await asyncio.sleep(0.01)
    call.cancel()
    db.abandon() if hasattr(db, "abandon") else None
    print("given up", flush=True)

asyncio.run(main())
"""


def test_a_database_call_that_never_returns_does_not_keep_the_process_alive(tmp_path):
    """The runner gave up on a stuck database call: the process still exits (the worker's
    thread is a daemon). Before, the executor's thread was joined at exit: a hang."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK_CALL_SCRIPT],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = process.communicate(timeout=RUN_END_LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the process did not exit: a stuck database thread held it") from None
    assert b"given up" in out and process.returncode == 0, err.decode()


# --- the last resort ------------------------------------------------------------------------


def test_the_end_watch_fires_once_past_its_deadline_and_never_once_disarmed():
    from dialer.runner.run_end import EndWatch

    fired: list[str] = []
    expired = threading.Event()

    def on_expiry(what: str) -> None:
        fired.append(what)
        expired.set()

    now = [100.0]
    watch = EndWatch(on_expiry, clock=lambda: now[0])
    watch.arm(150.0, "stopping: calls in progress finishing")
    watch.arm(110.0, "closing")  # moved as the stop goes on
    now[0] = 111.0
    watch.arm(110.0, "closing")  # wakes the thread to look at the clock again
    assert expired.wait(RUN_END_LIMIT)
    assert fired == ["closing"] and watch.fired

    calm = EndWatch(on_expiry, clock=lambda: 0.0)
    calm.arm(1.0, "closing")
    calm.disarm()  # the run ended: the thread is gone, and never fires
    assert not calm.fired and fired == ["closing"]


def test_a_stop_the_loop_never_sees_still_ends_the_process(tmp_path, monkeypatch):
    """The main loop is stuck on an await (here: handling an event never returns), so it
    never sees the stop: the end watch armed by ``stop()`` itself still fires (``dialer
    run`` then writes every stack and exits 5). Before, only the loop armed it."""
    from dialer.runner.run_end import EndWatch

    monkeypatch.setattr(runner_module, "END_BOUND", 0.2, raising=False)
    fired: list[str] = []
    expired = threading.Event()

    def on_expiry(what: str) -> None:
        fired.append(what)
        expired.set()

    async def stuck_loop(self: Runner, duration: float | None) -> None:
        await asyncio.Event().wait()  # an await that never returns

    async def stop_a_stuck_loop(runner: Runner) -> None:
        runner.end_watch = EndWatch(on_expiry)
        runner.stop()
        await asyncio.to_thread(expired.wait, RUN_END_LIMIT)

    monkeypatch.setattr(Runner, "_loop", stuck_loop)
    try:
        _stuck_runner(tmp_path, stop_a_stuck_loop)
    finally:
        expired.set()
    assert fired == ["stopping: told to stop"]
