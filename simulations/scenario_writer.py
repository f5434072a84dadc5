"""Scenario → TOML text that ``load_scenario`` reads back as the same scenario.

``dialer simulate --from-campaign NAME --write-scenario FILE.toml`` saves the scenario built
from a campaign's history with it, for an analyst to edit. Every key is written (defaults
too), floats with Python's shortest round-trip ``repr`` (TOML reads the same binary64 back),
and laws as their scenario value (``Distribution.spec``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simulations.errors import ScenarioError
from simulations.scenario import Scenario

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_PER_LINE = 8


def scenario_tables(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the TOML tables ``scenario_from_tables`` reads."""
    campaign = {f.name: getattr(scenario.campaign, f.name)
                for f in dataclasses.fields(scenario.campaign)}
    if campaign["agents_by_hour"]:
        campaign["agents_by_hour"] = list(campaign["agents_by_hour"])
    else:
        del campaign["agents_by_hour"]
    p = scenario.population
    callees: dict[str, Any] = {
        "live_answer": p.live_answer, "machine": p.machine, "busy": p.busy,
        "time_to_answer": p.time_to_answer.spec(), "no_answer_timeout": p.no_answer_timeout,
        "busy_time": p.busy_time, "patience": p.patience.spec(),
        "machine_greeting": p.machine_greeting}
    for name in ("live_answer_by_hour", "machine_by_hour", "busy_by_hour"):
        if getattr(p, name):
            callees[name] = list(getattr(p, name))
    agents = {"talk": p.talk.spec(), "wrap": scenario.wrap.spec(),
              "machine_handle_time": scenario.machine_handle_time}
    amd = {f.name: getattr(scenario.amd, f.name) for f in dataclasses.fields(scenario.amd)}
    tables: dict[str, Any] = {"campaign": campaign, "callees": callees, "agents": agents,
                              "amd": amd, "inbound": _inbound(scenario)}
    if scenario.queues:
        tables["queues"] = [q.model_dump(mode="json", exclude_none=True)
                            for q in scenario.queues]
    return tables


def _inbound(scenario: Scenario) -> dict[str, Any]:
    inbound = scenario.inbound
    table: dict[str, Any] = {}
    for field in dataclasses.fields(inbound):
        value = getattr(inbound, field.name)
        if field.name == "patience":
            spec = value.spec()
            if spec != math.inf:  # never gives up: the default, which TOML cannot name
                table["patience"] = spec
        elif isinstance(value, tuple | Mapping):
            if value:
                table[field.name] = list(value) if isinstance(value, tuple) else dict(value)
        else:
            table[field.name] = value
    return table


def scenario_toml(scenario: Scenario, header: Iterable[str] = ()) -> str:
    """The scenario as TOML text, led by ``header`` lines as comments."""
    lines = [f"# {line}".rstrip() for line in header]
    for name, table in scenario_tables(scenario).items():
        if name == "queues":
            for queue in table:
                lines += ["", "[[queues]]", *_assignments(queue)]
        else:
            lines += ["", f"[{name}]", *_assignments(table)]
    return "\n".join(lines).lstrip("\n") + "\n"


def write_scenario(scenario: Scenario, path: Path, header: Iterable[str] = ()) -> None:
    try:
        path.write_text(scenario_toml(scenario, header), encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{path}: cannot write: {error.strerror or error}") from None


def _assignments(table: Mapping[str, Any]) -> list[str]:
    return [f"{_key(key)} = {_value(value, multiline=True)}" for key, value in table.items()]


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any, multiline: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are TOML's (non-ASCII kept as is: TOML has no surrogate pairs).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {_value(v, multiline)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        items = [_value(v, multiline) for v in value]
        if not multiline or len(items) <= _PER_LINE:
            return f"[{', '.join(items)}]"
        rows = [", ".join(items[i:i + _PER_LINE]) for i in range(0, len(items), _PER_LINE)]
        return "[\n    " + ",\n    ".join(rows) + ",\n]"
    raise ScenarioError(f"cannot write {value!r} ({type(value).__name__}) in a scenario file")
