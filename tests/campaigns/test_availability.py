"""Which leads are callable now, and in plain words why none is (``dialer run``, ``doctor``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from campaigns.availability import lead_availability, next_opening
from campaigns.leads import LeadInput
from campaigns.models import Lead
from campaigns.settings import CallingWindow
from tests.campaigns.ready import STARTABLE

# Tuesday 2026-11-17: 05:00 in New York (EST, UTC-5), 02:00 in Los Angeles.
NIGHT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
NOON_NY = datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
CALLER = {**STARTABLE}


def _campaign(store, leads, **settings):
    store.create_campaign("c", {**CALLER, **settings}, at=NIGHT - timedelta(days=1))
    store.add_leads("c", leads, at=NIGHT - timedelta(days=1))
    store.transition_campaign("c", "running", at=NIGHT - timedelta(days=1))


def test_every_lead_outside_hours_says_until_when_with_the_schedule(store):
    _campaign(store, [LeadInput(f"+1201555{i:04d}", timezone="America/New_York")
                      for i in range(17)])
    leads = lead_availability(store, "c", NIGHT)
    assert leads.due == 17 and leads.callable_now == 0
    assert leads.reason() == ("all 17 leads are outside calling hours until 14:00 UTC "
                              "(campaign schedule 09:00–20:00 Mon–Sat in America/New_York)")
    assert lead_availability(store, "c", NOON_NY).reason() is None


def test_some_zones_open_means_callable(store):
    _campaign(store, [LeadInput("+12015550001", timezone="America/New_York"),
                      LeadInput("+14155550001", timezone="America/Los_Angeles")])
    # 14:30 UTC: 09:30 in New York, 06:30 in Los Angeles.
    at = datetime(2026, 11, 17, 14, 30, tzinfo=UTC)
    leads = lead_availability(store, "c", at)
    assert leads.callable_now == 1 and leads.reason() is None


def test_leads_waiting_for_their_retry_time_say_when(store):
    _campaign(store, [LeadInput(f"+1201555{i:04d}", timezone="America/New_York")
                      for i in range(3)])
    later = NOON_NY + timedelta(hours=2)
    with store.session() as session:
        session.execute(sa.update(Lead).values(status="retry", next_attempt_at=later,
                                               block_reason="busy: retry in 2 h"))
        session.commit()
    reason = lead_availability(store, "c", NOON_NY).reason()
    assert reason == ("no lead is callable now: 3 waiting until 19:00 UTC "
                      "(busy: retry in 2 h)")


def test_no_leads_and_no_leads_left(store):
    store.create_campaign("empty", CALLER, at=NIGHT)
    assert "has no leads" in lead_availability(store, "empty", NIGHT).reason()
    _campaign(store, [LeadInput("+12015550001")])
    with store.session() as session:
        session.execute(sa.update(Lead).values(status="done"))
        session.commit()
    leads = lead_availability(store, "c", NOON_NY)
    assert leads.dialable == 0 and leads.reason() == "no lead is left to dial (done 1)"


def test_next_opening_respects_days_and_the_federal_window():
    window = CallingWindow(start="07:00", end="23:00", days=(0, 1, 2, 3, 4))
    # Friday 23:30 New York: next weekday 08:00 (the law's, not the schedule's 07:00).
    friday_night = datetime(2026, 11, 21, 4, 30, tzinfo=UTC)
    opening = next_opening(window, "America/New_York", friday_night)
    assert opening == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    # An area code spanning two zones opens when both are open.
    both = next_opening(CallingWindow(), "America/New_York,America/Chicago", NIGHT)
    assert both == datetime(2026, 11, 17, 15, 0, tzinfo=UTC)


def test_schedules_in_words():
    from campaigns.availability import describe_window

    assert describe_window(CallingWindow()) == "09:00–20:00 Mon–Sat"
    assert describe_window(CallingWindow(days=(1,))) == "09:00–20:00 Tue only"
    assert describe_window(CallingWindow(days=(0, 2, 4))) == "09:00–20:00 Mon, Wed, Fri"
    assert describe_window(CallingWindow(days=tuple(range(7)))).endswith("every day")
