"""Per-person limits across dialer processes (docs/compliance-proof.md, "Per-person limits
across processes"): two dialer processes, each with its own store connection and its own
dial-time gate, race dials to one person on different numbers against one database (a
SQLite file, or PostgreSQL when reachable), and the journal step's re-count keeps every
limit; the same over every interleaving of two gates' prefetch, check and journal steps
(hypothesis, on the gate's logic over an in-memory journal)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.attempt_recount import JournalDial, lock_key
from campaigns.store import CampaignStore
from dialer.runner.dial_gate import JOURNAL_REFUSAL_RETRY, DialTimeGate
from dialer.runner.execution import COMPLIANCE_RETRY
from dnc.interfaces import PastAttempt
from dnc.rules.audit import AuditLog
from dnc.rules.model import AttemptCap, CampaignRules, Profile
from tests.dialer.runner.person_caps_kit import (
    AT,
    FL_RULES,
    PERSON,
    Process,
    calls_to_person,
    lead_of,
    migrated_store_url,
    person_numbers,
    process,
    race_behind_a_paused_batch,
    seed,
)
from tests.dialer.runner.test_dial_gate import SELLER, FreshNational, consented, target
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    return migrated_store_url(request, tmp_path)


def _close(*processes: Process) -> None:
    for proc in processes:
        proc.gate.close()
        proc.store.close()


def test_a_refusal_at_journaling_is_retried_when_the_gate_would_retry_it() -> None:
    assert timedelta(seconds=COMPLIANCE_RETRY) == JOURNAL_REFUSAL_RETRY


def test_two_processes_racing_dials_to_one_person_never_exceed_the_cap(url, tmp_path) -> None:
    """Each process holds three leads of the person (six numbers, two campaigns) and dials
    them as fast as its gate allows, both at once: each gate alone would allow three calls
    (its own view), six in all; the journal step lets three through, whatever the order,
    and every refusal is audited and sends its lead back to the hopper."""
    numbers = person_numbers(6)
    store = CampaignStore.open(url, upgrade=False)
    seed(store, numbers, past=0, campaigns=2)
    store.close()
    procs = [process(url, name, tmp_path / f"audit-{name}") for name in ("a", "b")]
    held = [proc.hold(numbers[i::2], AT - timedelta(minutes=1)) for i, proc in
            enumerate(procs)]
    start = threading.Barrier(2)
    results: dict[str, list] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def run(proc: Process, targets) -> None:
        try:
            start.wait()
            for i, lead in enumerate(targets):
                results[proc.owner].append(proc.dial(lead, AT + timedelta(seconds=i)))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(p, t)) for p, t in zip(procs, held,
                                                                          strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(calls_to_person(procs[0].store, AT - timedelta(days=1))) == 3
    refused = [r for rs in results.values() for r in rs if r is not None and r.refused]
    gate_refused = sum(r is None for rs in results.values() for r in rs)
    assert len(refused) + gate_refused == 3
    assert refused, "no dial reached the journal step after the cap: the race was not run"
    journal_entries = [e for name in ("a", "b") for e in
                       AuditLog(tmp_path / f"audit-{name}").entries() if e["stage"] == "journal"]
    assert len(journal_entries) == len(refused)
    assert all(not e["allowed"] and e["failed"][0]["rule"] == "state.FL.attempts"
               for e in journal_entries)
    for result in refused:
        [why] = result.refused.values()
        assert "state.FL.attempts" in why
    for number in numbers:
        lead = lead_of(procs[0].store, number)
        assert lead.claimed_by is None
        assert lead.status in ("in_call", "new")
        if lead.status == "new" and lead.block_reason:
            assert lead.next_attempt_at >= AT + JOURNAL_REFUSAL_RETRY
    _close(*procs)


def test_the_second_batch_waits_for_the_first_and_counts_its_call(url, tmp_path) -> None:
    """A's batch is inside its transaction, its dial admitted (the third call) and not yet
    committed, when B's batch for another number of the person begins: B waits for A's
    commit (PostgreSQL: it is seen waiting on the person's advisory lock) and then counts
    A's call and refuses the fourth. Without the lock, B would count two calls and dial."""
    numbers = person_numbers(3)
    store = CampaignStore.open(url, upgrade=False)
    seed(store, numbers, past=2, campaigns=2)
    store.close()
    a, b = process(url, "a"), process(url, "b", tmp_path / "audit-b")
    [lead_a] = a.hold([numbers[1]], AT - timedelta(minutes=5))
    [lead_b] = b.hold([numbers[2]], AT - timedelta(minutes=5))
    outcome = race_behind_a_paused_batch(a, b, lead_a, lead_b, url)
    assert outcome["a"].begun and outcome["b_allowed_by_gate"]
    assert not outcome["b"].begun, "a fourth call in 24 h to person p1"
    assert len(calls_to_person(a.store, AT - timedelta(days=1))) == 3
    _close(a, b)


def test_lock_keys_are_stable_and_distinct() -> None:
    """The same person or number gives the same key in every process and version (not
    Python's salted hash); a person and a number of the same text do not collide."""
    assert lock_key("person", "p1") == lock_key("person", "p1")
    assert lock_key("person", "p1") != lock_key("number", "p1")
    assert lock_key("person", "p1") == 9085914392095048099
    assert lock_key("number", "+13055550101") == -3112450319211044759


# --- every interleaving, on the gate's logic ---------------------------------------------

class Journal:
    """The shared attempt journal (every process's), as the gates' history source."""

    def __init__(self) -> None:
        self.rows: list[PastAttempt] = []

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.rows if a.number_e164 == number_e164 and a.at >= since]

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.rows if a.contact_id == contact_id and a.at >= since]

    def read(self, numbers: set[str], contacts: set[str], since: datetime
             ) -> list[PastAttempt]:
        return [a for a in self.rows if a.at >= since and (
            a.number_e164 in numbers or a.contact_id in contacts)]


REG_F = CampaignRules("collect", profiles=(Profile.US_FEDERAL, Profile.US_STATE,
                                           Profile.REG_F), seller=SELLER, telemarketing=False)
CAPPED = CampaignRules("spring", profiles=(Profile.US_FEDERAL,), seller=SELLER,
                       subject="solar",
                       attempt_caps=(AttemptCap(2, timedelta(hours=24), per_person=True),))
NY = ZoneInfo("America/New_York")
LIMITS = {
    # rules, lead state, calls allowed, window (rolling, or local calendar days), calls
    # already made in the days before (so the limit is near)
    "florida": (FL_RULES, "FL", 3, timedelta(hours=24), 0),
    "regulation_f": (REG_F, "NY", 7, 7, 5),
    "campaign_cap": (CAPPED, "NY", 2, timedelta(hours=24), 0),
}
STEP = st.tuples(st.integers(0, 1), st.sampled_from(["prefetch", "check", "check", "journal"]),
                 st.integers(0, 10))


def _exceeds(calls: list[datetime], cap: int, window: timedelta | int) -> bool:
    if isinstance(window, timedelta):
        return any(sum(1 for c in calls if end - window < c <= end) > cap for end in calls)
    days = [c.astimezone(NY).date() for c in calls]
    return any(sum(1 for d in days if first <= d < first + timedelta(days=window)) > cap
               for first in {date.fromordinal(d.toordinal()) for d in days})


@pytest.mark.parametrize("limit", sorted(LIMITS))
@settings(max_examples=200, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=50))
def test_no_interleaving_of_two_gates_exceeds_a_per_person_limit(limit, steps) -> None:
    """Two gates (two processes) each hold three leads of one person on their own numbers
    and take prefetch, check and journal steps in any order, up to 50 minutes apart (5 hours for
    Regulation F): a check's allowed dial waits for its gate's next journal step, where the
    batch is re-counted atomically on the shared journal (``DialTimeGate.recount``, what
    ``journal_batch`` calls inside its transaction). Never more than the limit's calls to
    the person in any 24 hours (any 7 local days for Regulation F)."""
    rules, state, cap, window, past = LIMITS[limit]
    journal = Journal()
    gates, leads, pending = [], [], [[], []]
    at = datetime(2026, 11, 16, 14, tzinfo=UTC)  # Monday 09:00 in New York
    unit = timedelta(minutes=30) if isinstance(window, int) else timedelta(minutes=5)
    numbers = [[f"+1{'305' if state == 'FL' else '212'}555{g}{i:03d}" for i in range(3)]
               for g in range(2)]
    for g in range(2):
        gates.append(DialTimeGate(rules, FreshNational(at - timedelta(days=1)), journal,
                                  inner_opted_out=lambda n: False))
        leads.append([target(f"{g}{i}", n) for i, n in enumerate(numbers[g])])
    turn = [0, 0]
    journal.rows = [PastAttempt(at - timedelta(hours=20 + 4 * i), numbers[0][0], rules.name,
                                contact_id=PERSON, subject=rules.subject,
                                debt_id="D1" if rules is REG_F else None)
                    for i in range(past)]

    def prefetch(g: int) -> None:
        for lead in leads[g]:
            gates[g].forget(lead.lead_id)
        gates[g].prefetch([(lead, consented(lead.number_e164, lead_id=lead.lead_id,
                                            contact_id=PERSON, state=state,
                                            debt_id="D1" if rules is REG_F else None))
                           for lead in leads[g]], at)

    for g in range(2):
        prefetch(g)
    for g, step, gap in steps:
        at += gap * unit
        gate = gates[g]
        if step == "prefetch":
            prefetch(g)
        elif step == "check":
            lead = leads[g][turn[g] % 3]
            turn[g] += 1
            if gate.check(lead, at.timestamp()).allowed:
                pending[g].append((lead, at))
        elif pending[g]:
            batch, pending[g] = pending[g], []
            since = min(t for _, t in batch) - gate.lookback
            judge = gate.recount(journal.read({lead.number_e164 for lead, _ in batch},
                                              {PERSON}, since))
            for lead, when in batch:
                dial = JournalDial(f"{g}-{when}", lead.lead_id, lead.number_e164, PERSON,
                                   when)
                if judge(dial) is None:
                    journal.rows.append(PastAttempt(
                        when, lead.number_e164, rules.name, lead_id=lead.lead_id,
                        contact_id=PERSON, subject=rules.subject,
                        debt_id="D1" if rules is REG_F else None))
                    gate.record_dial(lead.number_e164, when.timestamp(), rules.name,
                                     lead.lead_id)
    calls = sorted(a.at for a in journal.rows)
    assert not _exceeds(calls, cap, window), calls


def test_an_attempt_dated_after_the_dial_counts_as_made_at_its_instant() -> None:
    """Another process checked a second later and journaled first (or its clock is ahead),
    and a dial earlier in the batch carries a later instant: both count for the dial being
    judged (the engine counts attempts at or before the instant)."""
    from dialer.runner.dial_history import JournalHistory

    later = PastAttempt(AT + timedelta(seconds=2), "+13055550101", "spring", contact_id=PERSON)
    history = JournalHistory([later], AT)
    history.record(PastAttempt(AT + timedelta(seconds=1), "+13055550102", "spring",
                               contact_id=PERSON))
    found = history.attempts_for_contact(PERSON, AT - timedelta(days=1))
    assert [a.at for a in found] == [AT, AT]
    assert [a.at for a in history.attempts("+13055550102", AT - timedelta(days=1))] == [AT]
