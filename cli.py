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
            report_error(_not_a_number(error, argv) or error.format_message(),
                         type(error).__name__, as_json, 1)
        except click.exceptions.ClickException as error:
            if isinstance(error, click.exceptions.NoSuchOption) and \
                    (moved := _misplaced_option(self, error.option_name, argv)) is not None:
                error.message, error.possibilities = moved, []
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


_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
          "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600,
          "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
          "w": 604800, "week": 604800, "weeks": 604800}
_UNIT_WORDS = {1: "seconds", 60: "minutes", 3600: "hours", 86400: "days"}
_EXAMPLE = {1: "120 for two minutes", 60: "90 for an hour and a half", 3600: "48 for two days",
            86400: "14 for two weeks"}


def _option_value(opts: Sequence[str], argv: Sequence[str]) -> str | None:
    """The text given to one of ``opts`` in ``argv`` (the last, as click takes it)."""
    found = None
    for position, arg in enumerate(argv):
        if arg == "--":
            break
        for opt in opts:
            if arg == opt and position + 1 < len(argv):
                found = argv[position + 1]
            elif arg.startswith(f"{opt}="):
                found = arg[len(opt) + 1:]
    return found


UNIT_METAVARS: dict[str, int | None] = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600,
                                        "DAYS": 86400, "FRACTION": None}
"""The units a number option declares as its metavar (``typer.Option(metavar="SECONDS")``,
shown in its help as ``--duration SECONDS``): the refusal of a value that is not a
number says the unit from it (size in seconds; None: a fraction, 0 to 1). The unit was
read from the option's help text, where any "seconds" in a sentence (``one call is tried
after 15 seconds``) would have named it. tests/test_cli_thirteenth_pass.py checks that
every number option whose help speaks of a time or a share declares one."""


def declared_unit(param: Any) -> str | None:
    """The unit a number option declares: its metavar when one of ``UNIT_METAVARS``, else
    its name's last word (``--older-than-days``, ``--max-reject-fraction``); None when it
    declares none (a count, a rate: the refusal then names no unit)."""
    metavar = getattr(param, "metavar", None)
    if isinstance(metavar, str) and metavar in UNIT_METAVARS:
        return metavar
    for opt in getattr(param, "opts", None) or ():
        last = opt.rsplit("-", 1)[-1].upper()
        if opt.startswith("--") and "-" in opt[2:] and last in UNIT_METAVARS:
            return last
    return None


def _not_a_number(error: click.exceptions.BadParameter, argv: Sequence[str]) -> str | None:
    """One line for a number option given something else, with the option's declared unit
    (``UNIT_METAVARS``) and an example: ``--duration: '2m' is not a number of seconds:
    write 120 for 2 minutes``. Typer's own line (``Input should be a valid number, unable
    to parse string as a number``) named neither the unit nor what to write."""
    import re

    said = error.format_message()
    param = error.param
    if param is None or not re.search(r"valid (number|integer)", said) or not param.opts:
        return None
    value = _option_value([*param.opts, *param.secondary_opts], argv)
    if value is None:
        return None
    name = max(param.opts, key=len)
    whole = "valid integer" in said
    declared = declared_unit(param)
    unit = UNIT_METAVARS.get(declared) if declared else None
    kind = "a whole number" if whole else "a number"
    comma = re.fullmatch(r"\s*(\d*),(\d+)\s*", value)
    if comma and declared != "FRACTION":
        thousands = len(comma.group(2)) == 3 and comma.group(1)
        meant = [*([] if whole else [f"{comma.group(1) or 0}.{comma.group(2)}"]),
                 *([f"{comma.group(1)}{comma.group(2)}"] if thousands else [])]
        head = f"{name}: {value!r} is not {kind}{f' of {_UNIT_WORDS[unit]}' if unit else ''}"
        if not meant:
            return f"{head}: write a whole number in digits, without a comma"
        if len(meant) == 2:
            return (f"{head}: write {meant[0]} or {meant[1]}, as meant (a decimal point, "
                    "no thousands separator)")
        why = "no thousands separator" if thousands else "a decimal point, not a comma"
        return f"{head}: write {meant[0]} ({why})"
    if unit is not None:
        head = f"{name}: {value!r} is not {kind} of {_UNIT_WORDS[unit]}"
        written = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", value.lower())
        if written and written.group(2) in _UNITS:
            size = _UNITS[written.group(2)]
            amount = float(written.group(1)) * size / unit
            if size == unit:
                return f"{head}: write the number alone, {amount:g} (the unit is not read)"
            if not whole or amount == int(amount):
                word = _UNIT_WORDS.get(size, "weeks")
                count = written.group(1)
                return (f"{head}: write {amount:g} for {count} "
                        f"{word[:-1] if float(count) == 1 else word}")
        return f"{head}: write it in digits, e.g. {_EXAMPLE[unit]}"
    percent = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*%\s*", value)
    if declared == "FRACTION":
        if percent:
            share = float(percent.group(1).replace(",", ".")) / 100
            return (f"{name}: {value!r} is not a fraction: write {share:g} for "
                    f"{percent.group(1)}% (a share from 0 to 1)")
        comma = re.fullmatch(r"\s*(\d*),(\d+)\s*", value)
        if comma:
            return (f"{name}: {value!r} is not a fraction: write {comma.group(1) or 0}."
                    f"{comma.group(2)} (a decimal point, not a comma)")
        return f"{name}: {value!r} is not a fraction: write a share from 0 to 1, e.g. 0.03"
    if percent and not whole:
        return (f"{name}: {value!r} is not a number: a fraction is meant, write "
                f"{float(percent.group(1).replace(',', '.')) / 100:g} for {percent.group(1)}%")
    try:
        example = f"{int(float(value)) or 1}" if whole else "0.5"
    except (ValueError, OverflowError):
        example = "5" if whole else "0.5"
    return f"{name}: {value!r} is not {kind}: write it in digits, e.g. {example}"


def _misplaced_option(root: Any, option: str, argv: Sequence[str]) -> str | None:
    """The line for an option written before the command it belongs to (``dialer --db X
    campaign list``, ``dialer campaign --json show spring``): click said ``No such option:
    --db``, while every command takes ``--db``. Names the command line meant, the option
    moved after the command's name; None when the command takes no such option."""
    import shlex

    name = option.split("=", 1)[0]
    command, path, at = root, ["dialer"], None
    for position, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("-"):
            if at is None and arg.split("=", 1)[0] == name:
                at = position
            continue
        sub = command.commands.get(arg) if isinstance(command, TyperGroup) else None
        if sub is None:
            previous = argv[position - 1] if position else ""
            if previous.startswith("-") and "=" not in previous:
                continue  # the value of an option written before the command
            break
        command = sub
        path.append(arg)
    if at is None or isinstance(command, TyperGroup):
        return None
    param = next((p for p in command.params if name in (*p.opts, *p.secondary_opts)), None)
    if param is None:
        return None
    takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    taken = [at] + ([at + 1] if takes_value and "=" not in argv[at] and at + 1 < len(argv)
                    else [])
    rest = [a for i, a in enumerate(argv) if i not in taken]
    meant = " ".join(shlex.quote(a) for a in
                     ["dialer", *rest, *(argv[i] for i in taken)])
    return (f"{name} is an option of {' '.join(path)}: write it after the command's name, "
            f"{meant}")


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
