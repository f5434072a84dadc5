"""The README's tour, run as written, top to bottom, in a fresh data directory.

The tour's bash block is parsed (continuation lines joined, comments dropped) and each
command runs in order in a temporary directory holding the tour's sample files: ``dialer``
commands in-process through typer's runner, the ones ending in ``&`` as background
processes (``wait %N``, ``kill %N`` and ``kill $!`` act on them, numbered as bash numbers
jobs), ``cat`` reads a file. Only what makes
it fast changes, each substitution in ``speed_up``: a free port instead of 8021
(the machine is shared), faster simulated callees, a shorter run, one replication. Every
command must succeed, and its output says what the tour promises. It works at any hour:
when no sample lead is inside calling hours, ``dialer doctor`` and ``dialer run`` must say
so and why (the run then exits 3).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[1]


def tour_commands() -> list[list[str]]:
    """The tour's commands as words (a trailing ``&`` and a ``>`` redirection are words)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A short tour of the CLI"):]
    block = section[section.index("```bash\n") + 8:]
    block = block[:block.index("```")]
    joined = re.sub(r"\\\n\s*", " ", block)
    return [words for line in joined.splitlines()
            if (words := shlex.split(line, comments=True))]


def speed_up(words: list[str], port: int) -> list[str]:
    """What changes so the tour runs in seconds on a shared machine (nothing else does)."""
    words = [w.replace("127.0.0.1:8021", f"127.0.0.1:{port}") for w in words]
    if words[:2] == ["dialer", "switch-sim"]:
        words = [*words[:-1], "--speed", "20", words[-1]]  # callees 20 times faster
    replace = {"--duration": "4", "--replications": "1"}
    return [replace[words[i - 1]] if i and words[i - 1] in replace else w
            for i, w in enumerate(words)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_tour_uses_only_what_this_test_can_run():
    for words in tour_commands():
        assert words[0] in ("dialer", "wait", "kill", "cat"), words
        assert not {"|", ";", "&&", "||"} & set(words), words
        assert "&" not in words[:-1] and ">" not in words[:-3], words


def test_the_readme_tour_works_as_written(tmp_path, monkeypatch):
    port = _free_port()
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    shutil.copytree(ROOT / "simulations" / "scenarios", work / "simulations" / "scenarios")
    home = tmp_path / "home"
    monkeypatch.chdir(work)
    monkeypatch.setenv("DIALER_HOME", str(home))
    monkeypatch.delenv("DIALER_DB", raising=False)
    env = {**os.environ, "DIALER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    jobs: list[tuple[subprocess.Popen, object]] = []
    # bash's job table: a new job's number is one more than the highest still in the table
    # (so numbers are reused once earlier jobs are waited for or killed); ``$!`` is the last
    # job started. A tour naming a job bash no longer has would leave a process running.
    table: dict[int, tuple[subprocess.Popen, object]] = {}
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    try:
        for written in tour_commands():
            words = speed_up(written, port)
            background = words[-1] == "&"
            words = words[:-1] if background else words
            command = " ".join(words)
            key = " ".join(words[:3])
            if background:
                target = None
                if ">" in words:
                    at = words.index(">")
                    target = open(work / words[at + 1], "w")  # noqa: SIM115
                    words = words[:at]
                process = subprocess.Popen(
                    [sys.executable, "-m", "cli", *words[1:]], cwd=work, env=env,
                    stdout=target or subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                jobs.append((process, target))
                table[max(table, default=0) + 1] = (process, target)
                if words[1] == "switch-sim":
                    _wait_port(port)
                continue
            if words[0] == "wait":
                number = int(words[1].lstrip("%"))
                assert number in table, (command, "no such job in bash's table", sorted(table))
                process, target = table.pop(number)
                _, err = process.communicate(timeout=120)
                if target is not None:
                    target.close()  # type: ignore[attr-defined]
                codes[command] = process.returncode
                outputs[command] = err
                continue
            if words[0] == "kill":
                if words[1] == "$!":
                    process = jobs[-1][0]
                    number = next(n for n, job in table.items() if job[0] is process)
                else:
                    number = int(words[1].lstrip("%"))
                    assert number in table, (command, "no such job in bash's table",
                                             sorted(table))
                table.pop(number)[0].terminate()
                continue
            if words[0] == "cat":
                outputs[command] = (work / words[1]).read_text()
                continue
            result = CliRunner().invoke(cli.app, words[1:])
            outputs[key] = outputs.get(key, "") + result.output
            assert result.exit_code in ((0, 3) if words[1] == "doctor" else (0,)), (
                command, result.output, result.exception)
        assert not table, ("the tour leaves background jobs running", sorted(table))
    finally:
        for process, target in jobs:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            if target is not None:
                target.close()  # type: ignore[attr-defined]

    def said(prefix: str) -> str:
        return "\n".join(text for key, text in outputs.items() if key.startswith(prefix))

    assert "P(wait)" in said("dialer erlang c") or "within" in said("dialer erlang c")
    assert "abandon" in said("dialer erlang a").lower()
    assert "agents" in said("dialer staff")
    assert "schema empty →" in said("dialer db upgrade")
    assert "spring" in said("dialer campaign create") and "ann" in said("dialer campaign create")
    imported = said("dialer leads import")
    assert "imported 30 of 31 rows" in imported and "first_name" in imported
    assert (work / "rejected-leads.csv").exists()
    assert "national@" in said("dialer dnc import")
    assert "deletions applied 1" in said("dialer dnc import")
    assert "listed 2" in said("dialer dnc scrub") and (work / "callable.csv").exists()
    assert "campaign spring: running" in said("dialer campaign start")
    assert "us.calling_hours" in said("dialer compliance explain")
    assert said("dialer compliance audit").startswith("ok:")
    doctor = said("dialer doctor spring")
    assert f"switch 127.0.0.1:{port}" in doctor and "connected and authenticated" in doctor
    assert "campaign spring" in said("dialer monitor spring")
    assert "ann: paused (lunch)" in said("dialer agent pause")
    (run_code,) = [code for command, code in codes.items() if command.startswith("wait")]
    summary = said("cat run-summary.txt")
    assert "this run" in summary and "totals" in summary
    callable_now = "callable now of" in doctor
    minute = datetime.now(UTC).minute
    if run_code == 3:
        assert "stopped while unable to dial" in summary
        assert not callable_now or minute in (59, 0, 1)
    else:
        assert run_code == 0
        if callable_now and minute not in (59, 0, 1):
            assert re.search(r"attempts [1-9]", summary), summary
    if not callable_now:
        # Outside calling hours, or in them but refused by the compliance check the dialer
        # selects with (e.g. a state's Sunday or holiday ban).
        assert "outside calling hours until" in doctor or "passes the compliance" in doctor
    assert "HEARTBEAT" in said("dialer esl events") or "Event-Name" in said("dialer esl events")
    assert said("dialer esl api").startswith("UP ")
    assert "summary" in said("dialer report spring") and (work / "spring.png").exists()
    assert "predictive" in said("dialer simulate") and (work / "run.png").exists()
    assert "as campaign sim-outbound-predictive" in said("dialer simulate")
    assert "wrote sim-day.xlsx" in said("dialer report sim-outbound-predictive")
    assert "sam: supervisor" in said("dialer user add") and "password:" in said("dialer user add")
    assert "ann" in said("dialer user list")


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"switch simulator did not listen on {port}")
