"""The journaling re-count locks the person's other numbers, whose calls it counts.

The sixth pass left it open: the re-count read the calls to every number of the person but
locked only the batch's own numbers and people. A batch of another process journaling a
call to the person's other number without taking the person's lock (a dial through a lead
that names no person, whose number it did not yet know to be the person's: the lead linking
it was imported while that batch was in its transaction) was not waited for, and its call,
not yet committed, was not counted: Florida's 3 calls in 24 hours (Fla. Stat.
501.616(6)(b), "regardless of the number of telephone numbers") became 4. Now a batch locks
every number of its people, so it waits for that batch and counts its call.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaigns.attempt_recount as attempt_recount
from campaigns.leads import LeadInput
from campaigns.store import CampaignStore
from tests.dialer.runner.person_caps_kit import (
    AT,
    PERSON,
    SETTINGS,
    calls_to_person,
    migrated_store_url,
    person_numbers,
    process,
    race_behind_a_paused_batch,
    seed,
)
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

FIRST, SECOND = person_numbers(2)


def _seed(url: str) -> None:
    """The person's lead on FIRST in ``spring`` with two calls made today; ``autumn`` holds
    SECOND naming no person, and no lead says yet that SECOND is the person's."""
    store = CampaignStore.open(url, upgrade=False)
    seed(store, [FIRST], past=2)
    store.create_campaign("autumn", SETTINGS, at=AT - timedelta(days=40))
    store.add_leads("autumn", [LeadInput(SECOND[2:], state="FL")], at=AT - timedelta(days=40))
    store.close()


def _link(url: str) -> None:
    """A lead import says SECOND is the person's (their second number in ``spring``)."""
    store = CampaignStore.open(url, upgrade=False)
    store.add_leads("spring", [LeadInput(SECOND[2:], contact_id=PERSON, state="FL")],
                    at=AT - timedelta(minutes=1))
    store.close()


@pytest.mark.postgres
def test_a_call_to_the_persons_other_number_in_flight_is_waited_for_and_counted(
        pg_schema_url, tmp_path):  # noqa: F811
    """A journals a call to SECOND through ``autumn``'s lead naming no person and pauses
    inside its transaction, its dial admitted (SECOND is nobody's yet: it locks SECOND
    alone). The person's lead on SECOND is imported. B journals a call to FIRST through
    the person's lead: their fourth (two today, A's, B's); B's gate allowed it (A's call
    is not committed). On the code before, B locked FIRST and the person, did not wait, did not
    see A's call and journaled a fourth call in 24 hours; now B locks SECOND too, waits
    for A, and refuses."""
    url = migrated_store_url_for(pg_schema_url)
    _seed(url)
    a, b = process(url, "a"), process(url, "b", tmp_path / "audit-b")
    [lead_a] = a.hold([SECOND], AT - timedelta(minutes=5), campaign="autumn", contact_id=None)
    [lead_b] = b.hold([FIRST], AT - timedelta(minutes=5), campaign="spring")
    # On the code before, B never waits: the kit's wait fails, saying so.
    outcome = race_behind_a_paused_batch(a, b, lead_a, lead_b, url, phone_a=SECOND,
                                         before_b=lambda: _link(url))
    assert outcome["a_allowed_by_gate"] and outcome["a"].begun
    assert outcome["b_allowed_by_gate"]
    assert not outcome["b"].begun, "a fourth call in 24 h to the person"
    [why] = outcome["b"].refused.values()
    assert "state.FL.attempts" in why
    assert len(calls_to_person(a.store, AT - timedelta(days=1))) == 3
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()


def migrated_store_url_for(url: str) -> str:
    CampaignStore.open(url).close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    return migrated_store_url(request, tmp_path)


def test_the_batch_locks_every_number_of_its_people(db_url, tmp_path, monkeypatch):
    """What a batch locks, recorded: the person's lead on FIRST (SECOND linked) takes the
    lock of SECOND too, the key a batch journaling a call to SECOND takes whatever lead it
    goes through. On the code before: FIRST and the person only."""
    url = db_url
    _seed(url)
    _link(url)
    locked: list[tuple[list[str], list[str]]] = []
    real_lock = attempt_recount.lock_people_and_numbers

    def recording(session, numbers, contacts):
        locked.append((sorted(numbers), list(contacts)))
        return real_lock(session, numbers, contacts)

    monkeypatch.setattr(attempt_recount, "lock_people_and_numbers", recording)
    b = process(url, "b")
    [lead_b] = b.hold([FIRST], AT - timedelta(minutes=5), campaign="spring")
    assert b.dial(lead_b, AT).begun
    assert locked == [([FIRST, SECOND], [PERSON])]
    b.gate.close()
    b.store.close()


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(["a", "link", "b"]), past=st.integers(0, 3))
def test_no_order_of_the_two_calls_and_the_link_exceeds_the_cap(tmp_path_factory, order, past):
    """Any order of A's call to SECOND (through the lead naming no person), the import
    linking SECOND to the person, and B's call to FIRST through the person's lead, each
    journaled by its own process and connection (SQLite: one writer at a time): a call
    known to be the person's when it is journaled is admitted only while the person has
    fewer than three calls in the closed 24 hours before it."""
    tmp = tmp_path_factory.mktemp("order")
    url = f"sqlite:///{tmp / 'dialer.db'}"
    CampaignStore.open(url).close()
    store = CampaignStore.open(url, upgrade=False)
    seed(store, [FIRST], past=past)
    store.create_campaign("autumn", SETTINGS, at=AT - timedelta(days=40))
    store.add_leads("autumn", [LeadInput(SECOND[2:], state="FL")], at=AT - timedelta(days=40))
    store.close()
    a, b = process(url, "a"), process(url, "b")
    [lead_a] = a.hold([SECOND], AT - timedelta(minutes=5), campaign="autumn", contact_id=None)
    [lead_b] = b.hold([FIRST], AT - timedelta(minutes=5), campaign="spring")
    moment = AT
    linked = False
    for step in order:
        moment += timedelta(seconds=1)
        if step == "link":
            _link(url)
            linked = True
            continue
        proc, lead = (a, lead_a) if step == "a" else (b, lead_b)
        before = len(calls_to_person(a.store, moment - timedelta(days=1)))
        result = proc.dial(lead, moment)
        if linked or step == "b":
            # A call known to be the person's: admitted only under the cap.
            assert not (result is not None and result.begun and before >= 3), (step, before)
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()
