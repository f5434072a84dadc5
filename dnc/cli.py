"""Command-line commands of ``dnc`` (mounted on the root ``dialer`` app by ``cli.py``)."""

import typer

from dnc.rules import cli as rules_cli


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    rules_cli.register(app)
