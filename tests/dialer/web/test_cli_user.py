"""``dialer user add|passwd|list|disable`` and ``dialer web --listen`` parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from campaigns.store import CampaignStore
from cli import app


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    monkeypatch.setenv("DIALER_DB", url)
    store = CampaignStore.open(url)
    store.create_campaign("spring", {"caller_ids": ["+12015550100"]},
                          at=datetime.now(UTC), agents=[("ann", "user/1001")])
    store.close()
    return url


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_add_list_passwd_disable(db) -> None:
    added = run("user", "add", "ann", "--role", "agent", "--password-stdin", "--json",
                input="correct horse battery\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["agent"] == "ann"
    generated = run("user", "add", "sam", "--role", "supervisor", "--campaign", "spring",
                    "--generate", "--json")
    doc = json.loads(generated.stdout)
    assert doc["campaigns"] == ["spring"] and len(doc["password"]) >= 12
    store = CampaignStore.open(db)
    try:
        assert store.authenticate("sam", doc["password"], at=datetime.now(UTC))
    finally:
        store.close()
    listed = json.loads(run("user", "list", "--json").stdout)
    assert [u["name"] for u in listed] == ["ann", "sam"]
    assert "password" not in json.dumps(listed)
    changed = run("user", "passwd", "ann", "--generate")
    assert changed.exit_code == 0 and "password:" in changed.stdout
    disabled = json.loads(run("user", "disable", "ann", "--json").stdout)
    assert disabled["active"] is False
    assert json.loads(run("user", "disable", "ann", "--enable", "--json").stdout)["active"]


def test_refusals_are_one_line(db) -> None:
    weak = run("user", "add", "ann", "--password-stdin", input="short\n")
    assert weak.exit_code != 0
    unknown = run("user", "add", "zed", "--password-stdin", input="correct horse battery\n")
    assert unknown.exit_code != 0


@pytest.mark.parametrize(("value", "expected"), [
    ("127.0.0.1:8080", ("127.0.0.1", 8080)), ("[::1]:9000", ("::1", 9000))])
def test_listen(value, expected) -> None:
    from dialer.web.server import parse_listen

    assert parse_listen(value) == expected


def test_listen_refuses_a_bad_value() -> None:
    from dialer.web.server import WebSettingsError, parse_listen

    with pytest.raises(WebSettingsError, match="HOST:PORT"):
        parse_listen("8080")


def test_cookies_are_secure_off_loopback(tmp_path) -> None:
    from dialer.web.server import WebSettings

    assert not WebSettings("", tmp_path, host="127.0.0.1").cookies_secure
    assert WebSettings("", tmp_path, host="0.0.0.0").cookies_secure
