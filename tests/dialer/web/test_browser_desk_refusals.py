"""The desk's sixteenth-pass transfer refusal in a real browser (docs/web.md, "Sixteenth
pass"): Debian's chromium under Playwright against ``dialer web`` with runners dialing the
switch simulator. A blind transfer to a queue nothing serves: campaign ``look`` has no
queue configuration, and before any name was taken and the customer left the agent for a
line nothing knew of. (A callback outside the lead's state's hours is refused through the
same message as the night callback of test_browser_agent_mistakes.py; which state the
demo's leads are in depends on the hour, so its proof is tests/dialer/runner/
test_dispose_state_hours.py.) No timed asserts: every wait is for a selector or a state.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import pytest
from browser_kit import agent_desk, needs_chromium, wait_state
from web_kit import PASSWORD, running_web

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-desk")) as env:
        yield env


def _desk(browser, env, name: str, campaign: str):
    return agent_desk(browser, env.base_url, name, PASSWORD, campaign)


def test_a_transfer_to_a_queue_nothing_serves_is_refused_in_the_page(browser, env) -> None:
    """The refusal is the runner's answer shown in the page's message; the customer stays
    with the agent, who then disposes as usual."""
    pat = _desk(browser, env, "pat", "look")
    pat.click("#login-button")
    pat.wait_for_selector("#preview:not([hidden])")
    pat.click("#preview_dial-button")
    wait_state(pat, "on_call")
    call = env.view("look", "pat")["call"]
    form = pat.locator("form.transfer")
    form.locator("select[name=to_kind]").select_option("queue")
    form.locator("input[name=to]").fill("nosuch")
    form.locator("button[type=submit]").click()
    pat.wait_for_selector("#message.bad:has-text(\"queue 'nosuch' is served by nothing on "
                          "this campaign\")")
    assert "the customer stays with you" in pat.inner_text("#message")
    assert env.view("look", "pat")["state"] == "on_call"
    assert env.view("look", "pat")["call"]["id"] == call["id"]
    env.hang_up("look", call["id"])
    wait_state(pat, "wrap_up")
    pat.check("input[name=disposition][value=NI]")
    pat.fill("input[name=callback_at]", "")
    pat.click("#dispose-button")
    wait_state(pat, "ready", "reserved", "on_call", "paused")
    pat.click("text=Log out")
    wait_state(pat, "logged_out")
