"""Inverse Erlang problems: how many agents for a target, how much traffic for n agents.

Every measure used here is monotone (service level rises and P(abandon), P(wait), blocking
fall with more agents; the opposite with more traffic), so the fewest agents is found by
galloping then bisection on integers, and the most traffic by bisection on the reals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pacing_models.erlang import erlang_a, erlang_b, erlang_c_measures
from pacing_models.errors import InfeasibleTargetError, InvalidParameterError

MAX_AGENTS = 100_000


class Model(StrEnum):
    """Which queueing model a staffing question is asked of."""

    B = "b"  # blocked calls cleared (trunks, or a dialer with no queue)
    C = "c"  # infinite patience
    A = "a"  # exponential patience (abandonment)


class Goal(StrEnum):
    """What the target constrains."""

    SERVICE_LEVEL = "service-level"  # P(answered within t) ≥ target
    ABANDON = "abandon"  # P(abandon) ≤ target (Erlang A)
    BLOCKING = "blocking"  # P(blocked) ≤ target (Erlang B)
    ASA = "asa"  # average speed of answer ≤ target seconds


@dataclass(frozen=True, slots=True)
class StaffingQuestion:
    """A target on one measure of one model; ``target`` is a fraction or, for ASA, seconds."""

    model: Model
    goal: Goal
    target: float
    aht: float = 180.0
    within: float = 20.0
    patience: float | None = None


def achieved(question: StaffingQuestion, agents: int, traffic: float) -> float:
    """The measured value of the question's goal with ``agents`` at ``traffic``."""
    q = question
    if q.model is Model.B:
        if q.goal is not Goal.BLOCKING:
            raise InvalidParameterError("Erlang B answers only the 'blocking' goal")
        return erlang_b(agents, traffic)
    if q.model is Model.C:
        result = erlang_c_measures(agents, traffic, q.aht, q.within)
        if q.goal is Goal.SERVICE_LEVEL:
            return result.service_level
        if q.goal is Goal.ASA:
            return result.asa
        raise InvalidParameterError(
            f"Erlang C answers 'service-level' and 'asa', not {q.goal.value!r}"
        )
    if q.patience is None:
        raise InvalidParameterError("Erlang A needs --patience (mean seconds before hang-up)")
    result_a = erlang_a(agents, traffic, q.aht, q.patience, q.within)
    if q.goal is Goal.SERVICE_LEVEL:
        return result_a.service_level
    if q.goal is Goal.ABANDON:
        return result_a.p_abandon
    if q.goal is Goal.ASA:
        return result_a.asa
    raise InvalidParameterError("Erlang A answers 'service-level', 'abandon' and 'asa'")


def _meets(question: StaffingQuestion) -> Callable[[float], bool]:
    if question.goal is Goal.SERVICE_LEVEL:
        return lambda value: value >= question.target
    return lambda value: value <= question.target


def _validate(question: StaffingQuestion) -> None:
    if question.goal is Goal.ASA:
        if not (question.target >= 0 and math.isfinite(question.target)):
            raise InvalidParameterError(f"ASA target must be ≥ 0 seconds, got {question.target}")
    elif not 0.0 <= question.target <= 1.0:
        raise InvalidParameterError(
            f"target must be a fraction between 0 and 1, got {question.target} "
            "(write 0.8 for 80 %)"
        )


def agents_needed(question: StaffingQuestion, traffic: float, max_agents: int = MAX_AGENTS
                  ) -> int:
    """Fewest agents whose measure meets the target at ``traffic`` Erlangs, at most
    ``max_agents`` (more raises: the command line sizes only where the formulas are exact)."""
    _validate(question)
    meets = _meets(question)
    if traffic <= 0:
        return 0 if meets(achieved(question, 0, 0.0)) else 1
    # Erlang C needs n > A to be stable; start there. B and A are stable at any n.
    low = math.floor(traffic) if question.model is Model.C else 0
    if meets(achieved(question, low, traffic)):
        return low
    step = max(1, int(math.sqrt(traffic)))
    high = min(low + step, max_agents)
    while not meets(achieved(question, high, traffic)):
        if high >= max_agents:
            raise InfeasibleTargetError(
                f"no staffing up to {max_agents:,} agents meets {question.goal.value} "
                f"{question.target} at {traffic:.4g} Erlangs"
            )
        # The last step ends at max_agents: a gallop past it gave up on a count below it.
        low, step = high, step * 2
        high = min(low + step, max_agents)
    while high - low > 1:  # invariant: low fails, high meets
        mid = (low + high) // 2
        if meets(achieved(question, mid, traffic)):
            high = mid
        else:
            low = mid
    return high


def max_traffic(question: StaffingQuestion, agents: int, rel_tol: float = 1e-10) -> float:
    """Most traffic (Erlangs) that ``agents`` can carry while meeting the target."""
    _validate(question)
    if agents <= 0:
        raise InvalidParameterError("agents must be ≥ 1 to carry any traffic")
    meets = _meets(question)
    tiny = 1e-12
    if not meets(achieved(question, agents, tiny)):
        raise InfeasibleTargetError(
            f"{agents} agents cannot meet {question.goal.value} {question.target} at any load"
        )
    low = tiny
    high = float(agents) if question.model is Model.C else 2.0 * agents
    while question.model is not Model.C and meets(achieved(question, agents, high)):
        low, high = high, high * 2
        if high > 1e9:
            return math.inf
    while high - low > rel_tol * high:
        mid = 0.5 * (low + high)
        if meets(achieved(question, agents, mid)):
            low = mid
        else:
            high = mid
    return low
