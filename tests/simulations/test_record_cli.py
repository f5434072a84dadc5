"""``dialer simulate --record / --report / --report-plot`` (simulations/cli_record.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import cli
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore

SCENARIO = (
    "[campaign]\nagents = 3\nshift_hours = 0.25\n\n[callees]\nlive_answer = 0.3\n"
    "machine = 0.1\nbusy = 0.1\ntime_to_answer = { dist = \"fixed\", value = 6.0 }\n"
    "patience = { dist = \"exponential\", mean = 3.0 }\n\n[agents]\n"
    "talk = { dist = \"exponential\", mean = 40.0 }\nwrap = 5\n")
DAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(SCENARIO)
    return path


def _dialer(*args: str) -> object:
    return CliRunner().invoke(cli.app, [str(a) for a in args])


def _real_campaign(url: str) -> None:
    """A real campaign with one dial answered and connected, journaled as the runner does."""
    store = CampaignStore.open(url)
    store.create_campaign("real", at=DAY, agents=[("ann", "user/1001")])
    store.add_leads("real", [LeadInput("+12015550123")], at=DAY)
    lead = store.leads("real")[0]
    attempt = store.begin_attempt(lead.id, at=DAY, call_uuid="u1")
    store.update_attempt(attempt.id, answered_at=DAY + timedelta(seconds=8),
                         bridged_at=DAY + timedelta(seconds=8), agent_id=store.agent("ann").id)
    store.finish_attempt(attempt.id, ended_at=DAY + timedelta(seconds=60), outcome="answered",
                         answer_kind="live")
    store.set_disposition(attempt.id, "SALE", at=DAY + timedelta(seconds=70))
    store.close()


def _headers(path: Path) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {name: [c.value for c in next(book[name].iter_rows(max_row=1))]
            for name in book.sheetnames}


def _summary(path: Path) -> dict[str, object]:
    sheet = openpyxl.load_workbook(path, read_only=True)["summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_report_workbook_has_the_sheets_and_columns_of_a_real_campaigns(
        scenario: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    _real_campaign(url)
    real = tmp_path / "real.xlsx"
    done = _dialer("report", "real", "--db", url, "--from", "2026-11-23", "--to",
                   "2026-11-24", "--format", "xlsx", "--output", real)
    assert done.exit_code == 0, done.output
    simulated, picture = tmp_path / "sim.xlsx", tmp_path / "sim.png"
    result = _dialer("simulate", scenario, "--policy", "power:lines_per_agent=2.5",
                     "--replications", "1", "--workers", "1", "--json",
                     "--report", simulated, "--report-plot", picture)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert _headers(simulated) == _headers(real)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figures = document["policies"]["power:lines_per_agent=2.5"]  # one replication: its own
    summary = _summary(simulated)
    assert summary["dials"] == figures["dials"]["mean"] > 0
    assert summary["abandons"] == figures["abandoned"]["mean"] > 0
    assert document["recorded"][0]["campaign"] is None  # a temporary store, now gone


def test_recorded_campaign_is_reported_as_a_real_one_and_its_name_is_kept(
        scenario: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    record = ["simulate", scenario, "--policy", "progressive", "--replications", "1",
              "--workers", "1", "--record", "--db", url, "--start", "2026-12-01T09:00",
              "--json"]
    first = _dialer(*record)
    assert first.exit_code == 0, first.output
    entry = json.loads(first.stdout)["recorded"][0]
    assert entry["campaign"] == "sim-lab-progressive"
    assert entry["from"] == "2026-12-01T09:00:00+00:00"
    report = _dialer("report", "sim-lab-progressive", "--db", url, "--from",
                     "2026-12-01", "--to", "2026-12-02", "--json")
    assert report.exit_code == 0, report.output
    dials = json.loads(first.stdout)["policies"]["progressive"]["dials"]["mean"]
    assert json.loads(report.stdout)["summary"]["dials"] == dials == entry["attempts"]

    again = _dialer(*record[:-1])
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines() == [
        "error: campaign 'sim-lab-progressive' already exists (--replace replaces a "
        "recorded simulation; --campaign-name chooses another name)"]
    replaced = _dialer(*record, "--replace", "--seed", "2")
    assert replaced.exit_code == 0, replaced.output
    other = _dialer(*record, "--campaign-name", "day-two")
    assert other.exit_code == 0, other.output
    assert json.loads(other.stdout)["recorded"][0]["campaign"] == "day-two"


@pytest.mark.parametrize(("args", "message"), [
    (["--record", "--start", "tomorrow"], "--start 'tomorrow': use an ISO time"),
    (["--report", "r.csv"], "the campaign report is written as .xlsx"),
    (["--report-plot", "r.pdf"], "the plot is written as .png"),
    (["--campaign-name", "x"], "--campaign-name needs --record, --report or --report-plot"),
])
def test_bad_recording_options_are_one_line_and_exit_1(scenario: Path, args: list[str],
                                                        message: str) -> None:
    result = _dialer("simulate", scenario, "--replications", "1", *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
