"""A consent dated without a time counts only once its date has ended in every zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.consent_dates import counts_from, parse_consent_dates
from dnc.rules.consent import relied_consent
from dnc.rules.model import ConsentKind, ConsentRecord

NUMBER = "+12125550100"
WRITTEN = (ConsentKind.PRIOR_EXPRESS_WRITTEN,)
OFFSETS = [timezone(timedelta(hours=h)) for h in range(-12, 15)]
"""Every whole-hour UTC offset in use, UTC−12 (Baker Island) to UTC+14 (Kiritimati)."""


def _cell(day: date, style: str) -> tuple[str, str | None]:
    if style == "iso":
        return day.isoformat(), None
    if style == "dmy":
        return f"{day.day:02d}/{day.month:02d}/{day.year}", "dmy"
    return f"{day.month:02d}/{day.day:02d}/{day.year}", "mdy"


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1)),
       style=st.sampled_from(["iso", "dmy", "mdy"]),
       check=st.integers(min_value=-3 * 86400, max_value=4 * 86400))
def test_a_date_only_consent_never_counts_before_its_date_has_ended_everywhere(day, style,
                                                                               check):
    """Read as 00:00 UTC, 4 March counted from 19:00 EST on 3 March. For any date and any
    instant, the consent counts only once the date is over from UTC−12 to UTC+14."""
    cell, order = _cell(day, style)
    parsed = parse_consent_dates(pd.Series([cell]), order)
    assert parsed.date_only.tolist() == [True]
    consent = ConsentRecord(kind=ConsentKind.PRIOR_EXPRESS_WRITTEN,
                            given_at=parsed.given.iloc[0].to_pydatetime(), seller="Acme",
                            number=NUMBER)
    at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=check)
    found, _ = relied_consent([consent], WRITTEN, at, number=NUMBER, seller="Acme")
    ended_everywhere = all(at >= datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                                  tzinfo=zone) for zone in OFFSETS)
    assert (found is not None) == ended_everywhere
    assert consent.given_at == counts_from(day)


@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1)),
       minute=st.integers(min_value=0, max_value=24 * 60 - 1))
def test_a_consent_with_a_time_keeps_its_instant(day, minute):
    written = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
    parsed = parse_consent_dates(pd.Series([written.strftime("%Y-%m-%d %H:%M")]))
    assert parsed.date_only.tolist() == [False]
    assert parsed.given.iloc[0].to_pydatetime() == written
