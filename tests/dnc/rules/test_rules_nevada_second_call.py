"""NRS 597.814(2)(b): no call-back or second call by a device for automatic dialing and
announcing to a number whose person terminated the original call (the review's NV row, (2)(b)
"missing"). An earlier prerecorded call to a Nevada number that the called party ended, or
may have (the record does not say who ended it: fail closed), refuses every later
prerecorded call to that number, in any campaign; ``dnc/rules/adad.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import SELLER, FakeHistory, FakeRegistries, campaign, outcome
from test_rules_review_findings import US, fresh_versions

from campaigns.compliance import past_attempts
from campaigns.models import CallAttempt
from dnc.interfaces import LineType, PastAttempt
from dnc.rules.adad import RETENTION, called_party_may_have_ended
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import ConsentKind, ConsentRecord, LeadFacts, RecordedMessage
from dnc.rules.tables import RuleTables

VEGAS = "+17025550123"
RENO_AT = datetime(2026, 11, 10, 20, tzinfo=UTC)  # 12:00 in Nevada
RULE = "state.NV.prerecorded.second_call"
MESSAGE = RecordedMessage(True, "+12015550100", "+18005550100", True)


def lead(number: str = VEGAS) -> LeadFacts:
    consents = tuple(ConsentRecord(kind, datetime(2026, 1, 5, tzinfo=UTC), seller=SELLER,
                                   number=number, source="web form")
                     for kind in (ConsentKind.PRIOR_EXPRESS_WRITTEN, ConsentKind.PRIOR_EXPRESS))
    return LeadFacts(number, consents=consents, line_type=LineType.LANDLINE)


def check(attempts, number: str = VEGAS, prerecorded: bool = True, at: datetime = RENO_AT):
    engine = ComplianceEngine(FakeRegistries(None, fresh_versions(at)), FakeHistory(attempts),
                              RuleTables())
    rules = campaign(*US, prerecorded=prerecorded,
                     recorded_message=MESSAGE if prerecorded else None)
    return engine.check(lead(number), rules, at)


def earlier(days: float, hang_up: bool, number: str = VEGAS) -> PastAttempt:
    return PastAttempt(RENO_AT - timedelta(days=days), number, "other-campaign",
                       answered_live=True, prerecorded_hang_up=hang_up)


def test_a_second_prerecorded_call_after_a_hang_up_is_refused_in_any_campaign() -> None:
    """Another campaign's prerecorded call the person ended, four years ago: refused, with
    no time it becomes allowed. The same call ended by the dialer: allowed."""
    refused = check([earlier(4 * 365, True)])
    result = outcome(refused, RULE)
    assert not result.passed and result.earliest is None and "ended by" in result.reason
    assert not refused.allowed
    allowed = check([earlier(4 * 365, False)])
    assert outcome(allowed, RULE).passed and allowed.allowed, allowed.outcomes


def test_only_nevada_numbers_and_prerecorded_campaigns_are_concerned() -> None:
    chicago = "+13125550123"
    elsewhere = check([earlier(1, True, chicago)], number=chicago)
    assert RULE not in {o.rule_id for o in elsewhere.outcomes if o.applicable}
    live = check([earlier(1, True)], prerecorded=False)
    assert RULE not in {o.rule_id for o in live.outcomes}


def test_the_rule_looks_back_as_far_as_records_are_kept() -> None:
    from campaigns.compliance_settings import RETENTION_MIN_DAYS
    assert timedelta(days=RETENTION_MIN_DAYS) == RETENTION
    assert not outcome(check([earlier(1826, True)]), RULE).passed


@pytest.mark.parametrize(("ended", "answered", "message", "cause", "side", "expected"), [
    (False, False, None, None, None, True),             # not ended yet: unknown, counted
    (False, True, None, None, None, True),
    (False, True, None, None, "dialer", True),          # (a side only comes with the end)
    # The switch did not say who ended it (a loopback channel, an older record): strict.
    (True, True, None, "NORMAL_CLEARING", None, True),  # answered, no message confirmed
    (True, True, "cut_off", "NORMAL_CLEARING", None, True),
    (True, True, "started", "NORMAL_CLEARING", None, True),  # started, its end not reported
    (True, True, "unconfirmed", "NORMAL_CLEARING", None, True),
    (True, True, "played", "NORMAL_CLEARING", None, False),  # the switch hung up after it
    (True, True, "played", "NORMAL_CLEARING", "unknown", False),
    (True, True, None, "NORMAL_CLEARING", "unknown", True),
    (True, True, None, "NORMAL_CLEARING", "Dialer", True),  # not a value the record holds
    (True, False, None, "NO_ANSWER", None, False),      # the dialer gave up ringing
    (True, False, None, "USER_BUSY", None, False),
    (True, False, None, "CALL_REJECTED", None, True),   # declined while ringing
    # The switch said it: decides an answered call.
    (True, True, None, "NORMAL_CLEARING", "dialer", False),       # send_bye
    (True, True, "cut_off", "NORMAL_CLEARING", "dialer", False),  # the dialer hung up in it
    (True, True, None, "NORMAL_CLEARING", "callee", True),        # recv_bye
    (True, True, "played", "NORMAL_CLEARING", "callee", True),    # their BYE came first
    # Before an answer the cause decides: recv_refuse is busy lines and networks too.
    (True, False, None, "USER_BUSY", "callee", False),
    (True, False, None, "NORMAL_CIRCUIT_CONGESTION", "callee", False),
    (True, False, None, "CALL_REJECTED", "callee", True),
    (True, False, None, "CALL_REJECTED", "dialer", True),
    (True, False, None, "NO_ANSWER", "dialer", False),  # send_cancel
])
def test_who_ended_the_call_is_read_the_strict_way(ended, answered, message, cause, side,
                                                   expected) -> None:
    assert called_party_may_have_ended(ended=ended, answered=answered, message=message,
                                       cause=cause, side=side) is expected


def test_journal_rows_of_prerecorded_campaigns_carry_the_fact() -> None:
    """What the store's history (and the re-count where dials are journaled) hands the
    rules: only a prerecorded campaign's attempts count; an unknown campaign counts as one."""
    at = RENO_AT - timedelta(days=2)

    def row(campaign_id: int, **fields) -> tuple:
        return (CallAttempt(campaign_id=campaign_id, phone=VEGAS, dialed_at=at, **fields),
                None, None)

    voicemail = {"answered_at": at, "ended_at": at + timedelta(seconds=40),
                 "outcome": "machine_message", "answer_kind": "machine",
                 "hangup_cause": "NORMAL_CLEARING"}
    rows = [row(1, **voicemail), row(2, **voicemail), row(3, **voicemail),
            row(1, **{**voicemail, "message_outcome": "played"}),
            row(1, ended_at=at + timedelta(seconds=25), outcome="no_answer",
                hangup_cause="NO_ANSWER"),
            row(1),
            row(1, **{**voicemail, "hangup_side": "dialer"}),
            row(1, **{**voicemail, "message_outcome": "played", "hangup_side": "callee"}),
            row(1, **{**voicemail, "hangup_side": "unknown"})]
    found = past_attempts(rows, {1: ("drops", None, True), 2: ("agents", None, False)})
    assert [a.prerecorded_hang_up for a in found] == [True, False, True, False, False, True,
                                                      False, True, True]


def test_a_campaign_is_prerecorded_as_its_settings_say() -> None:
    from campaigns.compliance import attempt_campaign
    from campaigns.models import Campaign

    def prerecorded(settings: dict) -> bool:
        return attempt_campaign(Campaign(name="c", settings=settings))[2]

    assert prerecorded({"machine_action": "leave_message"})
    assert prerecorded({"compliance": {"prerecorded": True}})
    assert not prerecorded({"machine_action": "hang_up"}) and not prerecorded({})
    assert attempt_campaign(Campaign(name="c", settings={"compliance": {"subject": "solar"}})
                            ) == ("c", "solar", False)


_SIDES = st.sampled_from([None, "unknown", "callee", "dialer"])
_MESSAGES = st.sampled_from([None, "played", "cut_off", "started", "unconfirmed", "failed"])
_CAUSES = st.sampled_from(["NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "CALL_REJECTED",
                           "NORMAL_CIRCUIT_CONGESTION"])
_EARLIER = st.fixed_dictionaries({
    "days": st.integers(1, 1800), "campaign": st.sampled_from([1, 2, 3]),
    "answered": st.booleans(), "ended": st.booleans(), "side": _SIDES,
    "message": _MESSAGES, "cause": _CAUSES})


@settings(max_examples=150, deadline=None)
@given(st.lists(_EARLIER, min_size=1, max_size=5))
def test_no_second_prerecorded_call_after_one_the_person_ended_or_may_have(earlier) -> None:
    """Invariant, over any journal: a prerecorded call to a Nevada number is refused exactly
    when an earlier call of a prerecorded campaign (1 and 3; 2 plays none) to it was not
    ended yet, or answered and ended by the callee as the switch said, or answered with no
    side said and no message confirmed played to its end, or declined while ringing. A
    call the switch says it ended itself (``dialer``) never stops the next one."""
    rows = []
    for entry in earlier:
        at = RENO_AT - timedelta(days=entry["days"])
        rows.append((CallAttempt(
            campaign_id=entry["campaign"], phone=VEGAS, dialed_at=at,
            answered_at=at + timedelta(seconds=8) if entry["answered"] else None,
            ended_at=at + timedelta(seconds=40) if entry["ended"] else None,
            hangup_cause=entry["cause"] if entry["ended"] else None,
            message_outcome=entry["message"] if entry["answered"] else None,
            hangup_side=entry["side"] if entry["ended"] else None), None, None))
    found = past_attempts(rows, {1: ("drops", None, True), 2: ("agents", None, False),
                                 3: ("reminders", None, True)})

    def ended_by_the_person(entry) -> bool:
        if entry["campaign"] == 2:
            return False
        if not entry["ended"]:
            return True
        if not entry["answered"]:
            return entry["cause"] == "CALL_REJECTED"
        if entry["side"] == "callee":
            return True
        return entry["side"] != "dialer" and entry["message"] != "played"

    refused = any(ended_by_the_person(entry) for entry in earlier)
    decision = check(found)
    assert outcome(decision, RULE).passed is not refused
    if refused:
        assert not decision.allowed
