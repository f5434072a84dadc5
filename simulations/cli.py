"""Command-line commands of ``simulations`` (mounted on the root ``dialer`` app by ``cli.py``)."""

import typer

from simulations.switch import cli as switch_cli


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    switch_cli.register(app)
