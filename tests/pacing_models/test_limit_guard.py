"""The abandonment-limit guard (pacing_models/limit_guard.py): a policy held to the limit
by construction, whatever it asks for."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models import make_policy
from pacing_models.errors import InvalidParameterError
from pacing_models.interface import AttemptResult, PacingDecision, PacingPolicy, PacingState
from pacing_models.limit_guard import (
    GUARD_FIELDS,
    LimitGuard,
    guarded,
    limit_guard_clamped,
    limit_guard_reason,
    window_slack,
)


class Asks:
    """An inner policy that asks for whatever the test says, and records what it hears."""

    name = "power"
    state_fields = frozenset({"agents_free", "lines_per_agent"})

    def __init__(self, wanted: int = 0) -> None:
        self.wanted = wanted
        self.heard: list[tuple] = []

    def decide(self, state: PacingState) -> PacingDecision:
        return PacingDecision(self.wanted, f"asks {self.wanted}", 0.5, 20.0)

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self.heard.append(("attempt", result, ring_seconds, at))

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self.heard.append(("handle", talk_seconds, wrap_seconds, at))


def _state(free: int, ringing: int, waiting: int, live: int, abandons: int,
           target: float = 0.03) -> PacingState:
    return PacingState(now=0.0, agents_free=free, ringing_lines=ringing,
                       answered_waiting=waiting, live_answers_in_window=live,
                       abandons_in_window=abandons, abandon_target=target)


states = st.builds(
    _state, free=st.integers(0, 60), ringing=st.integers(0, 200), waiting=st.integers(0, 20),
    live=st.integers(0, 20_000), abandons=st.integers(0, 700),
    target=st.sampled_from([0.03, 0.02, 0.01, 0.0]))


@settings(max_examples=400, deadline=None)
@given(state=states, wanted=st.integers(0, 500),
       reserve=st.sampled_from([0.0, 1.0, 2.5]))
def test_a_guarded_decision_never_commits_more_lines_than_the_window_can_abandon(
        state: PacingState, wanted: int, reserve: float) -> None:
    """Lines in flight beyond the free agents bound the abandons still to come: above
    progressive's count, a guarded decision keeps them within the window's slack; it
    never goes below progressive's count (nor the policy's own, if lower), nor above what
    the policy asked."""
    n = LimitGuard(Asks(wanted), reserve_abandons=reserve).decide(state).calls_to_launch
    in_flight = state.ringing_lines + state.answered_waiting
    progressive = max(0, state.agents_free - in_flight)
    slack = math.floor(state.abandon_target * state.live_answers_in_window
                       - state.abandons_in_window - reserve + 1e-9)
    assert 0 <= n <= wanted
    assert n >= min(wanted, progressive)
    if n > progressive:
        assert in_flight + n - state.agents_free <= slack
    # The most the slack allows: not one call less than it can afford.
    assert n == min(wanted, max(progressive, slack + state.agents_free - in_flight))


@dataclass
class Campaign:
    """A campaign as the guard's bound sees it: agents free, lines ringing, people waiting
    for an agent, and the window's counts. The engine connects a person to a free agent at
    once, so a person waits only when no agent is free, and only a waiting person can be
    abandoned."""

    free: int
    ringing: int = 0
    waiting: int = 0
    live: int = 0
    abandons: int = 0

    def state(self, target: float) -> PacingState:
        return _state(self.free, self.ringing, self.waiting, self.live, self.abandons, target)

    def answer(self) -> None:
        if self.ringing:
            self.ringing -= 1
            self.live += 1
            if self.free:
                self.free -= 1  # connected at once
            else:
                self.waiting += 1

    def ring_out(self) -> None:
        self.ringing = max(0, self.ringing - 1)

    def abandon(self) -> None:
        if self.waiting:
            self.waiting -= 1
            self.abandons += 1

    def agent_frees(self) -> None:
        if self.waiting:
            self.waiting -= 1  # takes the person waiting longest
        else:
            self.free += 1


EVENTS = {"answer": Campaign.answer, "ring_out": Campaign.ring_out,
          "abandon": Campaign.abandon, "agent_frees": Campaign.agent_frees}


@settings(max_examples=300, deadline=None)
@given(free=st.integers(0, 30), live=st.integers(0, 3000), spent=st.floats(0, 1),
       target=st.sampled_from([0.03, 0.02]),
       steps=st.lists(st.tuples(st.integers(0, 400),
                                st.lists(st.sampled_from(sorted(EVENTS)), max_size=40)),
                      min_size=1, max_size=30))
def test_no_sequence_of_answers_and_abandons_takes_a_guarded_campaign_past_the_limit(
        free: int, live: int, spent: float, target: float,
        steps: list[tuple[int, list[str]]]) -> None:
    """Whatever the policy asks at each decision and whatever happens between decisions
    (answers, rings out, people hanging up while they wait, agents freeing), a campaign
    that starts within the limit stays within it: the abandons the guard lets the policy
    risk are paid for before they happen, never found afterwards."""
    campaign = Campaign(free=free, live=live,
                        abandons=math.floor(spent * target * live + 1e-9))
    inner = Asks()
    guard = LimitGuard(inner)
    for wanted, events in steps:
        inner.wanted = wanted
        campaign.ringing += guard.decide(campaign.state(target)).calls_to_launch
        for event in events:
            EVENTS[event](campaign)
            assert campaign.abandons <= target * campaign.live + 1e-9, campaign


def test_a_decision_within_the_slack_is_the_policys_own() -> None:
    inner = Asks(wanted=5)
    decision_of = inner.decide(_state(2, 0, 0, 1000, 0))
    guard = LimitGuard(inner)
    decision = guard.decide(_state(2, 0, 0, 1000, 0))  # slack 29: 3 beyond the agents
    assert decision == decision_of
    assert not limit_guard_clamped(decision.explanation)
    assert (guard.decisions, guard.clamped) == (1, 0)


def test_a_window_without_slack_holds_the_policy_to_progressive_and_says_why() -> None:
    guard = LimitGuard(Asks(wanted=12))
    decision = guard.decide(_state(4, 1, 0, 1040, 31))  # 0.03 × 1040 − 31 − 1 < 0
    assert decision.calls_to_launch == 3
    assert decision.explanation.startswith(
        "limit guard: progressive, window slack 0 abandon(s) (31/1,040)")
    assert limit_guard_reason(decision.explanation) == \
        "progressive, window slack 0 abandon(s) (31/1,040)"
    assert decision.hang_up_ringing_after == 20.0  # the policy's own shedding is kept
    assert guard.clamped == 1


def test_some_slack_allows_part_of_the_policys_calls() -> None:
    guard = LimitGuard(Asks(wanted=12))
    decision = guard.decide(_state(4, 0, 0, 1000, 25))  # slack floor(30 − 25 − 1) = 4
    assert decision.calls_to_launch == 8
    assert limit_guard_reason(decision.explanation) == \
        "8 of power's 12 call(s), window slack 4 abandon(s) (25/1,000)"


def test_the_guard_reads_the_policys_fields_and_its_own() -> None:
    """The engine builds only the fields a policy names: the guard names the union, or
    none (every field) for a policy that declares none (adaptive)."""
    assert LimitGuard(Asks()).state_fields == Asks.state_fields | GUARD_FIELDS
    adaptive = make_policy("adaptive")
    assert getattr(adaptive, "state_fields", None) is None
    assert LimitGuard(adaptive).state_fields is None


def test_the_guard_makes_no_same_state_promise() -> None:
    """Power's decision depends on its counts alone, the guard's on the window's too: the
    engine must not reuse a guarded decision on the same counts."""
    from dialer.engine.dialing import reuses_decisions

    power = make_policy("power", lines_per_agent=3)
    assert reuses_decisions(power)
    assert not reuses_decisions(LimitGuard(power))


def test_the_guard_forwards_observations_and_has_a_hook_exactly_when_the_policy_does(
) -> None:
    inner = Asks()
    guard = LimitGuard(inner)
    guard.observe_attempt(AttemptResult.LIVE, 7.0, 3.0)
    guard.observe_handle(60.0, 15.0, 90.0)
    assert inner.heard == [("attempt", AttemptResult.LIVE, 7.0, 3.0),
                           ("handle", 60.0, 15.0, 90.0)]
    for hook in ("observe_machine_routed", "observe_machine_handle", "observe_verdict"):
        assert getattr(guard, hook, None) is None

    class Learns(Asks):
        def observe_machine_routed(self, ring_seconds: float, at: float) -> None:
            self.heard.append(("routed", ring_seconds, at))

        def observe_machine_handle(self, talk: float, wrap: float, at: float) -> None:
            self.heard.append(("machine", talk, wrap, at))

        def observe_verdict(self, delay_seconds: float, at: float) -> None:
            self.heard.append(("verdict", delay_seconds, at))

    learns = Learns()
    guard = LimitGuard(learns)
    guard.observe_machine_routed(4.0, 1.0)  # type: ignore[attr-defined]
    guard.observe_machine_handle(5.0, 0.0, 2.0)  # type: ignore[attr-defined]
    guard.observe_verdict(2.5, 3.0)  # type: ignore[attr-defined]
    assert learns.heard == [("routed", 4.0, 1.0), ("machine", 5.0, 0.0, 2.0),
                            ("verdict", 2.5, 3.0)]
    assert isinstance(guard, PacingPolicy)


def test_only_the_ratio_policies_are_guarded() -> None:
    for name in ("power", "ratio", "adaptive"):
        policy = guarded(make_policy(name))
        assert isinstance(policy, LimitGuard) and policy.name == name
        assert guarded(policy) is policy
    for name in ("progressive", "preview", "predictive"):
        policy = make_policy(name)
        assert guarded(policy) is policy
    with pytest.raises(InvalidParameterError, match="already"):
        LimitGuard(LimitGuard(make_policy("power")))
    with pytest.raises(InvalidParameterError, match="reserve_abandons"):
        LimitGuard(make_policy("power"), reserve_abandons=-1)


def test_window_slack_is_whole_abandons_after_the_reserve() -> None:
    assert window_slack(_state(0, 0, 0, 100, 0), 0.0) == 3  # 0.03 × 100 is 3, not 2.99…
    assert window_slack(_state(0, 0, 0, 100, 0), 1.0) == 2
    assert window_slack(_state(0, 0, 0, 0, 0), 1.0) == -1


def test_the_dashboard_says_when_and_why_the_guard_held_the_policy() -> None:
    """`dialer run`'s and `dialer monitor`'s sentence (the console shows the explanation)."""
    from dialer.runner.dashboard import pacing_in_words

    def words(explanation: str) -> str:
        return pacing_in_words({"status": {"activity": "dialing"}, "calls_ringing": 1,
                                "agents_by_state": {"ready": 4},
                                "pacing": {"calls_to_launch": 3,
                                           "explanation": explanation}})

    held = LimitGuard(Asks(wanted=12)).decide(_state(4, 1, 0, 1040, 31))
    assert words(held.explanation).endswith(
        "The abandonment-limit guard held the policy back, as the lines beyond the free "
        "agents could abandon more calls than the window allows (progressive, window slack "
        "0 abandon(s) (31/1,040)).")
    assert "guard" not in words("power 3: 12 line(s) for 4 free agent(s) → 11")
