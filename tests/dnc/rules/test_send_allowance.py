"""Calling hours hold until the dial reaches the switch, not only at the decision instant
(docs/compliance-proof.md, fourth pass, "Decision instant vs. the originate"): a dial is
allowed only if its window stays open for ``SEND_ALLOWANCE`` after the decision."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import FakeHistory, FakeRegistries, campaign, outcome, pewc

from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.base import SEND_ALLOWANCE, CallingHoursRule, RuleContext, next_sendable
from dnc.rules.calendar import WeeklyWindow, allowed_in_all
from dnc.rules.engine import ComplianceEngine
from dnc.rules.federal import FEDERAL_HOURS
from dnc.rules.model import LeadFacts, Profile
from dnc.rules.regf import REG_F_HOURS
from dnc.rules.tables import RuleTables

NEW_YORK = ZoneInfo("America/New_York")
MIAMI = "+13055550123"
FEDERAL = campaign(Profile.US_FEDERAL)
ZONES = [ZoneInfo(key) for key in ("America/New_York", "America/Chicago", "America/Denver",
                                   "America/Phoenix", "America/Los_Angeles", "Pacific/Honolulu",
                                   "Europe/London", "Asia/Kolkata")]
WEEKDAYS = CallingHoursRule(
    rule_id="test.weekdays", title="weekdays 09:00-20:00", citation="test",
    window=WeeklyWindow(days=((time(9), time(20)),) * 5 + (None, None)))
RULES = (FEDERAL_HOURS, REG_F_HOURS, WEEKDAYS)


def checker(at: datetime) -> ComplianceEngine:
    national = RegistryVersion("national", RegistryKind.NATIONAL, "national@fresh",
                               at - timedelta(days=1))
    return ComplianceEngine(FakeRegistries(None, [national]), FakeHistory(()), RuleTables())


def context(zones: tuple[ZoneInfo, ...]) -> RuleContext:
    lead = LeadFacts(MIAMI)
    return RuleContext(lead=lead, campaign=FEDERAL, placement=None, zones=zones, hits=(),
                       versions=(), attempts=(), campaign_state=None)


def test_a_dial_decided_at_20_59_59_local_is_refused_and_retried_at_the_next_opening():
    """At 20:59:59 the window is open but closes before the originate may leave: refused
    (it was allowed), with the next day's 08:00 as the earliest retry (Central: Florida's
    panhandle is a candidate zone of a 305 number's state)."""
    lead = LeadFacts(MIAMI, consents=(pewc(MIAMI),))
    at = datetime(2026, 6, 10, 20, 59, 59, tzinfo=NEW_YORK).astimezone(UTC)
    hours = outcome(checker(at).check(lead, FEDERAL, at), "us.calling_hours")
    assert not hours.passed
    assert "send allowance" in hours.reason
    assert hours.earliest == datetime(2026, 6, 11, 8, tzinfo=ZoneInfo("America/Chicago"))
    # The whole last allowance of the evening is refused (21:00 itself is outside), the
    # instant before it is not.
    last = (datetime(2026, 6, 10, 21, tzinfo=NEW_YORK).astimezone(UTC) - SEND_ALLOWANCE
            - timedelta(microseconds=1))
    assert FEDERAL_HOURS.evaluate(context((NEW_YORK,)), last).passed
    assert not FEDERAL_HOURS.evaluate(context((NEW_YORK,)),
                                      last + timedelta(microseconds=1)).passed


def test_a_remembered_minute_does_not_allow_its_last_seconds():
    """The per-minute pass memo: a pass early in 20:59 must not answer for 20:59:58."""
    ctx = context((NEW_YORK,))
    early = datetime(2026, 6, 10, 20, 59, 1, tzinfo=NEW_YORK).astimezone(UTC)
    assert FEDERAL_HOURS.evaluate(ctx, early).passed
    assert not FEDERAL_HOURS.evaluate(ctx, early + timedelta(seconds=57)).passed
    ctx2 = context((NEW_YORK,))
    earlier = early - timedelta(minutes=1)  # 20:58:01: remembered for its minute
    assert FEDERAL_HOURS.evaluate(ctx2, earlier).passed
    assert FEDERAL_HOURS.evaluate(ctx2, earlier + timedelta(seconds=58)).passed


INSTANTS = st.datetimes(min_value=datetime(2026, 3, 6), max_value=datetime(2026, 3, 10),
                        timezones=st.just(UTC)) | \
    st.datetimes(min_value=datetime(2026, 10, 23), max_value=datetime(2026, 11, 3),
                 timezones=st.just(UTC))
"""Days around the 2026 clock changes (US and European)."""


@settings(max_examples=400, deadline=None)
@given(at=INSTANTS, zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3,
                                   unique=True).map(tuple),
       delay=st.timedeltas(min_value=timedelta(0), max_value=SEND_ALLOWANCE),
       rule=st.sampled_from(RULES), near_end=st.booleans())
def test_an_allowed_dial_is_sent_inside_its_window(at, zones, delay, rule, near_end):
    """For any decision instant and any send delay within the allowance, a dial the rule
    allows is sent while the window is open in every zone; a refusal's earliest instant is
    itself allowed."""
    if near_end:  # seconds before the first zone's 21:00 / 20:00, where the bug was
        local = at.astimezone(zones[0])
        end = local.replace(hour=20 if rule is WEEKDAYS else 21, minute=0, second=0,
                            microsecond=0)
        at = end.astimezone(UTC) - timedelta(seconds=(at.microsecond % 10_000) / 1000)
    ctx = context(zones)
    verdict = rule.evaluate(ctx, at)
    if verdict.passed:
        assert allowed_in_all(rule.window, zones, at + delay)
    elif verdict.earliest is not None:
        assert verdict.earliest >= at
        assert rule.evaluate(context(zones), verdict.earliest).passed
        assert verdict.earliest == next_sendable(rule.window, zones, at)
