"""A seller sent with the console's pacing form is refused, the whole form with it, naming
the command that changes a seller (checked against the consents imported for the campaign:
``dialer campaign edit --seller``, docs/campaigns.md). Before, the console dropped such a
field without a word and applied the pacing beside it: the supervisor read "pacing changed"
while the seller they typed was never checked nor stored.

The browser test runs Debian's chromium under Playwright against ``dialer web``; it is
skipped, with the reason, when chromium or Playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import pytest
from browser_kit import WAIT, needs_chromium, sign_in
from web_kit import PASSWORD, running_web

from campaigns.stored_settings import stored_settings
from dialer.web.pacing_form import SELLER_REFUSAL, PacingRefused, pacing_changes


@pytest.mark.parametrize("field", ["seller_name", "compliance.seller_name", "Seller",
                                   "new_seller"])
def test_a_form_naming_a_seller_is_refused_whole(field) -> None:
    with pytest.raises(PacingRefused) as refused:
        pacing_changes({"lines_per_agent": "1.5", field: "Other Seller Inc"})
    assert refused.value.field == field and str(refused.value) == SELLER_REFUSAL
    assert "dialer campaign edit" in SELLER_REFUSAL and "64.1200(f)(9)" in SELLER_REFUSAL


def test_a_pacing_form_without_a_seller_is_read_as_before() -> None:
    assert pacing_changes({"lines_per_agent": "1.5", "action": "pacing",
                           "campaign": "spring"}) == {"lines_per_agent": 1.5}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("browser-seller")) as env:
        yield env


@needs_chromium
def test_the_console_refuses_a_seller_sent_with_its_pacing_form(browser, env) -> None:
    console = sign_in(browser, env.base_url, "sam", PASSWORD)
    console.goto(f"{env.base_url}/supervisor?campaign=spring")
    console.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    before = stored_settings(env.store.campaign("spring"))
    lines = env.runners["spring"].engine.config.lines_per_agent
    # A seller field in the form (an older page, a customised template, a tool filling it).
    console.evaluate("""() => {
        const input = document.createElement('input');
        input.name = 'seller_name'; input.value = 'Other Seller Inc';
        document.querySelector('form.pacing-form').appendChild(input);
    }""")
    console.fill("input[name=lines_per_agent]", "1.75")
    console.click("form.pacing-form button[type=submit]")
    said = console.locator("form.pacing-form [data-form-message]")
    said.wait_for(state="visible", timeout=WAIT)
    assert "the seller is not changed from the console" in said.inner_text()
    assert "dialer campaign edit" in said.inner_text()
    after = stored_settings(env.store.campaign("spring"))
    assert after.compliance.seller_name == before.compliance.seller_name
    assert env.store.settings("spring").lines_per_agent == before.lines_per_agent
    assert env.runners["spring"].engine.config.lines_per_agent == lines
    refused = env.store.audit_entries(campaigns=["spring"], limit=1)[0]
    assert refused.action == "pacing" and not refused.ok
    assert "seller" in (refused.detail or "")
    console.context.close()
