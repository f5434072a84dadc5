"""The ``dialer`` command line: parse, call the packages, render.

Every package contributes its commands through ``<package>.cli.register``; this module
only mounts them and turns user-facing errors into one clear line and a non-zero exit
(with ``--json``: one JSON object on stdout, so a script reading it always gets JSON).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperGroup

import campaigns.cli
import dialer.accel.cli
import dialer.cli
import dnc.cli
import pacing_models.cli
import simulations.cli
from campaigns.db import storage_failure
from campaigns.errors import CampaignError
from dialer.errors import DialerError
from dialer.running_notice import RUNNER_PROCESSES
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

USER_FILE_ERRORS: tuple[type[OSError], ...] = (
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)
"""A file a user named that is missing or cannot be written (an output in a directory that
does not exist): one line with the path, whichever command opened it. Errors without a
file name (sockets, the database) keep their traceback: those are ours to fix."""


def _wants_json(args: Sequence[str]) -> bool:
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args


def report_error(message: str, kind: str, as_json: bool, exit_code: int) -> None:
    """One line on stderr, or one JSON object on stdout with ``--json``; then exit."""
    if as_json:
        typer.echo(json.dumps({"error": message, "error_type": kind, "exit_code": exit_code}))
    else:
        from rich.console import Console
        from rich.text import Text

        line = Text("error: ", style="bold red")
        line.append(message)  # plain text: a message is never read as rich markup
        Console(stderr=True, soft_wrap=True).print(line, highlight=False)
    sys.exit(exit_code)


class DialerGroup(TyperGroup):
    """The root command: user errors become one line (or a JSON object), never a traceback."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = _wants_json(argv)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
        except USER_ERRORS as error:
            report_error(str(error), type(error).__name__, as_json, 1)
        except USER_FILE_ERRORS as error:
            if error.filename is None:
                raise
            report_error(f"{error.filename}: {error.strerror}", type(error).__name__,
                         as_json, 1)
        except click.exceptions.BadParameter as error:
            if isinstance(error, click.exceptions.MissingParameter):
                _usage_error(error, as_json)
            # A value refused (out of its range, not a number): one line and exit 1, like
            # every value the packages refuse; a command typed wrong (an unknown option, a
            # missing argument) keeps click's usage box and exit 2.
            report_error(error.format_message(), type(error).__name__, as_json, 1)
        except click.exceptions.ClickException as error:
            _usage_error(error, as_json)
        except typer.Abort:
            report_error("aborted", "Abort", as_json, 1)
        except Exception as error:
            # A database that cannot be written (read-only, full disk): one line, not
            # SQLAlchemy's traceback with the statement; every other error keeps its own.
            if (line := storage_failure(error)) is None:
                raise
            report_error(line, "DatabaseError", as_json, 1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def _usage_error(error: click.exceptions.ClickException, as_json: bool) -> None:
    """Click's usage box and its exit code (2), or the JSON object with ``--json``."""
    if not as_json:
        from typer import rich_utils

        rich_utils.rich_format_error(error)
        sys.exit(error.exit_code)
    report_error(error.format_message(), type(error).__name__, True, error.exit_code)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version as installed_version

        typer.echo(f"dialer {installed_version('dialer')}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Assemble the root app from every package's commands."""
    app = typer.Typer(
        name="dialer",
        cls=DialerGroup,
        help="Predictive dialer: campaigns, lead lists, pacing, compliance, live dialing "
        "through FreeSWITCH, and a simulation lab.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", callback=_print_version,
                                     is_eager=True, help="Print the version and exit."),
    ) -> None:
        """Predictive dialer: campaigns, leads, pacing, compliance, dialing, simulation."""

    pacing_models.cli.register(app)
    dnc.cli.register(app)
    # The campaign commands ask the runner about the processes running a campaign (a poke
    # after a state change, who keeps an edit): handed in here so that campaigns never
    # imports the runner.
    campaigns.cli.register(app, running=RUNNER_PROCESSES)
    dialer.cli.register(app)
    dialer.accel.cli.register(app)
    simulations.cli.register(app)

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
    app()


if __name__ == "__main__":
    main()
