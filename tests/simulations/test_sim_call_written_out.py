"""The simulator's ``_originate`` builds each ``SimCall`` field by field (docs/engine.md,
"Seventh step"): it must be the very call the class builds from the lead's fate."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Originate
from simulations.driver import SimCall, Simulation
from simulations.scenario import scenario_from_tables

_FIELDS = [f.name for f in dataclasses.fields(SimCall)]

_TABLES = {
    "callees": {"live_answer": 0.3, "machine": 0.2, "busy": 0.1,
                "time_to_answer": {"dist": "lognormal", "mean": 9.0, "sd": 4.0},
                "no_answer_timeout": 25, "busy_time": 4,
                "patience": {"dist": "exponential", "mean": 5.0}},
    "agents": {"talk": {"dist": "lognormal", "mean": 180.0, "sd": 90.0},
               "wrap": {"dist": "fixed", "value": 15.0}, "machine_handle_time": 5},
    "campaign": {"agents": 2, "shift_hours": 1.0},
}


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=5000), st.floats(min_value=0.0, max_value=86000.0))
def test_a_dialed_call_is_the_sim_call_of_its_fate(lead: int, at: float) -> None:
    simulation = Simulation(scenario_from_tables(_TABLES), "progressive", seed=3)
    command = Originate(at, "c1", f"+1555{lead:07d}", "+15550000000", "", 25.0,
                        {"dialer_lead_id": str(lead)})
    simulation._originate(command)
    built = simulation.calls["c1"]
    kind, _, talk, patience, wrap, amd_error = simulation.fates.fate(lead, simulation._hour)
    called = SimCall(kind, talk, patience, wrap, amd_error)
    assert type(built) is SimCall
    assert {name: getattr(built, name) for name in _FIELDS} == \
        {name: getattr(called, name) for name in _FIELDS}
    assert built == called
