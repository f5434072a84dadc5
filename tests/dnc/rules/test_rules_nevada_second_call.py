"""NRS 597.814(2)(b): no call-back or second call by a device for automatic dialing and
announcing to a number whose person terminated the original call (the review's NV row, (2)(b)
"missing"). An earlier prerecorded call to a Nevada number that the called party ended, or
may have (the record does not say who ended it: fail closed), refuses every later
prerecorded call to that number, in any campaign; ``dnc/rules/adad.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
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


@pytest.mark.parametrize(("ended", "answered", "message", "cause", "expected"), [
    (False, False, None, None, True),             # not ended yet: unknown, counted
    (False, True, None, None, True),
    (True, True, None, "NORMAL_CLEARING", True),  # answered, no message confirmed: unknown
    (True, True, "cut_off", "NORMAL_CLEARING", True),
    (True, True, "played", "NORMAL_CLEARING", True),    # started, its end not reported
    (True, True, "unconfirmed", "NORMAL_CLEARING", True),
    (True, True, "completed", "NORMAL_CLEARING", False),  # the switch hung up after it
    (True, False, None, "NO_ANSWER", False),      # the dialer gave up ringing
    (True, False, None, "USER_BUSY", False),
    (True, False, None, "CALL_REJECTED", True),   # declined while ringing
])
def test_who_ended_the_call_is_read_the_strict_way(ended, answered, message, cause,
                                                   expected) -> None:
    assert called_party_may_have_ended(ended=ended, answered=answered, message=message,
                                       cause=cause) is expected


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
            row(1, **{**voicemail, "message_outcome": "completed"}),
            row(1, ended_at=at + timedelta(seconds=25), outcome="no_answer",
                hangup_cause="NO_ANSWER"),
            row(1)]
    found = past_attempts(rows, {1: ("drops", None, True), 2: ("agents", None, False)})
    assert [a.prerecorded_hang_up for a in found] == [True, False, True, False, False, True]


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
