"""A real browser (Debian's chromium driven by Playwright) on ``dialer web`` with a runner
dialing the switch simulator: an agent signs in, logs in, goes ready, receives a call and
sees the lead's name pop, disposes it with a callback; a supervisor sees the agent's state
change within one second and forces a pause. Screenshots of both pages are saved under
``test-artifacts/web/`` (gitignored) and the path is printed.

Skipped, with the reason, when chromium or Playwright is missing (CI installs chromium:
.ci/run).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from browser_kit import needs_chromium
from web_kit import PASSWORD, callback_moment, running_web, utc_field

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"

pytestmark = needs_chromium


def _sign_in(browser, base_url: str, name: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               timezone_id="UTC").new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return page


def test_agent_and_supervisor_in_a_real_browser(browser, tmp_path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_web(tmp_path) as env:
        supervisor = _sign_in(browser, env.base_url, "sam")
        assert "/supervisor" in supervisor.url
        supervisor.goto(f"{env.base_url}/supervisor?campaign=spring")
        agent = _sign_in(browser, env.base_url, "ann")
        assert "/agent" in agent.url

        # The agent logs in (their phone leg) and is ready; the wallboard follows.
        agent.click("#login-button")
        agent.wait_for_function("() => ['ready', 'reserved', 'on_call']"
                                ".includes(document.body.dataset.state)", timeout=15000)
        # A call is dialed for them and bridged: the lead's name pops on screen.
        agent.wait_for_function("() => document.body.dataset.state === 'on_call'",
                                timeout=20000)
        view = env.view("spring", "ann")
        lead = env.store.lead(int(view["call"]["lead_id"]))
        name = f"{lead.first_name} {lead.last_name}"
        agent.wait_for_selector(f".lead-name:has-text('{name}')", timeout=5000)
        assert "Springfield" in agent.inner_text("#lead")  # the script, filled in

        # The wallboard shows ann on the call within a second of the runner's change.
        row = "tr[data-agent='ann']"
        supervisor.wait_for_function(
            "(row) => document.querySelector(row)?.dataset.state === 'on_call'", arg=row,
            timeout=1000)
        # Measured on the next change too: the customer hangs up, ann wraps up.
        changed_at: dict[str, float] = {}
        env.hang_up("spring", view["call"]["id"])
        agent.wait_for_selector("#dispose:not([hidden])", timeout=10000)
        changed_at["wrap_up"] = env.view("spring", "ann")["since"]
        supervisor.wait_for_function(
            "(row) => document.querySelector(row)?.dataset.state === 'wrap_up'", arg=row,
            timeout=1000)
        shown_ms = supervisor.evaluate("() => Date.now()")
        delay = shown_ms / 1000 - changed_at["wrap_up"]
        print(f"\nwallboard shows the wrap-up {delay * 1000:.0f} ms after the runner's change")
        assert delay < 1.0

        # The supervisor stops new dials, so the agent's next state is theirs to see.
        supervisor.click("#campaign_pause-button")
        supervisor.wait_for_selector("[data-field=campaign-state]:has-text('paused')",
                                     timeout=5000)
        agent.screenshot(path=str(ARTIFACTS / "agent-wrap-up.png"), full_page=True)

        # Disposition with a callback, mine, with a note.
        agent.check("input[name=disposition][value=CALLBK]")
        agent.fill("textarea[name=note]", "call back after lunch")
        due = callback_moment(env.store, view["call"]["lead_id"],
                              datetime(2030, 1, 2, tzinfo=UTC))
        agent.fill("input[name=callback_at]", utc_field(due))
        agent.click("#dispose-button")
        agent.wait_for_function("() => document.body.dataset.state === 'ready'",
                                timeout=10000)
        attempt = env.wait(lambda: (a := env.store.attempt_by_call(view["call"]["id"]))
                           and a.disposition and a)
        assert (attempt.disposition, attempt.note) == ("CALLBK", "call back after lunch")

        # The supervisor forces a pause; the agent's page shows it.
        supervisor.click(f"{row} button[data-action=pause]")
        agent.wait_for_function("() => document.body.dataset.state === 'paused'",
                                timeout=5000)
        assert "supervisor sam" in agent.inner_text("[data-field=reason]")
        supervisor.wait_for_function(
            "(row) => document.querySelector(row)?.dataset.state === 'paused'", arg=row,
            timeout=1000)
        supervisor.screenshot(path=str(ARTIFACTS / "supervisor.png"), full_page=True)
        agent.screenshot(path=str(ARTIFACTS / "agent-paused.png"), full_page=True)
        print(f"screenshots: {ARTIFACTS}")
        entries = env.store.audit_entries(campaigns=["spring"], limit=2)
        assert [e.action for e in entries] == ["pause", "campaign_pause"]
