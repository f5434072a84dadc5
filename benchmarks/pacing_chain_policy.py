"""The chain's own policy against predictive on the suite's cells (issue 16).

    python benchmarks/pacing_chain_policy.py [--cells 10/0.1/90,10/0.1/180,...]
        [--replications 3] [--workers 2] [--variants oracle,learnt]
        [--chain-params by_age=false,...] [--hours 8] [--laws suite|markov]

Per cell (agents/live/talk, the quality suite's laws, benchmarks/pacing_quality.py) and
replication r (stream (seed 1, r), common random numbers, as the docs' tables), runs
predictive (its defaults) and the chain policy (``pacing_models.chain_policy``): ``oracle``
solves the 1x1 chain with the cell's true rates (an oracle of rates, not of fates: what the
decision rule alone costs), ``learnt`` learns them online and solves again as they move.
``--laws markov`` runs the cells on the 1x1 chain's own laws (exponential ring and handle
times; benchmarks/pacing_bound.py's "pred. markov" column), where the chain's rule is the
optimum's own. Prints, per cell and policy, the mean share of the practical limit over the
replications, the worst window (a one-day run is one window), and for the chain the paired
difference with predictive on the same days, mean and 95 % t-interval; then the machine's
load average and the wall and CPU time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_CELLS = "10/0.1/90,10/0.1/180,10/0.2/90,10/0.2/180,10/0.35/90,20/0.1/90,20/0.2/180"
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 14: 2.145, 19: 2.093, 29: 2.045}


def _cells(parser: argparse.ArgumentParser, text: str) -> list[tuple[int, float, float]]:
    cells = []
    for part in text.split(","):
        pieces = part.strip().split("/")
        try:
            agents, live, talk = int(pieces[0]), float(pieces[1]), float(pieces[2])
        except (IndexError, ValueError):
            parser.error(f"--cells: {part!r} is not AGENTS/LIVE/TALK (e.g. 10/0.1/90)")
        if len(pieces) != 3 or agents < 1 or not 0 < live <= 1 or talk <= 0:
            parser.error(f"--cells: {part!r} is not AGENTS/LIVE/TALK with agents ≥ 1, "
                         "0 < live ≤ 1, talk > 0")
        cells.append((agents, live, talk))
    return cells


def _chain_params(parser: argparse.ArgumentParser, text: str) -> dict:
    out: dict = {}
    allowed = {"by_age": bool, "batch_guard": bool, "fixed_lambda": float,
               "margin_z": float, "aim_cap": float, "reserve_abandons": float,
               "prior_bias": float, "hang_up_after": float,
               "handle_phases": int, "busy_horizon": float,
               "ring_phases": int}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in allowed:
            parser.error(f"--chain-params: unknown {key!r}; one of {', '.join(allowed)}")
        kind = allowed[key]
        if kind is bool:
            if value.lower() not in ("true", "false"):
                parser.error(f"--chain-params: {key} is true or false, got {value!r}")
            out[key] = value.lower() == "true"
        elif value.lower() == "none" and key == "hang_up_after":
            out[key] = None
        elif kind is int:
            if value not in ("1", "2"):
                parser.error(f"--chain-params: {key} is 1 or 2, got {value!r}")
            out[key] = int(value)
        else:
            try:
                out[key] = float(value)
            except ValueError:
                parser.error(f"--chain-params: {key} is a number, got {value!r}")
    return out


def _module(name: str):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_for_chain", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scenario(agents: int, live: float, talk: float, hours: float, laws: str = "suite"):
    """The suite's cell, or with ``laws`` "markov" the 1x1 chain's own laws in the
    simulator (exponential ring and handle times, no wrap-up; benchmarks/pacing_bound.py)."""
    suite = _module("pacing_quality")
    if laws == "markov":
        return _module("pacing_bound")._markov_scenario(suite, agents, live, talk, (1, 1))
    return suite._scenario(agents, live, talk, (hours, 1))


def run_one(job: tuple) -> tuple:
    """(cell, variant, replication) → (share, worst window, CPU s, λ solves, guard cuts)."""
    (agents, live, talk), variant, replication, hours, params, laws = job
    import pacing_models
    from pacing_models.chain_policy import ChainPolicy, ChainRates
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    scenario = _scenario(agents, live, talk, hours, laws)
    started = time.process_time()
    made: list = []
    if variant == "predictive":
        sim = Simulation(scenario, "predictive", seed=1, replication=replication)
    else:
        rates = None
        if variant == "oracle":
            phases = params.get("ring_phases", 1)
            rates = ChainRates.of_suite_cell(live, talk, ring_phases=phases)
            if laws == "markov":  # the handle time is all talk, of mean talk + 15 s
                rates = ChainRates.of_suite_cell(live, talk + 15.0, wrap=0.0,
                                                 ring_phases=phases)
        original = pacing_models.make_policy

        def make(name, **kw):
            policy = ChainPolicy(rates, agents=agents, **params)
            made.append(policy)
            return policy

        pacing_models.make_policy = make
        try:
            sim = Simulation(scenario, "predictive", seed=1, replication=replication)
        finally:
            pacing_models.make_policy = original
    tally = sim.run()
    m = run_metrics(scenario, tally)
    share = m["talk_fraction"] / practical_talk_limit(scenario)
    policy = made[0] if made else None
    return ((agents, live, talk), variant, replication, share, m["max_window_abandon_rate"],
            time.process_time() - started, policy.solves if policy else 0,
            policy.guard_cuts if policy else 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=DEFAULT_CELLS)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--variants", default="oracle,learnt")
    parser.add_argument("--chain-params", default="")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--laws", choices=("suite", "markov"), default="suite",
                        help="markov: the 1x1 chain's own laws in the simulator")
    args = parser.parse_args(argv)
    cells = _cells(parser, args.cells)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in variants:
        if v not in ("oracle", "learnt"):
            parser.error(f"--variants: {v!r} is not oracle or learnt")
    if not 1 <= args.workers <= 2:
        parser.error("--workers: 1 or 2 (the machine is shared)")
    if args.replications < 1:
        parser.error("--replications: at least 1")
    params = _chain_params(parser, args.chain_params)
    jobs = [(cell, variant, r, args.hours, params, args.laws) for cell in cells
            for variant in ["predictive", *variants] for r in range(args.replications)]
    wall = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run_one, jobs))
    by = {(c, v, r): (s, w, cpu, solves, cuts) for c, v, r, s, w, cpu, solves, cuts in results}
    cpu_total = sum(x[2] for x in by.values())
    print(f"{'cell':>14} {'policy':>10} {'share':>7} {'worst':>7} {'Δ vs pred.':>10} "
          f"{'95% CI':>19} {'solves':>6} {'cuts':>6}")
    for cell in cells:
        label = f"{cell[0]}/{cell[1]:g}/{cell[2]:g}"
        reps = range(args.replications)
        base = [by[(cell, "predictive", r)][0] for r in reps]
        worst = max(by[(cell, "predictive", r)][1] for r in reps)
        print(f"{label:>14} {'predictive':>10} {statistics.fmean(base):>7.4f} {worst:>7.2%}")
        for v in variants:
            shares = [by[(cell, v, r)][0] for r in reps]
            worst = max(by[(cell, v, r)][1] for r in reps)
            diffs = [a - b for a, b in zip(shares, base, strict=True)]
            mean = statistics.fmean(diffs)
            if len(diffs) > 1:
                half = T975.get(len(diffs) - 1, 2.0) * statistics.stdev(diffs) / len(diffs) ** .5
                ci = f"[{mean - half:+.4f}, {mean + half:+.4f}]"
            else:
                ci = "-"
            solves = max(by[(cell, v, r)][3] for r in reps)
            cuts = sum(by[(cell, v, r)][4] for r in reps)
            print(f"{'':>14} {v:>10} {statistics.fmean(shares):>7.4f} {worst:>7.2%} "
                  f"{mean:>+10.4f} {ci:>19} {solves:>6} {cuts:>6}", flush=True)
    load = os.getloadavg()
    print(f"wall {time.perf_counter() - wall:.0f} s, CPU {cpu_total:.0f} s in {len(jobs)} "
          f"days, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
