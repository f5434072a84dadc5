"""Pick the simulator's callee model: a scenario's population, or the built-in default.

The population model belongs to the simulation lab (``simulations.population``); the
simulator only needs ``draw(rng) -> CalleeFate`` from it. The scenario file is read by the
lab's own loader so both simulators interpret a scenario identically.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from simulations.errors import ScenarioError
from simulations.switch.fates import FateSource, default_fate_source, population_fate_source

# Constructors a population class may offer, tried in this order.
_FILE_CONSTRUCTORS = ("from_toml", "from_file", "load")
_TABLE_CONSTRUCTORS = ("from_tables", "from_scenario_tables", "from_dict", "from_mapping")


def fate_source_for(scenario: Path | None) -> FateSource:
    """The fate source of a scenario file's ``[callees]`` table (shared population model)."""
    if scenario is None:
        return default_fate_source()
    population = _population(scenario)
    if not callable(getattr(population, "draw", None)) and not callable(
            getattr(population, "draw_many", None)):
        raise ScenarioError(f"{scenario}: the population model has no draw(rng) method")
    return population_fate_source(population)


def _population(scenario: Path) -> object:
    from simulations import population as population_module

    try:
        from simulations import scenario as scenario_module  # type: ignore[attr-defined]
    except ImportError:
        scenario_module = None
    loader = getattr(scenario_module, "load_scenario", None)
    if loader is not None:
        loaded = loader(scenario)
        for attribute in ("population", "callees"):
            candidate = getattr(loaded, attribute, None)
            if callable(getattr(candidate, "draw", None)):
                return candidate
    kind = getattr(population_module, "CalleePopulation", None)
    if kind is None:
        raise ScenarioError(f"{scenario}: scenario support needs "
                            "simulations.population.CalleePopulation, which this build lacks")
    for name in _FILE_CONSTRUCTORS:
        constructor = getattr(kind, name, None)
        if constructor is not None:
            return constructor(scenario)
    try:
        tables = tomllib.loads(scenario.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{scenario}: not a readable TOML file: {error}") from None
    if "callees" not in tables:
        raise ScenarioError(f"{scenario}: no [callees] table")
    for name in _TABLE_CONSTRUCTORS:
        constructor = getattr(kind, name, None)
        if constructor is not None:
            return constructor(tables["callees"], tables.get("agents", {}))
    raise ScenarioError(f"{scenario}: CalleePopulation offers no constructor this simulator "
                        "knows (from_toml, from_tables, ...)")
