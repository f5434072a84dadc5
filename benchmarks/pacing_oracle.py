"""How much of predictive's idle agent time is the talk times' uncertainty? An oracle run.

    python benchmarks/pacing_oracle.py [--agents 10,50] [--live 0.10,0.20,0.35]
        [--talk 90,180,300] [--replications 1] [--workers 2]

Runs each suite cell (benchmarks/pacing_quality.py's scenario: cold start, one 8-hour day,
ground truth) twice on the same common random numbers: the predictive policy as it is, and
the same policy told, for every agent on a call or in wrap-up, the exact second that agent
will be free again (the simulated talk and wrap-up times, drawn before the call is bridged).
Everything else is the policy's own: its outcome and ring-time estimates, its forecast of
answers (Poisson-binomial, normal), its threshold loop, budget and cold start. The oracle's
supply is a step function with no variance: ``P(free by t) = 1`` once the agent's time is up.

What it shows: the share of the practical limit the same controller reaches when the only
uncertainty left is the callees' (who answers, and when), which no dialer can know before
it dials. It is not a proof that no policy does better (the controller is not proven
optimal), but a policy that does not know talk times cannot beat one that does by
forecasting them better, so the oracle column bounds what a better talk forecast inside
this controller could gain. docs/pacing.md ("An oracle for the talk times") has the figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _oracle_policy(simulation):
    """A predictive policy whose agents' supply is their true time to be free."""
    import dataclasses
    import math

    import numpy as np

    from dialer.commands import Bridge
    from pacing_models.estimators import RING_GRID_STEP
    from pacing_models.forecast import CompactTables
    from pacing_models.predictive import PredictivePolicy, effective_window
    from simulations.streams import LIVE

    free_at: dict[str, float] = {}
    pool = simulation.engine.pool

    def bridged(command: Bridge) -> None:
        call = simulation.calls[command.call_id]
        if call.kind == LIVE:
            free_at[command.agent_id] = command.at + call.talk + call.wrap
        else:
            free_at[command.agent_id] = command.at + simulation.scenario.machine_handle_time

    simulation.observe((Bridge,), bridged)

    class TalkOracle(PredictivePolicy):
        def _tables(self, state):
            compact = super()._tables(state)
            if getattr(self, "_oracle_for", None) is compact:
                return self._oracle
            step = RING_GRID_STEP
            window = max(1, round(effective_window(state.connect_window, self.patience_mean)
                                  / step))
            times = (self._ring.eval_slots + window + 1) * step  # the busy columns' instants
            rows = int(times.max()) + 2
            remaining = np.arange(rows)[:, None] + 0.5
            table = (remaining <= times[None, :]).astype(float)
            table[-1] = 0.0  # longer than the horizon: not free within it
            rows_and_variance = np.hstack([table, np.zeros_like(table)])
            oracle = CompactTables(
                ring=compact.ring, verdict=compact.verdict, busy=rows_and_variance,
                wrap=rows_and_variance,
                new_call=compact.new_call, new_call_variance=compact.new_call_variance,
                live_answer=compact.live_answer, ring_step=compact.ring_step,
                agent_step=1.0)
            self._oracle_for, self._oracle = compact, oracle
            return oracle

        def decide(self, state):
            now = state.now
            left = tuple(max(0.0, free_at.get(agent, now) - now)
                         for agent in itertools.chain(pool.on_call, pool.wrapping))
            self._talk_q90 = math.inf  # the censoring check has nothing to check
            return super().decide(dataclasses.replace(
                state, busy_elapsed=left, wrap_elapsed=()))

    return TalkOracle()


def _one(job: tuple) -> tuple:
    agents, live, talk, oracle, replication = job
    import pacing_quality as suite

    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    scenario = suite._scenario(agents, live, talk, (8.0, 1))
    simulation = Simulation(scenario, "predictive", seed=1, replication=replication)
    if oracle:
        simulation.engine.policy = _oracle_policy(simulation)
    tally = simulation.run()
    m = run_metrics(scenario, tally)
    return (agents, live, talk, oracle, replication,
            m["talk_fraction"] / practical_talk_limit(scenario), m["max_window_abandon_rate"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", default="10,50")
    parser.add_argument("--live", default="0.10,0.20,0.35")
    parser.add_argument("--talk", default="90,180,300")
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cells = list(itertools.product(
        [int(a) for a in args.agents.split(",")], [float(x) for x in args.live.split(",")],
        [float(x) for x in args.talk.split(",")]))
    jobs = [(*cell, oracle, r) for cell in cells for oracle in (False, True)
            for r in range(args.replications)]
    started = time.time()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    print("agents  live  talk   predictive          talk oracle   (share of the practical "
          "limit / worst window, mean of replications)")
    for cell in cells:
        out = []
        for oracle in (False, True):
            runs = [(s, w) for a, p, t, o, _, s, w in rows if (a, p, t) == cell and o == oracle]
            out.append(f"{statistics.fmean(s for s, _ in runs):.3f} / "
                       f"{max(w for _, w in runs):5.2%}")
        print(f"{cell[0]:6d}  {cell[1]:.2f}  {cell[2]:4.0f}   {out[0]}     {out[1]}")
    print(f"wall {time.time() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
