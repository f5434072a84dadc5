"""``dialer queue``, ``dialer voicemail`` and ``dialer report --queues`` end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import app

TOML = """
name = "sales"
strategy = "skills"
skills = { spanish = 3 }
max_wait = 120
overflow = "voicemail"

[service_level]
target = 0.9
within = 15

[ivr]
start = "main"
[ivr.menus.main]
prompt = "main_menu"
options = { "1" = "queue", "3" = "callback", "4" = "voicemail", "9" = "opt_out" }
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DIALER_DB", raising=False)
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def fails(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.output.count("\n") == 1
    return result.output


def test_create_from_toml_edit_show_list(env) -> None:
    (env / "sales.toml").write_text(TOML)
    created = run("queue", "create", "sales", "--file", str(env / "sales.toml"))
    assert created["skills"] == {"spanish": 3} and created["ivr"]["start"] == "main"
    edited = run("queue", "edit", "sales", "--set", "service_level.target=0.8",
                 "--agent", "ann", "--agent", "bob")
    assert edited["service_level"] == {"target": 0.8, "within": 15.0}
    assert edited["agents"] == ["ann", "bob"] and edited["max_wait"] == 120.0
    assert run("queue", "show", "sales")["overflow"]["kind"] == "voicemail"
    (listed,) = run("queue", "list")
    assert listed["name"] == "sales" and listed["ivr"] is True


def test_bad_input_is_one_clear_line_and_nothing_is_stored(env) -> None:
    message = fails("queue", "create", "sales", "--set", "max_wait=30")
    assert "overflow target" in message
    message = fails("queue", "create", "sales", "--set", "priority.vip_numbers=[\"555\"]")
    assert "priority.vip_numbers" in message and "E.164" in message
    (env / "bad.json").write_text("{not json")
    assert "bad.json:1: not valid JSON" in fails("queue", "create", "x", "--file",
                                                 str(env / "bad.json"))
    assert run("queue", "list") == []
    assert "no queue named 'ghost'" in fails("queue", "show", "ghost")


def test_an_operator_prompt_is_accepted_once_its_file_exists(env) -> None:
    assert "prompt 'holiday_notice'" in fails(
        "queue", "create", "sales", "--set", "closed=[\"holiday_notice\"]")
    from dialer.prompt_files import SHIPPED

    prompts = env / "home" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "holiday_notice.wav").write_bytes((SHIPPED / "closed.wav").read_bytes())
    assert run("queue", "create", "sales", "--set", "closed=[\"holiday_notice\"]")["closed"] == [
        "holiday_notice"]


def test_voicemail_list_export_and_callback(env) -> None:
    from campaigns.cli_common import open_store
    from campaigns.voicemail_store import VoicemailStore

    run("queue", "create", "sales")
    store = open_store(None)
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    VoicemailStore(store).add_voicemail("call-1", "sales", "+12025550101",
                                        str(env / "missing.wav"), start,
                                        start + timedelta(seconds=9))
    (message,) = run("voicemail", "list", "--queue", "sales")
    assert message["caller_number"] == "+12025550101" and message["seconds"] == 9.0
    exported = run("voicemail", "export", "--output", str(env / "vm.csv"), "--audio",
                   str(env / "audio"))
    assert exported["messages"] == 1 and exported["audio_missing"] == [str(env / "missing.wav")]
    assert "+12025550101" in (env / "vm.csv").read_text()
    callback = run("voicemail", "callback", str(message["id"]))
    (pending,) = run("queue", "callbacks", "--status", "pending")
    assert pending["id"] == callback["callback"] and pending["source"] == "voicemail"
    assert run("voicemail", "list", "--status", "callback")[0]["callback_id"] == pending["id"]


def test_report_queues_in_every_format(env) -> None:
    from campaigns.cli_common import open_store
    from campaigns.inbound_records import InboundRecord, InboundRecords

    run("queue", "create", "sales")
    store = open_store(None)
    t = datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    InboundRecords(store).record_calls([InboundRecord(
        "c1", "sales", "+12025550101", t, t + timedelta(seconds=70), "connected",
        queued_at=t, bridged_at=t + timedelta(seconds=10))])
    span = ["--from", "2026-11-23", "--to", "2026-11-24"]
    document = run("report", "--queues", *span, "--interval", "15", "--plot",
                   str(env / "q.png"))
    (row,) = document["intervals"]
    assert (row["queue"], row["answered"], row["service_level"]) == ("sales", 1, 1.0)
    assert (env / "q.png").exists()
    result = CliRunner().invoke(app, ["report", "--queue", "sales", *span, "--format", "csv"])
    assert result.exit_code == 0 and "section,queue" in result.stdout
    result = CliRunner().invoke(app, ["report", "--queue", "sales", *span, "--format", "xlsx",
                                      "--output", str(env / "q.xlsx")])
    assert result.exit_code == 0, result.output
    import pandas as pd

    assert set(pd.ExcelFile(env / "q.xlsx").sheet_names) == {"queues", "intervals", "daily",
                                                               "agents"}
    assert "sales" in CliRunner().invoke(app, ["report", "--queues", *span]).stdout
    assert "no queue named 'nope'" in fails("report", "--queue", "nope", *span)
    assert "--interval '7'" in fails("report", "--queues", *span, "--interval", "7")
    assert "name a campaign" in fails("report")


def test_a_mistake_in_a_queue_file_names_the_file_line_and_field(env) -> None:
    path = env / "sales.toml"
    path.write_text('name = "sales"\nstrategy = "ring_all"\nmax_wiat = 300\n')
    message = fails("queue", "create", "sales", "--file", str(path))
    assert f"{path}:3: queue sales: max_wiat: unknown key; known: agents" in message
    path.write_text('name = "sales"\n[ivr.menus.main]\nprompt = "main_menu"\n'
                    'options = { "1" = "queue:salse" }\n')
    message = fails("queue", "create", "sales", "--file", str(path))
    assert f"{path}:4: queue sales: ivr.menus.main.options.1: queue 'salse'" in message
    utf16 = env / "utf16.toml"
    utf16.write_text('strategy = "ring_all"\n', encoding="utf-16")
    assert run("queue", "create", "sales", "--file", str(utf16))["strategy"] == "ring_all"


def test_leave_when_unstaffed_is_saved_and_a_wrong_value_refused_by_line(env) -> None:
    path = env / "sales.toml"
    path.write_text('name = "sales"\nleave_when_unstaffed = "paused"\n'
                    'when_unstaffed = "callback"\n')
    saved = run("queue", "create", "sales", "--file", str(path))
    assert (saved["leave_when_unstaffed"], saved["when_unstaffed"]["kind"]) == (
        "paused", "callback")
    path.write_text('name = "sales"\n\nleave_when_unstaffed = "yes"\n')
    message = fails("queue", "edit", "sales", "--file", str(path))
    assert f"{path}:3: queue sales: leave_when_unstaffed:" in message
    assert "'never', 'logged_out' or 'paused'" in message
    message = fails("queue", "edit", "sales", "--set", "leave_when_unstaffed=never")
    assert "when_unstaffed needs leave_when_unstaffed" in message
    assert run("queue", "show", "sales")["leave_when_unstaffed"] == "paused"  # unchanged


def test_a_retired_queue_name_can_be_created_again(env) -> None:
    run("queue", "create", "sales")
    run("queue", "delete", "sales")
    assert run("queue", "create", "sales", "--strategy", "ring_all")["strategy"] == "ring_all"
    assert [q["name"] for q in run("queue", "list")] == ["sales"]
    assert "already exists" in fails("queue", "create", "sales")


def test_agent_skills_are_set_checked_and_kept(env) -> None:
    """Agent skills route a queue's calls, and no command could set them: a queue with
    skills was served by nobody. A re-added agent (--agent) also lost its skills."""
    run("queue", "create", "spanish", "--strategy", "skills", "--set", 'skills={"spanish":2}')
    created = run("campaign", "create", "spring", "--caller-id", "+12025550100",
                  "--agent", "ann=user/1001", "--skills", "ann=spanish:3,billing",
                  "--set", 'queues=["spanish"]')
    assert created["agents"] == [{"name": "ann", "endpoint": "user/1001",
                                  "skills": ["spanish:3", "billing"]}]
    edited = run("campaign", "edit", "spring", "--agent", "ann=user/1009")
    assert edited["agents"][0]["skills"] == ["spanish:3", "billing"]
    assert "campaign spring has no agent 'zed'; add it with --agent zed=ENDPOINT" in fails(
        "campaign", "edit", "spring", "--skills", "zed=spanish")
    assert "level 11 must be 1-10" in fails("campaign", "edit", "spring", "--skills",
                                            "ann=spanish:11")
    assert "skills" not in run("campaign", "edit", "spring", "--skills", "ann=")["agents"][0]


def test_a_misspelt_queue_in_recording_queues_is_refused(env) -> None:
    run("queue", "create", "sales")
    run("campaign", "create", "spring", "--caller-id", "+12025550100")
    message = fails("campaign", "edit", "spring", "--set", 'recording.queues={"slaes":"all"}',
                    "--set", "recording.two_party_consent=no_recording")
    assert "recording.queues: no queue named 'slaes'" in message


def test_editing_a_queue_a_running_process_serves_says_when_it_applies(env, monkeypatch
                                                                        ) -> None:
    import dialer.runner.running as running

    run("queue", "create", "sales")
    run("campaign", "create", "spring", "--caller-id", "+12025550100",
        "--set", 'queues=["sales"]')
    result = CliRunner().invoke(app, ["queue", "edit", "sales", "--set", "max_length=5",
                                      "--set", "overflow=voicemail", "--json"])
    assert result.exit_code == 0 and "note:" not in result.output
    monkeypatch.setattr(running, "running_snapshot",
                        lambda data, campaign, instance=None: {"status": {}})
    result = CliRunner().invoke(app, ["queue", "edit", "sales", "--set", "max_length=6",
                                      "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["max_length"] == 6
    assert "note: campaign spring's running process keeps queue sales's settings" in \
        result.stderr


def test_a_queue_stored_before_a_check_is_listed_with_its_repair(env) -> None:
    """`queue list` named nothing but the one broken queue's refusal: every other queue was
    hidden with it. It lists them all, the unreadable one with its refusal and repair."""
    import sqlite3

    run("queue", "create", "sales", "--set", "max_wait=60", "--set", "overflow=voicemail")
    run("queue", "create", "support")
    database = next((env / "home").rglob("*.db"))
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE inbound_queue SET config = json_remove(config, "
                           "'$.max_wait') WHERE name = 'sales'")
    listed = run("queue", "list")
    assert [q["name"] for q in listed] == ["sales", "support"]
    assert "repair it with `dialer queue edit sales" in listed[0]["problem"]
    assert listed[1]["strategy"]
    table = CliRunner().invoke(app, ["queue", "list"])
    assert table.exit_code == 0 and "support" in table.output
    assert "repair it with `dialer queue edit sales --set KEY=VALUE`" in table.output


def test_a_queue_stored_before_a_check_does_not_stop_the_queue_report(env) -> None:
    """`report --queues` read every queue's settings: one stored before a check refused
    the whole report. Its records are reported against its own service level."""
    import sqlite3

    run("queue", "create", "sales", "--set", "max_wait=60", "--set", "overflow=voicemail",
        "--set", "service_level.within=30")
    run("queue", "create", "support")
    database = next((env / "home").rglob("*.db"))
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE inbound_queue SET config = json_remove(config, "
                           "'$.max_wait') WHERE name = 'sales'")
    span = ["--from", "2026-11-23", "--to", "2026-11-24"]
    assert run("report", "--queues", *span)["queues"] == []
    assert run("report", "--queue", "sales", *span)["queues"] == []
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE inbound_queue SET config = json_set(config, "
                           "'$.service_level.within', -1) WHERE name = 'sales'")
    assert "repair it with `dialer queue edit sales" in fails(
        "report", "--queue", "sales", *span)
    result = CliRunner().invoke(app, ["report", "--queues", *span])
    assert result.exit_code == 0 and "note: queue sales's service level" in result.stderr


def test_filters_that_name_nothing_are_refused_not_shown_empty(env) -> None:
    """`queue callbacks --status pendng`, `--queue slaes` and `voicemail list --status nwe`
    printed an empty table with exit 0: "nobody is waiting"."""
    run("queue", "create", "sales")
    assert "--status 'pendng': choose pending, completed" in fails(
        "queue", "callbacks", "--status", "pendng")
    assert "--queue 'slaes': no queue of that name" in fails(
        "queue", "callbacks", "--queue", "slaes")
    assert "--status 'nwe': choose new, callback, done" in fails(
        "voicemail", "list", "--status", "nwe")
    assert "--queue 'slaes'" in fails("voicemail", "export", "-o", str(env / "v.csv"),
                                      "--queue", "slaes")
    assert run("queue", "callbacks", "--queue", "sales", "--status", "pending") == []
    run("queue", "delete", "sales")
    assert run("voicemail", "list", "--queue", "sales") == []  # retired: its records stay


def test_voicemail_export_into_a_missing_directory_is_one_line(env) -> None:
    """pandas ended it in a traceback (`Cannot save file into a non-existent directory`)."""
    assert f"--output {env}/nope/v.csv: no directory {env}/nope (create it first)" in fails(
        "voicemail", "export", "-o", str(env / "nope" / "v.csv"))
    (env / "afile").write_text("x")
    assert "--audio" in fails("voicemail", "export", "-o", str(env / "v.csv"), "--audio",
                              str(env / "afile"))


def test_callbacks_of_a_queue_nobody_serves_are_named_and_settled(env) -> None:
    from campaigns.cli_common import open_store
    from campaigns.queue_callbacks import QueueCallbacks

    run("queue", "create", "sales")
    run("queue", "create", "support")
    t = datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    QueueCallbacks(open_store(None)).add_callback("cb1", "sales", "+12025550101", t, at=t)
    listed = {q["name"]: q for q in run("queue", "list")}
    assert listed["sales"]["callbacks_unserved"]["oldest_due"].startswith("2026-11-23T10:05")
    assert listed["support"]["callbacks_unserved"] is None
    table = CliRunner().invoke(app, ["queue", "list"])
    assert "queue sales (served by no running or paused campaign): 1 pending callback(s), " \
           "the oldest due 2026-11-23 10:05 UTC" in table.output
    assert "pending callback(s)" in fails("queue", "delete", "sales")
    assert run("queue", "delete", "sales", "--callbacks-to", "support")["callbacks"] == 1
    assert run("queue", "callbacks", "--queue", "support", "--cancel")["callbacks"] == 1
    assert "only one of them" in fails("queue", "callbacks", "--move-to", "support")
    result = CliRunner().invoke(app, ["report", "--queues", "--from", "2026-11-23"])
    assert result.exit_code == 0 and "nobody will call back" not in result.stderr


def test_queue_edit_unset_removes_a_menu_and_notes_slow_menus(env) -> None:
    menus = ('ivr={"menus": {"main": {"prompt": "main_menu", "options": {"1": "menu:b"}}, '
             '"b": {"prompt": "main_menu", "options": {"0": "back"}}}}')
    result = CliRunner().invoke(app, ["queue", "create", "sales", "--set", menus, "--json"])
    assert result.exit_code == 0 and "note: queue sales: ivr.menus.b: no key leads out" in \
        result.stderr
    assert "ivr.menus.b: menu 'b' is reached by no key" in fails(
        "queue", "edit", "sales", "--set", "ivr.menus.main.options.1=queue")
    edited = run("queue", "edit", "sales", "--set", "ivr.menus.main.options.1=queue",
                 "--unset", "ivr.menus.b")
    assert list(edited["ivr"]["menus"]) == ["main"]


def test_a_run_under_another_instance_home_or_host_is_found_or_said_unknowable(
        env, monkeypatch) -> None:
    """The note looked at the default control socket only: a run with --instance, another
    home or another host was not found, and the edit looked applied."""
    import dialer.runner.running as running
    from campaigns.cli_common import open_store
    from campaigns.queue_callbacks import QueueCallbacks

    run("queue", "create", "sales")
    run("queue", "create", "front", "--set", "max_wait=30", "--set", "overflow=queue:sales")
    run("campaign", "create", "spring", "--caller-id", "+12025550100",
        "--set", 'queues=["front"]')  # serves sales through front's overflow
    import sqlalchemy as sa

    from campaigns.models import Campaign

    store = open_store(None)
    with store.session() as session:
        session.execute(sa.update(Campaign).values(state="running"))
        session.commit()

    def note() -> str:
        result = CliRunner().invoke(app, ["queue", "edit", "sales", "--set",
                                          "handle_time=200", "--json"])
        assert result.exit_code == 0, result.output
        return result.stderr

    assert "whether one runs elsewhere (another home or host) cannot be known from here" \
        in note()
    run_dir = env / "home" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "spring@b.sock").touch()
    monkeypatch.setattr(running, "running_snapshot", lambda data, campaign, instance=None:
                        {"status": {}} if instance == "b" else None)
    assert "note: campaign spring's running process (--instance b) keeps queue sales's " \
        "settings" in note()
    (run_dir / "spring@b.sock").unlink()
    QueueCallbacks(store).add_callback("cb1", "sales", "+12025550101", datetime.now(UTC),
                                       at=datetime.now(UTC), owner="otherhost/spring",
                                       claim_ttl=timedelta(minutes=2))
    assert "note: dialer process otherhost/spring holds claims of campaign spring" in note()


def _voicemails(store, count: int) -> None:
    from campaigns.voicemail_store import VoicemailStore

    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    for n in range(count):
        VoicemailStore(store).add_voicemail(f"call-{n}", "sales", f"+1202555010{n}",
                                            f"/vm/call-{n}.wav", start,
                                            start + timedelta(seconds=9))


def test_voicemail_done_leaves_what_is_still_to_do(env) -> None:
    """``--status done`` was a filter nothing could set: a message dealt with stayed
    ``new`` for ever, so ``voicemail list --status new`` never shrank."""
    from campaigns.cli_common import open_store

    run("queue", "create", "sales")
    _voicemails(open_store(None), 3)
    first, second, third = (m["id"] for m in run("voicemail", "list"))
    assert run("voicemail", "done", str(first), str(second)) == {"done": [first, second]}
    assert [m["id"] for m in run("voicemail", "list", "--status", "new")] == [third]
    assert {m["id"] for m in run("voicemail", "list", "--status", "done")} == {first, second}
    assert f"voicemail {first} is done already (nothing marked)" in fails(
        "voicemail", "done", str(third), str(first))
    assert "no voicemail with id 99 (nothing marked)" in fails("voicemail", "done", "99")
    assert [m["id"] for m in run("voicemail", "list", "--status", "new")] == [third]


def test_voicemail_of_a_retired_queue_is_called_back_from_another(env) -> None:
    """A message left in a queue retired since could not be called back at all (`no
    queue named 'sales'`): the refusal names ``--queue``, which puts the callback there."""
    from campaigns.cli_common import open_store

    run("queue", "create", "sales")
    run("queue", "create", "support")
    _voicemails(open_store(None), 1)
    run("queue", "delete", "sales")
    (message,) = run("voicemail", "list")
    refusal = fails("voicemail", "callback", str(message["id"]))
    assert "its queue 'sales' is retired" in refusal and "--queue OTHER_QUEUE" in refusal
    assert "no queue named 'nope'" in fails("voicemail", "callback", str(message["id"]),
                                            "--queue", "nope")
    callback = run("voicemail", "callback", str(message["id"]), "--queue", "support")
    assert callback["queue"] == "support"
    (pending,) = run("queue", "callbacks", "--status", "pending")
    assert (pending["queue"], pending["source"]) == ("support", "voicemail")


def test_queue_list_and_show_name_a_queue_a_run_refuses(env) -> None:
    """A queue stored before the IVR checks (an opt-out on silence) was listed and shown
    like any other, though ``dialer run`` now refuses to serve it: both name it with the
    run's line and repair (show on stderr, its JSON unchanged)."""
    import sqlalchemy as sa

    from campaigns.cli_common import open_store
    from campaigns.models import InboundQueue

    run("queue", "create", "sales")
    run("queue", "create", "support")
    store = open_store(None)
    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == "sales").values(
            config={"name": "sales", "ivr": {"menus": {"main": {
                "prompt": "main_menu", "options": {"1": "queue"}, "on_timeout": "opt_out"}}}}))
        session.commit()
    rows = {row["name"]: row for row in run("queue", "list")}
    assert rows["support"]["run_refuses"] is None
    refused = rows["sales"]["run_refuses"]
    assert refused.startswith("queue sales: ivr.menus.main.on_timeout: opt_out")
    assert "`dialer queue edit sales --set ivr.menus.main.on_timeout=queue`" in refused
    table = CliRunner().invoke(app, ["queue", "list"])
    assert table.exit_code == 0 and "`dialer run` refuses to serve it" in table.output
    shown = CliRunner().invoke(app, ["queue", "show", "sales", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == "sales"
    assert shown.stderr.startswith("note: queue sales: ivr.menus.main.on_timeout: ")
    assert "`dialer run` refuses to serve it" in shown.stderr
    run("queue", "edit", "sales", "--set", "ivr.menus.main.on_timeout=queue")
    assert {row["name"]: row for row in run("queue", "list")}["sales"]["run_refuses"] is None
    assert CliRunner().invoke(app, ["queue", "show", "sales", "--json"]).stderr == ""


def test_one_queue_callback_is_cancelled_by_its_id(env) -> None:
    """A caller who phoned in again, or asked not to be called: only a whole queue's
    callbacks could be cancelled. ``--cancel-id`` takes the id or the start the table
    shows; all or none; one a running process holds is refused (it would call anyway)."""
    from campaigns.cli_common import open_store
    from campaigns.queue_callbacks import QueueCallbacks

    run("queue", "create", "sales")
    callbacks, t = QueueCallbacks(open_store(None)), datetime.now(UTC)
    callbacks.add_callback("11111111-aaaa", "sales", "+12025550101", t, at=t)
    callbacks.add_callback("11111111-bbbb", "sales", "+12025550102", t, at=t)
    callbacks.add_callback("22222222-cccc", "sales", "+12025550103", t, at=t,
                           owner="otherhost/spring", claim_ttl=timedelta(minutes=2))

    def statuses() -> dict[str, str]:
        return {c["id"]: c["status"] for c in run("queue", "callbacks")}

    assert "starts the ids of several" in fails("queue", "callbacks", "--cancel-id", "11111111")
    assert "no queue callback with id 'nope'" in fails(
        "queue", "callbacks", "--cancel-id", "11111111-a", "--cancel-id", "nope")
    assert "held by a running dialer process (otherhost/spring)" in fails(
        "queue", "callbacks", "--cancel-id", "22222222")
    assert "give it alone" in fails("queue", "callbacks", "--cancel-id", "11111111-a",
                                    "--queue", "sales")
    assert set(statuses().values()) == {"pending"}  # nothing cancelled by a refusal
    assert run("queue", "callbacks", "--cancel-id", "11111111-a") == {
        "cancelled": ["11111111-aaaa"]}
    assert statuses() == {"11111111-aaaa": "cancelled", "11111111-bbbb": "pending",
                          "22222222-cccc": "pending"}
    assert "is cancelled, not pending" in fails("queue", "callbacks", "--cancel-id",
                                                "11111111-aaaa")


def test_a_pending_callback_says_what_the_gate_last_said(env) -> None:
    """`dialer queue callbacks` answered "why has this caller not been called back?" only
    for finished callbacks (their reason); a pending one held by the gate showed nothing,
    though the runner keeps the gate's last verdict with it (migration 0014)."""
    from campaigns.cli_common import open_store
    from campaigns.queue_callbacks import QueueCallbacks
    from campaigns.voicemail_store import VoicemailStore

    run("queue", "create", "sales")
    store = open_store(None)
    start = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    VoicemailStore(store).add_voicemail("call-1", "sales", "+12025550101",
                                        str(env / "m.wav"), start, start + timedelta(seconds=9))
    (message,) = run("voicemail", "list", "--queue", "sales")
    callback_id = run("voicemail", "callback", str(message["id"]))["callback"]
    QueueCallbacks(store).record_verdicts({callback_id: {
        "kind": "wait", "reasons": ["state.DC.hours: 21:30 is outside 08:00-21:00"],
        "decided_at": "2026-11-23T02:30:00+00:00", "decision_id": "gate:r1:7",
        "earliest_allowed": "2026-11-23T13:00:00+00:00", "asked_again_at": None,
        "not_placed": None}})
    (pending,) = run("queue", "callbacks", "--status", "pending")
    assert pending["last_verdict"]["decision_id"] == "gate:r1:7"
    table = CliRunner().invoke(app, ["queue", "callbacks", "--status", "pending"],
                               env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    assert ("gate: wait (state.DC.hours: 21:30 is outside 08:00-21:00), allowed from "
            "2026-11-23 13:00 UTC, audit gate:r1:7") in table.output
