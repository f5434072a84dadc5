"""Leads stored before the eighth pass with a time zone an import now refuses (``EST``,
``EST5EDT``, ``Etc/GMT+5``, ``UTC``...; written here by SQL, past the check): `dialer doctor`
and `dialer run` name them, `dialer leads fix-zones` rewrites those whose repair is certain
and lists the rest (docs/operations.md, "Eighth pass")."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_kit import dialer, ok, started_spring

from campaigns.stored_zones import meant_zone


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = started_spring(tmp_path, monkeypatch)
    path = home / "leads.csv"
    path.write_text("phone,timezone\n2125550100,America/New_York\n2125550101,America/New_York\n"
                    "3125550102,America/Chicago\n2125550103,America/New_York\n"
                    "2125550104,America/New_York\n")
    assert ok("leads", "import", "spring", str(path), "--yes")["imported"] == 5
    return home


def store_raw(home: Path, phone: str, zone: str) -> None:
    """Store ``zone`` as the lead's zone, past every check (as a lead imported before)."""
    with sqlite3.connect(home / "dialer.db") as connection:
        assert connection.execute("UPDATE lead SET timezone = ? WHERE phone = ?",
                                   (zone, phone)).rowcount == 1


def zones(home: Path) -> dict[str, str]:
    with sqlite3.connect(home / "dialer.db") as connection:
        return dict(connection.execute("SELECT phone, timezone FROM lead"))


def doctor(home: Path) -> dict[str, dict]:
    result = dialer("doctor", "spring", "--switch", "esl://127.0.0.1:1", "--json")
    assert "Traceback" not in result.output
    return {c["check"]: c for c in json.loads(result.stdout)["checks"]}


def test_meant_zone_is_the_one_zone_suggested_or_none():
    assert meant_zone("EST") == "America/New_York"
    assert meant_zone("EST5EDT") == "America/New_York"
    assert meant_zone("Etc/GMT+6") == "America/Chicago"
    assert meant_zone("MST") is None  # Denver, or Phoenix (no summer time)
    assert meant_zone("UTC") is None  # "e.g. America/New_York" is an example, not a place
    assert meant_zone("CET") is None
    assert meant_zone("America/New_York") is None  # accepted: nothing to repair


def test_doctor_warns_of_leads_stored_with_a_refused_zone(home):
    assert doctor(home)["lead zones"]["verdict"] == "ok"
    store_raw(home, "+12125550100", "EST")
    store_raw(home, "+12125550101", "EST")
    store_raw(home, "+13125550102", "Etc/GMT+6")
    check = doctor(home)["lead zones"]
    assert check["verdict"] == "warn"
    message = check["message"]
    assert message.startswith("3 leads are stored with a time zone an import now refuses "
                              "(EST, Etc/GMT+6")
    assert "EST (probably America/New_York)" in message
    assert "Etc/GMT+6 (probably America/Chicago)" in message
    assert "`dialer leads fix-zones spring`" in message


def test_run_says_the_same_warning_at_start(home):
    store_raw(home, "+12125550100", "EST5EDT")
    result = dialer("run", "spring", "--switch", "esl://127.0.0.1:1", "--duration", "1")
    assert ("warning: campaign 'spring': 1 leads are stored with a time zone an import now "
            "refuses (EST5EDT; e.g. lead") in " ".join(result.output.split())


def test_fix_zones_rewrites_the_certain_ones_and_lists_the_rest(home):
    store_raw(home, "+12125550100", "EST")
    store_raw(home, "+12125550101", "EST5EDT,America/Chicago")
    store_raw(home, "+13125550102", "EST")  # Chicago's number: EST is not its zone
    store_raw(home, "+12125550103", "UTC")  # no zone is meant
    store_raw(home, "+12125550104", "MST")  # Denver or Phoenix, and neither is New York
    before = zones(home)
    dry = ok("leads", "fix-zones", "spring", "--dry-run")
    assert dry["written"] == 0 and zones(home) == before
    answer = ok("leads", "fix-zones", "spring")
    assert answer["written"] == 2
    assert [(f["from"], f["to"]) for f in answer["fixes"]] == [
        ("EST", "America/New_York"),
        ("EST5EDT,America/Chicago", "America/New_York,America/Chicago")]
    reasons = {lead["zone"]: lead["reason"] for lead in answer["left"]}
    assert "but the number's area code is in America/Chicago" in reasons["EST"]
    assert reasons["UTC"].startswith("UTC: no single zone is meant")
    assert reasons["MST"].startswith("MST: no single zone is meant")
    after = zones(home)
    assert after["+12125550100"] == "America/New_York"
    assert after["+12125550101"] == "America/New_York,America/Chicago"  # kept the other
    assert (after["+13125550102"], after["+12125550103"], after["+12125550104"]) == (
        "EST", "UTC", "MST")
    assert doctor(home)["lead zones"]["message"].startswith("3 leads")


def test_fix_zones_writes_nothing_when_a_lead_changes_meanwhile(home, monkeypatch):
    import campaigns.stored_zones as stored_zones

    store_raw(home, "+12125550100", "EST")
    store_raw(home, "+12125550101", "EST")
    planned = stored_zones.plan_fixes

    def plan_then_change(store, campaign):
        fixes = planned(store, campaign)
        store_raw(home, "+12125550101", "Etc/GMT+5")  # another writer, after the plan
        return fixes

    monkeypatch.setattr(stored_zones, "plan_fixes", plan_then_change)
    result = dialer("leads", "fix-zones", "spring")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert zones(home)["+12125550100"] == "EST"  # the first lead's rewrite was rolled back
