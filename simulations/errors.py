"""Errors raised by the simulation lab (scenarios, runs, sweeps)."""


class SimulationError(Exception):
    """Base class for every user-facing error of ``simulations``."""


class ScenarioError(SimulationError):
    """A scenario file is invalid. Names the file and the offending key."""
