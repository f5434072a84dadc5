"""The live runner while the switch refuses every call, against the switch simulator.

The simulator's gateways are put into a spell of ``-ERR GATEWAY_DOWN`` (mod_sofia refusing a
gateway that is down before any channel exists) while calls are going. Checked: a handful
of refusals hold dialing (not every lead of the hopper churning through one), one alert
``campaign/demo/switch_sends`` says so (not the pause as well, nor the switch's own: one
switch is the whole campaign), ``dialer status``'s held
reason names the switch's words, the gauge counts the seconds, the calls up go on, and when
the spell ends the next probe call is taken and dialing resumes on its own. Before, the
runner took lead after lead into the refusing switch and said nothing.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace

import pytest

from dialer.runner.demo import SimulatedDesk, demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import check_journal_invariants, make_store, settings_for

SPELL = 8.0
"""Wall seconds the switch refuses (a wait, not an assertion: a loaded machine refuses
fewer calls in it, never more)."""


def _spell_switch() -> tuple[SimpleCallees, SwitchSettings]:
    """The callees and switch settings of the refusal spells: mostly live answers, short
    talk, the switch at three times real time."""
    callees = SimpleCallees(live_answer=0.8, machine=0.0, busy=0.1, failed=0.1,
                            talk=3.0, time_to_answer=1.0, patience=4.0)
    return callees, SwitchSettings(speed=3.0, playback_seconds=1.0,
                                   sound_files=demo_switch_files())


@pytest.mark.parametrize("cause", ["GATEWAY_DOWN", "NO_ROUTE_DESTINATION"])
def test_a_gateway_down_spell_holds_dialing_and_a_probe_resumes_it(tmp_path, cause):
    store = make_store(tmp_path, agents=4, pacing_policy="progressive", amd_enabled=False)
    seen: dict[str, object] = {}

    async def scenario() -> Runner:
        callees, settings = _spell_switch()
        async with running_switch(settings=settings, fate_source=callees, seed=11) as sim:
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=10.0), store,
                            login_agents=True)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.3, 0.8),
                                                   random.Random(3))
            runner.sends.holds.tune(1.0, 4.0)  # probes within the test's patience
            guard = runner.sends
            book = sim.switch.gateways

            async def spell() -> None:
                try:
                    await runner.ready.wait()
                    policy = runner.engine.call_flow.policy
                    observe = policy.observe_attempt

                    def observed(result, ring, at):
                        seen["observed"] = seen.get("observed", 0) + 1
                        observe(result, ring, at)

                    policy.observe_attempt = observed  # what pacing learns from
                    while runner.stats.dials < 4:
                        await asyncio.sleep(0.05)
                    book.refuse_all(cause)
                    began = time.time()
                    while time.time() - began < SPELL:
                        await asyncio.sleep(0.1)
                        if "campaign/demo/switch_sends" in runner.alerts.book.active:
                            seen["alerts"] = sorted(k for k in runner.alerts.book.active
                                                    if k.startswith("campaign/"))
                            seen.setdefault("reason", runner.state_follow.held_reason())
                            if runner.telemetry is None and guard is not None:
                                seen["seconds"] = guard.hold.seconds(runner.clock())
                    seen["refused"] = book.refused_in_spell
                    book.refuse_all(None)
                    dials = runner.stats.dials
                    for _ in range(600):
                        if runner.stats.dials >= dials + 3:
                            break
                        await asyncio.sleep(0.05)
                    seen["resumed"] = runner.stats.dials - dials
                    for _ in range(100):
                        if "campaign/demo/switch_sends" not in runner.alerts.book.active:
                            break
                        await asyncio.sleep(0.05)
                    seen["after"] = sorted(k for k in runner.alerts.book.active
                                           if k.startswith("campaign/"))
                    seen["after_reason"] = runner.state_follow.held_reason()
                finally:
                    runner.stop()

            async with asyncio.TaskGroup() as group:
                group.create_task(spell())
                group.create_task(runner.run(duration=120.0))
            seen["engine_dials"] = runner.engine.dialer.dials
        return runner

    asyncio.run(scenario())
    refused = seen["refused"]
    print("figures:", {k: seen.get(k) for k in ("refused", "resumed", "reason")})
    # The limit (5), the probes of an 8 s spell (after 1 s, 2 s and 4 s more: at most 3),
    # and the originates already on their way when the spell began (4 agents: at most 4).
    # The runner before this took about 3 leads a second into the refusing switch (24 in
    # the spell when measured).
    assert refused <= 5 + 3 + 4, f"{refused} calls refused: leads churned through the switch"
    assert seen.get("alerts") == ["campaign/demo/switch_sends"], seen
    assert "refuses every call" in str(seen["reason"]) and cause in str(seen["reason"])
    assert seen["resumed"] >= 3, "dialing did not resume when the switch took calls"
    assert seen["after"] == [] and seen["after_reason"] is None, seen
    rows = check_journal_invariants(store)
    # Refused before any channel, the calls reached nobody: closed as never sent (the lead
    # not charged; NO_ROUTE_DESTINATION's bad number would have marked the lead invalid).
    assert not [row for row in rows if row["hangup_cause"] == cause]
    assert len([row for row in rows if row["hangup_cause"] == "NOT_SENT"]) >= refused
    # Nor an attempt for pacing: it learnt from the calls that reached the network alone,
    # and the engine's dial count is theirs (before, each refusal was a failed attempt of
    # the number's to pacing, and in the count).
    placed = [row for row in rows if row["hangup_cause"] != "NOT_SENT"]
    assert seen["observed"] <= len(placed), seen
    assert seen["engine_dials"] == len(placed), (seen, len(placed))
    assert store.lead_status_counts("demo").get("in_call", 0) == 0
    store.close()


TWO_SPELL = 8.0
"""Wall seconds one of two switches refuses."""


def test_one_of_two_switches_refusing_gets_no_dial_and_the_other_dials_on(tmp_path):
    """Two simulated switches, four agents on each (placed evenly at login); the second's
    gateways refuse every call (``GatewayBook.refuse_all``) for a spell. Its hold is its
    own: after the limit it gets no dial but its probes, the first switch dials on, the
    alert names the switch (``switch/S/sends``, not the campaign's pause alert), and its
    probe resumes it once the spell ends. Before (the campaign's one hold), the first
    switch's calls reset the run of refusals and the refusing switch got about half the
    dials of the spell."""
    store = make_store(tmp_path, agents=8, leads=1200, pacing_policy="progressive",
                       amd_enabled=False)
    seen: dict[str, object] = {}

    async def scenario() -> Runner:
        callees, settings = _spell_switch()
        async with running_switch(settings=settings, fate_source=callees, seed=11) as one, \
                running_switch(settings=settings, fate_source=callees, seed=12) as two:
            base = settings_for(tmp_path, one.url, stop_grace=10.0)
            ids = (f"{one.url.host}:{one.url.port}", f"{two.url.host}:{two.url.port}")
            runner_settings = replace(base, switches=((ids[0], one.url), (ids[1], two.url)))
            runner = Runner(runner_settings, store, login_agents=True)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.3, 0.8),
                                                   random.Random(3))
            guard = runner.sends
            holds = getattr(guard, "holds", None)
            if holds is not None:  # probes within the test's patience
                holds.tune(1.0, 4.0)
            else:  # the campaign's one hold (the code before)
                guard.hold.probe_first, guard.hold.probe_longest = 1.0, 4.0
            book = two.switch.gateways
            sent: dict[str, int] = {ids[0]: 0, ids[1]: 0}

            def counting(switch_id, bgapi):
                async def counted(line, *args, **kwargs):
                    if line.startswith("originate") and "dialer_call_id=" in line:
                        sent[switch_id] += 1  # a customer's originate written to the switch
                    return await bgapi(line, *args, **kwargs)
                return counted

            for switch_id, client in runner.switches.clients.items():
                client.bgapi = counting(switch_id, client.bgapi)

            async def spell() -> None:
                try:
                    await runner.ready.wait()
                    while runner.stats.dials < 8:
                        await asyncio.sleep(0.05)
                    book.refuse_all("GATEWAY_DOWN")
                    before = dict(sent)
                    began = time.time()
                    while time.time() - began < TWO_SPELL:
                        await asyncio.sleep(0.1)
                        active = sorted(k for k in runner.alerts.book.active
                                        if "sends" in k)
                        if active:
                            seen["alerts"] = active
                        status = runner.status.current.sentence()
                        if "refuses" in status:  # refreshed once a second
                            seen.setdefault("status", status)
                    seen["refused"] = book.refused_in_spell
                    seen["spell_sent"] = {s: sent[s] - before[s] for s in ids}
                    book.refuse_all(None)
                    after = dict(sent)
                    for _ in range(1200):  # its next probe: within 4 s, at any load
                        if sent[ids[1]] > after[ids[1]] and holds is not None \
                                and not holds.refusing(ids[1]):
                            break
                        await asyncio.sleep(0.05)
                    seen["resumed_two"] = sent[ids[1]] - after[ids[1]]
                    for _ in range(100):
                        if not [k for k in runner.alerts.book.active if "sends" in k]:
                            break
                        await asyncio.sleep(0.05)
                    seen["after"] = sorted(k for k in runner.alerts.book.active
                                           if "sends" in k)
                finally:
                    runner.stop()

            async with asyncio.TaskGroup() as group:
                group.create_task(spell())
                group.create_task(runner.run(duration=120.0))
            seen["ids"] = ids
        return runner

    asyncio.run(scenario())
    ids = seen["ids"]
    spell_sent = seen["spell_sent"]
    print("figures:", {k: seen.get(k) for k in ("refused", "spell_sent", "resumed_two",
                                                "alerts", "status")})
    # The limit (5), the probes of an 8 s spell (after 1, 2 and 4 s more: at most 3), and
    # the originates already on their way (4 agents there: at most 4).
    assert seen["refused"] <= 5 + 3 + 4, seen
    assert spell_sent[ids[1]] <= 5 + 3 + 4, seen
    assert spell_sent[ids[0]] >= 8, seen  # the first switch dialed on
    assert seen.get("alerts") == [f"switch/{ids[1]}/sends"], seen
    assert f"switch {ids[1]} refuses every call" in str(seen["status"]), seen
    assert seen["resumed_two"] >= 1, "the refusing switch's probe did not resume it"
    assert seen["after"] == [], seen
    rows = check_journal_invariants(store)
    assert not [row for row in rows if row["hangup_cause"] == "GATEWAY_DOWN"]
    assert store.lead_status_counts("demo").get("in_call", 0) == 0
    store.close()
