"""The real browser the web tests drive: Debian's chromium under Playwright for Python.

One place for where chromium is, how it is launched (CI runs as root, hence no sandbox) and
the skip, with its reason, when chromium or Playwright is missing, so the browser test
modules share them instead of each keeping a copy. A browser test module sets
``pytestmark = needs_chromium`` and asks for the ``browser`` fixture (conftest.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no chromium at {CHROMIUM}: `apt-get install -y chromium` (CI's .ci/run does)")


@contextmanager
def launched_chromium() -> Iterator[object]:
    """A chromium browser, closed on leaving; skips the test when Playwright is missing."""
    playwright_sync = pytest.importorskip("playwright.sync_api",
                                          reason="Playwright for Python is not installed")
    with playwright_sync.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


WAIT = 30_000
"""Playwright's waits (ms): generous, as the machine may be loaded; never asserted on."""


def sign_in(browser: object, base_url: str, name: str, password: str, **context: object
            ) -> object:
    """A new browser context signed in as ``name`` (on the page the sign-in leads to)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900},  # type: ignore[attr-defined]
                               **context).new_page()
    page.set_default_timeout(WAIT)
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return page


def agent_desk(browser: object, base_url: str, name: str, password: str, campaign: str
               ) -> object:
    """Agent ``name``'s desktop on ``campaign``, signed in, once its first view has
    arrived. The browser's clock is UTC: a callback time typed in the page is then the UTC
    the test means."""
    page = sign_in(browser, base_url, name, password, timezone_id="UTC")
    page.goto(f"{base_url}/agent?campaign={campaign}")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !!document.body.dataset.updatedAt", timeout=WAIT)
    return page


def wait_state(page: object, *states: str) -> None:
    """Until the agent desktop shows one of ``states`` (its body's ``data-state``)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "(states) => states.includes(document.body.dataset.state)", arg=list(states),
        timeout=WAIT)
