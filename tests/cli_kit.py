"""The command line as a test drives it: one `dialer ...` invocation in-process, its JSON
answer, and the one-line refusal every refused input must give (docs/operations.md,
"Mistakes the dialer refuses"). Shared by the first-hour and refusal tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app


def use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every command at ``home`` (no database URL from the environment)."""
    monkeypatch.setenv("DIALER_HOME", str(home))
    monkeypatch.delenv("DIALER_DB", raising=False)
    return home


def dialer(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def ok(*args: str) -> dict:
    result = dialer(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(*args: str) -> str:
    """The output of a refused command (exit 1, no traceback), on one line."""
    result = dialer(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def refused_cleanly(*args: str) -> str:
    """``refused``, and the refusal is a clean `error:` line on stderr: no exception but
    the exit itself (the CLI-wide convention for a refused value)."""
    result = dialer(*args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    return " ".join(result.output.split())


READY_SPRING = ("--caller-id", "+12015550100", "--agent", "ann=user/1001",
                "--set", "compliance.seller_name=Spring Solar",
                "--set", "compliance.dnc_number=+18005550100",
                "--set", "compliance.safe_harbor.states_telemarketing_purpose=true",
                "--set", "compliance.safe_harbor.names_seller=true",
                "--set", "compliance.safe_harbor.gives_dnc_number=true")
"""``dialer campaign create spring`` options of a US campaign that may dial: caller ID, one
agent, the seller, a do-not-call number and the abandoned-call message's content."""


def started_spring(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new home with its database upgraded and campaign ``spring`` created and started."""
    use_home(home, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    ok("campaign", "start", "spring")
    return home
