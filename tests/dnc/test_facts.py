"""The officer's number facts (line types, revocations, RND results), their files and
commands, UK numbers in TPS registries, explain at a past instant, and scrub's reasons."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

import cli
from dnc.errors import ImportFormatError
from dnc.facts import NumberFactsStore, parse_line_types, parse_revocations, parse_rnd_results
from dnc.interfaces import LineType, RndAnswer

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def run(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def test_a_number_entry_beats_its_block_and_a_later_import_replaces_an_earlier(tmp_path):
    store = NumberFactsStore(tmp_path / "facts.db")
    store.record_line_types([("+1305555", False, LineType.LANDLINE, None),
                             ("+13055551", False, LineType.WIRELESS, None)], T0, "a.csv")
    store.record_line_types([("+13055550123", True, LineType.VOIP, None)], T0 + timedelta(1),
                            "b.csv")
    assert store.line_type("+13055559999", T0).line_type is LineType.LANDLINE
    assert store.line_type("+13055551234", T0).line_type is LineType.WIRELESS  # longer block
    assert store.line_type("+13055550123", T0).line_type is LineType.LANDLINE  # not yet
    ported = store.line_type("+13055550123", T0 + timedelta(days=2))
    assert ported.line_type is LineType.VOIP and "number +13055550123 (b.csv)" in ported.source
    store.record_line_types([("+1305555", False, LineType.WIRELESS, None)],
                            T0 + timedelta(days=3), "c.csv")
    assert store.line_type("+13055559999", T0 + timedelta(days=4)).line_type is \
        LineType.WIRELESS
    assert store.line_type("+12015550123", T0) is None
    store.close()


def test_files_are_refused_whole_naming_line_and_field():
    rows = parse_line_types("number,block,line_type,ported\n305-555-0123,,mobile,\n"
                            ",305555,landline,\n,+4420794,voip,\n", "lt.csv")
    assert [(p, n, k) for p, n, k, _ in rows] == [
        ("+13055550123", True, LineType.WIRELESS), ("+1305555", False, LineType.LANDLINE),
        ("+4420794", False, LineType.VOIP)]
    with pytest.raises(ImportFormatError) as error:
        parse_line_types("number,line_type\n3055550123,fax\n", "lt.csv")
    assert (error.value.line, error.value.field) == (2, "line_type")
    with pytest.raises(ImportFormatError) as error:
        parse_revocations("number,at,channel\n3055550123,yesterday,sms\n", "r.csv")
    assert (error.value.line, error.value.field) == (2, "at")
    results = parse_rnd_results("Phone Number,Date Provided,Result\n3055550123,2026-01-05,No "
                                "Data\n", "rnd.csv")
    assert results[0].answer is RndAnswer.NO_DATA and results[0].number_e164 == "+13055550123"


def test_revoke_and_imports_through_the_cli(tmp_path):
    home = ["--home", str(tmp_path)]
    assert run("compliance", "revoke", "305-555-0123", "--channel", "sms STOP").exit_code != 0
    done = run("compliance", "revoke", "305-555-0123", "--channel", "sms STOP", "--by",
               "officer", *home, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["number"] == "+13055550123"
    (tmp_path / "rev.csv").write_text("contact_id,at,channel\np7,2026-11-02T10:00Z,letter\n")
    assert run("compliance", "revocations", "import", str(tmp_path / "rev.csv"), "--by", "o",
               *home).exit_code == 0
    (tmp_path / "lt.csv").write_text("block,line_type\n305555,wireless\n")
    assert "1 line types" in run("compliance", "line-types", "import",
                                 str(tmp_path / "lt.csv"), *home).output
    (tmp_path / "rnd.csv").write_text("number,date,answer\n3055550123,2026-01-05,yes\n")
    assert "1 permanently disconnected" in run("compliance", "rnd", "import",
                                               str(tmp_path / "rnd.csv"), *home).output
    store = NumberFactsStore(tmp_path / "dnc" / "facts.db")
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert len(store.revocations("+13055550123", "p7", later)) == 2
    assert store.reassigned("+13055550123", later)[0].answer is RndAnswer.YES
    store.close()


def test_emergencies_through_the_cli(tmp_path):
    home = ["--home", str(tmp_path)]
    bad = run("compliance", "emergency", "add", "--state", "XX", "--from", "2026-09-01",
              "--citation", "order", *home)
    assert bad.exit_code != 0 and not (tmp_path / "rules" / "emergencies.csv").exists()
    added = run("compliance", "emergency", "add", "--state", "NY", "--from", "2026-09-01",
                "--until", "2026-09-10", "--areas", "county:Kings", "--citation",
                "Executive Order 26", *home)
    assert added.exit_code == 0, added.output
    listed = json.loads(run("compliance", "emergency", "list", "--on", "2026-09-05", *home,
                            "--json").stdout)["emergencies"]
    assert listed == [{"state": "NY", "name": "declared emergency", "from": "2026-09-01",
                       "until": "2026-09-10", "areas": ["county:Kings"],
                       "calls": "telemarketing", "citation": "Executive Order 26"}]
    explained = run("compliance", "explain", "+17185550123", "--at", "2026-09-05T16:00Z",
                    "--county", "Kings", "--line-type", "landline", "--manual", "--profile",
                    "us_federal,us_state", "--json")
    assert explained.exit_code == 0
    # explain reads <data>/rules from DIALER_HOME; here the data dir is given to the command
    # that wrote it, so the check goes through the rules with the same tables:
    from dnc.rules.tables import tables_for_data
    assert tables_for_data(tmp_path).area_bans.all()[0].state == "NY"


def test_tps_registries_hold_uk_numbers_and_scrub_names_out_of_profile_numbers(tmp_path):
    source = tmp_path / "tps.txt"
    source.write_text("020 7946 0123\n+44 7400 123456\n")
    home = ["--home", str(tmp_path)]
    assert run("dnc", "import", str(source), "--registry", "tps", *home).exit_code == 0
    from dnc.registry import DncStore
    store = DncStore(tmp_path / "dnc")
    assert [h.version.registry for h in store.hits("+442079460123")] == ["tps"]
    assert store.hits("+12079460123") == []
    leads = tmp_path / "leads.csv"
    leads.write_text("phone\n2015550123\n+44 20 7946 0000\n555\n+1 416 555 0123\n")
    result = run("dnc", "scrub", str(leads), "--output", str(tmp_path / "ok.csv"), "--rejects",
                 str(tmp_path / "no.csv"), *home, "--json")
    assert json.loads(result.stdout)["rejected_outside"] == 2
    import csv
    rejects = list(csv.reader((tmp_path / "no.csv").open()))
    assert rejects[1][0] == "+44 20 7946 0000"
    assert rejects[1][1].startswith("number outside every profile of the campaign (its region "
                                    "is GB")
    assert "its region is CA" in rejects[3][1] and rejects[2] == ["555", "invalid number"]


def test_explain_at_a_past_instant_uses_the_versions_on_record_then(tmp_path, monkeypatch):
    from dnc.registry.importer import import_numbers
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    source = tmp_path / "national.txt"
    source.write_text("2015550199\n")
    now = datetime.now(UTC)
    first = now - timedelta(days=10)
    import_numbers(tmp_path / "dnc" / "registries", "national", [source], first, first)
    before = (now - timedelta(days=20)).isoformat()
    old = json.loads(run("compliance", "explain", "+12015550123", "--at", before,
                         "--json").stdout)
    freshness = next(r for r in old["rules"] if r["rule"] == "us.national_freshness")
    assert not freshness["passed"] and "no national registry loaded" in freshness["reason"]
    assert "no version of national was loaded at" in old["registry_note"]
    then = json.loads(run("compliance", "explain", "+12015550123", "--at",
                          (now - timedelta(days=7)).isoformat(), "--json").stdout)
    assert then["registry_versions"][0].startswith("national@") and \
        next(r for r in then["rules"] if r["rule"] == "us.national_freshness")["passed"]
    # Versions imported since push the one current then out (only the last three are
    # kept): that past decision can no longer be reproduced, and explain says so.
    for days in (5, 4, 3):
        moment = now - timedelta(days=days)
        import_numbers(tmp_path / "dnc" / "registries", "national", [source], moment, moment)
    gone = json.loads(run("compliance", "explain", "+12015550123", "--at",
                          (now - timedelta(days=7)).isoformat(), "--json").stdout)
    assert not gone["allowed"]
    assert "explain.registry_history" in {r["rule"] for r in gone["rules"] if not r["passed"]}
    assert os.environ["DIALER_HOME"] == str(tmp_path)
