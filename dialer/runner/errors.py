"""Errors of the live runner, each with a message a campaign manager can act on."""

from dialer.errors import DialerError


class RunnerError(DialerError):
    """Base class of the runner's user-facing errors."""


class CampaignNotFoundError(RunnerError):
    """The campaign named on the command line is not in the database."""


class ControlSocketError(RunnerError):
    """The running campaign's control socket is missing or did not answer."""


class RunnerSettingsError(RunnerError):
    """A runner setting (database URL, switch URL, directory) is unusable."""
