"""Errors raised by the dialer engine, the ESL layer and the runner."""


class DialerError(Exception):
    """Base class for every user-facing error of ``dialer``."""


class IllegalTransitionError(DialerError):
    """A call or agent state machine was asked to make a transition its table forbids.

    This is a bug in whoever sent the event, never something to ignore silently.
    """
