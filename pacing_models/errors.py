"""Errors raised by the pacing mathematics.

A ``PacingError`` always carries a message a campaign manager can act on
(which parameter is out of range and what range is allowed).
"""


class PacingError(Exception):
    """Base class for every user-facing error of ``pacing_models``."""


class InvalidParameterError(PacingError, ValueError):
    """A queueing or pacing parameter is outside its meaningful range."""


class InfeasibleTargetError(PacingError):
    """No staffing level or traffic load can meet the requested target."""
