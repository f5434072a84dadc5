"""An agent's endpoint is what FreeSWITCH rings for the agent's nailed-up leg: ``TYPE/DATA``
(``user/1001``). Before, ``--agent ann=1001`` was stored as it was written and the mistake
showed only in a run, as an agent whose leg never opened (the switch answers a bare
extension with ``CHAN_NOT_IMPLEMENTED``: "Could not locate channel type 1001"). Now the
command that stores it refuses it with one line naming the form to write, nothing stored,
and ``dialer doctor`` names an endpoint stored before the check."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cli_kit import READY_SPRING, dialer, ok, refused, use_home
from hypothesis import given
from hypothesis import strategies as st

from dialer.freeswitch.dial_strings import UNSAFE_TOKEN, endpoint_problem

DIALABLE = ["user/1001", "user/ann@example.com", "sofia/internal/1001@10.0.0.5:5060",
            "sofia/gateway/carrier/+12015550100", "loopback/agent-1/agents",
            "verto.rtc/1001@example.com", "sofia/external/sip:1001@10.0.0.5"]
NOT_DIALABLE = ["1001", "ann", "user/", "/1001", "sip:1001@10.0.0.5", "user/10 01",
                "user/1001,user/1002", "{ignore_early_media=true}user/1001", "user\\1001",
                "1user/1001", ""]


@pytest.mark.parametrize("endpoint", DIALABLE)
def test_what_freeswitch_can_ring_is_accepted(endpoint: str) -> None:
    assert endpoint_problem(endpoint) is None


@pytest.mark.parametrize("endpoint", NOT_DIALABLE)
def test_what_it_cannot_is_named(endpoint: str) -> None:
    assert endpoint_problem(endpoint)


def test_a_bare_extension_is_told_the_form_to_write() -> None:
    said = endpoint_problem("1001")
    assert said is not None and "user/1001" in said and "TYPE/DATA" in said


_TYPE = st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,12}", fullmatch=True)
_DATA = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                max_size=20).filter(lambda text: UNSAFE_TOKEN.search(text) is None)


@given(kind=_TYPE, data=_DATA)
def test_any_type_slash_data_without_a_separator_is_accepted(kind: str, data: str) -> None:
    assert endpoint_problem(f"{kind}/{data}") is None


@given(text=st.text(max_size=20).filter(lambda text: "/" not in text))
def test_nothing_without_a_slash_is_accepted(text: str) -> None:
    assert endpoint_problem(text) is not None


def test_create_with_a_bare_extension_is_refused_and_stores_nothing(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    spring = list(READY_SPRING)
    spring[spring.index("ann=user/1001")] = "ann=1001"
    said = refused("campaign", "create", "spring", *spring)
    assert "agent 'ann': endpoint '1001' names no endpoint type" in said
    assert "user/1001" in said
    assert ok("campaign", "list") == []


def test_edit_with_a_bare_extension_keeps_the_stored_endpoint(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    said = refused("campaign", "edit", "spring", "--agent", "ann=1002")
    assert "agent 'ann': endpoint '1002'" in said
    shown = dialer("campaign", "show", "spring")
    assert "ann (user/1001)" in shown.stdout


def test_doctor_names_an_endpoint_stored_before_the_check(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dialer.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE agent SET endpoint = '1001' WHERE name = 'ann'"))
    engine.dispose()
    result = dialer("doctor", "spring", "--switch", "esl://127.0.0.1:1", "--json")
    assert "Traceback" not in result.output
    (agents,) = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "agents"]
    assert agents["verdict"] == "fail"
    assert "endpoint '1001' names no endpoint type" in agents["message"]
    assert "dialer campaign edit spring --agent ann=TYPE/DATA" in agents["message"]
