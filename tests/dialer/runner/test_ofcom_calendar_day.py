"""Ofcom's abandoned-call rate per UK calendar day (the review's U1), as the runner measures it.

The 2010 clarification reads Ofcom's 24-hour period as midnight to midnight. The runner
handed the gate only its rolling 24 h rate: at 23:00 the day's own rate could be 3 % or more
while the rolling one, diluted by the previous evening, was below, and UK dials went on.
Now the runner measures the UK day too (``CampaignUpkeep.refresh_ledger_once``: this
process's answers from the engine's ledger, the other processes' and this process's before
the ledger's window from the journal) and ``uk.abandon_rate`` refuses when either is 3 % or
more. These tests drive the real ledger and upkeep against a journal held in memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.engine.ledger import AbandonLedger
from dialer.runner.upkeep import CampaignUpkeep
from dnc.rules.ofcom import AbandonRateRule

LONDON = ZoneInfo("Europe/London")
OWNER = "this-process"
DAY = 86400.0


@dataclass
class Journal:
    """The campaign's live answers as the store journals them: (answered_at, abandoned)."""

    own: list[tuple[datetime, bool]] = field(default_factory=list)
    others: list[tuple[datetime, bool]] = field(default_factory=list)

    def ledger_counts(self, campaign, *, now, window, exclude_owner=None, period_since=None):
        assert exclude_owner == OWNER  # the runner counts its own answers in its ledger
        rows = [abandoned for at, abandoned in self.others if now - window <= at < now]
        return SimpleNamespace(live_answers=len(rows), abandons=sum(rows),
                               period_live_answers=0, period_abandons=0)

    def ledger_entries(self, campaign, *, since, process_owner=None):
        assert process_owner == OWNER
        return [(at, abandoned) for at, abandoned in sorted(self.own) if at >= since]


class Campaign:
    """One UK campaign: this process's engine ledger and upkeep, the others in the journal."""

    def __init__(self) -> None:
        self.journal = Journal()
        self.ledger = AbandonLedger(DAY)
        self.gate = SimpleNamespace(campaign_state=None)
        self.now = 0.0

        async def call(function, *args, **kwargs):
            return function(*args, **kwargs)

        self.upkeep = CampaignUpkeep(
            store=self.journal, link=SimpleNamespace(campaign_id=1),  # type: ignore[arg-type]
            owner=OWNER, ledger_window=DAY, settings=None, hopper=None,  # type: ignore[arg-type]
            db=SimpleNamespace(call=call), gate=self.gate,  # type: ignore[arg-type]
            claim_check=None, claim_ttl=None, clock=lambda: self.now,  # type: ignore[arg-type]
            post=None)  # type: ignore[arg-type]
        self.upkeep.attach(SimpleNamespace(ledger=self.ledger))  # type: ignore[arg-type]

    def answer(self, at: datetime, abandoned: bool, *, own: bool) -> None:
        if own:
            entry = self.ledger.record_live(at.timestamp())
            if abandoned:
                self.ledger.mark_abandoned(entry)
            self.journal.own.append((at, abandoned))
        else:
            self.journal.others.append((at, abandoned))

    def dial_allowed(self, at: datetime) -> tuple[bool, str]:
        self.now = at.timestamp()
        self.ledger.prune(self.now)
        asyncio.run(self.upkeep.refresh_ledger_once())
        outcome = AbandonRateRule().evaluate(
            SimpleNamespace(campaign_state=self.gate.campaign_state), at)  # type: ignore[arg-type]
        return outcome.passed, str(outcome.reason)


def uk_midnight(at: datetime) -> datetime:
    local = at.astimezone(LONDON)
    return datetime(local.year, local.month, local.day, tzinfo=LONDON).astimezone(UTC)


def test_at_23_00_the_days_own_rate_refuses_though_the_rolling_rate_is_below() -> None:
    """Yesterday evening 1,000 answers, none abandoned; today 100 answers, 3 abandoned. At
    23:00 the rolling 24 h rate is 3 in 1,100 (0.27 %) and the day's 3 in 100 (3 %): refused
    (it was allowed on the rolling rate alone)."""
    campaign = Campaign()
    yesterday = datetime(2026, 11, 16, 23, 5, tzinfo=UTC)  # 23:05 GMT on the 16th
    for index in range(1000):
        campaign.answer(yesterday + timedelta(seconds=3 * index), False, own=index % 2 == 0)
    today = datetime(2026, 11, 17, 9, tzinfo=UTC)
    for index in range(100):
        campaign.answer(today + timedelta(minutes=5 * index), index < 3, own=index % 3 == 0)
    allowed, reason = campaign.dial_allowed(datetime(2026, 11, 17, 23, tzinfo=UTC))
    assert campaign.gate.campaign_state.abandon_rate_24h < 0.03
    assert not allowed and "today" in reason, reason
    assert campaign.gate.campaign_state.abandon_rate_today == 0.03
    # The next UK day begins at midnight with none of its own, but the last 24 h (yesterday
    # evening's clean answers gone) are now 3 % too: still refused, by the rolling rate.
    allowed, reason = campaign.dial_allowed(datetime(2026, 11, 18, 0, 0, 1, tzinfo=UTC))
    assert campaign.gate.campaign_state.abandon_rate_today == 0.0
    assert not allowed and "in 24 h" in reason, reason


def test_the_25_hour_day_counts_its_first_hour_which_the_24h_ledger_no_longer_holds() -> None:
    """25 Oct 2026 (UK clocks go back) lasts 25 hours: at 23:30 GMT its first half hour is
    more than 24 h ago, out of the engine's ledger. This process's 3 abandons at 00:05 BST
    and 97 clean answers later are 3 % of the day: refused, though the rolling rate is 0."""
    campaign = Campaign()
    start = datetime(2026, 10, 24, 23, 5, tzinfo=UTC)  # 00:05 BST on the 25th
    assert uk_midnight(start) == datetime(2026, 10, 24, 23, tzinfo=UTC)
    for index in range(3):
        campaign.answer(start + timedelta(minutes=index), True, own=True)
    for index in range(97):
        campaign.answer(datetime(2026, 10, 25, 10, tzinfo=UTC) + timedelta(minutes=index),
                        False, own=True)
    at = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)  # 23:30 GMT, still the 25th
    allowed, reason = campaign.dial_allowed(at)
    assert campaign.gate.campaign_state.abandon_rate_24h == 0.0
    assert campaign.gate.campaign_state.abandon_rate_today == 0.03
    assert not allowed and "today" in reason, reason


CLOCK_CHANGES = (datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 10, 24, 12, tzinfo=UTC))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(CLOCK_CHANGES),
       answers=st.lists(st.tuples(st.integers(0, 3 * 86400), st.booleans(), st.booleans(),
                                  st.integers(0, 30)), min_size=1, max_size=60),
       checks=st.lists(st.integers(0, 3 * 86400), min_size=1, max_size=12))
def test_no_dial_is_allowed_while_any_uk_day_or_24h_rate_as_counted_is_three_percent(
        base, answers, checks) -> None:
    """Any answers (this process's or another's, abandoned or not, in bursts), around the
    23- and 25-hour UK days of 2026: at any instant the runner hands the gate the exact rate
    of the UK calendar day so far and of the last 24 h, and no dial is allowed while either
    is 3 % or more."""
    events = sorted((base + timedelta(seconds=second), abandoned, own, burst)
                    for second, abandoned, own, burst in answers)
    campaign = Campaign()
    fed = 0
    for second in sorted(checks):
        now = base + timedelta(seconds=second, microseconds=500)
        while fed < len(events) and events[fed][0] < now:
            at, abandoned, own, burst = events[fed]
            for index in range(burst + 1):  # one abandon in a burst of clean answers
                campaign.answer(at, abandoned and index == 0, own=own)
            fed += 1
        answered = [(at, abandoned and index == 0)
                    for at, abandoned, _own, burst in events[:fed] for index in range(burst + 1)]
        day = [abandoned for at, abandoned in answered if uk_midnight(now) <= at < now]
        rolling = [abandoned for at, abandoned in answered
                   if now - timedelta(hours=24) <= at < now]
        allowed, reason = campaign.dial_allowed(now)
        state = campaign.gate.campaign_state
        assert state.abandon_rate_today == (sum(day) / len(day) if day else 0.0)
        assert state.abandon_rate_24h == (sum(rolling) / len(rolling) if rolling else 0.0)
        if allowed:
            assert not day or sum(day) / len(day) < 0.03, reason
            assert not rolling or sum(rolling) / len(rolling) < 0.03, reason
