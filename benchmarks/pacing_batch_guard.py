"""The predictive policy's batch guard, raw against guarded, on the cases that broke the limit.

    python benchmarks/pacing_batch_guard.py [--cells 10/0.10/90,10/0.20/180] [--seed 2]
        [--reps 3] [--table 1.65/0.51/-0.81/-1.89/-2.84/0.03] [--params K=V,...]
        [--modes raw,guarded] [--workers 1]

Each replication of each cell (one 8-hour day of ``benchmarks/pacing_quality.py``'s suite:
10–100 agents, lognormal talk, fixed 15 s wrap-up, patience exponential 5 s, limit 3 %) runs
the predictive policy twice on the same stream (common random numbers): ``raw`` with the
batch guard off (``PredictivePolicy.batch_guard_z = None``, the policy before the guard) and
``guarded`` (the shipped policy). ``--table`` sets a per-state threshold table
(``pacing_models.state_thresholds``, the policy search's vector θ0/θ1/θ2/θ3/θ4/s) and
``--params`` predictive parameters (checked as ``--policy predictive:K=V,...``; the whole
analyst's range, outside the live envelope too). ``--loosest`` is every margin at its loosest
end (threshold_rate 1, margin_z 0, amd_margin_z 0, aim_cap 1, reserve_abandons 0, prior_bias
1, bias_pseudo_abandons 0.01, young_threshold 0.01, young_risk 0.01, max_lines_per_agent
100, period_answers_share 1, period_reserve_abandons 0).

Printed per run: share of the practical limit, worst window (the simulator's ground truth),
the model's decisions, how many the guard cut, and the most calls one decision launched;
then the worst window and mean share per mode, and the machine load. docs/pacing.md, "The
batch guard".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pacing_policy_search import _cells  # the AGENTS/LIVE/TALK,... cells

LIMIT = 0.03
LOOSEST = ("threshold_rate=1,margin_z=0,amd_margin_z=0,aim_cap=1,reserve_abandons=0,"
           "prior_bias=1,bias_pseudo_abandons=0.01,young_threshold=0.01,young_risk=0.01,"
           "max_lines_per_agent=100,period_answers_share=1,period_reserve_abandons=0")


def _run(job: tuple) -> tuple:
    """One day: (cell, replication, mode) → (…, share, worst window, decisions, cuts,
    most calls in a decision, CPU seconds)."""
    from pacing_quality import _scenario

    from pacing_models.state_thresholds import StateThresholds
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    (agents, live, talk), seed, replication, mode, vector, params, guard_z = job
    scenario = _scenario(agents, live, talk, (8.0, 1))
    started = time.process_time()
    sim = Simulation(scenario, "predictive", seed=seed, replication=replication,
                     params=dict(params))
    policy = sim.engine.policy
    if vector is not None:
        policy.state_thresholds = StateThresholds.from_vector(vector)
    if mode == "raw":
        policy.batch_guard_z = None
    elif guard_z is not None:
        policy.batch_guard_z = guard_z
    counts = {"decisions": 0, "cuts": 0, "most": 0}
    decide, cut = policy._decide, policy._batch_cut

    def counted_decide(state):
        decision = decide(state)
        counts["decisions"] += 1
        if decision.calls_to_launch > counts["most"]:
            counts["most"] = decision.calls_to_launch
        return decision

    def counted_cut(*args):
        counts["cuts"] += 1
        return cut(*args)

    # Instance attributes shadow the methods ``decide`` calls: the decisions are the same.
    policy._decide = counted_decide
    policy._batch_cut = counted_cut
    tally = sim.run()
    m = run_metrics(scenario, tally)
    share = m["talk_fraction"] / practical_talk_limit(scenario)
    return ((agents, live, talk), replication, mode, share, m["max_window_abandon_rate"],
            counts["decisions"], counts["cuts"], counts["most"],
            time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", default="10/0.10/90,10/0.10/180,10/0.20/90,10/0.20/180")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--first-rep", type=int, default=0)
    parser.add_argument("--table", default=None,
                        help="θ0/θ1/θ2/θ3/θ4/s, a per-state threshold table")
    parser.add_argument("--params", default="", help="predictive K=V,...")
    parser.add_argument("--loosest", action="store_true",
                        help="every margin at its loosest end (LOOSEST)")
    parser.add_argument("--modes", default="raw,guarded")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--guard-z", type=float, default=None,
                        help="the guarded runs' z (default: the policy's own)")
    args = parser.parse_args()
    from pacing_models.params import parse_policy_spec

    text = ",".join(t for t in (LOOSEST if args.loosest else "", args.params) if t)
    params = tuple(parse_policy_spec(f"predictive:{text}").params.items()) if text else ()
    vector = tuple(float(v) for v in args.table.split("/")) if args.table else None
    modes = args.modes.split(",")
    reps = range(args.first_rep, args.first_rep + args.reps)
    jobs = [(cell, args.seed, rep, mode, vector, params, args.guard_z)
            for cell in _cells(args.cells) for rep in reps for mode in modes]
    started = time.time()
    print(f"load average at the start {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(_run, jobs):
            cell, rep, mode, share, worst, decisions, cuts, most, cpu = row
            rows.append(row)
            print(f"{cell[0]:>4} {cell[1]:.2f} {cell[2]:>4.0f} rep {rep} {mode:>8}: share "
                  f"{share:.4f}, worst window {worst:.2%}, {decisions} decisions, {cuts} cut "
                  f"({cuts / max(decisions, 1):.3%}), most calls in one decision {most}, "
                  f"{cpu:.0f} s CPU", flush=True)
    print()
    for mode in modes:
        mine = [r for r in rows if r[2] == mode]
        over = sum(1 for r in mine if r[4] > LIMIT)
        print(f"{mode:>8}: worst window {max(r[4] for r in mine):.2%}, {over} of {len(mine)} "
              f"days over {LIMIT:.0%}, mean share {statistics.fmean(r[3] for r in mine):.4f}, "
              f"cuts {sum(r[6] for r in mine)} of {sum(r[5] for r in mine)} decisions, most "
              f"calls in one decision {max(r[7] for r in mine)}")
    print(f"params: {text or 'defaults'}; table: {args.table or 'none'}; guard z "
          f"{args.guard_z if args.guard_z is not None else 'default'}; seed {args.seed}, "
          f"replications {args.first_rep}–{args.first_rep + args.reps - 1}; wall "
          f"{time.time() - started:.0f} s, {args.workers} worker(s), load average at the end "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
