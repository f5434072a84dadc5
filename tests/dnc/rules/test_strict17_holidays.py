"""Seventeenth adversarial pass: Louisiana's legal holidays the calendar missed.

La. R.S. 45:811(3) forbids telephone solicitation "on days declared to be a state holiday";
the LA row reads every R.S. 1:55 holiday (the strict statutory reading). The current text of
1:55(A)(1) (legis.la.gov, Law.aspx?d=74097) names January 8, the Battle of New Orleans, and
Act 128 of 2021 (HB 554) made the third Saturday in June Juneteenth Day, a legal holiday, with
state offices closed the Friday before from 2022. Neither was in the calendar: a call to a
Louisiana number at noon on Friday 8 January 2027 or Saturday 19 June 2027 was allowed
(docs/compliance-proof.md, "Seventeenth pass")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import campaign, fresh_versions
from test_rules_review_findings import US, checker, local

from dnc.rules.model import LeadFacts, LineType

NEW_ORLEANS = "+15045550123"


def _louisiana_at_noon(day: date, hour: int = 12):
    at = local("America/Chicago", day.year, day.month, day.day, hour)
    lead = LeadFacts(NEW_ORLEANS, state="LA", line_type=LineType.LANDLINE)
    engine = checker(at, versions=fresh_versions(at))
    return engine.check(lead, campaign(*US, autodialed=False), at)


def _third_saturday_of_june(year: int) -> date:
    first = date(year, 6, 1)
    return first + timedelta(days=(5 - first.weekday()) % 7 + 14)


@pytest.mark.parametrize(("day", "banned"), [
    (date(2027, 1, 8), True),    # Battle of New Orleans, a Friday
    (date(2026, 1, 8), True),    # a Thursday
    (date(2027, 1, 7), False),
    (date(2027, 6, 19), True),   # Juneteenth Day: the third Saturday in June
    (date(2027, 6, 18), True),   # state offices closed the Friday before (strict: verify)
    (date(2026, 6, 20), True),
    (date(2026, 6, 19), True),
    (date(2026, 6, 13), False),  # the second Saturday
    (date(2020, 6, 20), False),  # before Act 128 of 2021
])
def test_louisiana_battle_of_new_orleans_and_juneteenth_day_are_banned(day, banned):
    decision = _louisiana_at_noon(day)
    failing = {o.rule_id for o in decision.reasons}
    assert ("state.LA.hours" in failing) is banned, decision.reasons


@settings(max_examples=40, deadline=None)
@given(year=st.integers(2022, 2060), hour=st.integers(8, 19))
def test_no_louisiana_call_on_its_january_or_june_holidays_in_any_year(year, hour):
    """Whatever the year and the hour inside the row's 08:00-20:00 window, no call is allowed
    on 8 January or on Juneteenth Day (the third Saturday in June) and the Friday before."""
    saturday = _third_saturday_of_june(year)
    for day in (date(year, 1, 8), saturday, saturday - timedelta(days=1)):
        decision = _louisiana_at_noon(day, hour)
        assert not decision.allowed, (day, hour)
        assert "state.LA.hours" in {o.rule_id for o in decision.reasons}
