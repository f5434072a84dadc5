"""Command-line commands of this subpackage (mounted by its parent package's ``cli.register``)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this subpackage's commands to the root ``dialer`` app."""
