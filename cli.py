"""The ``dialer`` command line: parse, call the packages, render.

Every package contributes its commands through ``<package>.cli.register``; this module
only mounts them and turns user-facing errors into one clear line and a non-zero exit.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

import campaigns.cli
import dialer.cli
import dnc.cli
import pacing_models.cli
import simulations.cli
from campaigns.errors import CampaignError
from dialer.errors import DialerError
from dnc.errors import ComplianceError
from pacing_models.errors import PacingError
from simulations.errors import SimulationError

USER_ERRORS: tuple[type[Exception], ...] = (
    CampaignError,
    ComplianceError,
    DialerError,
    PacingError,
    SimulationError,
)


def build_app() -> typer.Typer:
    """Assemble the root app from every package's commands."""
    app = typer.Typer(
        name="dialer",
        help="Predictive dialer: campaigns, lead lists, pacing, compliance, live dialing "
        "through FreeSWITCH, and a simulation lab.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root() -> None:
        """Predictive dialer: campaigns, leads, pacing, compliance, dialing, simulation."""

    for package_cli in (pacing_models.cli, dnc.cli, campaigns.cli, dialer.cli, simulations.cli):
        package_cli.register(app)

    @app.command("version")
    def version(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Print the installed version."""
        from importlib.metadata import version as installed_version

        number = installed_version("dialer")
        typer.echo(json.dumps({"version": number}) if as_json else f"dialer {number}")

    return app


app = build_app()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except USER_ERRORS as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
