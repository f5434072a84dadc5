"""A new user's mistakes that passed silently or ended in a traceback, now one `error:` line
and exit status 1 naming the option or field (docs/operations.md, "Mistakes the dialer
refuses", fifth pass)."""

from __future__ import annotations

import socket

import pytest
from cli_kit import dialer, ok, use_home
from cli_kit import refused_cleanly as refused  # the stricter refusal check

CALLER = ["--caller-id", "+12015550100"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    return tmp_path


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [
    ["doctor", "spring"], ["campaign", "create", "spring", *CALLER], ["campaign", "list"],
    ["report", "spring"],
])
def test_a_database_server_that_does_not_answer_is_one_line_with_the_password_hidden(
        tmp_path, monkeypatch, command):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    url = f"postgresql://ann:s3cret@127.0.0.1:{_closed_loopback_port()}/dialer"
    result = dialer(*command, "--db", url)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    said = result.stderr
    assert said.startswith("error: cannot connect to the database at postgresql")
    assert "ann:***@127.0.0.1" in said and "s3cret" not in said
    assert len(said.strip().splitlines()) == 1


def _store_unmeant_queue(name: str) -> None:
    """A queue stored before the IVR checks: an opt-out on silence, which a run refuses."""
    import sqlalchemy as sa

    from campaigns.cli_common import open_store
    from campaigns.models import InboundQueue

    ok("queue", "create", name)
    store = open_store(None)
    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == name).values(
            config={"name": name, "ivr": {"menus": {"main": {
                "prompt": "main_menu", "options": {"1": "queue"}, "on_timeout": "opt_out"}}}}))
        session.commit()
    store.close()


def test_a_campaign_is_not_given_a_queue_a_run_would_refuse(home):
    _store_unmeant_queue("sales")
    ok("queue", "create", "support")
    ok("campaign", "create", "spring", *CALLER, "--set", 'queues=["support"]')
    said = refused("campaign", "edit", "spring", "--set", 'queues=["support", "sales"]')
    assert said.startswith("error: queues: `dialer run` refuses to serve queue sales: "
                           "queue sales: ivr.menus.main.on_timeout: opt_out")
    assert "`dialer queue edit sales --set ivr.menus.main.on_timeout=queue`" in said
    assert ok("campaign", "show", "spring")["settings"]["queues"] == ["support"]
    said = refused("campaign", "create", "autumn", *CALLER, "--set", 'queues=["sales"]')
    assert "refuses to serve queue sales" in said
    assert dialer("campaign", "show", "autumn").exit_code == 1  # nothing stored
    assert "no queue named 'nosuch'" in refused(
        "campaign", "edit", "spring", "--set", 'queues=["nosuch"]')
    ok("queue", "edit", "sales", "--set", "ivr.menus.main.on_timeout=queue")
    edited = ok("campaign", "edit", "spring", "--set", 'queues=["support", "sales"]')
    assert edited["settings"]["queues"] == ["support", "sales"]


@pytest.mark.parametrize(("args", "said"), [
    (["--format", "csv", "-o", "r.xlsx"],
     "--format csv writes CSV, but --output {d}/r.xlsx is named .xlsx: name it {d}/r.csv, "
     "or give --format xlsx"),
    (["--format", "xlsx", "-o", "r.csv"], "--format xlsx writes XLSX, but --output"),
    (["--format", "table", "-o", "r.csv"], "--format table prints to the terminal and writes "
     "no file"),
    (["--json", "-o", "r.csv"], "--json prints to the terminal and writes no file"),
    (["-o", "r.txt"], "a report file is .csv or .xlsx (its suffix says which)"),
    (["--queues", "--format", "csv", "-o", "r.xlsx"], "--format csv writes CSV"),
])
def test_a_report_file_is_written_in_the_format_its_name_says(home, args, said):
    ok("campaign", "create", "spring", *CALLER)
    args = [str(home / a) if a.startswith("r.") else a for a in args]
    result = dialer("report", "spring", *args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert said.format(d=home) in " ".join(result.output.split())
    assert not list(home.glob("r.*"))  # nothing written


def test_a_report_file_without_format_takes_its_suffix(home):
    import pandas as pd

    ok("campaign", "create", "spring", *CALLER)
    assert dialer("report", "spring", "-o", str(home / "r.xlsx")).exit_code == 0
    assert pd.ExcelFile(home / "r.xlsx").sheet_names  # a workbook, not CSV text
    assert dialer("report", "spring", "-o", str(home / "r.csv")).exit_code == 0
    assert (home / "r.csv").read_text().startswith("section")


@pytest.mark.parametrize(("option", "value"), [
    ("--list", ""), ("--consent-seller", ""), ("--consent-seller", "  "),
    ("--contact-by", ""),
])
def test_leads_import_refuses_an_empty_name(home, option, value):
    ok("campaign", "create", "spring", *CALLER)
    leads = home / "leads.csv"
    leads.write_text("phone\n+12015550123\n")
    said = refused("leads", "import", "spring", str(leads), option, value, "--yes")
    assert said.startswith(f"error: {option} is empty: give ")
    assert ok("leads", "list", "spring")["leads"] == []  # nothing imported
