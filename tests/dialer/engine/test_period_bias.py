"""Pacing's model-bias loop reads the abandons that happened, whatever measurement binds.

The ledger hands pacing the counts of the rolling window or of the campaign's current
period, whichever binds (ledger.py), and those counts jump when the binding measurement
switches or a new period begins. The running totals the engine also hands
(``PacingState.abandons_seen``, ``live_answers_seen``) do not: the predictive policy's
realised abandons between two decisions are the abandons that came between them.
"""

from __future__ import annotations

import math

from engine_kit import make_engine
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.predictive import _BIAS_MEMORY, PredictivePolicy

WINDOW = 100.0


def test_a_new_period_resets_its_counts_not_the_running_totals() -> None:
    engine, _, _, _ = make_engine(ledger_window=WINDOW, abandon_period_start=0.0)
    ledger = engine.ledger
    for i in range(60):
        entry = ledger.record_live(50.0 + i * 0.5)
        if i < 1:
            ledger.mark_abandoned(entry)
    before = engine.pacing_state(99.0)
    after = engine.pacing_state(101.0)  # the second period begins: none of its own yet
    assert (before.live_answers_in_window, before.abandons_in_window) == (60, 1)
    assert (after.live_answers_in_window, after.abandons_in_window) == (0, 0)
    assert (after.window_live_answers, after.window_abandons) == (60, 1)
    assert (after.period_live_answers, after.period_abandons) == (0, 0)
    assert (after.live_answers_seen, after.abandons_seen) == (60, 1)


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("live"), st.integers(1, 40)),
        st.tuples(st.just("abandon"), st.integers(0, 10_000)),
        st.tuples(st.just("amd"), st.integers(1, 3)),
        st.tuples(st.just("machine"), st.integers(0, 10_000)),
        st.tuples(st.just("shared"), st.integers(0, 500), st.integers(0, 15)),
        st.tuples(st.just("wait"), st.floats(0.0, 2.5 * WINDOW)),
        st.tuples(st.just("decide"), st.floats(0.0, 30.0)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(_ops, st.floats(-WINDOW, WINDOW), st.floats(0.0, 0.5))
def test_the_bias_loop_counts_the_abandons_between_decisions_under_any_switch(
        ops: list[tuple], origin: float, target: float) -> None:
    """Any answers, abandons (the model's and AMD's), machine corrections, other processes'
    counts and waits across windows and periods (so the binding measurement switches
    whenever it will): the policy's realised abandons are exactly the abandons this engine
    recorded between its decisions, less AMD's, decayed as the loop decays them."""
    engine, _, _, _ = make_engine(ledger_window=WINDOW, abandon_period_start=origin,
                                  abandon_target=target)
    ledger = engine.ledger
    policy = PredictivePolicy()
    clock, expected, happened, decided_at = 0.0, 0.0, 0, None
    entries: list = []
    for op in ops:
        if op[0] == "live":
            for _ in range(op[1]):
                entries.append(ledger.record_live(clock))
        elif op[0] == "abandon" and entries:
            entry = entries[op[1] % len(entries)]
            if entry[1] and not entry[2]:
                ledger.mark_abandoned(entry)
                happened += 1
        elif op[0] == "amd":
            for _ in range(op[1]):  # a person hung up on as a machine (call_flow.py)
                ledger.mark_abandoned(ledger.record_live(clock))
                engine.call_flow.amd_abandons += 1
        elif op[0] == "machine" and entries:
            entry = entries[op[1] % len(entries)]
            if not entry[2]:  # an answer found to be a machine: no longer a live answer
                ledger.uncount(entry)
        elif op[0] == "shared":
            ledger.set_shared_counts(op[1], min(op[2], op[1]))
        elif op[0] == "wait":
            clock += op[1]
        elif op[0] == "decide":
            clock += op[1]
            state = engine.pacing_state(clock)
            # The loop learns once per instant: at the first decision, and at each later
            # one past the last decision's instant (a wait before this op counts too).
            moved = decided_at is None or clock > decided_at
            policy.decide(state)
            if moved:
                expected = expected * _BIAS_MEMORY + (happened if decided_at is not None
                                                      else 0)
                happened = 0
                decided_at = clock
            assert math.isclose(policy._realised, expected, rel_tol=1e-12, abs_tol=1e-12)
