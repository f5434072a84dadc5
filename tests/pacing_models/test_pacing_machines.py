"""Answering machines that reach agents: demand on agents, not people (issue 16)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing_models.estimators import OutcomeMix, RingTimes
from pacing_models.interface import AttemptResult, MachineObserver, PacingState
from pacing_models.predictive import PredictivePolicy
from pacing_models.tables import build_ring_table
from tests.pacing_models.test_pacing_policies import states


def _trained(machines_to_agents: bool, seed: int = 11) -> PredictivePolicy:
    """Live answers 0.10 and machines 0.30 of dials; the machines either reach agents (no
    AMD: reported live, then corrected) or are screened out (AMD catches them)."""
    rng = random.Random(seed)
    policy = PredictivePolicy()
    at = 0.0
    for i in range(1000):
        at += 1.0
        ring = rng.lognormvariate(2.1, 0.4)
        if i % 10 == 0:
            policy.observe_attempt(AttemptResult.LIVE, ring, at)
        elif i % 10 in (1, 2, 3):
            if machines_to_agents:
                policy.observe_attempt(AttemptResult.LIVE, ring, at)
                policy.observe_machine_routed(ring, at)
            else:
                policy.observe_attempt(AttemptResult.MACHINE, ring, at)
        else:
            policy.observe_attempt(AttemptResult.NO_ANSWER, 25.0, at)
    for _ in range(200):
        policy.observe_handle(rng.lognormvariate(5.0, 0.5), 15.0, at)
        if machines_to_agents:
            for _ in range(3):
                policy.observe_machine_handle(5.0, 0.0, at)
    policy._tuned_at = math.inf  # loops frozen: both see the same threshold and bias
    return policy


ROUTED, SCREENED = _trained(True), _trained(False)


def test_the_predictive_policy_is_a_machine_observer() -> None:
    assert isinstance(PredictivePolicy(), MachineObserver)


def test_a_machine_correction_moves_the_answer_from_live_to_machine() -> None:
    mix, ring = OutcomeMix(half_life=math.inf), RingTimes(half_life=math.inf)
    for _ in range(10):
        mix.observe(AttemptResult.LIVE, 1.0)
        ring.observe(AttemptResult.LIVE, 8.2, 1.0)
    for _ in range(4):
        mix.observe_machine_routed(1.0)
        ring.move_to_machine(8.2, 1.0)
    assert mix.counts[:2] == pytest.approx([6.0, 4.0])
    assert mix.live_observed == 6
    assert mix.routed_machine_rate == pytest.approx(mix.machine_rate)
    assert ring.hist[0].sum() == pytest.approx(6.0)
    assert ring.hist[1].sum() == pytest.approx(4.0)


@given(st.floats(0.05, 0.5), st.floats(0.0, 1.0))
@settings(max_examples=30, deadline=None)
def test_the_routed_machine_rate_converges_to_the_share_that_reaches_agents(
    machine: float, missed: float
) -> None:
    """With AMD missing ``missed`` of the machines, the routed rate is machine × missed."""
    rng = random.Random(3)
    mix = OutcomeMix(half_life=math.inf)
    for i in range(4000):
        u = rng.random()
        if u < 0.1:
            mix.observe(AttemptResult.LIVE, float(i))
        elif u < 0.1 + machine:
            if rng.random() < missed:
                mix.observe(AttemptResult.LIVE, float(i))
                mix.observe_machine_routed(float(i))
            else:
                mix.observe(AttemptResult.MACHINE, float(i))
        else:
            mix.observe(AttemptResult.NO_ANSWER, float(i))
    assert mix.routed_machine_rate == pytest.approx(machine * missed, abs=0.03)
    assert mix.live_answer_rate == pytest.approx(0.1, abs=0.02)


def test_the_machine_handle_law_converges_and_keeps_peoples_talk_clean() -> None:
    rng = random.Random(5)
    policy = PredictivePolicy()
    for i in range(600):
        policy.observe_handle(rng.lognormvariate(5.1, 0.45), 15.0, float(i))
        policy.observe_machine_handle(rng.uniform(4.0, 6.0), 0.0, float(i))
    assert policy.machine_handle.fitted.mean == pytest.approx(5.0, rel=0.05)
    talk = policy.talk.fitted.mean
    assert talk == pytest.approx(math.exp(5.1 + 0.45**2 / 2), rel=0.08)
    assert policy.talk.samples().min() > 10.0  # no 5-s machine release among people's


def test_a_machine_counts_as_demand_only_while_it_holds_its_agent() -> None:
    probabilities = np.array([0.1, 0.3, 0.55, 0.05])
    cdfs = RingTimes().cdfs()
    step, slots = 0.5, 52
    live = build_ring_table(probabilities, cdfs, 25.0, slots).table
    held = build_ring_table(probabilities, cdfs, 25.0, slots, 0.3).table
    release = (np.arange(slots + 1) * step >= 5.0).astype(float)
    short = build_ring_table(probabilities, cdfs, 25.0, slots, 0.3, release).table
    # Machines add demand; one released after 5 s adds less, and never more than held.
    assert np.all(held >= live - 1e-12) and held[0, -1] == pytest.approx(0.4)
    assert np.all(short <= held + 1e-12) and np.all(short >= live - 1e-12)
    assert short[0, -1] < 0.11


@given(states)
@settings(max_examples=60, deadline=None)
def test_machines_that_reach_agents_never_mean_more_dials(s: PacingState) -> None:
    """Equal live rates; machines reaching agents take agents that screened ones do not.

    Agents on a call for 10 s or more (an agent seconds into a call may be on a machine,
    about to be free: that justifies dials only where machines reach agents)."""
    s = PacingState(**{**{n: getattr(s, n) for n in PacingState.__slots__},
                       "answered_waiting": 0,
                       "busy_elapsed": tuple(10.0 + e for e in s.busy_elapsed)})
    assert ROUTED.decide(s).calls_to_launch <= SCREENED.decide(s).calls_to_launch


def test_with_many_machines_reaching_agents_it_dials_fewer() -> None:
    s = PacingState(now=10_000.0, agents_free=10, busy_elapsed=(60.0,) * 40,
                    ringing_elapsed=(2.0,) * 10, live_answers_in_window=3000,
                    abandons_in_window=20, agents_logged_in=50)
    routed, screened = ROUTED.decide(s), SCREENED.decide(s)
    assert 0 < routed.calls_to_launch < screened.calls_to_launch
    assert ROUTED._person_share == pytest.approx(0.25, abs=0.03)


def _scenario(amd: dict):
    from simulations.scenario import scenario_from_tables

    return scenario_from_tables({
        "campaign": {"agents": 10, "shift_hours": 0.5, "abandon_limit": 0.03},
        "callees": {"live_answer": 0.2, "machine": 0.3, "busy": 0.05,
                    "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                    "no_answer_timeout": 25, "busy_time": 4,
                    "patience": {"dist": "exponential", "mean": 5.0}},
        "agents": {"talk": {"dist": "lognormal", "mean": 120.0, "sd": 60.0},
                   "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5.0},
        "amd": amd,
    })


def _simulated(amd: dict) -> PredictivePolicy:
    from simulations.driver import Simulation

    simulation = Simulation(_scenario(amd), "predictive", seed=3)
    simulation.run()
    return simulation.engine.policy  # type: ignore[return-value]


class _Recorder:
    """Progressive pacing that records what the engine tells it."""

    name = "recorder"

    def __init__(self, machine_aware: bool) -> None:
        from pacing_models import make_policy

        self._progressive = make_policy("progressive")
        self.handles: list[float] = []
        self.machine_handles: list[float] = []
        self.live = self.routed = 0
        if machine_aware:
            self.observe_machine_routed = self._routed
            self.observe_machine_handle = self._machine_handle

    def decide(self, state):
        return self._progressive.decide(state)

    def observe_attempt(self, result, ring_seconds, at) -> None:
        self.live += result is AttemptResult.LIVE

    def observe_handle(self, talk_seconds, wrap_seconds, at) -> None:
        self.handles.append(talk_seconds)

    def _routed(self, ring_seconds, at) -> None:
        assert 0.0 < ring_seconds <= 25.0
        self.routed += 1

    def _machine_handle(self, talk_seconds, wrap_seconds, at) -> None:
        self.machine_handles.append(talk_seconds)


@pytest.mark.parametrize("machine_aware", [True, False])
def test_a_policy_without_the_machine_methods_sees_what_it_saw(machine_aware: bool) -> None:
    from simulations.driver import Simulation

    simulation = Simulation(_scenario({}), "progressive", seed=3)
    recorder = _Recorder(machine_aware)
    simulation.engine.policy = recorder  # type: ignore[assignment]
    tally = simulation.run()
    machine_releases = [t for t in recorder.handles if t == pytest.approx(5.0, abs=0.01)]
    if machine_aware:
        assert recorder.routed > 20 and recorder.routed <= recorder.live
        assert len(recorder.machine_handles) > 20 and not machine_releases
        # every person's finished call, and no machine's (a few are still on at the end)
        assert tally.connects - 10 <= len(recorder.handles) <= tally.connects
    else:  # machines reported as live answers and 5-s handles, as before the contract grew
        assert len(machine_releases) > 20
        assert len(recorder.handles) > tally.connects


def test_the_engine_tells_the_policy_which_answers_and_handles_were_machines() -> None:
    policy = _simulated({})
    mix = policy.outcomes
    # Without AMD every machine reaches an agent: all of them are corrected to routed.
    assert mix.routed_machine_rate == pytest.approx(mix.machine_rate)
    assert mix.live_answer_rate == pytest.approx(0.2, abs=0.06)
    assert policy.machine_handle.count > 20
    assert policy.machine_handle.samples().max() == pytest.approx(5.0, abs=0.01)
    assert policy.talk.samples().min() > 5.01  # people's talk only


def test_with_amd_only_the_machines_it_misses_reach_agents() -> None:
    policy = _simulated({"enabled": True, "detect_time": 1.0, "false_positive": 0.0,
                         "false_negative": 0.2})
    mix = policy.outcomes
    assert 0.0 < mix.routed_machine_rate < 0.5 * mix.machine_rate


@given(states, st.integers(0, 5000))
@settings(max_examples=60, deadline=None)
def test_with_machines_reaching_agents_a_spent_budget_still_means_progressive(
    s: PacingState, live: int
) -> None:
    """Machines never buy abandons: at or over the limit only calls with an agent waiting."""
    from pacing_models import make_policy

    fields = {n: getattr(s, n) for n in PacingState.__slots__}
    spent = PacingState(**{**fields, "live_answers_in_window": live,
                           "abandons_in_window": max(1, -(-3 * live // 100))})
    progressive = make_policy("progressive").decide(spent).calls_to_launch
    assert ROUTED.decide(spent).calls_to_launch == progressive
