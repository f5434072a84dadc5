"""A campaign that dials people runs its predictive policy only inside the envelope where
"never above the abandonment limit" was measured (pacing_models.params.LIVE_ENVELOPE);
simulations may still explore the whole range. Measured past it: threshold_rate 1 ran a
ten-agent day at 3.12 % (8.16 % with the margins loosened), margin_z 0 at 3.02 %."""

from __future__ import annotations

import pytest
from cli_kit import ok, refused, use_home
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.settings import PacingSettingsError, check_pacing
from dialer.runner.errors import RunnerError
from dialer.runner.pacing import build_policy
from pacing_models.params import LIVE_ENVELOPE, parse_policy_spec

CALLER = ["--caller-id", "+12015550100"]


@pytest.mark.parametrize(("params", "named"), [
    ({"margin_z": 1}, "margin_z=1"),
    ({"margin_z": 0, "aim_cap": 1}, "margin_z=0"),
    ({"threshold_rate": 1}, "threshold_rate=1"),
    ({"threshold_rate": 0.2}, "threshold_rate=0.2"),
    ({"amd_margin_z": 0.5}, "amd_margin_z=0.5"),
])
def test_a_campaign_may_not_leave_the_envelope(params, named):
    with pytest.raises(PacingSettingsError) as caught:
        check_pacing("predictive", params)
    line = str(caught.value)
    assert "\n" not in line and named in line and "live campaign" in line


def test_the_envelope_ends_themselves_are_allowed():
    assert check_pacing("predictive", {"margin_z": 2, "amd_margin_z": 1,
                                       "threshold_rate": 0.1, "aim_cap": 1,
                                       "reserve_abandons": 0}) == "predictive"


@settings(max_examples=150, deadline=None)
@given(margin=st.floats(0.0, 10.0), amd=st.floats(0.0, 10.0),
       rate=st.floats(1e-4, 1.0))
def test_a_campaign_is_refused_exactly_outside_and_a_simulation_never(margin, amd, rate):
    amd = min(amd, margin)  # the policy's own rule: AMD's margin never above the model's
    params = {"margin_z": margin, "amd_margin_z": amd, "threshold_rate": rate}
    inside = margin >= 2.0 and amd >= 1.0 and rate <= 0.1
    try:
        check_pacing("predictive", params)
        accepted = True
    except PacingSettingsError:
        accepted = False
    assert accepted == inside
    spec = parse_policy_spec(f"predictive:margin_z={margin!r},amd_margin_z={amd!r},"
                             f"threshold_rate={rate!r}")
    assert spec.params["threshold_rate"] == pytest.approx(rate)


def test_only_predictive_has_an_envelope_and_its_keys_are_parameters():
    from pacing_models.params import PARAMETERS

    assert set(LIVE_ENVELOPE) == {"predictive"}
    assert set(LIVE_ENVELOPE["predictive"]) <= set(PARAMETERS["predictive"])


def test_the_cli_refuses_it_and_stores_nothing(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    ok("db", "upgrade")
    ok("campaign", "create", "x", *CALLER, "--set", 'pacing_params={"margin_z": 3}')
    line = refused("campaign", "edit", "x", "--set", "pacing_params.threshold_rate=1")
    assert "threshold_rate=1" in line and "live campaign" in line
    assert ok("campaign", "show", "x")["settings"]["pacing_params"] == {"margin_z": 3}


def test_a_campaign_stored_outside_it_does_not_start():
    """Settings written by hand, or stored before the envelope: the runner refuses to
    start, naming the parameter and the repair."""
    with pytest.raises(RunnerError, match=r"cannot start: .*margin_z=1 is outside"):
        build_policy("spring", "predictive", {"margin_z": 1})
