"""The console's pacing form read as a European keyboard or a command-line habit types it:
a decimal comma, parameters as ``margin_z=2`` or ``{margin_z: 2}``. Each refusal names
what to write (it said "is not a number" or quoted the JSON parser, and the supervisor
had to guess)."""

from __future__ import annotations

import pytest

from dialer.web.pacing_form import PacingRefused, pacing_changes


@pytest.mark.parametrize(("form", "field", "said"), [
    ({"abandon_target": "2,5"}, "abandon_target",
     "abandonment target '2,5' is not a number: write 2.5 (a decimal point, not a comma)"),
    ({"lines_per_agent": "1,5"}, "lines_per_agent",
     "lines per agent '1,5' is not a number: write 1.5 (a decimal point, not a comma)"),
    ({"pacing_params": "margin_z=2, aim_cap=0.5"}, "pacing_params",
     'write {"margin_z": 2, "aim_cap": 0.5}'),
    ({"pacing_params": "{margin_z: 2}"}, "pacing_params", 'write {"margin_z": 2}'),
    ({"pacing_params": "{'method': 'ADAPT_TAPERED'}"}, "pacing_params",
     'write {"method": "ADAPT_TAPERED"}'),
])
def test_a_slip_in_the_pacing_form_is_answered_with_what_to_write(form, field, said):
    with pytest.raises(PacingRefused) as refused:
        pacing_changes(form)
    assert refused.value.field == field
    assert str(refused.value).endswith(said)


def test_text_that_is_no_list_of_pairs_gets_no_guess():
    with pytest.raises(PacingRefused) as refused:
        pacing_changes({"pacing_params": "fast please"})
    assert "write" not in str(refused.value)
