"""Regulation F call frequency and the UK Ofcom profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules_kit import campaign, engine, outcome

from dnc.interfaces import PastAttempt, RegistryKind, RegistryVersion
from dnc.rules.model import CampaignState, LeadFacts, Profile
from dnc.rules.ofcom import abandon_rate

NUMBER = "+12015550123"
AT = datetime(2026, 11, 18, 17, tzinfo=UTC)  # Wed 12:00 EST
REG_F = campaign(Profile.REG_F, telemarketing=False)


def attempt(hours_ago, **kw):
    return PastAttempt(AT - timedelta(hours=hours_ago), NUMBER, "collect", **kw)


def test_seven_attempts_in_seven_days_per_debt():
    six = [attempt(20 * i + 1, debt_id="D1") for i in range(6)]
    lead = LeadFacts(NUMBER, debt_id="D1")
    assert engine(attempts=six).check(lead, REG_F, AT).allowed
    seven = [*six, attempt(150, debt_id="D1")]
    decision = engine(attempts=seven).check(lead, REG_F, AT)
    result = outcome(decision, "reg_f.seven_in_seven")
    assert not result.passed
    assert result.earliest == AT - timedelta(hours=150) + timedelta(days=7, microseconds=1)
    # Calls about another debt do not count against this one.
    other = [attempt(20 * i + 1, debt_id="D2") for i in range(7)]
    assert engine(attempts=other).check(lead, REG_F, AT).allowed


def test_no_call_within_seven_days_after_a_conversation():
    talk = attempt(30, debt_id="D1", answered_live=True, conversation=True)
    decision = engine(attempts=[talk]).check(LeadFacts(NUMBER, debt_id="D1"), REG_F, AT)
    assert not decision.allowed
    expected = talk.at + timedelta(days=7)
    assert outcome(decision, "reg_f.after_conversation").earliest == expected
    # The earliest allowed also respects the 08:00-21:00 window: talk was at 06:00 EST.
    assert decision.earliest_allowed == datetime(2026, 11, 24, 13, tzinfo=UTC)


def test_reg_f_inconvenient_hours():
    late = datetime(2026, 11, 19, 2, 30, tzinfo=UTC)  # 21:30 EST
    assert not engine().check(LeadFacts(NUMBER), REG_F, late).allowed


UK = "+442079460000"
OFCOM = campaign(Profile.UK_OFCOM)
TPS = RegistryVersion("tps", RegistryKind.OTHER, "tps@2026-11-15",
                      datetime(2026, 11, 15, tzinfo=UTC))


def uk_engine(**kw):
    """An engine with a TPS list screened three days before AT (uk.tps_freshness passes)."""
    return engine(versions=[TPS], **kw)


def test_ofcom_requires_calling_line_identity():
    decision = engine().check(LeadFacts(UK), campaign(Profile.UK_OFCOM, caller_id_present=False),
                              AT)
    assert not outcome(decision, "uk.cli").passed and decision.earliest_allowed is None


def test_ofcom_no_repeat_within_72h_of_abandoned_call_unless_agent_guaranteed():
    abandoned = PastAttempt(AT - timedelta(hours=10), UK, "spring", answered_live=True,
                            abandoned=True)
    checker = uk_engine(attempts=[abandoned])
    decision = checker.check(LeadFacts(UK), OFCOM, AT)
    assert not decision.allowed
    # 72 h after it is still within 72 h (closed bound): the next microsecond is allowed.
    assert decision.earliest_allowed == abandoned.at + timedelta(hours=72, microseconds=1)
    assert checker.check(LeadFacts(UK), campaign(Profile.UK_OFCOM, agent_guaranteed=True),
                         AT).allowed


def test_ofcom_has_no_statutory_calling_hours():
    three_am = datetime(2026, 11, 18, 3, tzinfo=UTC)
    assert uk_engine().check(LeadFacts(UK), OFCOM, three_am).allowed


def test_ofcom_abandon_rate_of_three_percent_or_more_refuses():
    """Since the 2016 statement 3 % is the enforcement-priority line, not a safe harbour: an
    abandoned-call rate of 3 % or more is refused (the review's U1)."""
    assert abandon_rate(3, 100) == 0.03
    over = CampaignState(abandon_rate_24h=abandon_rate(4, 100), abandon_rate_today=0.0)
    decision = uk_engine().check(LeadFacts(UK), OFCOM, AT, over)
    assert not outcome(decision, "uk.abandon_rate").passed
    at_limit = CampaignState(abandon_rate_24h=0.03, abandon_rate_today=0.0)
    assert not outcome(uk_engine().check(LeadFacts(UK), OFCOM, AT, at_limit),
                       "uk.abandon_rate").passed
    below = CampaignState(abandon_rate_24h=abandon_rate(29, 1000),
                          abandon_rate_today=abandon_rate(29, 1000))
    assert uk_engine().check(LeadFacts(UK), OFCOM, AT, below).allowed


def test_ofcom_abandon_rate_of_the_uk_calendar_day_refuses_at_three_percent():
    """The 2010 clarification's midnight-to-midnight day: the day's own rate at 3 % refuses
    though the rolling 24 h rate is below; an unknown day rate refuses (fail closed)."""
    for today, passed in ((0.03, False), (None, False), (0.0299, True)):
        state = CampaignState(abandon_rate_24h=0.01, abandon_rate_today=today)
        result = outcome(uk_engine().check(LeadFacts(UK), OFCOM, AT, state),
                         "uk.abandon_rate")
        assert result.passed is passed, (today, result.reason)
        assert passed or "today" in str(result.reason)


def test_tps_listing_blocks_uk_marketing_without_consent():
    from dnc.interfaces import RegistryKind, RegistryVersion
    from dnc.rules.model import ConsentKind, ConsentRecord

    tps = RegistryVersion("tps", RegistryKind.OTHER, "tps@2026-11-15", AT)
    checker = engine({tps: [UK]}, versions=[tps])
    assert not outcome(checker.check(LeadFacts(UK), OFCOM, AT), "uk.tps").passed
    # PECR reg. 21: notified to this caller, for this line (tests/dnc/rules/test_rules_proof.py)
    consent = ConsentRecord(ConsentKind.PRIOR_EXPRESS, AT - timedelta(days=3),
                            seller=OFCOM.seller, number=UK)
    assert checker.check(LeadFacts(UK, consents=(consent,)), OFCOM, AT).allowed


def test_ofcom_abandon_rate_that_is_not_a_rate_refuses():
    """NaN compares false with the 3 % line, so a NaN rate (a 0/0 somewhere upstream)
    passed every dial; a negative or above-one rate is no measurement either: each is an
    unknown rate, refused (fail closed), for the 24 h rate and the day's."""
    for bad in (float("nan"), -0.01, 1.5, float("inf")):
        for state in (CampaignState(abandon_rate_24h=bad, abandon_rate_today=0.0),
                      CampaignState(abandon_rate_24h=0.0, abandon_rate_today=bad)):
            result = outcome(uk_engine().check(LeadFacts(UK), OFCOM, AT, state),
                             "uk.abandon_rate")
            assert not result.passed and "not known" in str(result.reason), (bad, state)
