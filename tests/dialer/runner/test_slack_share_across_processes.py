"""The campaign's abandonment slack shared by two dialer processes on one store (a SQLite
file, or PostgreSQL when reachable): each process's upkeep publishes its record and takes
its claim (campaigns/slack_claims.py), and the second process's limit guard sees what the
first holds; a crashed process's claim expires; a record that cannot be written leaves the
process no slack (docs/pacing.md, "Several processes: the slack is shared")."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from campaigns.slack_claims import slack_claim, slack_claims
from campaigns.store import CampaignStore
from dialer.engine.ledger import AbandonLedger
from dialer.runner.upkeep import CampaignUpkeep, slack_claim_ttl
from pacing_models.interface import AttemptResult, PacingDecision, PacingState
from pacing_models.limit_guard import LimitGuard
from tests.dialer.runner.person_caps_kit import migrated_store_url
from tests.dialer.runner.test_runner_postgres import pg_schema_url  # noqa: F401  (fixture)

DAY = 86400.0
TARGET = 0.03


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    return migrated_store_url(request, tmp_path)


class Greedy:
    """A ratio policy that wants far more lines than the slack allows."""

    name = "power"

    def decide(self, state: PacingState) -> PacingDecision:
        return PacingDecision(100, "greedy")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        pass

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass


class Engine:
    """The parts of the engine the upkeep reads: its ledger, its config and its pacing
    state (no free agent: every line in flight may abandon)."""

    def __init__(self, ledger: AbandonLedger) -> None:
        self.ledger = ledger
        self.config = SimpleNamespace(abandon_target=TARGET, ring_timeout=25.0)
        self.lines = 0
        self.guard = LimitGuard(Greedy())

    def pacing_state(self, now: float) -> PacingState:
        self.ledger.prune(now)
        live, abandons = self.ledger.binding_counts(TARGET)
        return PacingState(now=now, agents_free=0, ringing_lines=self.lines,
                           live_answers_in_window=live, abandons_in_window=abandons,
                           abandon_target=TARGET)

    def dial(self, now: float) -> int:
        placed = self.guard.decide(self.pacing_state(now)).calls_to_launch
        self.lines += placed
        return placed


async def _call(function, *args, **kwargs):
    return function(*args, **kwargs)


class Process:
    """One dialer process: its own store connection, upkeep and engine."""

    def __init__(self, url: str, owner: str, campaign_id: int, now: float,
                 answers: int = 0, abandons: int = 0) -> None:
        self.store = CampaignStore.open(url, upgrade=False)
        self.now = now
        seed = [(now - DAY + i, i < abandons) for i in range(answers)]
        self.engine = Engine(AbandonLedger(30 * DAY, seed, period_origin=now - 10 * DAY))
        self.upkeep = CampaignUpkeep(
            store=self.store, link=SimpleNamespace(campaign_id=campaign_id), owner=owner,
            ledger_window=30 * DAY, settings=None, hopper=None,
            db=SimpleNamespace(call=_call), gate=None, claim_check=None, claim_ttl=None,
            clock=lambda: self.now, post=None)  # type: ignore[arg-type]
        self.upkeep.attach(self.engine)  # type: ignore[arg-type]

    def sees(self, live: int, abandons: int) -> None:
        """The other processes' counts, as the ledger refresh hands them over."""
        ledger = self.engine.ledger
        ledger.prune(self.now)
        ledger.set_shared_counts(live, abandons)
        ledger.set_shared_period_counts(ledger.period_start, live, abandons)

    def share(self):
        return asyncio.run(self.upkeep.share_slack_once())


def _campaign(url: str) -> int:
    store = CampaignStore.open(url, upgrade=False)
    try:
        return store.create_campaign("spring", at=datetime.now(UTC)).id
    finally:
        store.close()


def test_the_second_processs_guard_sees_the_first_processs_claim(url) -> None:
    campaign = _campaign(url)
    now = time.time()
    # The first process's 1,000 live answers and 10 abandons: a slack of 30 − 10 = 20.
    a = Process(url, "host-a", campaign, now, answers=1000, abandons=10)
    try:
        assert a.engine.dial(now) == 0  # nothing claimed before its first grant
        assert a.share().remaining is None  # alone: the whole slack
        assert a.engine.dial(now) == 19  # 20 less the guard's reserve
        b = Process(url, "host-b", campaign, now)
        try:
            b.sees(1000, 10)  # the campaign's counts: alone, its guard would allow 19
            unshared = LimitGuard(Greedy()).decide(PacingState(
                now=now, agents_free=0, ringing_lines=0, live_answers_in_window=1000,
                abandons_in_window=10, abandon_target=TARGET)).calls_to_launch
            assert unshared == 19
            granted = b.share()
            assert (granted.remaining, granted.peers) == (0, 1)
            assert b.engine.dial(now) == 0  # the first holds the whole slack
            # The first sees the second and takes a bounded claim: its 19 lines out.
            assert a.share().remaining == 19
            assert b.share().remaining == 1
            assert b.engine.dial(now) == 0  # one abandon of slack, less the reserve
            a.engine.lines = 4  # 15 of its calls ended
            assert a.share().remaining == 10  # its fair half
            assert b.share().remaining == 10
            assert b.engine.dial(now) == 9
            assert a.engine.dial(now) == 5
            assert a.engine.lines + b.engine.lines <= 20
            assert [(r.process_owner, r.remaining) for r in slack_claims(a.store, campaign)] \
                == [("host-a", 10), ("host-b", 10)]
        finally:
            b.store.close()
    finally:
        a.store.close()


def _age(store: CampaignStore, owner: str, *, expired: bool) -> None:
    """The record as time leaves it: heartbeat long ago, and expired or not yet."""
    with store.session() as session:
        session.execute(sa.update(slack_claim).where(slack_claim.c.process_owner == owner)
                        .values(heartbeat_at=slack_claim.c.heartbeat_at - 3600.0,
                                expires_at=slack_claim.c.expires_at
                                - (3600.0 if expired else 0.0)))
        session.commit()


def test_a_crashed_processs_claim_counts_until_it_expires(url) -> None:
    campaign = _campaign(url)
    now = time.time()
    a = Process(url, "host-a", campaign, now, answers=1000, abandons=10)
    b = Process(url, "host-b", campaign, now)
    try:
        assert a.share().remaining is None
        a.engine.dial(now)
        b.sees(1000, 10)
        assert b.share().remaining == 0
        # host-a crashes: no heartbeat for an hour, its record not yet expired: it counts
        # at its last published value (the whole slack).
        _age(a.store, "host-a", expired=False)
        assert b.share().remaining == 0
        assert b.engine.dial(now) == 0
        # Expired (its lines have drained by then): the slack is the survivor's.
        _age(a.store, "host-a", expired=True)
        granted = b.share()
        assert (granted.remaining, granted.peers) == (None, 0)
        assert b.engine.dial(now) == 19
        assert [r.process_owner for r in slack_claims(b.store, campaign)] == ["host-b"]
    finally:
        a.store.close()
        b.store.close()


def test_a_record_that_cannot_be_written_leaves_no_slack(url) -> None:
    campaign = _campaign(url)
    now = time.time()
    a = Process(url, "host-a", campaign, now, answers=1000, abandons=10)
    try:
        assert a.share().remaining is None
        assert a.engine.dial(now) == 19

        async def down(*args, **kwargs):
            raise OperationalError("share_slack", {}, Exception("database is locked"))

        a.upkeep.db = SimpleNamespace(call=down)
        a.engine.lines = 0
        with pytest.raises(OperationalError):
            a.share()
        assert a.engine.dial(now) == 0
    finally:
        a.store.close()


def test_a_claim_not_granted_again_lapses_before_its_record_expires() -> None:
    """The engine keeps a grant for the hold; the record lives the hold, the ring timeout
    and its allowances beyond: the process's lines have drained before it expires."""
    from dialer.runner.upkeep import SLACK_CLAIM_HOLD

    ledger = AbandonLedger(30 * DAY, [(i, False) for i in range(1000)], period_origin=0.0)
    ledger.set_slack_claim(None, 0, 100.0 + SLACK_CLAIM_HOLD)
    ledger.prune(100.0)
    assert ledger.binding_counts(TARGET) == (1000, 0)
    ledger.prune(100.0 + SLACK_CLAIM_HOLD)
    assert ledger.binding_counts(TARGET) == (1000, 30)  # no slack left to spend
    assert slack_claim_ttl(300.0) > SLACK_CLAIM_HOLD + 300.0 + 15.0
