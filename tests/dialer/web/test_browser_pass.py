"""The browser pass (docs/web.md, "Browser pass"): what real users did in a real browser
(Debian's chromium driven by Playwright) on ``dialer web`` with runners dialing the switch
simulator, and what each found bug now does. No timed asserts: every wait is Playwright's (or
the environment's) with a generous timeout, so the tests hold on a loaded machine.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from browser_kit import needs_chromium
from sqlmodel import select
from web_kit import PASSWORD, callback_moment, running_web

from campaigns.models import Callback, Lead, WebSession

WAIT = 30_000
"""Playwright's waits (ms): generous, as the machine may be loaded; never asserted on."""
INJECTED = {"first_name": '<img src=x id="pwn-first" onerror="window.pwned=1">',
            "last_name": "</h2><script id=\"pwn-last\">window.pwned=2</script>"}
INJECTED_CITY = '<b id="pwn-city">Springfield</b>'

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-pass")) as env:
        # Every spring lead's name and custom field carry markup, as a hostile list would.
        with env.store.session() as session:
            for lead in session.exec(select(Lead)).all():
                lead.first_name, lead.last_name = INJECTED["first_name"], INJECTED["last_name"]
                lead.custom = {**(lead.custom or {}), "city": INJECTED_CITY}
                session.add(lead)
            session.commit()
        yield env


def _sign_in(browser, env, name: str, **context):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, **context).new_page()
    page.set_default_timeout(WAIT)
    page.goto(f"{env.base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return page


def _state(page, *states: str) -> None:
    page.wait_for_function("(states) => states.includes(document.body.dataset.state)",
                           arg=list(states), timeout=WAIT)


def _other_dst_period(zone: ZoneInfo) -> datetime:
    """A local 10:00 in the zone whose daylight-saving offset differs from now's."""
    now = datetime.now(zone)
    for months in range(1, 12):
        moment = (now + timedelta(days=30 * months)).replace(hour=10, minute=0, second=0,
                                                            microsecond=0)
        if moment.utcoffset() != now.utcoffset():
            return moment
    raise AssertionError(f"{zone} has no daylight-saving change")


def test_wrong_password_then_a_hostile_lead_pops_as_text_and_the_callback_keeps_its_zone(
        browser, env) -> None:
    page = _sign_in(browser, env, "ann", timezone_id="America/New_York")
    wrong = browser.new_context().new_page()
    wrong.goto(f"{env.base_url}/login")
    wrong.fill("input[name=name]", "ann")
    wrong.fill("input[name=password]", "not the password")
    wrong.click("button[type=submit]")
    wrong.wait_for_selector("#message:has-text('wrong name or password')", timeout=WAIT)
    assert "/login" in wrong.url and wrong.input_value("input[name=name]") == "ann"

    page.goto(f"{env.base_url}/agent")
    page.click("#login-button")
    _state(page, "on_call")
    page.wait_for_selector("#lead .lead-name", timeout=WAIT)
    # The markup is shown as the text it is, in the screen pop and its script.
    assert page.inner_text("#lead .lead-name") == \
        f"{INJECTED['first_name']} {INJECTED['last_name']}"
    assert INJECTED_CITY in page.inner_text("#lead .script")
    assert page.locator("#pwn-first, #pwn-last, #pwn-city").count() == 0
    assert page.evaluate("() => window.pwned") is None

    # A reload mid-call shows the same call and lead (rendered by the server this time).
    page.reload()
    _state(page, "on_call")
    assert page.inner_text("#lead .lead-name").startswith(INJECTED["first_name"])
    assert page.locator("#pwn-first, #pwn-last, #pwn-city").count() == 0

    call = env.view("spring", "ann")["call"]
    env.hang_up("spring", call["id"])
    page.wait_for_selector("#dispose:not([hidden])", timeout=WAIT)
    _state(page, "wrap_up")

    # Pause in wrap-up would drop the agent's disposition for the fallback: it asks first.
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#pause-button")
    assert asked and "no disposition yet" in asked[0]

    # A callback in the other daylight-saving period: its own offset, not today's.
    zone = ZoneInfo("America/New_York")
    # (at 13:00 the lead's own time on a weekday: the runner refuses a callback it could
    # not keep, outside the campaign's hours or the law's in the lead's zone)
    local = callback_moment(env.store, call["lead_id"], _other_dst_period(zone)
                            ).astimezone(zone)
    assert local.utcoffset() != datetime.now(zone).utcoffset()
    page.check("input[name=disposition][value=CALLBK]")
    page.fill("input[name=callback_at]", local.strftime("%Y-%m-%dT%H:%M"))
    page.click("#dispose-button")
    _state(page, "ready", "reserved", "on_call")

    def stored() -> Callback | None:  # the runner's journal writes it a moment later
        with env.store.read_session() as session:
            return session.exec(select(Callback).where(
                Callback.lead_id == int(call["lead_id"]))).first()

    callback = env.wait(stored, timeout=60)
    due = callback.due_at if callback.due_at.tzinfo else callback.due_at.replace(tzinfo=UTC)
    assert due == local.astimezone(UTC)
    # "My callbacks" lists it with the hostile name as text.
    page.reload()
    page.wait_for_selector("#callbacks td:has-text('pwn-first')", timeout=WAIT)
    assert page.locator("#pwn-first, #pwn-last, #pwn-city").count() == 0


def test_the_console_shows_a_hostile_refusal_as_text_and_refuses_a_pacing_typo(
        browser, env) -> None:
    console = _sign_in(browser, env, "sam")
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    before = env.runners["spring"].engine.config.abandon_target
    console.fill("input[name=pacing_policy]", '<img src=x id="pwn-policy">')
    console.click("form.pacing-form button[type=submit]")
    console.wait_for_selector("#message.bad", timeout=WAIT)
    assert "pwn-policy" in console.inner_text("#message")
    console.fill("input[name=pacing_policy]", "")
    console.fill("input[name=abandon_target]", "2,5")
    console.click("form.pacing-form button[type=submit]")
    console.wait_for_selector("#message.bad:has-text(\"abandonment target '2,5'\")",
                              timeout=WAIT)
    assert env.runners["spring"].engine.config.abandon_target == before
    console.reload()  # the audit list shows both refusals, as text
    console.wait_for_selector("ul.audit li:has-text('pwn-policy')", timeout=WAIT)
    assert console.locator("#pwn-policy").count() == 0


def test_an_agent_page_on_a_supervisor_address_and_the_reverse_say_why(browser, env) -> None:
    agent = _sign_in(browser, env, "bob")
    answer = agent.goto(f"{env.base_url}/supervisor?campaign=spring")
    assert answer.status == 403
    assert "not for your role (agent)" in agent.inner_text("[data-field=refusal]")
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{env.base_url}/supervisor")
    assert anonymous.url.endswith("/login")


def test_two_tabs_follow_one_agent_and_an_ended_session_goes_to_sign_in(browser, env) -> None:
    first = _sign_in(browser, env, "bob")
    second = first.context.new_page()
    second.set_default_timeout(WAIT)
    second.goto(f"{env.base_url}/agent")
    first.click("#login-button")
    _state(second, "ready", "reserved", "on_call")  # the other tab follows
    second.click("#pause-button")
    _state(first, "paused")
    # The session ends (its 12 hours are over): the next click leads to the sign-in page,
    # not a "sign in first" that stays on a dead desktop.
    token = next(c["value"] for c in first.context.cookies() if c["name"] == "dialer_session")
    with env.store.session() as session:
        row = session.get(WebSession, hashlib.sha256(token.encode()).hexdigest())
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(row)
        session.commit()
    first.click("#ready-button")
    first.wait_for_url("**/login*", timeout=WAIT)
    second.reload()
    assert second.url.endswith("/login")


def test_another_site_cannot_pause_the_campaign_through_a_signed_in_supervisor(
        browser, env) -> None:
    console = _sign_in(browser, env, "sam")
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    # A page from elsewhere (here an opaque origin) posts the console's form, token guessed.
    hostile = console.context.new_page()
    hostile.set_content(
        f'<form method="post" action="{env.base_url}/supervisor/action">'
        '<input name="csrf" value="guess"><input name="campaign" value="spring">'
        '<input name="action" value="campaign_pause"><button id="go">go</button></form>')
    with hostile.expect_navigation(timeout=WAIT):
        hostile.click("#go")
    refusal = hostile.inner_text("body")
    assert "sign in first" in refusal or "CSRF check failed" in refusal
    assert not env.runners["spring"].engine.dialing_paused
    assert all(e.action != "campaign_pause"
               for e in env.store.audit_entries(campaigns=["spring"], limit=50))
