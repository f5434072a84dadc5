"""Simple pacing policies (preview, progressive, power, ratio) and the registry of every policy.

The engine, the simulator and the CLI choose a policy by name through ``make_policy``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pacing_models.errors import InvalidParameterError
from pacing_models.interface import AttemptResult, PacingDecision, PacingPolicy, PacingState
from pacing_models.params import check_params


def calls_in_flight(state: PacingState) -> int:
    """Calls already claiming an agent: ringing, and answered but not yet connected."""
    ringing = state.ringing_lines
    if ringing is None:
        ringing = len(state.ringing_elapsed) + len(state.verdict_elapsed)
    return ringing + state.answered_waiting


def progressive_count(state: PacingState) -> int:
    """One line per free agent not already covered by a ringing or waiting call."""
    return max(0, state.agents_free - calls_in_flight(state))


_DECISIONS_KEPT = 4096
"""Decisions a simple policy keeps by their inputs (then it starts afresh): bounded memory."""


class _Decisions(dict):  # type: ignore[type-arg]
    """A simple policy's decisions by the figures they are made of.

    A decision is immutable and depends only on a few small integers (free agents, calls in
    flight); a pacing decision comes every second, and formatting its explanation was the
    larger part of the policy's work. Each distinct decision is built, explanation included,
    once, and the same (equal) record is handed out again for the same figures."""

    __slots__ = ()

    def keep(self, key: object, decision: PacingDecision) -> PacingDecision:
        if len(self) >= _DECISIONS_KEPT:
            self.clear()
        self[key] = decision
        return decision


class _NoLearning:
    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        """Simple policies do not learn."""

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        """Simple policies do not learn."""


class ProgressivePolicy(_NoLearning):
    """Exactly one line per free agent: every call has an agent waiting for it.

    It never abandons by construction (as long as the driver reserves nothing else for the
    free agents), at the price of the agent's idle time during every ring.
    """

    name = "progressive"
    # What it reads, so the engine builds no per-agent elapsed-time tuples it would ignore.
    state_fields = frozenset({"agents_free", "ringing_lines", "answered_waiting"})
    same_state_same_decision = True
    """Its decision is a function of ``state_fields`` alone (no learning, no clock): the
    engine may hand out an earlier decision again for the same figures."""

    def __init__(self) -> None:
        self._decisions = _Decisions()

    def decide(self, state: PacingState) -> PacingDecision:
        free = state.agents_free
        in_flight = calls_in_flight(state)
        decision = self._decisions.get((free, in_flight))
        if decision is not None:
            return decision
        n = max(0, free - in_flight)  # progressive_count
        return self._decisions.keep((free, in_flight), PacingDecision(
            n, f"progressive: {free} free agent(s) − {in_flight} call(s) in flight → {n}"))


class PreviewPolicy(_NoLearning):
    """Agent-initiated dialing: a call only for an agent who has had the lead on screen.

    ``preview_seconds`` is the time an agent reads a lead before the call is placed; it needs
    ``PacingState.free_elapsed`` (idle time of each free agent). Without it every free agent
    is taken to have finished previewing, which is progressive dialing at one line per agent.
    """

    name = "preview"
    state_fields = frozenset({"agents_free", "ringing_lines", "answered_waiting",
                              "free_elapsed"})

    def __init__(self, preview_seconds: float = 0.0) -> None:
        if not (preview_seconds >= 0 and math.isfinite(preview_seconds)):
            raise InvalidParameterError(f"preview_seconds must be ≥ 0, got {preview_seconds}")
        self.preview_seconds = preview_seconds
        self._decisions = _Decisions()

    def decide(self, state: PacingState) -> PacingDecision:
        if state.free_elapsed:
            ready = sum(1 for idle in state.free_elapsed if idle >= self.preview_seconds)
        else:
            ready = state.agents_free
        n = max(0, min(ready, state.agents_free) - calls_in_flight(state))
        return self._decisions.get((ready, n)) or self._decisions.keep(
            (ready, n), PacingDecision(n, f"preview: {ready} agent(s) done previewing → {n} "
                                          "call(s)"))


class PowerPolicy(_NoLearning):
    """A fixed number of lines per free agent (``lines_per_agent``, VICIdial's dial level).

    The ratio comes from the policy's own parameter or, when not given, from the campaign's
    ``PacingState.lines_per_agent``.
    """

    name = "power"
    state_fields = frozenset({"agents_free", "ringing_lines", "answered_waiting",
                              "lines_per_agent"})
    same_state_same_decision = True
    """Its decision is a function of ``state_fields`` and its own fixed ratio alone."""

    def __init__(self, lines_per_agent: float | None = None) -> None:
        if lines_per_agent is not None and not (1.0 <= lines_per_agent <= 50.0):
            raise InvalidParameterError(
                f"lines_per_agent must be between 1 and 50, got {lines_per_agent}"
            )
        self.lines_per_agent = lines_per_agent
        self._decisions = _Decisions()

    def decide(self, state: PacingState) -> PacingDecision:
        ratio = self.lines_per_agent if self.lines_per_agent is not None else max(
            1.0, state.lines_per_agent
        )
        free = state.agents_free
        goal = math.floor(ratio * free + 1e-9)
        n = max(0, goal - calls_in_flight(state))
        key = (ratio, free, n)
        return self._decisions.get(key) or self._decisions.keep(key, PacingDecision(
            n, f"power {ratio:g}: {goal} line(s) for {free} free agent(s) → {n}"))


def ratio_count(state: PacingState, level: float, available_only: bool = False) -> int:
    """VICIdial's auto-dialer arithmetic: round(level × active agents) − calls that exist.

    Active agents are the free ones and (unless ``available_only``) those on a call; the
    calls that exist are the ringing ones, the answered ones waiting and (with the in-call
    agents counted) the connected ones. At level 1 it is progressive dialing.
    """
    in_call = 0 if available_only else len(state.busy_elapsed)
    goal = round(level * (state.agents_free + in_call))
    lines = len(state.ringing_elapsed) + len(state.verdict_elapsed)  # awaiting AMD: in flight
    return max(0, goal - (lines + state.answered_waiting + in_call))


class RatioPolicy(_NoLearning):
    """A fixed dial level: ``dial_level`` lines per active agent (VICIdial's RATIO method).

    This is what a supervisor sets by hand; ``dialer simulate --best-static`` finds the
    highest level a scenario affords with hindsight, the anchor the adaptive policies are
    compared with. Without ``dial_level`` the campaign's ``PacingState.lines_per_agent``
    holds.
    """

    name = "ratio"
    state_fields = frozenset({"agents_free", "busy_elapsed", "ringing_elapsed", "verdict_elapsed",
                              "answered_waiting", "lines_per_agent"})

    def __init__(self, dial_level: float | None = None) -> None:
        if dial_level is not None and not (1.0 <= dial_level <= 50.0):
            raise InvalidParameterError(f"dial_level must be between 1 and 50, got {dial_level}")
        self.dial_level = dial_level

    def decide(self, state: PacingState) -> PacingDecision:
        level = self.dial_level if self.dial_level is not None else max(
            1.0, state.lines_per_agent)
        n = ratio_count(state, level)
        return PacingDecision(
            n, f"ratio {level:g}: {state.agents_free} free + {len(state.busy_elapsed)} on a "
               f"call → {n}")


def _make_predictive(**params: Any) -> PacingPolicy:
    from pacing_models.predictive import PredictivePolicy

    return PredictivePolicy(**params)


def _make_adaptive(**params: Any) -> PacingPolicy:
    from pacing_models.adaptive import AdaptivePolicy

    return AdaptivePolicy(**params)


_FACTORIES: dict[str, Callable[..., PacingPolicy]] = {
    "preview": PreviewPolicy,
    "progressive": ProgressivePolicy,
    "power": PowerPolicy,
    "ratio": RatioPolicy,
    "predictive": _make_predictive,
    "adaptive": _make_adaptive,
}

POLICY_NAMES: tuple[str, ...] = tuple(_FACTORIES)


def make_policy(name: str, **params: Any) -> PacingPolicy:
    """A fresh policy by name, with its keyword parameters (documented in docs/pacing.md).

    Every parameter is checked against ``pacing_models.params.PARAMETERS`` first: an unknown
    or out-of-range one is one line naming the policy, the parameter and what is valid.
    """
    try:
        factory = _FACTORIES[name.lower()]
    except KeyError:
        raise InvalidParameterError(
            f"unknown pacing policy {name!r}; choose one of {', '.join(POLICY_NAMES)}"
        ) from None
    checked = check_params(name.lower(), params)
    try:
        return factory(**checked)
    except TypeError as error:
        raise InvalidParameterError(f"bad parameters for policy {name!r}: {error}") from None
