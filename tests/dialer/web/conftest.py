"""Fixtures shared by the web tests."""

from __future__ import annotations

import pytest
from browser_kit import launched_chromium


@pytest.fixture(scope="module")
def browser():
    """One chromium per browser test module, closed after its last test."""
    with launched_chromium() as launched:
        yield launched
