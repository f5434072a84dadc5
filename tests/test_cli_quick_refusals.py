"""A new user's mistakes that passed silently or ended in a traceback, now one `error:` line
and exit status 1 naming the option or field (docs/operations.md, "Mistakes the dialer
refuses", fifth pass)."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from cli import app

CALLER = ["--caller-id", "+12015550100"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_DB", raising=False)
    assert dialer("db", "upgrade").exit_code == 0
    return tmp_path


def dialer(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def ok(*args: str) -> dict:
    result = dialer(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(*args: str) -> str:
    result = dialer(*args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    return " ".join(result.output.split())


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [
    ["doctor", "spring"], ["campaign", "create", "spring", *CALLER], ["campaign", "list"],
    ["report", "spring"],
])
def test_a_database_server_that_does_not_answer_is_one_line_with_the_password_hidden(
        tmp_path, monkeypatch, command):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    url = f"postgresql://ann:s3cret@127.0.0.1:{_closed_loopback_port()}/dialer"
    result = dialer(*command, "--db", url)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    said = result.stderr
    assert said.startswith("error: cannot connect to the database at postgresql")
    assert "ann:***@127.0.0.1" in said and "s3cret" not in said
    assert len(said.strip().splitlines()) == 1
