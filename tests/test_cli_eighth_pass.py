"""The eighth pass of a new user's mistakes (docs/operations.md, "Eighth pass"): each was
accepted and acted on nobody's meaning, or lost or half-wrote something, and is now one
`error:` line (or a reject with its line) naming the file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cli_kit import dialer, ok, started_spring, use_home
from cli_kit import refused as refused_after_progress  # imports draw progress first
from cli_kit import refused_cleanly as refused

from dnc.rules.zone_names import zone_name_problem


@pytest.fixture
def home(tmp_path, monkeypatch):
    return started_spring(tmp_path, monkeypatch)


# 1. time zones: a place's zone, never an abbreviation or a fixed offset

REFUSED_ZONES = [
    ("EST", "EST is UTC-5 all year, with no summer time; did you mean America/New_York?"),
    ("MST", "MST is UTC-7 all year, with no summer time; did you mean America/Denver"),
    ("HST", "HST is UTC-10 all year; write Pacific/Honolulu"),
    ("EST5EDT", "EST5EDT is a POSIX rule (one region's summer-time rule), not a place's zone "
     "with its history; write America/New_York"),
    ("CST6CDT", "write America/Chicago"),
    ("MST7MDT", "write America/Denver"),
    ("PST8PDT", "write America/Los_Angeles"),
    ("CET", "CET is a POSIX rule"),
    ("GMT", "GMT is UTC all year, with no summer time; did you mean Europe/London"),
    ("Etc/GMT+5", "Etc/GMT+5 is UTC-5 all year (the sign is inverted, as POSIX writes it), "
     "with no summer time; did you mean America/New_York?"),
    ("Etc/GMT-1", "Etc/GMT-1 is UTC+1 all year"),
    ("localtime", "localtime is this machine's zone, not a place's"),
    ("Factory", "Factory is tzdata's placeholder"),
    ("right/America/New_York", "right/ counts leap seconds"),
]


@pytest.mark.parametrize(("name", "said"), REFUSED_ZONES)
def test_an_abbreviation_or_fixed_offset_zone_is_refused_naming_the_zone_meant(name, said):
    ZoneInfo(name)  # each loads: tzdata keeps them, so the old check took them
    problem = zone_name_problem(name)
    assert problem is not None and said in problem
    assert zone_name_problem(name, clock=True) is not None


@pytest.mark.parametrize(("name", "said"), [
    ("america/new_york", "did you mean America/New_York?"),
    ("Eastern", "did you mean America/New_York?"),
    ("PST", "did you mean America/Los_Angeles?"),
    ("UTC-5", "a fixed offset has no summer time; did you mean America/New_York?"),
    ("Mars/Olympus", "'Mars/Olympus' is not an IANA time zone (e.g. America/Chicago)"),
])
def test_a_name_tzdata_does_not_have_names_the_zone_meant(name, said):
    assert said in zone_name_problem(name)


US_LINKS = {"US/Eastern": "America/New_York", "US/Central": "America/Chicago",
            "US/Mountain": "America/Denver", "US/Pacific": "America/Los_Angeles",
            "US/Alaska": "America/Anchorage", "US/Hawaii": "Pacific/Honolulu",
            "US/Arizona": "America/Phoenix", "US/Michigan": "America/Detroit",
            "US/East-Indiana": "America/Indiana/Indianapolis",
            "US/Indiana-Starke": "America/Indiana/Knox", "US/Aleutian": "America/Adak",
            "US/Samoa": "Pacific/Pago_Pago", "GB": "Europe/London", "Navajo": "America/Denver"}


@pytest.mark.parametrize(("link", "place"), sorted(US_LINKS.items()))
def test_a_legacy_link_to_a_place_is_accepted_as_tzdata_keeps_it_that_place(link, place):
    """US/Eastern is a backward link to America/New_York in tzdata: the same offset every
    day of the year, summer time included, so it is accepted; EST is not (July)."""
    assert zone_name_problem(link) is None and zone_name_problem(place) is None
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for day in range(365):
        at = start + timedelta(days=day)
        assert at.astimezone(ZoneInfo(link)).utcoffset() == \
            at.astimezone(ZoneInfo(place)).utcoffset(), (link, at)
    july = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert july.astimezone(ZoneInfo("EST")).utcoffset() != \
        july.astimezone(ZoneInfo("America/New_York")).utcoffset()


def test_utc_is_a_clock_not_a_place():
    assert zone_name_problem("UTC", clock=True) is None
    assert "UTC is no callee's local time" in zone_name_problem("UTC")
    assert "write UTC if UTC all year is meant" in zone_name_problem("GMT", clock=True)


@pytest.mark.parametrize("zone", ["EST", "EST5EDT", "Etc/GMT+5", "UTC", "GMT"])
def test_a_lead_file_zone_that_is_no_place_is_rejected_with_its_line(home, zone):
    path = home / "leads.csv"
    path.write_text(f"phone,timezone\n2015550100,America/New_York\n2015550101,{zone}\n"
                    "2015550102,US/Eastern\n")
    rejects = home / "rejects.csv"
    report = ok("leads", "import", "spring", str(path), "--rejects", str(rejects), "--yes")
    assert report["imported"] == 2  # the US/Eastern row is a New York lead
    (rejected,) = rejects.read_text().splitlines()[1:]
    assert rejected.startswith("3,timezone,")
    assert zone_name_problem(zone) in rejected.replace('"', "")


def test_leads_given_in_code_are_held_to_the_same_zones(home):
    from campaigns.cli_common import open_store
    from campaigns.leads import LeadInput

    store = open_store(None)
    report = store.add_leads("spring", [LeadInput("+12015550100", timezone="EST"),
                                        LeadInput("+12015550101", timezone="US/Eastern")],
                             at=datetime(2026, 7, 1, tzinfo=UTC))
    assert report.imported == 1
    assert list(report.reject_reasons) == [f"timezone {zone_name_problem('EST')}"]


def test_a_queue_file_in_est_is_refused_with_its_line(home):
    path = home / "sales.toml"
    path.write_text('name = "sales"\n[hours]\ntimezone = "EST"\ndays = {mon = "09:00-17:00"}\n')
    said = refused("queue", "create", "sales", "--file", str(path))
    assert f"{path}:3: queue sales: hours.timezone: EST is UTC-5 all year, with no summer " \
           "time; did you mean America/New_York?" in said
    assert dialer("queue", "show", "sales").exit_code != 0  # nothing stored
    path.write_text(path.read_text().replace('"EST"', '"UTC"'))
    assert dialer("queue", "create", "sales", "--file", str(path)).exit_code == 0
    assert "hours.timezone: MST7MDT is a POSIX rule" in refused(
        "queue", "edit", "sales", "--set", "hours.timezone=MST7MDT")


def test_a_queue_stored_in_est_before_the_check_is_named_with_its_repair(home):
    import sqlalchemy as sa

    from campaigns.cli_common import open_store
    from campaigns.models import InboundQueue

    ok("queue", "create", "sales")
    ok("campaign", "edit", "spring", "--set", 'queues=["sales"]')
    store = open_store(None)
    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == "sales").values(
            config={"name": "sales", "hours": {"timezone": "EST",
                                               "days": {"mon": "09:00-17:00"}}}))
        session.commit()
    (row,) = ok("queue", "list")
    assert "hours.timezone: EST is UTC-5 all year" in row["problem"]
    assert "repair it with `dialer queue edit sales" in row["problem"]
    said = refused("run", "spring", "--switch", "esl://127.0.0.1:1", "--duration", "1")
    assert "hours.timezone: EST is UTC-5 all year" in said


@pytest.mark.parametrize(("args", "said"), [
    (["compliance", "explain", "+12015550123", "--tz", "EST"], "--tz: EST is UTC-5 all year"),
    (["compliance", "explain", "+12015550123", "--tz", "America/New_York,EST5EDT"],
     "--tz: EST5EDT is a POSIX rule"),
    (["simulate", "--from-campaign", "spring", "--tz", "MST"], "--tz: MST is UTC-7 all year"),
])
def test_a_zone_option_is_held_to_the_same_names(home, args, said):
    assert said in refused(*args)


# 2. rows of empty fields: a spreadsheet's artefact is skipped and counted; a row with a
# field but no phone is still rejected, with its line

def test_a_row_of_empty_fields_is_skipped_and_counted_a_row_without_a_phone_rejected(home):
    path = home / "leads.csv"
    path.write_text("phone,first_name,state\n2015550100,Ann,NJ\n,,\n ,  , \n,Bob,NJ\n"
                    "2015550101,Cy,NJ\n,,\n,,\n")
    rejects = home / "rejects.csv"
    report = ok("leads", "import", "spring", str(path), "--rejects", str(rejects), "--yes")
    assert (report["imported"], report["rejected"], report["blank_rows"]) == (2, 1, 4)
    assert report["rows"] == 3  # the blank rows are counted apart, not as rows read
    (bob,) = rejects.read_text().splitlines()[1:]  # five "empty phone number" before
    assert bob == "5,phone,empty phone number,,Bob,NJ"
    said = " ".join(dialer("leads", "import", "spring", str(path), "--list-name", "again",
                           "--rejects", str(rejects), "--yes").output.split())
    assert "skipped 4 blank rows (every field empty" in said


def test_a_file_of_blank_rows_only_says_so(home):
    path = home / "leads.csv"
    path.write_text("phone,first_name\n,\n,\n")
    report = ok("leads", "import", "spring", str(path), "--yes")
    assert (report["list_id"], report["rows"], report["blank_rows"]) == (None, 0, 2)
    assert not (home / "leads.csv.rejects.csv").exists()


def test_a_workbooks_empty_rows_are_skipped_and_lines_kept(home):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["phone", "first_name"], ["2015550102", "Di"], [None, None], [None, "Ed"],
                ["2015550103", "Fy"]):
        sheet.append(row)
    path = home / "leads.xlsx"
    book.save(path)
    rejects = home / "rejects.csv"
    report = ok("leads", "import", "spring", str(path), "--rejects", str(rejects), "--yes")
    assert (report["imported"], report["blank_rows"]) == (2, 1)
    (ed,) = rejects.read_text().splitlines()[1:]
    assert ed.startswith("4,phone,empty phone number")


def test_blank_rows_before_the_start_line_are_not_counted(home):
    path = home / "leads.csv"
    path.write_text("phone,first_name\n2015550100,a\n,\n2015550101,b\n,\n")
    report = ok("leads", "import", "spring", str(path), "--start-line", "4", "--yes")
    assert (report["imported"], report["blank_rows"]) == (1, 1)


# 3. do-not-call files of the wrong kind

def _workbook(path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["phone"])
    book.active.append(["2015550105"])
    book.save(path)
    return path


def test_dnc_import_of_a_workbook_says_to_save_it_as_text(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    said = refused_after_progress("dnc", "import", str(_workbook(tmp_path / "dnc.xlsx")))
    # was "dnc.xlsx:docProps/app.xml:1: 289 of 289 records malformed": read as a zip of files
    assert f"{tmp_path / 'dnc.xlsx'}: is an Excel workbook (.xlsx), not a text file; save " \
           "the sheet as CSV UTF-8 (a column of numbers, one a line) and import that with " \
           "--format numbers" in said
    old = tmp_path / "dnc.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert "is an Excel 97-2003 workbook" in refused_after_progress(
        "dnc", "import", str(old), "--format", "numbers")
    assert [v["registry"] for v in ok("dnc", "versions")["versions"]] == ["internal"]


def test_dnc_scrub_names_the_files_fault_not_the_jurisdiction(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"phone,name\n2015550100,Ann\n2015550101,Jos\xe9\n")
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    said = refused("dnc", "scrub", str(leads), "-o", str(out), "--rejects", str(rejects))
    assert "--jurisdiction" not in said  # was "--jurisdiction: 'utf-8' codec can't decode"
    assert f"{leads}:3: not UTF-8 text (byte 0xe9 at offset 40): save it as CSV UTF-8" in said
    assert not out.exists() and not rejects.exists()
    said = refused("dnc", "scrub", str(_workbook(tmp_path / "l.xlsx")), "-o", str(out),
                   "--rejects", str(rejects))
    assert "is an Excel workbook (.xlsx), not a text file; save the sheet as CSV UTF-8 and " \
           "scrub that" in said
    wide = tmp_path / "wide.csv"
    wide.write_text("phone\n2015550100\n", encoding="utf-16")
    assert "dnc scrub has no --encoding option" in refused(
        "dnc", "scrub", str(wide), "-o", str(out), "--rejects", str(rejects))


# 4. a database that cannot be written: read-only, a full disk

def test_a_read_only_database_is_one_line_and_nothing_changes(home):
    url = f"sqlite:///file:{home / 'dialer.db'}?mode=ro&uri=true"
    said = refused("campaign", "edit", "spring", "--set", "ring_timeout=24", "--db", url)
    # was SQLAlchemy's traceback with the UPDATE and the campaign's whole settings
    assert "the campaign database at sqlite:///file:" in said
    assert "cannot be written: attempt to write a readonly database; the change was rolled " \
           "back, nothing is half-stored" in said
    assert ok("campaign", "show", "spring")["settings"]["ring_timeout"] == 25.0


@pytest.fixture
def small_disk(monkeypatch):
    """SQLite's own page limit stands in for a full disk: the same 'database or disk is
    full' error, without a small file system to mount."""
    import sqlalchemy as sa

    import campaigns.db as db

    configure = db._configure_sqlite

    def limited(engine):
        configure(engine)

        @sa.event.listens_for(engine, "connect")
        def _limit(connection, _record):
            connection.execute("PRAGMA max_page_count=160")  # 640 KiB in 4 KiB pages

    monkeypatch.setattr(db, "_configure_sqlite", limited)


def test_a_full_disk_in_a_batched_import_names_what_was_committed(home, small_disk):
    path = home / "big.csv"
    path.write_text("phone,note\n" + "".join(f"20155{i:05d},{'x' * 200}\n"
                                             for i in range(6000)))
    said = refused_after_progress("leads", "import", "spring", str(path), "--batches",
                                  "--batch-size", "500", "--yes")
    assert "cannot be written: database or disk is full: lines 2-" in said
    committed = int(said.split("lines 2-")[1].split()[0])
    assert f"resume with --start-line {committed + 1}" in said
    assert "nothing is half-stored" not in said  # the batches before it stay
    said = refused_after_progress("leads", "import", "spring", str(path), "--list-name",
                                  "again", "--yes")
    assert "database or disk is full; the change was rolled back, nothing is half-stored " \
           "(free space on its disk)" in said


# 5. true or false where a number is meant

@pytest.mark.parametrize("setting", [
    "wrap_up_timeout=true",            # stored a one-second wrap-up
    "abandon_window_hours=true",       # measured abandonment over one hour
    "max_lines=true", "retry_rules.busy.max_attempts=true", "compliance.retention_days=false",
])
def test_a_boolean_is_not_read_as_a_number_in_a_setting(home, setting):
    key, _, value = setting.partition("=")
    said = refused("campaign", "edit", "spring", "--set", setting)
    assert f"{key}: a number is meant, got {value}" in said
    ok("campaign", "edit", "spring", "--set", "amd_enabled=true")  # a boolean still is one


def test_a_boolean_is_not_read_as_a_number_in_a_queue_file(home):
    path = home / "sales.toml"
    path.write_text('name = "sales"\noverflow = "voicemail"\nmax_wait = true\n')
    said = refused("queue", "create", "sales", "--file", str(path))
    # stored as max_wait 1.0: every caller sent to voicemail after a second
    assert f"{path}:3: queue sales: max_wait: a number is meant, got true" in said


# 6. a misspelt setting names the one meant

@pytest.mark.parametrize(("setting", "said"), [
    ("pacing_parms={}", "pacing_parms: unknown setting; did you mean pacing_params?"),
    ("compliance.seler_name=Spring", "compliance.seler_name: unknown setting; did you mean "
     "compliance.seller_name?"),
    ("retry_rules.busy.delay=5", "retry_rules.busy.delay: unknown setting; known: "
     "delay_minutes, max_attempts"),
])
def test_a_misspelt_setting_names_the_one_meant(home, setting, said):
    assert said in refused("campaign", "edit", "spring", "--set", setting)  # "Extra inputs"
