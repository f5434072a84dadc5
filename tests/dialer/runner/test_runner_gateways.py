"""Carriers end to end: the live runner dials through the gateways in the store, over
loopback, into the switch simulator's carriers (simulations/switch/gateways.py).

What the carriers saw is the referee: no INVITE over a gateway's channels or calls per
second, every carrier refusal retried at once on the next gateway as its own journaled leg
of the same attempt, callee causes never retried elsewhere, a failing gateway quarantined
and returned once its carrier is healthy again, with the alerts raised and cleared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import urllib.request

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from campaigns.gateways import RateRow, add_gateway
from dialer.engine.gateways import GatewayHealth
from dialer.runner.demo import SimulatedDesk, choose_zones, demo_switch_files, is_uk_demo
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.gateways import CarrierGateway
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import attempts, make_store, settings_for, us_hours_clock

CARRIER_CAUSES = {"NORMAL_TEMPORARY_FAILURE", "NORMAL_CIRCUIT_CONGESTION"}


def _gateways(store, switch_id: str) -> None:
    # Both serve the US and the UK (the demo's leads are British outside US calling hours).
    # "cheap" is chosen first (least cost) and its carrier refuses many calls; "steady"
    # costs more and takes what cheap refuses. Health judged on few calls, short quarantine.
    health = {"window_calls": 4, "min_calls": 4, "max_carrier_failures": 0.5,
              "quarantine_seconds": 1.0, "max_quarantine_seconds": 3.0, "probe_calls": 2}
    add_gateway(store, {"name": "cheap", "switch": switch_id, "channels": 3, "cps": 3,
                        "health": health},
                [RateRow("1", 0.004, 6, 6), RateRow("44", 0.006, 6, 6)], "cheap.csv")
    add_gateway(store, {"name": "steady", "switch": switch_id, "channels": 4, "cps": 3,
                        "priority": 1}, [RateRow("1", 0.010, 6, 6), RateRow("44", 0.012, 6, 6)],
                "steady.csv")


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    """Samples by name and labels (campaign and switch left out: one of each here)."""
    return {(s.name, tuple(sorted((k, v) for k, v in s.labels.items()
                                  if k not in ("campaign", "switch")))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _scrape(runner: Runner) -> dict[tuple[str, tuple], float]:
    port = runner.telemetry.server.server_address[1]  # type: ignore[union-attr]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return _samples(reply.read().decode())


def test_routing_failover_limits_and_quarantine_through_the_simulator(tmp_path) -> None:
    # The runner's clock is pinned to US calling hours (us_hours_clock): at the wall clock,
    # between about 10:00 and 12:00 UTC the demo's leads were British, Ofcom's rule refused
    # every dial once the 24-hour abandonment reached 3 %, and the run could stop dialing
    # before the quarantined gateway was probed back (it timed out 1 run in 2; it was
    # skipped then). What is tested here is routing, not a calling profile.
    clock = us_hours_clock()
    store = make_store(tmp_path, agents=6, leads=400, amd_enabled=False, fast_retries=True,
                       clock=clock)
    assert not is_uk_demo(choose_zones(clock())[0])
    seen_states: list[str] = []
    scraped: dict = {}

    async def scenario() -> tuple[Runner, dict]:
        callees = SimpleCallees(live_answer=0.75, machine=0.0, busy=0.25, failed=0.0, talk=2.0,
                                time_to_answer=1.0, patience=2.0)
        # The carriers enforce the dialer's own limits (a transport jitter of 100 ms is
        # allowed for on calls per second: the carrier counts when the INVITE arrives).
        carriers = (CarrierGateway("cheap", channels=3, cps=3, failure_share=0.9,
                                   failure_cause="NORMAL_TEMPORARY_FAILURE"),
                    CarrierGateway("steady", channels=4, cps=3))
        settings = SwitchSettings(playback_seconds=1.0, sound_files=demo_switch_files(),
                                  gateways=carriers)
        async with running_switch(settings=settings, fate_source=callees, seed=5) as sim:
            switch_id = f"{sim.url.host}:{sim.url.port}"
            _gateways(store, switch_id)
            book = sim.switch.gateways
            book.window = 0.9
            runner = Runner(dataclasses.replace(settings_for(tmp_path, sim.url),
                                                metrics="127.0.0.1:0"),
                            store, login_agents=True, clock=clock)
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (0.1, 0.3),
                                                   random.Random(2))

            async def heal_after_quarantine() -> None:
                await runner.ready.wait()
                router = runner.engine.gateways  # type: ignore[union-attr]
                while True:
                    await asyncio.sleep(0.05)
                    states = {f.gateway: f.state for f in router.figures(runner.clock())}
                    if not seen_states or seen_states[-1] != states["cheap"].value:
                        seen_states.append(states["cheap"].value)
                    if states["cheap"] is GatewayHealth.QUARANTINED and \
                            book.gateways["cheap"].failure_share:
                        # The carrier is fixed while the dialer keeps it out of service.
                        book.gateways["cheap"] = dataclasses.replace(
                            book.gateways["cheap"], failure_share=0.0)
                    if states["cheap"] is GatewayHealth.HEALTHY and "probing" in seen_states:
                        await asyncio.sleep(1.2)
                        scraped.update(await asyncio.to_thread(_scrape, runner))
                        runner.stop()
                        return

            async with asyncio.TaskGroup() as group:
                group.create_task(runner.run(duration=25.0))
                group.create_task(heal_after_quarantine())
            return runner, book.summary()

    runner, carriers = asyncio.run(scenario())
    rows = attempts(store)
    assert rows and all(r["outcome"] is not None for r in rows), "an attempt was left open"

    # No carrier ever saw more than its limits (the dialer's own).
    for name in ("cheap", "steady"):
        assert carriers[name]["over_channels"] == 0, carriers
        assert carriers[name]["over_cps"] == 0, carriers
    assert carriers["cheap"]["peak_in_use"] <= 3 and carriers["steady"]["peak_in_use"] <= 4

    # Least cost first: cheap carried first legs while it was in service.
    first_legs = [r for r in rows if r["failover_of"] is None]
    assert first_legs[0]["gateway"] == "cheap"
    by_uuid = {r["call_uuid"]: r for r in rows}
    failovers = [r for r in rows if r["failover_of"] is not None]
    assert failovers, "no carrier refusal was retried on another gateway"
    for leg in failovers:
        refused = by_uuid[leg["failover_of"]]
        # Same attempt (lead, number), another gateway, at once, after a carrier cause.
        assert refused["hangup_cause"] in CARRIER_CAUSES
        assert (leg["lead_id"], leg["attempt_number"]) == (refused["lead_id"],
                                                         refused["attempt_number"])
        assert leg["gateway"] != refused["gateway"]
        assert (leg["dialed_at"] - refused["ended_at"]).total_seconds() < 1.0
    # Callee causes stay with their gateway: a busy leg is never followed by another leg.
    failed_over = {r["failover_of"] for r in failovers}
    for row in rows:
        if row["hangup_cause"] not in CARRIER_CAUSES:
            assert row["call_uuid"] not in failed_over, row
    # Quarantined, probed, returned to service once its carrier was fixed.
    assert seen_states[0] == "healthy"
    assert {"quarantined", "probing"} <= set(seen_states) and seen_states[-1] == "healthy", \
        seen_states
    # The quarantine reached the alerts log (what `dialer monitor` and the webhook get).
    alerts = [json.loads(line) for line in
              (tmp_path / "alerts" / "demo.jsonl").read_text().splitlines()]
    cheap = [a for a in alerts if a["key"].endswith("/cheap/in_service")]
    assert [a["state"] for a in cheap][:2] == ["raised", "cleared"], cheap

    # The Prometheus endpoint served it all while running (parsed by prometheus-client's
    # parser), and its counters agree with the journal at the end.
    assert scraped[("dialer_esl_connected", ())] == 1
    assert scraped[("dialer_gateway_up", (("gateway", "cheap"), ("state", "healthy")))] == 1
    assert scraped[("dialer_answer_to_bridge_seconds_count", ())] > 0
    assert ("dialer_journal_lag_seconds", ()) in scraped
    final = _samples(generate_latest(runner.telemetry.metrics.registry).decode())
    for gateway in ("cheap", "steady"):
        legs = [r for r in rows if r["gateway"] == gateway]
        assert final[("dialer_attempts_total", (("gateway", gateway),))] == len(legs)
    assert final[("dialer_failovers_total", (("gateway", "cheap"),))] == len(
        [r for r in failovers if by_uuid[r["failover_of"]]["gateway"] == "cheap"])
    store.close()
