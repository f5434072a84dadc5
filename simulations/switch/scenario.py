"""Pick the simulator's callee model: a scenario's population, or the built-in default."""

from __future__ import annotations

from pathlib import Path

from simulations.errors import ScenarioError
from simulations.switch.fates import FateSource, default_fate_source, population_fate_source


def fate_source_for(scenario: Path | None) -> FateSource:
    """The fate source of a scenario file's ``[callees]`` table (shared population model)."""
    if scenario is None:
        return default_fate_source()
    try:
        from simulations import population
        from simulations import scenario as scenario_module  # type: ignore[attr-defined]
    except ImportError:
        scenario_module = None
    loader = getattr(scenario_module, "load_scenario", None)
    build = getattr(population, "CalleePopulation", None)
    if loader is None or build is None:
        raise ScenarioError(f"{scenario}: scenario support needs simulations.scenario."
                            "load_scenario and simulations.population.CalleePopulation, "
                            "which this build does not have yet")
    loaded = loader(scenario)
    source = getattr(loaded, "population", None) or build.from_scenario(loaded)
    return population_fate_source(source)
