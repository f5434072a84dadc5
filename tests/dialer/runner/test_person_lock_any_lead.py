"""The journaling re-count locks and counts the person whichever lead a dial goes through.

Two dialer processes dial two numbers of one Florida person (Fla. Stat. 501.616(6)(b): 3
calls in 24 hours "regardless of the number of telephone numbers"): process A through the
person's lead in campaign ``spring``, process B through campaign ``autumn``'s lead of the
person's second number, which names no person. On the code before, B's batch locked only
its number and was judged on that number's calls alone: whichever committed second, the
person got a fourth call. Now B's batch takes the lock of every person whose lead has its
number, and is judged as that person's call.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    return migrated_store_url(request, tmp_path)


def _seed(url: str) -> None:
    """The person on two numbers in ``spring`` with two calls already made today, and
    ``autumn`` holding the second number without saying whose it is."""
    store = CampaignStore.open(url, upgrade=False)
    seed(store, [FIRST, SECOND], past=2)
    store.create_campaign("autumn", SETTINGS, at=AT - timedelta(days=40))
    store.add_leads("autumn", [LeadInput(SECOND[2:], state="FL")], at=AT - timedelta(days=40))
    store.close()


def _holds(url: str, tmp_path):
    a, b = process(url, "a"), process(url, "b", tmp_path / "audit-b")
    [lead_a] = a.hold([FIRST], AT - timedelta(minutes=5), campaign="spring")
    [lead_b] = b.hold([SECOND], AT - timedelta(minutes=5), campaign="autumn", contact_id=None)
    return a, b, lead_a, lead_b


def test_the_dial_through_a_lead_naming_no_person_is_the_persons_fourth_call(db_url, tmp_path):
    """In turn: A's call (the third) is journaled, then B's: refused where it is journaled,
    as the person's fourth call in 24 hours (its gate, per number, allowed it)."""
    url = db_url
    _seed(url)
    a, b, lead_a, lead_b = _holds(url, tmp_path)
    assert a.dial(lead_a, AT).begun
    later = AT + timedelta(seconds=1)
    verdict = b.gate.check(lead_b, later.timestamp())
    assert verdict.allowed  # the gate knows the number, not whose it is
    result = b.journal([lead_b], later, verdict.decision_id)
    assert not result.begun, "a fourth call in 24 h to the person"
    [why] = result.refused.values()
    assert "state.FL.attempts" in why and f"person '{PERSON}'" in why
    assert len(calls_to_person(a.store, AT - timedelta(days=1))) == 3
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()


def test_the_second_batch_waits_on_the_person_whichever_lead_it_dials(db_url, tmp_path):
    """The race made explicit: A's batch is inside its transaction, its dial admitted (the
    third call) and not committed, when B's batch for the person's second number through
    the lead naming no person begins. B waits for A (PostgreSQL: seen waiting on an advisory
    lock; SQLite: on the write lock) and then counts A's call."""
    url = db_url
    _seed(url)
    a, b, lead_a, lead_b = _holds(url, tmp_path)
    outcome = race_behind_a_paused_batch(a, b, lead_a, lead_b, url)
    assert outcome["a"].begun and outcome["b_allowed_by_gate"]
    assert not outcome["b"].begun, "a fourth call in 24 h to the person"
    assert len(calls_to_person(a.store, AT - timedelta(days=1))) == 3
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()


def test_the_batch_locks_every_person_whose_lead_has_its_number(tmp_path, monkeypatch):
    """What each batch locks, recorded: B's batch (a lead naming no person) takes the
    person's lock, the key A's batch takes, so on PostgreSQL neither counts before the
    other has written (SQLite serialises every writer anyway); and each takes the lock of
    the person's other number, whose calls it counts."""
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    CampaignStore.open(url).close()
    _seed(url)
    locked: list[tuple[list[str], list[str]]] = []
    real_lock = attempt_recount.lock_people_and_numbers

    def recording(session, numbers, contacts):
        locked.append((list(numbers), list(contacts)))
        return real_lock(session, numbers, contacts)

    monkeypatch.setattr(attempt_recount, "lock_people_and_numbers", recording)
    a, b, lead_a, lead_b = _holds(url, tmp_path)
    a.dial(lead_a, AT)
    b.dial(lead_b, AT + timedelta(seconds=1))
    # Each batch locks its number, the person and (tenth pass) the person's other number.
    assert [(sorted(numbers), people) for numbers, people in locked] == \
        [([FIRST, SECOND], [PERSON]), ([FIRST, SECOND], [PERSON])]
    assert {attempt_recount.lock_key("person", p) for _, people in locked for p in people} \
        == {attempt_recount.lock_key("person", PERSON)}
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()


@pytest.mark.parametrize("others", [0, 2])
def test_a_number_no_person_holds_locks_no_one(tmp_path, others):
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    store = CampaignStore.open(url)
    store.create_campaign("autumn", SETTINGS, at=AT - timedelta(days=40))
    numbers = person_numbers(1 + others)
    store.add_leads("autumn", [LeadInput(n[2:], state="FL") for n in numbers],
                    at=AT - timedelta(days=40))
    with store.read_session() as session:
        assert attempt_recount.owners_of_numbers(session, numbers) == {}
    store.close()
