"""The runner's safety at start and stop: no pacing fallback, no start without a caller ID,
and a second stop request hangs up the calls in progress at once, cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa

from campaigns.models import Campaign
from dialer.runner.demo import demo_switch_files
from dialer.runner.errors import RunnerError
from dialer.runner.pacing import build_policy
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import (
    agent_history,
    check_journal_invariants,
    make_store,
    settings_for,
)


def _store_settings_unchecked(store, **changes) -> None:
    """Write settings as an old version or a hand edit could have left them."""
    with store.session() as session:
        row = session.exec(sa.select(Campaign).where(Campaign.name == "demo")).scalar_one()
        row.settings = {**row.settings, **changes}
        session.add(row)
        session.commit()


def test_build_policy_has_no_fallback():
    with pytest.raises(RunnerError, match=r"unknown pacing policy 'foo'.*predictive"):
        build_policy("spring", "foo", {})
    with pytest.raises(RunnerError, match="'max_ratio' is not a parameter"):
        build_policy("spring", "progressive", {"max_ratio": 3.0})
    assert build_policy("spring", "progressive", {}).name == "progressive"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"pacing_policy": "foo", "pacing_params": {}}, "unknown pacing policy 'foo'"),
    ({"pacing_policy": "power", "pacing_params": {"lines_per_agent": 80}},
     r"lines_per_agent must be a number in \[1, 50\]"),
    ({"caller_ids": []}, "no caller ID"),
])
def test_a_stored_campaign_that_is_not_safe_to_dial_refuses_to_start(tmp_path, changes,
                                                                      expected):
    store = make_store(tmp_path, agents=1, leads=10)
    _store_settings_unchecked(store, **changes)

    async def start() -> None:
        async with running_switch() as sim:
            Runner(settings_for(tmp_path, sim.url), store)

    with pytest.raises(RunnerError, match=expected):
        asyncio.run(start())
    assert check_journal_invariants(store) == [], "something was dialed"
    store.close()


def test_a_second_stop_hangs_up_the_calls_in_progress_at_once(tmp_path, caplog):
    store = make_store(tmp_path, agents=3, leads=60, amd_enabled=False,
                       pacing_policy="progressive")
    # Conversations that would outlast any test: only a hang-up ends them.
    callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=3600.0,
                            time_to_answer=0.3, patience=3600.0)

    async def scenario() -> Runner:
        async with running_switch(settings=SwitchSettings(speed=1.0,
                                                          sound_files=demo_switch_files()),
                                  fate_source=callees, seed=5) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=3600.0), store,
                            login_agents=True)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            while runner.stats.bridges < 2:
                await asyncio.sleep(0.05)
            runner.stop()
            await asyncio.sleep(0.3)
            assert not main.done(), "the first stop must let calls in progress finish"
            runner.stop()
            # Bounded, far below the hour of stop grace the first stop would have waited.
            await asyncio.wait_for(main, timeout=30)
            return runner

    with caplog.at_level(logging.WARNING, logger="dialer.runner"):
        runner = asyncio.run(scenario())
    assert "asked to stop again: hanging up" in caplog.text
    rows = check_journal_invariants(store)
    connected = [r for r in rows if r["bridged_at"] is not None]
    assert len(connected) >= 2 and runner.stats.bridges >= 2
    assert all(r["ended_at"] is not None and r["outcome"] is not None for r in rows), \
        "an attempt was left open"
    assert all(r["hangup_cause"] == "SYSTEM_SHUTDOWN" for r in connected)
    history = agent_history(store)
    last_state = {h["agent"]: h["state"] for h in history}
    assert set(last_state.values()) == {"logged_out"}, last_state
    store.close()


def test_a_wrap_up_that_times_out_gets_its_own_disposition_code(tmp_path):
    store = make_store(tmp_path, agents=2, leads=30, amd_enabled=False,
                       pacing_policy="progressive", wrap_up_timeout=0.5)
    settings = store.settings("demo")
    assert settings.wrap_up_timeout_disposition == "TIMEOUT"
    callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0, talk=0.5,
                            time_to_answer=0.3, patience=30.0)

    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(sound_files=demo_switch_files()),
                                  fate_source=callees, seed=2) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True)
            await runner.run(duration=3.0)

    asyncio.run(scenario())
    connected = [r for r in check_journal_invariants(store) if r["bridged_at"] is not None]
    assert connected and {r["disposition"] for r in connected} == {"TIMEOUT"}
    (timeout,) = [d for d in store.dispositions("demo") if d.code == "TIMEOUT"]
    assert "wrap-up timed out" in timeout.label and not timeout.final
    store.close()
