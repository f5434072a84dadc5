"""The simulator's machine verdicts sent to free agents (``[amd].to_free_agent``).

A true machine a free agent takes costs the agent ``machine_handle_time`` (no wrap); a person
AMD classed as a machine whom a free agent takes talks and wraps up as any contact, and the
ground truth tells the engine it was a live answer connected in time (not an abandon).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.driver import Simulation, campaign_config
from simulations.errors import ScenarioError
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables

TABLES = {
    "campaign": {"agents": 6, "shift_hours": 0.5, "decision_interval": 1.0},
    "callees": {"live_answer": 0.2, "machine": 0.3, "busy": 0.05,
                "time_to_answer": {"dist": "exponential", "mean": 6.0},
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "exponential", "mean": 40.0},
               "wrap": {"dist": "fixed", "value": 3.0}, "machine_handle_time": 5},
    "amd": {"enabled": True, "detect_time": 2.0, "false_positive": 0.3,
            "false_negative": 0.0},
}


def _tables(to_free_agent: bool) -> dict:
    tables = copy.deepcopy(TABLES)
    tables["amd"]["to_free_agent"] = to_free_agent
    return tables


def test_the_option_reaches_the_engine_and_needs_amd() -> None:
    assert campaign_config(scenario_from_tables(_tables(True)), "progressive",
                           {}).machine_to_free_agent
    assert not campaign_config(scenario_from_tables(TABLES), "progressive",
                               {}).machine_to_free_agent
    tables = _tables(True)
    tables["amd"]["enabled"] = False
    with pytest.raises(ScenarioError, match="to_free_agent: needs enabled"):
        scenario_from_tables(tables)


@pytest.mark.parametrize("seed", [1, 2])
def test_free_agents_take_machine_verdicts_and_the_ledger_matches_the_truth(
    seed: int,
) -> None:
    """Progressive (agents often idle): with the option, free agents take machine verdicts;
    people among them are connected, not abandoned, and the engine's ledger still counts
    exactly the people the ground truth saw abandoned; machines taken cost agent time."""
    figures = {}
    for on in (False, True):
        scenario = scenario_from_tables(_tables(on))
        simulation = Simulation(scenario, "progressive", seed)
        tally = simulation.run()
        m = run_metrics(scenario, tally)
        ledger = simulation.engine.ledger
        assert ledger.own_live_answers == m["live_answers"]
        assert ledger.own_abandons == m["abandoned"]
        figures[on] = (tally, m)
    off, on = figures[False][0], figures[True][0]
    assert off.machine_verdicts_routed == 0 and off.false_positives_connected == 0
    assert off.false_positives > 5
    assert on.machine_verdicts_routed > 0 and on.false_positives_connected > 0
    assert on.false_positives_connected <= on.false_positives
    # True machines taken by agents: machine_handle_time each (no false negatives here),
    # clipped at the shift's end for those taken in its last seconds (one per agent at most).
    machines_taken = on.machine_verdicts_routed - on.false_positives_connected
    assert 5.0 * (machines_taken - 6) <= on.machine_handle <= 5.0 * machines_taken + 1e-9
    assert off.machine_handle == 0.0
    # Abandoned people per live answer fall (AMD's false positives were nearly all of them).
    assert figures[True][1]["abandon_rate"] < figures[False][1]["abandon_rate"]


@settings(max_examples=50, deadline=None)
@given(fp=st.floats(0.0, 0.45), fn=st.floats(0.0, 0.45), rho=st.floats(0.0, 1.0),
       machine=st.floats(0.01, 0.5))
def test_routing_never_raises_the_practical_limit(fp: float, fn: float, rho: float,
                                                  machine: float) -> None:
    """limit(ρ) ≤ limit(0) for a detector better than a coin (fn + fp < 1): the formula
    without routing still bounds the talk fraction when machine verdicts reach free agents;
    at ρ = 1 every verdict reaches an agent, as if AMD were off (but for its delay)."""
    from simulations.metrics import practical_talk_limit

    tables = copy.deepcopy(TABLES)
    tables["amd"].update({"false_positive": fp, "false_negative": fn, "to_free_agent": True})
    tables["callees"]["machine"] = machine
    scenario = scenario_from_tables(tables)
    assert practical_talk_limit(scenario, rho) <= practical_talk_limit(scenario) + 1e-12
    assert practical_talk_limit(scenario, 0.0) == practical_talk_limit(scenario)
    tables["amd"]["enabled"] = tables["amd"]["to_free_agent"] = False
    assert practical_talk_limit(scenario, 1.0) == pytest.approx(
        practical_talk_limit(scenario_from_tables(tables)))
