"""The runner follows its campaign's stored state (dialer/runner/state_follow.py), on a fake
clock: a stored pause holds dialing within ``STATE_LAG``, running again resumes it, a stop,
an archive, a deletion or a missing row end the run, an unreadable state pauses dialing
after ``STATE_UNREADABLE_LIMIT``, and a supervisor's console pause is only the console's to
end. A hypothesis state machine checks that no dial can be placed while the stored state
is not running (after the lag bound), whatever the console does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dialer.events import DialingPaused
from dialer.runner import state_follow
from dialer.runner.state_follow import (
    EXIT_CAMPAIGN_ENDED,
    STATE_LAG,
    STATE_POLL,
    STATE_UNREADABLE_LIMIT,
    StateFollow,
    StateFollower,
)


@dataclass
class FakeRunner:
    """What StateFollow touches of the runner: its posts reach a stand-in engine flag
    (the engine's ``on_dialing_paused`` sets ``paused`` from the event, nothing else)."""

    clock: Any
    stopping: bool = False
    posted: list[DialingPaused] = field(default_factory=list)
    stops: int = 0
    link: Any = field(default_factory=lambda: SimpleNamespace(name="spring", campaign_id=1))
    engine: Any = field(default_factory=lambda: SimpleNamespace(dialing_paused=False))
    stop_requested: Any = field(default_factory=asyncio.Event)
    db: Any = None

    def post(self, event: DialingPaused) -> None:
        self.posted.append(event)
        self.engine.dialing_paused = event.paused  # the engine handles it from the inbox

    def stop(self) -> None:
        self.stops += 1
        self.stopping = True
        self.stop_requested.set()


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _follow(state: str = "running") -> tuple[StateFollow, FakeRunner, Clock]:
    clock = Clock()
    runner = FakeRunner(clock)
    follow = StateFollow(runner, clock)  # type: ignore[arg-type]
    follow.start(state)
    return follow, runner, clock


def _poll(follow: StateFollow, clock: Clock, state: str | None) -> None:
    """One poll of the follower's loop: the time passes, the read answers ``state``."""
    clock.now += STATE_POLL
    follow.apply(follow.follower.read(clock.now, state))


def test_a_stored_pause_stops_new_dials_at_the_next_poll_and_running_resumes_them():
    follow, runner, clock = _follow()
    assert not runner.engine.dialing_paused
    changed_at = clock.now
    _poll(follow, clock, "paused")
    assert runner.engine.dialing_paused and clock.now - changed_at <= STATE_LAG
    assert "spring is paused (set from the command line at" in runner.posted[-1].reason
    assert follow.held_reason() == runner.posted[-1].reason  # what status shows
    assert runner.stops == 0, "a pause keeps the run (agents stay, calls finish)"
    posts = len(runner.posted)
    _poll(follow, clock, "paused")
    assert len(runner.posted) == posts, "one line per change, not per poll"
    _poll(follow, clock, "running")
    assert not runner.engine.dialing_paused and follow.held_reason() is None


@pytest.mark.parametrize(("state", "said"), [
    ("stopped", "was stopped from the command line"),
    ("archived", "was archived from the command line"),
    ("deleted", "was deleted from the command line"),
    (None, "row is gone from the database"),
])
def test_a_stop_archive_deletion_or_missing_row_ends_the_run_with_its_reason(state, said):
    follow, runner, clock = _follow()
    _poll(follow, clock, state)
    assert runner.stops == 1 and runner.engine.dialing_paused
    assert said in follow.end_reason and follow.exit_code() == EXIT_CAMPAIGN_ENDED
    _poll(follow, clock, "running")  # a later start does not revive an ended run
    assert runner.stops == 1 and runner.engine.dialing_paused
    assert follow.exit_code() == EXIT_CAMPAIGN_ENDED


def test_a_run_started_on_a_paused_campaign_starts_paused_and_start_resumes_it():
    follow, runner, clock = _follow("paused")
    assert runner.engine.dialing_paused
    _poll(follow, clock, "running")
    assert not runner.engine.dialing_paused


def test_an_unreadable_state_keeps_the_last_reading_for_the_bound_then_pauses():
    follow, runner, clock = _follow()
    last_read = clock.now
    while clock.now + STATE_POLL - last_read < STATE_UNREADABLE_LIMIT:
        clock.now += STATE_POLL
        follow.apply(follow.follower.failed(clock.now, "connection refused"))
        assert not runner.engine.dialing_paused, "paused before the bound"
    clock.now += STATE_POLL
    follow.apply(follow.follower.failed(clock.now, "connection refused"))
    assert runner.engine.dialing_paused
    assert "could not be read for 60 s" in follow.held_reason()
    assert "connection refused" in follow.held_reason()
    _poll(follow, clock, "running")
    assert not runner.engine.dialing_paused


def test_a_read_that_raises_or_never_answers_counts_as_unreadable():
    follow, runner, clock = _follow()

    class BrokenDb:
        async def call(self, *_: Any) -> Any:
            raise OSError("database is gone")

    class StuckDb:
        async def call(self, *_: Any) -> Any:
            clock.now += STATE_UNREADABLE_LIMIT  # the thread is stuck this long
            await asyncio.Event().wait()

    runner.db = BrokenDb()
    asyncio.run(follow.check_once())
    assert follow.follower.unreadable == "database is gone"
    assert not runner.engine.dialing_paused  # within the bound

    async def stuck() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(STATE_POLL * 3):
                await follow.check_once()

    runner.db = StuckDb()
    state_follow_poll = state_follow.STATE_POLL
    try:
        state_follow.STATE_POLL = 0.01  # the loop's own wait, not an assertion's
        asyncio.run(stuck())
    finally:
        state_follow.STATE_POLL = state_follow_poll
    assert runner.engine.dialing_paused, "a stuck database thread must pause after the bound"


def test_the_console_pause_is_not_ended_by_a_stored_running():
    follow, runner, clock = _follow()
    # The console's pause (desk.campaign_action): posts, tells the follower, writes `paused`.
    runner.post(DialingPaused(clock.now, True, "supervisor"))
    follow.console_pause()
    _poll(follow, clock, "paused")  # its own write, read back
    _poll(follow, clock, "running")  # `dialer campaign start` from the command line
    assert runner.engine.dialing_paused, "the command line undid a supervisor's pause"
    assert "paused by a supervisor" in follow.held_reason()
    # The console's Resume: its write taken, the state read at once says running.
    follow.follower.console(False)
    _poll(follow, clock, "running")
    assert not runner.engine.dialing_paused and follow.held_reason() is None


def test_the_consoles_own_stored_pause_is_said_to_be_the_consoles():
    """The console's Pause stores ``paused``; read back, it is the supervisor's pause (the
    alert and the status line name them), not one from the command line. The alert said
    "from the command line" whenever the poll read the console's write before it looked."""
    from dialer.runner.alerting import paused_by

    follow, runner, clock = _follow()
    runner.post(DialingPaused(clock.now, True, "supervisor"))
    follow.console_pause("sam")
    _poll(follow, clock, "paused")  # its own write, read back
    assert runner.engine.dialing_paused
    assert paused_by(follow.follower) == "by supervisor sam from the console at 08:00 UTC"
    assert "command line" not in follow.held_reason()
    # A pause stored with no console pause is the command line's.
    other, _, other_clock = _follow()
    _poll(other, other_clock, "paused")
    assert paused_by(other.follower).startswith("from the command line at ")


def test_the_control_op_reads_the_state_at_once():
    from dialer.runner.control import dispatch

    follow, runner, _ = _follow()
    runner.state_follow = follow  # type: ignore[attr-defined]
    assert asyncio.run(dispatch(runner, {"op": "campaign_state"})) == {"ok": True}  # type: ignore[arg-type]
    assert follow.poke.is_set()


def test_the_pure_follower_names_the_state_and_when_it_was_set():
    follower = StateFollower("spring", "running", 0.0)
    want = follower.read(3600.0 * 13 + 60 * 5, "paused")
    assert want.paused and "at 13:05 UTC" in want.reason


class StoredStateMachine(RuleBasedStateMachine):
    """Sequences of stored-state changes, console pauses and resumes, failed reads and
    time passing, with the follower polling every ``STATE_POLL``: whenever the stored state
    has not been running for ``STATE_LAG`` or more, the engine is paused (no originate can
    be sent); an ended run never dials again."""

    @initialize(start=st.sampled_from(["running", "paused"]))
    def begin(self, start: str) -> None:
        self.follow, self.runner, self.clock = _follow(start)
        self.stored: str | None = start
        self.not_running_since: float | None = None if start == "running" else self.clock.now
        self.failing = False
        self.readable_since = self.clock.now
        self.next_poll = self.clock.now + STATE_POLL

    def _store(self, state: str | None) -> None:
        if (state == "running") != (self.stored == "running"):
            self.not_running_since = None if state == "running" else self.clock.now
        self.stored = state

    @rule(state=st.sampled_from(["running", "paused", "stopped", "archived", "deleted",
                                 None]))
    def command_line(self, state: str | None) -> None:
        self._store(state)

    @rule(paused=st.booleans())
    def console(self, paused: bool) -> None:
        """desk.campaign_action: post, write the store (when it may), tell the follower."""
        if self.follow.end_reason is not None or self.runner.stopping:
            return
        if paused:
            self.runner.post(DialingPaused(self.clock.now, True, "supervisor"))
            self.follow.console_pause()
        if self.failing:
            return  # the store write raised: the request failed before telling the follower
        if self.stored in ("running", "paused"):  # record_campaign_state (else refused)
            self._store("paused" if paused else "running")
        if not paused:  # console_resume: the state read at once decides
            follower = self.follow.follower
            follower.console(False)
            self.follow.apply(follower.read(self.clock.now, self.stored))
            if self.follow.held_reason() is None:
                self.runner.post(DialingPaused(self.clock.now, False, ""))

    @rule(failing=st.booleans())
    def database(self, failing: bool) -> None:
        if self.failing and not failing:
            self.readable_since = self.clock.now  # the lag bound runs from here
        self.failing = failing

    @rule(seconds=st.floats(0.0, 90.0))
    def time_passes(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.next_poll <= end:
            self.clock.now = self.next_poll
            follower = self.follow.follower
            self.follow.apply(follower.failed(self.clock.now, "down") if self.failing
                              else follower.read(self.clock.now, self.stored))
            self.next_poll += STATE_POLL
        self.clock.now = end

    @invariant()
    def a_console_pause_holds(self) -> None:
        if hasattr(self, "follow") and self.follow.follower.console_paused:
            assert self.runner.engine.dialing_paused, "a console pause was undone"

    @invariant()
    def no_dial_while_the_store_says_no(self) -> None:
        if not hasattr(self, "follow"):
            return
        since = self.not_running_since
        if (since is not None and not self.failing
                and self.clock.now - max(since, self.readable_since) >= STATE_LAG):
            assert self.runner.engine.dialing_paused, (self.stored, self.follow.applied)
        if since is not None and self.clock.now - since >= STATE_LAG + STATE_UNREADABLE_LIMIT:
            # Reads failing all along: the last reading held for the bound, then a pause.
            assert self.runner.engine.dialing_paused, (self.stored, self.follow.applied)
        if self.follow.end_reason is not None:
            assert self.runner.engine.dialing_paused and self.runner.stops == 1


StoredStateMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30,
                                                deadline=None)
test_no_dial_while_the_stored_state_is_not_running = StoredStateMachine.TestCase
