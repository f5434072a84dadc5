"""The console's Stop (docs/web.md, "Stopping a campaign from the console") in a real
browser, and the two-tab check made atomic: Debian's chromium under Playwright against
``dialer web`` with runners dialing the switch simulator. One environment for the module:
its tests run in order, the last ones stop both campaigns. No timed asserts: every wait is
for a selector, a state or an answer.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import re
import threading

import pytest
from browser_kit import WAIT, needs_chromium, sign_in
from web_kit import PASSWORD, running_web

pytestmark = needs_chromium
STOPPED_BY_SAM = re.compile(r"stopped by supervisor sam from the console at \d\d:\d\d UTC")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-stop")) as env:
        yield env


def _console(browser, env, campaign: str = "spring", context=None):
    if context is None:
        page = sign_in(browser, env.base_url, "sam", PASSWORD)
    else:
        page = context.new_page()
        page.set_default_timeout(WAIT)
    page.goto(f"{env.base_url}/supervisor?campaign={campaign}")
    page.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    return page


def _audited(env, campaign: str, action: str) -> list:
    return [
        e for e in env.store.audit_entries(campaigns=[campaign], limit=500) if e.action == action
    ]


def _together(*calls):
    """Run the calls at the same instant (threads released by one barrier)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_tabs_sending_a_pacing_change_at_once_one_applies_the_other_is_told(env) -> None:
    """Before, both passed the check (each read the stored settings before either wrote)
    and the last write won: the check and the action are now one step per campaign."""
    first, second = env.client("sam"), env.client("sam")
    page = first.http.get("/supervisor?campaign=look").text
    seen = re.search(r'name="pacing_seen" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answers = _together(
        lambda: first.supervise("look", "pacing", lines_per_agent="1.5", pacing_seen=seen),
        lambda: second.supervise("look", "pacing", lines_per_agent="1.25", pacing_seen=seen),
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [answer.text for answer in answers]
    refused = next(answer.json() for answer in answers if answer.status_code == 409)
    applied = next(answer.json() for answer in answers if answer.status_code == 200)
    assert refused["conflict"] and "nothing changed" in refused["error"]
    assert refused["seen"] == applied["seen"]  # the stored settings now, for the next send
    assert env.runners["look"].engine.config.lines_per_agent in (1.5, 1.25)
    assert (
        env.store.settings("look").lines_per_agent
        == env.runners["look"].engine.config.lines_per_agent
    )


def test_the_console_status_names_who_paused_and_when(browser, env) -> None:
    """Before: the console said "dialing paused" (and the status line "dialing paused by a
    supervisor"), never who nor when."""
    console = _console(browser, env)
    try:
        console.click("#campaign_pause-button")
        console.wait_for_selector("#message:has-text('dialing paused')", timeout=WAIT)
        console.wait_for_selector(
            "[data-field=campaign-state]:has-text('paused by supervisor sam from the console at')",
            timeout=WAIT,
        )
        label = console.inner_text("[data-field=campaign-state]")
        assert re.search(r"paused by supervisor sam from the console at \d\d:\d\d UTC", label)
        status = env.runners["spring"].status.current.sentence()
        assert "paused by supervisor sam from the console at" in status
        # A reload says the same, rendered by the server.
        console.reload()
        assert "paused by supervisor sam from the console at" in console.inner_text(
            "[data-field=campaign-state]"
        )
    finally:
        console.click("#campaign_resume-button")
        console.wait_for_selector("#message:has-text('dialing resumed')", timeout=WAIT)
        console.context.close()


def test_stop_from_the_console_stale_tab_offline_double_click_then_stopped_by_name(
    browser, env
) -> None:
    first = _console(browser, env)
    second = _console(browser, env, context=first.context)
    questions: list[str] = []

    def accept(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    first.on("dialog", accept)
    second.on("dialog", accept)
    runner = env.runners["spring"]
    try:
        # The second tab pauses: the first still shows "dialing", so its Stop is refused
        # (409) with the state now, and nothing changes.
        second.click("#campaign_pause-button")
        second.wait_for_selector("#message:has-text('dialing paused')", timeout=WAIT)
        first.click("#campaign_stop-button")
        first.wait_for_selector("#message.bad:has-text('nothing changed')", timeout=WAIT)
        said = first.inner_text("#message")
        assert re.search(r"is paused by supervisor sam from the console at \d\d:\d\d UTC", said)
        assert env.store.campaign("spring").state == "paused"
        assert not runner.stopping and not runner.stop_requested.is_set()
        # The question said what a stop does, before anything was sent.
        assert questions and "calls in progress finish" in questions[0]
        assert "agents are logged out" in questions[0]
        assert "dialer campaign start spring" in questions[0]
        # Offline for a moment: not sent, said so, nothing changed.
        first.context.set_offline(True)
        first.click("#campaign_stop-button")
        first.wait_for_selector(
            "#message:has-text('not sent: this browser is offline')", timeout=WAIT
        )
        first.context.set_offline(False)
        assert env.store.campaign("spring").state == "paused"
        assert [e for e in _audited(env, "spring", "campaign_stop") if e.ok] == []
        # Back online, the page has taken the state now: a double click stops it once.
        first.locator("#campaign_stop-button").dblclick()
        first.wait_for_selector(
            "#message:not(.bad):has-text('stopped by supervisor sam')", timeout=WAIT
        )
        assert STOPPED_BY_SAM.search(first.inner_text("[data-field=campaign-state]"))
        assert env.store.campaign("spring").state == "stopped"
        assert len([e for e in _audited(env, "spring", "campaign_stop") if e.ok]) == 1
        # The running process ends its run as `dialer campaign stop` ends it, naming sam.
        env.wait(lambda: runner.stop_requested.is_set())
        assert STOPPED_BY_SAM.search(runner.state_follow.end_reason or "")
        # Its process going away does not hide who stopped it.
        first.wait_for_function("() => document.body.dataset.live === 'stale'", timeout=WAIT)
        assert STOPPED_BY_SAM.search(first.inner_text("[data-field=campaign-state]"))
        # The console cannot resume it: the command line's deliberate start is needed.
        first.click("#campaign_resume-button")
        first.wait_for_selector(
            "#message.bad:has-text('dialer campaign start spring')", timeout=WAIT
        )
        assert STOPPED_BY_SAM.search(first.inner_text("#message"))
        assert env.store.campaign("spring").state == "stopped"
        # A reload, rendered by the server from the store: still stopped by sam, at HH:MM.
        first.reload()
        assert STOPPED_BY_SAM.search(first.inner_text("[data-field=campaign-state]"))
        assert "dialer campaign start spring" in first.inner_text("[data-field=start-hint]")
    finally:
        first.context.close()


def test_two_tabs_stopping_at_once_one_stops_the_other_gets_409_with_the_state_now(env) -> None:
    first, second = env.client("sam"), env.client("sam")
    runner = env.runners["look"]
    answers = _together(
        lambda: first.supervise("look", "campaign_stop", state_seen="running", confirmed="yes"),
        lambda: second.supervise("look", "campaign_stop", state_seen="running", confirmed="yes"),
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [answer.text for answer in answers]
    refused = next(answer.json() for answer in answers if answer.status_code == 409)
    assert refused["state_seen"] == "stopped" and STOPPED_BY_SAM.search(refused["error"])
    assert env.store.campaign("look").state == "stopped"
    assert len([e for e in _audited(env, "look", "campaign_stop") if e.ok]) == 1
    env.wait(lambda: runner.stop_requested.is_set())


def test_a_stop_without_its_confirmation_is_refused(env) -> None:
    """A plain form post (no script) must tick its "I mean it" box."""
    sam = env.client("sam")
    answer = sam.supervise("spring", "campaign_stop", state_seen="stopped")
    assert answer.status_code == 409 and "must be confirmed" in answer.json()["error"]
