"""Helpers for runner tests: a campaign in a temporary campaign store, a runner against a
simulator, and the journal's invariants read back from the store."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from campaigns.models import AgentStateChange, CallAttempt
from campaigns.store import CampaignStore
from dialer.esl.url import EslUrl
from dialer.runner.demo import (
    DemoOptions,
    choose_zones,
    create_demo_campaign,
    is_uk_demo,
    seed_demo_registry,
)
from dialer.runner.settings import RunnerSettings

FAST_RETRIES = {outcome: {"delay_minutes": 0, "max_attempts": 5}
                for outcome in ("no_answer", "busy", "rejected", "network", "internal",
                                "cancelled", "machine", "abandoned")}


READY_US_CAMPAIGN = (
    "--set", "compliance.seller_name=Spring Solar", "--set", "compliance.dnc_number=+18005550100",
    "--set", "compliance.safe_harbor.states_telemarketing_purpose=true",
    "--set", "compliance.safe_harbor.names_seller=true",
    "--set", "compliance.safe_harbor.gives_dnc_number=true")
"""``dialer campaign create`` options declaring what a US telemarketing campaign must before it
may dial: the seller, a do-not-call number and the abandoned-call message's content."""


US_AFTERNOON_UTC = 18
"""The hour (UTC) a pinned runner clock shows: 13:00 in New York and 08:00 in Honolulu in
winter (14:00 and 08:00 in summer), so every demo US zone is inside 08:00-20:00 whatever
the date, and the demo's zones are American (``choose_zones``), not the UK profile."""


def us_hours_clock(now: float | None = None,
                   wall: Callable[[], float] = time.time) -> Callable[[], float]:
    """A runner clock that runs at the wall clock's pace from the nearest 18:00 UTC (at most
    12 hours away): a test handed it (``make_store(clock=...)``, ``Runner(clock=...)``)
    dials in the US profile at any hour, instead of the UK (Ofcom) profile the demo takes
    between about 10:00 and 12:00 UTC, when no US zone is open. The shift is constant, so
    every interval the runner measures is the wall clock's."""
    from datetime import UTC, datetime, timedelta

    now = wall() if now is None else now
    moment = datetime.fromtimestamp(now, tz=UTC)
    target = moment.replace(hour=US_AFTERNOON_UTC, minute=0, second=0, microsecond=0)
    if (target - moment) > timedelta(hours=12):
        target -= timedelta(days=1)
    elif (moment - target) > timedelta(hours=12):
        target += timedelta(days=1)
    shift = target.timestamp() - now
    return lambda: wall() + shift


def dialing_ahead_unguarded(clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """Settings for a test that dials ahead of its agents on purpose (``power`` pacing, to
    make abandons happen): the demo's compliance declarations on a campaign that is not
    telemarketing, with the abandonment-limit guard off (``compliance.abandon_limit_guard``;
    docs/pacing.md). Empty in the UK demo profile (``make_store`` at ``clock()``), where the
    guard cannot be switched off: such a test runs guarded there (a test that needs the
    abandons pins US hours with ``us_hours_clock``)."""
    from dialer.runner.demo import demo_settings

    if is_uk_demo(choose_zones(clock())[0]):
        return {}
    return {"compliance": {**demo_settings()["compliance"], "telemarketing": False,
                           "abandon_limit_guard": False}}


def make_store(tmp: Path, agents: int = 4, leads: int = 300, fast_retries: bool = False,
               url: str | None = None, name: str = "demo", listed: tuple[str, ...] = (),
               clock: Callable[[], float] = time.time, **settings: Any) -> CampaignStore:
    """A running campaign ``demo`` with agents ``agent1..N`` and leads in time zones open
    at ``clock()`` (the wall clock unless a test pins one: ``us_hours_clock``), and a
    current national registry under ``tmp/dnc`` (listing ``listed``)."""
    store = CampaignStore.open(url or f"sqlite:///{tmp / 'dialer.db'}")
    zones, _ = choose_zones(clock())
    # The runner tests exercise AMD (machines hung up, verdict events) unless told not to;
    # the demo itself runs without it (dialer/runner/demo.py says why). Not in the UK demo
    # profile (the hours no US zone is open): Ofcom runs the two seconds from the answer,
    # and the simulator's AMD takes 2.5 s, so every live answer would be abandoned.
    settings = {"amd_enabled": not is_uk_demo(zones), **settings}
    if settings.get("pacing_policy", "predictive") != "predictive":
        # The demo's parameters are the predictive policy's; another policy takes its own.
        settings.setdefault("pacing_params", {})
    if fast_retries:
        settings = {"retry_rules": FAST_RETRIES, "max_attempts_per_day": 10, **settings}
    create_demo_campaign(store, DemoOptions(agents=agents, leads=leads), zones, clock(),
                         name=name, settings=settings)
    seed_demo_registry(tmp, clock(), list(listed) or ["+13125550100"])
    return store


def landlines(tmp: Path, numbers: list[str], at: float) -> None:
    """The officer's line-type data says these numbers are landlines (``tmp/dnc/facts.db``):
    a queue callback has no written consent (a caller's request is an inquiry, not one), so
    without this an autodialed telemarketing callback to an unknown line, counted as
    wireless, is refused (47 CFR 64.1200(a)(2); docs/compliance.md "Queue callbacks")."""
    from datetime import UTC, datetime, timedelta

    from dnc.facts import FACTS_NAME, NumberFactsStore
    from dnc.interfaces import LineType

    moment = datetime.fromtimestamp(at, UTC)
    facts = NumberFactsStore(tmp / "dnc" / FACTS_NAME)
    try:
        facts.record_line_types([(n, True, LineType.LANDLINE, moment - timedelta(days=1))
                                 for n in numbers], moment - timedelta(hours=1), "test")
    finally:
        facts.close()


def settings_for(tmp: Path, url: EslUrl, stop_grace: float = 10.0, db: str | None = None,
                 instance: str | None = None) -> RunnerSettings:
    return RunnerSettings(campaign="demo", database=db or f"sqlite:///{tmp / 'dialer.db'}",
                          data=tmp, switches=((f"{url.host}:{url.port}", url),),
                          stop_grace=stop_grace, instance=instance)


def attempts(store: CampaignStore, campaign: str = "demo") -> list[dict[str, Any]]:
    campaign_id = store.campaign(campaign).id
    with store.read_session() as session:
        rows = session.execute(sa.select(CallAttempt).where(
            CallAttempt.campaign_id == campaign_id).order_by(CallAttempt.id)).scalars().all()
        return [row.model_dump() for row in rows]


def agent_history(store: CampaignStore) -> list[dict[str, Any]]:
    names = {a.id: a.name for a in store.agents()}
    with store.read_session() as session:
        rows = session.execute(sa.select(AgentStateChange).order_by(
            AgentStateChange.id)).scalars().all()
        return [{**row.model_dump(), "agent": names.get(row.agent_id)} for row in rows]


def check_journal_invariants(store: CampaignStore, campaign: str = "demo"
                             ) -> list[dict[str, Any]]:
    """No lead has overlapping attempts; attempt numbers count up; each lead's counter
    matches its journal (a dial journaled and certainly never sent, closed ``NOT_SENT``, is
    no attempt: its lead was given it back). Returns the attempts."""
    from campaigns.journal import NOT_SENT_CAUSE

    rows = attempts(store, campaign)
    by_lead: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["hangup_cause"] == NOT_SENT_CAUSE:
            assert row["ended_at"] is not None, "a dial never sent left open"
            continue
        by_lead.setdefault(row["lead_id"], []).append(row)
    for lead_id, lead_rows in by_lead.items():
        lead_rows.sort(key=lambda r: r["dialed_at"])
        assert [r["attempt_number"] for r in lead_rows] == list(range(1, len(lead_rows) + 1)), \
            lead_id
        for earlier, later in itertools.pairwise(lead_rows):
            assert earlier["ended_at"] is not None, f"lead {lead_id} redialed while open"
            assert later["dialed_at"] >= earlier["ended_at"], f"lead {lead_id} overlap"
        assert store.lead(lead_id).attempts == len(lead_rows), f"lead {lead_id} counter"
    return rows


def callable_lead(store: CampaignStore, data: Path, campaign: str = "demo") -> Any:
    """The first lead, in id order, that the runner's own selection would dial right now
    (schedule and compliance verdicts, read-only). ``make_store`` opens the federal calling
    hours, but a state's stricter hours (Texas, read in its westernmost zone) may still hold
    some leads back at this time of day: a test about one lead must take one it may dial."""
    from datetime import UTC, datetime

    from campaigns.hopper import _claimed, schedule_verdict
    from campaigns.settings import CampaignSettings
    from dialer.runner.compliance import selection_check

    now = datetime.now(UTC)
    check = selection_check(store, data, audit=False)
    row = store.campaign(campaign)
    settings = CampaignSettings.model_validate(row.settings)
    for lead in store.leads(campaign, limit=1000):
        view = _claimed(lead, row.name, None, "probe", None)
        verdict = schedule_verdict(view, settings, now)
        if verdict.allowed and check(view, settings, now).allowed:
            return lead
    raise AssertionError("no lead of the test campaign may be dialed now")


def bare_execution(*, clock: Callable[[], float], post: Callable[[object], None],
                   default_switch: str = "s", switches: Any = None, gate: Any = None,
                   stats: Any = None, telemetry: Any = None) -> Any:
    """The runner's command side with only what a unit test of sending reaches: the
    switches, the dial gate, the counters, the clock and the inbox; every other
    collaborator is absent (None or empty), so a test that touches one fails loudly."""
    from dialer.runner.execution import (
        CommandExecution,
        Counters,
        DeskSide,
        ExecutionTerms,
        InboundSide,
        JournalSide,
    )
    from dialer.runner.wiring import SwitchSide

    return CommandExecution(
        ExecutionTerms("c", "o", None, default_switch, False),
        SwitchSide(switches, None, {}),
        JournalSide(None, None, gate, None, None, lambda lead: None),  # type: ignore[arg-type]
        Counters(stats, telemetry), InboundSide(None, None),  # type: ignore[arg-type]
        DeskSide(None, {}, lambda change: None),  # type: ignore[arg-type]
        clock=clock, post=post)
