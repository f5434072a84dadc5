"""The abandonment-limit guard: any pacing policy held to the limit by construction.

``power``, ``ratio`` and ``adaptive`` (VICIdial's ADAPT_* baseline) dial by a ratio, not by
a model of abandonment, and nothing in them keeps a campaign within 47 CFR 64.1200(a)(7)
(at most 3 % of live answers abandoned per campaign per 30-day period): the quality suite
measures adaptive at 3.0–10.7 % at five and ten agents, and power at 3 lines per agent
abandons freely. ``LimitGuard`` is composed around such a policy (it holds the policy, it
is not mixed into it): it forwards every decision and observation to it and lowers a
decision that could take the campaign past the limit.

The bound is a worst case, not a forecast. A call can only be abandoned if, when its
person answers, no agent is free for it; the lines in flight (ringing, awaiting AMD's
verdict, answered and waiting) beyond the agents free now, ``ringing_lines +
answered_waiting + n − agents_free``, therefore bound the abandons still to come from the
calls placed so far and the ``n`` placed now. The guard allows ``n`` only while that excess
stays within the binding window's slack in whole abandons, ``floor(target·L − A −
reserve)`` (L, A: live answers and abandons of the window or period that binds, which
``PacingState`` carries); otherwise it places the most calls that keep it so, and never
fewer than progressive dialing would (one line per free agent: no excess at all). Each
excess line that abandons also adds a live answer, so the rate stays at or under the
target even if no other answer comes. This is VICIdial's ADAPT_HARD_LIMIT idea (drop to
level 1 at the limit) made safe before the fact instead of after it: between two decisions
no event can make the excess outgrow the slack by itself (an abandon spends one unit of
slack and takes one line out of flight; an agent taken by a call takes one line with it;
an answer grows the slack).

What it does not bound, as progressive dialing does not either: an agent who leaves
(pauses, logs out) or an inbound caller beyond the blending reserve (``agents_reserved``:
the policy already sees the free agents net of it) takes a free agent a line was counted
against; AMD charges a person it hangs up on (a correction, or the false-positive estimate)
to a line an agent was free for; and a new 30-day period begins with the previous one's
lines still in flight. The reserve (one abandon by default) absorbs the window rolling
between decisions; docs/pacing.md, "The abandonment-limit guard", has the measurements.
"""

from __future__ import annotations

import math
from typing import Any

from pacing_models.errors import InvalidParameterError
from pacing_models.interface import (
    AttemptResult,
    PacingDecision,
    PacingPolicy,
    PacingState,
    deferred_decision,
)
from pacing_models.policies import calls_in_flight

GUARDED_POLICIES = frozenset({"power", "ratio", "adaptive"})
"""The policies a live campaign runs behind the guard: they dial ahead of free agents by a
ratio and keep no abandonment budget of their own. ``predictive`` keeps its own budget
(docs/pacing.md, "The live envelope"); ``progressive`` and ``preview`` never dial ahead."""

LIMIT_GUARD_MARK = "limit guard:"
"""The words a decision's explanation starts with when the guard lowered it; the dashboard
looks for them (``limit_guard_clamped``)."""

GUARD_FIELDS = frozenset({"agents_free", "ringing_lines", "answered_waiting",
                          "live_answers_in_window", "abandons_in_window", "abandon_target"})
"""The ``PacingState`` fields the guard reads (all counts the engine always fills)."""

OBSERVER_HOOKS = ("observe_machine_routed", "observe_machine_handle", "observe_verdict")
"""The optional observer methods (``MachineObserver``, ``VerdictObserver``) the engine
looks up with ``getattr``: the guard has one exactly when its inner policy has it, so the
engine reports to the inner policy as it would without the guard (without
``observe_machine_handle`` a machine's handle goes to ``observe_handle``)."""

DEFAULT_RESERVE_ABANDONS = 1.0
"""Abandons kept out of the slack: answers leaving the rolling window lower target·L while
lines are in flight (a 30-day window loses a few answers in the half minute a line rings,
a few hundredths of an abandon), and one whole abandon keeps the bound whole."""


def limit_guard_clamped(explanation: str | None) -> bool:
    """Whether a decision's explanation says the limit guard lowered it."""
    return explanation is not None and explanation.startswith(LIMIT_GUARD_MARK)


def limit_guard_reason(explanation: str | None) -> str | None:
    """What the guard held the decision to and why ("progressive, window slack 0
    abandon(s) (31/1,040)"), from a decision's explanation; None if it did not."""
    if not limit_guard_clamped(explanation):
        return None
    assert explanation is not None
    return explanation[len(LIMIT_GUARD_MARK):].split(": ", 1)[0].strip()


def window_slack(state: PacingState, reserve_abandons: float) -> int:
    """Abandons the binding window can still take and stay at or under the target, less the
    reserve, in whole abandons (negative when it cannot take one)."""
    # 1e-9: target·L is 3.0 in exact arithmetic when it prints 2.9999999999999996.
    return math.floor(state.abandon_target * state.live_answers_in_window
                      - state.abandons_in_window - reserve_abandons + 1e-9)


def _explain(name: str, wanted: int, n: int, progressive: bool, slack: int, abandons: int,
             live: int, free: int, in_flight: int) -> str:
    held = "progressive" if progressive else f"{n} of {name}'s {wanted} call(s)"
    return (f"{LIMIT_GUARD_MARK} {held}, window slack {max(slack, 0)} abandon(s) "
            f"({abandons:,}/{live:,}): {name} wanted {wanted}; {free} free agent(s), "
            f"{in_flight} line(s) in flight → {n}")


class LimitGuard:
    """``inner`` held to the campaign's abandonment limit (module docstring).

    The guard's ``name`` is the inner policy's (settings, reports and the dashboard name
    the policy the campaign chose); ``guarded`` says it is guarded. ``state_fields`` is
    the inner policy's together with the guard's own counts (the engine builds only the
    fields a policy names), or undeclared when the inner policy reads every field. It makes
    no ``same_state_same_decision`` promise: its decision depends on the window's counts,
    which the engine's reuse key does not hold.
    """

    guarded = True

    def __init__(self, inner: PacingPolicy,
                 reserve_abandons: float = DEFAULT_RESERVE_ABANDONS) -> None:
        if isinstance(inner, LimitGuard):
            raise InvalidParameterError("the limit guard is already around this policy")
        if not (0.0 <= reserve_abandons <= 1000.0):
            raise InvalidParameterError(
                f"reserve_abandons must be between 0 and 1000, got {reserve_abandons}")
        self.inner = inner
        self.name: str = inner.name
        self.reserve_abandons = reserve_abandons
        declared = getattr(inner, "state_fields", None)
        self.state_fields: frozenset[str] | None = (
            None if declared is None else frozenset(declared) | GUARD_FIELDS)
        for hook in OBSERVER_HOOKS:
            method = getattr(inner, hook, None)
            if method is not None:
                setattr(self, hook, method)
        self.decisions = 0
        """Decisions asked of the guard."""
        self.clamped = 0
        """Of them, those it lowered."""

    def decide(self, state: PacingState) -> PacingDecision:
        decision = self.inner.decide(state)
        self.decisions += 1
        wanted = decision.calls_to_launch
        free = state.agents_free
        in_flight = calls_in_flight(state)
        slack = window_slack(state, self.reserve_abandons)
        allowed = slack + free - in_flight
        if wanted <= allowed:
            return decision
        progressive = max(free - in_flight, 0)
        n = max(progressive, allowed)
        if n >= wanted:
            return decision
        self.clamped += 1
        return deferred_decision(
            n, 0.0 if n == progressive else decision.expected_abandons, _explain,
            (self.name, wanted, n, n == progressive, slack, state.abandons_in_window,
             state.live_answers_in_window, free, in_flight),
            decision.hang_up_ringing_after)

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self.inner.observe_attempt(result, ring_seconds, at)

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self.inner.observe_handle(talk_seconds, wrap_seconds, at)

    def __repr__(self) -> str:
        return f"LimitGuard({self.inner!r}, reserve_abandons={self.reserve_abandons:g})"


def guarded(policy: PacingPolicy, **guard: Any) -> PacingPolicy:
    """``policy`` behind the limit guard when it is one of ``GUARDED_POLICIES`` (and not
    already guarded); any other policy as it is."""
    if isinstance(policy, LimitGuard) or policy.name not in GUARDED_POLICIES:
        return policy
    return LimitGuard(policy, **guard)
