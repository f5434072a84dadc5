"""Dates in rule reasons: the fast formatting writes exactly what strftime writes."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from dnc.rules import stamps


@given(st.datetimes(timezones=st.sampled_from([None, UTC])))
def test_stamps_equal_strftime(moment: datetime) -> None:
    assert stamps.day(moment) == format(moment, "%Y-%m-%d")
    assert stamps.day(moment.date()) == format(moment.date(), "%Y-%m-%d")
    assert stamps.minute(moment) == format(moment, "%Y-%m-%d %H:%M")
    assert stamps.weekday_minute(moment) == format(moment, "%a %Y-%m-%d %H:%M")
