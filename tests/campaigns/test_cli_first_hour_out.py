"""A new campaign manager's first hour, outbound side: the mistakes that used to pass
silently (and dial more, or never) and are now refused or kept as meant, through the CLI."""

from __future__ import annotations

import pytest
from cli_kit import dialer, ok, refused, use_home

CALLER = ["--caller-id", "+12015550100"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    return tmp_path


# -- campaign edit: a section written in part keeps the rest -------------------------------

def test_editing_one_schedule_field_keeps_the_days(home):
    ok("campaign", "create", "x", *CALLER, "--set",
       'schedule={"start": "09:00", "end": "18:00", "days": [0, 1, 2, 3, 4]}')
    settings = ok("campaign", "edit", "x", "--set", "schedule.end=17:00")["settings"]
    assert settings["schedule"]["days"] == [0, 1, 2, 3, 4]  # was Mon-Sat: Saturday dialed
    assert settings["schedule"]["end"] == "17:00:00"


def test_editing_one_retry_rule_keeps_the_others(home):
    ok("campaign", "create", "x", *CALLER, "--set",
       'retry_rules={"no_answer": {"delay_minutes": 240, "max_attempts": 2}}')
    settings = ok("campaign", "edit", "x", "--set", "retry_rules.busy.max_attempts=3")["settings"]
    assert settings["retry_rules"]["no_answer"] == {"delay_minutes": 240.0, "max_attempts": 2}
    assert settings["retry_rules"]["busy"] == {"delay_minutes": 15.0, "max_attempts": 3}
    settings = ok("campaign", "edit", "x", "--set",
                  'retry_rules={"machine": {"max_attempts": 1}}')["settings"]
    assert settings["retry_rules"]["no_answer"]["max_attempts"] == 2
    assert settings["retry_rules"]["machine"] == {"delay_minutes": 240.0, "max_attempts": 1}


def test_a_retry_rule_written_in_part_keeps_its_outcomes_default_delay(home):
    settings = ok("campaign", "create", "x", *CALLER, "--set",
                  'retry_rules={"no_answer": {"max_attempts": 2}}')["settings"]
    # was RetryRule's generic 60 minutes: unanswered numbers retried twice as often
    assert settings["retry_rules"]["no_answer"] == {"delay_minutes": 120.0, "max_attempts": 2}


def test_a_dotted_pacing_parameter_keeps_the_other_parameters(home):
    ok("campaign", "create", "x", *CALLER, "--set",
       'pacing_params={"margin_z": 2.5, "aim_cap": 0.5}')
    settings = ok("campaign", "edit", "x", "--set", "pacing_params.margin_z=3")["settings"]
    assert settings["pacing_params"] == {"margin_z": 3, "aim_cap": 0.5}
    # written whole, the map is replaced (how a parameter is removed)
    settings = ok("campaign", "edit", "x", "--set", 'pacing_params={"margin_z": 2}')["settings"]
    assert settings["pacing_params"] == {"margin_z": 2}


@pytest.mark.parametrize("schedule", ['{"start": 8, "end": 20}', '{"start": "9am"}',
                                      '{"start": "09:00", "end": "25:00"}'])
def test_a_schedule_time_that_is_not_hh_mm_is_refused(home, schedule):
    line = refused("campaign", "create", "x", *CALLER, "--set", f"schedule={schedule}")
    assert "schedule." in line and "write HH:MM on the 24-hour clock" in line
    assert refused("campaign", "show", "x")  # nothing stored


def test_schedule_accepts_h_mm(home):
    settings = ok("campaign", "create", "x", *CALLER, "--set", "schedule.start=8:30")["settings"]
    assert settings["schedule"]["start"] == "08:30:00"


def test_optout_digit_written_as_a_number_is_the_digit(home):
    assert ok("campaign", "create", "x", *CALLER, "--set",
              "optout_digit=7")["settings"]["optout_digit"] == "7"
    assert "optout_digit" in refused("campaign", "edit", "x", "--set", "optout_digit=12")


# -- lead imports ----------------------------------------------------------------------------

def test_consent_dated_today_no_year_or_in_the_future_is_no_consent(home, tmp_path):
    ok("campaign", "create", "x", *CALLER)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,consent\n2015550143,today\n2015550144,Mar 4\n"
                     "2015550145,2062-01-01\n2015550146,now\n2015550147,2026-01-05\n")
    result = dialer("leads", "import", "x", str(leads), "--yes", "--consent-seller", "Acme")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # 'today' and 'now' were dated the import's instant, 'Mar 4' year 1: a consent that
    # post-dates a number's reassignment reads as the new holder's
    for line, cell in ((2, "today"), (3, "Mar 4"), (4, "2062-01-01"), (5, "now")):
        assert f":{line}: consent '{cell}' is not a date" in text
    assert ":6: consent" not in text
    assert "imported 5 of 5" in text


def test_a_priority_beyond_the_column_is_rejected_not_wrapped(home, tmp_path):
    ok("campaign", "create", "x", *CALLER)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,priority\n2015550143,99999999999999999999\n2015550144,7\n")
    result = dialer("leads", "import", "x", str(leads), "--yes")
    assert result.exit_code == 0, result.output
    rejects = (tmp_path / "leads.csv.rejects.csv").read_text()
    assert "2,priority,\"priority is beyond" in rejects
    priorities = {lead["phone"]: lead["priority"] for lead in ok("leads", "list", "x")["leads"]}
    assert priorities == {"+12015550144": 7}  # was -9223372036854775808, imported


@pytest.mark.parametrize("setting", ["wrap_up_timeout=Infinity", "claim_ttl_seconds=Infinity",
                                     "retry_rules.busy.delay_minutes=Infinity",
                                     "abandon_window_hours=NaN", "callback_grace_minutes=1e999"])
def test_a_setting_that_is_not_a_finite_number_is_refused(home, setting):
    # stored before (Infinity is not JSON: a PostgreSQL store refused it at commit)
    line = refused("campaign", "create", "x", *CALLER, "--set", setting)
    assert f"{setting.partition('=')[0]}: Input should be a finite number" in line


def test_a_caller_id_with_spaces_says_how_to_write_it(home):
    line = refused("campaign", "create", "x", "--caller-id", "+1 (201) 555-0100")
    assert "is not an E.164 number: write +12015550100 (no spaces or punctuation)" in line


# -- a campaign edited while a process runs it -----------------------------------------------

def test_an_edit_a_running_process_does_not_take_says_so(home, tmp_path):
    import sqlite3
    from datetime import UTC, datetime, timedelta

    ok("campaign", "create", "x", *CALLER)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n2015550143\n")
    assert dialer("leads", "import", "x", str(leads), "--yes").exit_code == 0
    edit = dialer("campaign", "edit", "x", "--abandon-target", "0.02")
    assert edit.exit_code == 0 and "note:" not in edit.stderr  # nobody runs it
    with sqlite3.connect(home / "dialer.db") as connection:  # a process holds a claim
        until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(sep=" ")
        connection.execute("UPDATE lead SET claimed_by = 'host1/x', claim_expires_at = ?",
                           (until.replace("+00:00", ""),))
    edit = dialer("campaign", "edit", "x", "--abandon-target", "0.01")
    assert edit.exit_code == 0, edit.output
    note = " ".join(edit.stderr.split())
    # it went on pacing at 2 % while the campaign showed 1 %, nothing said
    assert "note: campaign x's process host1/x keeps abandon_target as it started" in note
    assert "apply at its next start" in note
    live = dialer("campaign", "edit", "x", "--set", "schedule.end=18:00")
    assert live.exit_code == 0 and "note:" not in live.stderr  # the hopper reads it per claim


@pytest.mark.parametrize(("setting", "field", "written"), [
    ("queues=sales", "queues", '["sales"]'),
    ("caller_ids=+12015550100", "caller_ids", '["+12015550100"]'),
    ("schedule.days=1", "schedule.days", "[1]"),
])
def test_one_value_where_a_list_is_meant_names_the_field_and_the_form(home, setting, field,
                                                                       written):
    """``--set queues=sales`` said only "Input should be a valid tuple"."""
    message = refused("campaign", "create", "x", *CALLER, "--set", setting)
    assert f"{field}: a list is meant, got " in message
    assert f"write {written} (with --set: '{field}={written}')" in message
    assert "valid tuple" not in message


def test_a_day_month_consent_date_needs_its_order_stated(home, tmp_path):
    """``03/04/2025`` was read as 4 March whatever the file meant."""
    ok("campaign", "create", "x", *CALLER)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,consent\n2015550143,03/04/2025\n2015550144,13/04/2025\n")
    result = dialer("leads", "import", "x", str(leads), "--yes", "--consent-seller", "Acme")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ":2: consent '03/04/2025' could be day/month or month/day: kept as no consent; " \
        "state the order with --consent-date-order dmy (or mdy)" in text
    assert ":3: consent" not in text
    assert "--consent-date-order 'ymd': choose dmy" in refused(
        "leads", "import", "x", str(leads), "--yes", "--consent-date-order", "ymd")
    leads.write_text("phone,consent\n2015550145,03/04/2025\n")
    doc = ok("leads", "import", "x", str(leads), "--yes", "--consent-seller", "Acme",
             "--consent-date-order", "dmy")
    assert doc["imported"] == 1 and doc["warnings"] == [
        f"{leads}: 1 consent had a date but no time: each counts from the end of that date, "
        "the next day 12:00 UTC (line 2: 2025-04-03 counts from 2025-04-04 12:00 UTC); give "
        "the time to rely on it sooner (field consent)"]
    from campaigns.store import CampaignStore

    store = CampaignStore.open(f"sqlite:///{home}/dialer.db")
    try:
        consent = {lead.phone: lead.consent for lead in store.leads("x", limit=10)}
    finally:
        store.close()
    assert consent["+12015550145"][0]["given_at"] == "2025-04-04T12:00:00+00:00"
    assert "dated 2025-04-03 without a time" in consent["+12015550145"][0]["source"]
    assert consent["+12015550143"][0]["kind"] == "unrecognised"


@pytest.mark.parametrize(("args", "said"), [
    (["--interval", "15"], "--interval shapes the queue report: add --queue NAME or --queues"),
    (["--fcr-days", "-3"], "--fcr-days shapes the queue report"),
    (["--interval", "7", "--fcr-days", "3"], "--interval and --fcr-days shape the queue"),
])
def test_queue_report_options_without_a_queue_are_refused_not_ignored(home, args, said):
    """``report spring --interval 15`` printed the daily campaign report as if asked."""
    ok("campaign", "create", "spring", *CALLER)
    assert said in refused("report", "spring", *args)


def test_report_outputs_are_checked_before_the_work(home, tmp_path):
    ok("campaign", "create", "spring", *CALLER)
    assert f"--plot {tmp_path}: is a directory" in refused("report", "spring", "--plot",
                                                           str(tmp_path))


@pytest.mark.parametrize(("args", "said"), [
    (["leads", "list", "spring", "--status", "nwe"], "--status 'nwe': choose new, retry, "
     "callback, in_call, done, suppressed, invalid"),
    (["leads", "delete", "spring", "--status", "nwe", "--yes"], "--status 'nwe': choose new"),
    (["leads", "list", "spring", "--limit", "-1"], "Invalid value for '--limit'"),
    (["leads", "list", "spring", "--offset", "-1"], "Invalid value for '--offset'"),
    (["leads", "import", "spring", "LEADS", "--yes", "--rejects", "/nonexistent-dir/r.csv"],
     "--rejects /nonexistent-dir/r.csv: no directory /nonexistent-dir (create it first)"),
    (["leads", "export", "spring", "-o", "/nonexistent-dir/x.csv"],
     "--output /nonexistent-dir/x.csv: no directory /nonexistent-dir (create it first)"),
    (["campaign", "edit", "spring", "--agent", "ann=user/1001", "--agent", "ann=user/1002"],
     "--agent 'ann' is given twice (user/1001, user/1002): an agent has one endpoint"),
])
def test_lead_and_agent_options_that_select_nothing_or_crash_are_refused(home, tmp_path, args,
                                                                         said):
    """An unknown status listed "none" and deleted 0 leads as if the answer were empty; a
    negative limit listed every lead; an export into a missing directory and an agent given
    twice were tracebacks."""
    ok("campaign", "create", "spring", *CALLER)
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n2015550143\n")
    assert said in refused(*[str(leads) if a == "LEADS" else a for a in args])
    assert ok("campaign", "show", "spring")["agents"] == []
    assert ok("leads", "list", "spring")["leads"] == []
