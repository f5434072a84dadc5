"""The queue callbacks' dial-time gate (dialer/runner/callback_gate.py): every rule of the
campaign decides a callback, over the callback's own facts (its number, the caller's inquiry
as an established business relationship of three months), audited like a campaign dial.

Each rule below passed every callback on the old gate (dialer/runner/callback_hours.py:
federal hours only, with the internal list in the engine). Instants are fixed (any hour of
the day the tests run); registries and histories are in memory, the rule tables the shipped
ones (dnc/data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.engine.callback_verdicts import Refusal, earliest_allowed, refusal_kind
from dialer.ports import DialTarget, GateVerdict
from dialer.runner.callback_gate import (
    LOADING_LIMIT,
    LOADING_RETRY,
    CallbackFacts,
    CallbackGate,
)
from dialer.runner.dial_gate import DialTimeGate, rule_tables
from dnc.interfaces import PastAttempt, RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.audit import AuditLog
from dnc.rules.model import CampaignRules, Profile

MONDAY = datetime(2026, 12, 7, 18, tzinfo=UTC)  # 13:00 in New York, 12:00 in Chicago
NEW_YORK = "+12125550140"   # NY keeps no list of its own; federal hours
DETROIT = "+13135550150"    # Michigan: 09:00-21:00
PROVIDENCE = "+14015550160"  # Rhode Island: 09:00-18:00 weekdays, its state holidays
MIAMI = "+13055550170"      # Florida keeps its own list
US_STATES = (Profile.US_FEDERAL, Profile.US_STATE)
PREVIEW = CampaignRules("spring", profiles=US_STATES, autodialed=False, seller="Acme")
"""Not autodialed: the written-consent rules (wireless, Florida's) stay out of the way of the
rule each test is about; ``test_written_consent_*`` is about them."""
TABLES = rule_tables(Path("/nonexistent-data-dir"))  # the shipped tables


class Registries:
    """A national registry (and Florida's list) as of a week ago, listing ``listed``."""

    def __init__(self, national: set[str] = frozenset(), florida: set[str] = frozenset()
                 ) -> None:
        as_of = MONDAY - timedelta(days=7)
        self.national = RegistryVersion("national", RegistryKind.NATIONAL, "national@t", as_of)
        self.florida = RegistryVersion("state:FL", RegistryKind.STATE, "state:FL@t", as_of)
        self.listed = {self.national: set(national), self.florida: set(florida)}

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return [RegistryHit(v) for v, numbers in self.listed.items() if number_e164 in numbers]

    def versions(self) -> list[RegistryVersion]:
        return list(self.listed)


class History:
    """The campaign's journal: past attempts by number."""

    def __init__(self, attempts: list[PastAttempt] = ()) -> None:
        self.attempts_made = list(attempts)

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.attempts_made if a.number_e164 == number_e164 and a.at >= since]


def gate_for(rules: CampaignRules = PREVIEW, registries: Registries | None = None,
             history: History | None = None, opted_out: frozenset[str] = frozenset(),
             audit: AuditLog | None = None) -> CallbackGate:
    dial_gate = DialTimeGate(rules, registries or Registries(), history or History(),
                             inner_opted_out=lambda number: number in opted_out,
                             tables=TABLES, audit=audit)
    return CallbackGate(dial_gate, rules.name)


def callback(number: str, inquiry: datetime | None, callback_id: str = "cb-1") -> DialTarget:
    """The target the engine hands over (dialer/engine/inbound.py ``start_callback``)."""
    attributes = {} if inquiry is None else {"ebr_last_inquiry": inquiry.isoformat()}
    return DialTarget(f"queue-callback:{callback_id}", number, "spring", attributes=attributes)


def check(gate: CallbackGate, target: DialTarget, at: datetime) -> GateVerdict:
    """Loaded as the runner does when it learns of the callback, then checked at ``at``."""
    inquiry = target.attributes.get("ebr_last_inquiry")
    gate.prefetch([CallbackFacts(target.lead_id.removeprefix("queue-callback:"),
                                 target.number_e164,
                                 datetime.fromisoformat(inquiry).timestamp() if inquiry
                                 else None)], at.timestamp())
    return gate.check(target, at.timestamp())


# --- the national registry: the caller's inquiry, three months -------------------------------


def test_a_listed_number_is_called_back_on_the_callers_inquiry() -> None:
    gate = gate_for(registries=Registries(national={NEW_YORK}))
    verdict = check(gate, callback(NEW_YORK, MONDAY - timedelta(minutes=20)), MONDAY)
    assert verdict.allowed, verdict.reasons
    assert any(reason.startswith("ebr:inquiry 2026-12-07") for reason in verdict.reasons)


def test_a_listed_number_without_an_inquiry_is_cancelled_not_held() -> None:
    gate = gate_for(registries=Registries(national={NEW_YORK}))
    verdict = check(gate, callback(NEW_YORK, None), MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.FINAL
    assert any(r.startswith("us.national_dnc: listed in national@t") for r in verdict.reasons)


def test_an_inquiry_older_than_three_months_no_longer_exempts() -> None:
    # 47 CFR 64.1200(f)(5): three months after the inquiry; 6 Sep + 3 months = 6 Dec.
    gate = gate_for(registries=Registries(national={NEW_YORK}))
    old = check(gate, callback(NEW_YORK, datetime(2026, 9, 6, 17, tzinfo=UTC)), MONDAY)
    assert not old.allowed and refusal_kind(old) is Refusal.FINAL
    recent = check(gate, callback(NEW_YORK, datetime(2026, 9, 8, 17, tzinfo=UTC), "cb-2"),
                   MONDAY)
    assert recent.allowed


def test_a_state_list_is_not_exempted_by_an_inquiry() -> None:
    # state.registry honours written permission only: no state's inquiry exemption is in
    # our rules, so a Florida listing refuses the callback (fail closed).
    gate = gate_for(registries=Registries(florida={MIAMI}))
    verdict = check(gate, callback(MIAMI, MONDAY - timedelta(minutes=20)), MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.FINAL
    assert any(r.startswith("state.registry: listed in state:FL@t") for r in verdict.reasons)


def test_written_consent_rules_refuse_a_callback_the_caller_asked_for() -> None:
    # A request to be called back is an inquiry, not the signed written agreement of
    # 47 CFR 64.1200(f)(9): an autodialed telemarketing callback to a line that may be
    # wireless (no line-type data) is refused, finally.
    rules = CampaignRules("spring", profiles=US_STATES, seller="Acme")
    verdict = check(gate_for(rules), callback(NEW_YORK, MONDAY - timedelta(minutes=5)),
                    MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.FINAL
    assert any(r.startswith("us.wireless_consent:") for r in verdict.reasons)


# --- hours: the stricter window wins ---------------------------------------------------------


def test_a_state_window_stricter_than_federal_holds_the_callback_until_it_opens() -> None:
    # Michigan's zones (Detroit's and the Upper Peninsula's Menominee): 09:30 and 08:30,
    # inside 08:00-21:00 in both, outside Michigan's 09:00-21:00 in Menominee.
    gate = gate_for()
    early = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    verdict = check(gate, callback(DETROIT, early - timedelta(minutes=5)), early)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.WAIT
    assert any(r.startswith("state.MI.hours:") for r in verdict.reasons)
    opens = datetime(2026, 12, 7, 15, tzinfo=UTC).timestamp()
    assert earliest_allowed(verdict) == opens
    assert gate.check(callback(DETROIT, early - timedelta(minutes=5)), opens).allowed


def test_a_state_holiday_holds_the_callback_to_the_next_open_day() -> None:
    # Christmas, a Friday, 11:00 in Providence: federal hours allow, Rhode Island does not;
    # its Saturday opens at 10:00 (15:00 UTC).
    christmas = datetime(2026, 12, 25, 16, tzinfo=UTC)
    gate = gate_for()
    verdict = check(gate, callback(PROVIDENCE, christmas - timedelta(hours=1)), christmas)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.WAIT
    assert earliest_allowed(verdict) == datetime(2026, 12, 26, 15, tzinfo=UTC).timestamp()


def test_federal_hours_in_every_zone_of_the_number() -> None:
    # Alaska's area code spans two zones (Anchorage, Adak): 17:30 UTC is 08:30 and 07:30.
    gate = gate_for()
    verdict = check(gate, callback("+19075550100", None), datetime(2026, 12, 7, 17, 30,
                                                                   tzinfo=UTC))
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.WAIT
    assert earliest_allowed(verdict) == datetime(2026, 12, 7, 18, tzinfo=UTC).timestamp()


# --- attempt limits and Regulation F: callbacks count as calls -------------------------------


COLLECTION = CampaignRules("collect", profiles=(Profile.US_FEDERAL, Profile.REG_F),
                           autodialed=False, telemarketing=False)


def _attempts(number: str, count: int) -> list[PastAttempt]:
    return [PastAttempt(MONDAY - timedelta(days=6, hours=-i), number, "collect")
            for i in range(count)]


def test_reg_f_seven_calls_in_seven_days_hold_the_callback() -> None:
    gate = gate_for(COLLECTION, history=History(_attempts(NEW_YORK, 7)))
    verdict = check(gate, callback(NEW_YORK, MONDAY - timedelta(minutes=5)), MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.WAIT
    assert any(r.startswith("reg_f.seven_in_seven:") for r in verdict.reasons)
    # The oldest of the seven leaves the 7 x 24 h window, and its local week ends.
    assert earliest_allowed(verdict) > (MONDAY + timedelta(hours=6)).timestamp()


def test_a_callbacks_own_dials_count_toward_seven_in_seven() -> None:
    gate = gate_for(COLLECTION, history=History(_attempts(NEW_YORK, 6)))
    target = callback(NEW_YORK, MONDAY - timedelta(minutes=5))
    assert check(gate, target, MONDAY).allowed  # the seventh
    gate.gate.record_dial(NEW_YORK, MONDAY.timestamp(), "collect", target.lead_id)
    again = gate.check(target, (MONDAY + timedelta(minutes=10)).timestamp())
    assert not again.allowed and refusal_kind(again) is Refusal.WAIT


def test_a_campaign_cap_counts_callbacks_like_campaign_dials() -> None:
    from dnc.rules.model import AttemptCap

    rules = CampaignRules("spring", profiles=US_STATES, autodialed=False, seller="Acme",
                          attempt_caps=(AttemptCap(2, timedelta(days=1), per_person=False),))
    gate = gate_for(rules, history=History([
        PastAttempt(MONDAY - timedelta(hours=2), NEW_YORK, "spring", lead_id="17"),
        PastAttempt(MONDAY - timedelta(hours=1), NEW_YORK, "spring", lead_id="17")]))
    verdict = check(gate, callback(NEW_YORK, MONDAY - timedelta(minutes=5)), MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.WAIT
    assert any(r.startswith("campaign.attempts.") for r in verdict.reasons)


# --- the internal list, facts not loaded, the audit ------------------------------------------


def test_the_internal_list_refuses_finally() -> None:
    gate = gate_for(opted_out=frozenset({NEW_YORK}))
    verdict = check(gate, callback(NEW_YORK, MONDAY - timedelta(minutes=5)), MONDAY)
    assert not verdict.allowed and refusal_kind(verdict) is Refusal.FINAL
    assert any(r.startswith("dial_gate.internal_dnc:") for r in verdict.reasons)


def test_a_callback_whose_facts_are_not_loaded_waits_for_them_then_stops_naming_a_time(
) -> None:
    gate = gate_for()
    target = callback(NEW_YORK, None)
    first = gate.check(target, MONDAY.timestamp())
    assert not first.allowed and earliest_allowed(first) == MONDAY.timestamp() + LOADING_RETRY
    late = gate.check(target, MONDAY.timestamp() + LOADING_LIMIT)
    assert not late.allowed and refusal_kind(late) is Refusal.RETRY


def test_every_callback_decision_is_audited_with_the_callbacks_id(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit", fsync_every=1)
    gate = gate_for(registries=Registries(national={NEW_YORK}), audit=audit)
    allowed = check(gate, callback(NEW_YORK, MONDAY - timedelta(minutes=5)), MONDAY)
    refused = check(gate, callback(NEW_YORK, None, "cb-2"), MONDAY)
    assert allowed.decision_id and refused.decision_id
    assert gate.gate.flush_audit() == 2
    entries = {e["lead_id"]: e for e in audit.entries(number=NEW_YORK)}
    assert entries["queue-callback:cb-1"]["allowed"] is True
    assert {"rule": "us.national_dnc", "permission": entries["queue-callback:cb-1"][
        "permissions"][0]["permission"]} in entries["queue-callback:cb-1"]["permissions"]
    assert entries["queue-callback:cb-2"]["allowed"] is False
    assert [f["rule"] for f in entries["queue-callback:cb-2"]["failed"]] == ["us.national_dnc"]
    assert entries["queue-callback:cb-2"]["decision_id"] == refused.decision_id


@pytest.mark.parametrize("number", [NEW_YORK, DETROIT])
def test_the_target_carries_the_inquiry_the_gate_decides_on(number: str) -> None:
    # The engine's target is the source: a check with another inquiry than the one loaded
    # decides on the target's (the facts kept are replaced, the history kept).
    gate = gate_for(registries=Registries(national={number}))
    target = callback(number, None)
    assert not check(gate, target, MONDAY).allowed
    with_inquiry = callback(number, MONDAY - timedelta(days=2))
    assert gate.check(with_inquiry, (MONDAY + timedelta(hours=1)).timestamp()).allowed
