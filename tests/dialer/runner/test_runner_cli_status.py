"""``dialer run``, ``dialer monitor`` and ``dialer doctor`` as a campaign manager uses them:
a run that cannot dial says why and exits non-zero; the end summary keeps this run apart
from the campaign's totals; monitor's JSON has one shape; doctor diagnoses without running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

import cli
from dialer.runner.demo import demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import READY_US_CAMPAIGN, make_store, settings_for
from tests.dialer.runner.test_runner_crash_restart import ROOT, _free_port, _wait_port


def dialer(*args: str):
    return CliRunner().invoke(cli.app, list(args))


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_DB", raising=False)
    return tmp_path


def _closed_today_schedule() -> str:
    """A schedule whose only day is three days from today in New York: closed now."""
    day = (datetime.now(ZoneInfo("America/New_York")).weekday() + 3) % 7
    return json.dumps({"start": "09:00", "end": "20:00", "days": [day]})


def _campaign(home, *, agents: bool, schedule: str | None = None, leads: int = 5) -> None:
    from dialer.runner.demo import choose_zones, demo_numbers, is_uk_demo, number_zone

    zones, _ = choose_zones(time.time())
    uk = is_uk_demo(zones) and not schedule
    args = ["campaign", "create", "spring", "--caller-id", "+12015550100", "--pacing",
            "progressive", *READY_US_CAMPAIGN]
    if uk:
        # Ofcom's abandoned-call message also declares no marketing content.
        args += ["--jurisdiction", "uk", "--abandon-target", "0.02",
                 "--set", "compliance.safe_harbor.no_marketing_content=true"]
    if agents:
        args += ["--agent", "ann=user/1001", "--agent", "bob=user/1002"]
    args += ["--set", f"schedule={schedule or json.dumps({'start': '00:00', 'end': '23:59', 'days': list(range(7))})}"]  # noqa: E501
    assert dialer(*args).exit_code == 0
    # An opt-in list (a consent date per row, given to the campaign's seller), numbers in area
    # codes open now (or, with a schedule closed today, New York numbers).
    numbers = demo_numbers(leads, seed=5, zones=["America/New_York"] if schedule else zones)
    path = home / "leads.csv"
    path.write_text("phone,timezone,consent\n" + "".join(
        f"{n},{number_zone(n)},2026-01-05\n" for n in numbers))
    assert dialer("leads", "import", "spring", str(path), "--yes",
                  "--consent-seller", "Spring Solar").exit_code == 0
    assert dialer("campaign", "start", "spring").exit_code == 0


def test_a_switch_that_does_not_parse_is_an_error(home):
    result = dialer("run", "spring", "--switch", "not-a-url")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --switch 'not-a-url' is not a switch address: write esl://[:PASSWORD@]HOST"
        "[:PORT] or HOST:PORT (e.g. esl://:ClueCon@127.0.0.1:8021)"]
    as_json = dialer("run", "spring", "--switch", "not-a-url", "--json")
    assert as_json.exit_code == 1 and "not a switch address" in json.loads(
        as_json.stdout)["error"]


def test_a_run_that_cannot_dial_says_why_and_exits_non_zero(home, monkeypatch):
    _campaign(home, agents=False, schedule=_closed_today_schedule())
    # No --switch: the documented default, said at start (here a closed port).
    monkeypatch.setattr("dialer.runner.settings.DEFAULT_SWITCH", "esl://:ClueCon@127.0.0.1:1")
    result = CliRunner().invoke(cli.app, ["run", "spring", "--duration", "1",
                                          "--status-every", "1"])
    assert result.exit_code == 3, result.output
    out = result.output
    assert "no --switch given: dialing through esl://127.0.0.1:1" in out
    assert "switch 127.0.0.1:1: connection refused, retrying" in out
    assert "0 agents logged in" in out
    assert "all 5 leads are outside calling hours until" in out
    assert "(campaign schedule 09:00–20:00" in out
    assert "stopped while unable to dial:" in out
    # The last status line says what held when it stopped (there may be no "blocked" line
    # before it: the run is that short).
    (last,) = [line for line in out.splitlines() if " spring stopped · " in line]
    assert "not dialing: switch 127.0.0.1:1: connection refused" in last
    assert "0 agents logged in" in last


def test_doctor_gives_the_same_diagnosis_without_running(home):
    _campaign(home, agents=False, schedule=_closed_today_schedule())
    result = dialer("doctor", "spring", "--switch", "127.0.0.1:1", "--json")
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    verdicts = {c["check"]: (c["verdict"], c["message"]) for c in doc["checks"]}
    assert doc["ok"] is False
    assert verdicts["state"] == ("ok", "running")
    assert verdicts["pacing"] == ("ok", "progressive (default parameters)")
    assert verdicts["agents"][0] == "fail" and "no agents" in verdicts["agents"][1]
    assert verdicts["switch 127.0.0.1:1"][0] == "fail"
    assert verdicts["switch 127.0.0.1:1"][1].startswith("connection refused")
    assert verdicts["leads"][0] == "fail"
    assert "all 5 leads are outside calling hours until" in verdicts["leads"][1]
    assert verdicts["registry"][0] == "fail" and "no national" in verdicts["registry"][1]
    text = dialer("doctor", "spring", "--switch", "127.0.0.1:1")
    assert text.exit_code == 3 and "would not dial now" in text.output


def test_the_run_summary_keeps_this_run_apart_from_the_campaign_totals(home):
    _campaign(home, agents=True, leads=30)
    from dialer.runner.demo import seed_demo_registry

    seed_demo_registry(home, time.time(), ["+13125550100"])
    port = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "cli", "switch-sim", "--listen", f"127.0.0.1:{port}",
         "--sound-file", "ivr/safe_harbor.wav",
         "--speed", "10", "--playback-seconds", "1", "--seed", "4"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        runs = []
        for _ in range(2):
            result = CliRunner().invoke(cli.app, [
                "run", "spring", "--switch", f"127.0.0.1:{port}", "--login-agents",
                "--simulate-agents", "--duration", "3", "--stop-grace", "10", "--json"])
            assert result.exit_code == 0, result.output
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    finally:
        switch.send_signal(signal.SIGINT)
        switch.wait(10)
    first, second = runs
    assert first["this_run"]["attempts"] > 0 and second["this_run"]["attempts"] > 0
    assert second["campaign_totals"]["attempts"] == (first["this_run"]["attempts"]
                                                     + second["this_run"]["attempts"])
    assert second["stopped"] == {"exit_code": 0, "unable_to_dial": []}
    text = dialer("doctor", "spring", "--switch", f"127.0.0.1:{port}", "--json")
    assert json.loads(text.stdout)["checks"]


def test_monitor_json_has_one_shape_and_says_when_nothing_runs(tmp_path, home):
    store = make_store(tmp_path, agents=2, leads=20, pacing_policy="progressive")
    shapes: list[dict] = []

    def shape(document: dict) -> dict:
        return {key: sorted(value) if key == "pacing" else None
                for key, value in document.items()}

    async def scenario() -> None:
        from dialer.runner.monitor import runner_snapshot

        async with running_switch(settings=SwitchSettings(
                sound_files=demo_switch_files())) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True,
                            control_socket=tmp_path / "run" / "demo.sock")
            shapes.append(shape(runner_snapshot(runner)))  # not started: no engine yet
            # The run lasts until the monitor has answered (then it is stopped), not a fixed
            # second that a loaded machine could use up before the monitor asks.
            task = asyncio.create_task(runner.run(duration=60.0))
            try:
                await runner.ready.wait()
                answer = await asyncio.to_thread(
                    lambda: dialer("monitor", "demo", "--json", "--home", str(tmp_path)))
            finally:
                runner.stop()
                await task
            assert answer.exit_code == 0, answer.output
            shapes.append(shape(json.loads(answer.stdout)))

    asyncio.run(scenario())
    assert shapes[0] == shapes[1]
    gone = dialer("monitor", "demo", "--once", "--home", str(tmp_path))
    assert gone.exit_code == 1 and "no running campaign answers" in gone.output
    gone_json = dialer("monitor", "demo", "--json", "--home", str(tmp_path))
    assert gone_json.exit_code == 1 and json.loads(gone_json.stdout)["error"]
    store.close()


def test_monitor_waits_for_a_restart_when_the_run_stops(home):
    monitor = subprocess.Popen(
        [sys.executable, "-m", "cli", "monitor", "spring", "--interval", "0.2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DIALER_HOME": str(home), "COLUMNS": "80",
             "PYTHONUNBUFFERED": "1", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"})
    # Wait for what it says, not for a fixed time: starting the CLI takes seconds on a busy
    # machine. (As on a terminal, so that rich's live display draws while it runs; the
    # cursor codes are taken out.) Then it must still be waiting a few refreshes later.
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in monitor.stdout],
                              daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while "Waiting for `dialer run spring`" not in _plain(seen):
        assert time.monotonic() < deadline, "monitor never said it waits: " + _plain(seen)
        assert monitor.poll() is None, "monitor exited instead of waiting for the run"
        with contextlib.suppress(queue.Empty):
            seen.append(lines.get(timeout=0.2))
    time.sleep(1.0)  # five refreshes
    assert monitor.poll() is None, "monitor exited instead of waiting for the run"
    monitor.send_signal(signal.SIGINT)
    monitor.wait(timeout=20)
    reader.join(timeout=20)  # it owns stdout until the end of file: no read of a closed pipe
    err = monitor.stderr.read()
    monitor.stdout.close()
    monitor.stderr.close()
    while not lines.empty():
        seen.append(lines.get())
    out = _plain(seen)
    assert "not running" in out and "Waiting for `dialer run spring`" in out, out + err


def _plain(chunks: list[str]) -> str:
    """Terminal output without its escape sequences (cursor moves, styles)."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "".join(chunks))


def test_the_demo_report_shows_occupancy_and_starts_on_its_own_line(monkeypatch):
    report = {
        "campaign": "demo", "time_zones": "leads in America/New_York",
        "this_run": {"attempts": 40, "outcomes": {"answered": 12, "no_answer": 28},
                     "live_answers": 12, "connected": 12, "abandoned": 0, "abandon_rate": 0.0,
                     "agent_occupancy": 0.81, "talk_fraction": 0.574, "mean_talk_s": 20.0,
                     "dispositions": {"SALE": 3, "TIMEOUT": 1}, "opt_outs": 0,
                     "answer_to_bridge": {"median_s": 0.004, "p99_s": 0.03}},
        "campaign_totals": {"attempts": 40, "live_answers": 12, "abandoned": 0,
                            "abandon_rate_30d": 0.0, "abandon_limit": 0.03,
                            "leads": {"new": 10}, "callbacks_pending": 0},
    }

    async def fake_demo(options, on_frame=None, **_):
        return report

    monkeypatch.setattr("dialer.runner.demo.run_demo", fake_demo)
    result = CliRunner().invoke(cli.app, ["demo", "--duration", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if "Campaign report: demo" in line)
    assert lines[title].startswith("Campaign report") and title > 0 and not lines[title - 1]
    text = result.stdout
    assert "agent occupancy (calls + wrap-up)" in text and "81.0%" in text
    assert "talk time, share of logged-in time" in text and "57.4%" in text
    assert "disposition TIMEOUT (wrap-up timed out without one)" in text


def test_doctor_finds_a_named_instance_as_it_finds_the_unnamed_one(tmp_path, home):
    """`dialer run --instance east` listens on its own control socket; `dialer doctor
    --instance east` asks that one (and says so), as it asks the unnamed run without it."""
    store = make_store(tmp_path, agents=2, leads=20, pacing_policy="progressive")
    found: dict[str | None, dict] = {}

    def doctor_checks(url, *extra: str) -> dict:
        result = dialer("doctor", "demo", "--home", str(tmp_path), "--switch",
                        f"{url.host}:{url.port}", "--json", *extra)
        return {c["check"]: c for c in json.loads(result.stdout)["checks"]}

    async def scenario(instance: str | None) -> None:
        async with running_switch(settings=SwitchSettings(
                sound_files=demo_switch_files())) as sim:
            settings = settings_for(tmp_path, sim.url, instance=instance)
            runner = Runner(settings, store, login_agents=True,
                            control_socket=settings.control_socket)
            # Runs until the doctor has asked (stopped below), not for a fixed time: on a
            # loaded machine a doctor run can take longer than a short campaign.
            task = asyncio.create_task(runner.run(duration=120.0))
            await runner.ready.wait()
            extra = ("--instance", instance) if instance else ()
            try:
                found[instance] = await asyncio.to_thread(doctor_checks, sim.url, *extra)
                if instance:  # the unnamed socket is not this process's
                    found["unnamed while east runs"] = await asyncio.to_thread(
                        doctor_checks, sim.url)
                assert not task.done(), "the run ended before the doctor asked it"
            finally:
                runner.stop()
                await task

    asyncio.run(scenario(None))
    asyncio.run(scenario("east"))
    store.close()
    assert "a dialer process is running it" in found[None]["process"]["message"]
    assert "a dialer process (east) is running it" in found["east"]["process"]["message"]
    # The agents check reads that process's agents, not the campaign's list alone.
    assert "log them in" not in found["east"]["agents"]["message"]
    assert "process" not in found["unnamed while east runs"]


def test_the_demo_takes_home_like_every_other_command(tmp_path):
    """`dialer demo --home DIR` keeps its campaign where `dialer report --home DIR` reads it,
    and refuses, in one line, a directory that already holds a demo campaign."""
    home = tmp_path / "demo-home"
    result = dialer("demo", "--home", str(home), "--duration", "2", "--agents", "2",
                    "--leads", "20", "--speed", "20", "--no-web", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["database"] == f"sqlite:///{home / 'dialer.db'}"
    assert report["this_run"]["attempts"] > 0
    after = dialer("report", "demo", "--home", str(home), "--json")
    assert after.exit_code == 0, after.output
    again = dialer("demo", "--home", str(home), "--duration", "1", "--no-web")
    assert again.exit_code == 1
    assert again.output.strip().splitlines()[-1] == (
        f"error: {home} already has a campaign named demo (an earlier `dialer demo "
        "--home`?): give the demo a new directory")
