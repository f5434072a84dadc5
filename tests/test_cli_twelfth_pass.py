"""The twelfth pass over new users and imports (docs/operations.md, "Twelfth pass"): each
test fails on the code before its fix."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, use_home
from hypothesis import given
from hypothesis import strategies as st


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text().splitlines()))


def test_scrub_reads_every_phone_column_the_lead_import_reads(tmp_path, monkeypatch):
    """A lead's second number (``alt_phone``) was never scrubbed: the kept file carried a
    listed number into the campaign. And with ``mobile,phone`` the scrub checked ``phone``
    while the import dials ``mobile`` (the first phone word of the header)."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550150\n201,5550160\n"),
       "--as-of", "2026-12-01")
    leads = _write(tmp_path / "leads.csv",
                   "first_name,phone,alt_phone\n"
                   "ann,2125550101,201-555-0150\n"      # the other number is listed
                   "bob,2125550102,\n"                  # none
                   "cy,2125550103,not a number\n"       # dropped by the import: kept
                   "di,201 555 0160,2125550104\n")      # the number dialed is listed
    summary = ok("dnc", "scrub", leads, "-o", str(tmp_path / "ok.csv"),
                 "--rejects", str(tmp_path / "rej.csv"))
    assert summary["columns"] == ["phone", "alt_phone"]
    assert (summary["kept"], summary["rejected_listed"]) == (2, 2)
    assert [r["first_name"] for r in _rows(tmp_path / "ok.csv")] == ["bob", "cy"]
    reasons = {r["first_name"]: r["dnc_reason"] for r in _rows(tmp_path / "rej.csv")}
    assert reasons["ann"] == "alt_phone +12015550150 listed in national@2026-12-01#1"
    assert reasons["di"] == "national@2026-12-01#1"
    # The number the import dials is the first phone word of the header.
    ok("dnc", "scrub", _write(tmp_path / "two.csv", "mobile,phone\n2015550150,2125550101\n"),
       "-o", str(tmp_path / "ok2.csv"), "--rejects", str(tmp_path / "rej2.csv"))
    assert [r["mobile"] for r in _rows(tmp_path / "rej2.csv")] == ["2015550150"]
    # --column is repeatable: the first is the number dialed.
    scrubbed = ok("dnc", "scrub", leads, "-o", str(tmp_path / "ok3.csv"), "--rejects",
                  str(tmp_path / "rej3.csv"), "--column", "phone")
    assert (scrubbed["columns"], scrubbed["kept"]) == (["phone"], 3)


def test_an_undated_record_in_a_dated_change_list_is_refused(tmp_path, monkeypatch):
    """It counted as of the file's newest date: placed among the dated records by a guess
    (a deletion undated on a line before the number's dated addition undid it)."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "full.txt", "201,5550150\n"), "--as-of", "2026-12-01")
    changes = _write(tmp_path / "ch.txt", "areacode,number,action,date\n"
                     "201,5550170,A,2026-12-03\n201,5550150,D\n201,5550180,A,2026-12-05\n")
    said = refused("dnc", "import", changes, "--change-list")
    assert "ch.txt:3: this record carries no date, while the file's others do" in said
    assert "refused, stored registry unchanged" in said
    assert ok("dnc", "check", "+12015550150")["results"][0]["listed"]
    assert not ok("dnc", "check", "+12015550170")["results"][0]["listed"]
    # A date that does not read is named.
    bad = _write(tmp_path / "bad.txt", "201,5550170,A,2026-12-03\n201,5550150,D,2026-13-45\n")
    assert "bad.txt:2: '2026-13-45' is not a date" in refused("dnc", "import", bad,
                                                               "--change-list")
    # A file with no date at all is still imported with --as-of.
    ok("dnc", "import", _write(tmp_path / "nodate.txt", "201,5550150,D\n"), "--change-list",
       "--as-of", "2026-12-06")
    assert not ok("dnc", "check", "+12015550150")["results"][0]["listed"]


def test_a_seller_change_that_leaves_consents_behind_is_refused_unless_told(tmp_path,
                                                                            monkeypatch):
    """``campaign edit --seller`` said nothing of the consents imported for the seller
    until then: they stopped counting, and their leads were refused at every dial."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring", *READY_SPRING)
    ok("leads", "import", "spring", _write(
        tmp_path / "leads.csv", "phone,consent\n2125550101,2025-04-03T10:00:00Z\n"
        "2125550102,2025-04-03T10:00:00Z\n2125550103,\n"), "--consent-seller", "Spring Solar")
    said = refused("campaign", "edit", "spring", "--seller", "Autumn Roofing")
    assert ("2 leads of campaign 'spring' have 2 consents naming 'Spring Solar', the seller "
            "now: under 'Autumn Roofing' they stop counting") in said
    assert "pass --new-seller to change the seller anyway" in said
    shown = ok("campaign", "show", "spring")
    assert shown["settings"]["compliance"]["seller_name"] == "Spring Solar"
    # The same seller written otherwise changes nothing that counts: no question.
    ok("campaign", "edit", "spring", "--set", "compliance.seller_name=SPRING SOLAR")
    result = dialer("campaign", "edit", "spring", "--seller", "Autumn Roofing", "--new-seller")
    assert result.exit_code == 0, result.output
    assert "note: 2 leads of campaign 'spring' have 2 consents" in " ".join(
        result.stderr.split())
    assert ok("campaign", "show", "spring")["settings"]["compliance"]["seller_name"] == \
        "Autumn Roofing"


@pytest.mark.parametrize(("args", "said"), [
    (["demo", "--duration", "2m"],
     "error: --duration: '2m' is not a number of seconds: write 120 for 2 minutes"),
    (["demo", "--duration=1h"],
     "error: --duration: '1h' is not a number of seconds: write 3600 for 1 hour"),
    (["demo", "--duration", "90s"], "error: --duration: '90s' is not a number of seconds: "
     "write the number alone, 90 (the unit is not read)"),
    (["demo", "--duration", "soon"], "error: --duration: 'soon' is not a number of seconds: "
     "write it in digits, e.g. 120 for two minutes"),
    (["demo", "--agents", "five"],
     "error: --agents: 'five' is not a whole number: write it in digits, e.g. 5"),
    (["staff", "--aht", "3m", "--erlangs", "10", "--within", "20"],
     "error: --aht: '3m' is not a number of seconds: write 180 for 3 minutes"),
    (["dnc", "import", "x.txt", "--max-reject-fraction", "1%"],
     "error: --max-reject-fraction: '1%' is not a fraction: write 0.01 for 1% (a share "
     "from 0 to 1)"),
    (["gateway", "health", "--minutes", "2h"],
     "error: --minutes: '2h' is not a number of minutes: write 120 for 2 hours"),
])
def test_a_number_option_given_text_says_its_unit_and_an_example(args, said):
    """Typer said `Invalid value for '--duration': Input should be a valid number, unable
    to parse string as a number`: neither the unit nor what to write."""
    result = dialer(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [said]


@given(st.text(alphabet="abcxyz%", min_size=1, max_size=6))
def test_every_number_refusal_names_the_option_and_the_value(text):
    result = dialer("demo", "--duration", text)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: --duration: {text!r} is not a number of seconds"), line


def _store_a_case_pair(home: Path) -> None:
    """'Spring' beside 'spring', as stored before such names were refused."""
    from datetime import UTC, datetime

    from campaigns.models import Campaign
    from campaigns.store import CampaignStore

    ok("campaign", "create", "spring", *READY_SPRING)
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    with store.session() as session:
        at = datetime(2026, 12, 1, tzinfo=UTC)
        session.add(Campaign(name="Spring", settings={}, created_at=at, updated_at=at))
        session.commit()
    store.close()


def test_campaigns_alike_in_case_are_warned_about_and_a_spelling_of_both_refused(
        tmp_path, monkeypatch):
    """Two campaigns stored before whose names differ only in case: nothing said of them,
    and `campaign show SPRING` answered `did you mean 'Spring'?`, one of the two."""
    use_home(tmp_path, monkeypatch)
    _store_a_case_pair(tmp_path)
    listed = dialer("campaign", "list")
    assert listed.exit_code == 0, listed.output
    assert ("warning: campaigns 'Spring', 'spring' differ only in case" in
            " ".join(listed.stderr.split()))
    assert "`dialer campaign rename Spring Spring-2`" in listed.stderr
    said = refused("campaign", "show", "SPRING")
    assert ("no campaign named 'SPRING': it may be any of 'Spring', 'spring' (campaigns "
            "whose names differ only in case): give the exact name") in said
    assert ok("campaign", "show", "spring")["name"] == "spring"
    doctor = dialer("doctor", "spring", "--json", "--switch", "esl://:ClueCon@127.0.0.1:9")
    checks = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["name"]["verdict"] == "warn"
    assert "rename one" in checks["name"]["message"]
    # The repair.
    assert "already exists, and 'SPRING' differs" in refused("campaign", "rename", "Spring",
                                                              "SPRING")
    assert ok("campaign", "rename", "Spring", "spring-b") == {
        "id": 2, "name": "spring-b", "was": "Spring"}
    assert "warning" not in dialer("campaign", "list").stderr
    assert "did you mean 'spring'?" in refused("campaign", "show", "SPRING")


def test_consents_imported_without_a_seller_are_said_to_count_for_no_call(tmp_path,
                                                                         monkeypatch):
    """A lead file's opt-in dates imported without --consent-seller: every consent named
    no seller, counted for no call, and every lead was refused at the dial, without a word
    at the import (played as a new campaign manager)."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring", *READY_SPRING)
    leads = _write(tmp_path / "leads.csv", "phone,opt_in\n2125550101,\n"
                   "2125550102,2025-04-03T10:00:00Z\n2125550103,2025-04-03T10:00:00Z\n")
    report = ok("leads", "import", "spring", leads)
    [warning] = [w for w in report["warnings"] if "no seller" in w]
    assert warning.startswith(f"{leads}:3: 2 written consents name no seller: a written "
                              "consent counts only for the seller it names")
    assert "give --consent-seller 'Spring Solar' (the campaign's seller)" in warning
    assert "dialer leads delete spring --list leads.csv --yes" in warning
    ok("leads", "delete", "spring", "--list", "leads.csv", "--yes")
    again = ok("leads", "import", "spring", leads, "--consent-seller", "Spring Solar")
    assert not [w for w in again["warnings"] if "no seller" in w]


def test_what_a_new_campaign_must_still_declare_is_said_once(tmp_path, monkeypatch):
    """`campaign create` printed the missing declarations twice, the second time as
    `it must still declare ...` (played as a new campaign manager)."""
    use_home(tmp_path, monkeypatch)
    shown = ok("campaign", "create", "acme", "--caller-id", "+12015550100", "--seller", "Acme")
    [missing] = shown["cannot_start"]
    assert missing.startswith("campaign 'acme' has not declared what it must before it dials")


def test_a_full_list_without_its_date_is_said_to_be_dated_today(tmp_path, monkeypatch):
    """`dnc import ftc.txt` dated the list today without a word: one downloaded weeks ago
    passed the 31-day freshness rule for a month more (played as a new campaign manager)."""
    use_home(tmp_path, monkeypatch)
    listed = _write(tmp_path / "ftc.txt", "201,5550150\n")
    result = dialer("dnc", "import", listed)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "note: national dated today" in said and "(no --as-of)" in said
    assert "import it again with --as-of that date and --allow-older" in said
    dated = dialer("dnc", "import", listed, "--as-of", "today")
    assert dated.exit_code == 0 and "note:" not in dated.stderr


def test_numbers_a_spreadsheet_rewrote_are_refused_with_the_cause(tmp_path, monkeypatch):
    """A phone column saved as numbers (`2015550131.0`, `2.01555E+09`) was rejected as
    `invalid phone number` / `not a phone number (The string supplied did not seem to be a
    phone number.)` (played as a new campaign manager with an Excel export)."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring", *READY_SPRING)
    report = ok("leads", "import", "spring", _write(
        tmp_path / "excel.csv", "name,phone\nA,2015550131.0\nB,2.01555E+09\nC,2015550133\n"))
    assert report["imported"] == 1
    reasons = sorted(report["reject_reasons"])
    assert reasons[0].startswith("saved by a spreadsheet as a decimal number (e.g. "
                                 "2015550123.0): format the phone column as text")
    assert reasons[1].startswith("written by a spreadsheet in scientific notation")
