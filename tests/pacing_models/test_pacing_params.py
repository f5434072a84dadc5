"""Policy parameters as data: the table, command-line parsing, and one-line refusals."""

from __future__ import annotations

import importlib.util
import inspect
import math
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacing_models import POLICY_NAMES, make_policy
from pacing_models.errors import InvalidParameterError
from pacing_models.params import (
    PARAMETERS,
    check_params,
    parse_policy_spec,
    parse_policy_specs,
    policy_parameters,
)
from pacing_models.policies import _FACTORIES


def _constructor_signature(name: str) -> inspect.Signature:
    """The signature of the policy's ``__init__`` as its source declares it.

    In the compiled engine (``DIALER_ACCEL=on``) ``PredictivePolicy`` is a native class
    (dialer/accel/pxd/pacing_models/predictive.pxd), whose ``__init__`` is a slot that shows
    only ``(self, /, *args, **kwargs)``: its module's source is then loaded apart and its
    Python class read."""
    cls = type(make_policy(name))
    if isinstance(cls.__init__, types.FunctionType):
        return inspect.signature(cls.__init__)
    path = Path(__file__).resolve().parents[2] / (cls.__module__.replace(".", "/") + ".py")
    spec = importlib.util.spec_from_file_location(f"_source_of_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return inspect.signature(getattr(module, cls.__name__).__init__)


def _constructor_parameters(name: str) -> list[str]:
    signature = _constructor_signature(name)
    return [p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_the_table_names_exactly_what_each_constructor_takes(name: str) -> None:
    assert list(policy_parameters(name)) == _constructor_parameters(name)


def test_the_table_covers_every_registered_policy() -> None:
    assert set(PARAMETERS) == set(_FACTORIES)


def test_a_spec_with_parameters_is_parsed_and_typed() -> None:
    spec = parse_policy_spec("Predictive:margin_z=3, aim_cap=0.6,min_handles=12")
    assert spec.name == "predictive"
    assert spec.params == {"margin_z": 3.0, "aim_cap": 0.6, "min_handles": 12}
    assert isinstance(spec.params["min_handles"], int)
    assert spec.label == "predictive:margin_z=3,aim_cap=0.6,min_handles=12"
    policy = make_policy(spec.name, **spec.params)
    assert policy.budget.z == 3.0 and policy.budget.aim_cap == 0.6  # type: ignore[attr-defined]
    assert parse_policy_spec("progressive").params == {}


def test_booleans_choices_and_none() -> None:
    spec = parse_policy_spec("adaptive:method=adapt_tapered,available_only_ratio_tally=yes,"
                             "initial_level=none")
    assert spec.params == {"method": "ADAPT_TAPERED", "available_only_ratio_tally": True,
                           "initial_level": None}
    assert parse_policy_spec("power:lines_per_agent=none").params == {"lines_per_agent": None}


@pytest.mark.parametrize(("text", "expected"), [
    ("predictive:margn_z=3", "policy predictive: 'margn_z' is not a parameter; valid: "),
    ("predictive:aim_cap=1.5",
     "policy predictive: parameter aim_cap must be a number in (0, 1], got 1.5"),
    ("predictive:aim_cap=0", "parameter aim_cap must be a number in (0, 1], got 0.0"),
    ("predictive:margin_z=-1", "parameter margin_z must be a number in [0, 10], got -1.0"),
    ("predictive:margin_z=high", "parameter margin_z must be a number in [0, 10], got 'high'"),
    ("predictive:margin_z=nan", "parameter margin_z must be a number in [0, 10], got nan"),
    ("predictive:half_life=0", "parameter half_life must be a number in [60, 2592000]"),
    ("predictive:min_handles=2.5",
     "parameter min_handles must be a whole number in [0, 10000]"),
    ("predictive:patience_mean=none,margin_z=3,margin_z=4", "margin_z is given twice"),
    ("predictive:", "expected predictive:KEY=VALUE"),
    ("predictive:margin_z", "'margin_z' is not KEY=VALUE"),
    ("power:lines_per_agent=70", "lines_per_agent must be a number in [1, 50] or none"),
    ("adaptive:method=ADAPT_FAST", "method must be one of ADAPT_HARD_LIMIT, ADAPT_TAPERED"),
    ("adaptive:available_only_ratio_tally=maybe", "must be true or false, got 'maybe'"),
    ("progressive:lines_per_agent=2", "valid: none (this policy takes no parameters)"),
    ("answer-ratio", "unknown pacing policy 'answer-ratio'; choose one of preview"),
])
def test_a_bad_parameter_is_one_line_naming_policy_parameter_and_what_is_valid(
        text: str, expected: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_policy_spec(text)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    if "not a parameter" in expected and "none" not in expected:
        assert "margin_z" in message and "aim_cap" in message  # the valid ones are listed


def test_make_policy_applies_the_table_where_the_constructor_does_not_check() -> None:
    # half_life = 0 would divide by zero at the first decayed count, hours into a shift.
    with pytest.raises(InvalidParameterError, match=r"half_life must be a number in \[60, "):
        make_policy("predictive", half_life=0.0)
    with pytest.raises(InvalidParameterError,
                       match=r"margin_z must be a number in \[0, 10\], got '3'"):
        make_policy("predictive", margin_z="3")  # a string from a hand-written JSON
    with pytest.raises(InvalidParameterError, match="must be true or false, got 1"):
        check_params("adaptive", {"available_only_ratio_tally": 1})


@pytest.mark.parametrize(("text", "expected"), [
    ("predictive:margin_z=1e300", "parameter margin_z must be a number in [0, 10], got 1e+300"),
    ("predictive:half_life=1e300",
     "parameter half_life must be a number in [60, 2592000], got 1e+300"),
    ("predictive:prior_talk_mean=1e9", "prior_talk_mean must be a number in [1, 7200]"),
    ("predictive:patience_mean=86400", "patience_mean must be a number in (0, 600] or none"),
    ("predictive:planning_answers=1e12", "planning_answers must be a number in [1, 100000]"),
    ("predictive:max_calls_per_decision=1e12",
     "max_calls_per_decision must be a whole number in [0, 1000000]"),
    ("predictive:max_lines_per_agent=1000", "max_lines_per_agent must be a number in [1, 100]"),
    ("predictive:prior_bias=1e6", "prior_bias must be a number in [1, 20]"),
    ("preview:preview_seconds=1e300", "preview_seconds must be a number in [0, 600]"),
    ("adaptive:adaptive_maximum_level=1e300",
     "adaptive_maximum_level must be a number in [1, 50]"),
    ("adaptive:adjust_every=1e300", "adjust_every must be a number in (0, 3600]"),
    ("adaptive:latest_time=-5", "latest_time must be a number in [0, 10000000000] or none"),
])
def test_an_absurd_value_is_refused_naming_parameter_value_and_range(
        text: str, expected: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_policy_spec(text)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_every_numeric_parameter_has_a_finite_range() -> None:
    for name, table in PARAMETERS.items():
        for key, spec in table.items():
            if spec.kind in (int, float):
                assert math.isfinite(spec.low) and math.isfinite(spec.high), (name, key)


def test_the_defaults_and_the_documented_values_stay_accepted() -> None:
    for name, table in PARAMETERS.items():
        constructor = _constructor_signature(name).parameters
        for key in table:
            default = constructor[key].default
            if key == "amd_margin_z":
                continue  # None: the policy derives it from margin_z
            check_params(name, {key: default})
    parse_policy_spec("predictive:margin_z=0.5,half_life=600,prior_talk_mean=20,"
                      "planning_answers=20,reserve_abandons=0,prior_bias=1,ramp_handles=300")


def test_the_same_policy_twice_is_refused_but_different_parameters_are_not() -> None:
    specs = parse_policy_specs(["predictive", "predictive:margin_z=3"])
    assert [s.label for s in specs] == ["predictive", "predictive:margin_z=3"]
    with pytest.raises(InvalidParameterError, match="--policy predictive:margin_z=3 is given"):
        parse_policy_specs(["predictive:margin_z=3", "predictive:margin_z=3.0"])


def _accepted_values(name: str, key: str) -> st.SearchStrategy:
    spec = PARAMETERS[name][key]
    if spec.kind is bool:
        values: st.SearchStrategy = st.booleans()
    elif spec.kind is str:
        values = st.sampled_from(spec.choices)
    elif spec.kind is int:
        values = st.integers(int(spec.low), int(min(spec.high, 10**6)))
    else:
        low = max(spec.low, -1e6)
        values = st.floats(low, min(spec.high, 1e6), exclude_min=spec.low_open,
                           allow_nan=False)
    return st.none() | values if spec.optional else values


_PARAMS = [(name, key) for name, table in PARAMETERS.items() for key in table]


@given(st.data())
def test_every_accepted_value_survives_the_label_round_trip(data: st.DataObject) -> None:
    name, key = data.draw(st.sampled_from(_PARAMS))
    value = data.draw(_accepted_values(name, key))
    spec = parse_policy_spec(parse_policy_spec(name).with_param(key, value).label)
    assert spec.name == name
    assert spec.params[key] == value
