"""Hypothesis: over random interleavings of campaign dials and queue callback dials to the
same numbers by two dialer processes on one SQLite file (each process's gate loaded at
random moments, so its view of the journal is as stale as it gets between loads), no call
the journal holds breaks the campaign's cap (3 calls to a number in 24 hours) or
Regulation F's 7 calls in 7 days (rolling, and in the number's 7 local calendar days),
recounted independently from the store's rows. Fails on main: a callback's dial was not
in the journal, so neither the other process nor the re-count saw it."""

from __future__ import annotations

import shutil
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.queue_callbacks import QueueCallbacks
from campaigns.store import CampaignStore
from dnc.rules.model import AttemptCap, CampaignRules, Profile
from tests.dialer.runner.callback_journal_kit import MONDAY, NUMBERS, dialed, process, seed

CAP = 3
RULES = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F),
                      autodialed=False, seller="Acme",
                      attempt_caps=(AttemptCap(CAP, timedelta(hours=24), per_person=False),))
NEW_YORK = ZoneInfo("America/New_York")
PAIR = NUMBERS[:2]
START = MONDAY.replace(hour=13, minute=30)  # 08:30 in New York

Action = tuple[str, int, str, int]
"""(what: hold or dial, process 0/1, kind: lead or callback, number 0/1)."""

actions = st.lists(st.tuples(
    st.integers(0, 8), st.integers(0, 11 * 60),  # day, minute from 08:30 New York
    st.sampled_from(["dial", "dial", "dial", "hold"]), st.integers(0, 1),
    st.sampled_from(["lead", "callback"]), st.integers(0, 1)), min_size=4, max_size=30)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> str:
    """A seeded database (migrated once), copied for each example."""
    path = tmp_path_factory.mktemp("template") / "dialer.db"
    seed(f"sqlite:///{path}", PAIR)
    store = CampaignStore.open(f"sqlite:///{path}", upgrade=False)
    callbacks = QueueCallbacks(store)
    for owner in "ab":  # each process's own callbacks to both numbers
        for i, number in enumerate(PAIR):
            callbacks.add_callback(f"cb-{owner}{i}", "sales", number, START, at=START)
    store.close()
    return str(path)


def _recount(store: CampaignStore, placed: list[tuple[str, object]]) -> None:
    """Every call placed (each dial its process sent) is in the journal, and none breaks a
    limit, counted here from the store's rows."""
    journal = sorted((a.phone, a.dialed_at) for number in PAIR
                     for a in store.attempts_for_number(number, START - timedelta(days=1)))
    assert journal == sorted(placed)
    for number in PAIR:
        calls = [at for phone, at in journal if phone == number]
        for at in calls:
            day = at.astimezone(NEW_YORK).date()
            week_start = day - timedelta(days=6)
            assert sum(at - timedelta(hours=24) <= c <= at for c in calls) <= CAP, calls
            assert sum(at - timedelta(days=7) <= c <= at for c in calls) <= 7, calls
            assert sum(week_start <= c.astimezone(NEW_YORK).date() <= day
                       for c in calls) <= 7, calls


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=actions)
def test_no_limit_is_broken_by_campaign_and_callback_dials_across_processes(
        template, tmp_path_factory, plan) -> None:
    path = tmp_path_factory.mktemp("example") / "dialer.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    procs = [process(url, owner, rules=RULES) for owner in "ab"]
    steps = sorted(plan)
    first = START + timedelta(days=steps[0][0], minutes=steps[0][1]) - timedelta(minutes=1)
    targets = [_hold(proc, first) for proc in procs]
    placed: list[tuple[str, object]] = []
    try:
        for n, (day, minute, what, who, kind, index) in enumerate(steps):
            at = START + timedelta(days=day, minutes=minute, seconds=n)
            if what == "hold":
                targets[who] = _hold(procs[who], at)
                continue
            target = targets[who][kind][index]
            if dialed(procs[who].dial(target, at)):
                placed.append((target.number_e164, at))
        _recount(procs[0].store, placed)
    finally:
        for proc in procs:
            proc.close()


def _hold(proc, at) -> dict[str, list]:
    """The process loads (again) its leads and its callbacks of both numbers: its gate's
    view of the journal as it stands now."""
    owner = proc.owner
    return {"lead": [proc.hold_lead(number, at) for number in PAIR],
            "callback": [proc.hold_callback(f"cb-{owner}{i}", number, at)
                         for i, number in enumerate(PAIR)]}
