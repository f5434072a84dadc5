"""Scenario files (TOML) → validated, frozen settings. Errors name the file and the key.

The keys are documented in docs/simulations.md. Unknown keys are refused (a typo must not
silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulations.distributions import Distribution, Fixed, parse_distribution
from simulations.errors import ScenarioError
from simulations.population import CalleePopulation


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    agents: int = 10
    shift_hours: float = 8.0
    shift_start_hour: float = 9.0
    """Hour of day (0 ≤ h < 24, local time of the callees) at which each day's shift starts:
    virtual time ``d · 86400 + s`` is ``shift_start_hour + s / 3600`` o'clock on day ``d``
    (it selects ``live_answer_by_hour``)."""
    days: int = 1
    leads: int = 0
    abandon_limit: float = 0.03
    connect_window: float = 2.0
    decision_interval: float = 1.0
    window_days: float = 30.0
    message_time: float = 10.0
    """Seconds the safe-harbour message plays before the switch hangs up."""
    outbound: bool = True
    """False for an inbound-only scenario (no lead is dialed)."""


@dataclass(frozen=True, slots=True)
class AmdSettings:
    enabled: bool = False
    detect_time: float = 3.0
    false_positive: float = 0.0
    """Share of people classed as machines (hung up on: counted as abandoned)."""
    false_negative: float = 0.0
    """Share of machines classed as people (connected to an agent)."""


_NEVER_GIVES_UP = Fixed(math.inf)


@dataclass(frozen=True, slots=True)
class InboundSettings:
    """Poisson inbound arrivals (calls per hour) with a caller patience law."""

    calls_per_hour: float = 0.0
    patience: Distribution = _NEVER_GIVES_UP


@dataclass(frozen=True, slots=True)
class Scenario:
    path: Path
    campaign: CampaignSettings
    population: CalleePopulation
    amd: AmdSettings
    inbound: InboundSettings
    wrap: Distribution
    machine_handle_time: float

    def varied(self, key: str, value: float) -> Scenario:
        """A copy with one key changed (``agents``, ``live_answer``, ``campaign.leads`` ...)."""
        section, _, name = key.rpartition(".")
        if name == "live_answer" and self.population.live_answer_by_hour:
            raise ScenarioError(f"--vary {key}: the scenario sets live_answer_by_hour, which "
                                "replaces live_answer in every hour")
        for target in ([section] if section else ["campaign", "population", "amd", "inbound"]):
            holder = getattr(self, target if target != "callees" else "population", None)
            if holder is not None and name in {f.name for f in dataclasses.fields(holder)}:
                current = getattr(holder, name)
                cast = type(current) if isinstance(current, int | float | bool) else float
                field_name = target if target != "callees" else "population"
                return dataclasses.replace(self, **{field_name: dataclasses.replace(
                    holder, **{name: cast(value)})})
        raise ScenarioError(f"--vary {key}: no such scenario key")


_TOP = {"campaign", "callees", "agents", "amd", "inbound", "machine_handle_time"}


def _table(tables: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = tables.get(name, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where}: [{name}] must be a table")
    return dict(value)


def _plain(raw: dict[str, Any], kind: type, where: str, section: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(kind)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ScenarioError(f"{where}: [{section}].{key}: unknown key; known: "
                                f"{', '.join(fields)}")
        default = fields[key].default
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ScenarioError(f"{where}: [{section}].{key}: expected true or false")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}: [{section}].{key}: expected a number, got {value!r}")
        elif value < 0:
            raise ScenarioError(f"{where}: [{section}].{key}: must be >= 0")
        elif isinstance(default, int) and value != int(value):
            raise ScenarioError(f"{where}: [{section}].{key}: expected a whole number")
        values[key] = type(default)(value)
    return kind(**values)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    where = str(path)
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{where}: not valid TOML: {error}") from None
    return scenario_from_tables(tables, path)


def scenario_from_tables(tables: Mapping[str, Any], path: Path = Path("<scenario>")) -> Scenario:
    where = str(path)
    for key in tables:
        if key not in _TOP:
            raise ScenarioError(f"{where}: {key}: unknown top-level key; known: "
                                f"{', '.join(sorted(_TOP))}")
    campaign = _plain(_table(tables, "campaign", where), CampaignSettings, where, "campaign")
    if campaign.agents < 1:
        raise ScenarioError(f"{where}: [campaign].agents: at least 1 agent is needed")
    if not 0 < campaign.connect_window <= 2.0:
        raise ScenarioError(f"{where}: [campaign].connect_window: must be in (0, 2] seconds "
                            "(47 CFR 64.1200(a)(7)(i))")
    if campaign.shift_hours <= 0 or campaign.days < 1 or campaign.decision_interval <= 0:
        raise ScenarioError(f"{where}: [campaign]: shift_hours, days and decision_interval "
                            "must be positive")
    if not 0 <= campaign.shift_start_hour < 24:
        raise ScenarioError(f"{where}: [campaign].shift_start_hour: an hour of day in [0, 24)")
    if not 0 <= campaign.abandon_limit < 1:
        raise ScenarioError(f"{where}: [campaign].abandon_limit: a fraction in [0, 1)")
    agents = _table(tables, "agents", where)
    # In the documented layout ``machine_handle_time`` follows [agents], so TOML puts it
    # inside that table; it is accepted there and at the top level.
    handle = agents.pop("machine_handle_time", tables.get("machine_handle_time", 5.0))
    extra = set(agents) - {"talk", "wrap"}
    if extra:
        raise ScenarioError(f"{where}: [agents].{sorted(extra)[0]}: unknown key; known: "
                            "talk, wrap, machine_handle_time")
    base = path.parent
    talk = parse_distribution(agents.get("talk", {"dist": "exponential", "mean": 180.0}),
                              f"{where}: [agents].talk", base)
    wrap = parse_distribution(agents.get("wrap", 0.0), f"{where}: [agents].wrap", base)
    population = CalleePopulation.from_tables(_table(tables, "callees", where), talk,
                                              where=where, base_dir=base)
    amd = _plain(_table(tables, "amd", where), AmdSettings, where, "amd")
    if amd.false_positive > 1 or amd.false_negative > 1:
        raise ScenarioError(f"{where}: [amd]: error rates are fractions in [0, 1]")
    inbound_raw = _table(tables, "inbound", where)
    inbound_patience = inbound_raw.pop("patience", None)
    inbound = _plain(inbound_raw, InboundSettings, where, "inbound")
    if inbound_patience is not None:
        inbound = dataclasses.replace(inbound, patience=parse_distribution(
            inbound_patience, f"{where}: [inbound].patience", base))
    if isinstance(handle, bool) or not isinstance(handle, int | float) or handle < 0:
        raise ScenarioError(f"{where}: machine_handle_time: expected seconds >= 0")
    return Scenario(path, campaign, population, amd, inbound, wrap, float(handle))
