"""The web tier's answers to what real users did in the browser pass (docs/web.md, "Browser
pass"), over HTTP against real runners and the switch simulator: a refusal the pages' script
reads is an answer, not a redirect to the sign-in page; a person sent to a page not theirs
reads why; a typed phone rings one registered phone only; signing out leaves the dialer; a
callback is never in the past; the console's abandonment target is in percent and a typo
names its field; a supervisor cannot force an agent ready."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from web_kit import callback_moment, running_web, utc_field


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("web-pass")) as env:
        yield env


@pytest.fixture(scope="module")
def ann(env):
    return env.client("ann")


@pytest.fixture(scope="module")
def sam(env):
    return env.client("sam")


def _logged_in(env, client, agent: str) -> None:
    if env.view("spring", agent)["state"] == "logged_out":
        assert client.act("spring", "login")["ok"]
    env.wait_state("spring", agent, "ready", "reserved", "on_call", "wrap_up", "paused")


def test_the_screen_pop_of_an_ended_session_is_a_401_not_the_sign_in_page(env) -> None:
    # Before: 303 to /login, which the page's fetch followed and pasted into the lead box.
    with httpx.Client(base_url=env.base_url) as anonymous:
        answer = anonymous.get("/agent/lead/1?campaign=spring")
        assert answer.status_code == 401 and answer.json()["error"] == "sign in first"
        # A page itself still sends the browser to the sign-in page.
        assert anonymous.get("/agent").headers["location"] == "/login"


def test_a_person_on_a_page_not_theirs_reads_why_as_a_page(env, ann) -> None:
    answer = ann.http.get("/supervisor", headers={"accept": "text/html,*/*;q=0.8"})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "not for your role (agent)" in answer.text and "<pre>" not in answer.text
    # The script (JSON) still gets JSON.
    assert ann.http.get("/supervisor", headers={"accept": "application/json"}).json()[
        "error"].startswith("this page is not for your role")


@pytest.mark.parametrize("phone", ["user/1001|sofia/gateway/carrier/+19005550100",
                                   "user/1001,user/1002", "sofia/gateway/carrier/+19005550100",
                                   "{origination_caller_id_number=1}user/1001",
                                   "user/1001 &bridge(x)", "user/1001:_:x", "loopback/9664"])
def test_a_typed_phone_rings_one_registered_phone_only(env, ann, sam, phone) -> None:
    refused = ann.act("spring", "login", endpoint=phone)
    assert not refused["ok"] and "not one registered phone" in refused["error"]
    assert env.view("spring", "ann")["state"] == "logged_out"
    listen = sam.supervise("spring", "listen", agent="ann", endpoint=phone).json()
    assert not listen["ok"] and "not one registered phone" in listen["error"]
    entry = env.store.audit_entries(campaigns=["spring"], limit=1)[0]
    assert (entry.action, entry.ok) == ("listen", False)


def test_signing_out_logs_the_agent_out_of_the_dialer(env) -> None:
    bob = env.client("bob")
    _logged_in(env, bob, "bob")
    bob.post("/logout")
    # Before: bob stayed ready and calls kept coming to a desk nobody watched.
    env.wait_state("spring", "bob", "logged_out")


def test_a_callback_in_the_past_is_refused(env, ann) -> None:
    _logged_in(env, ann, "ann")
    if env.view("spring", "ann")["state"] != "on_call":
        ann.act("spring", "ready")
    call = env.wait_state("spring", "ann", "on_call")["call"]
    env.hang_up("spring", call["id"])
    wrap = env.wait_state("spring", "ann", "wrap_up")["wrap_call"]
    stale = ann.post("/agent/dispose", campaign="spring", call=wrap, disposition="CALLBK",
                     callback_at="2020-01-02T15:00").json()
    assert not stale["ok"] and "is in the past" in stale["error"]
    assert env.view("spring", "ann")["state"] == "wrap_up"  # nothing recorded
    untimed = ann.post("/agent/dispose", campaign="spring", call=wrap,
                       disposition="CALLBK").json()
    assert not untimed["ok"] and 'fill in "Call back at"' in untimed["error"]
    # The last minute of year 9999 in a zone west of UTC: no such moment (before: a 500).
    edge = ann.post("/agent/dispose", campaign="spring", call=wrap, disposition="CALLBK",
                    callback_at="9999-12-31T23:59", tz_offset_min="300")
    assert edge.status_code == 409 and "out of range" in edge.json()["error"]
    at = callback_moment(env.store, call["lead_id"], datetime(2035, 1, 2, tzinfo=UTC))
    done = ann.post("/agent/dispose", campaign="spring", call=wrap, disposition="CALLBK",
                    callback_at=utc_field(at)).json()
    assert done["ok"], done
    assert ann.act("spring", "pause", reason="break")["ok"]
    env.wait_state("spring", "ann", "paused")


def test_the_abandonment_target_is_in_percent_and_a_typo_names_its_field(env, sam) -> None:
    target = env.store.settings("spring").abandon_target
    try:
        # "0.02" in a field labelled in percent is 0.02 %; before, it was read as 2 %.
        changed = sam.supervise("spring", "pacing", abandon_target="0.02").json()
        assert changed["ok"] and changed["after"]["abandon_target"] == pytest.approx(0.0002)
        assert env.runners["spring"].engine.config.abandon_target == pytest.approx(0.0002)
        # "1" is 1 % (before: refused as 100 %, while "2" was 2 %).
        assert sam.supervise("spring", "pacing", abandon_target="1").json()["after"][
            "abandon_target"] == pytest.approx(0.01)
        for field, typo, says in (("abandon_target", "2,5", "abandonment target '2,5'"),
                                  ("max_lines", "10.5", "max lines '10.5'"),
                                  ("lines_per_agent", "nan", "lines per agent 'nan'"),
                                  ("lines_per_agent", "inf", "lines per agent 'inf'"),
                                  ("pacing_params", "[1]", "policy parameters")):
            refused = sam.supervise("spring", "pacing", **{field: typo}).json()
            assert not refused["ok"] and says in refused["error"], refused
        for field, value in (("abandon_target", "4"), ("lines_per_agent", "-1"),
                             ("pacing_policy", "progresive")):
            refused = sam.supervise("spring", "pacing", **{field: value}).json()
            assert not refused["ok"], refused
        assert env.runners["spring"].engine.config.abandon_target == pytest.approx(0.01)
        assert env.store.settings("spring").pacing_policy == "progressive"
    finally:
        sam.supervise("spring", "pacing", abandon_target=f"{target * 100}%")


def test_a_supervisor_cannot_force_an_agent_ready(env, ann, sam) -> None:
    _logged_in(env, ann, "ann")
    forced = sam.supervise("spring", "ready", agent="ann").json()
    assert not forced["ok"] and "unknown action 'ready'" in forced["error"]


def test_a_pause_or_log_out_asked_during_a_call_shows_as_pending_at_once(env, sam) -> None:
    bob = env.client("bob")
    _logged_in(env, bob, "bob")
    if env.view("spring", "bob")["state"] != "on_call":
        assert bob.act("spring", "ready")["ok"]
    call = env.wait_state("spring", "bob", "on_call")["call"]
    directory = env.app.state.web.directory
    # Before: the runner's feed says nothing until the call ends (no state changes), so
    # neither the desktop nor the wallboard showed the request as pending.
    assert sam.supervise("spring", "pause", agent="bob").json()["ok"]
    env.wait(lambda: (directory.agent_view("spring", "bob") or {}).get("pause_pending"))
    assert bob.act("spring", "logout")["ok"]
    env.wait(lambda: (directory.agent_view("spring", "bob") or {}).get("logout_pending"))
    with bob.http.stream("GET", "/agent/events?campaign=spring") as events:
        first = next(line for line in events.iter_lines() if line.startswith("data:"))
    assert '"logout_pending":true' in first and "by supervisor sam" in first
    env.hang_up("spring", call["id"])
    env.wait_state("spring", "bob", "wrap_up")


def test_a_stale_sign_in_form_comes_back_with_the_reason(env) -> None:
    with httpx.Client(base_url=env.base_url) as person:
        # The form's cookie is gone (the form was left open past its hour): before, a bare
        # text page; now the form again, saying why, with the name kept.
        answer = person.post("/login", data={"csrf": "old", "name": "ann",
                                             "password": "x"})
        assert answer.status_code == 303
        again = person.get(answer.headers["location"])
        assert "sign-in form is stale" in again.text and 'value="ann"' in again.text
        # The script (JSON) still gets the refusal as such.
        assert person.post("/login", data={"csrf": "old"},
                           headers={"accept": "application/json"}).status_code == 403
