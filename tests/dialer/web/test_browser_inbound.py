"""The inbound browser pass (docs/web.md, "Browser pass, inbound"): an agent and a supervisor
in a real browser (Debian's chromium under Playwright) on ``dialer web``, with a runner
serving queue ``sales`` (two menus, callbacks offered) and dialing outbound for the same
agents, callers placed on the switch simulator (tests/dialer/web/inbound_web_kit.py).

Every wait is on a page state (Playwright's, or the environment's) with a generous timeout;
nothing asserts a duration. The runner keeps a US-hours clock, so the callbacks' calling
hours hold at any hour of the day. Skipped, with the reason, without chromium or Playwright.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from browser_kit import WAIT, needs_chromium, sign_in, wait_state
from inbound_web_kit import running_inbound_web
from sqlmodel import select
from web_kit import PASSWORD

from campaigns.models import InboundCall, WebSession
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.voicemail_store import VoicemailStore

pytestmark = needs_chromium
MIAMI = "+13055550175"
"""A caller in Florida (a landline: the state's consent rule is the one that refuses)."""
HOSTILE_NOTE = '<img src=x id="pwn-note" onerror="window.pwned=1">call back Tuesday'


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_inbound_web(tmp_path_factory.mktemp("browser-inbound")) as env:
        yield env


def _agent(browser, env, name: str):
    page = sign_in(browser, env.base_url, name, PASSWORD)
    page.goto(f"{env.base_url}/agent?campaign=spring")
    page.click("#login-button")
    wait_state(page, "ready")
    return page


def _facts(page) -> str:
    return page.inner_text("[data-field=call-facts]")


def _record(env, call_id: str, disposed: bool = True) -> InboundCall:
    def stored() -> InboundCall | None:
        with env.store.read_session() as session:
            row = session.exec(select(InboundCall).where(InboundCall.call_uuid == call_id)
                               ).first()
            return row if row is not None and (row.disposition or not disposed) else None
    return env.wait(stored, timeout=30)


def _watch_screen(page) -> None:
    """Record every state and call line the desktop shows (a reserved state can be short)."""
    page.evaluate("""() => { window.seen = [];
      new MutationObserver(() => window.seen.push(document.body.dataset.state + "|" +
        document.querySelector("[data-field=call-facts]").textContent.trim()))
        .observe(document.body, {attributes: true, subtree: true, childList: true,
                                 characterData: true}); }""")


def test_an_inbound_caller_pops_with_queue_menu_wait_and_history_and_its_disposition_is_kept(
        browser, env) -> None:
    ann = _agent(browser, env, "ann")
    # A caller the campaign does not know, through both menus (keys 2 then 1).
    env.place(number="+13125550170", keys="21", talk=3600)
    wait_state(ann, "on_call")
    ann.wait_for_selector("#lead [data-field=caller-unknown]", timeout=WAIT)
    facts = _facts(ann)
    assert facts.startswith("inbound · queue sales · waited ")
    assert facts.endswith("IVR main › billing › keys 21 · +13125550170")
    assert ann.inner_text("#lead .lead-name") == "Caller +13125550170"
    assert "First call in." in ann.inner_text("#caller-calls")
    # A reload mid-call shows the same call and caller (rendered by the server this time).
    ann.reload()
    wait_state(ann, "on_call")
    assert "IVR main › billing › keys 21 · +13125550170" in _facts(ann)
    assert ann.inner_text("#lead .lead-name") == "Caller +13125550170"
    # A pause asked during the call is shown as pending at once.
    ann.select_option("select[name=reason]", "break")
    ann.click("#pause-button")
    ann.wait_for_selector("[data-field=pending]:has-text('pause after this call (break)')",
                          timeout=WAIT)

    call_id = env.view("spring", "ann")["call"]["id"]
    env.hang_up("spring", call_id)
    wait_state(ann, "wrap_up")
    # A callback at a time has no lead to be kept on: refused saying so, still in wrap-up
    # (it was dropped while the desktop said "done").
    ann.check("input[name=disposition][value=CALLBK]")
    later = datetime.now() + timedelta(days=2)
    ann.fill("input[name=callback_at]", later.strftime("%Y-%m-%dT10:00"))
    ann.click("#dispose-button")
    ann.wait_for_selector("#message.bad:has-text('a call in has none')", timeout=WAIT)
    assert env.view("spring", "ann")["state"] == "wrap_up"
    # The disposition and notes of an inbound call are kept on its record (they were lost).
    ann.fill("input[name=callback_at]", "")
    ann.check("input[name=disposition][value=SALE]")
    ann.fill("textarea[name=note]", HOSTILE_NOTE)
    ann.click("#dispose-button")
    wait_state(ann, "paused")
    record = _record(env, call_id)
    assert (record.disposition, record.note, record.outcome) == ("SALE", HOSTILE_NOTE,
                                                                  "connected")

    # The same number calls again: the earlier call is on the card.
    ann.click("#ready-button")
    wait_state(ann, "ready")
    env.place(number="+13125550170", keys="1", talk=3600)
    wait_state(ann, "on_call")
    ann.wait_for_selector("#caller-calls td:has-text('connected')", timeout=WAIT)
    assert "ann" in ann.inner_text("#caller-calls")
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=NI]")
    ann.click("#dispose-button")
    wait_state(ann, "ready")

    # A withheld number says so (the line ended in a bare "·"), and no caller card.
    env.place(number="anonymous", keys="1", talk=3600)
    wait_state(ann, "on_call")
    ann.wait_for_selector("[data-field=call-facts]:has-text('number withheld')", timeout=WAIT)
    assert _facts(ann).endswith("IVR main › keys 1 · number withheld")
    assert ann.inner_text("#lead") == "No customer on screen."
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=NI]")
    ann.click("#dispose-button")
    wait_state(ann, "ready")

    # A caller who is one of the campaign's leads pops with the lead, its script and history.
    env.place(number=env.known_caller, keys="1", talk=3600)
    wait_state(ann, "on_call")
    ann.wait_for_selector("#lead .script", timeout=WAIT)
    assert ann.inner_text("#lead .lead-name") == "Jonas Berg"
    assert ann.inner_text("#lead .script") == "Hello Jonas, thanks for calling."
    assert ann.locator("#pwn-note").count() == 0 and ann.evaluate("() => window.pwned") is None
    # Log out asked during the call: pending, then out once the call is disposed; the
    # console says so beside her state.
    console = sign_in(browser, env.base_url, "sam", PASSWORD)
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    ann.click("form:has(input[value=logout]) button")
    ann.wait_for_selector("[data-field=pending]:has-text('log out after this call')",
                          timeout=WAIT)
    console.wait_for_selector("#agents tr[data-agent=ann] td[data-col=state]:text-is("
                              "'on call · logging out after this call')", timeout=WAIT)
    console.reload()  # rendered by the server the same way
    assert console.inner_text("#agents tr[data-agent=ann] td[data-col=state]") == \
        "on call · logging out after this call"
    console.close()
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=SALE]")
    ann.click("#dispose-button")
    wait_state(ann, "logged_out")


def test_a_blended_agent_takes_an_outbound_call_then_a_waiting_caller_and_the_console_agrees(
        browser, env) -> None:
    console = sign_in(browser, env.base_url, "sam", PASSWORD)
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    console.click("#campaign_resume-button")
    bob = sign_in(browser, env.base_url, "bob", PASSWORD)
    bob.goto(f"{env.base_url}/agent?campaign=spring")
    bob.click("#login-button")
    wait_state(bob, "on_call")  # an outbound call of the campaign
    bob.wait_for_selector("#lead .script", timeout=WAIT)
    outbound_lead = bob.inner_text("#lead .lead-name")
    assert _facts(bob).startswith("outbound · ")
    console.click("#campaign_pause-button")

    env.place(number="+13125550171", keys="1", talk=3600)
    row = "#queues tr[data-queue=sales]"
    console.wait_for_selector(f"{row} td[data-col=waiting]:text-is('1')", timeout=WAIT)
    console.wait_for_selector(f"{row} td[data-col=agents]:text-is('0 / 1')", timeout=WAIT)
    queue = next(q for q in env.monitor()["snapshot"]["queues"] if q["name"] == "sales")
    assert (queue["waiting"], queue["agents_ready"], queue["agents_logged_in"]) == (1, 0, 1)
    # The service level is the queue's own (within 30 s), not the wallboard's 20 s.
    assert "within 30 s (target 80.0%)" in console.inner_text(f"{row} td[data-col=level]")

    env.hang_up("spring", env.view("spring", "bob")["call"]["id"])
    wait_state(bob, "wrap_up")
    bob.check("input[name=disposition][value=SALE]")
    bob.click("#dispose-button")
    # Back to back: the waiting caller, and the card is the caller's, not the last lead's.
    bob.wait_for_selector("#lead .lead-name:has-text('Caller +13125550171')", timeout=WAIT)
    wait_state(bob, "on_call")
    assert _facts(bob).startswith("inbound · queue sales · waited ")
    assert outbound_lead not in bob.inner_text("#lead")
    console.wait_for_selector("#agents tr[data-agent=bob] td[data-col=call]:text-is("
                              "'inbound · sales')", timeout=WAIT)
    console.wait_for_selector(f"{row} td[data-col=waiting]:text-is('0')", timeout=WAIT)
    queue = next(q for q in env.monitor()["snapshot"]["queues"] if q["name"] == "sales")
    console.wait_for_selector(f"{row} td[data-col=answered]:text-is('{queue['answered']}')",
                              timeout=WAIT)

    # Listening on the inbound call: a typed phone must be one registered phone.
    console.fill("#sup-endpoint", "user/2001|sofia/gateway/x/+19005550100")
    console.click("tr[data-agent=bob] button[data-action=listen]")
    console.wait_for_selector("#message.bad:has-text('not one registered phone')",
                              timeout=WAIT)
    console.fill("#sup-endpoint", "user/2001")
    console.click("tr[data-agent=bob] button[data-action=listen]")
    console.wait_for_selector("#message:not(.bad):has-text('done')", timeout=WAIT)
    console.click("form:has(input[value=stop]) button")

    # The session ends mid-call: the next click leads to sign-in, and signing in again
    # brings the call and its caller back.
    token = next(c["value"] for c in bob.context.cookies() if c["name"] == "dialer_session")
    with env.store.session() as session:
        row_ = session.get(WebSession, hashlib.sha256(token.encode()).hexdigest())
        row_.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(row_)
        session.commit()
    bob.click("#hold-button")
    bob.wait_for_url("**/login*", timeout=WAIT)
    again = sign_in(browser, env.base_url, "bob", PASSWORD)
    again.goto(f"{env.base_url}/agent?campaign=spring")
    wait_state(again, "on_call")
    assert again.inner_text("#lead .lead-name") == "Caller +13125550171"
    env.hang_up("spring", env.view("spring", "bob")["call"]["id"])
    wait_state(again, "wrap_up")
    again.check("input[name=disposition][value=NI]")
    again.click("#dispose-button")
    wait_state(again, "ready")
    again.click("form:has(input[value=logout]) button")
    wait_state(again, "logged_out")


def test_queue_callbacks_on_the_agent_screen_and_why_one_waits_on_the_console(
        browser, env) -> None:
    ann = _agent(browser, env, "ann")
    ann.select_option("select[name=reason]", "break")
    ann.click("#pause-button")
    wait_state(ann, "paused")
    console = sign_in(browser, env.base_url, "sam", PASSWORD)
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    # Three callers ask to be called back: one in Guam (night there now), one in Chicago,
    # one in Miami (Florida's own rule wants a written consent for an automated call).
    env.place(number="+16714771234", keys="1", callback="yes")
    env.place(number="+13125550172", keys="1", callback="yes")
    env.place(number=MIAMI, keys="1", callback="yes")
    env.wait(lambda: {c.number for c in QueueCallbacks(env.store).callbacks()
                      if c.status == "pending"} >= {"+16714771234", "+13125550172", MIAMI}, 40)
    console.wait_for_selector("#queues tr[data-queue=sales] td[data-col=callbacks]:text-is"
                              "('3')", timeout=WAIT)
    console.wait_for_selector("#queue-callbacks tr td[data-col=why]:has-text('nobody "
                              "serving the queue')", timeout=WAIT)
    # Nobody has asked the compliance gate about them yet: the console says so.
    assert console.inner_text("#queue-callbacks tr:has(td:text-is('+16714771234')) "
                              "td[data-col=verdict]") == "not yet asked"

    _watch_screen(ann)
    ann.click("#ready-button")
    wait_state(ann, "on_call")
    # Before the dial connects the agent sees what comes: a callback, its queue and number.
    seen = ann.evaluate("() => window.seen")
    assert any(s.startswith("reserved|callback · queue sales · +13125550172 · ")
               for s in seen), seen
    assert _facts(ann) == "callback · queue sales · +13125550172"
    ann.wait_for_selector("#caller-calls td:has-text('callback_requested')", timeout=WAIT)
    # The Guam callback was held by the gate (federal calling hours): the console shows the
    # gate's verdict, and the next try in the caller's local time (the feed's rendering).
    guam = "#queue-callbacks tr:has(td:text-is('+16714771234'))"
    console.wait_for_selector(f"{guam} td[data-col=state]:text-is('held')", timeout=WAIT)
    assert console.inner_text(f"{guam} td[data-col=why]") == "held by the compliance gate"
    verdict = console.inner_text(f"{guam} td[data-col=verdict]")
    assert verdict.startswith("us.calling_hours: "), verdict
    assert "in Pacific/Guam is outside Mon-Sun 08:00-21:00" in verdict
    assert "next try at 08:00 caller's local time (Pacific/Guam)" in verdict
    assert "earliest-allowed" not in verdict
    assert "22:00 UTC" in console.inner_text(f"{guam} td[data-col=next-try]")  # 08:00 in Guam
    assert "in Pacific/Guam" in console.inner_text(f"{guam} td[data-col=caller-time]")
    assert "caller's local time (information)" in console.inner_text("#queue-callbacks thead")

    # A third caller asks for a callback, then phones again while it waits: the new call
    # takes its place and the callback is cancelled.
    env.place(number="+13125550173", keys="1", callback="yes")
    console.wait_for_selector("#queue-callbacks tr:has(td:text-is('+13125550173'))",
                              timeout=WAIT)
    env.place(number="+13125550173", keys="1", talk=3600)
    env.wait(lambda: any(c.number == "+13125550173" and c.status == "cancelled"
                         for c in QueueCallbacks(env.store).callbacks()), 30)
    console.wait_for_selector("#queue-callbacks tr:has(td:text-is('+13125550173'))",
                              state="detached", timeout=WAIT)
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=SALE]")
    ann.click("#dispose-button")
    ann.wait_for_selector("#lead .lead-name:has-text('Caller +13125550173')", timeout=WAIT)
    wait_state(ann, "on_call")
    # The Miami callback came to the front before that caller: Florida's consent rule refused
    # it for good, and the console keeps it with the state rule's reason.
    miami = f"#queue-callbacks tr:has(td:text-is('{MIAMI}'))"
    console.wait_for_selector(f"{miami} td[data-col=state]:text-is('cancelled')", timeout=WAIT)
    verdict = console.inner_text(f"{miami} td[data-col=verdict]")
    assert "state.FL.consent: " in verdict and "final: " in verdict, verdict
    # After a reload the server renders the same row.
    console.reload()
    assert "state.FL.consent: " in console.inner_text(f"{miami} td[data-col=verdict]")
    assert _facts(ann).startswith("inbound · queue sales")
    assert "cancelled" in ann.inner_text("#caller-callbacks")
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=NI]")
    ann.click("#dispose-button")
    wait_state(ann, "ready")

    # A voicemail's callback reaches the agent as a callback to the caller.
    voicemails = VoicemailStore(env.store)
    now = datetime.fromtimestamp(env.clock(), UTC)
    message = voicemails.add_voicemail(str(uuid.uuid4()), "sales", "+13125550174",
                                       "voicemail/sales/x.wav", now, now)
    voicemails.voicemail_to_callback(message.id, str(uuid.uuid4()), at=now)
    ann.wait_for_selector("[data-field=call-facts]:has-text('callback · queue sales · "
                          "+13125550174')", timeout=WAIT)
    wait_state(ann, "on_call")
    env.hang_up("spring", env.view("spring", "ann")["call"]["id"])
    wait_state(ann, "wrap_up")
    ann.check("input[name=disposition][value=SALE]")
    ann.click("#dispose-button")
    wait_state(ann, "ready")
    ann.click("form:has(input[value=logout]) button")
    wait_state(ann, "logged_out")


def test_an_agent_cannot_reach_the_console_or_another_call(browser, env) -> None:
    agent = sign_in(browser, env.base_url, "bob", PASSWORD)
    answer = agent.goto(f"{env.base_url}/supervisor?campaign=spring")
    assert answer.status == 403
    assert "not for your role (agent)" in agent.inner_text("[data-field=refusal]")
    for path in ("/supervisor/summary?campaign=spring", "/supervisor/events?campaign=spring",
                 "/agent/lead/call:someone-elses?campaign=spring"):
        got = agent.request.get(f"{env.base_url}{path}", headers={"accept": "application/json"})
        assert got.status == 403, path
    posted = agent.request.post(f"{env.base_url}/supervisor/action",
                                form={"campaign": "spring", "action": "campaign_resume"},
                                headers={"accept": "application/json"})
    assert posted.status == 403
    assert all(e.action != "campaign_resume" or e.user_name == "sam"
               for e in env.store.audit_entries(campaigns=["spring"], limit=50))
