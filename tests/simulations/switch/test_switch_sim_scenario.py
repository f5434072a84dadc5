"""``dialer switch-sim --scenario``: callees come from the lab's population model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import simulations.population as population_module
from simulations.errors import ScenarioError
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.fates import SimpleCallees
from simulations.switch.scenario import fate_source_for


def test_no_scenario_uses_the_built_in_population() -> None:
    source = fate_source_for(None)
    assert isinstance(source, SimpleCallees)
    kinds = {source(random.Random(seed)).kind for seed in range(300)}
    assert kinds == set(CalleeKind)


def test_scenario_tables_reach_the_population_model(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "campaign.toml"
    scenario.write_text("[callees]\nlive_answer = 1.0\n\n[agents]\ntalk = 30\n")
    received = {}

    class FakePopulation:
        @classmethod
        def from_tables(cls, callees, agents):
            received.update(callees=callees, agents=agents)
            return cls()

        def draw(self, rng, at_hour=None):
            return CalleeFate(CalleeKind.LIVE, 1.0, 30.0, 2.0)

    if not hasattr(population_module, "CalleePopulation"):
        monkeypatch.setattr(population_module, "CalleePopulation", FakePopulation, raising=False)
        source = fate_source_for(scenario)
        assert received == {"callees": {"live_answer": 1.0}, "agents": {"talk": 30}}
        assert source(random.Random(1)).kind is CalleeKind.LIVE
    else:  # the real model has landed: it must accept this scenario
        assert source_kind(fate_source_for(scenario)) is CalleeKind.LIVE


def source_kind(source) -> CalleeKind:
    return source(random.Random(1)).kind


def test_scenario_without_callees_is_a_clear_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "empty.toml"
    scenario.write_text("[campaign]\nagents = 3\n")

    class Tables:
        @classmethod
        def from_tables(cls, callees, agents):
            raise AssertionError("not reached")

    if not hasattr(population_module, "CalleePopulation"):
        monkeypatch.setattr(population_module, "CalleePopulation", Tables, raising=False)
        with pytest.raises(ScenarioError, match="no \\[callees\\] table"):
            fate_source_for(scenario)
