"""A policy whose decision depends on the counts alone (``same_state_same_decision``) is
asked only for counts the engine has not seen (dialing.py, ``reuses_decisions``; docs/engine.md,
"Tenth step"): the engine must decide exactly what it decides when it asks every time."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Originate
from dialer.engine import CampaignConfig, Engine
from dialer.engine.dialing import reuses_decisions
from dialer.events import AgentLoggedIn, CallHungUp
from dialer.hangup import HangupCause
from dialer.ports import AllowAllGate, ListLeadSource
from pacing_models.interface import PacingDecision, PacingState
from pacing_models.policies import PowerPolicy, ProgressivePolicy
from simulations.driver import Simulation
from simulations.scenario import scenario_from_tables
from tests.dialer.engine.engine_kit import targets

_TABLES = {
    "callees": {"live_answer": 0.2, "machine": 0.1, "busy": 0.05,
                "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                "no_answer_timeout": 25, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
               "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
}


class _Asked:
    """Counts the policy's decisions; ``reuse`` False: the engine asks it every time."""

    def __init__(self, policy: Any, reuse: bool) -> None:
        self.policy, self.asked = policy, 0
        self.name, self.state_fields = policy.name, policy.state_fields
        self.same_state_same_decision = reuse

    def decide(self, state: PacingState) -> PacingDecision:
        self.asked += 1
        return self.policy.decide(state)

    def observe_attempt(self, *args: Any) -> None:
        self.policy.observe_attempt(*args)

    def observe_handle(self, *args: Any) -> None:
        self.policy.observe_handle(*args)


def _run(name: str, agents: int, seed: int, reuse: bool) -> tuple[list[str], int]:
    """Every command and decision of a simulated quarter hour by ``repr``, in order; and
    the decisions the policy was asked for."""
    tables = {**_TABLES, "campaign": {"agents": agents, "shift_hours": 0.25}}
    simulation = Simulation(scenario_from_tables(tables), name, seed=seed)
    engine = simulation.engine
    asked = _Asked(engine.policy, reuse)
    engine.policy = asked
    stream: list[str] = []
    handle, tick = engine.handle, engine.tick

    def recorded_handle(event: Any) -> list[Any]:
        out = handle(event)
        stream.extend(map(repr, out))
        return out

    def recorded_tick(now: float) -> list[Any]:
        out = tick(now)
        stream.extend(map(repr, out))
        stream.append(repr(engine.dialer.last_decision))
        return out

    engine.handle, engine.tick = recorded_handle, recorded_tick  # type: ignore[method-assign]
    simulation.run()
    return stream, asked.asked


@settings(max_examples=6, deadline=None)
@given(name=st.sampled_from(["progressive", "power"]), agents=st.integers(1, 12),
       seed=st.integers(0, 2**16))
def test_reused_decisions_give_the_stream_of_a_policy_asked_every_time(
        name: str, agents: int, seed: int) -> None:
    reused, asked = _run(name, agents, seed, reuse=True)
    every, asked_every = _run(name, agents, seed, reuse=False)
    assert reused == every  # every command and every decision (its explanation included)
    assert asked < asked_every / 10  # a decision a second, on a few distinct counts


def test_only_a_policy_that_says_so_and_reads_counts_alone_is_reused() -> None:
    assert reuses_decisions(ProgressivePolicy()) and reuses_decisions(PowerPolicy())

    class Reads:
        name = "reads"
        state_fields = frozenset({"agents_free", "busy_elapsed"})
        same_state_same_decision = True

    class Silent:
        name = "silent"
        state_fields = frozenset({"agents_free"})

    class Later(ProgressivePolicy):
        def decide(self, state: PacingState) -> PacingDecision:
            return PacingDecision(0, "closed") if state.now > 60.0 else super().decide(state)

    assert not reuses_decisions(Later())  # the promise is not inherited
    assert not reuses_decisions(Reads())  # an elapsed time moves with the clock
    assert not reuses_decisions(Silent())  # no promise made
    assert not reuses_decisions(_Asked(ProgressivePolicy(), reuse=False))


def test_a_retune_decides_afresh_on_the_same_counts() -> None:
    """Power reads the campaign's dial level: the same counts under a new one are a new
    decision (the kept ones were made under the old settings)."""
    asked = _Asked(PowerPolicy(), reuse=True)
    config = CampaignConfig("c1", "+12015550000", lines_per_agent=1.0)
    engine = Engine(config, asked, ListLeadSource(targets(50)), AllowAllGate(),
                    assume_switches_up=True)
    engine.handle(AgentLoggedIn(0.0, "ann", ""))

    def decide(at: float) -> list[Originate]:
        out = [c for c in engine.tick(at) if isinstance(c, Originate)]
        for call in out:  # nobody answers: the counts are back to one free agent
            engine.handle(CallHungUp(at, call.call_id, HangupCause.NO_ANSWER))
        return out

    assert len(decide(1.0)) == 1
    assert len(decide(2.0)) == 1 and asked.asked == 1  # the same counts: reused
    engine.retune(CampaignConfig("c1", "+12015550000", lines_per_agent=3.0), asked)
    assert len(decide(3.0)) == 3 and asked.asked == 2
