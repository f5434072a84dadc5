"""The gate's fast paths answer exactly what a cold, straightforward engine answers (issue 18).

The gate decides with caches that live across dials (each calling-hours rule's passes per
UTC minute, the placement per exchange, the line finding per its inputs, the newest
national version and the covered regions by identity, each consent's permission text) and
with pass reasons built only when read. For any campaign of five, any run of dials (leads
and instants drawn by hypothesis: ordinary times, the calling-window edges and the seconds
around both 2026 US clock changes), every decision the gate buffers for the audit is the
same, read in full, as the decision of a plain engine whose sources query SQLite and sets
of every listed number and whose caches are all emptied before each decision: the same
verdict, the same reasons (every rule's, pass or fail), the same audit body.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.ports import DialTarget
from dialer.runner.dial_gate import DialTimeGate
from dnc.facts import NumberFactsStore
from dnc.internal import InternalDnc
from dnc.registry import DncStore
from dnc.rules import consent, federal, profiles
from dnc.rules.adapters import verdict_parts
from dnc.rules.audit import AuditLog, decision_body
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, LeadFacts
from dnc.rules.tables import RuleTables
from tests.dialer.runner.test_dial_gate_identity import AT, History, PlainLookup, world
from tests.dnc.rules.test_rules_decision_digest import CAMPAIGNS, MOMENTS


class World:
    def __init__(self, data: Path) -> None:
        self.leads, attempts = world(data, random.Random(1805))
        history = History(attempts)
        self.internal = InternalDnc(data / "dnc" / "internal.db")
        self.internal.add(self.leads[3].number_e164, AT - timedelta(days=1), "opt-out", "t")
        self.registries = DncStore(data / "dnc", internal=False)
        self.facts = NumberFactsStore(data / "dnc" / "facts.db")
        self.plain_facts = NumberFactsStore(data / "dnc" / "facts.db")
        self.plain = ComplianceEngine(PlainLookup(self.registries, self.internal), history,
                                      RuleTables(), facts=self.plain_facts)
        self.targets = [DialTarget(lead.lead_id or "", lead.number_e164, "spring")
                        for lead in self.leads]
        self.gates = []
        for index, campaign in enumerate(CAMPAIGNS):
            gate = DialTimeGate(campaign, self.registries, history,
                                inner_opted_out=self.internal.is_listed,
                                internal_change=self.internal.latest_change_id,
                                facts=self.facts, tables=RuleTables(),
                                audit=AuditLog(data / f"audit{index}"))
            self.gates.append(gate)

    def reference(self, lead: LeadFacts, campaign: CampaignRules, at: datetime):
        """The plain engine's decision with every cache emptied first."""
        federal._NEWEST.clear()
        profiles._COVERED.clear()
        consent._TEXTS.clear()
        self.plain._placements.clear()
        self.plain._lines.clear()
        for rule in self.plain.rules_for(campaign):
            passes = getattr(getattr(rule, "inner", rule), "passes", None)
            if passes is not None:
                passes.clear()
        return self.plain.check(lead, campaign, at)

    def close(self) -> None:
        for gate in self.gates:
            gate.flush_audit()
        for closable in (self.internal, self.registries, self.facts, self.plain_facts):
            closable.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):
    built = World(tmp_path_factory.mktemp("fast-paths"))
    yield built
    built.close()


INSTANTS = st.one_of(
    st.builds(lambda moment, shift: moment + timedelta(seconds=shift),
              st.sampled_from(MOMENTS), st.integers(-120, 120)),
    st.integers(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
                int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())).map(
        lambda seconds: datetime.fromtimestamp(seconds, UTC)),
)
DIALS = st.lists(st.tuples(st.integers(0, 10_000), INSTANTS,
                           st.integers(0, 59)), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None)
@given(campaign=st.integers(0, len(CAMPAIGNS) - 1), dials=DIALS)
def test_buffered_decisions_equal_a_cold_reference(shared: World, campaign: int,
                                                   dials: list) -> None:
    gate = shared.gates[campaign]
    rules = CAMPAIGNS[campaign]
    decided = []
    for lead_index, instant, later in dials:
        lead = shared.leads[lead_index % len(shared.leads)]
        target = shared.targets[lead_index % len(shared.leads)]
        # The runner prefetches a lead right after claiming it: the officer's line types
        # and the attempts as of then.
        gate.prefetch([(target, lead)], instant)
        # A second dial in the same minute finds the minute's caches warm.
        for at in (instant, instant + timedelta(seconds=later)):
            verdict = gate.check(target, at.timestamp())
            _, buffered, stage = gate._pending.pop()
            assert stage == "dial"
            decided.append((lead, at, verdict, buffered))
    # Only now the reference, whose emptying of the caches would leave the gate cold.
    for lead, at, verdict, buffered in decided:
        if shared.internal.is_listed(lead.number_e164):
            assert [o.rule_id for o in buffered.outcomes] == ["dial_gate.internal_dnc"]
            continue
        want = shared.reference(lead, rules, at)
        assert decision_body(buffered) == decision_body(want), (lead, at)
        assert buffered.to_json() == want.to_json(), (lead, at)
        assert (verdict.allowed, verdict.reasons, verdict.registry_versions) == \
            verdict_parts(want)
