"""The thirteenth pass: users who make mistakes (docs/operations.md, "Thirteenth pass"):
spreadsheet exports, numbers without a country code, units, order of commands. Each test
fails on the code before its fix."""

from __future__ import annotations

import csv
from pathlib import Path

from cli_kit import READY_SPRING, dialer, ok, refused, use_home


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text().splitlines()))


def test_a_second_phone_column_under_a_common_name_is_read_and_scrubbed(tmp_path,
                                                                        monkeypatch):
    """``Phone,Cell`` (a CRM export): Cell was kept as a custom field, never dialed, and
    dnc scrub never checked it; a listed cell number went into the campaign unseen. Now
    every phone column after the number dialed is the lead's other numbers, for the
    import and the scrub alike; ``Number`` beside ``Phone`` stays custom (an account)."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550150\n"), "--as-of", "2026-12-01")
    for header in ("Cell", "Mobile", "Phone 2", "Work phone", "Cell Phone"):
        leads = _write(tmp_path / "leads.csv", f"Phone,{header},Number,Name\n"
                       "2125550101,201-555-0150,2125550199,ann\n2125550102,,,bob\n")
        summary = ok("dnc", "scrub", leads, "-o", str(tmp_path / "ok.csv"),
                     "--rejects", str(tmp_path / "rej.csv"))
        assert summary["columns"] == ["Phone", header], header
        assert [r["Name"] for r in _rows(tmp_path / "ok.csv")] == ["bob"], header
        report = ok("leads", "import", "spring", leads, "--list-name", header, "--yes")
        assert report["mapping"]["alt_phones"] == [header]
        assert "Number" not in report["mapping"].get("alt_phones", [])


def test_a_column_of_phone_numbers_kept_custom_is_warned_with_the_map_to_read_it(
        tmp_path, monkeypatch):
    """A second number under a name nobody guesses (``Spouse``) was kept silently: now a
    warning names the column and the whole --map to give (the guessed alt_phones too, as
    one --map alt_phones= replaces them); a fax column is not a number to dial."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "leads.csv", "Phone,Mobile,Spouse,Fax,Note\n"
                   "2125550101,2125550102,(212) 555-0103,2125550104,call after 5\n"
                   "2125550111,,212.555.0113,,\n")
    report = ok("leads", "import", "spring", leads, "--yes")
    assert report["mapping"]["alt_phones"] == ["Mobile"]
    warned = [w for w in report["warnings"] if "Spouse" in w]
    assert len(warned) == 1, report["warnings"]
    assert "2 of 2 cells read are phone numbers" in warned[0]
    assert warned[0].endswith("--map alt_phones=Mobile --map alt_phones=Spouse")
    assert "dialer leads delete spring --list leads.csv --yes" in warned[0]
    assert not [w for w in report["warnings"] if "Fax" in w or "Note" in w]


def test_a_number_setting_without_its_country_code_says_what_to_write(tmp_path, monkeypatch):
    """``--dnc-number 8005550199`` said only "is not an E.164 number like +18005550100":
    nothing said the country code was missing, nor which one. Still refused (a country
    guessed could reach someone else), the line now says what to write for which country;
    a caller ID likewise."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    said = refused("campaign", "create", "spring", "--caller-id", "+12015550100",
                   "--dnc-number", "8005550199")
    assert ("dnc_number '8005550199' is not an E.164 number: E.164 is + and the country "
            "code, then the number; write +18005550199 if it is a US or Canadian number") \
        in said
    said = refused("campaign", "create", "spring", "--caller-id", "020 7946 0018")
    assert "write +442079460018 if it is a UK number" in said
    said = refused("campaign", "create", "spring", "--caller-id", "0044 20 7946 0018")
    assert "00 is the international prefix, written as +: write +442079460018" in said
    said = refused("campaign", "create", "spring", "--caller-id", "+12015550100",
                   "--set", "compliance.dnc_number=800 555 0199")
    assert "write +18005550199 if it is a US or Canadian number" in said
