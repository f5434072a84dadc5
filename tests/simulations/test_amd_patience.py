"""With AMD, a simulated person waits only from the silence after their greeting (issue 16).

AMD listens to the greeting; the person is talking, not waiting. Their patience starts
``amd.silence_before_verdict`` before the verdict (never before the answer). Without AMD it
starts at the answer, as before.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations.driver import Simulation
from simulations.scenario import ScenarioError, scenario_from_tables


class _Watched(Simulation):
    """Records every person's patience hang-up: (time, answered at, drawn patience)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.hang_ups: list[tuple[float, float, float]] = []

    def _patience(self, at: float, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and not call.ended and not call.bridged and not call.inbound:
            assert call.answered_at is not None
            self.hang_ups.append((at, call.answered_at, call.patience))
        super()._patience(at, call_id)


def _tables(amd: dict, patience_mean: float = 5.0, agents: int = 3,
            machine: float = 0.15) -> dict:
    return {
        "campaign": {"agents": agents, "shift_hours": 0.25, "decision_interval": 1.0},
        "callees": {"live_answer": 0.3, "machine": machine, "busy": 0.05,
                    "time_to_answer": {"dist": "exponential", "mean": 6.0},
                    "patience": {"dist": "exponential", "mean": patience_mean}},
        "agents": {"talk": {"dist": "exponential", "mean": 40.0},
                   "wrap": {"dist": "fixed", "value": 3.0}},
        "amd": amd,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(detect=st.floats(0.5, 5.0), silence=st.floats(0.0, 6.0),
       patience=st.floats(0.3, 10.0), policy=st.sampled_from(["predictive", "power"]),
       seed=st.integers(0, 1000))
def test_under_amd_no_person_hangs_up_before_the_verdict_minus_the_silence(
        detect: float, silence: float, patience: float, policy: str, seed: int) -> None:
    amd = {"enabled": True, "detect_time": detect, "silence_before_verdict": silence,
           "false_positive": 0.05, "false_negative": 0.1}
    simulation = _Watched(scenario_from_tables(_tables(amd, patience)), policy, seed)
    simulation.run()
    start = max(0.0, detect - silence)
    for at, answered, drawn in simulation.hang_ups:
        assert at >= answered + start - 1e-9  # never before (verdict − silence) nor the answer
        assert at == pytest.approx(answered + start + drawn, abs=1e-6)


def test_a_person_waits_from_the_silence_not_from_the_answer() -> None:
    """3-s detector, 0.8 s of silence: every patience hang-up is 2.2 s + the drawn patience
    after the answer, and some people do hang up (the check is not vacuous)."""
    amd = {"enabled": True, "detect_time": 3.0, "false_positive": 0.0, "false_negative": 0.0}
    simulation = _Watched(scenario_from_tables(_tables(amd, 1.0, agents=2)), "power", 5)
    simulation.run()
    assert simulation.scenario.amd.silence_before_verdict == 0.8  # the documented default
    assert len(simulation.hang_ups) > 10
    for at, answered, drawn in simulation.hang_ups:
        assert at == pytest.approx(answered + 2.2 + drawn, abs=1e-6)


def test_without_amd_patience_runs_from_the_answer_whatever_the_silence() -> None:
    runs = []
    for silence in (0.0, 0.8, 5.0):
        amd = {"enabled": False, "silence_before_verdict": silence}
        simulation = _Watched(scenario_from_tables(_tables(amd, 1.0, agents=2)), "power", 5,
                              params={"lines_per_agent": 4.0})
        tally = simulation.run()
        assert len(simulation.hang_ups) > 3
        for at, answered, drawn in simulation.hang_ups:
            assert at == pytest.approx(answered + drawn, abs=1e-9)
        runs.append((simulation.hang_ups, tally.abandoned_by_day, tally.dials))
    assert runs[0] == runs[1] == runs[2]


def test_a_negative_silence_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"\[amd\]\.silence_before_verdict: must be >= 0"):
        scenario_from_tables(_tables({"enabled": True, "silence_before_verdict": -1.0}))
