"""A queue callback's dial refused where it is journaled (``CallbackDialRefused``: the
journal's recount over every process's calls refused what the gate allowed on its older
view) is no call: the callback is held on the recount's verdict, like a refusal at the
gate, and keeps every one of its attempts.

Before, the runner told the engine ``OriginateFailed`` for it, and the engine charged the
callback an attempt for a call never placed: a caller could lose their callback (``failed``
after ``max_attempts``) through no call at all.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inbound_kit import queue, world

from dialer.commands import (
    CallbackResult,
    Originate,
    QueueCallbackAttempted,
    QueueCallbackFinished,
)
from dialer.engine.callback_status import CallbackState, HeldBy
from dialer.engine.callback_verdicts import VerdictKind
from dialer.events import CallbackDialRefused, QueueCallbackPending
from dialer.ports import GateVerdict

NUMBERS = ("+12025550101", "+12025550102", "+12025550103")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def recount_refusal(kind: str, at: float, delay: float, turn: int) -> GateVerdict:
    """What the runner builds from the recount's refusal (``recount_verdict``)."""
    reasons: tuple[str, ...] = (f"campaign.attempts.1: 2 calls in 24 h (turn {turn})",)
    if kind == "wait":
        reasons += (f"earliest-allowed: {_iso(at + delay)}",)
    elif kind == "final":
        reasons += ("final: us.national_dnc: no later moment allows this callback",)
    return GateVerdict(False, reasons, decision_id=f"journal:t:{turn}")


class Journal:
    """Plays the runner's journal step for callback dials: each originate is refused by
    the recount (the engine hears ``CallbackDialRefused``) or placed (the switch rings it),
    turn after turn from ``script``; placed ones are counted per callback."""

    def __init__(self, w, script: list[tuple[str, float]]) -> None:  # type: ignore[no-untyped-def]
        self.w = w
        self.script = script
        self.turn = 0
        self.placed: Counter[str] = Counter()
        self.unanswered: Counter[str] = Counter()
        self.refused_calls: dict[str, str] = {}
        """Call id of a refused dial → its callback."""
        self.refusals: list[tuple[str, float, GateVerdict]] = []
        self._execute = w.execute
        w.execute = self.execute

    def execute(self, commands: list) -> None:
        passed = []
        for command in commands:
            callback = isinstance(command, Originate) and command.variables.get(
                "dialer_queue_callback"
            )
            if not callback:
                passed.append(command)
                continue
            kind, delay = (
                self.script[self.turn] if self.turn < len(self.script) else ("answer", 0.0)
            )
            self.turn += 1
            if kind in ("answer", "no answer"):
                self.placed[callback] += 1
                self.unanswered[callback] += kind == "no answer"
                self.w.callback_answers = kind == "answer"
                self._execute([*passed, command])
                passed = []
                continue
            verdict = recount_refusal(kind, command.at, delay, self.turn)
            self.refusals.append((callback, command.at, verdict))
            self.refused_calls[command.call_id] = callback
            self.w.commands.append(command)  # decided, never sent
            self.w.at(command.at, CallbackDialRefused(command.at, command.call_id, verdict))
        self._execute(passed)


def test_a_refused_dial_is_held_until_the_instant_the_rule_names_and_uses_no_attempt() -> None:
    w = world(queue(callback={"max_attempts": 1, "retry_after": 60}), start=0.0)
    journal = Journal(w, [("wait", 900.0)])
    w.at(10.0, QueueCallbackPending(10.0, "cb-1", "sales", NUMBERS[0], place_at=5.0))
    w.run(until=500.0)
    (status,) = w.engine.queue_callbacks(5)
    assert status.state is CallbackState.HELD and status.held_by is HeldBy.GATE
    assert status.attempts == 0 and status.next_try_at == 910.0
    verdict = status.verdict
    assert verdict is not None and verdict.kind is VerdictKind.WAIT
    assert verdict.decision_id == "journal:t:1" and verdict.asked_again_at == 910.0
    assert verdict.shown_reasons == ("campaign.attempts.1: 2 calls in 24 h (turn 1)",)
    assert w.agent_states("a0")[-1].state.value == "ready"  # the agent is freed at once
    w.run()
    dials = w.of_type(Originate)
    assert [d.at for d in dials] == [10.0, 910.0]  # the second at the instant named
    assert w.of_type(QueueCallbackAttempted) == []
    (done,) = w.of_type(QueueCallbackFinished)
    # One attempt allowed, one call placed: before, the refusal used it and the caller was
    # never called back ("failed" with attempts 1 and no call).
    assert done.result is CallbackResult.COMPLETED and done.attempts == 1
    assert journal.placed == {"cb-1": 1}


def test_a_final_refusal_at_the_journal_cancels_with_its_reasons() -> None:
    w = world(queue(), start=0.0)
    Journal(w, [("final", 0.0)])
    w.at(10.0, QueueCallbackPending(10.0, "cb-1", "sales", NUMBERS[0], place_at=5.0))
    w.run()
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.CANCELLED and done.attempts == 0
    assert done.reason is not None and done.reason.startswith("compliance journal:t:1: ")


OUTCOMES = st.sampled_from(["answer", "no answer", "no answer", "wait", "wait", "retry", "final"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=st.lists(st.tuples(OUTCOMES, st.integers(1, 2000).map(float)), max_size=14),
    callbacks=st.integers(1, 3),
    agents=st.integers(1, 2),
    max_attempts=st.integers(1, 3),
    restored=st.lists(st.integers(0, 2), min_size=3, max_size=3),
)
def test_attempts_used_are_the_calls_placed(
    script, callbacks, agents, max_attempts, restored
) -> None:
    """For any interleaving of recount refusals (naming an instant, naming none, final)
    and calls placed (answered or not) over several callbacks and agents, each callback's
    attempts are the calls actually placed to it (plus those made before a restart): at
    every step (a dial decided and not yet refused counts until its refusal arrives), in
    every ``QueueCallbackAttempted`` and ``QueueCallbackFinished``; one "attempted" per
    unanswered call placed, none per refusal; and a callback fails for want of an answer
    only once ``max_attempts`` calls were placed."""
    w = world(
        queue(callback={"max_attempts": max_attempts, "retry_after": 300}), agents=agents, start=0.0
    )
    journal = Journal(w, script)
    before = {f"cb-{i}": min(restored[i], max_attempts - 1) for i in range(callbacks)}
    for i in range(callbacks):
        w.at(
            10.0 + i,
            QueueCallbackPending(
                10.0 + i,
                f"cb-{i}",
                "sales",
                NUMBERS[i],
                place_at=float(i),
                attempts=before[f"cb-{i}"],
            ),
        )

    def used_is_placed(w) -> None:  # type: ignore[no-untyped-def]
        for key, callback in w.engine.inbound.callbacks.items():
            refusing = sum(
                1
                for call_id, of in journal.refused_calls.items()
                if of == key and call_id in w.engine.calls
            )
            assert callback.attempts == before[key] + journal.placed[key] + refusing, key

    w.after_step.append(used_is_placed)
    w.run()
    finished = {c.callback_id: c for c in w.of_type(QueueCallbackFinished)}
    assert set(finished) == set(before)  # every callback reaches an end
    attempted = Counter(a.callback_id for a in w.of_type(QueueCallbackAttempted))
    for key, done in finished.items():
        placed = before[key] + journal.placed[key]
        assert done.attempts == placed, (key, done, journal.placed)
        ended_by_tries = done.result is CallbackResult.FAILED and done.reason is None
        if ended_by_tries:
            assert placed == max_attempts  # unanswered calls used every attempt
        unanswered = journal.unanswered[key] - (1 if ended_by_tries else 0)
        assert attempted[key] == unanswered, (key, attempted, journal.unanswered)
