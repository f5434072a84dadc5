from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DIALER_DB", raising=False)
    return tmp_path


def run(*args: str) -> dict | list:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_db_upgrade_creates_default_database(env):
    from campaigns.db import head_revision

    doc = run("db", "upgrade")
    assert doc["to"] == head_revision() and doc["url"].endswith("home/dialer.db")
    assert (env / "home" / "dialer.db").exists()
    assert run("db", "upgrade")["from"] == head_revision()


def test_campaign_lifecycle_import_export_report(env):
    created = run("campaign", "create", "spring", "--caller-id", "+12015550100",
                  "--ring-timeout", "20", "--agent", "ann=user/1001", "--seller", "Acme Solar",
                  "--dnc-number", "+18005550100", "--safe-harbor-declared",
                  "--subject", "solar", "--set", "compliance.attempt_caps=[{\"max_calls\": 2, "
                  "\"window_hours\": 24}]",
                  "--set", 'schedule={"start": "08:00", "end": "20:00", "days": [0,1,2,3,4]}')
    assert created["state"] == "draft" and created["settings"]["ring_timeout"] == 20
    compliance = created["settings"]["compliance"]
    assert (compliance["seller_name"], compliance["subject"]) == ("Acme Solar", "solar")
    assert compliance["attempt_caps"] == [{"max_calls": 2, "window_hours": 24.0,
                                           "same_subject": False, "per": "person"}]
    assert compliance["safe_harbor"]["states_telemarketing_purpose"]
    assert created["agents"] == [{"name": "ann", "endpoint": "user/1001"}]
    leads = env / "leads.csv"
    leads.write_text("Telephone,Name\n(201) 555-0123,Ann\n201-555-0123,Dup\nxx,Bad\n")
    doc = run("leads", "import", "spring", str(leads), "--map", "phone=Telephone",
              "--map", "first_name=Name")
    assert (doc["imported"], doc["rejected"]) == (1, 2)
    assert Path(doc["rejects_file"]).exists()
    assert run("leads", "list", "spring")["leads"][0]["phone"] == "+12015550123"
    assert run("campaign", "start", "spring")["state"] == "running"
    assert run("campaign", "edit", "spring", "--amd")["settings"]["amd_enabled"] is True
    out = env / "leads.xlsx"
    assert run("leads", "export", "spring", "--output", str(out))["rows"] == 1 and out.exists()
    assert run("leads", "export", "spring", "-o", str(env / "r.csv"), "--results")["rows"] == 0
    plot = env / "r.png"
    report = run("report", "spring", "--from", "2026-11-01", "--to", "2026-11-08",
                 "--plot", str(plot))
    assert report["summary"]["dials"] == 0 and len(report["daily"]) == 7
    assert plot.read_bytes()[:4] == b"\x89PNG"
    listed = run("campaign", "list")
    assert [(c["name"], c["state"], c["leads"]) for c in listed] == [("spring", "running", 1)]


def test_user_errors_are_one_red_line_and_exit_1(env):
    def dialer(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=60)

    run("campaign", "create", "c")
    run("campaign", "archive", "c")
    started = dialer("campaign", "start", "c")
    assert started.returncode == 1
    assert "archived: cannot go to running" in started.stderr
    assert "Traceback" not in started.stderr
    short = dialer("campaign", "create", "d", "--ring-timeout", "10")
    assert short.returncode == 1 and "64.1200(a)(6)" in short.stderr.replace("\n", " ")
    missing = CliRunner().invoke(app, ["leads", "import", "c", "/nonexistent.csv", "--yes"])
    assert missing.exit_code == 1 and "file not found" in missing.output
