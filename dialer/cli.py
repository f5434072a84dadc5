"""Command-line commands of ``dialer`` (mounted on the root ``dialer`` app by ``cli.py``)."""

import typer

from dialer.esl import cli as esl_cli


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    esl_cli.register(app)
