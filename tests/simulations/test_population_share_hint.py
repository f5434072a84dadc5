"""A share written as a percentage in a scenario's [callees] table is refused with the
fraction to write (first-hour eleventh pass: 'live_answer = "30%"' said only "expected a
number >= 0")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulations.errors import ScenarioError
from simulations.population import CalleePopulation


@pytest.mark.parametrize(
    ("key", "written", "fraction"),
    [("live_answer", "30%", "0.3"), ("machine", "12.5 %", "0.125"), ("busy", " 5%", "0.05")],
)
def test_a_percentage_share_is_refused_with_the_fraction_to_write(key, written, fraction):
    with pytest.raises(ScenarioError) as refused:
        CalleePopulation.from_tables({key: written}, 180.0, where="day.toml")
    said = str(refused.value)
    assert said.startswith(f"day.toml: [callees].{key}: expected a number >= 0")
    assert f"write {fraction} for {written.strip()}" in said


@given(st.text(max_size=8).filter(lambda t: not t.strip().endswith("%")))
def test_other_text_gets_no_made_up_fraction(text):
    with pytest.raises(ScenarioError) as refused:
        CalleePopulation.from_tables({"live_answer": text}, 180.0, where="day.toml")
    assert "write" not in str(refused.value)
