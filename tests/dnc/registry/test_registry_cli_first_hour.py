"""A compliance officer's first DNC imports: the options that used to be taken silently
(a future date that hid a stale list, a reject share that refused nothing, an unknown
format or region) and the national list read in the wrong format, through the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app


def dnc(*args: str):
    return CliRunner().invoke(app, ["dnc", *args])


@pytest.fixture
def numbers(tmp_path: Path) -> Path:
    path = tmp_path / "list.csv"
    path.write_text("phone,name\n2015550123,a\n2015550124,b\n")
    return path


def stored_versions(home: Path) -> list[str]:
    root = home / "dnc" / "registries"
    return sorted(p.name for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--as-of", (datetime.now(UTC) + timedelta(days=400)).date().isoformat(), "in the future"),
    ("--max-reject-fraction", "5", "not a share between 0 and 1"),
    ("--max-reject-fraction", "nan", "not a share between 0 and 1"),
    ("--max-reject-fraction", "-0.5", "not a share between 0 and 1"),
    ("--format", "csv", "choose auto, ftc, numbers"),
    ("--region", "ZZ", "not a region code"),
])
def test_an_import_option_that_cannot_be_meant_is_refused(tmp_path, numbers, option, value,
                                                          said):
    result = dnc("import", str(numbers), "--registry", "myco", option, value,
                 "--home", str(tmp_path))
    # One line and exit 1, as every refused input (was click's usage box and exit 2).
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {option}") and said in line, line
    assert "Usage" not in result.output
    assert stored_versions(tmp_path) == []  # nothing stored


def test_a_registry_dated_today_is_taken(tmp_path, numbers):
    result = dnc("import", str(numbers), "--registry", "myco", "--as-of", "today",
                 "--region", "us", "--home", str(tmp_path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["check", "2015550123"],
                                     ["add", "2015550123", "--reason", "asked"]])
def test_other_commands_refuse_an_unknown_region(tmp_path, command):
    result = dnc(*command, "--region", "QQ", "--home", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "error: --region: region 'QQ' is not a region code (e.g. US, CA, GB)"]


def test_a_numbers_file_imported_as_the_national_list_says_give_format_numbers(tmp_path):
    plain = tmp_path / "mixed.txt"
    plain.write_text("2015550123\n+12015550124\n(201) 555-0125\n")
    result = dnc("import", str(plain), "--home", str(tmp_path))
    assert result.exit_code == 1
    assert "give --format numbers" in result.output
    assert "Traceback" not in result.output
    result = dnc("import", str(plain), "--format", "numbers", "--home", str(tmp_path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "said"), [
    (["import", "LIST", "--registry", "myco", "--as-of", "yesterdy"],
     "error: --as-of 'yesterdy' is not an ISO date (e.g. 2026-11-01)"),
    (["import", "LIST", "--registry", "myco", "--max-reject-fraction", "abc"],
     "error: --max-reject-fraction: 'abc' is not a fraction: "),
    (["add", "12345", "--reason", "asked", "--by", "me"],
     "error: '12345' is not a phone number (write it in full, e.g. +12015550123, or give "
     "--region)"),
    (["scrub", "LIST", "-o", "OUT", "--rejects", "REJ", "--jurisdiction", "usa"],
     "error: --jurisdiction: "),
])
def test_every_refused_value_is_one_error_line_and_exit_1(tmp_path, numbers, args, said):
    args = [{"LIST": str(numbers), "OUT": str(tmp_path / "o.csv"),
             "REJ": str(tmp_path / "r.csv")}.get(a, a) for a in args]
    result = dnc(*args, "--home", str(tmp_path))
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(said), line
    assert not (tmp_path / "o.csv").exists() and stored_versions(tmp_path) == []


def test_a_command_typed_wrong_keeps_the_usage_box(tmp_path):
    result = dnc("import", "--registry", "myco", "--home", str(tmp_path))
    assert result.exit_code == 2 and "Missing argument" in result.output
    result = dnc("import", "x.txt", "--nosuch", "--home", str(tmp_path))
    assert result.exit_code == 2 and "No such option" in result.output


def test_scrub_into_one_file_for_both_outputs_is_refused(tmp_path, numbers):
    """``-o out.csv --rejects out.csv`` left a broken out.csv and "No such file"."""
    out = tmp_path / "out.csv"
    result = dnc("scrub", str(numbers), "-o", str(out), "--rejects", str(out),
                 "--home", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: --output and --rejects are the same file")
    assert not out.exists()
