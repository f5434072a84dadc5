"""Errors of the event-socket layer, all under the dialer's ``DialerError`` so the CLI prints
them as one line."""

from __future__ import annotations

from dialer.errors import DialerError


class EslError(DialerError):
    """Base class of every event-socket error."""


class EslUrlError(EslError):
    """A switch URL is not of the form ``esl://[:PASSWORD@]HOST[:PORT]``."""


class EslProtocolError(EslError):
    """The peer sent bytes that are not event-socket framing (a bug or a wrong port)."""


class EslAuthError(EslError):
    """The switch refused our password (``-ERR invalid``)."""


class EslConnectionError(EslError):
    """The connection is down, was lost, or could not be established."""


class EslCommandError(EslError):
    """A command was answered with ``-ERR``/``-USAGE`` (the switch's text is the message)."""
