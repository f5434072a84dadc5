"""A report's list figures are the period's (first-hour eleventh pass): the report of a day
without a call showed the campaign's lifetime penetration, read as that day's work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_reports import DAY0, _seed

from campaigns.leads import LeadInput
from campaigns.reports import campaign_report

MIDNIGHT = DAY0.replace(hour=0)


def test_an_empty_day_shows_no_penetration(store):
    _seed(store)  # 4 leads dialed on day 0, 3 on day 1, of 20
    empty = campaign_report(store, "r", MIDNIGHT + timedelta(days=2),
                            MIDNIGHT + timedelta(days=3))
    assert empty.summary["dials"] == 0
    assert empty.summary["list_penetration"] == 0.0  # was 7 / 20, the lifetime's
    assert empty.summary["list_penetration_at_end"] == pytest.approx(7 / 20)
    (row,) = empty.lists.to_dict("records")
    assert (row["leads"], row["dialed"], row["attempts"], row["penetration"]) == (20, 0, 0, 0.0)


def test_each_day_shows_its_own_penetration(store):
    _seed(store)
    day0 = campaign_report(store, "r", MIDNIGHT, MIDNIGHT + timedelta(days=1))
    day1 = campaign_report(store, "r", MIDNIGHT + timedelta(days=1),
                           MIDNIGHT + timedelta(days=2))
    assert day0.summary["list_penetration"] == pytest.approx(4 / 20)
    assert day0.summary["list_penetration_at_end"] == pytest.approx(4 / 20)
    assert day1.summary["list_penetration"] == pytest.approx(3 / 20)
    assert day1.summary["list_penetration_at_end"] == pytest.approx(7 / 20)
    assert day1.lists["attempts"].tolist() == [3]


def test_a_list_imported_after_the_period_is_not_in_it(store):
    _seed(store)
    store.add_leads("r", [LeadInput("+12015559999")], at=DAY0 + timedelta(days=5),
                    list_name="later")
    day2 = campaign_report(store, "r", MIDNIGHT + timedelta(days=2),
                           MIDNIGHT + timedelta(days=3))
    assert day2.lists["list"].tolist() == ["api"] and day2.summary["leads"] == 20
    before = campaign_report(store, "r", MIDNIGHT - timedelta(days=1), MIDNIGHT)
    assert len(before.lists) == 0 and before.summary["list_penetration"] is None
