"""An agent at the sign-in page typing their name as people do (first-hour eleventh pass,
docs/operations.md): capitalised, or pasted with a trailing blank, as is the password."""

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


@pytest.mark.parametrize(("name", "password"), [
    ("Ann", PASSWORD), ("ann ", PASSWORD), (" ANN", PASSWORD + " ")])
def test_the_agent_signs_in_as_typed(browser, name, password):
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    answer = browser.post("/login", data={"csrf": token, "name": name, "password": password},
                          follow_redirects=False)
    assert answer.headers["location"] == "/agent"  # was /login?msg=wrong name or password
    assert "ann" in browser.get("/agent").text
