"""``dialer gateway``: add, edit, list, show, health; cost tables refused whole with
file/line/field; nothing stored from bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DIALER_DB", raising=False)
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def dialer(*args: str, ok: bool = True):
    result = CliRunner().invoke(app, [*args, "--json"])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["error"]


def test_add_list_show_edit(home) -> None:
    rates = home / "rates.csv"
    rates.write_text("Prefix,Cost per minute,Increments\n# US\n1,0.0100,6/6\n+1201,0.02,60\n\n")
    doc = dialer("gateway", "add", "carrier1", "--switch", "10.0.0.5", "--channels", "30",
                 "--cps", "5", "--rates", str(rates), "--var",
                 "sip_h_X-Attest={attestation}")
    assert doc["switch"] == "10.0.0.5:8021" and doc["rates"] == 2
    dialer("gateway", "add", "carrier1", "--switch", "10.0.0.6:8021", "--channels", "10",
           "--cps", "1")
    assert [(g["switch"], g["name"]) for g in dialer("gateway", "list")] == [
        ("10.0.0.5:8021", "carrier1"), ("10.0.0.6:8021", "carrier1")]
    # The same name on two switches: which one must be said.
    assert "several switches" in dialer("gateway", "show", "carrier1", ok=False)
    shown = dialer("gateway", "show", "carrier1", "--switch", "10.0.0.5:8021")
    assert shown["rate_table"] == [
        {"prefix": "1", "cost_per_minute": 0.01, "increments": "6/6"},
        {"prefix": "1201", "cost_per_minute": 0.02, "increments": "60/60"}]
    edited = dialer("gateway", "edit", "carrier1", "--switch", "10.0.0.5", "--cps", "8",
                    "--disable", "--var", "sip_h_X-Attest=", "--health", "min_asr=0.1")
    assert edited["cps"] == 8 and not edited["enabled"] and edited["variables"] == {}
    assert edited["health"] == {"min_asr": "0.1"} and edited["rates"] == 2
    assert "already exists" in dialer("gateway", "add", "carrier1", "--switch",
                                      "10.0.0.5", "--channels", "1", "--cps", "1", ok=False)


def test_bad_cost_table_is_refused_whole_naming_each_row(home) -> None:
    rates = home / "rates.csv"
    rates.write_text("prefix,cost_per_minute,increments\n1,0.01,6/6\nabc,0.01,6/6\n"
                     "44,-1,6/6\n33,0.1,6/0\n1,0.2,6/6\n")
    error = dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "2",
                   "--cps", "1", "--rates", str(rates), ok=False)
    assert "4 bad rows, nothing imported" in error
    for part in (f"{rates}:3: prefix: 'abc'", f"{rates}:4: cost_per_minute: '-1'",
                 f"{rates}:5: increments:", f"{rates}:6: prefix: 1 already on line 2"):
        assert part in error, part
    assert dialer("gateway", "list") == []
    header = home / "header.csv"
    header.write_text("prefix,price\n1,0.1\n")
    error = dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "2",
                   "--cps", "1", "--rates", str(header), ok=False)
    assert f"{header}:1: header: unknown column 'price'" in error


def test_edit_with_a_bad_table_keeps_the_old_one(home) -> None:
    good, bad = home / "good.csv", home / "bad.csv"
    good.write_text("prefix,cost_per_minute\n1,0.01\n")
    bad.write_text("prefix,cost_per_minute\n1,zero\n")
    dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "2", "--cps", "1",
           "--rates", str(good))
    assert "cost_per_minute" in dialer("gateway", "edit", "g", "--rates", str(bad), ok=False)
    assert dialer("gateway", "show", "g")["rate_table"][0]["cost_per_minute"] == 0.01


@pytest.mark.parametrize("args, message", [
    (["--channels", "0", "--cps", "1"], "--channels N"),
    (["--channels", "2"], "--cps N"),
    (["--channels", "2", "--cps", "1", "--var", "h={who}"], "unknown placeholder {who}"),
    (["--channels", "2", "--cps", "1", "--health", "min_asr=2"], "min_asr"),
    (["--channels", "2", "--cps", "1", "--health", "nope=1"], "unknown setting nope"),
    (["--channels", "2", "--cps", "1", "--dial-string", "sofia/x"], "{number} or {digits}"),
])
def test_bad_settings_are_refused(home, args, message) -> None:
    assert message in dialer("gateway", "add", "g", "--switch", "fs:8021", *args, ok=False)
    assert dialer("gateway", "list") == []


def test_gateway_needs_a_switch(home) -> None:
    assert "--switch" in dialer("gateway", "add", "g", "--channels", "1", "--cps", "1",
                                ok=False)
    assert "not a switch address" in dialer("gateway", "add", "g", "--switch", "nowhere",
                                            "--channels", "1", "--cps", "1", ok=False)


def test_health_from_the_journal(home) -> None:
    dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "2", "--cps", "1")
    [doc] = dialer("gateway", "health")
    assert doc["gateway"] == "g" and doc["attempts"] == 0 and doc["asr"] is None
    assert "not running" in dialer("gateway", "health", "--campaign", "nope", ok=False)


@pytest.mark.parametrize("args, message", [
    (["--channels", "1000000000", "--cps", "1"], "--channels 1000000000 is outside 1-10,000"),
    (["--channels", "10", "--cps", "100000"], "--cps 100000 is outside 1-1,000"),
    (["--channels", "10", "--cps", "1", "--priority", "-1"], "--priority -1 is outside 0-1,000"),
    (["--channels", str(10**20), "--cps", "1"], "outside 1-10,000"),
])
def test_limits_beyond_a_real_trunk_and_a_negative_priority_are_refused(home, args,
                                                                       message) -> None:
    """A trunk's channels and calls per second have an upper end (an extra zero was stored
    and routed as the carrier's limit), and priority starts at 0."""
    error = dialer("gateway", "add", "g", "--switch", "fs:8021", *args, ok=False)
    assert message in error and error.startswith("gateway g: ")
    assert dialer("gateway", "list") == []


def test_edit_beyond_the_limits_keeps_the_stored_gateway(home) -> None:
    dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "10000", "--cps",
           "1000", "--priority", "1000")
    for option, value in (("--channels", "10001"), ("--cps", "1001"), ("--priority", "-1")):
        assert f"{option} {value} is outside" in dialer("gateway", "edit", "g", option, value,
                                                        ok=False)
    shown = dialer("gateway", "show", "g")
    assert (shown["channels"], shown["cps"], shown["priority"]) == (10000, 1000, 1000)


def test_a_plain_error_line_names_the_option() -> None:
    result = CliRunner().invoke(app, ["gateway", "add", "g", "--switch", "fs:8021",
                                      "--channels", "10", "--cps", "5000"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: gateway g: --cps 5000 is outside 1-1,000")


@pytest.mark.parametrize("minutes", ["-5", "0", "nan", "1e300"])
def test_health_over_a_span_that_is_no_span_is_refused(home, minutes) -> None:
    """``--minutes nan`` and ``1e300`` were tracebacks, ``-5`` an empty window."""
    dialer("gateway", "add", "g", "--switch", "fs:8021", "--channels", "2", "--cps", "1")
    assert "the journal's last N minutes" in dialer("gateway", "health", "--minutes", minutes,
                                                    ok=False)
