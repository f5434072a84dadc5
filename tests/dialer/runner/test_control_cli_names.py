"""``agent ...`` and ``monitor`` name an unknown campaign or agent, not the control socket.

With no run answering, a typo ("nosuch") used to get "no running campaign answers on
.../run/nosuch.sock: start it with `dialer run CAMPAIGN`", which sent a user to start a run
of a campaign that does not exist.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_DB", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["campaign", "create", "spring", "--caller-id",
                                  "+12015550100", "--agent", "ann=user/1001", "--json"])
    assert created.exit_code == 0, created.output
    return tmp_path


def said(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize("command", [
    ("agent", "pause", "nosuch", "ann", "lunch"),
    ("agent", "ready", "nosuch", "ann"),
    ("agent", "record", "nosuch", "ann", "start"),
    ("monitor", "nosuch", "--once"),
    ("monitor", "nosuch"),  # the live dashboard too: it used to wait for a run forever
])
def test_an_unknown_campaign_is_named(home, command):
    line = said(*command)
    assert "no campaign named 'nosuch'" in line and ".sock" not in line, line


@pytest.mark.parametrize("command", [
    ("agent", "pause", "spring", "nosuch", "lunch"),
    ("agent", "dispose", "spring", "nosuch", "last", "SALE"),
    ("agent", "login", "spring", "nosuch"),
])
def test_an_unknown_agent_is_named(home, command):
    line = said(*command)
    assert "campaign 'spring' has no agent 'nosuch'" in line and ".sock" not in line, line


def test_a_known_campaign_and_agent_without_a_run_get_the_socket_refusal(home):
    line = said("agent", "pause", "spring", "ann", "lunch")
    assert "no running campaign answers on" in line and "dialer run" in line
    # a login naming its endpoint may bring a new agent: it is not refused for the name
    assert "no running campaign answers" in said("agent", "login", "spring", "zed",
                                                 "--endpoint", "user/1009")
    document = json.loads(CliRunner().invoke(app, ["agent", "pause", "nosuch", "ann", "x",
                                                   "--json"]).stdout)
    assert document["error"] == "no campaign named 'nosuch' (see `dialer campaign list`)"


@pytest.mark.parametrize(("typed", "meant"), [("Ann", "ann"), ("bbo", "bob"),
                                              ("zed", None)])
def test_a_running_campaign_names_the_agent_meant(typed, meant):
    """With the run answering, ``dialer agent ready spring Ann`` got "campaign 'spring' has
    no agent 'Ann'" and nothing more, where the CLI's own check (no run) names 'ann'."""
    import asyncio
    from types import SimpleNamespace

    from dialer.runner.control import dispatch

    runner = SimpleNamespace(
        campaign="spring", clock=lambda: 0.0, agent_spec=lambda name: None,
        link=SimpleNamespace(agents={"ann": object(), "bob": object()}),
        engine=SimpleNamespace(pool=SimpleNamespace(agents={"ann": object()})))
    answer = asyncio.run(dispatch(runner, {"op": "agent", "action": "ready",
                                           "agent": typed}))
    hint = f"; did you mean {meant!r}?" if meant else ""
    assert answer == {"ok": False, "error": f"campaign 'spring' has no agent {typed!r}"
                      f"{hint} (see `dialer campaign show spring`)"}
    login = asyncio.run(dispatch(runner, {"op": "agent", "action": "login",
                                          "agent": typed}))
    assert login["error"] == (f"agent {typed!r} is not on campaign 'spring' and no "
                              f"--endpoint was given{hint}")
