"""Which pacing policy a live campaign runs: the ``pacing_models`` policy its settings name.

``FixedRate`` also lives here: the load benchmark's steady number of attempts per second,
agents or not. It is never a campaign setting (it would abandon nearly every answer); the
benchmark passes it to the runner as an object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialer.runner.errors import RunnerError
from pacing_models.interface import AttemptResult, PacingDecision, PacingPolicy, PacingState


class FixedRate:
    """Launch ``rate`` calls per second (fractional remainders carried between decisions)."""

    name = "fixed-rate"

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._carry = 0.0
        self._last: float | None = None

    def decide(self, state: PacingState) -> PacingDecision:
        # By the time actually elapsed: decisions come a little later than the interval.
        elapsed = state.decision_interval if self._last is None else state.now - self._last
        self._last = state.now
        wanted = self.rate * min(elapsed, 5 * state.decision_interval) + self._carry
        n = int(wanted)
        self._carry = wanted - n
        return PacingDecision(n, f"load generator: {self.rate:g} attempts/s")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        pass

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass


def build_policy(campaign: str, name: str, params: Mapping[str, Any], *,
                 guard: bool = True) -> PacingPolicy:
    """The campaign's policy, checked again at run start (settings are validated when set,
    but a campaign stored before that check, or written by hand, is not trusted).

    No fallback: an unknown name or parameter refuses to start with one line naming it and
    the valid choices. ``power``, ``ratio`` and ``adaptive`` run behind the abandonment-limit
    guard (``pacing_models.limit_guard``) unless ``guard`` is false: the campaign's
    ``compliance.abandon_limit_guard`` (``campaigns.settings.limit_guard_on``), which a
    telemarketing campaign cannot switch off.
    """
    from campaigns.settings import PacingSettingsError, build_pacing_policy

    try:
        return build_pacing_policy(name, params, guard=guard)
    except PacingSettingsError as error:
        raise RunnerError(f"campaign {campaign!r} cannot start: {error} (fix it with "
                          f"`dialer campaign edit {campaign} --pacing NAME` or "
                          f"--set pacing_params=...)") from None
