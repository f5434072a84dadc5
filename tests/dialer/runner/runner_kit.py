"""Helpers for runner tests: a campaign in a temporary store, a runner against a simulator."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from dialer.esl.url import EslUrl
from dialer.runner.demo import DemoOptions, choose_zones, create_demo_campaign
from dialer.runner.settings import RunnerSettings
from dialer.runner.store import RunnerStore


def make_store(tmp: Path, agents: int = 4, leads: int = 300, retry_delay: float = 3600.0,
               **config: object) -> RunnerStore:
    store = RunnerStore(tmp / "dialer.db")
    zones, _ = choose_zones(time.time())
    create_demo_campaign(store, DemoOptions(agents=agents, leads=leads), zones, time.time())
    if config:
        merged = {**store.campaign_config("demo"), **config}
        store.apply([("UPDATE campaigns SET config = ?", (json.dumps(merged),))])
    if retry_delay != 3600.0:
        store.apply([("UPDATE campaigns SET retry_delay = ?, max_attempts = 5", (retry_delay,))])
    return store


def settings_for(tmp: Path, url: EslUrl, stop_grace: float = 10.0) -> RunnerSettings:
    return RunnerSettings(campaign="demo", database=f"sqlite:///{tmp / 'dialer.db'}", data=tmp,
                          switches=((f"{url.host}:{url.port}", url),), stop_grace=stop_grace)


def check_journal_invariants(store: RunnerStore) -> list[dict]:
    """No lead has overlapping attempts; attempt numbers count up; every attempt is closed."""
    attempts = store.attempts("demo")
    by_lead: dict[str, list[dict]] = {}
    for row in attempts:
        by_lead.setdefault(row["lead_id"], []).append(row)
    for lead_id, rows in by_lead.items():
        rows.sort(key=lambda r: r["journaled_at"])
        assert [r["attempt_number"] for r in rows] == list(range(1, len(rows) + 1)), lead_id
        for earlier, later in itertools.pairwise(rows):
            assert earlier["ended_at"] is not None, f"lead {lead_id} redialed while open"
            assert later["journaled_at"] >= earlier["ended_at"], f"lead {lead_id} overlap"
    return attempts
