"""Every per-person or per-number limit that counts other campaigns' calls is counted again
where the dial is journaled (docs/compliance-proof.md: FL, MD, OK, R1, campaign caps, U4,
U5, F9): two dialer processes, one SQLite file, the second process's gate prefetched
before the first one's call, so its own check allows the dial the limit forbids; the
journal step refuses it, names the rule in the audit, and journals nothing of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from campaigns.store import CampaignStore
from dnc.interfaces import LineType
from dnc.rules.audit import AuditLog
from dnc.rules.model import AttemptCap, CampaignRules, CampaignState, Profile, RecordedMessage
from tests.dialer.runner.person_caps_kit import AT, FL_RULES, SETTINGS, lead_of, process, seed
from tests.dialer.runner.test_dial_gate import SELLER

UK_SETTINGS = {**SETTINGS, "jurisdiction": "uk", "abandon_target": 0.02,
               "caller_ids": ["+442071230000"]}
UK = CampaignRules("spring", profiles=(Profile.UK_OFCOM,), seller=SELLER)


@dataclass(frozen=True)
class Case:
    rules: CampaignRules
    numbers: tuple[str, str, str]
    """The first number's past calls; A dials the second, B the third."""
    past: int
    rule: str
    facts: dict
    settings: dict | None = None
    custom: dict | None = None
    spacing: timedelta = timedelta(hours=1)
    a_ends: dict | None = None
    """How A's call ends before B dials (Ofcom's rules read the outcome)."""


MIAMI = ("+13055550101", "+13055550102", "+13055550103")
BALTIMORE = ("+14105550101", "+14105550102", "+14105550103")
TULSA = ("+19185550101", "+19185550102", "+19185550103")
NEWARK = ("+12015550101", "+12015550101", "+12015550101")  # one line, three campaigns
LONDON = ("+442071234567", "+442071234567", "+442071234567")
CASES = {
    "FL": Case(FL_RULES, MIAMI, 2, "state.FL.attempts", {}),
    "MD": Case(FL_RULES, BALTIMORE, 2, "state.MD.attempts", {"state": "MD"}, custom=None),
    "OK": Case(FL_RULES, TULSA, 2, "state.OK.attempts", {"state": "OK"}),
    "R1": Case(CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE,
                                                 Profile.REG_F), seller=SELLER,
                             telemarketing=False),
               ("+12125550101", "+12125550102", "+12125550103"), 6, "reg_f.seven_in_seven",
               {"state": "NY", "debt_id": "D1"}, custom={"debt_id": "D1"},
               spacing=timedelta(hours=20)),
    "campaign cap": Case(CampaignRules(
        "spring", profiles=(Profile.US_FEDERAL,), seller=SELLER, subject="solar",
        attempt_caps=(AttemptCap(2, timedelta(hours=24), per_person=True),)),
        ("+12125550101", "+12125550102", "+12125550103"), 1, "campaign.attempts.1",
        {"state": "NY"}),
    "F9": Case(CampaignRules("spring", profiles=(Profile.US_FEDERAL,), seller=SELLER,
                             prerecorded=True, telemarketing=False,
                             recorded_message=RecordedMessage(True, "+12015550100")),
               NEWARK, 2, "us.prerecorded_exempt_cap",
               {"state": "NJ", "consents": (), "line_type": LineType.LANDLINE,
                "contact_id": None}, spacing=timedelta(days=3)),
    "U4": Case(UK, LONDON, 0, "uk.repeat_after_abandon", {"state": None, "contact_id": None},
               settings=UK_SETTINGS, a_ends={"outcome": "abandoned", "abandoned": True,
                                             "answer_kind": "live"}),
    "U5": Case(UK, LONDON, 0, "uk.repeat_after_machine", {"state": None, "contact_id": None},
               settings=UK_SETTINGS, a_ends={"outcome": "machine", "answer_kind": "machine"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_limit_counting_other_campaigns_calls_holds_at_journaling(name, tmp_path) -> None:
    case = CASES[name]
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    store = CampaignStore.open(url)
    seed(store, list(case.numbers), past=case.past, campaigns=3, settings=case.settings,
         state=case.facts.get("state", "FL"), custom=case.custom, spacing=case.spacing,
         person=case.facts.get("contact_id", "p1"))
    store.close()
    a = process(url, "a", rules=case.rules)
    b = process(url, "b", tmp_path / "audit-b", rules=case.rules)
    for proc in (a, b):
        proc.gate.campaign_state = CampaignState(abandon_rate_24h=0.0, abandon_rate_today=0.0)
    [lead_a] = a.hold([case.numbers[1]], AT - timedelta(minutes=5), "spring2", **case.facts)
    [lead_b] = b.hold([case.numbers[2]], AT - timedelta(minutes=5), "spring3", **case.facts)
    first = a.dial(lead_a, AT)
    assert first is not None and first.begun, first
    if case.a_ends is not None:
        [attempt_id] = first.begun.values()
        a.store.update_attempt(attempt_id, answered_at=AT + timedelta(seconds=10))
        a.store.finish_attempt(attempt_id, ended_at=AT + timedelta(seconds=20),
                               **case.a_ends)
    later = AT + timedelta(minutes=1)
    verdict = b.gate.check(lead_b, later.timestamp())
    assert verdict.allowed, verdict.reasons  # B's view is its prefetch's
    result = b.journal([lead_b], later, verdict.decision_id)
    assert not result.begun, f"{name}: the dial the limit forbids was journaled"
    [why] = result.refused.values()
    assert case.rule in why
    lead = lead_of(b.store, case.numbers[2], "spring3")
    assert lead.status == "new" and lead.attempts == 0 and lead.claimed_by is None
    assert lead.next_attempt_at is not None and lead.next_attempt_at > later
    [entry] = [e for e in AuditLog(tmp_path / "audit-b").entries() if e["stage"] == "journal"]
    assert not entry["allowed"] and case.rule in {f["rule"] for f in entry["failed"]}
    assert entry["dial_decision"] == verdict.decision_id  # the allowance it overrules
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()
