"""The tenth pass of new users' mistakes (docs/operations.md, "Tenth pass"): a campaign
manager, a compliance officer and an analyst in a fresh home, with files as Excel and a
download leave them. Each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import dialer, ok, refused_cleanly, started_spring, use_home
from cli_kit import refused as refused_after_progress  # imports draw progress first

BOM = b"\xef\xbb\xbf"
ROOT = Path(__file__).resolve().parents[1]


def _listed(number: str) -> bool:
    return ok("dnc", "check", number)["results"][0]["listed"]


def _national() -> dict:
    return next(v for v in ok("dnc", "versions")["versions"] if v["registry"] == "national")


# 1. the compliance officer's do-not-call files


def _padding(count: int) -> str:
    return "".join(f"212,{5550000 + i}\n" for i in range(count))


@pytest.mark.parametrize("change_list", [False, True], ids=["full-list", "change-list"])
def test_a_byte_order_mark_does_not_drop_the_first_number(tmp_path, monkeypatch, change_list):
    """A file saved as "CSV UTF-8" starts with a byte-order mark; the FTC parsers read
    bytes, so the first record was malformed, one in 200 is under the 1 % reject share,
    and that number was dropped from the registry without a word: dialed."""
    use_home(tmp_path, monkeypatch)
    if change_list:
        ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550120\n"),
           "--as-of", "2026-11-30")
        text = "201,5550150,A,2026-12-05\r\n" + "".join(
            f"212,{5550000 + i},A,2026-12-05\r\n" for i in range(199))
        ok("dnc", "import", _write(tmp_path / "changes.txt", text, bom=True), "--change-list")
    else:
        ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550150\n" + _padding(199),
                                   bom=True))
    assert _listed("+12015550150")
    assert _national()["count"] == 200 + change_list


def _write(path: Path, text: str, bom: bool = False) -> str:
    path.write_bytes((BOM if bom else b"") + text.encode())
    return str(path)


def test_an_empty_state_list_does_not_replace_the_stored_one(tmp_path, monkeypatch):
    """A 0-byte file (a failed download) was published as an empty version: every number
    of the state's list unlisted, and dialed."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "tx.txt", "2125550140\n2125550141\n"),
       "--registry", "state:TX")
    for text in ("", "\n\n", "phone\n"):
        said = refused_after_progress("dnc", "import", _write(tmp_path / "tx2.txt", text),
                                      "--registry", "state:TX")
        assert "tx2.txt: no telephone number in the file: refused, stored registry " \
               "unchanged (an empty list would take every number off state:TX)" in said
    assert _listed("+12125550140")


def test_an_older_change_list_after_a_newer_one_is_refused(tmp_path, monkeypatch):
    """The 1st's change list imported after the 5th's deleted again a number added (asked
    not to be called) on the 5th, and put the registry's date back to the 1st."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550120\n"), "--as-of", "2026-11-30")
    ok("dnc", "import", _write(tmp_path / "ch5.txt", "201,5550150,A,2026-12-05\n"),
       "--change-list")
    said = refused_after_progress(
        "dnc", "import", _write(tmp_path / "ch1.txt", "201,5550150,D,2026-12-01\n"),
        "--change-list")
    assert "ch1.txt: this change list is as of 2026-12-01, older than the stored " \
           "national@2026-12-05#2 (as of 2026-12-05)" in said
    assert "Import change lists oldest first" in said
    assert _listed("+12015550150")
    assert _national()["version"] == "national@2026-12-05#2"
    # the same day again (a re-import) and a later one are applied
    ok("dnc", "import", str(tmp_path / "ch5.txt"), "--change-list")
    ok("dnc", "import", _write(tmp_path / "ch6.txt", "201,5550150,D,2026-12-06\n"),
       "--change-list")
    assert not _listed("+12015550150")


CUT_OFF = [
    pytest.param(["--registry", "national"], "".join(f"201,{5550100 + i}\n" for i in range(300))
                 + "31", 301, "'31'", id="ftc-full-list"),
    pytest.param(["--change-list"], "".join(f"201,{5550100 + i},A,2026-12-05\n"
                                            for i in range(300)) + "201,55501",
                 301, "'201,55501'", id="ftc-change-list"),
    pytest.param(["--registry", "state:TX"], "".join(f"212555{i:04d}\n" for i in range(300))
                 + "21255501", 301, "'21255501'", id="state-list"),
]


@pytest.mark.parametrize(("args", "text", "line", "shown"), CUT_OFF)
def test_a_file_still_being_written_is_refused(tmp_path, monkeypatch, args, text, line, shown):
    """A download or copy not yet finished ends in the middle of a record; one bad line in
    300 is under the 1 % reject share, so the part written so far was published as the
    registry (a full list of half the numbers), with no word."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550120\n"), "--as-of", "2026-11-30")
    if args[-1] == "state:TX":
        ok("dnc", "import", _write(tmp_path / "tx.txt", "2125559999\n"), *args)
    before = {v["registry"]: v["version"] for v in ok("dnc", "versions")["versions"]}
    path = _write(tmp_path / "cut.txt", text)
    said = refused_after_progress("dnc", "import", path, *args)
    assert f"cut.txt:{line}: the last line {shown} has no line end and is not a whole " \
           "record: the file looks cut off (still being written, downloaded or copied?); " \
           "refused, stored registry unchanged" in said
    assert "--format numbers" not in said  # not the national registry's format hint
    assert {v["registry"]: v["version"] for v in ok("dnc", "versions")["versions"]} == before
    # the complete file, or one whose last whole record lacks its line end, is imported
    Path(path).write_text(text.rsplit("\n", 1)[0])
    ok("dnc", "import", path, *args)



@pytest.mark.parametrize("registry", ["national", "state:FL"])
def test_a_full_list_cut_short_at_a_line_end_is_refused(tmp_path, monkeypatch, registry):
    """A download cut short at a line end reads as a complete, smaller list: published,
    the numbers after the cut were unlisted and called."""
    use_home(tmp_path, monkeypatch)
    lines = [f"212,{5550000 + i}\n" if registry == "national" else f"212555{i:04d}\n"
             for i in range(400)]
    ok("dnc", "import", _write(tmp_path / "whole.txt", "".join(lines)), "--registry", registry)
    cut = _write(tmp_path / "cut.txt", "".join(lines[:150]))
    said = refused_after_progress("dnc", "import", cut, "--registry", registry)
    assert f"cut.txt: 150 numbers, fewer than half of the stored {registry}@" in said
    assert "(400): a download or copy cut short? refused, stored registry unchanged; if " \
           "the list really shrank, import it with --allow-shrink" in said
    assert "--format numbers" not in said
    assert _listed("+12125550399")
    assert ok("dnc", "import", cut, "--registry", registry, "--allow-shrink")["count"] == 150
    assert not _listed("+12125550399")


# 2. "why was this number called": the audit log answers only what it was asked


def _logged_decision(home: Path) -> None:
    from dnc.rules.audit import AuditLog

    AuditLog(home / "audit").append_bodies([{
        "at": "2026-12-07T15:00:00+00:00", "number": "+12015550100", "campaign": "spring",
        "lead_id": "1", "allowed": True, "stage": "dial", "failed": [],
        "permissions": [{"rule": "us.wireless_consent", "permission": "consent"}],
        "versions": ["national@2026-12-07#1"], "zones": ["America/New_York"],
        "states": ["NJ"]}])


def test_the_audit_log_answers_a_question_asked_another_way_or_of_the_wrong_place(
        tmp_path, monkeypatch):
    """Each was an empty export with exit 0 (read as "never called"), and verify of a
    directory that does not exist said "ok: 0 entries"."""
    use_home(tmp_path, monkeypatch)
    _logged_decision(tmp_path)
    export = ("compliance", "audit", "export")
    assert "+12015550100,spring,1,True" in dialer(*export, "--number", "+12015550100").stdout
    assert "+12015550100,spring,1,True" in dialer(*export, "--number", "+1 201 555 0100").stdout
    for written in ("2015550100", "(201) 555-0100"):
        said = refused_cleanly(*export, "--number", written)
        assert f"--number {written!r} is not an E.164 number: the log stores numbers as " \
               "+CCNNN...; write it with its country code (a US number: write " \
               "+12015550100)" in said
    assert "--campaign 'sprng': no decision in the audit log names this campaign " \
           "(campaigns in the log: spring)" in refused_cleanly(*export, "--campaign", "sprng")
    assert "--until 2026-12-01 is not after --since 2026-12-08" in refused_cleanly(
        *export, "--since", "2026-12-08", "--until", "2026-12-01")
    nowhere = tmp_path / "nowhere"
    for command in (export, ("compliance", "audit", "verify")):
        assert f"no audit log at {nowhere}: --audit-dir {nowhere} does not exist" in \
            refused_cleanly(*command, "--audit-dir", str(nowhere))
        assert f"the data directory {nowhere} does not exist" in refused_cleanly(
            *command, "--home", str(nowhere))
    # a home with no decision yet is an empty log, as before
    assert dialer("compliance", "audit", "verify", "--home", str(tmp_path / "db")).exit_code \
        == 1
    (tmp_path / "fresh").mkdir()
    assert dialer("compliance", "audit", "verify", "--home", str(tmp_path / "fresh")).stdout \
        .startswith("ok: 0 entries")
    # an output is written whole: no partial file beside it
    out = tmp_path / "why.csv"
    assert dialer(*export, "--campaign", "spring", "-o", str(out)).exit_code == 0
    assert out.read_text().count("\n") == 2
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


# 3. the analyst's scenario: a ring timeout the simulator cannot honour

SCENARIO = ROOT / "simulations" / "scenarios" / "outbound.toml"


@pytest.mark.parametrize("timeout", ["0", "5", "14.5"])
def test_a_ring_timeout_under_15_seconds_is_refused_not_run_as_15(tmp_path, timeout):
    """The driver rings at least 15 s: 0, 5 or 10 ran as 15 s without a word, and a sweep
    over them gave the same figures for every point."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.read_text().replace("no_answer_timeout = 25",
                                                     f"no_answer_timeout = {timeout}"))
    said = refused_cleanly("simulate", str(scenario), "--policy", "progressive")
    assert f"s.toml:14: [callees].no_answer_timeout: {float(timeout):g} s is below the 15 s " \
           "a call rings at least (47 CFR 64.1200(a)(6)" in said
    said = refused_cleanly("sweep", str(SCENARIO), "--vary",
                           f"callees.no_answer_timeout={timeout},20", "--policy", "progressive")
    assert "[callees].no_answer_timeout: " in said and "write 15 or more" in said


# 4. Ctrl-C in the middle of an export or a report: nothing half-written


def _interrupted_on_second_write(monkeypatch, cls, method):
    calls = []
    original = getattr(cls, method)

    def write(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, write)


def test_an_interrupted_export_leaves_the_earlier_file_whole(tmp_path, monkeypatch):
    """leads export writes in chunks: Ctrl-C after the first left the first chunk in place
    of the earlier, complete export (and a report's file likewise)."""
    import pandas as pd

    from campaigns import export

    started_spring(tmp_path, monkeypatch)
    ok("leads", "import", "spring", str(ROOT / "examples" / "leads.csv"))
    out = tmp_path / "leads.csv"
    earlier = "the earlier, complete export\n"
    out.write_text(earlier)
    monkeypatch.setattr(export, "CHUNK", 10)
    _interrupted_on_second_write(monkeypatch, pd.DataFrame, "to_csv")
    result = dialer("leads", "export", "spring", "-o", str(out))
    assert result.exit_code != 0
    assert out.read_text() == earlier  # was the first 10 leads
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    monkeypatch.undo()
    use_home(tmp_path, monkeypatch)
    monkeypatch.setattr(export, "CHUNK", 10)
    ok("leads", "export", "spring", "-o", str(out))
    assert len(pd.read_csv(out)) == 30


def test_an_interrupted_report_leaves_no_half_workbook(tmp_path, monkeypatch):
    import pandas as pd

    started_spring(tmp_path, monkeypatch)
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"earlier")
    _interrupted_on_second_write(monkeypatch, pd.DataFrame, "to_excel")
    assert dialer("report", "spring", "--format", "xlsx", "-o", str(out)).exit_code != 0
    assert out.read_bytes() == b"earlier"  # was a workbook of the first sheet, unreadable
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


# 5. compliance explain of a number written as people write it


def test_explain_names_the_form_to_write_and_reads_a_spaced_number_as_the_lead(
        tmp_path, monkeypatch):
    """'(201) 555-0100' was refused with phonenumbers' '(0) Missing or invalid default
    region'; '+1 201 555 0100' found no lead, so explain judged another call than the
    dialer's (no consent, no lead zone or state)."""
    started_spring(tmp_path, monkeypatch)
    ok("leads", "import", "spring", str(ROOT / "examples" / "leads.csv"),
       "--consent-seller", "Spring Solar")
    said = refused_cleanly("compliance", "explain", "(201) 555-0100", "--campaign", "spring")
    assert "'(201) 555-0100' is not an E.164 number: write it with its country code (a US " \
           "number: write +12015550100)" in said
    at = ("--at", "2026-12-07T15:00Z", "--campaign", "spring")
    spaced = dialer("compliance", "explain", "+1 201 555 0100", *at)
    written = dialer("compliance", "explain", "+12015550100", *at)
    assert spaced.exit_code == written.exit_code == 0
    assert "lead time zone + lead state NJ" in spaced.stdout
    assert spaced.stdout == written.stdout
