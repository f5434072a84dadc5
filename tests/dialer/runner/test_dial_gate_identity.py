"""The dial-time gate's fast paths decide exactly what the straightforward path decides.

The gate keeps facts in memory (the internal list's index, each kept lead's revocations,
the registries' versions, the attempt history loaded at prefetch) and probes the registries
through its own code. Here a fixed random set of leads and instants goes through the gate
and through a plain ``ComplianceEngine`` whose sources query SQLite at every call and test
registry membership against Python sets of every listed number: every decision (allowed or
refused, every rule's reason, the earliest allowed instant, the versions) must be equal,
also after an officer revokes consents and lists numbers in another connection mid-run.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.facts import NumberFactsStore
from dnc.interfaces import (
    LineType,
    PastAttempt,
    RegistryHit,
    RegistryKind,
    RegistryVersion,
    Revocation,
    RndAnswer,
    RndResult,
)
from dnc.internal import InternalDnc
from dnc.registry import DncStore
from dnc.registry.importer import import_numbers
from dnc.registry.keys import e164_of_key
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import (
    AttemptCap,
    CampaignRules,
    ConsentKind,
    ConsentRecord,
    LeadFacts,
    Profile,
)
from dnc.rules.tables import RuleTables

AT = datetime(2026, 11, 17, 18, tzinfo=UTC)
SELLER = "Acme Solar"
RULES = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE), seller=SELLER,
                      attempt_caps=(AttemptCap(3, timedelta(days=1)),))
AREA_CODES = ("201", "212", "305", "312", "512", "405", "801", "907", "808", "787", "671")
STATES = (None, None, "FL", "TX", "CA", "NY", "OK")


class History:
    """Attempts per number and per person (the campaign store's two questions)."""

    def __init__(self, attempts: list[PastAttempt]) -> None:
        self.all = attempts

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.all if a.number_e164 == number_e164 and a.at >= since]

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.all if a.contact_id == contact_id and a.at >= since]


class PlainLookup:
    """Registry membership from sets of every listed number; the internal list's version
    from its table by SQL."""

    def __init__(self, store: DncStore, internal: InternalDnc) -> None:
        self.versions_loaded = [v.info for v in store.loaded()]
        self.listed = [(v.info, {e164_of_key(int(k)) for k in v.all_keys()})
                       for v in store.loaded()]
        self.internal = internal

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return [RegistryHit(info) for info, numbers in self.listed if number_e164 in numbers]

    def versions(self) -> list[RegistryVersion]:
        (last,) = self.internal._db.execute(
            "SELECT MAX(id) FROM internal_dnc_history").fetchone()
        return [*self.versions_loaded,
                RegistryVersion("internal", RegistryKind.INTERNAL, f"internal#{last or 0}", AT)]


def world(data: Path, rng: random.Random) -> tuple[list[LeadFacts], list[PastAttempt]]:
    numbers = sorted({f"+1{rng.choice(AREA_CODES)}{rng.randrange(2_000_000, 10_000_000)}"
                      for _ in range(160)})
    for registry, share in (("national", 4), ("state:TX", 3), ("state:FL", 3)):
        path = data / f"{registry.replace(':', '_')}.txt"
        path.write_text("".join(f"{n}\n" for n in numbers[::share]) + "+12025550199\n")
        import_numbers(data / "dnc" / "registries", registry, [path], AT - timedelta(days=3),
                       AT, max_reject_fraction=1.0)
    leads, attempts = [], []
    for index, number in enumerate(numbers):
        contact = f"p{index // 3}" if index % 4 else None
        consents = ()
        if rng.random() < 0.8:
            consents = (ConsentRecord(
                rng.choice([*ConsentKind, ConsentKind.PRIOR_EXPRESS_WRITTEN]),
                AT - timedelta(days=rng.randrange(-5, 400)),
                seller=rng.choice([SELLER, SELLER, "Other Co", None]),
                number=rng.choice([number, number, None, numbers[0]]), source="form"),)
        leads.append(LeadFacts(
            number, state=rng.choice(STATES), consents=consents, lead_id=str(index),
            contact_id=contact, line_type=rng.choice([None, LineType.LANDLINE,
                                                      LineType.WIRELESS]),
            ebr_last_inquiry=AT - timedelta(days=40) if rng.random() < 0.1 else None))
        for _ in range(rng.randrange(0, 4)):
            attempts.append(PastAttempt(
                AT - timedelta(minutes=rng.randrange(10, 60 * 24 * 8)), number, "spring",
                lead_id=str(index), contact_id=contact, answered_live=rng.random() < 0.3,
                conversation=rng.random() < 0.2))
    facts = NumberFactsStore(data / "dnc" / "facts.db")
    facts.record_line_types([("+1305", False, LineType.WIRELESS, None)], AT - timedelta(1), "t")
    facts.revoke([Revocation(n, None, AT - timedelta(days=2), "sms STOP")
                  for n in numbers[1::11]], AT - timedelta(days=2), "officer")
    facts.record_rnd([RndResult(n, AT - timedelta(days=30), rng.choice(list(RndAnswer)))
                      for n in numbers[2::9]], AT - timedelta(days=1))
    facts.close()
    return leads, attempts


def test_gate_decisions_equal_the_straightforward_path(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    leads, attempts = world(tmp_path, rng)
    history = History(attempts)
    internal = InternalDnc(tmp_path / "dnc" / "internal.db")
    officer = InternalDnc(tmp_path / "dnc" / "internal.db")
    officer.add(leads[5].number_e164, AT - timedelta(days=1), "opt-out", "agent")
    facts = NumberFactsStore(tmp_path / "dnc" / "facts.db")
    officer_facts = NumberFactsStore(tmp_path / "dnc" / "facts.db")
    registries = DncStore(tmp_path / "dnc", internal=False)
    gate = DialTimeGate(RULES, registries, history, inner_opted_out=internal.is_listed,
                        internal_change=internal.latest_change_id, facts=facts,
                        tables=RuleTables())
    plain_facts = NumberFactsStore(tmp_path / "dnc" / "facts.db")
    plain = ComplianceEngine(PlainLookup(registries, officer), history, RuleTables(),
                             facts=plain_facts)
    targets = [DialTarget(lead.lead_id or "", lead.number_e164, "spring") for lead in leads]
    gate.prefetch(list(zip(targets, leads, strict=True)), AT)
    compared = refused = 0
    try:
        for round_ in range(3):
            if round_ == 1:  # an officer acts in another connection between two dials
                officer_facts.revoke([Revocation(lead.number_e164, lead.contact_id, AT,
                                                 "agent") for lead in leads[::7]],
                                     AT, "officer")
                officer.add(leads[9].number_e164, AT, "opt-out", "agent")
            for target, lead in zip(targets, leads, strict=True):
                # Mostly afternoons on the US mainland, some nights and weekends.
                at = AT + timedelta(days=rng.randrange(0, 6),
                                    seconds=rng.randrange(0, 6 * 3600 if rng.random() < 0.8
                                                          else 86400))
                got = gate._decision(target, at, None)
                if officer.entry(lead.number_e164) is not None:
                    assert [o.rule_id for o in got.outcomes] == ["dial_gate.internal_dnc"]
                    continue
                want = plain.check(lead, RULES, at)
                assert got.to_json() == want.to_json(), (lead, at)
                compared += 1
                refused += not want.allowed
    finally:
        for closable in (internal, officer, facts, officer_facts, plain_facts, registries):
            closable.close()
    # The set exercises both answers, many times over.
    # (a revocation refuses every telemarketing call since us.stop_request: 40-odd allowed)
    assert compared > 400 and 50 < refused < compared - 30
