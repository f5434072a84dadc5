"""The fifteenth pass: users who make mistakes (docs/operations.md, "Fifteenth pass"):
lists imported twice, spreadsheet exports, milliseconds for seconds, options before their
command. Each test fails on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, use_home

OUTBOUND = Path(__file__).parents[1] / "simulations" / "scenarios" / "outbound.toml"


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _versions(home: Path, registry: str) -> list[str]:
    return sorted(p.name for p in (home / "dnc" / "registries" / registry).glob("v[0-9]*"))


def _spring(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_home(home, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)


# -- the known items -------------------------------------------------------------------

def test_the_same_full_list_imported_twice_publishes_nothing_new(tmp_path, monkeypatch):
    """A second ``dnc import`` of the same full list published an identical version
    (``national@...#2``, ``added 2``): decisions then recorded a version no list made. Now
    it says nothing changed and the stored version stays current; a list dated another
    day, or with another number, is still published (docs/dnc.md, "Versions")."""
    use_home(tmp_path, monkeypatch)
    ftc = _write(tmp_path / "ftc.txt", "201,5550120\n312,5550121\n")
    first = ok("dnc", "import", ftc, "--as-of", "2026-12-01")
    again = ok("dnc", "import", ftc, "--as-of", "2026-12-01")
    assert first["version"] == again["version"] == "national@2026-12-01#1"
    assert (again["unchanged"], again["added"], again["count"]) == (True, 0, 2)
    assert _versions(tmp_path, "national") == ["v000001"]
    said = dialer("dnc", "import", ftc, "--as-of", "2026-12-01")
    assert said.exit_code == 0
    assert " ".join(said.stdout.split()).startswith(
        "unchanged: national@2026-12-01#1 already lists exactly the same 2 numbers, as of "
        "the same day: no new version published")
    # The freshness date moves with a later list, the same numbers or not.
    assert ok("dnc", "import", ftc, "--as-of", "2026-12-02")["version"] == \
        "national@2026-12-02#2"
    other = _write(tmp_path / "other.txt", "201,5550120\n312,5550122\n")
    assert not ok("dnc", "import", other, "--as-of", "2026-12-02")["unchanged"]
    assert _versions(tmp_path, "national") == ["v000001", "v000002", "v000003"]


def test_a_state_list_and_a_change_list_imported_twice_publish_nothing_new(tmp_path,
                                                                         monkeypatch):
    use_home(tmp_path, monkeypatch)
    state = _write(tmp_path / "tx.csv", "phone\n2145550100\n2145550101\n")
    ok("dnc", "import", state, "--registry", "state:TX", "--as-of", "2026-12-01")
    assert ok("dnc", "import", state, "--registry", "state:TX", "--as-of",
              "2026-12-01")["unchanged"]
    assert _versions(tmp_path, "state@TX") == ["v000001"]
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550120\n"), "--as-of", "2026-12-01")
    changes = _write(tmp_path / "ch.txt", "201,5550120,D,2026-12-02\n303,5550122,A,2026-12-02\n")
    assert not ok("dnc", "import", changes, "--change-list")["unchanged"]
    again = ok("dnc", "import", changes, "--change-list")
    assert (again["unchanged"], again["version"]) == (True, "national@2026-12-02#2")
    assert _versions(tmp_path, "national") == ["v000001", "v000002"]
    assert ok("dnc", "check", "+13035550122")["results"][0]["listed"]


def test_the_status_line_and_reasons_count_in_words():
    """``1 calls in progress``, ``all 1 logged-in agents are paused``, ``waiting for 1
    agents' phones``, ``Hopper 1 leads``: each count now agrees with its noun."""
    from dialer.runner.dashboard import status_line
    from dialer.runner.status import agents_problem

    snapshot = {"campaign": "spring", "at": 0.0, "calls_in_progress": 1, "calls_ringing": 1,
                "agents_logged_in": 1, "agents_by_state": {"on_call": 1}, "hopper": 1,
                "status": {"activity": "dialing", "reasons": [], "blockers": []}}
    line = status_line(snapshot)
    assert "1 call in progress (1 ringing)" in line and "1 calls" not in line
    assert "2 calls in progress" in status_line({**snapshot, "calls_in_progress": 2})
    assert agents_problem("s", {"paused": 1}) == (
        "the 1 logged-in agent is paused (`dialer agent ready s NAME`)")
    assert agents_problem("s", {"connecting": 1}) == "waiting for 1 agent's phone to answer"
    assert agents_problem("s", {"connecting": 2}) == "waiting for 2 agents' phones to answer"
    from rich.console import Console

    from dialer.runner.dashboard import render

    console = Console(width=80, record=True, color_system=None)
    console.print(render({**snapshot, "pacing": {}, "agents": {}}))
    text = " ".join(console.export_text().split())
    assert "1 call in progress" in text and "Hopper 1 lead." in text


def test_an_unnamed_column_of_phone_numbers_gets_one_warning(tmp_path, monkeypatch):
    """``Phone,Name,`` with numbers under the empty title: two warnings for one column (its
    missing name, then its phone numbers kept as a custom field). Now one, with both."""
    _spring(tmp_path, monkeypatch)
    leads = _write(tmp_path / "alt.csv", "Phone,Name,\n2015550110,Ann,2015550120\n"
                   "2015550111,Bob,2015550121\n")
    warnings = ok("leads", "import", "spring", leads, "--yes")["warnings"]
    assert warnings == [
        f"{leads}:1: column_3 (column 3 has no name in the header): 2 of 2 cells read are "
        "phone numbers, kept as a custom field: not among the lead's numbers (alt_phones) "
        "and not checked by dnc scrub. If they are the leads' other numbers: dialer leads "
        "delete spring --list alt.csv --yes, then import again with --map "
        "alt_phones=column_3"]


def test_an_unnamed_column_mapped_to_a_field_is_not_called_a_custom_field(tmp_path,
                                                                          monkeypatch):
    """``--map phone=column_2`` read the unnamed column as the number dialed, and the
    import still warned it was ``kept as the custom field column_2``."""
    _spring(tmp_path, monkeypatch)
    leads = _write(tmp_path / "n.csv", "Name,\nAnn,2015550100\nBob,2015550101\n")
    report = ok("leads", "import", "spring", leads, "--map", "phone=column_2", "--yes")
    assert (report["imported"], report["warnings"]) == (2, [])


# -- the campaign manager ---------------------------------------------------------------

def test_a_lead_file_without_a_header_line_says_so(tmp_path, monkeypatch):
    """A file saved without its header: ``no phone column found in the header
    (2015550100, Ann); name it with --map phone=COLUMN`` sent the user to --map a phone
    number as a column name (which would drop that lead)."""
    _spring(tmp_path, monkeypatch)
    leads = _write(tmp_path / "nohead.csv", "2015550100,Ann\n2015550101,Bob\n")
    assert refused("leads", "import", "spring", leads, "--yes") == (
        f"error: {leads}:1: the first line is not a header: '2015550100' is a phone number, "
        "so the file has no header line (its first lead was read as one); add a first line "
        "naming the columns, e.g. phone,column2, and import again (field 'phone')")


def test_a_workbook_named_csv_is_named_a_workbook(tmp_path, monkeypatch):
    import pandas as pd

    _spring(tmp_path, monkeypatch)
    book = tmp_path / "leads.csv"
    pd.DataFrame({"Phone": ["2015550140"], "Name": ["A"]}).to_excel(book, index=False,
                                                                    engine="openpyxl")
    assert refused("leads", "import", "spring", str(book), "--yes") == (
        f"error: {book}: is an Excel workbook (.xlsx) named .csv: rename it leads.xlsx "
        "(dialer leads import reads workbooks by that name), or save the sheet as CSV UTF-8")


def test_a_consent_date_saved_as_a_serial_number_says_what_it_is(tmp_path, monkeypatch):
    _spring(tmp_path, monkeypatch)
    leads = _write(tmp_path / "c.csv", "Phone,Consent\n2015550130,45300\n")
    warnings = ok("leads", "import", "spring", leads, "--consent-seller", "Spring Solar",
                  "--yes")["warnings"]
    assert warnings == [
        f"{leads}:2: Consent '45300' is not a date: kept as no consent; 45300 looks like a "
        "spreadsheet's date serial number (2024-01-09 in Excel's usual date system): format "
        "the column as a date, e.g. 2024-01-09, and save the file again (field consent)"]


@pytest.mark.parametrize(("args", "said"), [
    (("campaign", "--json", "show", "spring"),
     "--json is an option of dialer campaign show: write it after the command's name, "
     "dialer campaign show spring --json"),
    (("--db", "sqlite:////tmp/x.db", "campaign", "list", "--json"),
     "--db is an option of dialer campaign list: write it after the command's name, "
     "dialer campaign list --json --db sqlite:////tmp/x.db"),
    (("leads", "--yes", "import", "spring", "x.csv", "--json"),
     "--yes is an option of dialer leads import: write it after the command's name, "
     "dialer leads import spring x.csv --json --yes"),
])
def test_an_option_before_its_command_names_the_command_line_meant(tmp_path, monkeypatch,
                                                                   args, said):
    """``dialer --db X campaign list`` said ``No such option: --db`` while every command
    takes --db; the option written before the command's name is now named with the line
    meant (a usage error still: exit 2)."""
    use_home(tmp_path, monkeypatch)
    result = dialer(*args)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == said
    assert "No such option: --nosuch" in dialer("campaign", "--nosuch", "show", "x").output


@pytest.mark.parametrize(("setting", "said"), [
    ("ring_timeout=20000", "ring_timeout: Input should be less than or equal to 300 (20000 "
     "looks like milliseconds: the setting is in seconds, write 20 for 20 s)"),
    ("connect_window=2000", "connect_window: Input should be less than or equal to 2 (2000 "
     "looks like milliseconds: the setting is in seconds, write 2 for 2 s)"),
])
def test_a_time_in_milliseconds_is_named(tmp_path, monkeypatch, setting, said):
    _spring(tmp_path, monkeypatch)
    assert said in refused("campaign", "edit", "spring", "--set", setting)
    assert "milliseconds" not in refused("campaign", "edit", "spring", "--set",
                                         "ring_timeout=400")


# -- the analyst ------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "said"), [
    ("no_answer_timeout = 25", "no_answer_timeout = 25000",
     "s.toml:14: [callees].no_answer_timeout: 25,000 is outside 15-300 (seconds a call "
     "rings; a campaign's ring_timeout is at most 300); 25,000 looks like milliseconds: the "
     "file is in seconds, write 25"),
    ("mean = 180.0, sd = 90.0", "mean = 180000.0, sd = 90000.0",
     "s.toml:19: [agents].talk: mean 180,000 is outside 0-14,400 (seconds of talk, four "
     "hours); 180,000 looks like milliseconds: the file is in seconds, write 180"),
    ("value = 15.0", "value = 15000.0",
     "s.toml:20: [agents].wrap: mean 15,000 is outside 0-3,600 (seconds of wrap-up after a "
     "call, an hour); 15,000 looks like milliseconds: the file is in seconds, write 15"),
    ("busy_time = 4", "busy_time = 4000", "[callees].busy_time: 4,000 is outside 0-300"),
    ("abandon_limit = 0.03", 'abandon_limit = "3%"',
     "s.toml:6: [campaign].abandon_limit: expected a number, got '3%' (a fraction: write "
     "0.03 for 3%)"),
    ("agents = 20", 'agents = "20"',
     "[campaign].agents: expected a number, got '20' (write the number without quotes: 20)"),
])
def test_a_scenario_in_milliseconds_or_text_is_refused_naming_the_unit(tmp_path, old, new,
                                                                       said):
    """A scenario written in milliseconds ran: ``no_answer_timeout = 25000`` rang each call
    seven hours, ``talk`` of mean 180000 talked fifty hours a call, and the figures were
    tabled as a study; ``"3%"`` was "expected a number" with no word of the fraction."""
    text = OUTBOUND.read_text()
    assert old in text
    scenario = _write(tmp_path / "s.toml", text.replace(old, new, 1))
    assert said in refused("simulate", scenario, "--policy", "progressive")


# -- the compliance officer ---------------------------------------------------------------

@pytest.mark.parametrize(("cell", "cause"), [
    ("4155550123.0", "saved by a spreadsheet as a decimal number"),
    ("4.15555E+09", "written by a spreadsheet in scientific notation"),
])
def test_a_do_not_call_list_saved_by_a_spreadsheet_says_why(tmp_path, monkeypatch, cell,
                                                            cause):
    use_home(tmp_path, monkeypatch)
    listed = _write(tmp_path / "ca.csv", f"phone\n{cell}\n{cell}\n")
    said = refused("dnc", "import", listed, "--registry", "state:CA")
    assert "numbers file refused, stored registry unchanged" in said
    assert f"{cause}" in said and "format the phone column as text" in said


def test_an_ftc_file_with_a_stray_space_is_not_told_to_be_read_as_numbers(tmp_path,
                                                                         monkeypatch):
    """``201,5550120 `` (a space an editor left) in an FTC file: the refusal added "a list
    of numbers or a CSV: give --format numbers", which is not what the file is."""
    use_home(tmp_path, monkeypatch)
    ftc = _write(tmp_path / "ftc.txt", "201,5550120 \n312,5550121\n")
    said = refused("dnc", "import", ftc)
    assert "first bad line: '201,5550120 ' (spaces around a field)" in said
    assert "--format numbers" not in said


def test_a_utf8_file_read_with_another_encoding_is_refused(tmp_path, monkeypatch):
    """``--encoding latin-1`` on a UTF-8 file: with a BOM the header read ``ï»¿Phone``
    ("no phone column found"); without one every accented name was stored garbled
    (``Zoé`` as ``ZoÃ©``) without a word. A latin-1 file is still read as latin-1."""
    _spring(tmp_path, monkeypatch)
    utf8 = tmp_path / "u.csv"
    utf8.write_bytes("Phone,Name\n2015550160,Zoé\n".encode())
    assert refused("leads", "import", "spring", str(utf8), "--encoding", "cp1252",
                   "--yes") == (
        f"error: {utf8}:2: the file is UTF-8: 'é' read as cp1252 would be stored as 'Ã©'; "
        "leave --encoding out (or give utf-8)")
    bom = tmp_path / "b.csv"
    bom.write_bytes("\ufeffPhone,Name\n2015550160,Zoé\n".encode())
    assert refused("leads", "import", "spring", str(bom), "--encoding", "latin-1",
                   "--yes") == (
        f"error: {bom}:1: starts with a UTF-8 byte-order mark: the file is UTF-8, not "
        "latin-1; leave --encoding out (or give utf-8-sig)")
    latin = tmp_path / "l.csv"
    latin.write_bytes("Phone,Name\n2015550161,Zoé\n".encode("latin-1"))
    assert ok("leads", "import", "spring", str(latin), "--encoding", "latin-1",
              "--yes")["imported"] == 1
