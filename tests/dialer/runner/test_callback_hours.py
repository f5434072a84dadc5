"""The calling hours a queue callback keeps (dialer/runner/callback_hours.py): 08:00-21:00
in every zone the number may be in; a refusal names when the dial is allowed; a number no
zone is known for is refused (fail closed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialer.engine.inbound import _earliest_allowed
from dialer.ports import DialTarget
from dialer.runner.callback_hours import CallbackHours
from dialer.runner.dial_gate import rule_tables


@pytest.fixture(scope="module")
def gate() -> CallbackHours:
    return CallbackHours(rule_tables(Path("/nonexistent-data-dir")))


def _at(hour: int, minute: int = 30) -> float:
    return datetime(2026, 12, 7, hour, minute, tzinfo=UTC).timestamp()


def _check(gate: CallbackHours, number: str, at: float):
    return gate.check(DialTarget("queue-callback:cb-1", number, "c1"), at)


def test_a_chicago_number_is_called_back_in_its_hours_only(gate) -> None:
    # 03:30 UTC is 21:30 in Chicago: refused until 08:00 there (14:00 UTC).
    night = _check(gate, "+13125550177", _at(3))
    assert not night.allowed and "America/Chicago" in night.reasons[0]
    assert _earliest_allowed(night) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC).timestamp()
    assert _check(gate, "+13125550177", _at(15)).allowed
    assert not _check(gate, "+13125550177", _at(13, 59)).allowed


def test_every_zone_of_the_number_must_be_in_hours(gate) -> None:
    # Alaska's area code spans two zones (Anchorage, Adak): 18:00 UTC is 09:00 and 08:00.
    assert not _check(gate, "+19075550100", _at(17, 30)).allowed
    assert _check(gate, "+19075550100", _at(18, 5)).allowed
    london = _check(gate, "+442079460000", _at(7))
    assert not london.allowed and _earliest_allowed(london) == _at(8, 0)


def test_a_number_without_a_known_zone_is_refused_with_no_time(gate) -> None:
    verdict = _check(gate, "+999", _at(15))
    assert not verdict.allowed and _earliest_allowed(verdict) is None
    assert "cannot be proved" in verdict.reasons[0]
