"""What pacing sees of calls under answering-machine detection (issue 16).

With AMD a call needs an agent from the verdict, not from the answer: until then it is
still on its way to the agents' queue, a line in flight (``ringing_lines``), but no longer
a ringing call: the pacing state lists it apart (``verdict_elapsed``, seconds since its
answer), a policy with ``observe_verdict`` learns the delay, and the ring time the policy
learns runs to the verdict. Abandons that AMD charges
(people classed as machines, people who hung up while it listened) are counted apart in
``PacingState.amd_abandons``; the ledger counts them as well.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.engine.calls import CallState
from pacing_models.interface import AttemptResult
from simulations.driver import LIVE, Simulation
from simulations.scenario import scenario_from_tables


def _scenario(detect: float, silence: float, false_positive: float, agents: int = 3):
    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 0.25, "decision_interval": 1.0},
        "callees": {"live_answer": 0.3, "machine": 0.2, "busy": 0.05,
                    "time_to_answer": {"dist": "exponential", "mean": 6.0},
                    "patience": {"dist": "exponential", "mean": 3.0}},
        "agents": {"talk": {"dist": "exponential", "mean": 40.0},
                   "wrap": {"dist": "fixed", "value": 3.0}},
        "amd": {"enabled": True, "detect_time": detect, "silence_before_verdict": silence,
                "false_positive": false_positive, "false_negative": 0.1},
    })


class _Watched(Simulation):
    """Checks each pacing state against the engine's calls; counts AMD's abandons by
    ground truth (a person hung up on as a machine, or gone before the verdict)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.states = 0
        self.amd_charged = 0
        self.ring_times: list[float] = []
        self.verdicts: list[tuple[float, float, float]] = []
        self.delays: list[float] = []
        self.awaiting_seen = 0
        policy = self.engine.policy
        decide, observe = policy.decide, policy.observe_attempt
        engine = self.engine

        def checked(state):  # type: ignore[no-untyped-def]
            ringing = [call for call in engine.calls.values()
                       if call.state in (CallState.DIALING, CallState.RINGING)]
            awaiting = sorted(state.now - call.answered_at for call in engine.calls.values()
                              if call.state is CallState.ANSWERED)
            assert state.ringing_lines == len(ringing) + len(awaiting)
            if "ringing_elapsed" in policy.state_fields:  # built only for who reads it
                assert len(state.ringing_elapsed) == len(ringing)
            counts = state.in_progress_counts
            if counts is not None:  # the packed start instants (predictive reads them)
                starts = struct.unpack(f"{sum(counts)}d", state.in_progress_started)
                assert counts[0] == len(ringing)
                listed = starts[counts[0]:counts[0] + counts[1]]
                assert sorted(state.now - t for t in listed) == pytest.approx(awaiting,
                                                                              abs=1e-9)
                self.awaiting_seen += len(awaiting)
            if "verdict_elapsed" in policy.state_fields:
                assert sorted(state.verdict_elapsed) == pytest.approx(awaiting, abs=1e-9)
                self.awaiting_seen += len(awaiting)
            else:
                assert state.verdict_elapsed == ()
            assert state.amd_abandons == engine.amd_abandons
            self.states += 1
            return decide(state)

        classified = engine.call_flow.classified

        def watched_verdict(call, kind, at):  # type: ignore[no-untyped-def]
            calls_before = len(self.ring_times)
            classified(call, kind, at)
            assert len(self.ring_times) == calls_before + 1  # one observation per verdict
            self.verdicts.append((self.ring_times[-1], call.dialed_at, call.answered_at))

        def observed(result: AttemptResult, ring: float, at: float) -> None:
            if result in (AttemptResult.LIVE, AttemptResult.MACHINE):
                self.ring_times.append(ring)
            observe(result, ring, at)

        policy.decide = checked
        policy.observe_attempt = observed
        if hasattr(policy, "observe_verdict"):
            observe_verdict = policy.observe_verdict

            def verdict_delay(delay: float, at: float) -> None:
                self.delays.append(delay)
                observe_verdict(delay, at)

            engine.call_flow._observe_verdict = verdict_delay
        engine.call_flow.classified = watched_verdict

    def _hangup(self, command):  # type: ignore[no-untyped-def]
        call = self._live(command.call_id)
        if call is not None and call.kind == LIVE and call.classed_machine:
            self.amd_charged += 1
        super()._hangup(command)

    def _patience(self, at: float, call_id: str) -> None:
        call = self._live(call_id)
        if call is not None and not call.bridged and call.answered_at is not None \
                and at < call.answered_at + self.scenario.amd.detect_time:
            self.amd_charged += 1  # gone while AMD listened: no verdict, no agent
        super()._patience(at, call_id)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(detect=st.floats(0.5, 4.0), silence=st.floats(0.0, 5.0),
       false_positive=st.floats(0.0, 0.3),
       policy=st.sampled_from(["predictive", "progressive", "power"]),
       seed=st.integers(0, 1000))
def test_calls_awaiting_the_verdict_are_on_their_way_and_amd_abandons_are_counted(
        detect: float, silence: float, false_positive: float, policy: str,
        seed: int) -> None:
    simulation = _Watched(_scenario(detect, silence, false_positive), policy, seed)
    tally = simulation.run()
    assert simulation.states > 0
    engine = simulation.engine
    assert engine.amd_abandons == simulation.amd_charged
    assert engine.amd_abandons <= engine.ledger.abandons <= sum(tally.abandoned_by_day) + \
        engine.amd_abandons
    assert simulation.verdicts
    for ring, dialed, answered in simulation.verdicts:
        # The ring time the policy learns runs to the verdict, detect_time after the answer.
        assert ring == pytest.approx(answered + detect - dialed, abs=1e-9)
    if policy == "predictive":  # a VerdictObserver: told each verdict's delay
        assert simulation.delays == pytest.approx([detect] * len(simulation.verdicts))


def test_calls_awaiting_the_verdict_are_listed_apart() -> None:
    """Not vacuous: a predictive campaign's decisions do see calls awaiting the verdict."""
    simulation = _Watched(_scenario(3.0, 0.8, 0.02, agents=4), "predictive", 5)
    simulation.run()
    assert simulation.awaiting_seen > 10
    assert simulation.delays


def test_amd_abandons_are_charged_in_a_campaign_with_false_positives() -> None:
    """Not vacuous: a campaign with 30 % false positives charges some."""
    simulation = _Watched(_scenario(2.0, 0.8, 0.3, agents=4), "power", 4)
    simulation.run()
    assert simulation.amd_charged > 5
    assert simulation.engine.amd_abandons == simulation.amd_charged
