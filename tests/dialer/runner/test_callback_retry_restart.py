"""A queue callback's wait after an unanswered attempt survives a restart (docs/inbound.md,
"Queue callbacks").

After an unanswered dial the callback waits ``retry_after`` (stored as its row's
``next_attempt_at``) before it is dialed again. Before, a new runner on the same database
that claimed it restored it straight into the line: the caller was rung again at once,
a minute after the call they did not answer. Same runner set-up as
``test_callback_verdict_restart`` (SQLite and PostgreSQL); fixed instants.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from campaigns.queue_callbacks import QueueCallbacks
from dialer.commands import Originate, QueueCallbackAttempted
from dialer.events import AgentLoggedIn, CallHungUp
from dialer.hangup import HangupCause
from dialer.runner.inbound import apply_queue_writes
from tests.dialer.runner.test_callback_verdict_restart import OPENS, Run, url  # noqa: F401
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

MORNING = OPENS + timedelta(hours=1)  # Tuesday 09:00 in New York: within calling hours
RETRY_AFTER = 300.0  # the queue's default callback.retry_after


class Dialing(Run):
    """The runner of ``test_callback_verdict_restart`` that also keeps the engine's
    commands and applies the queue store writes they cause (the runner's own mapping)."""

    def step(self, at: float, event: object | None = None) -> list[object]:
        self.now = at
        commands = self.engine.tick(at) if event is None else self.engine.handle(event)  # type: ignore[arg-type]
        ops = [
            op
            for command in commands
            if isinstance(command, QueueCallbackAttempted)
            for op in self.inbound.ops_for(command) or []
        ]
        apply_queue_writes(ops)  # type: ignore[arg-type]
        asyncio.run(self.execution.execute([]))  # the verdicts, to the callbacks' rows
        return list(commands)


def _utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _originates(commands: list[object]) -> list[Originate]:
    return [c for c in commands if isinstance(c, Originate)]


def test_an_unanswered_callback_keeps_its_wait_after_a_restart(url, tmp_path) -> None:  # noqa: F811
    start = MORNING.timestamp()
    first = Dialing(url, "run-1", MORNING, tmp_path / "audit-1")
    first.claim()
    (dial,) = _originates(first.step(start, AgentLoggedIn(start, "agent1")))
    assert dial.number_e164 == "+12125550140"
    unanswered = start + 26.0
    first.step(unanswered, CallHungUp(unanswered, dial.call_id, HangupCause.NO_ANSWER))
    due = unanswered + RETRY_AFTER
    (stored,) = QueueCallbacks(first.store).callbacks(status="pending")
    assert stored.attempts == 1 and stored.next_attempt_at is not None
    assert stored.next_attempt_at.timestamp() == due
    first.stop()

    restart = unanswered + 60.0
    second = Dialing(url, "run-2", _utc(restart), tmp_path / "audit-2")
    second.claim()  # restored with its stored wait
    assert _originates(second.step(restart, AgentLoggedIn(restart, "agent1"))) == []
    row = second.board()
    assert row["state"] == "held" and row["attempts"] == 1 and row["next_try_at"] == due
    for at in (restart + 1.0, due - 60.0, due - 1.0):
        assert _originates(second.step(at)) == [], at
    (again,) = _originates(second.step(due))
    assert again.number_e164 == "+12125550140" and again.at == due
    second.stop()


def test_a_callback_whose_stored_wait_has_passed_is_dialed_at_once(url, tmp_path) -> None:  # noqa: F811
    start = MORNING.timestamp()
    first = Dialing(url, "run-1", MORNING, tmp_path / "audit-1")
    first.claim()
    (dial,) = _originates(first.step(start, AgentLoggedIn(start, "agent1")))
    unanswered = start + 26.0
    first.step(unanswered, CallHungUp(unanswered, dial.call_id, HangupCause.NO_ANSWER))
    first.stop()

    restart = unanswered + RETRY_AFTER + 60.0  # the wait ended while no runner ran
    second = Dialing(url, "run-2", _utc(restart), tmp_path / "audit-2")
    second.claim()
    (again,) = _originates(second.step(restart, AgentLoggedIn(restart, "agent1")))
    assert again.number_e164 == "+12125550140"
    second.stop()
