"""The seventh pass of a new user's mistakes (docs/operations.md, "Seventh pass"): each was
a traceback, a figure outside the range it is exact in, or a line without its file, and is
now one `error:` line and exit status 1 naming the option, the setting or the file and line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_kit import dialer, ok, started_spring, use_home
from cli_kit import refused_cleanly as refused

# 1. staff answers in the range erlang does (5,000 agents, 4,000 Erlangs)


@pytest.mark.parametrize(("args", "said"), [
    (["--erlangs", "4001"], "--erlangs 4001 is outside its range: more than 0 (no load needs "
     "no agents) and at most 4,000 (4,000 Erlangs, the load the formulas are exact to"),
    (["--calls-per-hour", "100000"], "--calls-per-hour 100000 is outside its range: more than "
     "0 (no calls need no agents) and at most 80,000 with --aht 180"),
    (["--agents", "5001"], "--agents 5001 is outside 1-5,000: the formulas are exact to 5,000 "
     "agents and 4,000 Erlangs"),
    (["--agents", "5000"], "--agents 5000: 5,000 agents carry more than 4,000 Erlangs at "
     "service-level 0.8"),
])
def test_staff_refuses_beyond_the_range_erlang_answers_in(args, said):
    assert said in refused("staff", "--service-level", "0.8", *args)


def test_staff_refuses_a_target_that_needs_more_agents_than_the_exact_range():
    said = refused("staff", "--model", "b", "--blocking", "0", "--erlangs", "3999")
    assert "no staffing up to 5,000 agents meets blocking 0.0 at 3999 Erlangs" in said


def test_staff_answers_at_the_edge_of_the_range():
    answer = ok("staff", "--service-level", "0.8", "--erlangs", "4000")
    assert 4000 < answer["agents"] <= 5000
    carried = ok("staff", "--service-level", "0.8", "--agents", "4000")
    assert carried["max_traffic_erlangs"] <= 4000


# 2. a setting stored out of range, before its bound existed (written here by SQL)

@pytest.fixture
def home(tmp_path, monkeypatch):
    return started_spring(tmp_path, monkeypatch)


def store_raw(home: Path, path: str, value: str) -> None:
    """Write ``value`` into spring's stored settings at JSON ``path``, past every check."""
    with sqlite3.connect(home / "dialer.db") as connection:
        connection.execute("UPDATE campaign SET settings = json_set(settings, ?, json(?)) "
                           "WHERE name = 'spring'", (path, value))


STORED = [
    ("$.callback_grace_minutes", "1e300", "callback_grace_minutes: 1e+300 is outside its "
     "range [0, 10080]", "callback_grace_minutes"),
    ("$.max_attempts_per_day", "1e20", "max_attempts_per_day: 1e+20 is outside its range "
     "[1, 1000]", "max_attempts_per_day"),
    ("$.caller_id_daily_cap", "1e20", "caller_id_daily_cap: 1e+20 is outside its range "
     "[1, 1000000]", "caller_id_daily_cap"),
    ("$.retry_rules.busy.delay_minutes", "1e300", "retry_rules.busy.delay_minutes: Input "
     "should be less than or equal to 525600 (stored: 1e+300)",
     "retry_rules.busy.delay_minutes"),
]


@pytest.mark.parametrize(("path", "value", "said", "key"), STORED)
def test_run_refuses_a_setting_stored_out_of_range_naming_it(home, path, value, said, key):
    store_raw(home, path, value)
    line = refused("run", "spring", "--switch", "esl://127.0.0.1:1", "--duration", "1")
    assert f"campaign 'spring': {said}" in line
    assert f"repair it with `dialer campaign edit spring --set {key}=VALUE`" in line


@pytest.mark.parametrize(("path", "value", "said", "key"), STORED)
def test_report_names_a_setting_stored_out_of_range(home, path, value, said, key):
    store_raw(home, path, value)
    line = refused("report", "spring")  # an OverflowError or a pydantic traceback before
    assert f"campaign 'spring': {said}" in line and f"--set {key}=VALUE" in line


@pytest.mark.parametrize(("path", "value", "said", "key"), STORED)
def test_doctor_lists_a_setting_stored_out_of_range_as_a_problem(home, path, value, said,
                                                                 key):
    store_raw(home, path, value)
    result = dialer("doctor", "spring", "--switch", "esl://127.0.0.1:1", "--json")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["settings"]["verdict"] == "fail"
    assert said in checks["settings"]["message"]
    assert f"dialer campaign edit spring --set {key}=VALUE" in checks["settings"]["message"]


def test_an_edit_repairs_a_setting_stored_out_of_range_and_another_edit_names_it(home):
    store_raw(home, "$.max_attempts_per_day", "1e20")
    line = refused("campaign", "edit", "spring", "--set", "caller_id_name=Spring")
    assert "max_attempts_per_day: 1e+20 is outside its range [1, 1000]" in line
    ok("campaign", "edit", "spring", "--set", "max_attempts_per_day=4")
    shown = ok("campaign", "show", "spring")
    assert shown["settings"]["max_attempts_per_day"] == 4
    assert shown["settings"]["compliance"]["seller_name"] == "Spring Solar"  # kept
    assert ok("report", "spring")


@pytest.mark.parametrize("setting", ["max_attempts_per_day=1e20", "caller_id_daily_cap=1e20",
                                     "max_lines=1e20"])
def test_a_count_written_as_a_huge_float_names_its_range(home, setting):
    key = setting.partition("=")[0]
    assert f"{key}: 1e+20 is outside its range" in refused(
        "campaign", "edit", "spring", "--set", setting)  # "exceeded maximum size" before


# 4. time-zone warnings at lead import name the file, like every other import message

def test_a_zone_that_is_not_its_states_is_warned_as_file_and_line(home):
    path = home / "leads.csv"
    rows = "".join(f"20155501{i:02},America/Chicago,NJ\n" for i in range(7))
    path.write_text("phone,timezone,state\n" + rows)
    warnings = ok("leads", "import", "spring", str(path), "--consent-seller", "Spring Solar",
                  "--yes")["warnings"]
    assert f"{path}:2: time zone America/Chicago is not a zone of state NJ " \
           "(America/New_York): both are used (field timezone)" in warnings
    assert f"{path}: ... and 2 more lines whose time zone is not a zone of their state" \
        in warnings


# 3. report and export options that took any number or date

@pytest.mark.parametrize(("args", "said"), [
    (["report", "--queues", "--fcr-days", "100000000000000"], "--fcr-days 100000000000000: 1 "
     "to 365 days"),
    (["report", "spring", "--from", "0001-01-01"], "--from '0001-01-01': outside the years "
     "1970-2199"),  # an OverflowError traceback
    (["report", "spring", "--from", "2026-01-01", "--to", "9999-12-31"], "--to "
     "'9999-12-31': outside the years 1970-2199"),  # a minute and 3 GB
    (["report", "spring", "--from", "2001-01-01", "--to", "2026-01-01"], "spans 9,131 days: "
     "a report covers at most 3,660 (ten years)"),
    (["report", "--queues", "--from", "2001-01-01", "--to", "2026-01-01"], "spans 9,131 days"),
    (["compliance", "explain", "+12015550100", "--at", "0001-01-01"], "--at: '0001-01-01' is "
     "outside the years 1970-2199"),
    (["compliance", "rules", "--year", "100000"], "Invalid value for '--year'"),
    (["compliance", "records", "purge", "spring", "--older-than-days",
      "100000000000000000000", "--yes"], "Invalid value for '--older-than-days'"),
    (["simulate", "--from-campaign", "spring", "--days", "1e300"], "--days: more than 0 and "
     "at most 366 (a year of the campaign's history), got 1e+300"),
    (["run", "spring", "--switch", "esl://127.0.0.1:1", "--duration", "nan"], "--duration "
     "nan: seconds of dialing, more than 0 and at most a year"),
    (["run", "spring", "--switch", "esl://127.0.0.1:1", "--stop-grace", "1e300"],
     "--stop-grace 1e+300: seconds calls in progress may take to finish on stop"),
])
def test_a_number_or_date_past_its_end_is_refused(home, args, said):
    assert said in refused(*args)


# 5. lead files as spreadsheets and editors write them

@pytest.mark.parametrize(("text", "line"), [
    ("\n\nphone\n2015550140\n12345\n", 5),          # blank lines before the header
    ("phone\n2015550141\n\n\n12345\n", 5),          # blank lines between rows
    ("phone\r\n2015550142\r\n\r\n12345\r\n", 4),    # CRLF, a blank line
    ('phone,note\n2015550143,"two\nlines"\n12345,x\n', 4),  # a field across two lines
    ("\ufeffphone\r\n2015550144\r\n12345\r\n", 3),  # BOM and CRLF, no blank line
])
def test_a_rejected_row_is_named_by_its_line_in_the_file(home, text, line):
    path = home / "leads.csv"
    path.write_bytes(text.encode())
    rejects = home / "rejects.csv"
    report = ok("leads", "import", "spring", str(path), "--rejects", str(rejects), "--yes")
    assert report["imported"] == 1
    assert rejects.read_text().splitlines()[1].startswith(f"{line},phone,")  # was line 3


def test_a_start_line_past_blank_lines_resumes_at_that_row(home):
    path = home / "leads.csv"
    path.write_text("phone\n2015550150\n\n\n2015550151\n2015550152\n")
    ok("leads", "import", "spring", str(path), "--start-line", "5", "--yes")
    phones = {lead["phone"] for lead in ok("leads", "list", "spring")["leads"]}
    assert phones == {"+12015550151", "+12015550152"}  # line 5 is 2015550151


def test_a_semicolon_file_after_blank_lines_is_read_with_semicolons(home):
    path = home / "leads.csv"
    path.write_text("\n\nphone;first_name\n2015550160;Ann\n")
    report = ok("leads", "import", "spring", str(path), "--yes")
    assert report["imported"] == 1  # the blank first line was taken for the header: ','


def test_a_header_naming_a_column_twice_is_refused(home):
    path = home / "leads.csv"
    path.write_text("phone,first_name,phone\n2015550170,Ann,2015550171\n")
    said = refused("leads", "import", "spring", str(path), "--yes")
    assert f"{path}:1: the header names column 'phone' twice (columns 1 and 3)" in said
    assert ok("leads", "list", "spring")["leads"] == []


# 6. database URLs typed as other tools write them

@pytest.mark.parametrize(("url", "said", "hidden"), [
    ("postgres://ann:s3cret@127.0.0.1:1/dialer", "only sqlite and postgresql are supported; "
     "write postgresql://ann:***@127.0.0.1:1/dialer", "s3cret"),
    ("postgresql+psycopg2://ann:s3cret@127.0.0.1:1/dialer", "the PostgreSQL driver "
     "installed is psycopg (3); write postgresql://ann:***@127.0.0.1:1/dialer", "s3cret"),
    ("/var/lib/dialer/dialer.db", "a database file is written "
     "sqlite:////var/lib/dialer/dialer.db (four slashes before an absolute path)", None),
])
def test_a_database_url_in_another_tools_spelling_says_how_to_write_it(
        tmp_path, monkeypatch, url, said, hidden):
    use_home(tmp_path, monkeypatch)
    line = refused("campaign", "list", "--db", url)  # psycopg2: a ModuleNotFoundError
    assert said in line
    assert hidden is None or hidden not in line


# 7. the inbound side

def test_a_queue_agent_on_no_campaign_is_noted(home):
    result = dialer("queue", "create", "sales", "--set", 'agents=["ann", "zed"]')
    assert result.exit_code == 0, result.output
    assert ("note: queue sales: agents: 'zed' is on no campaign (agents: ann), so it takes "
            "none of its calls; add with dialer campaign edit CAMPAIGN --agent "
            "zed=ENDPOINT") in " ".join(result.stderr.split())
    edited = dialer("queue", "edit", "sales", "--set", 'agents=["ann"]')
    assert edited.exit_code == 0 and "on no campaign" not in edited.stderr


# 8. a switch address typed wrong

def test_esl_events_on_a_port_nothing_answers_is_refused_not_retried_for_ever():
    import socket

    with socket.socket() as holder:  # a loopback port nothing listens on once it closes
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    said = refused("esl", "events", f"esl://:ClueCon@127.0.0.1:{port}", "--count", "1")
    assert f"cannot connect to esl://127.0.0.1:{port}" in said  # "connecting", for ever


@pytest.mark.parametrize(("args", "said"), [
    (["esl", "events", "esl://127.0.0.1:1", "--count", "0"], "--count 0: at least 1 event"),
    (["esl", "events", "esl://127.0.0.1:1", "--duration", "nan"], "--duration nan: seconds"),
    (["esl", "api", "esl://127.0.0.1:1", "status", "--timeout", "nan"], "--timeout nan: "
     "seconds to wait for the switch"),
])
def test_an_esl_option_out_of_range_is_refused(args, said):
    assert said in refused(*args)


# 9. a setting written with its unit

@pytest.mark.parametrize(("setting", "said"), [
    ("wrap_up_timeout=30s", "wrap_up_timeout: '30s': the setting is in seconds; write the "
     "number alone"),
    ("retry_rules.busy.delay_minutes=15m", "retry_rules.busy.delay_minutes: '15m': the "
     "setting is in minutes"),
    ("claim_ttl_seconds=5 min", "claim_ttl_seconds: '5 min': the setting is in seconds"),
    ("abandon_window_hours=24h", "abandon_window_hours: '24h': the setting is in hours"),
])
def test_a_setting_written_with_a_unit_names_its_unit(home, setting, said):
    assert said in refused("campaign", "edit", "spring", "--set", setting)  # "a valid number"
