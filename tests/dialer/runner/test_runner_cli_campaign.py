"""A campaign made the way a campaign manager makes one is dialed by ``dialer run``.

``dialer campaign create`` + ``dialer leads import`` + ``dialer dnc import`` + ``dialer
campaign start`` through typer's CliRunner, then ``dialer run`` as a process against the
switch simulator (another process). Checked: the runner dialed that campaign's leads and
journaled them in the same store, a lead on the national registry was suppressed at
selection and never dialed, every attempt is closed, and agents' dispositions landed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

import cli
from campaigns.store import CampaignStore
from dialer.runner.demo import choose_zones, demo_numbers, is_uk_demo, number_zone
from tests.dialer.runner.runner_kit import attempts, check_journal_invariants
from tests.dialer.runner.test_runner_crash_restart import ROOT, _free_port, _wait_port


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _run_or_dump(args: list[str], env: dict[str, str],
                 timeout: float = 90.0) -> subprocess.CompletedProcess[bytes]:
    """Run ``dialer run`` to its end; one that has not ended by ``timeout`` (a 6-s run with
    a 10-s grace) fails the test with every thread's stack (faulthandler on SIGABRT) and its
    log's tail, so an intermittent hang at the run's end can be read from the CI log."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**env, "PYTHONFAULTHANDLER": "1"})
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        try:
            _, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        raise AssertionError(f"dialer run did not end within {timeout:.0f} s; its threads "
                             f"and log:\n{err.decode(errors='replace')[-12000:]}") from None
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_campaign_made_with_the_cli_is_dialed_by_dialer_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    db = f"sqlite:///{tmp_path / 'dialer.db'}"
    zones, _ = choose_zones(time.time())
    uk = is_uk_demo(zones)
    numbers = demo_numbers(40, seed=3, zones=zones)
    leads = tmp_path / "leads.csv"
    # An opt-in list: each row's consent date, given to the seller named in the import; the
    # first lead has none (and is on the national registry: nothing exempts it).
    leads.write_text("phone,first_name,timezone,consent\n" + "".join(
        f"{n},Lead{i},{number_zone(n)},{'2026-01-05' if i else ''}\n"
        for i, n in enumerate(numbers)))
    # The first lead's number is on the registry that applies: the national one, or in the UK
    # profile (the hours no US zone is open) the TPS list.
    registry = "tps" if uk else "national"
    listed = tmp_path / f"{registry}.txt"
    listed.write_text(numbers[0] + "\n")

    _invoke("campaign", "create", "spring", "--caller-id", "+12015550100", "--no-amd",
            "--pacing", "progressive", "--agent", "ann=user/1001", "--agent", "bob=user/1002",
            "--set", 'schedule={"start": "08:00", "end": "21:00", "days": [0,1,2,3,4,5,6]}',
            "--set", "compliance.seller_name=Spring Solar",
            "--set", "compliance.dnc_number=+18005550100",
            "--set", "compliance.safe_harbor.states_telemarketing_purpose=true",
            "--set", "compliance.safe_harbor.names_seller=true",
            "--set", "compliance.safe_harbor.gives_dnc_number=true",
            "--set", "compliance.safe_harbor.no_marketing_content=true",
            *(("--jurisdiction", "uk", "--abandon-target", "0.02") if uk else ()),
            "--db", db)
    _invoke("leads", "import", "spring", str(leads), "--consent-seller", "Spring Solar",
            "--db", db)
    _invoke("dnc", "import", str(listed), "--registry", registry, "--format", "numbers")
    _invoke("campaign", "start", "spring", "--db", db)

    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "cli", "switch-sim", "--listen", f"127.0.0.1:{port}",
         "--sound-file", "ivr/safe_harbor.wav",
         "--speed", "10", "--playback-seconds", "1", "--seed", "4"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        run = _run_or_dump(
            [sys.executable, "-m", "cli", "run", "spring", "--switch",
             f"esl://:ClueCon@127.0.0.1:{port}", "--db", db, "--login-agents",
             # 12 s: an unanswered call rings until the switch's backstop, 68 simulated
             # seconds for the 25 s ring timeout (6.8 s at speed 10; the engine's own end of
             # the ring runs on the runner's clock), so each agent gets a second call.
             "--simulate-agents", "--duration", "12", "--stop-grace", "10", "--json"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "DIALER_HOME": str(tmp_path)})
    finally:
        switch.send_signal(signal.SIGINT)
        switch.wait(10)
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    report = json.loads(run.stdout)
    assert report["campaign"] == "spring" and report["this_run"]["attempts"] > 0

    store = CampaignStore.open(db)
    rows = check_journal_invariants(store, "spring")
    assert rows and all(r["outcome"] is not None for r in rows)
    assert len(rows) == report["this_run"]["attempts"] == report["campaign_totals"]["attempts"]
    dialed = {r["phone"] for r in rows}
    assert numbers[0] not in dialed, f"a number on the {registry} registry was dialed"
    blocked = store.lead_by_phone("spring", numbers[0])
    assert blocked.status == "suppressed" and registry in (blocked.block_reason or "")
    connected = [r for r in rows if r["outcome"] == "answered"]
    assert connected and all(r["disposition"] and r["agent_id"] for r in connected)
    assert store.lead_status_counts("spring").get("in_call", 0) == 0
    assert {r["process_owner"] for r in attempts(store, "spring")} == {
        report["process_owner"]}
    store.close()


def test_dialer_run_refuses_a_campaign_that_is_not_started(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    db = f"sqlite:///{tmp_path / 'dialer.db'}"
    _invoke("campaign", "create", "autumn", "--caller-id", "+12015550100", "--db", db)
    result = CliRunner().invoke(cli.app, ["run", "autumn", "--db", db, "--switch",
                                          "esl://127.0.0.1:1", "--duration", "1"])
    assert result.exit_code == 1 and "dialer campaign start autumn" in result.output
    missing = CliRunner().invoke(cli.app, ["run", "winter", "--db", db, "--switch",
                                           "esl://127.0.0.1:1"])
    assert missing.exit_code == 1 and "winter" in missing.output
