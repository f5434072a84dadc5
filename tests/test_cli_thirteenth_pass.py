"""The thirteenth pass: users who make mistakes (docs/operations.md, "Thirteenth pass"):
spreadsheet exports, numbers without a country code, units, order of commands. Each test
fails on the code before its fix."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
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


def _number_options():
    """(command, option) for every option of the dialer that takes a number."""
    import typing

    from typer.main import get_command

    from cli import app

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
            return
        for param in command.params:
            described = getattr(param, "type_descriptor", None)
            if described is None or not param.opts or not param.opts[0].startswith("--"):
                continue
            annotation = described.annotation
            kinds = typing.get_args(annotation) or (annotation,)
            if int in kinds or float in kinds:
                yield " ".join(path), param

    return list(walk(get_command(app), []))


def test_every_number_option_of_a_time_or_a_share_declares_its_unit():
    """The unit in a refusal was read from the option's help text, where any "seconds" in
    a sentence would have named it. Now declared (metavar, shown in --help as
    ``--duration SECONDS``, or the option's last word): this checks none is forgotten."""
    import re

    from cli import UNIT_METAVARS, declared_unit

    speaks = re.compile(r"\b(seconds|minutes|hours|days|fraction|share|probability|"
                        r"abandon\w* rate|P\()\b(?! per)", re.IGNORECASE)
    forgotten = []
    for command, param in _number_options():
        name = max(param.opts, key=len)
        if isinstance(param.metavar, str) and param.metavar.isupper():
            assert param.metavar in UNIT_METAVARS, (command, name, param.metavar)
        if (speaks.search(param.help or "") and declared_unit(param) is None
                and not name.endswith("-per-hour")
                and "per real second" not in (param.help or "")):
            forgotten.append(f"{command} {name}")
    assert forgotten == []


@pytest.mark.parametrize(("args", "said"), [
    (["campaign", "edit", "spring", "--abandon-target", "3%"],
     "error: --abandon-target: '3%' is not a fraction: write 0.03 for 3% (a share from 0 "
     "to 1)"),
    (["campaign", "edit", "spring", "--abandon-target", "0,03"],
     "error: --abandon-target: '0,03' is not a fraction: write 0.03 (a decimal point, not "
     "a comma)"),
    (["campaign", "edit", "spring", "--ring-timeout", "25s"],
     "error: --ring-timeout: '25s' is not a number of seconds: write the number alone, 25 "
     "(the unit is not read)"),
    (["erlang", "c", "--agents", "10", "--calls-per-hour", "100", "--aht", "2,5"],
     "error: --aht: '2,5' is not a number of seconds: write 2.5 (a decimal point, not a "
     "comma)"),
    (["leads", "list", "spring", "--limit", "1,000"],
     "error: --limit: '1,000' is not a whole number: write 1000 (no thousands separator)"),
    (["erlang", "c", "--agents", "10", "--calls-per-hour", "1,000", "--aht", "180"],
     "error: --calls-per-hour: '1,000' is not a number: write 1.000 or 1000, as meant (a "
     "decimal point, no thousands separator)"),
    (["switch-sim", "--opt-out", "5%"],
     "error: --opt-out: '5%' is not a fraction: write 0.05 for 5% (a share from 0 to 1)"),
    (["run", "spring", "--switch-refusal-limit", "five"],
     "error: --switch-refusal-limit: 'five' is not a whole number: write it in digits, "
     "e.g. 5"),
])
def test_a_number_option_refusal_says_its_declared_unit(args, said):
    """A share given as a percentage or with a decimal comma (a European spreadsheet's
    0,03) and a count with a thousands separator: each says what to write."""
    result = dialer(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [said]


def test_the_unit_is_the_declared_one_not_a_word_of_the_help():
    """An option whose help mentions seconds in passing is not an option of seconds."""
    import typer
    from typer.testing import CliRunner

    from cli import DialerGroup

    app = typer.Typer(cls=DialerGroup)

    @app.command()
    def limit(calls: int = typer.Option(5, help="Calls refused in a row; one is tried "
                                        "after 15 seconds.")) -> None:
        """Say nothing."""

    @app.command()
    def other() -> None:
        """A second command, so that limit is named."""

    result = CliRunner().invoke(app, ["limit", "--calls", "5s"])
    assert result.stderr.splitlines() == [
        "error: --calls: '5s' is not a whole number: write it in digits, e.g. 5"]


def test_a_count_of_one_reads_as_one(tmp_path, monkeypatch):
    """"acme@2026-12-07#1: 1 numbers listed", "imported 1 of 1 rows", "none of the 1 rows
    could be added": the first file a user tries often has one line."""
    from dialer.words import counted

    assert [counted(1, "row"), counted(0, "row"), counted(1200, "batch", "batches")] == \
        ["1 row", "0 rows", "1,200 batches"]
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    listed = dialer("dnc", "import", _write(tmp_path / "one.txt", "2015550199\n"),
                    "--registry", "acme", "--as-of", "2026-12-01")
    assert "acme@2026-12-01#1: 1 number listed" in listed.stdout
    imported = dialer("leads", "import", "spring",
                      _write(tmp_path / "one.csv", "Phone\n2125550101\n"), "--yes")
    assert "imported 1 of 1 row into list" in imported.stdout
    nothing = dialer("leads", "import", "spring",
                     _write(tmp_path / "bad.csv", "Phone\nxyz\n"), "--yes")
    assert "nothing imported: the file's one row could not be added" in \
        " ".join(nothing.stdout.split())
    exported = dialer("leads", "export", "spring", "--output", str(tmp_path / "out.csv"))
    assert "wrote 1 lead row to" in exported.stdout


def test_a_scrub_before_any_registry_is_imported_is_refused(tmp_path, monkeypatch):
    """The compliance officer ran the tour's scrub before its dnc import: "kept 30, listed
    0", and a callable.csv no registry had seen. Now refused, neither output written; with
    only some lists loaded, a US scrub notes that the national one is missing."""
    use_home(tmp_path, monkeypatch)
    leads = _write(tmp_path / "leads.csv", "Phone,Name\n2015550150,ann\n2125550101,bob\n")
    out, rejects = tmp_path / "ok.csv", tmp_path / "rej.csv"
    said = refused("dnc", "scrub", leads, "-o", str(out), "--rejects", str(rejects))
    assert "nothing to scrub against: no do-not-call registry is imported in" in said
    assert "import the national list first (dialer dnc import FILE" in said
    assert not out.exists() and not rejects.exists()
    ok("dnc", "add", "2015550150", "--reason", "asked", "--by", "ann")
    scrubbed = ok("dnc", "scrub", leads, "-o", str(out), "--rejects", str(rejects))
    assert (scrubbed["kept"], scrubbed["rejected_listed"]) == (1, 1)
    assert scrubbed["note"].startswith("no national registry is imported: the rows were "
                                       "checked against the internal list only")
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "212,5550199\n"), "--as-of", "2026-12-01")
    assert "note" not in ok("dnc", "scrub", leads, "-o", str(out), "--rejects", str(rejects))


def test_a_phone_saved_with_thousands_separators_says_the_cause(tmp_path, monkeypatch):
    """A phone column a spreadsheet formatted as a number with separators ("2,015,550,160",
    quoted in the CSV) was rejected with phonenumbers' "The string supplied did not seem
    to be a phone number": neither the cause nor the repair."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    report = ok("leads", "import", "spring", _write(
        tmp_path / "excel.csv", 'name,phone\nA,"2,015,550,160"\nB,2015550161\n'), "--yes")
    assert report["imported"] == 1
    [reason] = report["reject_reasons"]
    assert reason.startswith("saved by a spreadsheet as a number with thousands separators "
                             "(e.g. 2,015,550,123): format the phone column as text")


def test_a_change_list_imported_as_a_full_list_says_change_list(tmp_path, monkeypatch):
    """The tour's change list imported without --change-list was refused as "3 of 3
    records malformed" with a hint to --format numbers (which would have listed its
    deletions). And a US date for --as-of names both ISO readings, choosing neither."""
    use_home(tmp_path, monkeypatch)
    changes = _write(tmp_path / "changes.txt",
                     "areacode,number,action\n312,5550121,D\n303,5550122,A\n")
    said = refused("dnc", "import", changes, "--as-of", "today")
    assert "(its records carry add/delete indicators, A or D: a change list; import it " \
           "with --change-list)" in said
    assert "--format numbers" not in said
    listed = _write(tmp_path / "ftc.txt", "201,5550150\n")
    said = refused("dnc", "import", listed, "--as-of", "12/01/2026")
    assert "--as-of '12/01/2026' is not an ISO date (e.g. 2026-11-01): write 2026-12-01 " \
           "(month first) or 2026-01-12 (day first), as meant" in said
    assert said.endswith("write 2026-11-25") or "write 2026-11-25" in refused(
        "dnc", "import", listed, "--as-of", "25/11/2026")
    assert [v["registry"] for v in ok("dnc", "versions")["versions"]] == ["internal"]


def test_a_region_written_as_a_country_name_names_the_code(tmp_path, monkeypatch):
    """``--region UK`` / ``USA`` said "is not a region code (e.g. US, CA, GB)": the UK's
    code is GB, which nothing said."""
    use_home(tmp_path, monkeypatch)
    assert "--region: region 'UK' is not a region code; did you mean GB? (a two-letter " \
        "ISO 3166 code)" in refused("dnc", "check", "2015550100", "--region", "UK")
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "leads.csv", "Phone\n2125550101\n")
    assert "did you mean US?" in refused("leads", "import", "spring", leads, "--region",
                                         "USA", "--yes")


def test_a_german_or_french_export_finds_its_phone_columns(tmp_path, monkeypatch):
    """``Telefon;Mobil`` (a German export, with a BOM and semicolons) was refused as "no
    phone column found in the header"; the mobile one is the lead's other number."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550150\n"), "--as-of", "2026-12-01")
    export = tmp_path / "export.csv"
    export.write_bytes("\ufeffTelefon;Mobil;Vorname\r\n2125550101;201 555 0150;Anna\r\n"
                       .encode())
    summary = ok("dnc", "scrub", str(export), "-o", str(tmp_path / "ok.csv"),
                 "--rejects", str(tmp_path / "rej.csv"))
    assert (summary["columns"], summary["rejected_listed"]) == (["Telefon", "Mobil"], 1)
    from campaigns.lead_files import guess_mapping

    assert guess_mapping(["Numéro de téléphone", "Nom"])["phone"] == ["Numéro de téléphone"]


def test_an_agent_name_in_another_case_names_the_agent_meant(tmp_path, monkeypatch):
    """The agent typed ``dialer agent pause spring Ann lunch`` for the agent ``ann``: "has
    no agent 'Ann'" and nothing more."""
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    assert "campaign 'spring' has no agent 'Ann'; did you mean 'ann'?" in refused(
        "agent", "pause", "spring", "Ann", "lunch")
    said = refused("agent", "pause", "spring", "zed", "lunch")
    assert "has no agent 'zed' (see" in said and "did you mean" not in said
