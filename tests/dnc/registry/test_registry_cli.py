"""``dialer dnc ...``: import, check, scrub, add/remove, versions, stats (JSON output)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
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


def test_a_scrub_that_fails_or_is_interrupted_leaves_no_half_file(tmp_path: Path,
                                                                  monkeypatch) -> None:
    """A rejects path in a missing directory used to leave an empty 'callable' file behind,
    and Ctrl-C mid-scrub a half one that reads as the whole list."""
    from dnc.registry import scrub as scrub_module
    from dnc.registry.lookup import DncStore

    store = DncStore(tmp_path / "data")
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n212-555-0000\n305-555-1234\n")
    kept = tmp_path / "ok.csv"
    try:
        scrub_module.scrub(store, leads, kept, tmp_path / "missing" / "rej.csv")
    except FileNotFoundError as error:
        assert error.filename == str(tmp_path / "missing" / "rej.csv")
    else:
        raise AssertionError("a rejects file in a missing directory was accepted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "leads.csv"]

    kept.write_text("the complete output of an earlier scrub\n")

    def interrupted(*args, **kwargs):
        args[6].writerow(["212-555-0000"])  # the kept writer got a row, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(scrub_module, "_scrub_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        scrub_module.scrub(store, leads, kept, tmp_path / "rej.csv")
    assert kept.read_text() == "the complete output of an earlier scrub\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "leads.csv", "ok.csv"]


def test_a_missing_scrub_source_or_output_directory_is_one_line(tmp_path: Path) -> None:
    from cli import app

    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n212-555-0000\n")
    for source, output in ((tmp_path / "nothere.csv", tmp_path / "ok.csv"),
                           (leads, tmp_path / "missing" / "ok.csv")):
        result = RUNNER.invoke(app, ["dnc", "scrub", str(source), "--output", str(output),
                                     "--rejects", str(tmp_path / "rej.csv"),
                                     "--home", str(tmp_path / "data")])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "No such file or directory" in lines[0]
        assert str(source if source != leads else output) in lines[0]


def test_a_near_miss_of_a_well_known_registry_name_is_refused(tmp_path: Path) -> None:
    """'--registry nationl' created a registry of its own; the national list the user meant
    to update stayed as it was, with no word said."""
    from cli import app

    data = str(tmp_path / "data")
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("2125550100\n2125550101\n")
    for typo, meant in (("nationl", "national"), ("National", "national"),
                        ("internl", "internal")):
        result = RUNNER.invoke(app, ["dnc", "import", str(numbers), "--registry", typo,
                                     "--home", data, "--json"])
        assert result.exit_code == 1, result.output
        assert f"did you mean '{meant}'" in json.loads(result.stdout)["error"]
    assert not (tmp_path / "data" / "dnc" / "registries" / "nationl").exists()
    accepted = run("import", str(numbers), "--registry", "acme-list", "--home", data, "--json")
    assert accepted.exit_code == 0, accepted.output
    versions = json.loads(run("versions", "--home", data, "--json").stdout)["versions"]
    assert {v["registry"] for v in versions} == {"acme-list", "internal"}


def _dialer(*args: str):
    from cli import app
    return RUNNER.invoke(app, list(args))


def test_a_number_that_cannot_be_checked_exits_non_zero(tmp_path: Path) -> None:
    """A script must not read "exit 0" as "not listed" for a number no list was asked."""
    data = str(tmp_path / "data")
    result = _dialer("dnc", "check", "12345", "--home", data)
    assert result.exit_code == 1, result.output
    assert "'12345': not a NANP number, so not checked against any list" in result.output
    document = json.loads(_dialer("dnc", "check", "12345", "2015550123", "--home", data,
                                  "--json").stdout)
    assert [r["checked"] for r in document["results"]] == [False, True]
    assert document["exit_code"] == 1 and "'12345'" in document["error"]
    assert _dialer("dnc", "check", "2015550123", "+442079460000", "--home", data
                   ).exit_code == 0  # full E.164 outside the plan is looked up


@pytest.mark.parametrize(("encoding", "said"), [
    ("utf-16", "looks like UTF-16 text"),
    ("utf-16-le", "looks like UTF-16 or UTF-32 (no byte-order mark) text"),
    ("utf-32", "looks like UTF-32 text"),
])
def test_a_utf16_numbers_file_is_one_clear_line_without_its_bytes(
        tmp_path: Path, encoding: str, said: str) -> None:
    path = tmp_path / "dnc.txt"
    path.write_bytes("2015550111\n2015550112\n".encode(encoding))
    for extra in (["--registry", "national"], ["--registry", "acme"],
                  ["--change-list", "--as-of", "2026-11-01"]):
        result = _dialer("dnc", "import", str(path), *extra, "--home", str(tmp_path / "d"))
        assert result.exit_code == 1, result.output
        line = " ".join(result.output.split())
        assert f"{path}: {said}" in line and "save it as UTF-8" in line, line
        assert "--encoding" in line and "\\x00" not in line and "malformed" not in line


def test_a_directory_given_as_a_numbers_file_says_it_is_a_directory(tmp_path: Path) -> None:
    result = _dialer("dnc", "import", str(tmp_path), "--registry", "national",
                     "--home", str(tmp_path / "d"))
    assert result.exit_code == 1
    assert f"{tmp_path}: is a directory, not a numbers file" in " ".join(result.output.split())
