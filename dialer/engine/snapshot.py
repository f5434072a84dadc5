"""What the engine shows the outside: the dashboard snapshot, and the campaign's policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.engine.config import CampaignConfig
from dialer.engine.routed_verdicts import RoutedVerdictCounts
from dialer.errors import DialerError
from pacing_models.interface import PacingDecision, PacingPolicy


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    """What the live dashboard shows; computed on demand, O(calls + agents)."""

    at: float
    calls_by_state: dict[str, int]
    agents_by_state: dict[str, int]
    live_answers_in_window: int
    abandons_in_window: int
    abandon_rate: float
    abandon_target: float
    dials: int
    last_decision: PacingDecision | None
    switches_up: tuple[str, ...]
    routed_verdicts: RoutedVerdictCounts = field(default_factory=RoutedVerdictCounts)
    """AMD machine verdicts sent to a free agent whose call ended unconfirmed
    (``machine_to_free_agent``): kept for the agent's word, confirmed a person or a
    machine, words ignored (unknown, late, duplicate), expired unconfirmed."""


def policy_for(config: CampaignConfig, *, guard: bool = True) -> PacingPolicy:
    """The pacing policy the campaign names, built by ``pacing_models.make_policy``.

    ``power``, ``ratio`` and ``adaptive`` come behind the abandonment-limit guard
    (``pacing_models.limit_guard``), as the runner builds them for a live campaign, unless
    ``guard`` is false (a campaign whose ``compliance.abandon_limit_guard`` is off): the
    config does not carry that setting, so a caller that does not say is guarded."""
    import pacing_models

    make_policy = getattr(pacing_models, "make_policy", None)
    if make_policy is None:
        raise DialerError(
            "pacing_models.make_policy is not available in this build: pass a policy object"
        )
    policy = make_policy(config.pacing_policy, **dict(config.pacing_params))
    if not guard:
        return policy
    from pacing_models.limit_guard import guarded

    return guarded(policy)
