"""The dial-time gate's side of docs/compliance-proof.md: calling hours at the gate across
clock changes (the gate remembers a pass per UTC minute), and the per-person limit when
another dialer process dials the same person between this gate's prefetch and its dial."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.store import CampaignStore
from dialer.runner.dial_gate import DialTimeGate
from dnc.interfaces import PastAttempt
from dnc.rules.audit import AuditLog
from dnc.rules.model import CampaignRules, Profile
from dnc.rules.tables import RuleTables
from tests.dialer.runner.person_caps_kit import (
    AT,
    calls_to_person,
    lead_of,
    person_numbers,
    process,
    seed,
)
from tests.dialer.runner.test_dial_gate import SELLER, FreshNational, consented, target

TABLES = RuleTables()
US = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE), seller=SELLER,
                   subject="solar")
# US clock changes (02:00 local, New York first), 2026-2028.
CHANGES = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
           datetime(2027, 3, 14, 7, tzinfo=UTC), datetime(2027, 11, 7, 6, tzinfo=UTC),
           datetime(2028, 3, 12, 7, tzinfo=UTC), datetime(2028, 11, 5, 6, tzinfo=UTC)]
# Multi-zone states, the no-DST ones (AZ with the Navajo Nation, HI) and a few with rows.
STATES = ("FL", "TX", "KY", "TN", "IN", "MI", "ND", "SD", "NE", "KS", "ID", "OR", "NV", "AZ",
          "AK", "HI", "AL", "MS", "RI", "UT", "NJ")
ROWS = {row.state: row for row in TABLES.state_rules if row.applies_to == "all"}


class History:
    """The campaign store's journal as the gate's history source (per number and person)."""

    def __init__(self) -> None:
        self.journal: list[PastAttempt] = []

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.journal if a.number_e164 == number_e164 and a.at >= since]

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.journal if a.contact_id == contact_id and a.at >= since]


@settings(max_examples=120, deadline=None)
@given(state=st.sampled_from(STATES), change=st.sampled_from(CHANGES),
       minutes=st.lists(st.integers(-36 * 60, 36 * 60), min_size=1, max_size=8))
def test_no_dial_is_allowed_outside_the_window_in_any_zone_across_clock_changes(
        state, change, minutes) -> None:
    """Around every US clock change (the local hour 01:00-02:00 that repeats in November and
    the 02:00-03:00 that does not exist in March), a sequence of dials of one lead through
    one gate (its remembered passes included) is allowed only where every candidate zone's
    wall clock is inside 08:00-21:00 and inside the state's own row, in the state's zones."""
    gate = DialTimeGate(US, FreshNational(change - timedelta(days=2)), History(),
                        inner_opted_out=lambda n: False)
    lead = target("1", "+12015550123")
    gate.prefetch([(lead, consented(lead.number_e164, lead_id="1", state=state))],
                  change - timedelta(days=2))
    zones = [ZoneInfo(z) for z in {*TABLES.state_zones[state], "America/New_York"}]
    row = ROWS.get(state)
    for offset in sorted(minutes):
        at = change + timedelta(minutes=offset)
        if not gate.check(lead, at.timestamp()).allowed:
            continue
        for zone in zones:
            local = at.astimezone(zone)
            assert time(8) <= local.time() < time(21), (state, zone.key, local)
            if row is not None and zone.key in TABLES.state_zones[state]:
                window = row.days[local.weekday()]
                assert window is not None and window[0] <= local.time() < window[1], (
                    state, zone.key, local)


def test_florida_cap_holds_when_another_process_dials_the_person_after_the_prefetch(
        tmp_path) -> None:
    """Fla. Stat. 501.616(6)(b): at most 3 calls in 24 h to a person on one subject, whatever
    the number. Two dialer processes (two campaigns, one database) hold leads of one person
    on two numbers, with two calls already made: each gate prefetched 2 calls, A dials (the
    third) and journals it, then B's gate (its view taken before A's dial) still allows the
    fourth, and the journal step refuses it: not journaled, audited with the rule's name,
    the lead back in the hopper at the earliest time the rule allows."""
    url = f"sqlite:///{tmp_path / 'dialer.db'}"
    numbers = person_numbers(3)
    store = CampaignStore.open(url)
    seed(store, numbers, past=2, campaigns=2)
    store.close()
    a, b = process(url, "a"), process(url, "b", tmp_path / "audit-b")
    [lead_a] = a.hold([numbers[1]], AT - timedelta(minutes=5))
    [lead_b] = b.hold([numbers[2]], AT - timedelta(minutes=5))
    assert a.dial(lead_a, AT).begun  # the third call
    later = AT + timedelta(seconds=30)
    verdict = b.gate.check(lead_b, later.timestamp())
    assert verdict.allowed  # B's view is the prefetch's: why the journal must count again
    result = b.journal([lead_b], later, verdict.decision_id)
    assert not result.begun, "a fourth call in 24 h to person p1"
    assert "state.FL.attempts" in result.refused[next(iter(result.refused))]
    assert len(calls_to_person(a.store, AT - timedelta(days=1))) == 3
    refused = lead_of(b.store, numbers[2])
    assert refused.claimed_by is None and refused.status == "new"
    # Back when the oldest of the three calls leaves the 24 hours (not before).
    # (the closed bound: its microsecond after the 24 h)
    assert refused.next_attempt_at == AT - timedelta(hours=3) + timedelta(hours=24, microseconds=1)
    entries = list(AuditLog(tmp_path / "audit-b").entries())
    journal = [e for e in entries if e["stage"] == "journal"]
    assert [e["allowed"] for e in journal] == [False]
    assert journal[0]["failed"][0]["rule"] == "state.FL.attempts"
    assert journal[0]["lead_id"] == lead_b.lead_id
    for proc in (a, b):
        proc.gate.close()
        proc.store.close()
