"""``dialer esl api|events`` and ``dialer switch-sim`` end to end (simulator in a subprocess)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, seconds: float) -> None:
    """Until the simulator subprocess accepts connections on ``port`` (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


@pytest.fixture
def switch_sim():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "switch-sim", "--listen",
         f"127.0.0.1:{port}", "--duration", "20", "--speed", "20", "--seed", "1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_port(port, 10)
    yield f"esl://:ClueCon@127.0.0.1:{port}"
    process.terminate()
    process.wait(5)


def test_api_and_events_against_the_simulator(switch_sim: str) -> None:
    runner = CliRunner()
    status = runner.invoke(cli.app, ["esl", "api", switch_sim, "status", "--json"])
    assert status.exit_code == 0, status.output
    document = json.loads(status.stdout)
    assert document["ok"] and document["output"].startswith("UP ")
    originate = runner.invoke(cli.app, ["esl", "api", switch_sim,
                                        "originate {origination_uuid=cli-1}user/1001 &park()"])
    assert originate.stdout == "+OK cli-1\n"
    subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "esl", "api", switch_sim,
                      "uuid_kill", "cli-1"], stdout=subprocess.DEVNULL).wait(10)
    refused = runner.invoke(cli.app, ["esl", "api", switch_sim, "uuid_kill", "no-such-call"])
    assert refused.exit_code == 1 and refused.output.startswith("-ERR")
    refused_json = runner.invoke(cli.app, ["esl", "api", switch_sim, "no_such_command",
                                           "--json"])
    assert refused_json.exit_code == 1 and json.loads(refused_json.stdout)["ok"] is False
    tail = runner.invoke(cli.app, ["esl", "events", switch_sim, "--event", "HEARTBEAT",
                                   "--count", "1", "--duration", "10", "--json"])
    assert tail.exit_code == 0, tail.output
    events = json.loads(tail.stdout)
    assert [event["Event-Name"] for event in events] == ["HEARTBEAT"]


def test_bad_url_is_one_clear_error() -> None:
    result = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "esl", "api",
                             "http://nowhere", "status"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1
    assert "esl://" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_switch_sim_stops_cleanly_on_sigint_and_sigterm_even_with_sigint_inherited_ignored(
        sig: str) -> None:
    """A background job of a script (or nohup) starts with SIGINT ignored, and a service
    manager stops with SIGTERM: both must stop the simulator with its summary."""
    import signal

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "switch-sim", "--listen",
         f"127.0.0.1:{port}", "--speed", "20", "--seed", "1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        _wait_for_port(port, 20)
        process.send_signal(getattr(signal, sig))
        out, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert json.loads(out)["listen"] == f"127.0.0.1:{port}"
