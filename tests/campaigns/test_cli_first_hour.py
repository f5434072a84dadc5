"""The rough edges a new user hit in the first hour, each reproduced through the CLI:
read-only commands that migrated, deletion, lead lists, lead import corner cases."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_kit import dialer, ok, use_home

from campaigns.errors import CampaignError
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore

CALLER = ["--caller-id", "+12015550100", "--seller", "Acme Solar", "--dnc-number",
          "+18005550100", "--safe-harbor-declared"]
"""What a US sales campaign declares before it may start (caller ID, seller, DNC number and
its abandoned-call message)."""
ALWAYS = json.dumps({"start": "00:00", "end": "23:59", "days": list(range(7))})


@pytest.fixture
def home(tmp_path, monkeypatch):
    return use_home(tmp_path, monkeypatch)


# -- read-only commands ------------------------------------------------------------------

@pytest.mark.parametrize("command", [("campaign", "list"), ("campaign", "show", "x"),
                                     ("leads", "list", "x"), ("report", "x"),
                                     ("leads", "lists", "x")])
def test_read_only_commands_create_no_database(home, command):
    result = dialer(*command)
    assert result.exit_code == 1
    assert "dialer db upgrade" in result.output
    assert not (home / "dialer.db").exists()


def test_read_only_commands_never_migrate_an_old_schema(home):
    ok("db", "upgrade")
    ok("campaign", "create", "x", *CALLER)
    from alembic.script import ScriptDirectory

    from campaigns import db

    head = ScriptDirectory.from_config(db._alembic_config(None)).get_revision(
        db.head_revision())
    previous = head.down_revision
    path = home / "dialer.db"
    # A database of the previous version: the newest migration taken back (its downgrade).
    from alembic import command as alembic_command

    engine = db.open_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        alembic_command.downgrade(db._alembic_config(connection), previous)
    engine.dispose()
    for command in (("campaign", "list"), ("report", "x"), ("leads", "list", "x")):
        result = dialer(*command, "--json")
        assert result.exit_code == 1
        error = json.loads(result.stdout)["error"]
        assert f"schema {previous}" in error and "dialer db upgrade" in error
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            previous,)
    ok("db", "upgrade")
    assert [c["name"] for c in ok("campaign", "list")] == ["x"]


def test_home_names_the_data_directory_of_every_campaign_command(home, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    ok("db", "upgrade", "--home", str(elsewhere))
    ok("campaign", "create", "x", *CALLER, "--home", str(elsewhere))
    assert (elsewhere / "dialer.db").exists() and not (home / "dialer.db").exists()
    assert [c["name"] for c in ok("campaign", "list", "--home", str(elsewhere))] == ["x"]


# -- deleting --------------------------------------------------------------------------

def _dial_once(home: Path) -> None:
    """One attempt on the first lead, as a dialer process would journal it."""
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    lead = store.leads("spring", limit=1)[0]
    at = datetime.now(UTC) - timedelta(minutes=5)
    attempt = store.begin_attempt(lead.id, at=at)
    from campaigns.settings import Outcome

    store.finish_attempt(attempt.id, ended_at=at + timedelta(seconds=20),
                         outcome=Outcome.NO_ANSWER)
    store.close()


def _spring(home: Path, leads: int = 4) -> None:
    ok("campaign", "create", "spring", *CALLER, "--agent", "ann=user/1001",
       "--set", f"schedule={ALWAYS}")
    path = home / "leads.csv"
    path.write_text("phone\n" + "".join(f"+1201555{i:04d}\n" for i in range(leads)))
    ok("leads", "import", "spring", str(path), "--list-name", "first")


def test_campaign_delete_keeps_the_call_records(home):
    _spring(home)
    ok("campaign", "start", "spring")
    _dial_once(home)
    running = dialer("campaign", "delete", "spring", "--yes")
    assert running.exit_code == 1 and "stop it first" in running.output
    ok("campaign", "stop", "spring")
    needs_yes = dialer("campaign", "delete", "spring", "--json")
    assert needs_yes.exit_code == 1 and "--yes" in json.loads(needs_yes.stdout)["error"]
    deleted = ok("campaign", "delete", "spring", "--yes")
    assert (deleted["leads_deleted"], deleted["leads_kept"], deleted["attempts_kept"]) == (
        3, 1, 1)
    assert ok("campaign", "list") == []
    (shown,) = ok("campaign", "list", "--all")
    assert shown["state"] == "deleted"
    with sqlite3.connect(home / "dialer.db") as connection:
        assert connection.execute("SELECT count(*) FROM call_attempt").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM lead").fetchone() == (1,)
    # The name is free again, and the deleted campaign is read-only.
    ok("campaign", "create", "spring", *CALLER)
    edit = dialer("campaign", "edit", str(shown["id"]), "--amd")
    assert edit.exit_code == 1 and "deleted: read-only" in edit.output


def test_leads_delete_purge_and_lists(home):
    _spring(home, leads=6)
    ok("campaign", "start", "spring")
    _dial_once(home)
    removed = ok("leads", "delete", "spring", "--phone", "+12015550000", "--phone",
                 "+12015550001", "--yes")
    assert (removed["deleted"], removed["retired"]) == (1, 1)  # the dialed one is retired
    unselected = dialer("leads", "delete", "spring", "--yes")
    assert unselected.exit_code == 1 and "--all" in unselected.output
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    store.add_leads("spring", [LeadInput("+12015550100")], at=datetime.now(UTC),
                    list_name="second")
    store.close()
    with sqlite3.connect(home / "dialer.db") as connection:
        connection.execute("UPDATE lead SET status = 'invalid' WHERE phone = '+12015550005'")
    assert ok("leads", "purge", "spring", "--yes")["deleted"] == 1
    lists = {x["name"]: x for x in ok("leads", "lists", "spring")["lists"]}
    assert set(lists) == {"first", "second"} and lists["second"]["active"]
    assert ok("leads", "disable", "spring", "second")["active"] is False
    # The hopper hands out nothing from a disabled list.
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    claimed = store.claim_leads("spring", 10, owner="t", now=datetime.now(UTC))
    assert claimed and "+12015550100" not in {c.phone for c in claimed}
    store.release_claims("t")
    store.close()
    assert ok("leads", "enable", "spring", "second")["active"] is True
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    claimed = store.claim_leads("spring", 10, owner="t", now=datetime.now(UTC))
    assert "+12015550100" in {c.phone for c in claimed}
    store.close()


# -- lead import -----------------------------------------------------------------------

def test_name_column_maps_to_first_name_and_extensions_are_kept(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Name,Phone\nAnn,201-555-0123 x45\nBob,(201) 555-0124\n")
    doc = ok("leads", "import", "c", str(path))
    assert doc["mapping"]["first_name"] == ["Name"] and doc["imported"] == 2
    assert doc["extensions"] == 1
    leads = {lead["phone"]: lead for lead in ok("leads", "list", "c")["leads"]}
    assert leads["+12015550123"]["first_name"] == "Ann"
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    assert store.lead_by_phone("c", "+12015550123").custom == {"phone_extension": "45"}
    store.close()
    (home / "more.csv").write_text("Name,Phone\nCy,201-555-0125 ext. 7\n")
    said = dialer("leads", "import", "c", str(home / "more.csv"), "--yes")
    assert "phone_extension" in said.output


def test_rejects_are_written_in_the_input_encoding_and_delimiter(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_bytes("Телефон;Имя\n2015550123;Дмитрий\nнет;Ольга\n".encode("cp1251"))
    doc = ok("leads", "import", "c", str(path))
    assert doc["rejected"] == 1 and doc["encoding"] == "cp1251"
    rejects = Path(doc["rejects_file"]).read_bytes().decode("cp1251")
    header, row = rejects.splitlines()
    assert header == "line;reject_field;reject_reason;Телефон;Имя"
    assert row.startswith("3;phone;") and row.endswith(";нет;Ольга")


def test_the_rejects_file_always_describes_the_latest_import(home):
    """A stale FILE.rejects.csv from an earlier import of the same file was left when the
    new import had no rejects, and a user read the old rejects as new."""
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    rejects = home / "leads.csv.rejects.csv"
    path.write_text("phone,first_name\n2015550100,a\nnope,b\n")
    first = ok("leads", "import", "c", str(path))
    assert first["rejects_file"] == str(rejects) and rejects.exists()
    assert (first["rejects_replaced"], first["rejects_removed"]) == (False, None)
    path.write_text("phone,first_name\n2015550101,a\nstill bad,b\n")
    second = ok("leads", "import", "c", str(path))
    assert second["rejects_replaced"] is True
    assert "still bad" in rejects.read_text() and "nope" not in rejects.read_text()
    path.write_text("phone,first_name\n2015550102,a\n2015550103,b\n")
    text = dialer("leads", "import", "c", str(path), "--yes")
    assert text.exit_code == 0, text.output
    assert not rejects.exists()
    said = f"no row rejected: removed {rejects}, the rejects of an earlier import"
    assert "".join(said.split()) in "".join(text.output.split())  # wrapped by the console
    assert sorted(p.name for p in home.iterdir() if "rejects" in p.name) == []  # no partial
    path.write_text("phone,first_name\n2015550104,a\n")
    assert ok("leads", "import", "c", str(path))["rejects_removed"] is None  # none to remove


def test_a_binary_file_is_one_line_without_its_bytes(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    result = dialer("leads", "import", "c", str(path), "--yes")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not a text lead file" in lines[0]
    assert "PNG" not in lines[0] and "IHDR" not in lines[0]


def test_declining_the_mapping_imports_nothing_and_says_so(home, monkeypatch):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("phone\n2015550123\n")
    import campaigns.cli_leads as cli_leads

    class Terminal:
        """CliRunner's stdin, as a person at a terminal."""

        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(cli_leads, "sys", type("sys", (), {"stdin": Terminal()}))
    result = dialer("leads", "import", "c", str(path), input="n\n")
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert ok("campaign", "show", "c")["lists"] == []


def test_an_import_that_adds_nothing_creates_no_list(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("phone\nnope\n12\n")
    doc = ok("leads", "import", "c", str(path))
    assert doc["imported"] == 0 and doc["list_id"] is None
    assert ok("campaign", "show", "c")["lists"] == []
    text = dialer("leads", "import", "c", str(path), "--yes")
    assert "nothing imported" in text.output


# -- lead files a new user gets wrong (each refused in one line naming file and line) -------

def refusal(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result.output.strip().splitlines()[-1]


def test_a_first_row_with_a_field_too_many_is_refused_not_shifted(home):
    """pandas read it as a row index: every column shifted, the phone column held names
    and the second row's phone was lost."""
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Phone,Name\n2015550123,Ann,2015550199,x\n2015550124,Bo\n")
    line = refusal(dialer("leads", "import", "c", str(path), "--yes"))
    assert "leads.csv:2:" in line and "4 fields but the header has 2" in line
    assert ok("campaign", "show", "c")["lists"] == []


def test_a_bad_row_after_the_header_is_named_by_its_line(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Phone,Name,Priority\n2015550123,Ann,1\n2015550124,Bo,1,2\n")
    line = refusal(dialer("leads", "import", "c", str(path), "--yes"))
    assert "leads.csv:3:" in line and "cannot read the header" not in line
    path.write_text('Phone,Name\n2015550123,Ann\n2015550124,"Bo\n2015550125,Cy\n')
    assert "leads.csv:3:" in refusal(dialer("leads", "import", "c", str(path), "--yes"))


def test_an_unknown_encoding_is_one_line(home):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Phone\n2015550123\n")
    line = refusal(dialer("leads", "import", "c", str(path), "--yes", "--encoding", "utf8x"))
    assert "unknown encoding 'utf8x'" in line


def test_an_unknown_time_zone_rejects_its_row_with_the_field(home):
    """Kept, the campaign's schedule check skipped the zone it could not place."""
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Phone,Timezone\n2145550100,Europe/Londn\n2145550101,America/Chicago\n"
                    "2145550102,\n")
    doc = ok("leads", "import", "c", str(path))
    assert doc["imported"] == 2 and doc["rejected"] == 1
    rejects = Path(doc["rejects_file"]).read_text().splitlines()
    assert rejects[1].startswith("2,timezone,timezone 'Europe/Londn' is not an IANA")


@pytest.mark.parametrize("args, said", [
    (("--batches", "--batch-size", "0"), "--batch-size 0"),
    (("--batches", "--start-line", "-5"), "--start-line -5"),
    (("--batches", "--start-line", "50"), "past the end of the file"),
])
def test_bad_batch_settings_are_refused_before_any_write(home, args, said):
    ok("campaign", "create", "c", *CALLER)
    path = home / "leads.csv"
    path.write_text("Phone\n2015550123\n2015550124\n")
    line = refusal(dialer("leads", "import", "c", str(path), "--yes", *args))
    assert said in line and "leads.csv" in line
    assert ok("campaign", "show", "c")["lists"] == []


@pytest.mark.parametrize("args, said", [
    (("--format", "xlsx", "--output", "{home}/missing/r.xlsx"), "--output"),
    (("--format", "csv", "--output", "{home}"), "is a directory"),
    (("--plot", "{home}/missing/r.png"), "--plot"),
])
def test_a_report_to_a_missing_directory_is_one_line(home, args, said):
    """pandas and matplotlib used to end these in a traceback, after the report was built."""
    ok("campaign", "create", "c", *CALLER)
    line = refusal(dialer("report", "c", *(a.format(home=home) for a in args)))
    assert said in line and str(home) in line
    assert not (home / "missing").exists()


# -- campaign settings typed wrong ------------------------------------------------------

def test_an_unknown_queue_is_refused_at_create_and_edit(home):
    """'queues=["slaes"]' used to be stored and refused only when `dialer run` started."""
    ok("campaign", "create", "c", *CALLER)
    line = refusal(dialer("campaign", "edit", "c", "--set", 'queues=["slaes"]'))
    assert "queues: no queue named 'slaes'" in line
    assert "queues: no queue named 'slaes'" in refusal(dialer(
        "campaign", "create", "d", *CALLER, "--set", 'queues=["slaes"]'))
    assert ok("campaign", "show", "c")["settings"]["queues"] == []
    assert dialer("campaign", "show", "d").exit_code == 1


def test_a_broken_json_setting_names_the_key_and_where_it_broke(home):
    """It used to be read as a plain string, and the refusal said only 'Input should be a
    valid dictionary'."""
    ok("campaign", "create", "c", *CALLER)
    line = refusal(dialer("campaign", "edit", "c", "--set",
                          'schedule={"start": "08:00", "end": "21:00"'))
    assert line.startswith("error: --set schedule: not valid JSON")
    assert "character 34" in line


def test_an_agent_without_an_endpoint_is_refused_and_nothing_is_changed(home):
    """`campaign edit --agent zed` stored zed with an empty endpoint, after the other
    edits of the same command were already saved."""
    ok("campaign", "create", "c", *CALLER)
    line = refusal(dialer("campaign", "edit", "c", "--ring-timeout", "31", "--agent", "zed"))
    assert "--agent 'zed': write NAME=ENDPOINT" in line
    shown = ok("campaign", "show", "c")
    assert shown["settings"]["ring_timeout"] != 31 and shown["agents"] == []
    store = CampaignStore.open(f"sqlite:///{home / 'dialer.db'}")
    with pytest.raises(CampaignError, match="write NAME=ENDPOINT"):
        store.add_agent("zed", " ", campaign="c")
    store.close()


def test_a_directory_given_as_a_lead_file_says_it_is_a_directory(home):
    ok("db", "upgrade")
    ok("campaign", "create", "x", *CALLER)
    folder = home / "leads"
    folder.mkdir()
    said = refusal(dialer("leads", "import", "x", str(folder), "--region", "US", "--yes"))
    assert f"{folder}: is a directory, not a lead file" in said and "not found" not in said
