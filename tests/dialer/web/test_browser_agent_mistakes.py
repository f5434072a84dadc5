"""The agent desktop's mistakes pass in a real browser (docs/web.md, "Agent desktop:
mistakes pass"): Debian's chromium under Playwright against ``dialer web`` with runners
dialing the switch simulator, one environment and one browser for the module. An agent
still typing (and reloading the page) when the wrap-up timeout records the campaign's
fallback, a second machine
sending the same disposition, a callback at 3 a.m. the lead's time, a callback after "Do not
call me". No timed asserts: every wait is for a selector or a state.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from browser_kit import WAIT, agent_desk, needs_chromium, wait_state
from sqlmodel import select
from web_kit import PASSWORD, callback_moment, running_web, utc_field

from campaigns.models import Callback

pytestmark = needs_chromium
WRAP_UP_S = 6.0
"""Campaign spring's wrap-up timeout here: short, so the test sees it end the wrap-up."""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-agent"),
                     spring={"wrap_up_timeout": WRAP_UP_S}) as env:
        yield env


def _desk(browser, env, name: str, campaign: str):
    return agent_desk(browser, env.base_url, name, PASSWORD, campaign)


def _attempt(env, call_id: str, code: str):
    return env.wait(lambda: (a := env.store.attempt_by_call(call_id))
                    and a.disposition == code and a, timeout=30)


def test_the_wrap_up_timeout_while_typing_keeps_the_form_and_the_agents_word_replaces_it(
        browser, env) -> None:
    ann = _desk(browser, env, "ann", "spring")
    ann.click("#login-button")
    wait_state(ann, "on_call")
    call = env.view("spring", "ann")["call"]
    # Pause after this call, so no next call comes while the agent corrects.
    ann.click("#pause-button")
    ann.wait_for_selector("[data-field=pending]:has-text('pause after this call')")
    env.hang_up("spring", call["id"])
    wait_state(ann, "wrap_up", "paused")
    # The agent chooses and types; the wrap-up timeout may come before or after.
    ann.check("input[name=disposition][value=SALE]")
    ann.fill("textarea[name=note]", "bought two panels")
    # A reload (or Back and forward) in wrap-up: before, what was typed was gone.
    ann.reload()
    ann.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    assert ann.input_value("textarea[name=note]") == "bought two panels"
    assert ann.is_checked("input[name=disposition][value=SALE]")
    wait_state(ann, "paused")
    # Before: the form vanished with what was typed, silently, and the call stayed
    # recorded as the fallback (TIMEOUT). Now it stays, saying what happened.
    ann.wait_for_selector("[data-field=correction]:has-text('recorded as TIMEOUT')")
    assert ann.is_visible("#dispose-form")
    assert ann.input_value("textarea[name=note]") == "bought two panels"
    assert ann.is_checked("input[name=disposition][value=SALE]")
    _attempt(env, call["id"], "TIMEOUT")
    ann.click("#dispose-button")
    ann.wait_for_selector("#message:has-text('saved as SALE: it replaces TIMEOUT')")
    attempt = _attempt(env, call["id"], "SALE")
    assert attempt.note == "bought two panels"
    ann.wait_for_selector("#dispose", state="hidden")
    # The same agent on a second machine sends its (older) form: refused, saying how the
    # call was recorded; nothing changes (before: "that call is not in your wrap-up").
    other = env.client("ann")
    again = other.post("/agent/dispose", campaign="spring", call=call["id"],
                       disposition="NI").json()
    assert not again["ok"] and "already recorded as SALE" in again["error"], again
    assert env.store.attempt_by_call(call["id"]).disposition == "SALE"
    # The runner's pool and the screen agree: paused, nothing pending.
    assert env.view("spring", "ann")["state"] == "paused"
    ann.click("text=Log out")
    wait_state(ann, "logged_out")


def test_a_callback_at_night_for_the_lead_or_after_do_not_call_me_is_refused_saying_why(
        browser, env) -> None:
    pat = _desk(browser, env, "pat", "look")
    pat.click("#login-button")
    pat.wait_for_selector("#preview:not([hidden])")
    pat.click("#preview_dial-button")
    wait_state(pat, "on_call")
    call = env.view("look", "pat")["call"]
    # A transfer to a wrong extension or number: refused saying why, the customer stays
    # with the agent (already right; kept as a regression). A queue: docs/web.md, left open.
    desk = env.client("pat")
    for kind, to, why in (("agent", "zed", "'zed' is not logged in"),
                          ("agent", "pat", "to yourself"),
                          ("number", "5550100", "not an E.164 number")):
        refused = desk.act("look", "transfer", to_kind=kind, to=to)
        assert not refused["ok"] and why in refused["error"], (kind, to, refused)
    assert env.view("look", "pat")["state"] == "on_call"
    env.hang_up("look", call["id"])
    wait_state(pat, "wrap_up")
    # 03:00 the lead's own time (the agent thought in their zone): before, stored, and the
    # dial gate held it, so the customer's promised call came hours late.
    noon = callback_moment(env.store, call["lead_id"], datetime.now(UTC) + timedelta(days=2))
    night = noon - timedelta(hours=10)
    pat.check("input[name=disposition][value=CALLBK]")
    pat.fill("input[name=callback_at]", utc_field(night))
    pat.click("#dispose-button")
    pat.wait_for_selector("#message.bad:has-text(\"03:00 in\")")
    assert "the lead's local time" in pat.inner_text("#message")
    assert env.view("look", "pat")["state"] == "wrap_up"
    # "Do not call me", then a callback at a good hour: before, the callback was stored
    # and the suppressed lead became a callback again.
    pat.once("dialog", lambda dialog: dialog.accept())
    pat.click("#dnc-button")
    pat.wait_for_selector("#message:has-text('done')")
    pat.fill("input[name=callback_at]", utc_field(noon))
    pat.click("#dispose-button")
    pat.wait_for_selector("#message.bad:has-text('do-not-call list')")
    assert env.view("look", "pat")["state"] == "wrap_up"
    pat.check("input[name=disposition][value=DNC]")
    pat.fill("input[name=callback_at]", "")
    pat.click("#dispose-button")
    wait_state(pat, "ready", "reserved", "on_call", "paused")
    _attempt(env, call["id"], "DNC")
    with env.store.read_session() as session:
        assert session.exec(select(Callback).where(
            Callback.lead_id == int(call["lead_id"]))).first() is None
    pat.click("text=Log out")
