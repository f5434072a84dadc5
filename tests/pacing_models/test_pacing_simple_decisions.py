"""Progressive, preview and power keep each distinct decision once built (policies.py,
``_Decisions``): what they hand out must be what they would build afresh, for any sequence
of states, also once the kept decisions are cleared to bound memory."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from pacing_models import policies
from pacing_models.interface import PacingDecision, PacingState
from pacing_models.policies import PowerPolicy, PreviewPolicy, ProgressivePolicy

states = st.builds(
    lambda free, ringing, waiting, lines, idle: PacingState(
        now=100.0, agents_free=free, ringing_lines=ringing, answered_waiting=waiting,
        lines_per_agent=lines, free_elapsed=tuple(idle[:free])),
    st.integers(0, 30), st.integers(0, 60), st.integers(0, 5),
    st.sampled_from([1.0, 1.5, 2.0, 2.5]), st.lists(st.floats(0.0, 30.0), max_size=30),
)


def progressive(state: PacingState) -> PacingDecision:
    in_flight = state.ringing_lines + state.answered_waiting
    n = max(0, state.agents_free - in_flight)
    return PacingDecision(
        n, f"progressive: {state.agents_free} free agent(s) − {in_flight} call(s) in flight → {n}")


def preview(state: PacingState, seconds: float) -> PacingDecision:
    ready = (sum(1 for idle in state.free_elapsed if idle >= seconds) if state.free_elapsed
             else state.agents_free)
    n = max(0, min(ready, state.agents_free) - state.ringing_lines - state.answered_waiting)
    return PacingDecision(n, f"preview: {ready} agent(s) done previewing → {n} call(s)")


def power(state: PacingState, ratio: float | None) -> PacingDecision:
    ratio = ratio if ratio is not None else max(1.0, state.lines_per_agent)
    goal = math.floor(ratio * state.agents_free + 1e-9)
    n = max(0, goal - state.ringing_lines - state.answered_waiting)
    return PacingDecision(
        n, f"power {ratio:g}: {goal} line(s) for {state.agents_free} free agent(s) → {n}")


@given(st.lists(states, max_size=40), st.sampled_from([0.0, 5.0, 12.5]),
       st.sampled_from([None, 1.0, 3.0]))
def test_kept_decisions_are_the_ones_built_afresh(sequence, seconds, ratio) -> None:
    chosen = (ProgressivePolicy(), PreviewPolicy(seconds), PowerPolicy(ratio))
    for state in sequence + sequence:  # the second pass is served from what was kept
        assert chosen[0].decide(state) == progressive(state)
        assert chosen[1].decide(state) == preview(state, seconds)
        assert chosen[2].decide(state) == power(state, ratio)


def test_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(policies, "_DECISIONS_KEPT", 8)
    policy = ProgressivePolicy()
    for free in range(30):
        state = PacingState(now=0.0, agents_free=free, ringing_lines=1)
        assert policy.decide(state) == progressive(state)
        assert len(policy._decisions) <= 8
