"""A tiny progressive policy for the adapter tests (pacing_models' own may not be built yet)."""

from __future__ import annotations

from pacing_models.interface import AttemptResult, PacingDecision, PacingState


class Progressive:
    name = "progressive"

    def decide(self, state: PacingState) -> PacingDecision:
        n = state.agents_free - len(state.ringing_elapsed) - state.answered_waiting
        return PacingDecision(max(0, n), "one line per free agent")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        pass

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass
