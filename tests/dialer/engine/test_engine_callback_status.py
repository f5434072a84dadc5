"""The engine's read of its queue callbacks (``Engine.queue_callbacks``, callback_status.py):
where each stands and the last gate verdict the engine acted on for it (kind, reasons, named
instant, audit id, when decided), kept per callback by ``CallbackVerdicts``; callbacks the gate
ended stay readable a while with their verdict. What a supervisor is shown comes from here,
not from a second reading of the calling-hours law (dialer/runner/callback_board.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from inbound_kit import queue, world

from dialer.engine.callback_status import CallbackState, HeldBy
from dialer.engine.callback_verdicts import (
    ENDED_KEPT,
    ActedVerdict,
    CallbackVerdicts,
    VerdictKind,
)
from dialer.events import QueueCallbackPending
from dialer.ports import DialTarget, GateVerdict

PENDING = QueueCallbackPending(10.0, "cb-1", "sales", "+12025550101", place_at=5.0)
OPENS = 500.0
HOURS = GateVerdict(False, ("state.RI.hours: Fri 11:00 is a holiday",
                            f"earliest-allowed: {datetime.fromtimestamp(OPENS, UTC).isoformat()}"),
                    ("national@t",), "dial:t:hold")
FINAL = GateVerdict(False, ("state.FL.consent: no prior_express_written consent recorded",
                            "final: state.FL.consent: no later moment allows this callback"),
                    ("national@t",), "dial:t:final")
STALE = GateVerdict(False, ("us.national_freshness: national@t is 40 days old",))


class Gate:
    """Refuses with ``verdict`` before ``until``, then allows (with an audit id)."""

    def __init__(self, verdict: GateVerdict | None, until: float = float("inf")) -> None:
        self.verdict = verdict
        self.until = until

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        if self.verdict is not None and at < self.until:
            return self.verdict
        return GateVerdict(True, ("allowed",), decision_id=f"dial:t:{at:g}")


def _only(w, ended_since: float | None = None):
    (status,) = w.engine.queue_callbacks(20, ended_since)
    return status


def test_a_callback_nobody_has_asked_the_gate_about_says_so() -> None:
    w = world(queue(), agents=0, callback_gate=Gate(None))
    w.at(10.0, PENDING)
    w.run(until=20.0)
    status = _only(w)
    assert status.state is CallbackState.IN_LINE and status.verdict is None
    assert not status.queue_staffed
    assert (status.callback_id, status.number, status.place_at) == ("cb-1", "+12025550101", 5.0)


def test_a_held_callback_carries_the_gates_reasons_and_the_instant_it_named() -> None:
    w = world(queue(), callback_gate=Gate(HOURS, until=OPENS))
    w.at(10.0, PENDING)
    w.run(until=100.0)
    status = _only(w)
    assert status.state is CallbackState.HELD and status.held_by is HeldBy.GATE
    assert status.next_try_at == OPENS
    assert status.verdict == ActedVerdict(
        VerdictKind.WAIT, HOURS.reasons, 10.0, "dial:t:hold", OPENS, OPENS)
    assert status.verdict.shown_reasons == ("state.RI.hours: Fri 11:00 is a holiday",)
    # At the instant named the gate allows: dialed, and the verdict kept is that allowance.
    w.run(until=OPENS + 1.0)
    status = _only(w)
    assert status.state is CallbackState.DIALING
    assert status.verdict is not None and status.verdict.kind is VerdictKind.ALLOWED
    assert status.verdict.decision_id == f"dial:t:{OPENS:g}" and status.attempts == 1
    w.run()
    assert w.engine.queue_callbacks(20, 0.0) == ()  # completed: nothing kept about it
    assert w.engine.inbound.verdicts.last("cb-1") is None


def test_a_refusal_naming_no_time_shows_when_the_engine_asks_again() -> None:
    w = world(queue(callback={"max_attempts": 3, "retry_after": 60}), callback_gate=Gate(STALE))
    w.at(10.0, PENDING)
    w.run(until=30.0)
    status = _only(w)
    assert status.state is CallbackState.HELD and status.held_by is HeldBy.GATE
    assert status.verdict is not None and status.verdict.kind is VerdictKind.RETRY
    assert status.verdict.earliest_allowed is None
    assert status.verdict.asked_again_at == status.next_try_at == 70.0
    # Tries used up: failed, and readable with the last refusal until pushed out.
    w.run()
    ended = _only(w, ended_since=0.0)
    assert ended.state is CallbackState.FAILED and ended.ended_at == 130.0
    assert ended.verdict is not None and ended.verdict.kind is VerdictKind.RETRY
    assert ended.verdict.asked_again_at is None and ended.verdict.decided_at == 130.0


def test_a_final_refusal_is_kept_with_its_reasons_and_audit_id_after_the_callback_ends() -> None:
    w = world(queue(), callback_gate=Gate(FINAL))
    w.at(10.0, PENDING)
    w.run()
    assert w.engine.queue_callbacks(20) == ()  # not waiting any more
    ended = _only(w, ended_since=10.0)
    assert ended.state is CallbackState.CANCELLED and ended.attempts == 0
    assert ended.verdict == ActedVerdict(VerdictKind.FINAL, FINAL.reasons, 10.0, "dial:t:final")
    assert w.engine.queue_callbacks(20, ended_since=10.5) == ()


def test_an_opted_out_number_is_kept_with_the_internal_lists_refusal() -> None:
    w = world(queue(), callback_gate=Gate(None))
    w.opted_out.add("+12025550101")
    w.at(10.0, PENDING)
    w.run()
    ended = _only(w, ended_since=0.0)
    assert ended.state is CallbackState.OPTED_OUT
    assert ended.verdict is not None and ended.verdict.kind is VerdictKind.FINAL
    assert ended.verdict.reasons == ("internal DNC: the number opted out",)


def test_an_unanswered_callback_is_held_by_its_attempt_not_by_the_gate() -> None:
    w = world(queue(callback={"retry_after": 60, "ring_timeout": 20}), callback_gate=Gate(None))
    w.callback_answers = False
    w.at(10.0, PENDING)
    w.run(until=12.0)
    status = _only(w)
    assert status.state is CallbackState.DIALING
    assert status.verdict is not None and status.verdict.kind is VerdictKind.ALLOWED
    assert status.verdict.decision_id == "dial:t:10"
    w.run(until=40.0)
    status = _only(w)
    assert status.state is CallbackState.HELD and status.held_by is HeldBy.UNANSWERED
    assert status.next_try_at == 90.0 and status.verdict.kind is VerdictKind.ALLOWED


def test_a_caller_phoning_again_cancels_without_a_gate_record() -> None:
    # Not the gate's doing: the callback leaves the read with nothing kept.
    verdicts = CallbackVerdicts()
    verdicts.acted("cb-1", ActedVerdict(VerdictKind.WAIT, HOURS.reasons, 10.0))
    verdicts.finished("cb-1", "sales", "+12025550101", 5.0, 0, "cancelled", 20.0,
                      by_gate=False)
    assert verdicts.last("cb-1") is None and not verdicts.ended


def test_only_the_most_recent_ended_callbacks_are_kept() -> None:
    verdicts = CallbackVerdicts()
    for i in range(ENDED_KEPT + 5):
        verdicts.acted(f"cb-{i}", ActedVerdict(VerdictKind.FINAL, FINAL.reasons, float(i)))
        verdicts.finished(f"cb-{i}", "sales", "+12025550101", 0.0, 0, "cancelled", float(i),
                          by_gate=True)
    assert [e.callback_id for e in verdicts.ended] == [
        f"cb-{i}" for i in range(5, ENDED_KEPT + 5)]
    assert verdicts.ended[-1].verdict is not None
    assert verdicts.ended[-1].verdict.decided_at == ENDED_KEPT + 4.0


def test_the_read_lists_first_placed_first_up_to_the_limit() -> None:
    w = world(queue(), agents=0, callback_gate=Gate(None))
    for i, place in enumerate((30.0, 10.0, 20.0)):
        w.at(40.0, QueueCallbackPending(40.0, f"cb-{i}", "sales", f"+1202555010{i}",
                                        place_at=place))
    w.run(until=50.0)
    assert [s.callback_id for s in w.engine.queue_callbacks(2)] == ["cb-1", "cb-2"]
