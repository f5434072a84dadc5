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
import logging
from typing import Any

import pytest

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
