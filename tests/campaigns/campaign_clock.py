"""The fixed instant the campaign store tests run at.

Its own module, not a name in ``conftest.py``: every test directory has a ``conftest``,
and with pytest's prepend import mode ``from conftest import NOW`` gets whichever
directory's conftest was loaded last (tests/campaigns with tests/dialer/web in one run
found the web one, which has no ``NOW``)."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
