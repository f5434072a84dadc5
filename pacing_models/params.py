"""Every policy's parameters as data: their kinds and ranges, checked in one place.

A parameter reaches a policy from three places: a campaign's ``pacing_params`` (the store
and the console), ``--policy name:k=v,...`` on ``dialer simulate`` / ``dialer sweep``, and
``--vary name.k=a,b,c`` on sweeps. All three go through ``check_params`` (typed values) or
``parse_policy_spec`` (command-line text), so a misspelt or out-of-range parameter is one
line naming the policy, the parameter and what is valid, never a policy that quietly runs
on a default (a typo that dialled some other way once broke the abandonment limit). The
constructors keep their own checks as a second line; ``tests/pacing_models`` asserts that
this table names exactly the parameters each constructor takes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pacing_models.errors import InvalidParameterError

_INF = math.inf


@dataclass(frozen=True, slots=True)
class Parameter:
    """What one parameter accepts: a kind, an interval (or choices), and whether ``none``."""

    kind: type
    low: float = -_INF
    high: float = _INF
    low_open: bool = False
    optional: bool = False
    """``None`` is allowed (the policy then takes the value from the campaign)."""
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind is bool:
            text = "true or false"
        elif self.kind is str:
            text = "one of " + ", ".join(self.choices)
        else:
            noun = "a whole number" if self.kind is int else "a number"
            if self.low == -_INF and self.high == _INF:
                text = noun
            elif self.high == _INF:
                text = f"{noun} {'>' if self.low_open else '≥'} {_bound(self.low)}"
            else:
                left = "(" if self.low_open else "["
                text = f"{noun} in {left}{_bound(self.low)}, {_bound(self.high)}]"
        return text + (" or none" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if self.kind is bool:
            return isinstance(value, bool)
        if self.kind is str:
            return isinstance(value, str) and value.upper() in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind is int and value != int(value):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high


def _bound(value: float) -> str:
    """A range's end as a person writes it: 2592000, not 2.592e+06."""
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:g}"


def _real(low: float = -_INF, high: float = _INF, *, low_open: bool = False,
          optional: bool = False) -> Parameter:
    return Parameter(float, low, high, low_open, optional)


def _whole(low: float = 0, high: float = _INF) -> Parameter:
    return Parameter(int, low, high)


# Every number has an upper end too: a value no campaign could mean (margin_z=1e300, a
# half-life of 1e300 s) is a slip of the keyboard, and a policy that quietly runs on it
# gives figures nobody chose (docs/pacing.md, "Pacing policies", says why each end is
# where it is). The ends are wide: every value a document, test or sweep uses is inside.
_HOUR = 3600.0
_LINES = 50.0  # the most lines per agent any policy may set (power's and ratio's limit)

PARAMETERS: dict[str, dict[str, Parameter]] = {
    "preview": {"preview_seconds": _real(0.0, 600.0)},
    "progressive": {},
    "power": {"lines_per_agent": _real(1.0, _LINES, optional=True)},
    "ratio": {"dial_level": _real(1.0, _LINES, optional=True)},
    "predictive": {
        "prior_live_answer": _real(0.0, 0.85, low_open=True),  # + machine 0.1 + busy 0.05
        "prior_talk_mean": _real(1.0, 2 * _HOUR),
        "prior_talk_sd": _real(0.0, 2 * _HOUR, low_open=True),
        "prior_wrap_mean": _real(0.0, _HOUR),
        "prior_wrap_sd": _real(0.0, _HOUR, low_open=True),
        "patience_mean": _real(0.0, 600.0, low_open=True, optional=True),
        "min_live_answers": _whole(0, 10_000),
        "min_handles": _whole(0, 10_000),
        "ramp_handles": _whole(1, 10_000),
        "half_life": _real(60.0, 30 * 24 * _HOUR),
        "margin_z": _real(0.0, 10.0),
        "amd_margin_z": _real(0.0, 10.0),
        "planning_answers": _real(1.0, 100_000.0),
        "aim_cap": _real(0.0, 1.0, low_open=True),
        "reserve_abandons": _real(0.0, 1000.0),
        "bias_pseudo_abandons": _real(0.0, 1000.0, low_open=True),
        "prior_bias": _real(1.0, 20.0),
        "threshold_rate": _real(0.0, 1.0, low_open=True),
        "ring_refresh_attempts": _whole(1, 100_000),
        "max_calls_per_decision": _whole(0, 1_000_000),
        "max_lines_per_agent": _real(1.0, 100.0),
        "young_threshold": _real(0.0, 0.01),
        "young_risk": _real(0.0, 0.01),
        "period_answers_share": _real(0.0, 1.0),
        "period_reserve_abandons": _real(0.0, 1000.0, optional=True),
        "hang_up_after": _real(15.0, 600.0, optional=True),
    },
    "adaptive": {
        "method": Parameter(str, choices=("ADAPT_HARD_LIMIT", "ADAPT_TAPERED",
                                          "ADAPT_AVERAGE")),
        "adaptive_dropped_percentage": _real(0.0, 100.0, optional=True),
        "adaptive_maximum_level": _real(1.0, _LINES),
        "adaptive_intensity": _real(-40.0, 40.0),
        "adaptive_dl_diff_target": _real(-100.0, 100.0),
        "available_only_ratio_tally": Parameter(bool),
        "latest_time": _real(0.0, 1e10, optional=True),
        "initial_level": _real(1.0, _LINES, optional=True),
        "adjust_every": _real(0.0, _HOUR, low_open=True),
    },
}
"""Policy → parameter → what it accepts (docs/pacing.md, "Pacing policies")."""


def _near(name: str, names: Any) -> str | None:
    """The closest of ``names`` to a mistyped ``name`` (difflib), else None."""
    import difflib

    close = difflib.get_close_matches(name.strip().lower(), list(names), 1)
    return close[0] if close else None


def canonical_policy(name: str) -> str:
    """The policy's registered name, or one line naming it, the one meant and the choices."""
    if not isinstance(name, str) or name.strip().lower() not in PARAMETERS:
        meant = _near(name, PARAMETERS) if isinstance(name, str) else None
        hint = f" (did you mean {meant!r}?)" if meant else ""
        head, _, rest = name.strip().partition(" ") if isinstance(name, str) else ("", "", "")
        if head.lower() in PARAMETERS and "=" in rest:  # 'predictive margin_z=2'
            hint = (f" (write {head.lower()}:{rest.strip().replace(' ', '')}: a colon after "
                    "the policy's name, commas between its parameters)")
        raise InvalidParameterError(
            f"unknown pacing policy {name!r}{hint}; choose one of {', '.join(PARAMETERS)}")
    return name.strip().lower()


def policy_parameters(name: str) -> tuple[str, ...]:
    """The parameters a policy takes, in the order of its constructor."""
    return tuple(PARAMETERS[canonical_policy(name)])


def check_param(policy: str, key: str, value: Any) -> Any:
    """One parameter's value, checked (ints become floats where the policy wants a real)."""
    policy = canonical_policy(policy)
    table = PARAMETERS[policy]
    spec = table.get(key)
    if spec is None:
        meant = _near(key, table)  # last: after 26 names, the one meant
        raise InvalidParameterError(
            f"policy {policy}: {key!r} is not a parameter; valid: "
            f"{', '.join(table) or 'none (this policy takes no parameters)'}"
            + (f"; did you mean {meant!r}?" if meant else ""))
    if not spec.accepts(value):
        raise InvalidParameterError(
            f"policy {policy}: parameter {key} must be {spec.describe()}, got {value!r}")
    if value is None or spec.kind is bool:
        return value
    if spec.kind is str:
        return value.upper()
    return spec.kind(value)


def check_params(policy: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter checked against the table; the first fault is the error."""
    return {key: check_param(policy, key, value) for key, value in params.items()}


def parse_value(policy: str, key: str, text: str) -> Any:
    """A parameter's value from command-line text, by the kind the table gives it."""
    policy = canonical_policy(policy)
    spec = PARAMETERS[policy].get(key)
    if spec is None:
        return check_param(policy, key, None)  # raises: not a parameter
    raw = text.strip()
    value: Any = raw
    if spec.optional and raw.lower() == "none":
        value = None
    elif spec.kind is bool:
        value = {"true": True, "yes": True, "1": True,
                 "false": False, "no": False, "0": False}.get(raw.lower(), raw)
    elif spec.kind is not str:
        with contextlib.suppress(ValueError):  # not a number: refused below, with its text
            value = float(raw)
    return check_param(policy, key, value)


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A policy and its parameters as ``--policy`` names them (``label`` is shown in tables)."""

    name: str
    params: Mapping[str, Any]
    label: str

    def with_param(self, key: str, value: Any) -> PolicySpec:
        params = {**self.params, key: check_param(self.name, key, value)}
        return PolicySpec(self.name, params, spec_label(self.name, params))


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)  # exact, so labels round-trip
    return str(value)


@dataclass(frozen=True, slots=True)
class LiveBound:
    """One end a live campaign's parameter may not pass (``LIVE_ENVELOPE``)."""

    low: float | None = None
    high: float | None = None
    measured: str = ""
    """What was seen past it, for the refusal."""

    def admits(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        return f"at least {self.low:g}" if self.low is not None else f"at most {self.high:g}"


LIVE_ENVELOPE: dict[str, dict[str, LiveBound]] = {
    "predictive": {
        "margin_z": LiveBound(low=2.0, measured="margin_z 0 with the other margins loosest: "
                              "3.02 % over a ten-agent day"),
        "amd_margin_z": LiveBound(low=1.0, measured="below 1 never measured"),
        "threshold_rate": LiveBound(high=0.1, measured="threshold_rate 1: 3.12 % over a "
                                    "ten-agent day, 8.16 % with the margins loosened"),
    },
}
"""The parameters past which a *live* campaign's policy may break the abandonment limit
(docs/pacing.md, "The live envelope"). Every parameter's range (``PARAMETERS``) is the
analyst's: a simulation may explore it. A campaign that dials people may not leave the
envelope where "never above the limit" was measured: its corner (``margin_z`` 2,
``amd_margin_z`` 1, ``threshold_rate`` 0.1, with every other parameter at its loosest end)
kept every window of 68 simulated days (10 to 100 agents, with
and without AMD, one and three days) at or under 3 % (worst 2.96 %), while
``threshold_rate`` 1 went to 8.16 % and ``margin_z`` 0 to 3.02 %."""


def outside_live_envelope(policy: str, params: Mapping[str, Any]) -> str | None:
    """Why a live campaign may not run ``policy`` with ``params`` (None: it may), in one
    line naming the first parameter outside the envelope, its bound and what was seen."""
    envelope = LIVE_ENVELOPE.get(canonical_policy(policy), {})
    for key, bound in envelope.items():
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and not bound.admits(float(value)):
            return (f"{key}={value:g} is outside what a live campaign may run: {key} must be "
                    f"{bound.describe()} ({bound.measured}; docs/pacing.md, \"The live "
                    f"envelope\"); simulations may still try it")
    return None


def spec_label(name: str, params: Mapping[str, Any]) -> str:
    """``name`` or ``name:k=v,...`` (values printed back in a form ``parse_policy_spec`` reads)."""
    if not params:
        return name
    return name + ":" + ",".join(f"{k}={_shown(v)}" for k, v in params.items())


def parse_policy_spec(text: str) -> PolicySpec:
    """``predictive`` or ``predictive:margin_z=3,aim_cap=0.6`` → a checked ``PolicySpec``."""
    name, sep, rest = text.partition(":")
    policy = canonical_policy(name)
    params: dict[str, Any] = {}
    if sep:
        items = [item for item in rest.split(",") if item.strip()]
        if not items:
            raise InvalidParameterError(
                f"--policy {text!r}: expected {policy}:KEY=VALUE,... after the colon")
        for item in items:
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not key or not value.strip():
                raise InvalidParameterError(
                    f"--policy {text!r}: {item.strip()!r} is not KEY=VALUE")
            if key in params:
                raise InvalidParameterError(f"--policy {text!r}: {key} is given twice")
            params[key] = parse_value(policy, key, value)
    return PolicySpec(policy, params, spec_label(policy, params))


def parse_policy_specs(texts: list[str]) -> list[PolicySpec]:
    """Several ``--policy`` options; the same policy and parameters twice is refused (its
    column would hide the other)."""
    specs = [parse_policy_spec(text) for text in texts]
    seen: set[str] = set()
    for spec in specs:
        if spec.label in seen:
            raise InvalidParameterError(f"--policy {spec.label} is given twice")
        seen.add(spec.label)
    return specs
