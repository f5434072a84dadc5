"""The simulated engine's ledger counts each person AMD classed as a machine once.

The driver's ground truth reports every such person to the engine (a HUMAN correction
before the hang-up), which the ledger counts as abandoned; the campaign's false-positive
estimate, charged per machine verdict, is what a real switch that cannot tell needs, and the
simulated engine runs without it (simulations/driver.py, ``campaign_config``).
"""

from __future__ import annotations

import pytest

from simulations.driver import Simulation, campaign_config
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables

TABLES = {
    "campaign": {"agents": 4, "shift_hours": 0.25, "decision_interval": 1.0},
    "callees": {"live_answer": 0.3, "machine": 0.0, "busy": 0.05,
                "time_to_answer": {"dist": "exponential", "mean": 6.0},
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "exponential", "mean": 40.0},
               "wrap": {"dist": "fixed", "value": 3.0}},
    "amd": {"enabled": True, "detect_time": 2.0, "false_positive": 0.3, "false_negative": 0.0},
}


def test_the_simulated_campaign_charges_no_false_positive_estimate() -> None:
    config = campaign_config(scenario_from_tables(TABLES), "predictive", {})
    assert config.amd_enabled and config.amd_false_positive_estimate == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ledger_counts_each_amd_false_positive_once(seed: int) -> None:
    """No machines, a detector that classes 30 % of people as machines: every abandon in the
    engine's ledger is a person the ground truth saw abandoned, and vice versa. Charging the
    false-positive estimate per machine verdict as well counted each of them about twice."""
    scenario = scenario_from_tables(TABLES)
    simulation = Simulation(scenario, "predictive", seed)
    tally = simulation.run()
    m = run_metrics(scenario, tally)
    ledger = simulation.engine.ledger
    assert m["abandoned"] > 10  # the false positives
    assert ledger.own_live_answers == m["live_answers"]
    assert ledger.own_abandons == m["abandoned"]
