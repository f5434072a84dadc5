"""Property: what the engine says of each queue callback (``Engine.queue_callbacks``, the
console's "why has this caller not been called back?") is the gate's own last answer and the
engine's actual next step, whatever the gate answers when.

A gate answers each callback turn from a drawn script (allow; refuse naming an instant, in
whole seconds from now as gates name them; refuse naming none; refuse for good); callbacks
are restored at drawn instants, answered or not. At every step: a callback held by the gate
stands on a refusal whose reasons are exactly those the gate gave at that instant, and its
next try is the instant the engine will ask again; one being dialed stands on an allowance;
one back in line has reached the instant it was held to; a callback the gate ended is read
with the refusal that ended it, at that instant.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from inbound_kit import queue, world

from dialer.engine.callback_status import CallbackState, HeldBy
from dialer.engine.callback_verdicts import VerdictKind
from dialer.events import QueueCallbackPending
from dialer.ports import DialTarget, GateVerdict

ANSWERS = st.sampled_from(["allow", "wait", "retry", "final"])


class ScriptedGate:
    """Answers turn after turn from ``script`` (cycled); remembers each answer."""

    def __init__(self, script: list[tuple[str, float]]) -> None:
        self.script = script
        self.turn = 0
        self.answers: dict[tuple[str, float], GateVerdict] = {}

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        kind, delay = self.script[self.turn % len(self.script)]
        self.turn += 1
        if kind == "allow":
            verdict = GateVerdict(True, ("allowed",), decision_id=f"dial:{self.turn}")
        elif kind == "wait":
            until = datetime.fromtimestamp(at + delay, UTC).isoformat()
            verdict = GateVerdict(False, (f"state.RI.hours: closed (turn {self.turn})",
                                          f"earliest-allowed: {until}"),
                                  decision_id=f"dial:{self.turn}")
        elif kind == "retry":
            verdict = GateVerdict(False, (f"us.national_freshness: stale (turn {self.turn})",))
        else:
            verdict = GateVerdict(False, (f"state.FL.consent: none (turn {self.turn})",
                                          "final: state.FL.consent: no later moment"),
                                  decision_id=f"dial:{self.turn}")
        self.answers[(target.lead_id.removeprefix("queue-callback:"), at)] = verdict
        return verdict


@settings(max_examples=50, deadline=None)
@given(script=st.lists(st.tuples(ANSWERS, st.integers(0, 400).map(float)), min_size=1,
                      max_size=8),
       restored=st.lists(st.floats(0.0, 300.0), min_size=1, max_size=5),
       agents=st.integers(0, 2), answered=st.booleans())
def test_the_read_is_the_gates_last_answer_and_the_engines_next_step(
        script, restored, agents, answered) -> None:
    gate = ScriptedGate(script)
    w = world(queue(callback={"max_attempts": 3, "retry_after": 60, "ring_timeout": 20}),
              agents=agents, callback_gate=gate)
    w.callback_answers = answered
    for i, at in enumerate(restored):
        w.at(at, QueueCallbackPending(at, f"cb-{i}", "sales", f"+1401555016{i}", place_at=at))
    now = 0.0
    while now < 3000.0:
        now += 7.0
        w.run(until=now)
        _check(w.engine.queue_callbacks(len(restored), ended_since=0.0), gate, w.now)


def _check(statuses, gate: ScriptedGate, now: float) -> None:
    for status in statuses:
        verdict = status.verdict
        asked = [at for key, at in gate.answers if key == status.callback_id]
        # The last answer the gate gave about it, or none before its first turn.
        assert (verdict.decided_at if verdict is not None else None) == max(asked, default=None)
        if verdict is not None and verdict.kind is not VerdictKind.ALLOWED and \
                verdict.reasons != ("internal DNC: the number opted out",):
            # Exactly what the gate answered, at the instant it answered.
            assert gate.answers[(status.callback_id, verdict.decided_at)].reasons == \
                verdict.reasons
        state = status.state
        if state is CallbackState.HELD:
            assert verdict is not None and status.next_try_at is not None
            assert status.next_try_at == verdict.asked_again_at or \
                status.held_by is HeldBy.UNANSWERED
            if status.held_by is HeldBy.GATE:
                assert verdict.kind in (VerdictKind.WAIT, VerdictKind.RETRY)
                assert status.next_try_at > verdict.decided_at
            else:
                assert verdict.kind is VerdictKind.ALLOWED
        elif state in (CallbackState.DIALING, CallbackState.CONNECTED):
            assert verdict is not None and verdict.kind is VerdictKind.ALLOWED
            assert verdict.not_placed is None
        elif state is CallbackState.IN_LINE:
            assert verdict is None or verdict.asked_again_at is None or \
                verdict.asked_again_at <= now
        else:  # ended by the gate
            assert verdict is not None and status.ended_at == verdict.decided_at
            assert verdict.kind is (VerdictKind.RETRY if state is CallbackState.FAILED
                                    else VerdictKind.FINAL)
