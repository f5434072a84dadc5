"""The eleventh pass over the file imports (docs/operations.md, "Eleventh pass: imports"):
do-not-call, consent and lead files that would mislead are refused in one line, nothing
stored changed. Each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from cli_kit import ok, use_home
from cli_kit import refused as refused_after_progress  # imports draw progress first


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _listed(number: str) -> bool:
    return ok("dnc", "check", number)["results"][0]["listed"]


def _national() -> dict:
    return next(v for v in ok("dnc", "versions")["versions"] if v["registry"] == "national")


def test_an_older_full_list_is_refused_until_told(tmp_path, monkeypatch):
    """The 1st's full list imported after the 5th's change list was published: the
    registry went back to the 1st and the number added on the 5th was dialed."""
    use_home(tmp_path, monkeypatch)
    full = _write(tmp_path / "full-1.txt", "201,5550120\n")
    ok("dnc", "import", full, "--as-of", "2026-12-01")
    ok("dnc", "import", _write(tmp_path / "ch5.txt", "201,5550150,A,2026-12-05\n"), "--change-list")
    said = refused_after_progress("dnc", "import", full, "--as-of", "2026-12-01")
    assert (
        "full-1.txt: this full list is as of 2026-12-01, older than the newest date "
        "already applied, 2026-12-05 (national@2026-12-05#2)" in said
    )
    assert "import this one with --allow-older" in said
    assert "--format numbers" not in said  # not the national registry's format hint
    assert _listed("+12015550150") and _national()["version"] == "national@2026-12-05#2"
    ok("dnc", "import", full, "--as-of", "2026-12-01", "--allow-older")
    assert not _listed("+12015550150")


def test_change_lists_named_out_of_order_apply_by_date(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550150\n"), "--as-of", "2026-12-01")
    ok(
        "dnc",
        "import",
        _write(tmp_path / "ch5.txt", "201,5550150,A,2026-12-05\n"),
        _write(tmp_path / "ch2.txt", "201,5550150,D,2026-12-02\n"),
        "--change-list",
    )
    assert _listed("+12015550150") and _national()["as_of"].startswith("2026-12-05")
