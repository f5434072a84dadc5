"""Invariants of any simulated run, over random small scenarios (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations.driver import Simulation
from simulations.metrics import run_metrics
from simulations.scenario import scenario_from_tables


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict, str]:
    live = draw(st.floats(0.05, 0.6))
    machine = draw(st.floats(0.0, 0.3))
    busy = draw(st.floats(0.0, max(0.0, 1.0 - live - machine)))
    amd = draw(st.booleans())
    tables = {
        "campaign": {"agents": draw(st.integers(1, 6)),
                     "shift_hours": draw(st.sampled_from([0.1, 0.2, 0.3])),
                     "days": draw(st.integers(1, 2)),
                     "shift_start_hour": draw(st.floats(0.0, 23.5)),
                     "decision_interval": draw(st.sampled_from([0.5, 1.0, 2.0]))},
        "callees": {"live_answer": live, "machine": machine, "busy": busy,
                    "time_to_answer": {"dist": "exponential", "mean": draw(st.floats(2, 20))},
                    "patience": {"dist": "exponential", "mean": draw(st.floats(0.5, 20))}},
        "agents": {"talk": {"dist": "gamma", "mean": draw(st.floats(10, 200)), "sd": 20.0},
                   "wrap": {"dist": "uniform", "low": 0.0, "high": draw(st.floats(0, 30))}},
        "amd": {"enabled": amd, "false_positive": 0.05 if amd else 0.0,
                "false_negative": 0.1 if amd else 0.0},
    }
    return tables, draw(st.sampled_from(["progressive", "power", "adaptive", "predictive"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 1000))
def test_every_run_ends_and_keeps_its_books(case: tuple[dict, str], seed: int) -> None:
    tables, policy = case
    scenario = scenario_from_tables(tables)
    simulation = Simulation(scenario, policy, seed)
    tally = simulation.run()
    m = run_metrics(scenario, tally)
    # The run ends with nothing pending and every call closed.
    assert len(simulation.kernel) == 0 and not simulation.engine.calls
    # Agent time is inside the logged-in shift: talk ≤ talk + wrap + machines ≤ logged in.
    assert 0.0 <= m["talk_fraction"] <= m["occupancy"] <= 1.0 + 1e-9
    assert m["abandoned"] <= m["live_answers"] <= m["dials"]
    # The engine's legal ledger (what pacing and the report rely on) never counts fewer
    # live answers or abandons than the ground truth: a person who hung up before an agent
    # came, even while AMD was still listening, is abandoned in law.
    ledger = simulation.engine.ledger
    assert ledger.own_abandons >= m["abandoned"]
    assert ledger.own_live_answers >= m["live_answers"]
    if policy == "progressive" and not tables["amd"]["enabled"]:
        assert m["abandoned"] == 0  # a line per free agent: every answer finds one
