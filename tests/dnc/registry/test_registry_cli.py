"""``dialer dnc ...``: import, check, scrub, add/remove, versions, stats (JSON output)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from dnc import cli as dnc_cli

RUNNER = CliRunner()


def run(*args: str):
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root."""

    dnc_cli.register(root)
    return RUNNER.invoke(root, ["dnc", *args], catch_exceptions=False)


def test_import_check_scrub_internal_round_trip(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    full = tmp_path / "ftc.txt"
    full.write_text("201,2345678\n305,5551234\n")
    result = run("import", str(full), "--as-of", "2026-11-01", "--home", data, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 2
    changes = tmp_path / "changes.txt"
    changes.write_text("305,5551234,D,2026-11-03\n212,5550000,A,2026-11-03\n")
    summary = json.loads(run("import", str(changes), "--change-list", "--home", data,
                             "--json").stdout)
    assert (summary["added"], summary["deletions_applied"]) == (1, 1)
    assert summary["version"] == "national@2026-11-03#2"
    run("add", "(415) 555-0100", "--reason", "asked on call", "--by", "ann", "--home", data)
    checked = json.loads(run("check", "+12125550000", "3055551234", "4155550100",
                             "--home", data, "--json").stdout)["results"]
    assert [r["listed"] for r in checked] == [True, False, True]
    assert checked[2]["hits"][0]["registry"] == "internal"
    leads = tmp_path / "leads.csv"
    leads.write_text("name,phone\nann,212-555-0000\nbob,(305) 555-1234\ncy,nope\n")
    scrub = json.loads(run("scrub", str(leads), "--output", str(tmp_path / "ok.csv"), "--rejects",
                           str(tmp_path / "rej.csv"), "--home", data, "--json").stdout)
    assert (scrub["kept"], scrub["rejected_listed"], scrub["rejected_invalid"]) == (1, 1, 1)
    rejected = list(csv.DictReader((tmp_path / "rej.csv").read_text().splitlines()))
    assert [r["dnc_reason"] for r in rejected] == ["national@2026-11-03#2", "invalid number"]
    run("remove", "+14155550100", "--reason", "mistake", "--by", "bo", "--home", data)
    versions = json.loads(run("versions", "--home", data, "--json").stdout)["versions"]
    assert {v["registry"]: v["count"] for v in versions} == {"national": 2, "internal": 0}


def test_garbage_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("201,2345678\nnot a number\n")
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Root."""

    dnc_cli.register(root)
    result = RUNNER.invoke(root, ["dnc", "import", str(bad), "--home", str(tmp_path)])
    assert result.exit_code != 0
    assert f"{bad}:2" in str(result.exception)
    assert not (tmp_path / "dnc" / "registries" / "national" / "CURRENT").exists()
