"""The agent's disposition ``AM`` on a call connected to them as a person (AMD off here:
every answer counts as a person's until someone says otherwise) reaches the engine's
abandonment ledger and the store's: the machine is no live answer (47 CFR 64.1200(a)(7)
and Ofcom count calls answered by a person). Before, only a machine verdict routed to an
agent heard the agent's word; a live answer the agent said was a machine stayed a live
answer in both ledgers, diluting the abandonment rate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from dialer.commands import AgentState, AgentStateChanged
from dialer.events import CallClassified
from dialer.runner.demo import demo_switch_files
from dialer.runner.errors import RunnerError
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import check_journal_invariants, make_store, settings_for

SAYS = {"agent1": "SALE", "agent2": "AM"}


def test_an_agents_machine_word_takes_the_live_answer_out_of_both_ledgers(tmp_path):
    store = make_store(tmp_path, agents=2, leads=40, pacing_policy="progressive",
                       amd_enabled=False)
    disposed: dict[str, str] = {}
    unheard: set[str] = set()

    async def scenario() -> Runner:
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0,
                                time_to_answer=1.0, talk=1.5, patience=30.0,
                                patience_shape=3.0)
        settings = SwitchSettings(speed=4.0, playback_seconds=1.0,
                                  sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=callees, seed=7) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True)

            def desk(change: AgentStateChanged) -> None:
                if change.state is not AgentState.WRAP_UP or not change.call_id:
                    return
                code, call_id = SAYS[change.agent_id], change.call_id

                def dispose() -> None:
                    try:
                        runner.dispose(change.agent_id, call_id, code)
                    except RunnerError:
                        return  # the wrap-up ended first (the run's stop)
                    disposed[call_id] = code

                asyncio.get_running_loop().call_later(0.05, dispose)

            runner.on_agent_change = desk
            await runner.run(duration=4.0)
            # A word posted as the run stopped is never handled by its engine (gone with
            # the run; the store has it): the engine's ledger is checked without it.
            unheard.update(e.call_id for e in list(runner.inbox._queue)  # type: ignore[attr-defined]
                           if isinstance(e, CallClassified))
        return runner

    runner = asyncio.run(scenario())
    attempts = check_journal_invariants(store)
    connected = [a for a in attempts if a["bridged_at"] is not None]
    people = [a for a in connected if disposed.get(a["call_uuid"]) == "SALE"]
    machines = [a for a in connected if disposed.get(a["call_uuid"]) == "AM"]
    assert people and machines, (len(people), len(machines))
    for attempt in machines:
        assert (attempt["answer_kind"], attempt["outcome"], attempt["abandoned"],
                attempt["disposition"]) == ("machine", "answered", False, "AM")
    # Every answer not disposed as a machine is still a live answer (undisposed at the
    # stop, abandoned, a person): the machines are out, nothing else is.
    live = [a for a in attempts if a["answered_at"] is not None
            and disposed.get(a["call_uuid"]) != "AM"]
    now = datetime.now(UTC) + timedelta(minutes=1)
    counts = store.ledger_counts("demo", now=now)
    assert counts.live_answers == len(live), (counts.live_answers, len(live), len(machines))
    assert runner.engine.ledger.live_answers == len(live) + len(unheard), \
        (runner.engine.ledger.live_answers, len(live), len(unheard))
    assert len(unheard) < len(machines)
    store.close()
