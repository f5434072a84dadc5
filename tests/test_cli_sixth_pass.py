"""The sixth pass of a new user's mistakes (docs/operations.md, "sixth pass"): each was a
silent ignore, a figure out of range, a hang or a traceback, and is now one `error:` line
and exit status 1 naming the option or the file, line and field (or, for a lead stored as
given, a warning naming the file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import dialer, ok, use_home
from cli_kit import refused_cleanly as refused  # the stricter refusal check

CALLER = ["--caller-id", "+12015550100"]
SCENARIO = (
    "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
    "busy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n\n[agents]\n"
    "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")


@pytest.fixture
def home(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *CALLER)
    return tmp_path


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    return path


# 1. sweep --vary with a value twice

@pytest.mark.parametrize(("vary", "said"), [
    ("agents=2,2", "--vary agents: the value 2 is given twice; each value is one grid point"),
    ("agents=2,3,2.0", "--vary agents: the value 2.0 is given twice (as 2)"),
    ("predictive.margin_z=1,1", "--vary predictive.margin_z: the value 1 is given twice"),
])
def test_a_swept_value_given_twice_is_refused_naming_it(scenario, vary, said):
    assert said in refused("sweep", str(scenario), "--vary", vary, "--policy", "progressive",
                           "--policy", "predictive", "--workers", "1", "--replications", "1")


# 2. leads import options a file has no use for, or left empty

def test_a_sheet_for_a_csv_file_is_refused(home):
    path = home / "leads.csv"
    path.write_text("phone\n2015550123\n")
    said = refused("leads", "import", "spring", str(path), "--sheet", "Leads", "--yes")
    assert "leads.csv: --sheet 'Leads' is for an XLSX workbook" in said
    assert ok("leads", "list", "spring")["leads"] == []


def test_an_encoding_for_a_workbook_is_refused(home):
    import pandas as pd

    path = home / "leads.xlsx"
    pd.DataFrame({"phone": ["2015550123"]}).to_excel(path, index=False)
    said = refused("leads", "import", "spring", str(path), "--encoding", "cp1252", "--yes")
    assert "leads.xlsx: --encoding 'cp1252' is for a CSV or TSV file" in said


@pytest.mark.parametrize("option", ["--region", "--sheet", "--encoding", "--delimiter"])
def test_an_empty_reading_option_is_refused(home, option):
    path = home / "leads.csv"
    path.write_text("phone\n2015550123\n")
    said = refused("leads", "import", "spring", str(path), option, "", "--yes")
    assert said.startswith(f"error: {option} is empty: give ")
    assert ok("leads", "list", "spring")["leads"] == []


# 3. erlang b|c|a outside the range the formulas are exact in

@pytest.mark.parametrize(("args", "said"), [
    (["b", "-n", "10", "--erlangs", "1e12"], "--erlangs 1e+12 is outside 0-4,000"),
    (["c", "-n", "1000000000", "--erlangs", "5"], "--agents 1000000000 is outside 0-5,000"),
    (["a", "-n", "5001", "--erlangs", "5", "--patience", "60"],
     "--agents 5001 is outside 0-5,000"),
    (["c", "-n", "10", "--calls-per-hour", "1e300"],
     "--calls-per-hour 1e+300 is outside its range: at most 80,000 with --aht 180"),
    (["a", "-n", "10", "--erlangs", "inf", "--patience", "60"], "--erlangs must be a finite"),
    (["b", "-n", "10", "--erlangs", "nan"], "--erlangs must be a finite number ≥ 0, got nan"),
    (["b", "-n", "10", "--calls-per-hour", "-5"], "calls per hour must be a finite number"),
    (["b", "-n", "-1", "--erlangs", "5"], "--agents -1 is outside 0-5,000"),
])
def test_an_erlang_question_outside_the_exact_range_is_refused(args, said):
    assert said in refused("erlang", *args)


def test_an_erlang_question_at_the_edge_of_the_range_is_answered():
    answer = ok("erlang", "b", "-n", "5000", "--erlangs", "4000")
    assert 0 <= answer["blocking"] < 1e-9


# 4. scenario counts without an end

@pytest.mark.parametrize(("line", "said"), [
    ("agents = 1000000000", "s.toml:2: [campaign].agents: 1,000,000,000 is outside 1-5,000"),
    ("days = 100000", "s.toml:3: [campaign].days: 100,000 is outside 1-366"),
    ("leads = 100000000", "s.toml:3: [campaign].leads: 100,000,000 is outside 0-10,000,000"),
    ("decision_interval = 1e-9", "s.toml:3: [campaign].decision_interval: 1e-09 is outside "
     "0.01-3,600"),
    ("agents_by_hour = [0, 0, 0, 0, 0, 0, 0, 0, 0, 6000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
     "0, 0]", "s.toml:2: [campaign].agents_by_hour[9]: 6,000 is outside 1-5,000"),
])
def test_a_scenario_count_past_its_end_is_refused_with_file_and_line(scenario, line, said):
    if line.startswith("agents"):
        scenario.write_text(SCENARIO.replace("agents = 3", line))
    else:
        scenario.write_text(SCENARIO.replace("agents = 3\n", f"agents = 3\n{line}\n"))
    assert said in refused("simulate", str(scenario), "--policy", "progressive")


def test_a_scenario_refusal_names_the_line_of_its_key(scenario):
    scenario.write_text(SCENARIO.replace("busy = 0.1", "busy = 0.1\nlive_answr = 0.2"))
    assert "s.toml:8: [callees].live_answr" in refused("simulate", str(scenario))


# 5. US postal codes that lost their leading zero

def test_a_zip_code_that_lost_its_leading_zero_is_named_with_its_repair(home):
    path = home / "leads.csv"
    path.write_text("phone,zip\n(401) 555-0100,2903\n(201) 555-0101,07030\n"
                    "(312) 555-0102,ABC\n+442079460000,1234\n")
    warnings = ok("leads", "import", "spring", str(path), "--map", "postal_code=zip",
                  "--yes")["warnings"]
    said = " | ".join(w.replace(str(home) + "/", "") for w in warnings)
    assert ("leads.csv:2: zip '2903' is a US ZIP code that lost its leading zero "
            "('02903'?): the dial-time rules suppress this lead") in said
    assert "leads.csv:4: zip 'ABC' is not a US ZIP code" in said
    assert "leads.csv:3" not in said and "leads.csv:5" not in said  # a ZIP; not a US number
    assert ("leads.csv: to repair: zero-pad the zip column to 5 digits and keep it as text "
            "(quote it in the CSV") in said
    assert "then dialer leads delete spring --list leads.csv --yes and import the file" in said


# 7. found trying every command as a new user

def test_doctor_without_a_database_says_so_and_creates_nothing(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    said = refused("doctor", "spring")
    assert "no campaign database at" in said and "dialer db upgrade" in said
    assert not (tmp_path / "dialer.db").exists()  # was created empty: "schema none" after


@pytest.mark.parametrize("args", [
    ["simulate", "{s}", "--replications", "100000000"],
    ["sweep", "{s}", "--vary", "agents=2,3", "--replications", "100000000"],
    ["simulate", "{s}", "--workers", "100000"],
    ["sweep", "{s}", "--vary", "agents=2,3", "--workers", "100000"],
])
def test_replications_and_workers_past_their_end_are_refused(scenario, args):
    said = refused(*(a.format(s=scenario) for a in args))
    assert "Input should be less than or equal to" in said


@pytest.mark.parametrize(("setting", "said"), [
    ("callback_grace_minutes=1e300", "callback_grace_minutes: 1e+300 is outside its range "
     "[0, 10080]"),
    ("claim_ttl_seconds=1e300", "claim_ttl_seconds: 1e+300 is outside its range (0, 3600]"),
    ("wrap_up_timeout=1e300", "wrap_up_timeout: 1e+300 is outside its range [0, 3600]"),
    ("max_attempts_per_day=100000000000000000000", "max_attempts_per_day: "
     "100000000000000000000 is outside its range [1, 1000]"),
    ("retry_rules.busy.delay_minutes=1e300", "retry_rules.busy.delay_minutes: Input should "
     "be less than or equal to 525600"),
    ("recording.retention_days=100000000000000", "recording.retention_days: Input should be "
     "less than or equal to 36500"),
])
def test_a_campaign_setting_past_its_end_is_refused(home, setting, said):
    assert said in refused("campaign", "edit", "spring", "--set", setting)
    assert ok("report", "spring")  # callback_grace_minutes=1e300 made it a traceback


@pytest.mark.parametrize("args", [
    ["leads", "list", "spring", "--limit", "100000000000000000000"],
    ["leads", "list", "spring", "--offset", "100000000000000000000"],
    ["recordings", "list", "--limit", "100000000000000000000"],
    ["recordings", "list", "--limit", "-1"],
    ["voicemail", "callback", "100000000000000000000"],
])
def test_a_count_or_id_past_what_the_database_holds_is_refused(home, args):
    assert "Invalid value for" in refused(*args)
