"""The supervisor console's mistakes pass in a real browser (docs/web.md, "Supervisor
console: mistakes pass"): Debian's chromium under Playwright against ``dialer web`` with
runners dialing the switch simulator, one environment and one browser for the module. A
supervisor on a phone, on the keyboard only, with two tabs, offline for a while, signing out
and pressing Back. No timed asserts: every wait is for a selector or a state.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import pytest
from browser_kit import WAIT, needs_chromium, sign_in
from web_kit import PASSWORD, running_web

pytestmark = needs_chromium
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-supervisor")) as env:
        yield env


def _console(browser, env, name: str = "sam", viewport: dict | None = None):
    page = sign_in(browser, env.base_url, name, PASSWORD)
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"{env.base_url}/supervisor?campaign=spring")
    # The script is running and the live feed has spoken (the stream's first events).
    page.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    return page


def _engine(env):
    return env.runners["spring"].engine


def _audited(env, action: str, since_id: int) -> list:
    return [e for e in env.store.audit_entries(campaigns=["spring"], limit=200)
            if e.id > since_id and e.action == action]


def _last_audit_id(env) -> int:
    entries = env.store.audit_entries(campaigns=["spring"], limit=1)
    return entries[0].id if entries else 0


def test_on_a_phone_pause_dialing_is_in_reach_by_keyboard_and_a_double_click_sends_once(
        browser, env) -> None:
    console = _console(browser, env, viewport=PHONE)
    mark = _last_audit_id(env)
    # Before: the dialing controls were at the bottom of a long page and the header pushed
    # the page sideways; now they are in the first screen, and nothing overflows it.
    pause = console.locator("#campaign_pause-button")
    box = pause.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"], box
    assert console.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    # Keyboard only: Tab to it, Enter.
    for _ in range(40):
        if console.evaluate("() => document.activeElement.id") == "campaign_pause-button":
            break
        console.keyboard.press("Tab")
    else:
        raise AssertionError("Pause dialing is not reachable with Tab")
    console.keyboard.press("Enter")
    console.wait_for_selector("#message:has-text('dialing paused')", timeout=WAIT)
    assert _engine(env).dialing_paused
    # A double click on Resume sends one request (the second lands on a busy form).
    console.locator("#campaign_resume-button").dblclick()
    console.wait_for_selector("#message:has-text('dialing resumed')", timeout=WAIT)
    assert not _engine(env).dialing_paused
    assert len(_audited(env, "campaign_resume", mark)) == 1
    # Every control says what it acts on: the row's buttons name their agent, fields
    # have labels a screen reader reads.
    assert console.get_by_role("button", name="Pause ann").count() == 1
    assert console.get_by_role("button", name="Log out bob").count() == 1
    assert console.get_by_label("abandonment target in % (≤ 3)").count() == 1
    assert console.get_by_label("lines per agent").count() == 1
    console.context.close()


def test_a_pacing_typo_on_a_phone_is_refused_next_to_its_field(browser, env) -> None:
    console = _console(browser, env, viewport=PHONE)
    lines = _engine(env).config.lines_per_agent
    field = console.locator("input[name=lines_per_agent]")
    field.fill("2_5")  # meant 2.5; Python's float() read 25
    field.press("Enter")
    said = console.locator("form.pacing-form [data-form-message]")
    said.wait_for(state="visible", timeout=WAIT)
    assert "lines per agent '2_5' is not a number" in said.inner_text()
    # The answer is by the form, in view, and the field to fix is marked and focused.
    assert said.evaluate("(el) => { const r = el.getBoundingClientRect(); "
                         "return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert field.get_attribute("aria-invalid") == "true"
    assert console.evaluate("() => document.activeElement.name") == "lines_per_agent"
    assert _engine(env).config.lines_per_agent == lines
    assert env.store.settings("spring").lines_per_agent == lines
    console.context.close()


def test_two_tabs_the_stale_one_is_told_the_stored_value_and_changes_nothing(
        browser, env) -> None:
    first = _console(browser, env)
    second = first.context.new_page()
    second.set_default_timeout(WAIT)
    second.goto(f"{env.base_url}/supervisor?campaign=spring")
    second.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    target = env.store.settings("spring").abandon_target
    try:
        first.fill("input[name=abandon_target]", "1.5")
        first.click("form.pacing-form button[type=submit]")
        first.wait_for_selector("[data-form-message]:has-text('pacing changed')", timeout=WAIT)
        # The first tab's form now shows the stored value and is empty for the next change.
        assert first.get_attribute("input[name=abandon_target]", "placeholder") == "1.5%"
        # The second tab still shows the old settings: its change is refused, not applied.
        second.fill("input[name=abandon_target]", "2.5")
        second.click("form.pacing-form button[type=submit]")
        second.wait_for_selector("[data-form-message].bad:has-text('abandonment target 1.5 %')",
                                 timeout=WAIT)
        assert second.get_attribute("input[name=abandon_target]", "placeholder") == "1.5%"
        assert _engine(env).config.abandon_target == pytest.approx(0.015)
        # Seen now, sent again: it stands.
        second.click("form.pacing-form button[type=submit]")
        second.wait_for_selector("[data-form-message]:not(.bad):has-text('pacing changed')",
                                 timeout=WAIT)
        assert _engine(env).config.abandon_target == pytest.approx(0.025)
    finally:
        first.context.close()
        env.client("sam").supervise("spring", "pacing", abandon_target=f"{target * 100}")


def test_offline_for_a_while_the_page_says_it_is_stale_and_sends_nothing(browser, env) -> None:
    console = _console(browser, env)
    root = env.client("root")
    bob = env.client("bob")
    mark = _last_audit_id(env)
    try:
        console.context.set_offline(True)
        console.wait_for_selector("body[data-live=stale]", timeout=WAIT)
        assert "not live" in console.inner_text("[data-field=live-state]")
        # An action while offline is not sent, and never replayed later.
        console.click("#campaign_pause-button")
        console.wait_for_selector("#message:has-text('not sent: this browser is offline')",
                                  timeout=WAIT)
        # Meanwhile bob logs in: the page cannot know yet.
        assert bob.act("spring", "login")["ok"]
        env.wait_state("spring", "bob", "ready", "reserved", "on_call")
        console.context.set_offline(False)
        console.wait_for_selector("body:not([data-live=stale])", timeout=WAIT)
        console.wait_for_selector("[data-field=live-state]", state="hidden", timeout=WAIT)
        # Back: the stream's first events bring the state as it is now.
        console.wait_for_function(
            "() => ['ready', 'reserved', 'on_call'].includes("
            "document.querySelector('tr[data-agent=bob]').dataset.state)", timeout=WAIT)
        assert not _engine(env).dialing_paused
        assert _audited(env, "campaign_pause", mark) == []
    finally:
        console.context.close()
        root.supervise("spring", "logout", agent="bob")


def test_signed_out_then_back_no_action_is_taken(browser, env) -> None:
    console = _console(browser, env)
    mark = _last_audit_id(env)
    console.click("header form[action='/logout'] button")
    console.wait_for_url("**/login*", timeout=WAIT)
    console.go_back()
    console.wait_for_load_state("domcontentloaded")
    if "/supervisor" in console.url and console.locator("#campaign_pause-button").count():
        # A page kept by the browser: its buttons lead to sign-in, not to an action.
        console.click("#campaign_pause-button")
        console.wait_for_url("**/login*", timeout=WAIT)
    assert "/login" in console.url
    assert not _engine(env).dialing_paused
    assert _audited(env, "campaign_pause", mark) == []
    console.context.close()


def test_the_campaigns_dialer_process_goes_away_the_page_says_so(browser, env) -> None:
    """Last in the module: it stops the spring runner (as `dialer stop spring` would)."""
    import asyncio

    from dialer.runner.control import request as control_request

    console = _console(browser, env)
    stopping = control_request(env.socket("spring"), {"op": "stop"})
    assert asyncio.run_coroutine_threadsafe(stopping, env.loop).result(10)["ok"]
    # Before: a message only; the figures and agents kept looking live, "dialing" included.
    console.wait_for_selector("body[data-live=stale]", timeout=WAIT)
    assert "dialer process" in console.inner_text("[data-field=live-state]")
    assert console.inner_text("[data-field=campaign-state]") == "dialer process gone"
    env.wait(lambda: not env.app.state.web.directory.of_campaign("spring"))
    console.click("#campaign_pause-button")
    console.wait_for_selector("[id=message]:has-text('campaign spring is not running')",
                              timeout=WAIT)
    console.context.close()
