"""An agent with two sign-in tabs in one browser (the tenth first-hour pass,
docs/operations.md): each page load set a new CSRF cookie, so the first tab's form was
refused as stale once the second was opened."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

import pytest

from campaigns.store import CampaignStore
from dialer.web.server import WebSettings, build_app

with warnings.catch_warnings():  # starlette prefers httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


@pytest.fixture
def browser(tmp_path):
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    store = CampaignStore.open(url)
    store.create_campaign("spring", {"caller_ids": ["+12015550100"]},
                          at=datetime.now(UTC), agents=[("ann", "user/1001")])
    store.add_user("ann", "agent", PASSWORD, at=datetime.now(UTC))
    app = build_app(WebSettings(database=url, data=tmp_path), store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    store.close()


def _form_token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _sign_in(browser, token: str, password: str = PASSWORD):
    return browser.post("/login", data={"csrf": token, "name": "ann", "password": password},
                        follow_redirects=False)


def test_the_first_of_two_sign_in_tabs_still_signs_in(browser):
    first = _form_token(browser.get("/login").text)
    browser.get("/login")  # the second tab
    answer = _sign_in(browser, first)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/agent"  # was /login?msg=the sign-in form is stale


def test_a_tab_left_on_the_form_after_the_other_signed_in_goes_to_the_desk(browser):
    first = _form_token(browser.get("/login").text)
    second = _form_token(browser.get("/login").text)
    assert _sign_in(browser, second).headers["location"] == "/agent"
    again = _sign_in(browser, first)
    assert again.headers["location"].endswith("/agent")  # not "the sign-in form is stale"
    opened = browser.get("/login", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].endswith("/agent")


def test_a_wrong_password_still_comes_back_to_the_form_with_the_reason(browser):
    answer = _sign_in(browser, _form_token(browser.get("/login").text), "wrong")
    assert "wrong+name+or+password" in answer.headers["location"]
    assert "wrong name or password" in browser.get(answer.headers["location"]).text
