"""A campaign of the live runner against the strict switch simulator, judged by the switch.

The runner (``dialer run``'s code: store, journal, ESL client, FreeSWITCH adapter, engine) runs
one campaign over real TCP against ``dialer switch-sim``'s simulator, whose call model follows
the real FreeSWITCH captures (originate/bridge races, loopback agent legs, missing message files,
no mod_amd on a public-tree build). The switch's ground truth (simulations/switch/truth.py)
says what the people heard; the campaign store says what the dialer recorded.

Prints: live answers, abandon rate as the dialer recorded it, conversations cut off, live
answers not connected nor messaged within the connect window, messages that never played,
answer→bridge median/p99 (the switch's view and the runner's), with the load average.

    python benchmarks/strict_switch_campaign.py --seconds 120 --agents 4
    python benchmarks/strict_switch_campaign.py --seconds 120 --amd --hostile
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.store import CampaignStore  # noqa: E402
from dialer.runner.demo import (  # noqa: E402
    DemoOptions,
    SimulatedDesk,
    choose_zones,
    create_demo_campaign,
    seed_demo_registry,
)
from dialer.runner.runner import Runner  # noqa: E402
from dialer.runner.settings import RunnerSettings  # noqa: E402
from simulations.switch.embedded import running_switch  # noqa: E402
from simulations.switch.fates import SimpleCallees  # noqa: E402
from simulations.switch.switch import PUBLIC_TREE_MODULES, SwitchSettings  # noqa: E402

MESSAGE = "/usr/share/freeswitch/sounds/dialer/safe-harbour.wav"


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def campaign(args: argparse.Namespace, workdir: Path) -> dict:
    now = time.time()
    zones, _ = choose_zones(now)
    url = f"sqlite:///{workdir / 'bench.db'}"
    store = CampaignStore.open(url)
    # The demo campaign (compliant, opt-in leads in open zones), its agents on loopback legs
    # as in the real trial, and the pacing asked for.
    settings = {"amd_enabled": args.amd, "pacing_policy": args.pacing, "pacing_params": {},
                "lines_per_agent": args.ratio, "wrap_up_timeout": 10.0,
                "safe_harbor_message": MESSAGE if args.message_on_switch else
                "ivr/safe_harbor.wav"}
    create_demo_campaign(store, DemoOptions(agents=args.agents, leads=2000, seed=args.seed),
                         zones, now, name="bench", settings=settings)
    for i in range(1, args.agents + 1):
        store.add_agent(f"agent{i}", f"loopback/agent-{i}/agents", campaign="bench")
    seed_demo_registry(workdir, now, ["+13125550100"])
    callees = SimpleCallees(live_answer=0.45, machine=0.10, busy=0.10, failed=0.05,
                            talk=args.talk, time_to_answer=4.0, patience=8.0, greeting=4.0)
    modules = PUBLIC_TREE_MODULES | ({"mod_amd"} if args.mod_amd else set())
    switch_settings = SwitchSettings(
        speed=args.speed, hostile=args.hostile, modules=frozenset(modules),
        sound_files=frozenset({MESSAGE}) if args.message_on_switch else frozenset(),
        playback_seconds=6.0)
    async with running_switch(settings=switch_settings, fate_source=callees,
                              seed=args.seed) as sim:
        runner_settings = RunnerSettings(
            campaign="bench", database=url, data=workdir,
            switches=((f"{sim.url.host}:{sim.url.port}", sim.url),), stop_grace=20.0)
        # On the simulator's clock (at --speed X the engine's timers are simulated seconds,
        # as the callees' are); --seconds stays real seconds of dialing.
        runner = Runner(runner_settings, store, login_agents=True, clock=sim.switch.clock,
                        clock_rate=args.speed)
        desk = SimulatedDesk(runner.dispose, runner.clock, (1.0 / args.speed, 3.0 / args.speed),
                             random.Random(args.seed))
        runner.on_agent_change = desk
        started = time.perf_counter()
        await runner.run(args.seconds * args.speed)
        wall = time.perf_counter() - started
        desk.cancel()
        truth = sim.switch.truth.summary(2.0)
    attempts = store.attempts("bench") if hasattr(store, "attempts") else None
    report = _journal_figures(store)
    store.close()
    latencies = list(runner.stats.latencies)
    return {
        "switch": truth,
        "journal": report,
        "runner_answer_to_bridge_median": _percentile(latencies, 0.5),
        "runner_answer_to_bridge_p99": _percentile(latencies, 0.99),
        "runner_bridges": len(latencies),
        "runner_message_latency": runner.stats.message_latency_summary(),
        "incidents": dict(runner.stats.incidents),
        "wall_seconds": round(wall, 1),
        "attempts_api": attempts is not None,
    }


def _journal_figures(store: CampaignStore) -> dict:
    import sqlalchemy as sa

    from campaigns.models import CallAttempt

    campaign_id = store.campaign("bench").id
    with store.read_session() as session:
        rows = session.execute(sa.select(CallAttempt).where(
            CallAttempt.campaign_id == campaign_id)).scalars().all()
    live = [r for r in rows if r.answered_at is not None and (r.answer_kind or "") != "machine"]
    abandoned = sum(1 for r in rows if r.abandoned)
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row.outcome or "open"] = outcomes.get(row.outcome or "open", 0) + 1
    return {"attempts": len(rows), "live_answers": len(live), "abandoned": abandoned,
            "abandon_rate": abandoned / len(live) if live else None, "outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--talk", type=float, default=15.0)
    parser.add_argument("--pacing", default="power")
    parser.add_argument("--ratio", type=float, default=2.0,
                        help="lines per agent of the power policy")
    parser.add_argument("--amd", action="store_true", help="campaign with AMD on")
    parser.add_argument("--mod-amd", action="store_true", help="the switch has mod_amd")
    parser.add_argument("--hostile", action="store_true", help="hostile timing mode")
    parser.add_argument("--message-on-switch", action="store_true",
                        help="the safe-harbour file exists on the switch")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="strict-bench-") as tmp:
        figures = asyncio.run(campaign(args, Path(tmp)))
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["options"] = vars(args)
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return
    switch, journal = figures["switch"], figures["journal"]
    print(f"options: {vars(args)}")
    print(f"load average before {figures['load_average_before']} after "
          f"{figures['load_average_after']} (figures taken while others run are noisy)")
    print(f"attempts {journal['attempts']}, outcomes {journal['outcomes']}")
    print(f"dialer's record: live answers {journal['live_answers']}, abandoned "
          f"{journal['abandoned']}, abandon rate {journal['abandon_rate']}")
    print("switch's truth: " + ", ".join(f"{k} {v}" for k, v in switch.items()))
    print(f"runner answer->bridge median {figures['runner_answer_to_bridge_median']} "
          f"p99 {figures['runner_answer_to_bridge_p99']} over {figures['runner_bridges']}")
    print(f"runner command->playback per switch {figures['runner_message_latency']}; "
          f"incidents {figures['incidents']}")


if __name__ == "__main__":
    main()
