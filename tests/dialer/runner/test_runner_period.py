"""The runner tells the engine when the campaign began (its first attempt in the store), so
the engine bounds the campaign's current 30-day period (47 CFR 64.1200(a)(7)(i)), and
shares the other processes' counts in that period as it does the window's."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from runner_kit import make_store, settings_for

from campaigns.journal_batch import BeginOp
from dialer.engine.ledger import AbandonLedger
from dialer.esl.url import EslUrl
from dialer.runner.runner import Runner
from dialer.runner.upkeep import CampaignUpkeep

DAY = 86400.0


def _runner(tmp_path, store, now: float) -> Runner:
    # Built, never run: nothing connects to the (absent) switch.
    return Runner(settings_for(tmp_path, EslUrl("127.0.0.1", 9)), store, clock=lambda: now)


def _dial(store, owner: str, at: datetime, uuid: str) -> None:
    (lead,) = store.claim_leads("demo", 1, owner=owner, now=datetime.now(UTC))
    store.journal_batch([BeginOp(uuid, lead.lead_id, at)], owner=owner)


def test_the_engine_is_told_the_campaign_began_at_its_first_attempt(tmp_path):
    store = make_store(tmp_path, agents=1, leads=10)
    now = time.time()
    first = datetime.fromtimestamp(now - 35 * DAY, tz=UTC).replace(microsecond=0)
    _dial(store, "p1", first + timedelta(days=3), "u2")
    _dial(store, "p2", first, "u1")  # journaled later by another process, dialed first
    runner = _runner(tmp_path, store, now)
    assert runner.config.abandon_period_start == first.timestamp()


def test_a_campaign_without_attempts_begins_now(tmp_path):
    store = make_store(tmp_path, agents=1, leads=10)
    now = time.time()
    assert _runner(tmp_path, store, now).config.abandon_period_start == now


def test_a_first_attempt_dated_after_now_begins_the_campaign_now(tmp_path):
    """Fail closed: another process's clock ahead never pushes the period's start later
    than now (that could make the current period longer than the true one)."""
    store = make_store(tmp_path, agents=1, leads=10)
    now = time.time()
    _dial(store, "p1", datetime.fromtimestamp(now + 3600.0, tz=UTC), "u1")
    assert _runner(tmp_path, store, now).config.abandon_period_start == now


def test_upkeep_hands_the_engine_the_other_processes_counts_in_the_current_period():
    async def call(function, *args, **kwargs):
        return function(*args, **kwargs)

    now = 40 * DAY
    asked = {}

    def ledger_counts(*args, **kwargs):
        asked.update(kwargs)
        return SimpleNamespace(live_answers=3000, abandons=35, period_live_answers=1000,
                               period_abandons=35)

    ledger = AbandonLedger(30 * DAY, period_origin=0.0)
    ledger.prune(now)
    upkeep = CampaignUpkeep(
        store=SimpleNamespace(ledger_counts=ledger_counts), link=SimpleNamespace(campaign_id=1),
        owner="a", ledger_window=30 * DAY, settings=None, hopper=None,
        db=SimpleNamespace(call=call), gate=None, claim_check=None, claim_ttl=None,
        clock=lambda: now, post=None)  # type: ignore[arg-type]
    upkeep.attach(SimpleNamespace(ledger=ledger))  # type: ignore[arg-type]
    asyncio.run(upkeep.refresh_ledger_once())
    assert asked["period_since"] == datetime.fromtimestamp(30 * DAY, tz=UTC)
    assert (ledger.live_answers, ledger.abandons) == (3000, 35)
    assert (ledger.period_live_answers, ledger.period_abandons) == (1000, 35)
    assert ledger.binding_counts(0.03) == (1000, 35)
