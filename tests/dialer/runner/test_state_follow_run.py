"""A running ``dialer run`` obeys ``dialer campaign pause/start/stop`` and a deletion made
while it runs (dialer/runner/state_follow.py), against the switch simulator: a stored pause
stops new dials (calls in progress finish, agents stay), running again resumes them, a stop
or a deletion ends the run as Ctrl-C does and says why. Before, only the store changed and
the process kept dialing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from campaigns.removal import delete_campaign
from dialer.commands import AgentState
from dialer.runner.demo import demo_switch_files
from dialer.runner.runner import Runner
from dialer.runner.state_follow import EXIT_CAMPAIGN_ENDED, STATE_POLL
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import (
    attempts,
    check_journal_invariants,
    make_store,
    settings_for,
    us_hours_clock,
)

CALLEES = SimpleCallees(live_answer=0.6, machine=0.0, busy=0.2, failed=0.0, talk=2.0,
                        time_to_answer=0.5, patience=60.0)


async def _until(check: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Wait for ``check`` (a generous limit against a stuck run, never a timing claim)."""
    try:
        async with asyncio.timeout(limit):
            while not check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(what) from None
    assert check(), what


def _dialed_after(store, moment: float) -> list[dict]:
    return [row for row in attempts(store) if row["dialed_at"].replace(tzinfo=UTC).timestamp()
            > moment]


def _store_now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), tz=UTC)


def test_pause_start_and_stop_from_the_command_line_reach_a_running_process(tmp_path):
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=3, leads=200, amd_enabled=False,
                       pacing_policy="progressive", clock=clock)

    async def scenario() -> Runner:
        async with running_switch(settings=SwitchSettings(speed=1.0,
                                                          sound_files=demo_switch_files()),
                                  fate_source=CALLEES, seed=7) as sim:
            # A grace longer than the demo campaign's 20-s ring timeout: the stop is
            # stored just after a dial, and an unanswered one rings out within it
            # (with the default 10 s it was hung up now and then: a flaky failure).
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=30.0), store,
                            login_agents=True, clock=clock)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            engine = runner.engine
            await _until(lambda: runner.stats.bridges >= 1, "no call was bridged")
            # `dialer campaign pause demo` (the store call the CLI makes):
            store.transition_campaign("demo", "paused", at=_store_now(clock))
            await _until(lambda: engine.dialing_paused, "the stored pause was not followed")
            paused_at = clock()
            assert "demo is paused (set from the command line" in runner.status.dialing_held()
            # `dialer status`, the monitor and the console read the runner's status:
            await _until(lambda: runner.status.current.activity == "paused", "status")
            assert "demo is paused" in runner.status.current.sentence()
            # Calls in progress finish; the agents stay logged in.
            await _until(lambda: not engine.calls, "calls in progress did not finish")
            # Two more polls of the stored state: the pause holds.
            read_at = runner.state_follow.follower.read_at
            await _until(lambda: runner.state_follow.follower.read_at
                         >= read_at + 2 * STATE_POLL - 0.01, "the state was not read again")
            assert _dialed_after(store, paused_at) == [], "dialed while stored paused"
            assert not main.done()
            assert all(a.state is not AgentState.LOGGED_OUT
                       for a in engine.pool.agents.values()), "a pause logged agents out"
            # `dialer campaign start demo`: dialing resumes.
            store.transition_campaign("demo", "running", at=_store_now(clock))
            await _until(lambda: _dialed_after(store, paused_at), "dialing did not resume")
            # `dialer campaign stop demo`: the run ends as Ctrl-C ends it, and says why.
            store.transition_campaign("demo", "stopped", at=_store_now(clock))
            await asyncio.wait_for(main, timeout=120)
            return runner

    runner = asyncio.run(scenario())
    assert "campaign demo was stopped from the command line" in runner.state_follow.end_reason
    assert runner.state_follow.exit_code() == EXIT_CAMPAIGN_ENDED
    rows = check_journal_invariants(store)
    assert rows and all(r["ended_at"] is not None for r in rows), "an attempt was left open"
    assert all(r["hangup_cause"] != "SYSTEM_SHUTDOWN" for r in rows), \
        "a call in progress was hung up instead of finishing"
    assert store.campaign("demo").state == "stopped"
    store.close()


def test_a_campaign_stopped_and_deleted_while_running_ends_the_run(tmp_path):
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=2, leads=100, amd_enabled=False,
                       pacing_policy="progressive", clock=clock)

    async def scenario() -> Runner:
        async with running_switch(settings=SwitchSettings(speed=1.0,
                                                          sound_files=demo_switch_files()),
                                  fate_source=CALLEES, seed=3) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True,
                            clock=clock)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            await _until(lambda: attempts(store), "nothing was dialed")
            # `dialer campaign stop demo` then `dialer campaign delete demo --yes`, between
            # two reads of the runner: it reads `deleted` (the row renamed).
            campaign_id = store.campaign("demo").id
            store.transition_campaign(campaign_id, "stopped", at=_store_now(clock))
            delete_campaign(store, campaign_id, at=_store_now(clock))
            await asyncio.wait_for(main, timeout=120)
            return runner

    runner = asyncio.run(scenario())
    reason = runner.state_follow.end_reason
    assert reason is not None and ("was deleted" in reason or "was stopped" in reason), reason
    assert runner.state_follow.exit_code() == EXIT_CAMPAIGN_ENDED
    assert all(r["ended_at"] is not None for r in check_journal_invariants(store, "demo#deleted-1"))
    store.close()


def test_the_command_line_tells_a_process_on_its_socket_at_once(tmp_path, monkeypatch):
    """`dialer campaign pause` finds the process's control socket and it reads the state at
    once: with the poll made an hour long, only that notice can pause it."""
    from typer.testing import CliRunner

    from cli import app
    from dialer.runner import state_follow

    monkeypatch.setattr(state_follow, "STATE_POLL", 3600.0)
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=2, leads=60, amd_enabled=False,
                       pacing_policy="progressive", clock=clock)

    async def scenario() -> tuple[Runner, str]:
        async with running_switch(settings=SwitchSettings(speed=1.0,
                                                          sound_files=demo_switch_files()),
                                  fate_source=CALLEES, seed=3) as sim:
            run_settings = settings_for(tmp_path, sim.url)
            runner = Runner(run_settings, store, login_agents=True, clock=clock,
                            control_socket=run_settings.control_socket)
            main = asyncio.create_task(runner.run())
            await runner.ready.wait()
            said = await asyncio.to_thread(
                CliRunner().invoke, app, ["campaign", "pause", "demo", "--home", str(tmp_path),
                                          "--db", f"sqlite:///{tmp_path / 'dialer.db'}"])
            # Say what the command answered and what the follower last saw if the notice is
            # not read (one CI run under load 10 timed out here and told nothing more).
            await _until(lambda: runner.engine.dialing_paused,
                         f"the notice was not read; the command said {said.output!r}, the "
                         f"follower's last error: {runner.state_follow.follower.unreadable!r}")
            runner.stop()
            await asyncio.wait_for(main, timeout=120)
            return runner, said.output

    runner, output = asyncio.run(scenario())
    assert "paused" in output, output
    assert runner.state_follow.exit_code() == 0  # a pause does not end the run
    store.close()


def test_a_state_change_under_a_deep_data_directory_is_not_reported_as_failed(tmp_path,
                                                                                monkeypatch):
    """Telling a running process needs its control socket's path, which a Unix socket caps
    (108 bytes); under a deeper data directory no process can be listening, so the change,
    already stored, is reported as made (it was an error exit after the write)."""
    from cli_kit import dialer, ok, use_home

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    use_home(deep, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "x", "--caller-id", "+12015550123", "--seller", "Acme Solar",
       "--dnc-number", "+18005550100", "--safe-harbor-declared")
    assert ok("campaign", "start", "x")["state"] == "running"
    assert ok("campaign", "pause", "x")["state"] == "paused"
    assert ok("campaign", "show", "x")["state"] == "paused"
