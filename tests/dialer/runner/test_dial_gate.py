"""The dial-time gate: the full compliance engine at the moment of each dial.

Registries are real (built in a temporary directory through ``dnc.registry`` and
``dnc.internal``); attempt histories are small in-memory sources, except one test over a
real SQLite campaign store (the batched journal query against ``StoreAttemptHistory``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.ports import ComplianceGate, DialTarget
from dialer.runner.dial_gate import DialTimeGate, build_dial_gate
from dnc.errors import ComplianceError
from dnc.interfaces import LineType, PastAttempt, RegistryHit, RegistryKind, RegistryVersion
from dnc.internal import InternalDnc
from dnc.registry import DncStore
from dnc.registry.importer import import_numbers
from dnc.rules.audit import AuditLog
from dnc.rules.model import (
    AttemptCap,
    CampaignRules,
    CampaignState,
    ConsentKind,
    ConsentRecord,
    LeadFacts,
    Profile,
)
from dnc.rules.tables import RuleTables
from tests.campaigns.ready import DECLARED

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)  # a Tuesday: 13:00 in New York, 10:00 in LA
SELLER = "Acme Solar"
US = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE), seller=SELLER)
# Area codes wholly in one zone each: NJ, NY, IL, TX (Austin), FL (Miami).
AREA_CODES = (201, 212, 312, 512, 305)
POOL = [f"+1{AREA_CODES[i % 5]}555{1000 + i:04d}" for i in range(30)]
STATE_OF_AREA = {"512": "TX", "305": "FL"}
function_fixture = settings(max_examples=25, deadline=None,
                            suppress_health_check=[HealthCheck.function_scoped_fixture])


class DictHistory:
    """An ``AttemptHistory`` over a dict (what the store would return)."""

    def __init__(self, attempts: dict[str, list[PastAttempt]] | None = None) -> None:
        self.by_number = attempts or {}
        self.calls = 0

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        self.calls += 1
        return [a for a in self.by_number.get(number_e164, ()) if a.at >= since]


class FreshNational:
    """A lookup with one national version (and a TPS one) as of a given instant and nothing
    listed."""

    def __init__(self, as_of: datetime) -> None:
        self.version = RegistryVersion("national", RegistryKind.NATIONAL, "national@t", as_of)
        self.tps = RegistryVersion("tps", RegistryKind.OTHER, "tps@t", as_of)

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return []

    def versions(self) -> list[RegistryVersion]:
        return [self.version, self.tps]


def consented(number: str, **facts: object) -> LeadFacts:
    """A lead whose record holds written consent naming the seller and its number (so the
    wireless and state autodialer consent rules pass and each test sees what it is about)."""
    facts.setdefault("consents", (ConsentRecord(
        ConsentKind.PRIOR_EXPRESS_WRITTEN, AT - timedelta(days=300), seller=SELLER,
        number=number, source="web form"),))
    return LeadFacts(number, **facts)  # type: ignore[arg-type]


def target(lead_id: str, number: str, **attributes: str) -> DialTarget:
    return DialTarget(lead_id, number, "spring", attributes=attributes)


def prefetched(gate: DialTimeGate, numbers: list[str], at: datetime = AT,
               **facts: object) -> list[DialTarget]:
    targets = [target(str(i), n) for i, n in enumerate(numbers)]
    gate.prefetch([(t, consented(t.number_e164, lead_id=t.lead_id, **facts))
                   for t in targets], at)
    return targets


def publish(data: Path, registry: str, numbers: set[str]) -> None:
    path = data / f"{registry.replace(':', '_')}.txt"
    path.write_text("".join(f"{n}\n" for n in sorted(numbers)) or "\n")
    import_numbers(data / "dnc" / "registries", registry, [path], AT - timedelta(days=3), AT,
                   max_reject_fraction=1.0)


def test_the_gate_is_a_compliance_gate(tmp_path: Path) -> None:
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    assert isinstance(gate, ComplianceGate)


def test_a_gate_without_the_internal_list_is_refused() -> None:
    """Fail closed: a gate must read the internal list one way, and only one."""
    for reading in ({}, {"inner_opted_out": lambda n: False,
                         "internal_listing": lambda n: (False, 0)}):
        with pytest.raises(ComplianceError, match="internal do-not-call list"):
            DialTimeGate(US, FreshNational(AT), DictHistory(), **reading)  # type: ignore


@function_fixture
@given(national=st.sets(st.sampled_from(POOL), max_size=8),
       state=st.sets(st.sampled_from([n for n in POOL if n[2:5] in STATE_OF_AREA]), max_size=4),
       internal=st.sets(st.sampled_from(POOL), max_size=4))
def test_a_number_listed_in_any_loaded_registry_is_never_allowed(
        tmp_path_factory, national, state, internal) -> None:
    data = tmp_path_factory.mktemp("data")
    publish(data, "national", national | {"+12025550199"})  # never empty: a loaded registry
    for code in ("TX", "FL"):  # loaded either way: a list never loaded refuses the state
        listed = {n for n in state if STATE_OF_AREA[n[2:5]] == code}
        publish(data, f"state:{code}", listed or {"+12025550199"})
    officer = InternalDnc(data / "dnc" / "internal.db")
    for number in internal:
        officer.add(number, AT - timedelta(days=1), "asked not to be called", "officer")
    registries = DncStore(data / "dnc", internal=False)
    # Dialled by hand and without consent: no consent can exempt a listing, and the consent
    # rules for autodialed calls stay out of this property.
    gate = DialTimeGate(replace(US, autodialed=False), registries, DictHistory(),
                        inner_opted_out=lambda n: officer.entry(n) is not None,
                        internal_change=officer.latest_change_id, audit=AuditLog(data / "audit"))
    try:
        for t in prefetched(gate, POOL, consents=()):
            verdict = gate.check(t, AT.timestamp())
            listed = t.number_e164 in national | state | internal
            assert verdict.allowed is not listed, (t.number_e164, verdict.reasons)
            assert any(v.startswith("national@") for v in verdict.registry_versions)
            assert f"internal#{officer.latest_change_id()}" in verdict.registry_versions
            if listed:
                assert verdict.reasons and verdict.decision_id
        assert gate.flush_audit() == len(POOL)
    finally:
        officer.close()
        registries.close()


def test_hits_read_at_the_prefetch_give_way_to_every_version_loaded_since(
        tmp_path: Path) -> None:
    """Each kept number's registry hits are read at its prefetch; once the registries load
    another version (the next prefetch refreshes them), every kept lead's next check asks
    them again, not only the leads prefetched since."""
    for registry in ("national", "state:TX", "state:FL"):  # the pool's states keep lists
        publish(tmp_path, registry, {"+12025550199"})
    registries = DncStore(tmp_path / "dnc", internal=False)
    gate = DialTimeGate(replace(US, autodialed=False), registries, DictHistory(),
                        inner_opted_out=lambda n: False, refresh_registries=registries.refresh)
    try:
        targets = prefetched(gate, POOL[:4], consents=())
        assert all(gate.check(t, AT.timestamp()).allowed for t in targets)
        publish(tmp_path, "national", {POOL[1], POOL[2]})
        assert all(gate.check(t, AT.timestamp()).allowed for t in targets)  # not loaded yet
        gate.prefetch([(target("9", POOL[9]), LeadFacts(POOL[9], lead_id="9"))], AT)
        verdicts = [gate.check(t, AT.timestamp()) for t in targets]
        assert [v.allowed for v in verdicts] == [True, False, False, True]
        assert all("us.national_dnc" in v.reasons[0] for v in verdicts[1:3])
    finally:
        registries.close()


def test_registries_holding_the_internal_list_are_asked_at_every_check(
        tmp_path: Path) -> None:
    """A ``DncStore`` that holds the internal list answers for it too, and that list changes
    at any time: its hits are not kept from the prefetch."""
    publish(tmp_path, "national", {"+12025550199"})
    registries = DncStore(tmp_path / "dnc")
    officer = InternalDnc(tmp_path / "dnc" / "internal.db")
    gate = DialTimeGate(replace(US, autodialed=False), registries, DictHistory(),
                        inner_opted_out=lambda n: False)
    try:
        [lead] = prefetched(gate, [POOL[0]], consents=())
        assert gate.check(lead, AT.timestamp()).allowed
        officer.add(POOL[0], AT, "asked not to be called", "officer")
        verdict = gate.check(lead, AT.timestamp())
        assert not verdict.allowed and verdict.reasons[0].startswith("us.internal_dnc")
    finally:
        officer.close()
        registries.close()


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(["check", "opt_out", "officer"]),
                                st.integers(0, 5)), min_size=1, max_size=25))
def test_an_opt_out_recorded_during_the_run_refuses_the_next_check(steps) -> None:
    opted_out: set[str] = set()
    officer_list: set[str] = set()
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(),
                        inner_opted_out=lambda n: n in opted_out or n in officer_list)
    targets = prefetched(gate, POOL[:6])
    for step, (action, index) in enumerate(steps):
        number = targets[index].number_e164
        if action == "opt_out":
            opted_out.add(number)
        elif action == "officer":
            officer_list.add(number)
        else:
            verdict = gate.check(targets[index], AT.timestamp() + step)
            assert verdict.allowed is (number not in opted_out | officer_list)
            if not verdict.allowed:
                assert "internal do-not-call" in verdict.reasons[0]


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 4),
       stored_hours=st.lists(st.floats(0.5, 47.5), max_size=5),
       dialed_minutes=st.lists(st.integers(1, 240), max_size=5),
       reload=st.booleans(), batched=st.booleans())
def test_attempt_limits_count_dials_recorded_after_the_prefetch(
        limit, stored_hours, dialed_minutes, reload, batched) -> None:
    number = POOL[0]
    window = timedelta(hours=24)
    rules = CampaignRules("spring", profiles=(Profile.US_FEDERAL,), seller=SELLER,
                          attempt_caps=(AttemptCap(limit, window),))
    start = AT - timedelta(hours=4)  # 09:00 in New York: every dial and check is in hours
    stored = [PastAttempt(start - timedelta(hours=h), number, "spring", lead_id="0")
              for h in sorted(stored_hours, reverse=True)]
    history = DictHistory({number: list(stored)})
    if batched:
        history.attempts_many = lambda numbers, since: {  # type: ignore[attr-defined]
            n: DictHistory.attempts(history, n, since) for n in numbers}
    gate = DialTimeGate(rules, FreshNational(AT), history, inner_opted_out=lambda n: False)
    [lead] = prefetched(gate, [number], start)
    dials = sorted(start + timedelta(minutes=m) for m in dialed_minutes)
    for dial in dials:
        gate.record_dial(number, dial.timestamp(), "spring", lead.lead_id)
    now = start + timedelta(minutes=241)
    if reload:
        # The journal now holds this run's dials too: a new prefetch must not count them twice.
        history.by_number[number] += [PastAttempt(d, number, "spring", lead_id="0")
                                      for d in dials]
        gate.prefetch([(lead, consented(number, lead_id="0"))], now)
    in_window = sum(1 for a in [*stored, *(PastAttempt(d, number, "spring") for d in dials)]
                    if now - window < a.at <= now)
    verdict = gate.check(lead, now.timestamp())
    assert verdict.allowed is (in_window < limit), verdict.reasons
    if not verdict.allowed:
        assert any(r.startswith("campaign.attempts.1") for r in verdict.reasons)


STATE_ROWS = {row.state: row for row in RuleTables().state_rules if row.applies_to == "all"}


@settings(max_examples=150, deadline=None)
@given(state=st.sampled_from(sorted(STATE_ROWS)),
       minute=st.integers(0, 366 * 24 * 60))
def test_no_check_is_allowed_outside_the_states_window_in_any_of_its_zones(state, minute
                                                                            ) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    gate = DialTimeGate(US, FreshNational(at - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False)
    tables = gate.engine.tables
    # 201 is New Jersey: no state row of its own, so only the lead's state's overlay applies.
    [lead] = prefetched(gate, ["+12015550123"], at, state=state)
    verdict = gate.check(lead, at.timestamp())
    if not verdict.allowed:
        return
    row = STATE_ROWS[state]
    holidays = tables.holiday_calendars[row.holiday_calendar] if row.holiday_calendar else None
    for zone_name in tables.state_zones[state]:
        local = at.astimezone(_zone(zone_name))
        assert time(8) <= local.time() < time(21), (zone_name, local)
        window = row.days[local.weekday()]
        assert window is not None, (zone_name, local)
        assert window[0] <= local.time() and (
            window[1] == time(0) or local.time() < window[1]), (zone_name, local, window)
        assert holidays is None or not holidays(local.date()), (zone_name, local)


def _zone(name: str):
    from zoneinfo import ZoneInfo
    return ZoneInfo(name)


def test_a_two_zone_state_waits_for_the_window_to_open_in_both() -> None:
    gate = DialTimeGate(US, FreshNational(AT - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False)
    [lead] = prefetched(gate, ["+12015550123"], state="FL")
    morning = datetime(2026, 11, 17, 13, 30, tzinfo=UTC)  # 08:30 Miami, 07:30 Pensacola
    refused = gate.check(lead, morning.timestamp())
    assert not refused.allowed
    assert "earliest-allowed: 2026-11-17T14:00:00+00:00" in refused.reasons
    assert gate.check(lead, (morning + timedelta(minutes=30)).timestamp()).allowed


def test_candidate_zones_listed_by_the_lead_are_each_respected() -> None:
    gate = DialTimeGate(US, FreshNational(AT - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False)
    lead = target("7", "+12015550123")
    gate.prefetch([(lead, consented(lead.number_e164, lead_id="7",
                                    time_zone="America/New_York,America/Los_Angeles"))], AT)
    early = datetime(2026, 11, 17, 14, tzinfo=UTC)  # 09:00 New York, 06:00 Los Angeles
    verdict = gate.check(lead, early.timestamp())
    assert not verdict.allowed
    assert any("America/Los_Angeles" in r for r in verdict.reasons)
    assert gate.check(lead, datetime(2026, 11, 17, 16, tzinfo=UTC).timestamp()).allowed


def test_a_lead_the_gate_knows_nothing_about_is_refused_with_the_reason() -> None:
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    verdict = gate.check(target("99", POOL[0]), AT.timestamp())
    assert not verdict.allowed
    assert "not prefetched" in verdict.reasons[0]
    [known] = prefetched(gate, [POOL[1]])
    swapped = DialTarget(known.lead_id, POOL[2], "spring")
    assert "prefetched with number" in gate.check(swapped, AT.timestamp()).reasons[0]


def test_every_decision_is_in_the_chain_after_flush_and_not_before(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit")
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False,
                        audit=audit)
    targets = prefetched(gate, POOL[:5])
    verdicts = [gate.check(t, AT.timestamp()) for t in targets]
    verdicts.append(gate.check(target("unknown", POOL[9]), AT.timestamp()))
    assert not audit.path.exists()  # the check itself does no I/O
    assert gate.flush_audit() == 6 and gate.flush_audit() == 0
    entries = list(audit.entries())
    assert [e["decision_id"] for e in entries] == [v.decision_id for v in verdicts]
    assert [e["allowed"] for e in entries] == [v.allowed for v in verdicts]
    assert len({v.decision_id for v in verdicts}) == 6
    assert audit.verify().ok


def test_a_failed_audit_write_keeps_the_buffer_and_raises() -> None:
    class FailingOnce:
        def __init__(self) -> None:
            self.failed, self.written = False, []

        def append_bodies(self, bodies):
            if not self.failed:
                self.failed = True
                raise OSError("disk full")
            self.written += bodies
            return []

    audit = FailingOnce()
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False,
                        audit=audit)  # type: ignore[arg-type]
    [lead] = prefetched(gate, [POOL[0]])
    decision_id = gate.check(lead, AT.timestamp()).decision_id
    with pytest.raises(OSError, match="disk full"):
        gate.flush_audit()
    assert gate.kept_counts()["pending_audit"] == 1
    assert gate.flush_audit() == 1 and audit.written[0]["decision_id"] == decision_id


def test_outcomes_recorded_in_the_run_feed_ofcom_and_regulation_f() -> None:
    uk = CampaignRules("uk", profiles=(Profile.UK_OFCOM,))
    gate = DialTimeGate(uk, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    # what the runner supplies
    gate.campaign_state = CampaignState(abandon_rate_24h=0.0, abandon_rate_today=0.0)
    [lead] = prefetched(gate, ["+442079460123"])
    gate.record_dial(lead.number_e164, AT.timestamp(), "uk", lead.lead_id)
    later = AT.timestamp() + 3600
    assert gate.check(lead, later).allowed
    gate.record_outcome(lead.number_e164, AT.timestamp() + 0.2, answered_live=True,
                        abandoned=True)
    verdict = gate.check(lead, later)
    assert not verdict.allowed and verdict.reasons[0].startswith("uk.repeat_after_abandon")
    assert gate.kept_counts()["attempts"] == 1  # the outcome joined its dial, not a new one

    debt = CampaignRules("collect", profiles=(Profile.US_FEDERAL, Profile.REG_F),
                         telemarketing=False)
    gate = DialTimeGate(debt, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    [lead] = prefetched(gate, [POOL[0]], debt_id="D-1")
    gate.record_dial(lead.number_e164, AT.timestamp(), "collect", lead.lead_id)
    gate.record_outcome(lead.number_e164, AT.timestamp(), conversation=True)
    verdict = gate.check(lead, AT.timestamp() + 86400)
    assert any(r.startswith("reg_f.after_conversation") for r in verdict.reasons)


def test_forget_keeps_memory_bounded() -> None:
    gate = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    targets = prefetched(gate, POOL)
    for t in targets:
        gate.record_dial(t.number_e164, AT.timestamp(), "spring", t.lead_id)
    assert gate.kept_counts()["leads"] == len(POOL)
    for t in targets:
        gate.forget(t.lead_id)
    assert gate.kept_counts() == {"leads": 0, "numbers": 0, "attempts": 0, "people": 0,
                                  "pending_audit": 0}
    for t in targets:  # late reports about forgotten leads are not kept
        gate.record_outcome(t.number_e164, AT.timestamp(), abandoned=True)
        gate.record_dial(t.number_e164, AT.timestamp(), "spring", t.lead_id)
    assert gate.kept_counts() == {"leads": 0, "numbers": 0, "attempts": 0, "people": 0,
                                  "pending_audit": 0}
    assert not gate.check(targets[0], AT.timestamp()).allowed  # forgotten: unknown again


def test_build_dial_gate_reads_the_campaign_store_and_data_dir(tmp_path: Path) -> None:
    from campaigns.compliance import StoreAttemptHistory
    from campaigns.leads import LeadInput
    from campaigns.store import CampaignStore

    store = CampaignStore.open(f"sqlite:///{tmp_path / 'dialer.db'}")
    try:
        store.create_campaign("spring", {"caller_ids": ["+12015550100"],
                                         "schedule": {"start": "00:00", "end": "23:59",
                                                      "days": [0, 1, 2, 3, 4, 5, 6]},
                                         "compliance": {**DECLARED, "seller_name": SELLER}},
                              at=AT, agents=[("ann", "user/1001")])
        store.add_leads("spring", [LeadInput(p) for p in POOL[:3]], at=AT)
        store.transition_campaign("spring", "running", at=AT)
        claims = store.claim_leads("spring", 3, owner="p1", now=AT)
        for claim in claims[:2]:
            store.begin_attempt(claim.lead_id, at=AT - timedelta(hours=2))
        publish(tmp_path, "national", {POOL[2]})
        gate = build_dial_gate(store, "spring", tmp_path, inner_opted_out=lambda n: False)
        # Landlines without consent: nothing exempts the registry listing.
        items = [(target(str(c.lead_id), c.phone),
                  LeadFacts(c.phone, lead_id=str(c.lead_id), line_type=LineType.LANDLINE))
                 for c in claims]
        gate.prefetch(items, AT)
        for claim in claims:
            expected = StoreAttemptHistory(store).attempts(claim.phone, AT - gate.lookback)
            assert gate._kept.attempts(claim.phone, AT - gate.lookback) == expected
        verdicts = [gate.check(t, AT.timestamp()) for t, _ in items]
        assert [v.allowed for v in verdicts] == [True, True, False]
        gate.close()
        lines = (tmp_path / "audit" / "decisions.jsonl").read_text().splitlines()
        assert [json.loads(line)["decision_id"] for line in lines] == \
            [v.decision_id for v in verdicts]
    finally:
        store.close()


def test_prefetch_in_the_database_thread_while_the_loop_checks() -> None:
    import threading

    history = DictHistory({n: [PastAttempt(AT - timedelta(hours=1), n, "spring")] for n in POOL})
    gate = DialTimeGate(US, FreshNational(AT), history, inner_opted_out=lambda n: False)
    known = prefetched(gate, POOL[:5])
    failures: list[BaseException] = []

    def claims() -> None:
        try:
            for round_ in range(200):
                batch = [target(f"new-{round_}-{i}", n) for i, n in enumerate(POOL[5:])]
                gate.prefetch([(t, consented(t.number_e164, lead_id=t.lead_id)) for t in batch],
                              AT)
                for t in batch:
                    gate.forget(t.lead_id)
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    worker = threading.Thread(target=claims)
    worker.start()
    verdicts = []
    while worker.is_alive():
        verdicts += [gate.check(t, AT.timestamp()) for t in known]
    worker.join()
    assert not failures
    assert verdicts and all(v.allowed for v in verdicts)
    assert gate.kept_counts()["leads"] == 5


def test_a_revocation_recorded_during_the_run_refuses_the_next_check(tmp_path: Path) -> None:
    from dnc.facts import NumberFactsStore
    from dnc.interfaces import Revocation

    facts = NumberFactsStore(tmp_path / "facts.db")
    gate = DialTimeGate(US, FreshNational(AT - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False, facts=facts)
    [lead] = prefetched(gate, [POOL[0]], line_type=LineType.WIRELESS)
    assert gate.check(lead, AT.timestamp()).allowed
    facts.revoke([Revocation(POOL[0], None, AT, "sms STOP")], AT, "officer")
    verdict = gate.check(lead, AT.timestamp() + 1)
    assert not verdict.allowed and any("revoked by sms STOP" in r for r in verdict.reasons)
    # And a do-not-call request for this telemarketing campaign (us.stop_request).
    assert any(r.startswith("us.stop_request: ") for r in verdict.reasons)
    facts.close()


def test_per_person_limits_count_this_runs_dials_to_the_persons_other_numbers() -> None:
    rules = replace(US, attempt_caps=(AttemptCap(2, timedelta(hours=6)),))
    gate = DialTimeGate(rules, FreshNational(AT - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False)
    first, second, third = prefetched(gate, POOL[:3], contact_id="p1",
                                      line_type=LineType.LANDLINE)
    gate.record_dial(first.number_e164, AT.timestamp(), "spring", first.lead_id)
    gate.record_dial(second.number_e164, AT.timestamp() + 60, "spring", second.lead_id)
    verdict = gate.check(third, AT.timestamp() + 120)
    assert not verdict.allowed and verdict.reasons[0].startswith("campaign.attempts.1")
    assert "person 'p1' (all numbers)" in verdict.reasons[0]
    assert gate.kept_counts()["people"] == 1
    for lead in (first, second, third):
        gate.forget(lead.lead_id)
    assert gate.kept_counts()["people"] == 0


def test_a_recorded_message_is_decided_at_that_instant_on_the_history_before_the_call(
        tmp_path: Path) -> None:
    from dnc.rules.model import RecordedMessage

    drop = replace(US, prerecorded=True, attempt_caps=(AttemptCap(1, timedelta(hours=6)),),
                   recorded_message=RecordedMessage(True, "+12015550100", "+18005550199"))
    gate = DialTimeGate(drop, FreshNational(AT - timedelta(days=1)), DictHistory(),
                        inner_opted_out=lambda n: False, audit=AuditLog(tmp_path))
    consented, unconsented = prefetched(gate, POOL[:2], line_type=LineType.LANDLINE)
    gate.prefetch([(unconsented, LeadFacts(unconsented.number_e164, lead_id="1",
                                           line_type=LineType.LANDLINE))], AT)
    gate.record_dial(consented.number_e164, AT.timestamp(), "spring", consented.lead_id)
    # The dial itself is in the history now; the message is judged as of before it.
    message = gate.check_message(consented, AT.timestamp(), AT.timestamp() + 25)
    assert message.allowed and message.decision_id.startswith("message:")
    refused = gate.check_message(unconsented, AT.timestamp(), AT.timestamp() + 25)
    assert not refused.allowed and refused.reasons[0].startswith("us.prerecorded_consent")
    evening = datetime(2026, 11, 18, 1, 59, 50, tzinfo=UTC)  # 20:59:50 in New York
    late = gate.check_message(consented, evening.timestamp(), evening.timestamp() + 20)
    assert not late.allowed and late.reasons[0].startswith("us.calling_hours")
    plain = DialTimeGate(US, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    [lead] = prefetched(plain, [POOL[0]])
    assert not plain.check_message(lead, AT.timestamp(), AT.timestamp()).allowed
    assert gate.flush_audit() == 3  # every message decision is audited
    assert [e["stage"] for e in AuditLog(tmp_path).entries()] == ["message"] * 3


def test_the_demo_uses_the_uk_profile_when_no_us_zone_is_open(tmp_path: Path) -> None:
    """11:00 UTC: no US zone, territories included, is inside 08:00-20:00; the demo campaign
    becomes a UK one with Ofcom drama numbers, a fresh TPS list, and its leads can be dialed."""
    from campaigns.compliance import lead_facts
    from campaigns.store import CampaignStore
    from dialer.runner.demo import (
        DemoOptions,
        choose_zones,
        create_demo_campaign,
        seed_demo_registry,
    )

    at = datetime(2026, 11, 17, 11, tzinfo=UTC)
    zones, note = choose_zones(at.timestamp())
    assert zones == ["Europe/London"] and "UK profile" in note
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        create_demo_campaign(store, DemoOptions(agents=1, leads=20), zones, at.timestamp())
        seed_demo_registry(tmp_path, at.timestamp(), [])
        assert store.settings("demo").jurisdiction == "uk"
        gate = build_dial_gate(store, "demo", tmp_path, inner_opted_out=lambda n: False)
        claims = store.claim_leads("demo", 5, owner="t", now=at)
        items = [(target(str(c.lead_id), c.phone), lead_facts(c)) for c in claims]
        gate.prefetch(items, at)
        assert claims and all(c.phone.startswith("+44") for c in claims)
        # Ofcom's 24 h abandoned-call rate: unknown until the runner measures it
        assert not any(gate.check(t, at.timestamp()).allowed for t, _ in items)
        gate.campaign_state = CampaignState(abandon_rate_24h=0.0, abandon_rate_today=0.0)
        assert all(gate.check(t, at.timestamp()).allowed for t, _ in items)
        gate.close()
    finally:
        store.close()


@pytest.mark.parametrize(("state", "allowed", "why"), [
    (None, False, "not known"),              # the runner has not measured it (yet)
    (CampaignState(abandon_rate_24h=0.0299), False, "today"),  # the UK day's rate unknown
    (CampaignState(abandon_rate_24h=0.0299, abandon_rate_today=0.0299), True, ""),
    (CampaignState(abandon_rate_24h=0.03, abandon_rate_today=0.0), False, "3% or more"),
    (CampaignState(abandon_rate_24h=0.0, abandon_rate_today=0.03), False, "today"),
])
def test_a_uk_dial_is_refused_while_the_campaigns_24h_abandon_rate_is_unknown(
        state, allowed, why) -> None:
    """Ofcom 2016 statement, Annexes 2 and 3: a campaign at 3 % or more abandoned calls in
    24 h is refused. The gate passed the rule when the runner had supplied no rate (before
    its first measurement, or for a campaign whose abandonment window is not 24 h, which the
    runner never measured): a missing fact allowed the dial."""
    uk = CampaignRules("uk", profiles=(Profile.UK_OFCOM,), seller=SELLER)
    gate = DialTimeGate(uk, FreshNational(AT), DictHistory(), inner_opted_out=lambda n: False)
    if state is not None:
        gate.campaign_state = state
    [lead] = prefetched(gate, ["+442079460123"])
    verdict = gate.check(lead, AT.timestamp())
    assert verdict.allowed is allowed, verdict.reasons
    if not allowed:
        assert verdict.reasons[0].startswith("uk.abandon_rate") and why in verdict.reasons[0]


@pytest.mark.parametrize(("window_hours", "supplied"), [(24, True), (1, False), (720, False)])
def test_the_runner_supplies_the_rate_only_when_it_is_measured_over_24_hours(
        window_hours, supplied) -> None:
    """The runner hands the gate its ledger's rate as Ofcom's 24 h rate. A ledger over one
    hour was handed over too, though its rate is not the 24 h measure (a morning's abandons
    fall out of it): now only a 24 h ledger's rate is, and otherwise the gate's stays
    unknown, so UK dials are refused (the test above)."""
    import asyncio
    from types import SimpleNamespace

    from dialer.runner.upkeep import CampaignUpkeep

    async def call(function, *args, **kwargs):
        return function(*args, **kwargs)

    counts = SimpleNamespace(live_answers=100, abandons=1)
    gate = DialTimeGate(CampaignRules("uk", profiles=(Profile.UK_OFCOM,)), FreshNational(AT),
                        DictHistory(), inner_opted_out=lambda n: False)
    upkeep = CampaignUpkeep(
        store=SimpleNamespace(ledger_counts=lambda *a, **k: counts),
        link=SimpleNamespace(campaign_id=1), owner="a", ledger_window=window_hours * 3600.0,
        settings=None, hopper=None, db=SimpleNamespace(call=call), gate=gate,
        claim_check=None, claim_ttl=None, clock=AT.timestamp,
        post=None)  # type: ignore[arg-type]
    upkeep.attach(SimpleNamespace(ledger=SimpleNamespace(  # type: ignore[arg-type]
        set_shared_counts=lambda *a: None, period_at=lambda now: None, rate=lambda: 0.01,
        own_counts_since=lambda since: (0, 0), set_slack_claim=lambda *a: None,
        abandons_seen=0)))
    asyncio.run(upkeep.refresh_ledger_once())
    assert (gate.campaign_state.abandon_rate_24h == 0.01) is supplied
    # The UK calendar day's rate goes with it (the other processes' 1 in 100 today).
    assert (gate.campaign_state.abandon_rate_today == 0.01) is supplied
